/*
 * cz_failing.c - an allocator that fails on purpose: the allocation number
 * fail_index (counting from 0), or it and all after it.  Everything else
 * goes to the parent.  Counts what happens, so tests can check that every
 * allocation was freed on the error path too.  In-place resizes are passed
 * on and never fail; a block that must move to grow is a new allocation.
 */
#include <string.h>

#include "lib/czalloc/cz_internal.h"
#include "lib/czalloc/cz_stack.h"

static int should_fail(struct cz_failing *f)
{
	size_t n = f->allocations++;
	return f->mode == CZ_FAIL_NTH ? n == f->fail_index : n >= f->fail_index;
}

static void *failing_alloc(void *ctx, size_t len, size_t align, uintptr_t ret)
{
	struct cz_failing *f = ctx;
	if (should_fail(f)) {
		if (!f->failures++) /* the first: where the error path starts */
			f->fail_stack_len = cz__capture(f->fail_stack, CZ_FAIL_STACK, ret);
		return NULL;
	}
	void *p = f->parent.vt->alloc(f->parent.ctx, len, align, ret);
	cz__on_alloc(f->id, p, len);
	return p;
}

static int failing_resize(void *ctx, void *mem, size_t len, size_t align, size_t new_len, uintptr_t ret)
{
	struct cz_failing *f = ctx;
	f->resizes++;
	int ok = f->parent.vt->resize(f->parent.ctx, mem, len, align, new_len, ret);
	if (ok)
		cz__on_resize(f->id, mem, mem, new_len);
	return ok;
}

static void *failing_remap(void *ctx, void *mem, size_t len, size_t align, size_t new_len, uintptr_t ret)
{
	struct cz_failing *f = ctx;
	/* A move that grows is refused, so cz_realloc falls back to alloc +
	 * copy + free: a growing realloc is then exactly one counted
	 * allocation, which fails when its turn comes.  (Failing the remap
	 * itself would only make cz_realloc try alloc, which would succeed.) */
	if (new_len > len)
		return NULL;
	void *p = f->parent.vt->remap(f->parent.ctx, mem, len, align, new_len, ret);
	if (p)
		cz__on_resize(f->id, mem, p, new_len);
	return p;
}

static void failing_free(void *ctx, void *mem, size_t len, size_t align, uintptr_t ret)
{
	struct cz_failing *f = ctx;
	f->frees++;
	cz__on_free(f->id, mem);
	f->parent.vt->free(f->parent.ctx, mem, len, align, ret);
}

const struct cz_allocator_vtable cz__failing_vt = { failing_alloc, failing_resize, failing_remap, failing_free };

void cz_failing_init(struct cz_failing *f, struct cz_allocator parent, size_t fail_index,
		     enum cz_fail_mode mode)
{
	memset(f, 0, sizeof(*f));
	f->parent = parent;
	f->fail_index = fail_index;
	f->mode = mode;
	f->id = cz__announce(CZPROF_KIND_FAILING, parent, "failing");
}

struct cz_allocator cz_failing_allocator(struct cz_failing *f)
{
	return (struct cz_allocator){ f, &cz__failing_vt };
}

void cz_failing_deinit(struct cz_failing *f)
{
	cz__on_destroy(f->id);
	f->id = 0;
}
