/*
 * pic_grow N - a program whose leaks grow with N, for `czprof diff`:
 *   leak_base: 10 blocks of 50 B leaked, whatever N
 *   leak_more: N blocks of 100 B leaked
 *   churn:     10 * N blocks of 64 B, each freed at once
 */
#include <stdlib.h>

static void leak_base(void)
{
	for (int i = 0; i < 10; i++)
		if (!malloc(50))
			abort();
}

static void leak_more(int n)
{
	for (int i = 0; i < n; i++)
		if (!malloc(100))
			abort();
}

static void churn(int n)
{
	for (int i = 0; i < 10 * n; i++)
		free(malloc(64));
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1;
	leak_base();
	leak_more(n);
	churn(n);
	return 0;
}
