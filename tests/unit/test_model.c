/* test_model.c - the column form of EVENTS chunks (format/model.c): every
 * record shape comes back byte for byte, the model's references are really
 * used, damaged streams are refused without a stray read, and the reader
 * reads column chunks as the records they stand for. */
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "format/czt.h"
#include "format/czt_model.h"
#include "tests/unit.h"

#define CAP (1 << 17)
#define PINNED_CRC 0xd29df7f7u
static uint8_t chunk[CAP];
static uint8_t *streams_mem, *back;
static void *split_scratch, *join_scratch;

static void setup(void)
{
	if (streams_mem)
		return;
	streams_mem = malloc(czt_model_split_bytes(CAP));
	back = malloc(CAP);
	split_scratch = calloc(1, czt_model_scratch_bytes(CAP));
	join_scratch = calloc(1, czt_model_scratch_bytes(CAP));
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;

/* Splits the payload at chunk[16..16+len), joins it back and checks it is
 * the same bytes.  Returns the split streams in *st. */
static int roundtrip(size_t len, struct czt_streams *st)
{
	setup();
	const uint8_t *payload = chunk + CZT_CHUNK_HEADER_LEN;
	if (czt_model_split(payload, len, streams_mem, split_scratch, CAP, st))
		return -1;
	memset(back, 0xAA, len);
	if (czt_model_join(st, back, len, join_scratch, CAP))
		return -2;
	return memcmp(back, payload, len) ? -3 : 0;
}

/* A chunk with every record type: allocations from one stack at a time
 * (their sizes repeat), frees of blocks of this chunk and of unknown ones,
 * reuse of freed addresses, each realloc spelling, the allocator library's
 * records, a failed malloc, big sizes, and length-prefixed records. */
static size_t every_shape(void)
{
	struct czt_enc e;
	czt_enc_init(&e, chunk, sizeof(chunk), CZT_CHUNK_EVENTS, 77, 1000);
	uint64_t t = 1000, a = 0x55550000;
	for (int i = 0; i < 200; i++) {
		uint64_t sz = 24 + (uint64_t)(i % 7) * 16;
		czt_enc_alloc(&e, CZT_REC_MALLOC, t += 30, a + (uint64_t)i * 64, sz, 3 + (uint64_t)i % 7);
		if (i >= 8)
			czt_enc_free(&e, t += 200, a + (uint64_t)(i - 8) * 64); /* a block of this chunk */
		if (i % 10 == 0) /* the allocator hands the freed block back */
			czt_enc_alloc(&e, CZT_REC_MALLOC, t += 10, a + (uint64_t)(i - 8 + (i < 8) * 8) * 64,
				      24 + (uint64_t)((i - 8 + (i < 8) * 8) % 7) * 16, 99);
	}
	czt_enc_free(&e, t += 5, 0x7777000); /* allocated before this chunk */
	for (unsigned type = CZT_REC_CALLOC; type <= CZT_REC_PVALLOC; type++)
		czt_enc_alloc(&e, type, t += 3, 0x9000000 + type * 4096, 100000 * type, 5);
	czt_enc_alloc(&e, CZT_REC_MALLOC, t += 3, 0, 1ull << 40, 6); /* failed */
	uint64_t r = 0x9100000;
	czt_enc_alloc(&e, CZT_REC_MALLOC, t += 3, r, 10, 7);
	czt_enc_realloc(&e, CZT_REC_REALLOC, t, t + 9, r, r, 20, 7);          /* in place */
	t += 9;
	czt_enc_realloc(&e, CZT_REC_REALLOC, t, t, r, r + 4096, 5000, 7);     /* moved */
	czt_enc_realloc(&e, CZT_REC_REALLOCARRAY, t, t, 0, r + 8192, 64, 8);  /* from NULL */
	czt_enc_realloc(&e, CZT_REC_REALLOC, t, t + 50, r + 4096, r + 16384, 9000, 7); /* dt_free */
	t += 50;
	czt_enc_realloc(&e, CZT_REC_REALLOCARRAY, t, t, r + 8192, r + 8192, 128, 8);
	czt_enc_realloc(&e, CZT_REC_REALLOC, t, t + 1, r + 16384, 0, 0, 7);   /* freed */
	t += 1;
	struct czt_record cz = { .type = CZT_REC_CZ_NEW, .time = t += 4, .allocator = 3, .kind = 3,
				 .parent = 1, .name = 2, .stack = 9 };
	czt_enc_cz(&e, &cz);
	for (int i = 0; i < 20; i++) {
		cz = (struct czt_record){ .type = CZT_REC_CZ_ALLOC, .time = t += 2, .allocator = 3,
					  .addr = 0xA000000 + (uint64_t)i * 48, .size = 40, .stack = 10 };
		czt_enc_cz(&e, &cz);
	}
	cz = (struct czt_record){ .type = CZT_REC_CZ_FREE, .time = t += 2, .allocator = 3,
				  .addr = 0xA000000 + 48 };
	czt_enc_cz(&e, &cz);
	cz = (struct czt_record){ .type = CZT_REC_CZ_RESIZE, .time = t += 2, .allocator = 3,
				  .old_addr = 0xA000000, .addr = 0xA100000, .size = 400, .stack = 10 };
	czt_enc_cz(&e, &cz);
	cz = (struct czt_record){ .type = CZT_REC_CZ_CAPACITY, .time = t += 2, .allocator = 3,
				  .value = 65536 };
	czt_enc_cz(&e, &cz);
	cz = (struct czt_record){ .type = CZT_REC_CZ_RESET, .time = t += 2, .allocator = 3,
				  .value = 4096 };
	czt_enc_cz(&e, &cz);
	cz = (struct czt_record){ .type = CZT_REC_CZ_DESTROY, .time = t += 2, .allocator = 3 };
	czt_enc_cz(&e, &cz);
	CHECK(czt_enc_lost(&e, t += 1, 12, 0, 0) == CZT_OK);
	CHECK(czt_enc_process_end(&e, t += 1, CZT_END_EXIT, 0) == CZT_OK);
	czt_enc_free(&e, t += 1, 0x9000000 + CZT_REC_CALLOC * 4096);
	return (size_t)(e.pos - e.buf) - CZT_CHUNK_HEADER_LEN;
}

/* Counts the nonzero varints of a plain stream. */
static unsigned nonzero_varints(const uint8_t *p, size_t len)
{
	unsigned n = 0;
	for (size_t i = 0; i < len; i++)
		if (!(p[i] & 0x80) && (p[i] || (i && (p[i - 1] & 0x80))))
			n++;
	return n;
}

TEST(every_record_shape_roundtrips)
{
	size_t len = every_shape();
	struct czt_streams st;
	CHECK(roundtrip(len, &st) == 0);
	/* frees of this chunk's blocks are references, the rest deltas */
	CHECK(nonzero_varints(st.s[CZT_S_REFS], st.len[CZT_S_REFS]) >= 190);
	CHECK(st.len[CZT_S_FADDRS] > 0);
	/* the reused blocks came from the freed rings: hints of 4 or more */
	unsigned ring_hints = 0, known_sizes = 0;
	for (size_t i = 0; i < st.len[CZT_S_HINTS]; i++) {
		ring_hints += st.s[CZT_S_HINTS][i] >> 1 >= 2;
		known_sizes += st.s[CZT_S_HINTS][i] & 1;
	}
	CHECK(ring_hints >= 15);
	CHECK(known_sizes >= 150); /* a stack's size repeats every 7th time */
	unsigned ops = 0;
	for (size_t i = 0; i < st.len[CZT_S_OPS]; i++)
		ops += st.s[CZT_S_OPS][i] == CZT_REC_REALLOC_IN_PLACE;
	CHECK_EQ_U(ops, 0); /* dt_free != 0: the long spelling */
}

/* The column form is a format: a change that splits and joins alike (a
 * context threshold, a class boundary) still breaks other readers.  The
 * streams of a fixed chunk are pinned by their checksum; a deliberate
 * change updates FORMAT.md, the format version and this value. */
TEST(column_form_is_pinned)
{
	size_t len = every_shape();
	struct czt_streams st;
	CHECK(roundtrip(len, &st) == 0);
	uint32_t crc = 0;
	for (int s = 0; s < CZT_STREAMS; s++) {
		uint8_t n[4] = { (uint8_t)st.len[s], (uint8_t)(st.len[s] >> 8), 0, 0 };
		crc = czt_crc32c(crc, n, sizeof(n));
		crc = czt_crc32c(crc, st.s[s], st.len[s]);
	}
	CHECK_EQ_U(crc, PINNED_CRC);
}

/* A writer may spell a varint with more bytes than it needs: the join must
 * give those bytes back, so such fields are copied, never computed. */
TEST(non_minimal_varints_come_back)
{
	uint8_t *p = chunk + CZT_CHUNK_HEADER_LEN;
	size_t n = 0;
	p[n++] = 5;    /* tid */
	p[n++] = 0x80; /* base_time 0, spelled in two bytes */
	p[n++] = 0x00;
	const uint8_t recs[] = {
		CZT_REC_MALLOC, 1, 0x80, 0x80, 0x01, 0x90, 0x00, 3,  /* addr delta 8192 in 3 bytes, size 16 in 2 */
		CZT_REC_FREE, 1, 0x80, 0x00,                         /* the same block, delta 0 in 2 bytes */
		CZT_REC_MALLOC, 1, 0x80, 0x80, 0x00, 16, 3,          /* the same address, 3 bytes */
		CZT_REC_MALLOC, 1, 0x40, 16, 3,                      /* a size its stack asked for */
		CZT_REC_MALLOC, 1, 0x40, 0x90, 0x00, 3,              /* ... but spelled long */
		CZT_REC_FREE, 1, 0xff, 0x01,
	};
	memcpy(p + n, recs, sizeof(recs));
	n += sizeof(recs);
	struct czt_streams st;
	CHECK(roundtrip(n, &st) == 0);
}

/* Payloads the model cannot take are refused, not misread. */
TEST(split_refuses_malformed_payloads)
{
	setup();
	struct czt_streams st;
	uint8_t *p = chunk + CZT_CHUNK_HEADER_LEN;
	const uint8_t unknown[] = { 1, 0, 0x3f, 1 };
	const uint8_t cut_varint[] = { 1, 0, CZT_REC_MALLOC, 1, 0x80 };
	const uint8_t cut_fields[] = { 1, 0, CZT_REC_MALLOC, 1, 2 };
	const uint8_t long_body[] = { 1, 0, CZT_REC_LOST, 9, 1, 2 };
	const uint8_t *bad[] = { unknown, cut_varint, cut_fields, long_body };
	size_t lens[] = { sizeof(unknown), sizeof(cut_varint), sizeof(cut_fields), sizeof(long_body) };
	for (int i = 0; i < 4; i++) {
		memcpy(p, bad[i], lens[i]);
		CHECK(czt_model_split(p, lens[i], streams_mem, split_scratch, CAP, &st) == -1);
	}
	CHECK(czt_model_split(p, 1, streams_mem, split_scratch, CAP, &st) == -1); /* no base_time */
}

/* An allocator simulated with per-size LIFO free lists, as glibc's tcache:
 * random sizes and stacks, frees of random live blocks. */
static size_t random_chunk(int n, uint64_t seed)
{
	static uint64_t live[4096], lifo[64][256];
	static unsigned nlifo[64];
	unsigned nlive = 0;
	uint64_t top = 0x600000000000ull + (seed << 24);
	memset(nlifo, 0, sizeof(nlifo));
	rng = seed * 0x9E3779B97F4A7C15ull + 1;
	struct czt_enc e;
	czt_enc_init(&e, chunk, sizeof(chunk), CZT_CHUNK_EVENTS, seed, seed * 1000);
	uint64_t t = seed * 1000;
	for (int i = 0; i < n && czt_enc_room(&e) > 2 * CZT_ENC_MAX_RECORD; i++) {
		uint64_t r = unit_rand(&rng);
		t += r % 300;
		if (nlive && (r >> 20) % 3 == 0) {
			unsigned k = (unsigned)((r >> 24) % nlive);
			uint64_t blk = live[k];
			live[k] = live[--nlive];
			unsigned c = (unsigned)(blk >> 56);
			blk &= (1ull << 56) - 1;
			if (nlifo[c] < 256)
				lifo[c][nlifo[c]++] = blk;
			czt_enc_free(&e, t, blk);
		} else if (nlive < 4096) {
			unsigned c = (unsigned)((r >> 32) % 64);
			uint64_t size = (uint64_t)c * 16 + (r >> 40) % 16;
			uint64_t blk = nlifo[c] ? lifo[c][--nlifo[c]] : (top += size + 16);
			live[nlive++] = blk | (uint64_t)c << 56;
			if ((r >> 50) % 17 == 0)
				czt_enc_realloc(&e, CZT_REC_REALLOC, t, t, 0, blk, size, 1 + (r >> 44) % 50);
			else
				czt_enc_alloc(&e, CZT_REC_MALLOC, t, blk, size, 1 + (r >> 44) % 50);
		}
	}
	return (size_t)(e.pos - e.buf) - CZT_CHUNK_HEADER_LEN;
}

TEST(random_chunks_roundtrip_with_one_scratch)
{
	/* one splitter scratch for every chunk, as the recorder keeps it:
	 * nothing of a chunk may leak into the next */
	int bad = 0;
	size_t streams_total = 0, raw_total = 0;
	for (uint64_t seed = 1; seed <= 40; seed++) {
		size_t len = random_chunk(2000 + (int)seed * 300, seed);
		struct czt_streams st;
		bad += roundtrip(len, &st) != 0;
		for (int s = 0; s < CZT_STREAMS; s++)
			streams_total += st.len[s];
		raw_total += len;
		CHECK(streams_total <= czt_model_streams_max(raw_total));
	}
	CHECK_EQ_U(bad, 0);
}

/* Damaged streams: the join fails or rebuilds exactly raw_len bytes, and
 * never reads or writes out of bounds (the sanitizer build checks that). */
TEST(damaged_streams_never_overrun)
{
	setup();
	size_t len = every_shape();
	struct czt_streams st, dam;
	CHECK(czt_model_split(chunk + CZT_CHUNK_HEADER_LEN, len, streams_mem, split_scratch, CAP,
			      &st) == 0);
	static uint8_t copy[CZT_STREAMS][8192];
	int refused = 0;
	rng = 12345;
	for (int round = 0; round < 3000; round++) {
		for (int s = 0; s < CZT_STREAMS; s++) {
			memcpy(copy[s], st.s[s], st.len[s]);
			dam.s[s] = copy[s];
			dam.len[s] = st.len[s];
		}
		int s = (int)(unit_rand(&rng) % CZT_STREAMS);
		if (!dam.len[s])
			continue;
		uint64_t r = unit_rand(&rng);
		if (r % 3 == 0)
			dam.len[s] = (size_t)(r >> 8) % dam.len[s]; /* cut short */
		else
			copy[s][(r >> 8) % dam.len[s]] ^= (uint8_t)(1 + (r >> 40) % 255);
		refused += czt_model_join(&dam, back, len, join_scratch, CAP) != 0;
	}
	CHECK(refused > 1000);
	/* a chunk claiming a smaller or larger payload */
	CHECK(czt_model_join(&st, back, len - 1, join_scratch, CAP) == -1);
	CHECK(czt_model_join(&st, back, len + 1, join_scratch, CAP) == -1);
}

/* ---- the reader ---- */

static uint8_t file[1 << 18];
static size_t file_len;

static void put_header(void)
{
	struct czt_header h = { .pid = 7, .ppid = 1, .clock = 1, .start_monotonic_ns = 1000,
				.cmdline = "p", .cmdline_len = 1, .exe = "/p", .exe_len = 2 };
	file_len = czt_header_encode(file, sizeof(file), &h);
}

/* 1: put_column_chunk stores MISC (raw) with one byte more than its raw
 * length, a lie the table's sums cannot catch. */
static int misc_too_long;

/* Appends the payload at chunk[16..16+len) as a column chunk of the given
 * chunk type; streams of 64 bytes or more as zstd frames. */
static void put_column_chunk(size_t len, unsigned type)
{
	setup();
	struct czt_streams st;
	CHECK(czt_model_split(chunk + CZT_CHUNK_HEADER_LEN, len, streams_mem, split_scratch, CAP,
			      &st) == 0);
	static uint8_t packed[1 << 18];
	size_t stored[CZT_STREAMS], total = 0;
	for (int s = 0; s < CZT_STREAMS; s++) {
		size_t n = st.len[s] >= 64 ? ZSTD_compress(packed + total, sizeof(packed) - total,
							   st.s[s], st.len[s], 1) : 0;
		if (!n || ZSTD_isError(n) || n >= st.len[s]) {
			memcpy(packed + total, st.s[s], st.len[s]);
			n = st.len[s];
		}
		if (s == CZT_S_MISC && misc_too_long)
			packed[total + n++] = 0;
		stored[s] = n;
		total += n;
	}
	uint8_t *out = file + file_len;
	size_t head = czt_columns_header_put(out + CZT_CHUNK_HEADER_LEN, st.len, stored);
	memcpy(out + CZT_CHUNK_HEADER_LEN + head, packed, total);
	file_len += czt_chunk_seal(out, type, CZT_CHUNK_COLUMNS, (uint32_t)(head + total),
				   (uint32_t)len);
}

static void put_raw_chunk(size_t len)
{
	memcpy(file + file_len, chunk, CZT_CHUNK_HEADER_LEN + len);
	file_len += czt_chunk_seal(file + file_len, CZT_CHUNK_EVENTS, 0, (uint32_t)len,
				   (uint32_t)len);
}

/* Every record of the file as text; the reader's last result in *rc. */
static char *records_text(int *rc, unsigned *column_chunks)
{
	static char out[1 << 18];
	size_t used = 0;
	struct czt_reader *r;
	out[0] = 0;
	*column_chunks = 0;
	if ((*rc = czt_reader_open_mem(&r, file, file_len)))
		return out;
	struct czt_chunk c;
	struct czt_record rec;
	while ((*rc = czt_reader_next_chunk(r, &c)) == CZT_OK) {
		*column_chunks += (c.flags & CZT_CHUNK_COLUMNS) != 0;
		while ((*rc = czt_reader_next_record(r, &rec)) == CZT_OK && used + 128 < sizeof(out))
			used += (size_t)snprintf(out + used, sizeof(out) - used,
						 "%u %llu %llu %llx %llx %llu %llu %llu|", rec.type,
						 (unsigned long long)rec.time,
						 (unsigned long long)rec.time_free,
						 (unsigned long long)rec.addr,
						 (unsigned long long)rec.old_addr,
						 (unsigned long long)rec.size,
						 (unsigned long long)rec.stack,
						 (unsigned long long)rec.op);
		if (*rc != CZT_EOF)
			break;
	}
	czt_reader_free(r);
	return out;
}

TEST(reader_reads_column_chunks_as_their_records)
{
	static char raw_text[1 << 18];
	int rc;
	unsigned cc;
	size_t len = every_shape();
	put_header();
	put_raw_chunk(len);
	len = random_chunk(3000, 7);
	put_raw_chunk(len);
	strcpy(raw_text, records_text(&rc, &cc));
	CHECK(rc == CZT_EOF && cc == 0);
	CHECK(strlen(raw_text) > 10000);

	put_header();
	put_column_chunk(every_shape(), CZT_CHUNK_EVENTS);
	put_column_chunk(random_chunk(3000, 7), CZT_CHUNK_EVENTS);
	CHECK_STR(records_text(&rc, &cc), raw_text);
	CHECK(rc == CZT_EOF);
	CHECK_EQ_U(cc, 2);
}

/* C++ operators' events (format 3.4): call records where the operator
 * changes, a free's with its stack, one at the very end with no event
 * after it. */
static size_t cxx_shapes(void)
{
	struct czt_enc e;
	czt_enc_init(&e, chunk, sizeof(chunk), CZT_CHUNK_EVENTS, 9, 100);
	uint64_t t = 100;
	for (unsigned i = 0; i < 300; i++) {
		unsigned op = 1 + i % 2 + (i % 3 == 0 ? CZT_OP_ALIGNED : 0) + (i % 5 == 0 ? CZT_OP_NOTHROW : 0);
		uint64_t a = 0x60000000 + (uint64_t)(i % 40) * 32;
		czt_enc_op_alloc(&e, op, t += 20, a, 24, 4 + i % 3);
		czt_enc_op_free(&e, op | CZT_OP_SIZED, i % 4 ? 50 + i % 9 : 0, t += 7, a);
		if (i % 7 == 0) /* a C free with its stack */
			czt_enc_op_free(&e, CZT_OP_C, 1000000 + i, t += 3, 0x70000000 + (uint64_t)i);
		else
			czt_enc_free(&e, t += 3, 0x70000000 + (uint64_t)i);
		if (i % 11 == 0) /* operator new twice: one call record */
			czt_enc_op_alloc(&e, CZT_OP_NEW, t += 1, 0x80000000 + (uint64_t)i, 8, 1);
		if (i % 11 == 0)
			czt_enc_op_alloc(&e, CZT_OP_NEW, t += 1, 0x90000000 + (uint64_t)i, 8, 1);
	}
	czt__put_call(&e, CZT_OP_NEW, 0);
	return (size_t)(e.pos - e.buf) - CZT_CHUNK_HEADER_LEN;
}

TEST(call_records_keep_to_their_event)
{
	static char raw_text[1 << 18];
	int rc;
	unsigned cc;
	struct czt_streams st;
	CHECK(roundtrip(cxx_shapes(), &st) == 0);
	put_header();
	put_raw_chunk(cxx_shapes());
	strcpy(raw_text, records_text(&rc, &cc));
	CHECK(rc == CZT_EOF);
	/* i = 0: new (op 1 + aligned + nothrow = 13) from stack 4, its sized
	 * delete (29) without a stack, a C free with one; the call records are
	 * no records of their own */
	const char first[] = "1 120 120 60000000 0 24 4 13|16 127 127 60000000 0 0 0 29|"
			     "16 130 130 70000000 0 0 1000000 0|";
	CHECK(strncmp(raw_text, first, sizeof(first) - 1) == 0);
	/* i = 1: new[] (2), its sized delete[] (18) with stack 51, a free */
	CHECK(strstr(raw_text, "|1 152 152 60000020 0 24 5 2|16 159 159 60000020 0 0 51 18|"
			       "16 162 162 70000001 0 0 0 0|") != NULL);
	/* i = 11: the second new needs no call record of its own */
	CHECK(strstr(raw_text, "|1 463 463 8000000b 0 8 1 1|1 464 464 9000000b 0 8 1 1|") != NULL);
	/* i = 7: a C free carrying its stack, op 0 */
	CHECK(strstr(raw_text, " 70000007 0 0 1000007 0|") != NULL);
	put_header();
	put_column_chunk(cxx_shapes(), CZT_CHUNK_EVENTS);
	CHECK_STR(records_text(&rc, &cc), raw_text);
	CHECK(rc == CZT_EOF && cc == 1);
}

/* Rewrites the CRC of the chunk at off after a change to its bytes. */
static void reseal(size_t off)
{
	uint32_t stored = (uint32_t)file[off + 4] | (uint32_t)file[off + 5] << 8 |
			  (uint32_t)file[off + 6] << 16 | (uint32_t)file[off + 7] << 24;
	uint32_t raw = (uint32_t)file[off + 8] | (uint32_t)file[off + 9] << 8 |
		       (uint32_t)file[off + 10] << 16 | (uint32_t)file[off + 11] << 24;
	czt_chunk_seal(file + off, file[off], file[off + 1], stored, raw);
}

TEST(reader_refuses_bad_column_chunks)
{
	int rc;
	unsigned cc;
	size_t len = every_shape();
	/* column form on a META chunk, and with the zstd flag too */
	put_header();
	put_column_chunk(len, CZT_CHUNK_META);
	records_text(&rc, &cc);
	CHECK(rc == CZT_ERR_CORRUPT);
	put_header();
	size_t off = file_len;
	put_column_chunk(len, CZT_CHUNK_EVENTS);
	file[off + 1] |= CZT_CHUNK_ZSTD;
	reseal(off);
	records_text(&rc, &cc);
	CHECK(rc == CZT_ERR_CORRUPT);
	/* another stream count; a stored length over its raw length; a
	 * chunk that rebuilds one byte short of its raw_len */
	for (int k = 0; k < 3; k++) {
		put_header();
		off = file_len;
		misc_too_long = k == 1;
		put_column_chunk(len, CZT_CHUNK_EVENTS);
		misc_too_long = 0;
		uint8_t *p = file + off + CZT_CHUNK_HEADER_LEN;
		if (k == 0)
			p[0]++;
		else if (k == 2)
			file[off + 8]--;
		reseal(off);
		records_text(&rc, &cc);
		CHECK(rc == CZT_ERR_CORRUPT);
	}
}

/* A skimming reader counts a column chunk's events and its last time as
 * the full decode finds them, without records; raw chunks read as ever. */
TEST(skimming_counts_column_chunks)
{
	put_header();
	put_column_chunk(every_shape(), CZT_CHUNK_EVENTS);
	put_raw_chunk(random_chunk(500, 3));
	put_column_chunk(random_chunk(3000, 9), CZT_CHUNK_EVENTS);
	uint64_t full_n = 0, full_end = 0, skim_n = 0, skim_end = 0;
	unsigned other_records[2] = { 0, 0 };
	for (int skim = 0; skim < 2; skim++) {
		struct czt_reader *r;
		CHECK(czt_reader_open_mem(&r, file, file_len) == CZT_OK);
		if (!r)
			return;
		czt_reader_skim(r, skim);
		struct czt_chunk c;
		struct czt_record rec;
		uint64_t *n = skim ? &skim_n : &full_n, *end = skim ? &skim_end : &full_end;
		int rc;
		while ((rc = czt_reader_next_chunk(r, &c)) == CZT_OK) {
			CHECK(c.tid != 0 || c.type != CZT_CHUNK_EVENTS);
			while (czt_reader_count_events(r, n, end) == CZT_OK &&
			       czt_reader_next_record(r, &rec) == CZT_OK) {
				other_records[skim] += !czt_rec_is_event(rec.type);
				if (czt_rec_is_event(rec.type)) {
					++*n;
					if (rec.time > *end)
						*end = rec.time;
				}
			}
		}
		CHECK(rc == CZT_EOF);
		czt_reader_free(r);
	}
	CHECK(full_n > 3000);
	CHECK_EQ_U(skim_n, full_n);
	CHECK_EQ_U(skim_end, full_end);
	/* every_shape's lost and process-end records: gone when skimming */
	CHECK_EQ_U(other_records[0], 2);
	CHECK_EQ_U(other_records[1], 0);
}

int main(void)
{
	RUN(every_record_shape_roundtrips);
	RUN(column_form_is_pinned);
	RUN(non_minimal_varints_come_back);
	RUN(split_refuses_malformed_payloads);
	RUN(random_chunks_roundtrip_with_one_scratch);
	RUN(damaged_streams_never_overrun);
	RUN(reader_reads_column_chunks_as_their_records);
	RUN(reader_refuses_bad_column_chunks);
	RUN(skimming_counts_column_chunks);
	RUN(call_records_keep_to_their_event);
	free(streams_mem);
	free(back);
	free(split_scratch);
	free(join_scratch);
	return unit_done();
}
