/*
 * cz_internal.h - what libczalloc's files share: the profiler's hook table
 * (found once at start; NULL outside `czprof record`) and the allocators'
 * ids.  Not installed.
 *
 * Names: cz_ public, cz__ internal.  Reports skip the library's frames
 * when they name a call site (lib/symbols/sym_site.c: by file for the older
 * files, by the cz_ prefix for any function), so a static function that
 * can be on a recorded stack (it calls malloc, mmap, a hook or a parent
 * allocator) is named cz__ as well.
 */
#ifndef CZ_INTERNAL_H
#define CZ_INTERNAL_H

#include "lib/include/cz_alloc.h"
#include "lib/include/czprof_hooks.h"

extern const struct czprof_hooks *cz__hooks;

#define CZ_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* The profiler's id of an allocator of this library (0 for others, or
 * outside the recorder). */
uint64_t cz__id_of(struct cz_allocator a);

/* Announces an allocator; 0 outside the recorder. */
static inline uint64_t cz__announce(unsigned kind, struct cz_allocator parent, const char *name)
{
	return CZ_UNLIKELY(cz__hooks) ? cz__hooks->allocator_new(kind, cz__id_of(parent), name) : 0;
}

static inline void cz__on_alloc(uint64_t id, const void *p, size_t n)
{
	if (CZ_UNLIKELY(cz__hooks) && id && p)
		cz__hooks->alloc(id, p, n);
}

static inline void cz__on_free(uint64_t id, const void *p)
{
	if (CZ_UNLIKELY(cz__hooks) && id && p)
		cz__hooks->free(id, p);
}

static inline void cz__on_resize(uint64_t id, const void *old, const void *p, size_t n)
{
	if (CZ_UNLIKELY(cz__hooks) && id)
		cz__hooks->resize(id, old, p, n);
}

static inline void cz__on_reset(uint64_t id, size_t kept)
{
	if (CZ_UNLIKELY(cz__hooks) && id)
		cz__hooks->reset(id, kept);
}

static inline void cz__on_capacity(uint64_t id, size_t capacity)
{
	if (CZ_UNLIKELY(cz__hooks) && id)
		cz__hooks->capacity(id, capacity);
}

static inline void cz__on_destroy(uint64_t id)
{
	if (CZ_UNLIKELY(cz__hooks) && id)
		cz__hooks->destroy(id);
}

/* A debug allocator announced as kind (debug, or testing). */
int cz__debug_init(struct cz_debug *d, struct cz_allocator parent, const struct cz_debug_options *opts,
		   unsigned kind);

/* The remap of an allocator whose blocks never move in place of their
 * owner: always NULL, so that cz_realloc allocates, copies and frees. */
void *cz__remap_never(void *ctx, void *mem, size_t len, size_t align, size_t new_len, uintptr_t ret);

/* The vtables, so that cz__id_of can tell which struct a ctx is. */
extern const struct cz_allocator_vtable cz__arena_vt, cz__fixed_vt, cz__debug_vt, cz__failing_vt,
	cz__c_vt, cz__page_vt, cz__fallback_vt, cz__pool_vt;

#endif
