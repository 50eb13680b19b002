/*
 * gzip.h - data written as one gzip member (RFC 1952), deflated by zlib:
 * pprof readers expect their profiles gzipped.  The only file that
 * includes zlib.h.
 */
#ifndef CZPROF_CLI_RENDER_GZIP_H
#define CZPROF_CLI_RENDER_GZIP_H

#include <stddef.h>
#include <stdio.h>

/* Compresses data[0..len) into out as a complete gzip member (header,
 * deflate stream, CRC-32 and length).  data stays the caller's.  Returns
 * 0, or -1 when zlib fails (no memory) or the stream reports an error;
 * out then holds a partial member. */
int gzip_write(FILE *out, const void *data, size_t len);

#endif
