/* sizes - one malloc of each size given as an argument, each freed at once:
 * `sizes 1 16 24` makes exactly three allocations of 1, 16 and 24 B.  No
 * stdio, so nothing else is allocated. */
#include <stdlib.h>

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		volatile char *p = malloc(strtoull(argv[i], NULL, 10));
		if (p)
			p[0] = 1;
		free((void *)p);
	}
	return 0;
}
