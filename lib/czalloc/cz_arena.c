/*
 * cz_arena.c - an arena: blocks are carved from chunks taken from the
 * parent, each chunk at least twice the previous one; freeing is a no-op
 * except for the latest block, and everything goes at once on reset or
 * deinit.  The profiler sees every block, every change of capacity and
 * every reset.
 */
#include <string.h>

#include "lib/czalloc/cz_internal.h"

struct cz_arena_chunk {
	struct cz_arena_chunk *next;
	size_t size; /* bytes of the whole chunk, this header included */
};

#define FIRST_CHUNK 4096
#define HEADER sizeof(struct cz_arena_chunk)

static uint8_t *align_up(uint8_t *p, size_t align)
{
	return (uint8_t *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
}

/* ret: the program's call that needs the chunk, so that a debug parent's
 * stacks start there, not in this file */
static int add_chunk(struct cz_arena *a, size_t need, uintptr_t ret)
{
	size_t size = a->chunks ? a->chunks->size * 2 : FIRST_CHUNK;
	while (size < need + HEADER)
		size *= 2;
	struct cz_arena_chunk *c = a->parent.vt->alloc(a->parent.ctx, size, alignof(max_align_t), ret);
	if (!c)
		return -1;
	c->next = a->chunks;
	c->size = size;
	a->chunks = c;
	a->cur = (uint8_t *)(c + 1);
	a->end = (uint8_t *)c + size;
	a->capacity += size;
	cz__on_capacity(a->id, a->capacity);
	return 0;
}

static void *arena_alloc(void *ctx, size_t len, size_t align, uintptr_t ret)
{
	struct cz_arena *a = ctx;
	uint8_t *p = a->cur ? align_up(a->cur, align) : NULL;
	if (!p || p > a->end || (size_t)(a->end - p) < len) {
		if (len > SIZE_MAX / 2 - align || add_chunk(a, len + align, ret))
			return NULL;
		p = align_up(a->cur, align);
	}
	a->cur = p + len;
	a->last = p;
	a->last_len = len;
	a->requested += len;
	cz__on_alloc(a->id, p, len);
	return p;
}

static int arena_resize(void *ctx, void *mem, size_t len, size_t align, size_t new_len, uintptr_t ret)
{
	(void)align;
	(void)ret;
	struct cz_arena *a = ctx;
	if (new_len <= len) { /* shrinking always works: the tail is just unused */
		if (mem == a->last) {
			a->cur = (uint8_t *)mem + new_len;
			a->last_len = new_len;
		}
		a->requested -= len - new_len;
		cz__on_resize(a->id, mem, mem, new_len);
		return 1;
	}
	if (mem != a->last || (size_t)(a->end - (uint8_t *)mem) < new_len)
		return 0; /* only the latest block can grow in place */
	a->cur = (uint8_t *)mem + new_len;
	a->last_len = new_len;
	a->requested += new_len - len;
	cz__on_resize(a->id, mem, mem, new_len);
	return 1;
}

static void arena_free(void *ctx, void *mem, size_t len, size_t align, uintptr_t ret)
{
	(void)align;
	(void)ret;
	struct cz_arena *a = ctx;
	if (mem == a->last) { /* the latest block: its space can be reused */
		a->cur = mem;
		a->last = NULL;
	}
	a->requested -= len;
	cz__on_free(a->id, mem);
}

/* remap never: cz_realloc copies within the arena */
const struct cz_allocator_vtable cz__arena_vt = { arena_alloc, arena_resize, cz__remap_never, arena_free };

void cz_arena_init(struct cz_arena *arena, struct cz_allocator parent, const char *name)
{
	memset(arena, 0, sizeof(*arena));
	arena->parent = parent;
	arena->id = cz__announce(CZPROF_KIND_ARENA, parent, name ? name : "arena");
}

struct cz_allocator cz_arena_allocator(struct cz_arena *arena)
{
	return (struct cz_allocator){ arena, &cz__arena_vt };
}

static void free_chunks(struct cz_arena *a, struct cz_arena_chunk *c)
{
	while (c) {
		struct cz_arena_chunk *next = c->next;
		a->capacity -= c->size;
		cz_free(a->parent, c, c->size, alignof(max_align_t));
		c = next;
	}
}

void cz_arena_reset(struct cz_arena *arena, enum cz_reset_mode mode)
{
	struct cz_arena_chunk *keep = NULL;
	if (mode == CZ_RESET_RETAIN && arena->chunks) {
		/* keep the biggest chunk (the newest): the next batch likely
		 * needs about as much */
		keep = arena->chunks;
		free_chunks(arena, keep->next);
		keep->next = NULL;
	} else {
		free_chunks(arena, arena->chunks);
	}
	arena->chunks = keep;
	arena->cur = keep ? (uint8_t *)(keep + 1) : NULL;
	arena->end = keep ? (uint8_t *)keep + keep->size : NULL;
	arena->last = NULL;
	arena->requested = 0;
	cz__on_reset(arena->id, arena->capacity);
}

void cz_arena_deinit(struct cz_arena *arena)
{
	free_chunks(arena, arena->chunks);
	arena->chunks = NULL;
	arena->cur = arena->end = arena->last = NULL;
	cz__on_destroy(arena->id);
}
