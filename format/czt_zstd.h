/*
 * czt_zstd.h - chunk compression.  format/zstd.c is the only file that
 * includes zstd.h.
 */
#ifndef CZT_ZSTD_H
#define CZT_ZSTD_H

#include <stddef.h>
#include <stdint.h>

/* Decompresses one zstd frame src[0..src_len) into exactly raw_len bytes at
 * dst.  Returns CZT_OK, or CZT_ERR_CORRUPT when the frame is damaged or its
 * size differs from raw_len. */
int czt_zstd_decompress(void *dst, size_t raw_len, const void *src, size_t src_len);

#endif
