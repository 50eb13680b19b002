/*
 * cz_fallback.c - the stack-fallback allocator: a fixed buffer first (no
 * heap for the common small case), the parent once the buffer is full.
 * A block belongs to whichever served it, told apart by its address.
 */
#include "lib/czalloc/cz_internal.h"

static int in_buf(const struct cz_stack_fallback *s, const void *mem)
{
	const uint8_t *p = mem;
	return p >= s->fixed.buf && p < s->fixed.buf + s->fixed.len;
}

static void *fallback_alloc(void *ctx, size_t len, size_t align, uintptr_t ret)
{
	struct cz_stack_fallback *s = ctx;
	void *p = cz__fixed_vt.alloc(&s->fixed, len, align, ret);
	return p ? p : s->parent.vt->alloc(s->parent.ctx, len, align, ret);
}

static int fallback_resize(void *ctx, void *mem, size_t len, size_t align, size_t new_len, uintptr_t ret)
{
	struct cz_stack_fallback *s = ctx;
	if (in_buf(s, mem))
		return cz__fixed_vt.resize(&s->fixed, mem, len, align, new_len, ret);
	return s->parent.vt->resize(s->parent.ctx, mem, len, align, new_len, ret);
}

static void *fallback_remap(void *ctx, void *mem, size_t len, size_t align, size_t new_len, uintptr_t ret)
{
	struct cz_stack_fallback *s = ctx;
	if (in_buf(s, mem))
		return NULL; /* cz_realloc copies, to the parent once the buffer is full */
	return s->parent.vt->remap(s->parent.ctx, mem, len, align, new_len, ret);
}

static void fallback_free(void *ctx, void *mem, size_t len, size_t align, uintptr_t ret)
{
	struct cz_stack_fallback *s = ctx;
	if (in_buf(s, mem))
		cz__fixed_vt.free(&s->fixed, mem, len, align, ret);
	else
		s->parent.vt->free(s->parent.ctx, mem, len, align, ret);
}

const struct cz_allocator_vtable cz__fallback_vt = { fallback_alloc, fallback_resize, fallback_remap,
						     fallback_free };

void cz_stack_fallback_init(struct cz_stack_fallback *s, void *buf, size_t len, struct cz_allocator parent,
			    const char *name)
{
	cz_fixed_init(&s->fixed, buf, len, name ? name : "stack fallback");
	s->parent = parent;
}

struct cz_allocator cz_stack_fallback_allocator(struct cz_stack_fallback *s)
{
	return (struct cz_allocator){ s, &cz__fallback_vt };
}

void cz_stack_fallback_deinit(struct cz_stack_fallback *s)
{
	cz_fixed_deinit(&s->fixed);
}
