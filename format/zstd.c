/* zstd.c - the zstd side of chunk compression (see czt_zstd.h). */
#include <zstd.h>

#include "format/czt.h"
#include "format/czt_zstd.h"

int czt_zstd_decompress(void *dst, size_t raw_len, const void *src, size_t src_len)
{
	size_t n = ZSTD_decompress(dst, raw_len, src, src_len);
	if (ZSTD_isError(n) || n != raw_len)
		return CZT_ERR_CORRUPT;
	return CZT_OK;
}
