/*
 * czt_model.h - the column form of an EVENTS chunk (FORMAT.md, "Column
 * chunks").
 *
 * A general compressor sees an EVENTS payload as one byte stream in which
 * times, addresses, sizes and stack ids alternate, so each kind of field
 * dilutes the statistics of the others, and the address of a block being
 * freed looks random although the same chunk allocated it a moment ago.
 * The column form takes the records apart: each kind of field goes to its
 * own stream, compressed on its own; the address of a block being freed is
 * written as a back-reference to the allocation that returned it; and an
 * allocation's address as a reference to a block of its size class freed
 * shortly before, or as the distance from where the previous allocation
 * ended, which is what allocators mostly hand out.
 *
 * The transform is lossless at the byte level: czt_model_join rebuilds the
 * exact payload czt_model_split was given, so the rest of the format is
 * untouched and a chunk's raw_len and records mean what they always did.
 *
 * Nothing here allocates: the recorder splits inside malloc.  The caller
 * provides every buffer, sized with the *_bytes functions below.
 */
#ifndef CZT_MODEL_H
#define CZT_MODEL_H

#include <stddef.h>
#include <stdint.h>

/* The streams, in the order a chunk stores them.  A varint column is three
 * streams: the first byte of each varint, the second bytes, and all later
 * bytes; each byte position of a varint has its own statistics. */
#define CZT_PLANES 4
#define CZT_TIME_CONTEXTS 2

enum czt_stream {
	CZT_S_OPS,     /* one byte per record: its type */
	CZT_S_REFS,    /* per address of an existing block: 0, or a back-reference */
	CZT_S_HINTS,   /* per address of a new block: how it is written */
	CZT_S_MISC,    /* tid, base_time, other fields, length-prefixed records whole */
	/* dt of every record but frees, in one varint column per context:
	 * the size of the column's previous dt (see model.c) */
	CZT_S_TIMES,
	CZT_S_FTIMES = CZT_S_TIMES + CZT_TIME_CONTEXTS * CZT_PLANES, /* dt of frees, likewise */
	CZT_S_ADDRS = CZT_S_FTIMES + CZT_TIME_CONTEXTS * CZT_PLANES,
	/* CZT_S_ADDRS: new blocks' addresses not given by a hint */
	CZT_S_FADDRS = CZT_S_ADDRS + CZT_PLANES, /* existing blocks' addresses not referenced */
	CZT_S_SIZES = CZT_S_FADDRS + CZT_PLANES,
	CZT_S_STACKS = CZT_S_SIZES + CZT_PLANES,
	CZT_STREAMS = CZT_S_STACKS + CZT_PLANES
};

struct czt_streams {
	uint8_t *s[CZT_STREAMS];
	size_t len[CZT_STREAMS];
};

/* The most bytes the streams of a payload of raw_len bytes hold together;
 * a reader refuses a chunk that claims more.  The splitter's room is
 * CZT_STREAMS times that (czt_model_split_bytes): it cannot know
 * beforehand which stream will be long. */
size_t czt_model_streams_max(size_t raw_len);
size_t czt_model_split_bytes(size_t raw_len);

/* Scratch memory for czt_model_split or czt_model_join over payloads of at
 * most max_raw bytes.  It must be zeroed before its first use (memory from
 * mmap or calloc is); after that one buffer serves every chunk, and every
 * smaller max_raw. */
size_t czt_model_scratch_bytes(size_t max_raw);

/*
 * Splits the EVENTS payload src[0..len) into streams placed in mem
 * (czt_model_split_bytes(max_raw) bytes); out->s[] point into it.  scratch
 * as above, with len <= max_raw.  Returns 0, or -1 when the payload is not
 * a well-formed EVENTS payload (the caller then stores it another way).
 * Each stream starts at the same place whatever len is, so that splitting
 * chunks of many lengths touches no more of mem than the longest streams
 * reach (the recorder's resident memory stays bounded).
 */
int czt_model_split(const uint8_t *src, size_t len, void *mem, void *scratch, size_t max_raw,
		    struct czt_streams *out);

/*
 * Rebuilds the payload from the streams in into dst, which must come out
 * exactly raw_len bytes long.  scratch as above, with raw_len <= max_raw.
 * Returns 0, or -1 when the streams are inconsistent: one runs short or has
 * bytes left over, a reference points outside the chunk's allocations, the
 * output would differ in length from raw_len.  Never reads or writes out of
 * bounds.
 */
int czt_model_join(const struct czt_streams *in, uint8_t *dst, size_t raw_len, void *scratch,
		   size_t max_raw);

/*
 * Counts the events of a chunk from its OPS, TIMES and FTIMES streams alone
 * (the others may be empty): adds their number to *events and raises
 * *end_time to the last one's time, base_time being the chunk's.  For
 * readers that only follow a trace; the join costs several times more.
 * Returns 0, or -1 when those streams are inconsistent.
 */
int czt_model_scan(const struct czt_streams *in, uint64_t base_time, uint64_t *events,
		   uint64_t *end_time);

/*
 * The stored payload of a column chunk: varint CZT_STREAMS, then for each
 * stream varint raw_len and varint stored_len, then the streams' stored
 * bytes in order.  A stream is stored raw when stored_len == raw_len and
 * as one zstd frame of raw_len bytes when stored_len < raw_len.
 */
#define CZT_COLUMNS_HEADER_MAX (1 + CZT_STREAMS * 2 * 10)

/* Writes the table into dst (CZT_COLUMNS_HEADER_MAX bytes of room); returns
 * its length. */
size_t czt_columns_header_put(uint8_t *dst, const size_t raw_len[CZT_STREAMS],
			      const size_t stored_len[CZT_STREAMS]);

/* Reads the table at [*p, end) into raw_len[] and stored_len[] and moves *p
 * past it.  Returns 0, or -1 when it is malformed: another stream count, streams
 * longer than czt_model_streams_max(chunk_raw) together, stored_len >
 * raw_len, or stored lengths that do not add up to exactly what follows. */
int czt_columns_header_get(const uint8_t **p, const uint8_t *end, size_t chunk_raw,
			   size_t raw_len[CZT_STREAMS], size_t stored_len[CZT_STREAMS]);

#endif
