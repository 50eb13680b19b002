/*
 * readahead.h - between decode.c and readahead.c only (czt.h has the
 * switch, czt_reader_read_ahead).  The worker thread of readahead.c reads
 * chunks with a reader of its own over the same file (a twin: its own
 * position, buffers, zstd context and join scratch) and hands them to
 * czt_reader_next_chunk in file order; decode.c then does with each what
 * it would have done after reading it itself.
 *
 * decode.c reaches readahead.c only through the ops a reader is given, so
 * that a program links readahead.c, and threads, only if it turns read-ahead
 * on.
 */
#ifndef CZT_READAHEAD_H
#define CZT_READAHEAD_H

#include <stddef.h>
#include <stdint.h>

struct czt_reader;
struct czt_ahead;

/* One chunk as the worker read it. */
struct czt_fetched {
	int rc;          /* CZT_OK; CZT_EOF or the error reading it gave: the worker stopped there */
	int head_ok;     /* the chunk header was read and is sound: the fields below hold */
	uint64_t off;    /* where the chunk starts */
	uint64_t size;   /* the file size the worker saw before reading it */
	unsigned type, flags;
	uint32_t stored_len, raw_len;
	uint32_t crc, hcrc; /* the header's checksum field; the CRC of its first 12 bytes */
	const uint8_t *payload; /* rc == CZT_OK: raw_len bytes in the worker's slot */
};

/* readahead.c's side. */
struct czt_ahead_ops {
	/* The next chunk in file order, waiting for the worker if it is not
	 * read yet; the one taken before is given back.  Valid until the next
	 * take or stop.  NULL: the worker ended before it. */
	const struct czt_fetched *(*take)(struct czt_ahead *a);
	/* Ends the worker and joins it; the chunk taken last stays valid. */
	void (*stop)(struct czt_ahead *a);
	/* Stops it and frees everything, the twin reader included. */
	void (*free)(struct czt_ahead *a);
};

/* decode.c's side. */

/* A twin of r at its position (the caller owns it: czt__twin_free, which
 * leaves the file open); NULL: out of memory. */
struct czt_reader *czt__twin_new(const struct czt_reader *r);
void czt__twin_free(struct czt_reader *w);

/* Reads the chunk at w's position into *f, its payload into *buf (of *cap
 * bytes, grown to at most CZT_CHUNK_MAX_RAW; the caller frees it), and
 * steps w past it when it was read whole. */
void czt__fetch(struct czt_reader *w, struct czt_fetched *f, uint8_t **buf, size_t *cap);

/* 1: r may be given a worker; 0: it has one; -1: never (a memory reader,
 * a skimming one, or one whose worker ended). */
int czt__may_read_ahead(const struct czt_reader *r);

/* Gives r the worker a; r frees it (ops->free) in czt_reader_free. */
void czt__attach(struct czt_reader *r, struct czt_ahead *a, const struct czt_ahead_ops *ops);

#endif
