/* zstd.c - the zstd side of chunk compression (see czt_zstd.h). */
#include <zstd.h>

#include "format/czt.h"
#include "format/czt_zstd.h"

/* The opaque type is zstd's own context. */
struct czt_zstd_dctx *czt_zstd_dctx_new(void)
{
	return (struct czt_zstd_dctx *)ZSTD_createDCtx();
}

void czt_zstd_dctx_free(struct czt_zstd_dctx *d)
{
	ZSTD_freeDCtx((ZSTD_DCtx *)d);
}

int czt_zstd_decompress(struct czt_zstd_dctx *d, void *dst, size_t raw_len, const void *src,
			size_t src_len)
{
	size_t n = d ? ZSTD_decompressDCtx((ZSTD_DCtx *)d, dst, raw_len, src, src_len)
		     : ZSTD_decompress(dst, raw_len, src, src_len);
	if (ZSTD_isError(n) || n != raw_len)
		return CZT_ERR_CORRUPT;
	return CZT_OK;
}
