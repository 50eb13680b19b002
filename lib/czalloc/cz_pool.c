/*
 * cz_pool.c - a pool of objects of one size: slabs from the parent, each
 * twice the previous one, carved into slots; a freed object goes on a free
 * list (its first bytes hold the link) and is the next one handed out.
 * Everything goes back to the parent at deinit.  The profiler sees the
 * pool (kind "pool"), each object and each slab's capacity.
 */
#include <string.h>

#include "lib/czalloc/cz_internal.h"

struct cz_pool_slab {
	struct cz_pool_slab *next;
	size_t size; /* bytes of the whole slab, this header included */
};

#define FIRST_SLOTS 16

static size_t round_up(size_t n, size_t align)
{
	return (n + align - 1) & ~(align - 1);
}

static int add_slab(struct cz_pool *p, uintptr_t ret)
{
	size_t slots = p->slabs ? 2 * (p->slabs->size / p->slot) : FIRST_SLOTS;
	size_t head = round_up(sizeof(struct cz_pool_slab), p->align), size;
	if (__builtin_mul_overflow(slots, p->slot, &size) || __builtin_add_overflow(size, head, &size))
		return -1;
	/* ret: the program's call, so that a debug parent names it */
	struct cz_pool_slab *s = p->parent.vt->alloc(p->parent.ctx, size, p->align, ret);
	if (!s)
		return -1;
	s->next = p->slabs;
	s->size = size;
	p->slabs = s;
	p->next = (uint8_t *)s + head;
	p->end = (uint8_t *)s + size;
	p->capacity += size;
	cz__on_capacity(p->id, p->capacity);
	return 0;
}

static void *get_at(struct cz_pool *p, uintptr_t ret)
{
	void *obj = p->free_list;
	if (obj) {
		memcpy(&p->free_list, obj, sizeof(void *));
	} else {
		if ((size_t)(p->end - p->next) < p->slot && add_slab(p, ret))
			return NULL;
		obj = p->next;
		p->next += p->slot;
	}
	p->live++;
	cz__on_alloc(p->id, obj, p->size);
	return obj;
}

static void put(struct cz_pool *p, void *obj)
{
	if (!obj)
		return;
	memcpy(obj, &p->free_list, sizeof(void *));
	p->free_list = obj;
	p->live--;
	cz__on_free(p->id, obj);
}

void *cz_pool_get(struct cz_pool *p)
{
	return get_at(p, CZ_RET_ADDR);
}

void cz_pool_put(struct cz_pool *p, void *obj)
{
	put(p, obj);
}

static void *pool_alloc(void *ctx, size_t len, size_t align, uintptr_t ret)
{
	struct cz_pool *p = ctx;
	return len <= p->size && align <= p->align ? get_at(p, ret) : NULL;
}

static int pool_resize(void *ctx, void *mem, size_t len, size_t align, size_t new_len, uintptr_t ret)
{
	(void)mem;
	(void)len;
	(void)align;
	(void)ret;
	return new_len <= ((struct cz_pool *)ctx)->size;
}

static void pool_free(void *ctx, void *mem, size_t len, size_t align, uintptr_t ret)
{
	(void)len;
	(void)align;
	(void)ret;
	put(ctx, mem);
}

/* remap never: a pool hands out one size only */
const struct cz_allocator_vtable cz__pool_vt = { pool_alloc, pool_resize, cz__remap_never, pool_free };

void cz_pool_init(struct cz_pool *p, struct cz_allocator parent, size_t size, size_t align, const char *name)
{
	memset(p, 0, sizeof(*p));
	p->parent = parent;
	p->align = align > alignof(void *) ? align : alignof(void *);
	p->size = size ? size : 1;
	/* a freed slot holds the free list's link */
	p->slot = round_up(p->size > sizeof(void *) ? p->size : sizeof(void *), p->align);
	p->id = cz__announce(CZPROF_KIND_POOL, parent, name ? name : "pool");
}

struct cz_allocator cz_pool_allocator(struct cz_pool *p)
{
	return (struct cz_allocator){ p, &cz__pool_vt };
}

void cz_pool_deinit(struct cz_pool *p)
{
	for (struct cz_pool_slab *s = p->slabs, *next; s; s = next) {
		next = s->next;
		p->parent.vt->free(p->parent.ctx, s, s->size, p->align, CZ_RET_ADDR);
	}
	cz__on_destroy(p->id);
	memset(p, 0, sizeof(*p));
}
