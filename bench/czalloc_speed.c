/*
 * czalloc_speed - ns per allocation of libczalloc's allocators against
 * plain malloc: an arena, a fixed buffer and a pool (each reset or freed
 * in batches, as they are used), and the debug allocator with its default
 * checks, without stacks, without canaries, and with a quarantine.  Each
 * operation is an allocation of 16..79 bytes followed (for malloc, the
 * pool and the debug allocator) by its free, the block written once so
 * that it is really used.  Prints one line per allocator: its name, ns
 * per allocation (+ free), and the ratio to malloc + free.
 *   czalloc_speed [N]   N operations per measure (default 2,000,000; the
 *                       debug allocator's a tenth of it)
 */
#include <stdio.h>
#include <time.h>

#include "bench/common.h"
#include "lib/include/cz_alloc.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static volatile uint64_t sink;

static size_t size_of(long i)
{
	return 16 + (size_t)(i * 7 % 64);
}

/* alloc + free through an allocator, n times */
static double alloc_free(struct cz_allocator a, long n)
{
	double t0 = now();
	for (long i = 0; i < n; i++) {
		size_t len = size_of(i);
		char *p = cz_alloc(a, len, 8);
		p[0] = (char)i;
		sink += (uint64_t)p[0];
		cz_free(a, p, len, 8);
	}
	return (now() - t0) * 1e9 / (double)n;
}

static double plain_malloc(long n)
{
	double t0 = now();
	for (long i = 0; i < n; i++) {
		char *p = malloc(size_of(i));
		p[0] = (char)i;
		sink += (uint64_t)p[0];
		free(p);
	}
	return (now() - t0) * 1e9 / (double)n;
}

#define BATCH 1000

static double arena(long n)
{
	struct cz_arena ar;
	cz_arena_init(&ar, cz_c_allocator(), "bench");
	struct cz_allocator a = cz_arena_allocator(&ar);
	double t0 = now();
	for (long i = 0; i < n; i++) {
		char *p = cz_alloc(a, size_of(i), 8);
		p[0] = (char)i;
		sink += (uint64_t)p[0];
		if (i % BATCH == BATCH - 1)
			cz_arena_reset(&ar, CZ_RESET_RETAIN);
	}
	double t = (now() - t0) * 1e9 / (double)n;
	cz_arena_deinit(&ar);
	return t;
}

static double fixed(long n)
{
	static char buf[BATCH * 96];
	struct cz_fixed f;
	cz_fixed_init(&f, buf, sizeof(buf), "bench");
	struct cz_allocator a = cz_fixed_allocator(&f);
	double t0 = now();
	for (long i = 0; i < n; i++) {
		char *p = cz_alloc(a, size_of(i), 8);
		p[0] = (char)i;
		sink += (uint64_t)p[0];
		if (i % BATCH == BATCH - 1)
			cz_fixed_reset(&f);
	}
	double t = (now() - t0) * 1e9 / (double)n;
	cz_fixed_deinit(&f);
	return t;
}

static double pool(long n)
{
	struct cz_pool p;
	cz_pool_init(&p, cz_c_allocator(), 80, 8, "bench");
	double t0 = now();
	for (long i = 0; i < n; i++) {
		char *o = cz_pool_get(&p);
		o[0] = (char)i;
		sink += (uint64_t)o[0];
		cz_pool_put(&p, o);
	}
	double t = (now() - t0) * 1e9 / (double)n;
	cz_pool_deinit(&p);
	return t;
}

static double debug(long n, const struct cz_debug_options *o)
{
	struct cz_debug d;
	if (cz_debug_init(&d, cz_c_allocator(), o))
		return -1;
	double t = alloc_free(cz_debug_allocator(&d), n);
	cz_debug_deinit(&d);
	return t;
}

int main(int argc, char **argv)
{
	long n = bench_arg(argc, argv, 2000000), nd = n / 10;
	plain_malloc(n / 10); /* warm the heap */
	double base = plain_malloc(n);
	struct cz_debug_options def = { CZ_DEBUG_DEFAULTS }, nostack = { 0 }, nocanary = { CZ_DEBUG_DEFAULTS,
											      .no_canary = 1 },
				single = { CZ_DEBUG_DEFAULTS, .single_threaded = 1 },
				quarantine = { CZ_DEBUG_DEFAULTS, .quarantine_bytes = 1 << 20 },
				noreuse = { CZ_DEBUG_DEFAULTS, .never_reuse = 1 };
	struct {
		const char *name;
		double ns;
	} rows[] = {
		{ "malloc + free", base },
		{ "libc allocator (cz_c) alloc + free", alloc_free(cz_c_allocator(), n) },
		{ "arena alloc (reset every 1000)", arena(n) },
		{ "fixed buffer alloc (reset every 1000)", fixed(n) },
		{ "pool get + put", pool(n) },
		{ "debug alloc + free (defaults: 16 frames, canary, lock)", debug(nd, &def) },
		{ "debug, single_threaded", debug(nd, &single) },
		{ "debug, no canary", debug(nd, &nocanary) },
		{ "debug, stack_depth 0 (no stacks)", debug(nd, &nostack) },
		{ "debug, quarantine_bytes 1 MiB", debug(nd, &quarantine) },
		{ "debug, never_reuse", debug(nd, &noreuse) },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		printf("%-56s %8.1f ns/op %7.2fx\n", rows[i].name, rows[i].ns, rows[i].ns / base);
	return sink == 42;
}
