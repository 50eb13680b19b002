/*
 * cz_arenas - a program in the allocator-injection style with exactly
 * known allocator behaviour, for `czprof arenas`:
 *   "requests" arena on libc: 3 batches of 10 x 100 B, reset (keeping its
 *       one 4 KiB chunk) after each, then destroyed
 *   "parser" arena on libc: 5 x 1000 B, never destroyed (chunks of 4 KiB
 *       and 8 KiB)
 *   "scratch" fixed buffer of 4096 B: 2 x 512 B, reset once
 *   a debug allocator: 2 x 64 B, one freed, the other reported at deinit
 *   "my pool", a program's own pool made visible with czprof_annotate.h:
 *       3 x 32 B handed out, 1 given back, then destroyed
 *   "per parse": 3 fixed buffers made at one line, 100 B each, never
 *       destroyed: one row of 3 allocators in the reports
 *   "layers": an arena ("inner", 2 x 200 B) drawing from a debug
 *       allocator ("outer"), both never destroyed: the arena's blocks lie
 *       inside the debug allocator's one 4 KiB chunk (+16 B of canary)
 *   and last a 64 KiB heap block, freed: the heap's peak, where every
 *   allocator above but "requests", "scratch", "debug" and "my pool" holds
 *   its blocks
 */
#include <stdio.h>
#include <stdlib.h>

#include "lib/include/cz_alloc.h"
#include "lib/include/czprof_annotate.h"

static void handle_requests(struct cz_allocator parent)
{
	struct cz_arena arena;
	cz_arena_init(&arena, parent, "requests");
	struct cz_allocator a = cz_arena_allocator(&arena);
	for (int batch = 0; batch < 3; batch++) {
		for (int i = 0; i < 10; i++)
			if (!cz_alloc(a, 100, 8))
				abort();
		cz_arena_reset(&arena, CZ_RESET_RETAIN);
	}
	cz_arena_deinit(&arena);
}

static struct cz_arena parser; /* never destroyed: a leak the profile shows */

static void parse_input(struct cz_allocator parent)
{
	cz_arena_init(&parser, parent, "parser");
	struct cz_allocator a = cz_arena_allocator(&parser);
	for (int i = 0; i < 5; i++)
		if (!cz_alloc(a, 1000, 8))
			abort();
}

static void use_scratch(void)
{
	static char buf[4096];
	struct cz_fixed f;
	cz_fixed_init(&f, buf, sizeof(buf), "scratch");
	struct cz_allocator a = cz_fixed_allocator(&f);
	if (!cz_alloc(a, 512, 16) || !cz_alloc(a, 512, 16))
		abort();
	cz_fixed_reset(&f);
}

static void check_with_debug(struct cz_allocator parent)
{
	struct cz_debug d;
	struct cz_debug_options o = { CZ_DEBUG_DEFAULTS, .report = stdout };
	if (cz_debug_init(&d, parent, &o))
		abort();
	struct cz_allocator a = cz_debug_allocator(&d);
	void *x = cz_alloc(a, 64, 8), *y = cz_alloc(a, 64, 8);
	cz_free(a, x, 64, 8);
	(void)y;
	cz_debug_deinit(&d);
}

static void own_pool(void)
{
	static char slots[3][32];
	static czprof_pool_t pool;
	CZPROF_CREATE_POOL(&pool, "my pool");
	CZPROF_POOL_CAPACITY(&pool, sizeof(slots));
	for (int i = 0; i < 3; i++)
		CZPROF_POOL_ALLOC(&pool, slots[i], 32);
	CZPROF_POOL_FREE(&pool, slots[1]);
	CZPROF_DESTROY_POOL(&pool);
}

static void per_parse(void);
static void layers(struct cz_allocator parent);

int main(void)
{
	struct cz_allocator c = cz_c_allocator();
	handle_requests(c);
	parse_input(c);
	use_scratch();
	check_with_debug(c);
	own_pool();
	per_parse();
	layers(c);
	free(malloc(64 << 10));
	return 0;
}

static void per_parse(void)
{
	static char bufs[3][256];
	static struct cz_fixed f[3];
	for (int i = 0; i < 3; i++) {
		cz_fixed_init(&f[i], bufs[i], sizeof(bufs[i]), "per parse");
		if (!cz_alloc(cz_fixed_allocator(&f[i]), 100, 8))
			abort();
	}
}

static void layers(struct cz_allocator parent)
{
	static struct cz_debug outer;
	static struct cz_arena inner;
	struct cz_debug_options o = { CZ_DEBUG_DEFAULTS, .name = "outer" };
	if (cz_debug_init(&outer, parent, &o))
		abort();
	cz_arena_init(&inner, cz_debug_allocator(&outer), "inner");
	struct cz_allocator a = cz_arena_allocator(&inner);
	if (!cz_alloc(a, 200, 8) || !cz_alloc(a, 200, 8))
		abort();
}
