/*
 * cz_fixed.c - a fixed buffer: blocks are carved from the caller's memory,
 * out of memory once it is full; the latest block resizes and frees in
 * place, so a stack-like use wastes nothing.
 */
#include <string.h>

#include "lib/czalloc/cz_internal.h"

static void *fixed_alloc(void *ctx, size_t len, size_t align, uintptr_t ret)
{
	(void)ret;
	struct cz_fixed *f = ctx;
	uintptr_t base = (uintptr_t)f->buf;
	size_t at = (size_t)(((base + f->used + align - 1) & ~(uintptr_t)(align - 1)) - base);
	if (at > f->len || f->len - at < len)
		return NULL;
	f->last = at;
	f->used = at + len;
	cz__on_alloc(f->id, f->buf + at, len);
	return f->buf + at;
}

static int is_last(const struct cz_fixed *f, const void *mem)
{
	return (const uint8_t *)mem == f->buf + f->last && f->used > 0;
}

static int fixed_resize(void *ctx, void *mem, size_t len, size_t align, size_t new_len, uintptr_t ret)
{
	(void)align;
	(void)ret;
	struct cz_fixed *f = ctx;
	if (!is_last(f, mem))
		return new_len <= len ? (cz__on_resize(f->id, mem, mem, new_len), 1) : 0;
	if (new_len > f->len - f->last)
		return 0;
	f->used = f->last + new_len;
	cz__on_resize(f->id, mem, mem, new_len);
	return 1;
}

static void fixed_free(void *ctx, void *mem, size_t len, size_t align, uintptr_t ret)
{
	(void)len;
	(void)align;
	(void)ret;
	struct cz_fixed *f = ctx;
	if (is_last(f, mem))
		f->used = f->last;
	cz__on_free(f->id, mem);
}

/* remap never: a fixed buffer cannot grow elsewhere */
const struct cz_allocator_vtable cz__fixed_vt = { fixed_alloc, fixed_resize, cz__remap_never, fixed_free };

void cz_fixed_init(struct cz_fixed *f, void *buf, size_t len, const char *name)
{
	memset(f, 0, sizeof(*f));
	f->buf = buf;
	f->len = len;
	f->id = cz__announce(CZPROF_KIND_FIXED, (struct cz_allocator){ 0 }, name ? name : "fixed buffer");
	cz__on_capacity(f->id, len);
}

struct cz_allocator cz_fixed_allocator(struct cz_fixed *f)
{
	return (struct cz_allocator){ f, &cz__fixed_vt };
}

void cz_fixed_reset(struct cz_fixed *f)
{
	f->used = f->last = 0;
	cz__on_reset(f->id, f->len);
}

void cz_fixed_deinit(struct cz_fixed *f)
{
	cz__on_destroy(f->id);
	memset(f, 0, sizeof(*f));
}
