/*
 * czprof_annotate.h - lets a program's own pools appear in czprof's
 * profiles (`czprof arenas`, `czprof top`'s arena view) without linking
 * anything: header-only, and every macro is one untaken branch unless the
 * program runs under `czprof record`.
 *
 *   static czprof_pool_t pool;
 *   CZPROF_CREATE_POOL(&pool, "parser nodes");
 *   or, drawing from another allocator (a libczalloc one: cz_allocator_id;
 *   another pool: its .id):
 *   CZPROF_CREATE_POOL_IN(&pool, "parser nodes", parent_id);
 *   p = my_pool_get(...);        CZPROF_POOL_ALLOC(&pool, p, size);
 *   my_pool_put(p);              CZPROF_POOL_FREE(&pool, p);
 *   my_pool_clear();             CZPROF_POOL_RESET(&pool, bytes_still_held);
 *   my_pool_grew(total);         CZPROF_POOL_CAPACITY(&pool, total);
 *   my_pool_destroy();           CZPROF_DESTROY_POOL(&pool);
 *
 * Define CZPROF_NO_ANNOTATIONS to compile them to nothing at all.
 */
#ifndef CZPROF_ANNOTATE_H
#define CZPROF_ANNOTATE_H

#include <stdint.h>

#include "czprof_hooks.h"

typedef struct {
	uint64_t id; /* 0 when not recording */
} czprof_pool_t;

#ifdef CZPROF_NO_ANNOTATIONS
#define CZPROF_CREATE_POOL(pool, name) ((void)(pool), (void)(name))
#define CZPROF_CREATE_POOL_IN(pool, name, parent) ((void)(pool), (void)(name), (void)(parent))
#define CZPROF_POOL_ALLOC(pool, p, size) ((void)(pool), (void)(p), (void)(size))
#define CZPROF_POOL_FREE(pool, p) ((void)(pool), (void)(p))
#define CZPROF_POOL_RESET(pool, kept) ((void)(pool), (void)(kept))
#define CZPROF_POOL_CAPACITY(pool, bytes) ((void)(pool), (void)(bytes))
#define CZPROF_DESTROY_POOL(pool) ((void)(pool))
#else
#include <dlfcn.h>

/* The recorder's table, looked up on the first pool created. */
static inline const struct czprof_hooks *czprof__hooks(void)
{
	static const struct czprof_hooks *h;
	static int looked;
	if (!looked) {
		const struct czprof_hooks *(*get)(void);
		*(void **)&get = dlsym(RTLD_DEFAULT, CZPROF_HOOKS_SYMBOL);
		h = get ? get() : 0;
		looked = 1;
	}
	return h;
}

#define CZPROF_CREATE_POOL(pool, name) CZPROF_CREATE_POOL_IN(pool, name, 0)
#define CZPROF_CREATE_POOL_IN(pool, name, parent)                                               \
	do {                                                                                     \
		const struct czprof_hooks *czh_ = czprof__hooks();                               \
		(pool)->id = czh_ ? czh_->allocator_new(CZPROF_KIND_POOL, (parent), (name)) : 0; \
	} while (0)
#define CZPROF__HOOK(pool, call)                                          \
	do {                                                               \
		if (__builtin_expect((pool)->id != 0, 0))                 \
			czprof__hooks()->call;                            \
	} while (0)
#define CZPROF_POOL_ALLOC(pool, p, size) CZPROF__HOOK(pool, alloc((pool)->id, (p), (size)))
#define CZPROF_POOL_FREE(pool, p) CZPROF__HOOK(pool, free((pool)->id, (p)))
#define CZPROF_POOL_RESET(pool, kept) CZPROF__HOOK(pool, reset((pool)->id, (kept)))
#define CZPROF_POOL_CAPACITY(pool, bytes) CZPROF__HOOK(pool, capacity((pool)->id, (bytes)))
#define CZPROF_DESTROY_POOL(pool) CZPROF__HOOK(pool, destroy((pool)->id))
#endif

#endif
