/*
 * pic_grow_moved N - pic_grow built again behind a function of its own, so
 * each call site sits at another address while its function and file stay
 * the same: `czprof diff` must match the sites anyway.
 */
#include <stdlib.h>

void pic_grow_padding(int n);

/* Never called with a non-zero n; there to move the code below it. */
void pic_grow_padding(int n)
{
	for (int i = 0; i < n; i++) {
		volatile char *p = malloc((size_t)i + 1);
		p[0] = (char)i;
		free((void *)p);
	}
}

#include "pic_grow.c"
