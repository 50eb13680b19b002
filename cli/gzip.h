/*
 * gzip.h - writes data as a gzip member (RFC 1952) whose deflate stream
 * (RFC 1951) uses stored blocks: valid for every gunzip, no compression
 * library needed.  Used for pprof files, which readers expect gzipped.
 */
#ifndef CZ_GZIP_H
#define CZ_GZIP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* CRC-32 (IEEE 802.3, as gzip uses). */
uint32_t gzip_crc32(uint32_t crc, const void *data, size_t len);

/* Returns 0, or -1 if the stream reports an error. */
int gzip_write_stored(FILE *out, const void *data, size_t len);

#endif
