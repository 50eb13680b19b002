/*
 * czt_pack.h - a chunk made ready for the file: an EVENTS payload in the
 * column form (czt_model.h, each stream compressed on its own), any
 * payload as one compressed frame, or raw; czt_chunk_seal's header on it.
 * The reader undoes each (decode.c).
 *
 * Nothing here allocates, and nothing here compresses by itself: the
 * caller passes the compressor and every buffer.  So the recorder packs
 * inside the program's malloc with its own contexts and memory
 * (lib/recorder/rec_flusher.c), and a test packs with anything zstd.
 */
#ifndef CZT_PACK_H
#define CZT_PACK_H

#include <stddef.h>
#include <stdint.h>

/* Compresses src[0..len) into one zstd frame at dst (room for cap bytes)
 * with the context ctx.  Returns the frame's length, or 0 when it does not
 * fit in cap (cap = len - 1 asks "only if smaller") or anything failed. */
typedef size_t (*czt_compress_fn)(void *ctx, void *dst, size_t cap, const void *src, size_t len);

/* Payloads shorter than this stay raw: a zstd frame's own header and block
 * headers take about 10 bytes, so they seldom shrink. */
#define CZT_PACK_MIN 64
/* EVENTS payloads shorter than this go as one frame: the column form's
 * table and its streams' own frames outweigh what it gains (a program that
 * allocates a hundred times, a thread's last few events). */
#define CZT_PACK_MIN_COLUMNS 4096

/* The column form's scratch, all the caller's. */
struct czt_columns_mem {
	uint8_t *streams; /* czt_model_split_bytes(room) bytes */
	size_t room;      /* the longest payload it takes */
	uint8_t *packed;  /* room bytes or more: the streams compressed */
	void *model;      /* czt_model_scratch_bytes(room or more), zeroed before its first use */
};

/* How to pack.  The compressors share ctx, one call at a time. */
struct czt_pack {
	czt_compress_fn frame;  /* a payload as one frame; NULL: every chunk raw */
	czt_compress_fn stream; /* each stream of the column form */
	void *ctx;
	/* CZT_CHUNK_HEADER_LEN + the longest payload bytes: where a packed
	 * chunk is built */
	uint8_t *out;
	/* NULL: no column form; else used for EVENTS payloads of
	 * CZT_PACK_MIN_COLUMNS to columns->room bytes */
	const struct czt_columns_mem *columns;
};

/* Writes the EVENTS payload[0..len) in column form at dst: the streams'
 * table, then each stream compressed with fn (a tiny one, or one that does
 * not shrink, raw).  len <= m->room.  Returns its length, or 0 when it
 * does not come out shorter than cap, or the payload cannot be split (it
 * then goes another way). */
size_t czt_pack_columns(const struct czt_columns_mem *m, czt_compress_fn fn, void *ctx,
			const uint8_t *payload, size_t len, uint8_t *dst, size_t cap);

/* Makes the chunk at chunk (CZT_CHUNK_HEADER_LEN bytes of room, then the
 * payload_len bytes of a type chunk's raw payload) ready to write, and
 * returns it with *len its total length: packed into p->out when that is
 * smaller (in column form when p allows it, else as one frame), otherwise
 * raw in place at chunk.  p NULL: raw.  What it returns stays valid until
 * p->out or chunk is written again. */
const uint8_t *czt_chunk_pack(const struct czt_pack *p, unsigned type, uint8_t *chunk,
			      size_t payload_len, size_t *len);

#endif
