/* load_big - enough events for the loader's big-trace path (its page
 * helper, its reuse of pages): N (default 2,000,000) allocations of
 * 16..215 bytes through a ring of 1024 blocks, one free per allocation
 * after the first 1024, every block freed at the end but a planted leak
 * of 4321 bytes.  With HOLD, one more block of 100 bytes is allocated
 * after allocation HOLD and kept until the end (before the ring's).
 *   allocations: N + 1 (+ 1 with HOLD), leaked: 4321 B in 1 block.
 * No stdio.  Usage: load_big [N [HOLD]]. */
#include <stdlib.h>

#define RING 1024

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 2000000;
	long hold = argc > 2 ? atol(argv[2]) : -1;
	static void *ring[RING];
	void *held = NULL;
	for (long i = 0; i < n; i++) {
		if (i == hold && !(held = malloc(100)))
			return 1;
		free(ring[i % RING]);
		ring[i % RING] = malloc(16 + (size_t)(i % 200));
		if (!ring[i % RING])
			return 1;
		*(volatile char *)ring[i % RING] = 1;
	}
	free(held);
	for (int i = 0; i < RING; i++)
		free(ring[i]);
	char *leak = malloc(4321);
	if (!leak)
		return 1;
	leak[0] = 1;
	return 0;
}
