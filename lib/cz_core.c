/*
 * cz_core.c - the helpers every caller uses (cz_alloc, cz_realloc, ...)
 * and the libc and page allocators.
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/cz_internal.h"

/* Where zero-length requests point: unique, never dereferenced. */
static char zero_block[1];

void *cz_alloc(struct cz_allocator a, size_t len, size_t align)
{
	if (!len)
		return zero_block;
	return a.vt->alloc(a.ctx, len, align ? align : 1, CZ_RET_ADDR);
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
	return cz_alloc(a, total, align);
}

void cz_free_array(struct cz_allocator a, void *mem, size_t n, size_t size, size_t align)
{
	cz_free(a, mem, n * size, align);
}

void *cz_realloc(struct cz_allocator a, void *mem, size_t len, size_t new_len, size_t align)
{
	if (!mem || mem == zero_block || !len)
		return cz_alloc(a, new_len, align);
	if (!new_len) {
		cz_free(a, mem, len, align);
		return zero_block;
	}
	align = align ? align : 1;
	if (a.vt->resize(a.ctx, mem, len, align, new_len, CZ_RET_ADDR))
		return mem;
	void *p = a.vt->remap(a.ctx, mem, len, align, new_len, CZ_RET_ADDR);
	if (p)
		return p;
	p = a.vt->alloc(a.ctx, new_len, align, CZ_RET_ADDR);
	if (!p)
		return NULL;
	memcpy(p, mem, len < new_len ? len : new_len);
	a.vt->free(a.ctx, mem, len, align, CZ_RET_ADDR);
	return p;
}

void *cz_dup(struct cz_allocator a, const void *src, size_t len)
{
	void *p = cz_alloc(a, len, 1);
	if (p && len)
		memcpy(p, src, len);
	return p;
}

char *cz_strdup(struct cz_allocator a, const char *s)
{
	return cz_dup(a, s, strlen(s) + 1);
}

void cz_free_str(struct cz_allocator a, char *s)
{
	if (s)
		cz_free(a, s, strlen(s) + 1, 1);
}

/* ---- libc ---- */

/* announced once, on first use; the id is the ctx */
static uint64_t c_id, page_id;
static pthread_once_t c_once = PTHREAD_ONCE_INIT, page_once = PTHREAD_ONCE_INIT;

static void c_announce(void)
{
	if (cz__hooks)
		c_id = cz__hooks->allocator_new(CZPROF_KIND_C, 0, "libc");
}

static void page_announce(void)
{
	if (cz__hooks)
		page_id = cz__hooks->allocator_new(CZPROF_KIND_PAGE, 0, "pages");
}

static void *c_alloc(void *ctx, size_t len, size_t align, uintptr_t ret)
{
	(void)ctx;
	(void)ret;
	if (align <= alignof(max_align_t))
		return malloc(len);
	/* aligned_alloc wants a multiple of the alignment */
	size_t rounded = (len + align - 1) & ~(align - 1);
	return rounded < len ? NULL : aligned_alloc(align, rounded);
}

static int c_resize(void *ctx, void *mem, size_t len, size_t align, size_t new_len, uintptr_t ret)
{
	(void)ctx;
	(void)len;
	(void)align;
	(void)ret;
	return new_len <= malloc_usable_size(mem);
}

static void *c_remap(void *ctx, void *mem, size_t len, size_t align, size_t new_len, uintptr_t ret)
{
	(void)ctx;
	(void)len;
	(void)ret;
	return align <= alignof(max_align_t) ? realloc(mem, new_len) : NULL;
}

static void c_free(void *ctx, void *mem, size_t len, size_t align, uintptr_t ret)
{
	(void)ctx;
	(void)len;
	(void)align;
	(void)ret;
	free(mem);
}

const struct cz_allocator_vtable cz__c_vt = { c_alloc, c_resize, c_remap, c_free };

struct cz_allocator cz_c_allocator(void)
{
	pthread_once(&c_once, c_announce);
	return (struct cz_allocator){ &c_id, &cz__c_vt };
}

/* ---- pages ---- */

static size_t page_round(size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	return (len + page - 1) & ~(page - 1);
}

static void *page_alloc(void *ctx, size_t len, size_t align, uintptr_t ret)
{
	(void)ret;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	if (align > page || page_round(len) < len)
		return NULL;
	void *p = mmap(NULL, page_round(len), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	cz__on_alloc(*(uint64_t *)ctx, p, len);
	return p;
}

static int page_resize(void *ctx, void *mem, size_t len, size_t align, size_t new_len, uintptr_t ret)
{
	(void)align;
	(void)ret;
	size_t old = page_round(len), now = page_round(new_len);
	if (now > old)
		return 0;
	if (now < old)
		munmap((char *)mem + now, old - now);
	cz__on_resize(*(uint64_t *)ctx, mem, mem, new_len);
	return 1;
}

static void *page_remap(void *ctx, void *mem, size_t len, size_t align, size_t new_len, uintptr_t ret)
{
	(void)align;
	(void)ret;
	void *p = mremap(mem, page_round(len), page_round(new_len), MREMAP_MAYMOVE);
	if (p == MAP_FAILED)
		return NULL;
	cz__on_resize(*(uint64_t *)ctx, mem, p, new_len);
	return p;
}

static void page_free(void *ctx, void *mem, size_t len, size_t align, uintptr_t ret)
{
	(void)align;
	(void)ret;
	cz__on_free(*(uint64_t *)ctx, mem);
	munmap(mem, page_round(len));
}

const struct cz_allocator_vtable cz__page_vt = { page_alloc, page_resize, page_remap, page_free };

struct cz_allocator cz_page_allocator(void)
{
	pthread_once(&page_once, page_announce);
	return (struct cz_allocator){ &page_id, &cz__page_vt };
}
