/*
 * grow.c - see grow.h.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/base/grow.h"

int array_grow(void **v, size_t *cap, size_t n, size_t elem)
{
	if (n < *cap)
		return 0;
	/* a count whose doubled size does not fit a size_t is refused here:
	 * the doubling below and c * elem must not wrap */
	if (n >= SIZE_MAX / 2 / elem)
		return -1;
	size_t c = *cap ? *cap * 2 : 64;
	while (c <= n)
		c *= 2;
	void *p = realloc(*v, c * elem);
	if (!p)
		return -1;
	*v = p;
	*cap = c;
	return 0;
}

int array_reserve(void **v, size_t *cap, size_t n, size_t elem)
{
	size_t old = *cap;
	if (array_grow(v, cap, n, elem))
		return -1;
	memset((char *)*v + old * elem, 0, (*cap - old) * elem);
	return 0;
}
