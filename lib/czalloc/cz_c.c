/*
 * cz_c.c - the libc allocator: malloc and free (aligned_alloc beyond the
 * alignment malloc guarantees), resize in place within the usable size,
 * remap through realloc.  Its blocks are not reported to the profiler
 * with an allocator id: the recorder already sees them as malloc calls.
 */
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>

#include "lib/czalloc/cz_internal.h"

/* the profiler's id, announced on first use; the ctx points at it */
static uint64_t c_id;
static pthread_once_t c_once = PTHREAD_ONCE_INIT;

static void cz__c_announce(void)
{
	if (cz__hooks)
		c_id = cz__hooks->allocator_new(CZPROF_KIND_C, 0, "libc");
}

static void *cz__c_alloc(void *ctx, size_t len, size_t align, uintptr_t ret)
{
	(void)ctx;
	(void)ret;
	if (align <= alignof(max_align_t))
		return malloc(len);
	/* aligned_alloc wants a multiple of the alignment */
	size_t rounded = (len + align - 1) & ~(align - 1);
	return rounded < len ? NULL : aligned_alloc(align, rounded);
}

static int cz__c_resize(void *ctx, void *mem, size_t len, size_t align, size_t new_len, uintptr_t ret)
{
	(void)ctx;
	(void)len;
	(void)align;
	(void)ret;
	return new_len <= malloc_usable_size(mem);
}

static void *cz__c_remap(void *ctx, void *mem, size_t len, size_t align, size_t new_len, uintptr_t ret)
{
	(void)ctx;
	(void)len;
	(void)ret;
	/* realloc keeps only malloc's alignment: refuse, the caller copies */
	return align <= alignof(max_align_t) ? realloc(mem, new_len) : NULL;
}

static void cz__c_free(void *ctx, void *mem, size_t len, size_t align, uintptr_t ret)
{
	(void)ctx;
	(void)len;
	(void)align;
	(void)ret;
	free(mem);
}

const struct cz_allocator_vtable cz__c_vt = { cz__c_alloc, cz__c_resize, cz__c_remap, cz__c_free };

struct cz_allocator cz_c_allocator(void)
{
	pthread_once(&c_once, cz__c_announce);
	return (struct cz_allocator){ &c_id, &cz__c_vt };
}
