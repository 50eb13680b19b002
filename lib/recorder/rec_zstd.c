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

#include "lib/recorder/rec.h"
#include "lib/recorder/rec_mmap.h"

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

/* The parameters of rec_zstd_compress_sparse, kept by the context between
 * calls (rec_zstd_compress's one-shot call does not touch them).  The
 * streams of a column chunk are mostly the digits of numbers, which repeat
 * little: matches are looked for sparsely (the fast strategy's step of 16;
 * it halves the time on these streams, and on the bench programs' streams
 * even the size), and literals are always entropy coded, which zstd would
 * stop doing once the step grows. */
static void sparse_params(struct rec_zstd *z)
{
	ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_compressionLevel, z->level);
	ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_targetLength, 16);
	ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_literalCompressionMode, ZSTD_ps_enable);
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
	if (!z->cctx)
		return NULL; /* the mapping stays: it is small and this is rare */
	sparse_params(z);
	return z;
}

void rec_zstd_reset(struct rec_zstd *z)
{
	if (!z)
		return;
	z->cctx = ZSTD_initStaticCCtx(z->workspace, z->workspace_len);
	if (z->cctx)
		sparse_params(z);
}

size_t rec_zstd_compress_sparse(struct rec_zstd *z, void *dst, size_t cap, const void *src,
				size_t len)
{
	if (!z || !z->cctx)
		return 0;
	size_t n = ZSTD_compress2(z->cctx, dst, cap, src, len);
	return ZSTD_isError(n) ? 0 : n;
}

size_t rec_zstd_compress(struct rec_zstd *z, void *dst, size_t cap, const void *src, size_t len)
{
	if (!z || !z->cctx)
		return 0;
	size_t n = ZSTD_compressCCtx(z->cctx, dst, cap, src, len, z->level);
	return ZSTD_isError(n) ? 0 : n;
}
