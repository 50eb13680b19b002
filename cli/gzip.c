/*
 * gzip.c - see gzip.h.
 */
#include "cli/gzip.h"

uint32_t gzip_crc32(uint32_t crc, const void *data, size_t len)
{
	static uint32_t table[256];
	if (!table[1])
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;
			for (int k = 0; k < 8; k++)
				c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
			table[i] = c;
		}
	const uint8_t *p = data;
	crc = ~crc;
	while (len--)
		crc = table[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
	return ~crc;
}

static void put32(FILE *out, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		fputc((int)(v >> (8 * i)) & 0xFF, out);
}

int gzip_write_stored(FILE *out, const void *data, size_t len)
{
	/* magic, deflate, no flags, no mtime, no extra flags, OS unknown */
	static const uint8_t header[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff };
	fwrite(header, 1, sizeof(header), out);
	const uint8_t *p = data;
	size_t left = len;
	do {
		size_t n = left > 65535 ? 65535 : left;
		fputc(n == left ? 1 : 0, out); /* BFINAL on the last, BTYPE 00: stored */
		fputc((int)(n & 0xFF), out);
		fputc((int)(n >> 8), out);
		fputc((int)(~n & 0xFF), out);
		fputc((int)((~n >> 8) & 0xFF), out);
		fwrite(p, 1, n, out);
		p += n;
		left -= n;
	} while (left);
	put32(out, gzip_crc32(0, data, len));
	put32(out, (uint32_t)len);
	return ferror(out) ? -1 : 0;
}
