/* rec_sparse - a program that keeps its core busy and allocates seldom:
 * N rounds (default 15000) of 40000 steps of arithmetic, then one
 * malloc of 64 bytes, freeing the previous round's block.  Exactly N
 * allocations of 64 bytes, the last one never freed (a leak of 64 bytes).
 * No stdio.  Usage: rec_sparse [N]. */
#include <stdint.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 15000;
	volatile uint64_t acc = 1;
	void *prev = NULL;
	for (long i = 0; i < n; i++) {
		for (int k = 0; k < 40000; k++)
			acc = acc * 6364136223846793005ull + 1442695040888963407ull;
		void *p = malloc(64);
		if (!p)
			return 1;
		*(volatile char *)p = (char)acc;
		free(prev);
		prev = p;
	}
	return 0;
}
