/*
 * cz_core.c - the helpers every caller uses (cz_alloc, cz_realloc, ...):
 * they check sizes and alignments, handle zero lengths and pass the
 * caller's return address down, so that allocators never see a zero or
 * an overflowed length.
 */
#include <assert.h>
#include <string.h>

#include "lib/czalloc/cz_internal.h"

/* Where every zero-length block points: not NULL (which means out of
 * memory), never dereferenced, never given to an allocator. */
static char zero_block[1];

/* Every helper passes its own caller's return address down, so that a
 * block made by cz_strdup names the program's call, not cz_dup's. */
static void *alloc_at(struct cz_allocator a, size_t len, size_t align, uintptr_t ret)
{
	assert(!(align & (align - 1))); /* 0 or a power of two */
	if (!len)
		return zero_block;
	return a.vt->alloc(a.ctx, len, align ? align : 1, ret);
}

void *cz_alloc(struct cz_allocator a, size_t len, size_t align)
{
	return alloc_at(a, len, align, CZ_RET_ADDR);
}

void cz_free(struct cz_allocator a, void *mem, size_t len, size_t align)
{
	if (!mem || mem == zero_block || !len)
		return;
	a.vt->free(a.ctx, mem, len, align ? align : 1, CZ_RET_ADDR);
}

void *cz_alloc_array(struct cz_allocator a, size_t n, size_t size, size_t align)
{
	size_t total;
	if (__builtin_mul_overflow(n, size, &total))
		return NULL;
	return alloc_at(a, total, align, CZ_RET_ADDR);
}

void cz_free_array(struct cz_allocator a, void *mem, size_t n, size_t size, size_t align)
{
	if (mem && mem != zero_block && n && size)
		a.vt->free(a.ctx, mem, n * size, align ? align : 1, CZ_RET_ADDR);
}

static void *realloc_at(struct cz_allocator a, void *mem, size_t len, size_t new_len, size_t align, uintptr_t ret);

void *cz_realloc(struct cz_allocator a, void *mem, size_t len, size_t new_len, size_t align)
{
	return realloc_at(a, mem, len, new_len, align, CZ_RET_ADDR);
}

void *cz_realloc_array(struct cz_allocator a, void *mem, size_t n, size_t new_n, size_t size, size_t align)
{
	size_t len, new_len;
	if (__builtin_mul_overflow(n, size, &len) || __builtin_mul_overflow(new_n, size, &new_len))
		return NULL;
	return realloc_at(a, mem, len, new_len, align, CZ_RET_ADDR);
}

static void *realloc_at(struct cz_allocator a, void *mem, size_t len, size_t new_len, size_t align, uintptr_t ret)
{
	if (!mem || mem == zero_block || !len)
		return alloc_at(a, new_len, align, ret);
	if (!new_len) {
		a.vt->free(a.ctx, mem, len, align ? align : 1, ret);
		return zero_block;
	}
	assert(!(align & (align - 1)));
	align = align ? align : 1;
	if (a.vt->resize(a.ctx, mem, len, align, new_len, ret))
		return mem;
	void *p = a.vt->remap(a.ctx, mem, len, align, new_len, ret);
	if (p)
		return p;
	p = a.vt->alloc(a.ctx, new_len, align, ret);
	if (!p)
		return NULL;
	memcpy(p, mem, len < new_len ? len : new_len);
	a.vt->free(a.ctx, mem, len, align, ret);
	return p;
}

static void *dup_at(struct cz_allocator a, const void *src, size_t len, uintptr_t ret)
{
	void *p = alloc_at(a, len, 1, ret);
	if (p && len)
		memcpy(p, src, len);
	return p;
}

void *cz_dup(struct cz_allocator a, const void *src, size_t len)
{
	return dup_at(a, src, len, CZ_RET_ADDR);
}

char *cz_strdup(struct cz_allocator a, const char *s)
{
	return dup_at(a, s, strlen(s) + 1, CZ_RET_ADDR);
}

void cz_free_str(struct cz_allocator a, char *s)
{
	if (s)
		a.vt->free(a.ctx, s, strlen(s) + 1, 1, CZ_RET_ADDR);
}

void *cz__remap_never(void *ctx, void *mem, size_t len, size_t align, size_t new_len, uintptr_t ret)
{
	return NULL;
}
