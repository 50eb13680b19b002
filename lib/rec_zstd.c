/*
 * rec_zstd.c - chunk compression for the recorder; the only recorder file
 * that includes zstd.h.
 *
 * zstd must never call the program's malloc from here: the recorder
 * interposes malloc, and an allocation made while a chunk is written
 * would be recorded into the very buffers being written (or deadlock on
 * their locks).  So each context is a static one (ZSTD_initStaticCCtx)
 * in memory from rec_mmap, sized once for the largest chunk it will see;
 * zstd then has nothing to allocate, and reports an error instead of
 * allocating if it ever needed more.  The threads that compress also run
 * with rec_guard set, so even a stray allocation would pass unrecorded.
 */
/* The static-context functions are in zstd's "experimental" section, but
 * the shared library exports them and their signatures have not changed
 * since zstd 1.3. */
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>

#include "lib/rec.h"

struct rec_zstd {
	ZSTD_CCtx *cctx;
	void *workspace;
	size_t workspace_len;
	int level;
};

/* The parameters zstd picks for a level and an input size: a smaller input
 * never needs more workspace than the largest one the context was made
 * for. */
static ZSTD_compressionParameters params_for(int level, size_t src_len)
{
	return ZSTD_getCParams(level, (unsigned long long)src_len, 0);
}

struct rec_zstd *rec_zstd_new(int level, size_t max_src)
{
	size_t need = ZSTD_estimateCCtxSize_usingCParams(params_for(level, max_src));
	struct rec_zstd *z = rec_mmap(sizeof(*z) + need);
	if (!z)
		return NULL;
	z->workspace = z + 1; /* page aligned plus a small struct: 8-byte aligned */
	z->workspace_len = need;
	z->level = level;
	z->cctx = ZSTD_initStaticCCtx(z->workspace, need);
	return z->cctx ? z : NULL; /* the mapping stays: it is small and this is rare */
}

void rec_zstd_reset(struct rec_zstd *z)
{
	if (z)
		z->cctx = ZSTD_initStaticCCtx(z->workspace, z->workspace_len);
}

size_t rec_zstd_compress(struct rec_zstd *z, void *dst, size_t cap, const void *src, size_t len)
{
	if (!z || !z->cctx)
		return 0;
	size_t n = ZSTD_compressCCtx(z->cctx, dst, cap, src, len, z->level);
	return ZSTD_isError(n) ? 0 : n;
}
