/* rec_variants - exactly one call of each allocation function, each block
 * freed: malloc 10, calloc 4x5, realloc to 30, reallocarray 8x8,
 * posix_memalign 64/100, aligned_alloc 128/256, memalign 32/40,
 * valloc 50, pvalloc 60.  No stdio. */
#include <malloc.h>
#include <stdlib.h>

int main(void)
{
	void *a = malloc(10);
	void *b = calloc(4, 5);
	b = realloc(b, 30);
	void *c = reallocarray(NULL, 8, 8);
	void *d = NULL;
	if (posix_memalign(&d, 64, 100))
		return 1;
	void *e = aligned_alloc(128, 256);
	void *f = memalign(32, 40);
	void *g = valloc(50);
	void *h = pvalloc(60);
	if (malloc_usable_size(a) < 10)
		return 1;
	free(a); free(b); free(c); free(d); free(e); free(f); free(g); free(h);
	return 0;
}
