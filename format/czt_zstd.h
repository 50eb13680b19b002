/*
 * czt_zstd.h - chunk compression.  format/zstd.c is the only file that
 * includes zstd.h.
 */
#ifndef CZT_ZSTD_H
#define CZT_ZSTD_H

#include <stddef.h>
#include <stdint.h>

/* A decompression context for many chunks in turn: zstd's one-shot call
 * makes and frees a context of some 100 KiB per chunk, which costs more
 * than decompressing a 64 KiB chunk. */
struct czt_zstd_dctx;
/* NULL when out of memory. */
struct czt_zstd_dctx *czt_zstd_dctx_new(void);
void czt_zstd_dctx_free(struct czt_zstd_dctx *d); /* d may be NULL */

/* Decompresses one zstd frame src[0..src_len) into exactly raw_len bytes at
 * dst, with context d (NULL: a one-shot context).  Returns CZT_OK, or
 * CZT_ERR_CORRUPT when the frame is damaged or its size differs from
 * raw_len. */
int czt_zstd_decompress(struct czt_zstd_dctx *d, void *dst, size_t raw_len, const void *src,
			size_t src_len);

#endif
