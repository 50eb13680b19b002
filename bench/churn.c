/* churn - N malloc/free pairs of 16-512 B from 5 call sites reached through
 * 10-20 frames of recursive helpers (440 distinct stacks), a ring of 256
 * live blocks.  Usage: churn [PAIRS] (default 5000000). */
#include <stdio.h>
#include <stdlib.h>
#include "bench/common.h"

#define RING 256
static void *ring[RING];
static unsigned pos;
static uint64_t sum;

#define SITE(n) \
	__attribute__((noinline)) static void site##n(size_t sz) \
	{ \
		unsigned i = pos++ % RING; \
		free(ring[i]); \
		ring[i] = malloc(sz); \
		sum += bench_touch(ring[i], sz); \
		__asm__ volatile("" ::: "memory"); \
	}
SITE(0) SITE(1) SITE(2) SITE(3) SITE(4)
static void (*const sites[5])(size_t) = { site0, site1, site2, site3, site4 };

__attribute__((noinline)) static void recurse(int depth, int site, size_t sz)
{
	if (depth == 0)
		sites[site](sz);
	else
		recurse(depth - 1, site, sz);
	__asm__ volatile("" ::: "memory"); /* not a tail call: keeps the frames */
}

#define VARIANT(n) \
	__attribute__((noinline)) static void variant##n(int d, int s, size_t sz) \
	{ recurse(d, s, sz); __asm__ volatile("" ::: "memory"); }
VARIANT(0) VARIANT(1) VARIANT(2) VARIANT(3) VARIANT(4) VARIANT(5) VARIANT(6) VARIANT(7)
static void (*const variants[8])(int, int, size_t) = {
	variant0, variant1, variant2, variant3, variant4, variant5, variant6, variant7 };

int main(int argc, char **argv)
{
	long n = bench_arg(argc, argv, 5000000);
	for (long i = 0; i < n; i++) {
		uint64_t r = bench_next();
		size_t sz = 16 + (r & 511) % 497;
		int depth = 10 + (int)((r >> 9) % 11);
		int site = (int)((r >> 13) % 5);
		variants[(r >> 17) & 7](depth, site, sz);
	}
	for (int i = 0; i < RING; i++)
		free(ring[i]);
	printf("churn %ld checksum %llu\n", n, (unsigned long long)sum);
	return 0;
}
