/*
 * test_pack.c - a chunk packed for the file (format/pack.c) and read back
 * by the reader (format/decode.c): in column form, as one frame and raw,
 * every field of every event as it was written.
 */
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "format/czt.h"
#include "format/czt_model.h"
#include "format/czt_pack.h"
#include "tests/unit.h"

/* 3,000 events of about 9 bytes each: a 27 KiB payload, past
 * CZT_PACK_MIN_COLUMNS, in a buffer the size of the recorder's smallest */
#define EVENTS 3000
#define CAP (64 * 1024)
#define TID 77
#define BASE 1000

static uint8_t chunk[CAP];
static struct czt_record want[EVENTS];

/* The compressor the recorder would pass, with one-shot zstd; counts its
 * calls through ctx. */
static size_t compress(void *ctx, void *dst, size_t cap, const void *src, size_t len)
{
	(*(int *)ctx)++;
	size_t n = ZSTD_compress(dst, cap, src, len, 1);
	return ZSTD_isError(n) ? 0 : n;
}

/* Fills chunk with n events of every kind the hot path writes (allocations
 * of each C type and of C++ operators, frees with and without a stack, the
 * four realloc forms), remembering each in want[]; returns the payload's
 * length.  Addresses repeat (a freed block is allocated again) as in a
 * program, so that the column form's back-references are exercised. */
static size_t fill(int n)
{
	struct czt_enc e;
	czt_enc_init(&e, chunk, CAP, CZT_CHUNK_EVENTS, TID, BASE);
	uint64_t t = BASE;
	for (int i = 0; i < n; i++) {
		struct czt_record *w = &want[i];
		memset(w, 0, sizeof(*w));
		t += 1 + (uint64_t)(i % 7) * 13;
		uint64_t addr = 0x5555aaaa0000ull + (uint64_t)(i % 97) * 64;
		uint64_t size = 16 + (uint64_t)(i % 11) * 24;
		uint64_t stack = 1 + (uint64_t)(i % 23);
		/* the reader gives every event its time_free: the time, but
		 * for a realloc whose free part came earlier */
		w->time = w->time_free = t;
		switch (i % 8) {
		case 0:
		case 1:
			w->type = i % 16 ? CZT_REC_MALLOC : CZT_REC_CALLOC;
			czt_enc_alloc(&e, w->type, t, addr, size, stack);
			w->addr = addr, w->size = size, w->stack = stack;
			break;
		case 2:
			w->type = CZT_REC_FREE;
			czt_enc_free(&e, t, addr);
			w->addr = addr;
			break;
		case 3: /* operator new[], then its delete[] with its stack */
			w->type = CZT_REC_MALLOC;
			czt_enc_op_alloc(&e, CZT_OP_NEW_ARRAY, t, addr + 8, size, stack);
			w->addr = addr + 8, w->size = size, w->stack = stack, w->op = CZT_OP_NEW_ARRAY;
			break;
		case 4:
			w->type = CZT_REC_FREE;
			czt_enc_op_free(&e, CZT_OP_NEW_ARRAY, stack + 1, t, addr + 8);
			w->addr = addr + 8, w->stack = stack + 1, w->op = CZT_OP_NEW_ARRAY;
			break;
		case 5: /* moved, the free part earlier */
			w->type = CZT_REC_REALLOC;
			czt_enc_realloc(&e, CZT_REC_REALLOC, t - 3, t, addr, addr + 4096, size * 2, stack);
			w->time_free = t - 3, w->old_addr = addr, w->addr = addr + 4096;
			w->size = size * 2, w->stack = stack;
			break;
		case 6: /* the compact forms: from NULL, in place */
			w->type = CZT_REC_REALLOCARRAY;
			uint64_t old = i % 16 == 6 ? 0 : addr + 4096;
			czt_enc_realloc(&e, CZT_REC_REALLOCARRAY, t, t, old, addr + 4096, size, stack);
			w->time_free = t, w->old_addr = old, w->addr = addr + 4096;
			w->size = size, w->stack = stack;
			break;
		default: /* a failed call */
			w->type = CZT_REC_MEMALIGN;
			czt_enc_alloc(&e, CZT_REC_MEMALIGN, t, 0, size << 20, stack);
			w->size = size << 20, w->stack = stack;
			break;
		}
	}
	CHECK_EQ_U(e.n_records, (uint64_t)n);
	return (size_t)(e.pos - e.buf) - CZT_CHUNK_HEADER_LEN;
}

static uint8_t out[CZT_CHUNK_HEADER_LEN + CAP];
static uint8_t file[2 * CAP];

/* Reads the trace of one chunk (packed at p, len bytes) back and checks
 * the chunk's flags and every field of its n events against want[]. */
static void check_read_back(const uint8_t *p, size_t len, unsigned flags, size_t raw_len, int n)
{
	struct czt_header h = { .pid = 1, .clock = 1, .exe = "/bin/p", .exe_len = 6 };
	size_t at = czt_header_encode(file, sizeof(file), &h);
	CHECK(at > 0 && at + len <= sizeof(file));
	memcpy(file + at, p, len);
	struct czt_reader *r;
	CHECK(czt_reader_open_mem(&r, file, at + len) == CZT_OK);
	if (!r)
		return;
	struct czt_chunk c;
	CHECK(czt_reader_next_chunk(r, &c) == CZT_OK);
	CHECK_EQ_U(c.type, CZT_CHUNK_EVENTS);
	CHECK_EQ_U(c.flags, flags);
	CHECK_EQ_U(c.raw_len, raw_len);
	CHECK_EQ_U(c.tid, TID);
	CHECK_EQ_U(c.base_time, BASE);
	struct czt_record rec;
	int i = 0, bad = 0;
	for (; czt_reader_next_record(r, &rec) == CZT_OK; i++) {
		if (i >= n) {
			bad++;
			continue;
		}
		const struct czt_record *w = &want[i];
		if (rec.type != w->type || rec.tid != TID || rec.time != w->time ||
		    rec.time_free != w->time_free || rec.addr != w->addr || rec.old_addr != w->old_addr ||
		    rec.size != w->size || rec.stack != w->stack || rec.op != w->op) {
			if (!bad)
				printf("  event %d: type %u time %" PRIu64 " addr %#" PRIx64 " size %" PRIu64
				       " stack %" PRIu64 " op %" PRIu64 ", expected type %u time %" PRIu64
				       " addr %#" PRIx64 " size %" PRIu64 " stack %" PRIu64 " op %" PRIu64 "\n",
				       i, rec.type, rec.time, rec.addr, rec.size, rec.stack, rec.op, w->type,
				       w->time, w->addr, w->size, w->stack, w->op);
			bad++;
		}
	}
	CHECK_EQ_U(i, n);
	CHECK_EQ_U(bad, 0);
	CHECK(czt_reader_next_chunk(r, &c) == CZT_EOF);
	czt_reader_free(r);
}

static struct czt_columns_mem columns_mem(void)
{
	struct czt_columns_mem m = {
		.streams = malloc(czt_model_split_bytes(CAP)),
		.room = CAP,
		.packed = malloc(CAP),
		.model = calloc(1, czt_model_scratch_bytes(CAP)),
	};
	return m;
}

static void columns_free(struct czt_columns_mem *m)
{
	free(m->streams);
	free(m->packed);
	free(m->model);
}

TEST(columns_round_trip)
{
	size_t raw = fill(EVENTS);
	CHECK(raw >= CZT_PACK_MIN_COLUMNS);
	struct czt_columns_mem m = columns_mem();
	int calls = 0;
	struct czt_pack how = { compress, compress, &calls, out, &m };
	size_t len;
	const uint8_t *p = czt_chunk_pack(&how, CZT_CHUNK_EVENTS, chunk, raw, &len);
	CHECK(p == out);
	/* the streams are compressed one by one: more than one call */
	CHECK(calls > 1);
	/* these regular events pack to well under a quarter */
	CHECK(len < CZT_CHUNK_HEADER_LEN + raw / 4);
	check_read_back(p, len, CZT_CHUNK_COLUMNS, raw, EVENTS);
	columns_free(&m);
}

TEST(frame_round_trip)
{
	size_t raw = fill(EVENTS);
	int calls = 0;
	/* no column memory: one frame */
	struct czt_pack how = { compress, compress, &calls, out, NULL };
	size_t len;
	const uint8_t *p = czt_chunk_pack(&how, CZT_CHUNK_EVENTS, chunk, raw, &len);
	CHECK(p == out);
	CHECK_EQ_U(calls, 1);
	CHECK(len < CZT_CHUNK_HEADER_LEN + raw / 2);
	check_read_back(p, len, CZT_CHUNK_ZSTD, raw, EVENTS);

	/* a payload under CZT_PACK_MIN_COLUMNS goes as one frame even with
	 * column memory: 200 events, about 1.8 KiB */
	struct czt_columns_mem m = columns_mem();
	how.columns = &m;
	calls = 0;
	raw = fill(200);
	CHECK(raw < CZT_PACK_MIN_COLUMNS && raw >= CZT_PACK_MIN);
	p = czt_chunk_pack(&how, CZT_CHUNK_EVENTS, chunk, raw, &len);
	CHECK(p == out);
	CHECK_EQ_U(calls, 1);
	check_read_back(p, len, CZT_CHUNK_ZSTD, raw, 200);
	columns_free(&m);
}

TEST(raw_round_trip)
{
	size_t len;
	/* no compressor: raw, in place */
	size_t raw = fill(EVENTS);
	const uint8_t *p = czt_chunk_pack(NULL, CZT_CHUNK_EVENTS, chunk, raw, &len);
	CHECK(p == chunk);
	CHECK_EQ_U(len, CZT_CHUNK_HEADER_LEN + raw);
	check_read_back(p, len, 0, raw, EVENTS);

	/* under CZT_PACK_MIN bytes: raw, the compressor never asked */
	int calls = 0;
	struct czt_pack how = { compress, compress, &calls, out, NULL };
	raw = fill(4);
	CHECK(raw < CZT_PACK_MIN);
	p = czt_chunk_pack(&how, CZT_CHUNK_EVENTS, chunk, raw, &len);
	CHECK(p == chunk);
	CHECK_EQ_U(calls, 0);
	check_read_back(p, len, 0, raw, 4);
}

/* A compressor that never makes anything smaller: the chunk goes raw. */
static size_t refuse(void *ctx, void *dst, size_t cap, const void *src, size_t len)
{
	(*(int *)ctx)++;
	return 0;
}

TEST(nothing_smaller_goes_raw)
{
	size_t raw = fill(EVENTS);
	struct czt_columns_mem m = columns_mem();
	int calls = 0;
	struct czt_pack how = { refuse, refuse, &calls, out, &m };
	size_t len;
	const uint8_t *p = czt_chunk_pack(&how, CZT_CHUNK_EVENTS, chunk, raw, &len);
	/* every stream stored raw plus the table is no shorter than the
	 * payload, so the frame is tried and refused too */
	CHECK(p == chunk);
	CHECK(calls > 1);
	check_read_back(p, len, 0, raw, EVENTS);
	columns_free(&m);
}

int main(void)
{
	RUN(columns_round_trip);
	RUN(frame_round_trip);
	RUN(raw_round_trip);
	RUN(nothing_smaller_goes_raw);
	return unit_done();
}
