/*
 * cz_pools - libczalloc's pool, a fixed buffer ended with cz_fixed_deinit
 * and an annotated pool naming its parent, with exactly known figures:
 *   "points" pool on libc: 40 objects of 24 B (slabs of 16 and 32 slots
 *       of 24 B, each with a 16-byte header: 400 + 784 B), destroyed
 *   "scratch" fixed buffer of 256 B: 1 x 100 B, ended by cz_fixed_deinit
 *   "tokens" arena on libc, and "token pool", a program's own pool
 *       annotated with the arena as its parent: 2 x 16 B
 *   "on stack" x3: a fixed buffer on the stack of one function called
 *       three times, so at one address each time, 1 x 24 B each, never
 *       ended (the live view must keep the three blocks apart)
 */
#include <stdlib.h>

#include "lib/include/cz_alloc.h"
#include "lib/include/czprof_annotate.h"

static void on_stack(void)
{
	char buf[64];
	struct cz_fixed f;
	cz_fixed_init(&f, buf, sizeof(buf), "on stack");
	if (!cz_alloc(cz_fixed_allocator(&f), 24, 8))
		abort();
}

int main(void)
{
	struct cz_allocator c = cz_c_allocator();
	struct cz_pool p;
	cz_pool_init(&p, c, 24, 8, "points");
	void *v[40];
	for (int i = 0; i < 40; i++)
		if (!(v[i] = cz_pool_get(&p)))
			abort();
	for (int i = 0; i < 40; i++)
		cz_pool_put(&p, v[i]);
	cz_pool_deinit(&p);

	char buf[256];
	struct cz_fixed f;
	cz_fixed_init(&f, buf, sizeof(buf), "scratch");
	if (!cz_alloc(cz_fixed_allocator(&f), 100, 8))
		abort();
	cz_fixed_deinit(&f);

	struct cz_arena arena;
	cz_arena_init(&arena, c, "tokens");
	struct cz_allocator a = cz_arena_allocator(&arena);
	char *slab = cz_alloc(a, 64, 16);
	static czprof_pool_t tokens;
	CZPROF_CREATE_POOL_IN(&tokens, "token pool", cz_allocator_id(a));
	CZPROF_POOL_ALLOC(&tokens, slab, 16);
	CZPROF_POOL_ALLOC(&tokens, slab + 16, 16);
	CZPROF_DESTROY_POOL(&tokens);
	cz_arena_deinit(&arena);

	for (int i = 0; i < 3; i++)
		on_stack();
	return 0;
}
