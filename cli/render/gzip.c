/*
 * gzip.c - see gzip.h.
 */
#include <limits.h>
#include <zlib.h>

#include "cli/render/gzip.h"

int gzip_write(FILE *out, const void *data, size_t len)
{
	z_stream z = { 0 };
	/* windowBits 15 + 16: a gzip header and trailer around the deflate stream */
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	unsigned char buf[1 << 16];
	const unsigned char *p = data;
	size_t left = len;
	int zr = Z_OK, rc = 0;
	while (zr != Z_STREAM_END && !rc) {
		if (!z.avail_in && left) { /* avail_in is an unsigned int: feed big data in parts */
			z.next_in = (unsigned char *)p;
			z.avail_in = left > UINT_MAX ? UINT_MAX : (unsigned)left;
			p += z.avail_in;
			left -= z.avail_in;
		}
		z.next_out = buf;
		z.avail_out = sizeof(buf);
		zr = deflate(&z, left || z.avail_in ? Z_NO_FLUSH : Z_FINISH);
		if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR)
			rc = -1;
		size_t n = sizeof(buf) - z.avail_out;
		if (n && fwrite(buf, 1, n, out) != n)
			rc = -1;
	}
	deflateEnd(&z);
	return rc || ferror(out) ? -1 : 0;
}
