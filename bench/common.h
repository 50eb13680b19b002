/* common.h - shared by the benchmark programs: a deterministic generator
 * and a checksum so the optimiser cannot drop the work. */
#ifndef CZ_BENCH_COMMON_H
#define CZ_BENCH_COMMON_H
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t bench_rng = 0x9E3779B97F4A7C15ull;

static inline uint64_t bench_next(void)
{
	bench_rng ^= bench_rng << 13;
	bench_rng ^= bench_rng >> 7;
	bench_rng ^= bench_rng << 17;
	return bench_rng;
}

/* The work a program does with a block between malloc and free: fill it
 * and hash it byte by byte (a few hundred cycles for an average block), so that allocation is a
 * realistic share of the run rather than all of it. */
static inline uint64_t bench_touch(void *p, size_t n)
{
	unsigned char *b = p;
	uint64_t h = 1469598103934665603ull;
	memset(b, (int)n, n);
	for (size_t i = 0; i < n; i += 2)
		h = (h ^ b[i]) * 1099511628211ull;
	return h;
}

static inline long bench_arg(int argc, char **argv, long def)
{
	return argc > 1 ? atol(argv[1]) : def;
}
#endif
