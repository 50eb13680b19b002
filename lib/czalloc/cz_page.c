/*
 * cz_page.c - the page allocator: every block is its own mmap, rounded up
 * to whole pages (so alignment up to a page comes free); shrinking unmaps
 * the tail in place, growing moves through mremap.  For big buffers and as
 * the parent of arenas that should not touch the heap.
 */
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/czalloc/cz_internal.h"

static uint64_t page_id;
static pthread_once_t page_once = PTHREAD_ONCE_INIT;
static size_t page_size;

static void cz__page_start(void)
{
	page_size = (size_t)sysconf(_SC_PAGESIZE);
	if (cz__hooks)
		page_id = cz__hooks->allocator_new(CZPROF_KIND_PAGE, 0, "pages");
}

/* len rounded up to whole pages; 0 when that overflows */
static size_t page_round(size_t len)
{
	return len > SIZE_MAX - page_size ? 0 : (len + page_size - 1) & ~(page_size - 1);
}

static void *cz__page_alloc(void *ctx, size_t len, size_t align, uintptr_t ret)
{
	(void)ret;
	size_t n = page_round(len);
	if (align > page_size || !n)
		return NULL;
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	cz__on_alloc(*(uint64_t *)ctx, p, len);
	return p;
}

static int cz__page_resize(void *ctx, void *mem, size_t len, size_t align, size_t new_len, uintptr_t ret)
{
	(void)align;
	(void)ret;
	size_t old = page_round(len), now = page_round(new_len);
	if (!now || now > old)
		return 0;
	if (now < old)
		munmap((char *)mem + now, old - now);
	cz__on_resize(*(uint64_t *)ctx, mem, mem, new_len);
	return 1;
}

static void *cz__page_remap(void *ctx, void *mem, size_t len, size_t align, size_t new_len, uintptr_t ret)
{
	(void)align;
	(void)ret;
	size_t now = page_round(new_len);
	if (!now)
		return NULL;
	void *p = mremap(mem, page_round(len), now, MREMAP_MAYMOVE);
	if (p == MAP_FAILED)
		return NULL;
	cz__on_resize(*(uint64_t *)ctx, mem, p, new_len);
	return p;
}

static void cz__page_free(void *ctx, void *mem, size_t len, size_t align, uintptr_t ret)
{
	(void)align;
	(void)ret;
	cz__on_free(*(uint64_t *)ctx, mem);
	munmap(mem, page_round(len));
}

const struct cz_allocator_vtable cz__page_vt = {
	cz__page_alloc, cz__page_resize, cz__page_remap, cz__page_free
};

struct cz_allocator cz_page_allocator(void)
{
	pthread_once(&page_once, cz__page_start);
	return (struct cz_allocator){ &page_id, &cz__page_vt };
}
