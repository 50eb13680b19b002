/* test_format.c - encoder/decoder round trips and hostile input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/czt.h"
#include "format/czt_layout.h"
#include "format/printable.h"
#include "tests/unit.h"

static uint8_t file[1 << 16];
static size_t file_len;

static void put_header(void)
{
	struct czt_header h = { .pid = 4242, .ppid = 1, .start_realtime_ns = 1700000000000000000ull,
				.clock = 1, .start_monotonic_ns = 123456789,
				.cmdline = "prog\0arg", .cmdline_len = 8, .exe = "/bin/prog", .exe_len = 9 };
	file_len = czt_header_encode(file, sizeof(file), &h);
}

static void put_chunk(struct czt_enc *e)
{
	file_len += czt_enc_finish(e);
}

/* Builds a trace holding one record of every type. */
static void build_trace(void)
{
	put_header();
	struct czt_enc e;
	czt_enc_init(&e, file + file_len, sizeof(file) - file_len, CZT_CHUNK_META, 0, 0);
	CHECK(czt_enc_string(&e, 1, "main", 4) == CZT_OK);
	CHECK(czt_enc_stack_node(&e, 1, 0, 0x401000) == CZT_OK);
	CHECK(czt_enc_stack_node(&e, 2, 1, 0x7fffffffe000ull) == CZT_OK);
	const uint8_t bid[] = { 0xde, 0xad, 0xbe, 0xef };
	CHECK(czt_enc_module_load(&e, 5, 1, 0x400000, 0x401000, 0x402000, "/bin/prog", 9, bid, 4) == CZT_OK);
	CHECK(czt_enc_module_unload(&e, 6, 1) == CZT_OK);
	CHECK(czt_enc_thread_start(&e, 7, 99, 1) == CZT_OK);
	CHECK(czt_enc_thread_end(&e, 8, 99) == CZT_OK);
	put_chunk(&e);

	czt_enc_init(&e, file + file_len, sizeof(file) - file_len, CZT_CHUNK_EVENTS, 99, 1000);
	czt_enc_alloc(&e, CZT_REC_MALLOC, 1010, 0x5555aaaa0010ull, 100, 2);
	czt_enc_alloc(&e, CZT_REC_CALLOC, 1020, 0x5555aaaa0000ull, 0, 1);
	czt_enc_free(&e, 1030, 0x5555aaaa0010ull);
	czt_enc_realloc(&e, CZT_REC_REALLOC, 1035, 1040, 0x5555aaaa0000ull, 0x7f0000001000ull, UINT64_MAX, 2);
	/* the compact forms (dt_free = 0): in place, from NULL, moved */
	czt_enc_realloc(&e, CZT_REC_REALLOC, 1041, 1041, 0x7f0000001000ull, 0x7f0000001000ull, 200, 2);
	czt_enc_realloc(&e, CZT_REC_REALLOCARRAY, 1042, 1042, 0, 0x5555aaaa0040ull, 48, 1);
	czt_enc_realloc(&e, CZT_REC_REALLOC, 1043, 1043, 0x5555aaaa0040ull, 0x5555aaab0000ull, 1 << 20, 1);
	czt_enc_alloc(&e, CZT_REC_PVALLOC, 1050, 0, 4096, 0); /* failed call */
	struct czt_record cz = { .type = CZT_REC_CZ_NEW, .time = 1060, .allocator = 3, .kind = 3,
				 .parent = 1, .name = 1, .stack = 2 };
	czt_enc_cz(&e, &cz);
	cz = (struct czt_record){ .type = CZT_REC_CZ_RESIZE, .time = 1070, .allocator = 3,
				  .old_addr = 0x10, .addr = 0x20, .size = 7, .stack = 1 };
	czt_enc_cz(&e, &cz);
	cz = (struct czt_record){ .type = CZT_REC_CZ_RESET, .time = 1080, .allocator = 3, .value = 65536 };
	czt_enc_cz(&e, &cz);
	CHECK(czt_enc_process_end(&e, 1090, CZT_END_SIGNAL, 9) == CZT_OK);
	put_chunk(&e);

	czt_enc_init(&e, file + file_len, sizeof(file) - file_len, CZT_CHUNK_SYMBOLS, 0, 0);
	struct czt_frame_sym fr[2] = { { 1, 2, 42 }, { 3, 0, 0 } };
	CHECK(czt_enc_frame(&e, 0x401000, 1, 2, fr) == CZT_OK);
	put_chunk(&e);
	czt_enc_init(&e, file + file_len, sizeof(file) - file_len, CZT_CHUNK_FOOTER, 0, 0);
	CHECK(czt_enc_summary(&e, 8, 2, 1090) == CZT_OK);
	put_chunk(&e);
}

static int next(struct czt_reader *r, struct czt_record *rec)
{
	return czt_reader_next_record(r, rec);
}

TEST(varint_edges)
{
	uint64_t vals[] = { 0, 1, 127, 128, 16383, 16384, UINT32_MAX, (uint64_t)1 << 63, UINT64_MAX };
	uint8_t buf[16];
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		uint8_t *end = czt_put_varint(buf, vals[i]);
		size_t n = (size_t)(end - buf);
		CHECK(n >= 1 && n <= 10);
		uint64_t v = 0;
		for (size_t k = 0; k < n; k++)
			v |= (uint64_t)(buf[k] & 0x7f) << (7 * k);
		CHECK_EQ_U(v, vals[i]);
	}
	CHECK_EQ_U(czt_put_varint(buf, 127) - buf, 1);
	CHECK_EQ_U(czt_put_varint(buf, 128) - buf, 2);
	CHECK_EQ_U(czt_put_varint(buf, UINT64_MAX) - buf, 10);
	int64_t z[] = { 0, -1, 1, INT64_MIN, INT64_MAX };
	for (size_t i = 0; i < 5; i++)
		CHECK(czt_unzigzag(czt_zigzag(z[i])) == z[i]);
}

TEST(crc32c_known_value)
{
	/* the standard check value of CRC-32C */
	CHECK_EQ_U(czt_crc32c(0, "123456789", 9), 0xE3069283u);
	CHECK_EQ_U(czt_crc32c(czt_crc32c(0, "1234", 4), "56789", 5), 0xE3069283u);
}

TEST(roundtrip_every_record)
{
	build_trace();
	struct czt_reader *r;
	CHECK(czt_reader_open_mem(&r, file, file_len) == CZT_OK);
	if (!r)
		return;
	const struct czt_header *h = czt_reader_header(r);
	CHECK_EQ_U(h->pid, 4242);
	CHECK_EQ_U(h->start_monotonic_ns, 123456789);
	CHECK(h->cmdline_len == 8 && !memcmp(h->cmdline, "prog\0arg", 8));
	CHECK(h->exe_len == 9 && !memcmp(h->exe, "/bin/prog", 9));

	struct czt_chunk c;
	struct czt_record rec;
	CHECK(czt_reader_next_chunk(r, &c) == CZT_OK);
	CHECK_EQ_U(c.type, CZT_CHUNK_META);
	CHECK(next(r, &rec) == CZT_OK && rec.type == CZT_REC_STRING && rec.id == 1 &&
	      rec.str_len == 4 && !memcmp(rec.str, "main", 4));
	CHECK(next(r, &rec) == CZT_OK && rec.type == CZT_REC_STACK_NODE && rec.id == 1 &&
	      rec.parent == 0 && rec.ip == 0x401000);
	CHECK(next(r, &rec) == CZT_OK && rec.id == 2 && rec.parent == 1 && rec.ip == 0x7fffffffe000ull);
	CHECK(next(r, &rec) == CZT_OK && rec.type == CZT_REC_MODULE_LOAD);
	CHECK(rec.time == 5 && rec.id == 1 && rec.bias == 0x400000 && rec.start == 0x401000 &&
	      rec.end == 0x402000 && rec.str_len == 9 && rec.build_id_len == 4 && rec.build_id[3] == 0xef);
	CHECK(next(r, &rec) == CZT_OK && rec.type == CZT_REC_MODULE_UNLOAD && rec.time == 6 && rec.id == 1);
	CHECK(next(r, &rec) == CZT_OK && rec.type == CZT_REC_THREAD_START && rec.tid == 99 && rec.name == 1);
	CHECK(next(r, &rec) == CZT_OK && rec.type == CZT_REC_THREAD_END && rec.time == 8);
	CHECK(next(r, &rec) == CZT_EOF);

	CHECK(czt_reader_next_chunk(r, &c) == CZT_OK);
	CHECK(c.type == CZT_CHUNK_EVENTS && c.tid == 99 && c.base_time == 1000);
	CHECK(next(r, &rec) == CZT_OK && rec.type == CZT_REC_MALLOC && rec.time == 1010 &&
	      rec.addr == 0x5555aaaa0010ull && rec.size == 100 && rec.stack == 2 && rec.tid == 99);
	CHECK(next(r, &rec) == CZT_OK && rec.type == CZT_REC_CALLOC && rec.addr == 0x5555aaaa0000ull &&
	      rec.size == 0 && rec.stack == 1);
	CHECK(next(r, &rec) == CZT_OK && rec.type == CZT_REC_FREE && rec.time == 1030 &&
	      rec.addr == 0x5555aaaa0010ull);
	CHECK(next(r, &rec) == CZT_OK && rec.type == CZT_REC_REALLOC && rec.time == 1040 &&
	      rec.time_free == 1035 && rec.old_addr == 0x5555aaaa0000ull &&
	      rec.addr == 0x7f0000001000ull && rec.size == UINT64_MAX);
	CHECK(next(r, &rec) == CZT_OK && rec.type == CZT_REC_REALLOC && rec.time == 1041 &&
	      rec.time_free == 1041 && rec.old_addr == 0x7f0000001000ull &&
	      rec.addr == 0x7f0000001000ull && rec.size == 200 && rec.stack == 2);
	CHECK(next(r, &rec) == CZT_OK && rec.type == CZT_REC_REALLOCARRAY && rec.time == 1042 &&
	      rec.time_free == 1042 && rec.old_addr == 0 && rec.addr == 0x5555aaaa0040ull &&
	      rec.size == 48 && rec.stack == 1);
	CHECK(next(r, &rec) == CZT_OK && rec.type == CZT_REC_REALLOC && rec.time == 1043 &&
	      rec.time_free == 1043 && rec.old_addr == 0x5555aaaa0040ull &&
	      rec.addr == 0x5555aaab0000ull && rec.size == 1 << 20 && rec.stack == 1);
	CHECK(next(r, &rec) == CZT_OK && rec.type == CZT_REC_PVALLOC && rec.addr == 0 && rec.size == 4096);
	CHECK(next(r, &rec) == CZT_OK && rec.type == CZT_REC_CZ_NEW && rec.allocator == 3 &&
	      rec.kind == 3 && rec.parent == 1 && rec.name == 1 && rec.stack == 2 && rec.time == 1060);
	CHECK(next(r, &rec) == CZT_OK && rec.type == CZT_REC_CZ_RESIZE && rec.old_addr == 0x10 &&
	      rec.addr == 0x20 && rec.size == 7);
	CHECK(next(r, &rec) == CZT_OK && rec.type == CZT_REC_CZ_RESET && rec.value == 65536);
	CHECK(next(r, &rec) == CZT_OK && rec.type == CZT_REC_PROCESS_END && rec.how == CZT_END_SIGNAL &&
	      rec.value == 9 && rec.time == 1090);
	CHECK(next(r, &rec) == CZT_EOF);

	CHECK(czt_reader_next_chunk(r, &c) == CZT_OK && c.type == CZT_CHUNK_SYMBOLS);
	CHECK(next(r, &rec) == CZT_OK && rec.type == CZT_REC_FRAME && rec.ip == 0x401000 &&
	      rec.id == 1 && rec.nframes == 2 && rec.frames[0].line == 42 && rec.frames[1].function == 3);
	CHECK(czt_reader_next_chunk(r, &c) == CZT_OK && c.type == CZT_CHUNK_FOOTER);
	CHECK(next(r, &rec) == CZT_OK && rec.type == CZT_REC_SUMMARY && rec.n_events == 8 &&
	      rec.n_stack_nodes == 2 && rec.end_time == 1090);
	CHECK(czt_reader_next_chunk(r, &c) == CZT_EOF);
	CHECK_EQ_U(czt_reader_offset(r), file_len);
	czt_reader_free(r);
}

/* Every prefix of the trace either fails to open cleanly or yields only
 * whole chunks, then CZT_ERR_TRUNCATED at a chunk boundary. */
TEST(truncation_at_every_byte)
{
	build_trace();
	int bad = 0;
	for (size_t cut = 0; cut < file_len; cut++) {
		struct czt_reader *r;
		int rc = czt_reader_open_mem(&r, file, cut);
		if (rc) {
			if (rc != CZT_ERR_TRUNCATED && rc != CZT_ERR_MAGIC)
				bad++;
			continue;
		}
		struct czt_chunk c;
		struct czt_record rec;
		while ((rc = czt_reader_next_chunk(r, &c)) == CZT_OK)
			while (czt_reader_next_record(r, &rec) == CZT_OK)
				;
		if (rc != CZT_ERR_TRUNCATED && !(rc == CZT_EOF && czt_reader_offset(r) == cut))
			bad++;
		if (czt_reader_offset(r) > cut)
			bad++;
		czt_reader_free(r);
	}
	CHECK_EQ_U(bad, 0);
}

/* Any single flipped bit after the magic is caught by a checksum or a
 * bound, never read as different data. */
TEST(bit_flips_detected)
{
	build_trace();
	static uint8_t copy[sizeof(file)];
	int undetected = 0;
	for (size_t i = CZT_MAGIC_LEN; i < file_len; i++) {
		for (int bit = 0; bit < 8; bit += 3) {
			memcpy(copy, file, file_len);
			copy[i] ^= (uint8_t)(1u << bit);
			struct czt_reader *r;
			int rc = czt_reader_open_mem(&r, copy, file_len);
			if (rc)
				continue;
			struct czt_chunk c;
			while ((rc = czt_reader_next_chunk(r, &c)) == CZT_OK)
				;
			if (rc == CZT_EOF)
				undetected++;
			czt_reader_free(r);
		}
	}
	CHECK_EQ_U(undetected, 0);
}

TEST(rejects_non_traces)
{
	struct czt_reader *r;
	CHECK(czt_reader_open_mem(&r, "hello world, not a trace", 24) == CZT_ERR_MAGIC);
	CHECK(czt_reader_open_mem(&r, "", 0) == CZT_ERR_MAGIC);
	CHECK(czt_reader_open_mem(&r, CZT_MAGIC, 5) == CZT_ERR_TRUNCATED);
	put_header();
	file[8] = CZT_VERSION_MAJOR + 1;
	CHECK(czt_reader_open_mem(&r, file, file_len) == CZT_ERR_VERSION);
	CHECK(czt_reader_open(&r, "/nonexistent/trace.czt") == CZT_ERR_IO);
	CHECK(czt_reader_open(&r, "/") == CZT_ERR_IO);
}

/* A record type from a newer minor version (length-prefixed) is skipped;
 * an unknown core record stops the chunk as corrupt. */
TEST(unknown_records)
{
	put_header();
	struct czt_enc e;
	czt_enc_init(&e, file + file_len, sizeof(file) - file_len, CZT_CHUNK_META, 0, 0);
	*e.pos++ = 0x7e; /* unknown, 3-byte body */
	*e.pos++ = 3;
	*e.pos++ = 1; *e.pos++ = 2; *e.pos++ = 3;
	czt_enc_stack_node(&e, 5, 0, 77);
	put_chunk(&e);
	czt_enc_init(&e, file + file_len, sizeof(file) - file_len, CZT_CHUNK_EVENTS, 1, 0);
	*e.pos++ = 0x3e;
	put_chunk(&e);
	struct czt_reader *r;
	struct czt_chunk c;
	struct czt_record rec;
	CHECK(czt_reader_open_mem(&r, file, file_len) == CZT_OK);
	CHECK(czt_reader_next_chunk(r, &c) == CZT_OK);
	CHECK(czt_reader_next_record(r, &rec) == CZT_OK && rec.type == CZT_REC_STACK_NODE && rec.ip == 77);
	CHECK(czt_reader_next_chunk(r, &c) == CZT_OK);
	CHECK(czt_reader_next_record(r, &rec) == CZT_ERR_CORRUPT);
	czt_reader_free(r);
}

/* A lost record says why (3.2) or, in the 3.1 form, nothing: both read,
 * the 3.1 one with why and err 0. */
TEST(lost_records_say_why)
{
	put_header();
	struct czt_enc e;
	czt_enc_init(&e, file + file_len, sizeof(file) - file_len, CZT_CHUNK_META, 0, 0);
	CHECK(czt_enc_lost(&e, 5, 1234, CZT_LOST_WRITE, 28) == CZT_OK);
	CHECK(czt_enc_lost(&e, 6, 7, 0, 0) == CZT_OK);
	put_chunk(&e);
	struct czt_reader *r;
	struct czt_chunk c;
	struct czt_record rec;
	CHECK(czt_reader_open_mem(&r, file, file_len) == CZT_OK);
	CHECK(czt_reader_next_chunk(r, &c) == CZT_OK);
	CHECK(czt_reader_next_record(r, &rec) == CZT_OK && rec.type == CZT_REC_LOST);
	CHECK_EQ_U(rec.time, 5);
	CHECK_EQ_U(rec.value, 1234);
	CHECK_EQ_U(rec.why, CZT_LOST_WRITE);
	CHECK_EQ_U(rec.err, 28);
	CHECK(czt_reader_next_record(r, &rec) == CZT_OK && rec.type == CZT_REC_LOST);
	CHECK_EQ_U(rec.value, 7);
	CHECK_EQ_U(rec.why, 0);
	CHECK_EQ_U(rec.err, 0);
	CHECK(czt_reader_next_record(r, &rec) == CZT_EOF);
	czt_reader_free(r);
}

/* An image record in the 3.3 form (time, exe, cmdline: an exec's, before
 * 3.4 appended flags and early) reads with flags 0 and no early block. */
TEST(image_record_before_3_4)
{
	put_header();
	struct czt_enc e;
	czt_enc_init(&e, file + file_len, sizeof(file) - file_len, CZT_CHUNK_META, 0, 0);
	*e.pos++ = CZT_REC_IMAGE;
	*e.pos++ = 7;                      /* body length */
	*e.pos++ = 9;                      /* time */
	*e.pos++ = 3; memcpy(e.pos, "/ls", 3); e.pos += 3;
	*e.pos++ = 1; *e.pos++ = 'l';      /* cmdline */
	put_chunk(&e);
	struct czt_reader *r;
	struct czt_chunk c;
	struct czt_record rec;
	CHECK(czt_reader_open_mem(&r, file, file_len) == CZT_OK);
	CHECK(czt_reader_next_chunk(r, &c) == CZT_OK);
	rec.value = rec.n_events = 99;
	CHECK(czt_reader_next_record(r, &rec) == CZT_OK && rec.type == CZT_REC_IMAGE);
	CHECK_EQ_U(rec.time, 9);
	CHECK(rec.str_len == 3 && !memcmp(rec.str, "/ls", 3));
	CHECK(rec.cmdline_len == 1 && rec.cmdline[0] == 'l');
	CHECK_EQ_U(rec.value, 0);
	CHECK_EQ_U(rec.n_events, 0);
	CHECK(czt_reader_next_record(r, &rec) == CZT_EOF);
	czt_reader_free(r);
}

/* Fields that would run past their chunk are refused. */
TEST(overlong_fields)
{
	put_header();
	struct czt_enc e;
	czt_enc_init(&e, file + file_len, sizeof(file) - file_len, CZT_CHUNK_META, 0, 0);
	*e.pos++ = CZT_REC_STRING;
	*e.pos++ = 3;     /* body of 3 bytes ... */
	*e.pos++ = 1;     /* id */
	*e.pos++ = 100;   /* ... claiming a 100-byte string */
	*e.pos++ = 'x';
	put_chunk(&e);
	czt_enc_init(&e, file + file_len, sizeof(file) - file_len, CZT_CHUNK_EVENTS, 1, 0);
	*e.pos++ = CZT_REC_MALLOC;
	for (int i = 0; i < 11; i++)
		*e.pos++ = 0xff; /* a varint that never ends */
	put_chunk(&e);
	struct czt_reader *r;
	struct czt_chunk c;
	struct czt_record rec;
	CHECK(czt_reader_open_mem(&r, file, file_len) == CZT_OK);
	CHECK(czt_reader_next_chunk(r, &c) == CZT_OK);
	CHECK(czt_reader_next_record(r, &rec) == CZT_ERR_CORRUPT);
	CHECK(czt_reader_next_chunk(r, &c) == CZT_OK);
	CHECK(czt_reader_next_record(r, &rec) == CZT_ERR_CORRUPT);
	czt_reader_free(r);
}

TEST(events_counted_without_decoding)
{
	build_trace();
	struct czt_reader *r;
	CHECK(czt_reader_open_mem(&r, file, file_len) == CZT_OK);
	if (!r)
		return;
	struct czt_chunk c;
	struct czt_record rec;
	uint64_t events = 0, end = 0;
	CHECK(czt_reader_next_chunk(r, &c) == CZT_OK); /* META: no events */
	CHECK(czt_reader_count_events(r, &events, &end) == CZT_OK);
	CHECK(next(r, &rec) == CZT_OK && rec.type == CZT_REC_STRING);
	CHECK(events == 0 && end == 0);
	CHECK(czt_reader_next_chunk(r, &c) == CZT_OK && c.type == CZT_CHUNK_EVENTS);
	CHECK(czt_reader_count_events(r, &events, &end) == CZT_OK);
	CHECK_EQ_U(events, 11);
	CHECK_EQ_U(end, 1080);
	/* it stops at the first other record, decoded as usual */
	CHECK(next(r, &rec) == CZT_OK && rec.type == CZT_REC_PROCESS_END && rec.time == 1090);
	CHECK(czt_reader_count_events(r, &events, &end) == CZT_OK);
	CHECK_EQ_U(events, 11);
	CHECK(next(r, &rec) == CZT_EOF);
	czt_reader_free(r);

	/* a malformed event: the ones before it are counted */
	const uint8_t bad[][3] = { { CZT_REC_MALLOC, 0x81, 0x81 }, { 0x30, 1, 1 } };
	for (size_t k = 0; k < 2; k++) {
		put_header();
		struct czt_enc e;
		czt_enc_init(&e, file + file_len, sizeof(file) - file_len, CZT_CHUNK_EVENTS, 1, 100);
		czt_enc_free(&e, 150, 0x1000);
		memcpy(e.pos, bad[k], 3);
		e.pos += 3;
		e.n_records++;
		put_chunk(&e);
		CHECK(czt_reader_open_mem(&r, file, file_len) == CZT_OK);
		if (!r)
			return;
		events = end = 0;
		CHECK(czt_reader_next_chunk(r, &c) == CZT_OK);
		CHECK(czt_reader_count_events(r, &events, &end) == CZT_ERR_CORRUPT);
		CHECK(events == 1 && end == 150);
		czt_reader_free(r);
	}
}

/* META (a string, then chunk-events), EVENTS (two events, the last at
 * 130), META (a string), EVENTS (one event), FOOTER: returns the offset
 * of the first EVENTS chunk and its length. */
static size_t build_announced(size_t *events_len)
{
	put_header();
	struct czt_enc e;
	czt_enc_init(&e, file + file_len, sizeof(file) - file_len, CZT_CHUNK_META, 0, 0);
	CHECK(czt_enc_string(&e, 1, "main", 4) == CZT_OK);
	CHECK(czt_enc_chunk_events(&e, 2, 130) == CZT_OK);
	put_chunk(&e);
	size_t at = file_len;
	czt_enc_init(&e, file + file_len, sizeof(file) - file_len, CZT_CHUNK_EVENTS, 7, 100);
	czt_enc_alloc(&e, CZT_REC_MALLOC, 120, 0x1000, 16, 0);
	czt_enc_free(&e, 130, 0x1000);
	put_chunk(&e);
	*events_len = file_len - at;
	czt_enc_init(&e, file + file_len, sizeof(file) - file_len, CZT_CHUNK_META, 0, 0);
	CHECK(czt_enc_string(&e, 2, "other", 5) == CZT_OK);
	put_chunk(&e);
	czt_enc_init(&e, file + file_len, sizeof(file) - file_len, CZT_CHUNK_EVENTS, 7, 200);
	czt_enc_alloc(&e, CZT_REC_MALLOC, 210, 0x2000, 32, 0);
	put_chunk(&e);
	czt_enc_init(&e, file + file_len, sizeof(file) - file_len, CZT_CHUNK_FOOTER, 0, 0);
	CHECK(czt_enc_summary(&e, 3, 0, 210) == CZT_OK);
	put_chunk(&e);
	return at;
}

/* czt_reader_pass_next: the announced EVENTS chunk is passed by (its
 * payload unread, unchecked), only that one, and only once it is whole. */
TEST(announced_chunk_passed_by)
{
	size_t events_len, at = build_announced(&events_len);
	struct czt_reader *r;
	struct czt_chunk c;
	struct czt_record rec;
	/* a damaged byte in the passed chunk's payload goes unnoticed */
	file[at + events_len - 2] ^= 0x40;
	CHECK(czt_reader_open_mem(&r, file, file_len) == CZT_OK);
	if (!r)
		return;
	CHECK(czt_reader_next_chunk(r, &c) == CZT_OK && c.type == CZT_CHUNK_META && !c.passed);
	CHECK(next(r, &rec) == CZT_OK && rec.type == CZT_REC_STRING);
	CHECK(next(r, &rec) == CZT_OK && rec.type == CZT_REC_CHUNK_EVENTS);
	CHECK_EQ_U(rec.n_events, 2);
	CHECK_EQ_U(rec.end_time, 130);
	czt_reader_pass_next(r);
	CHECK(next(r, &rec) == CZT_EOF);
	CHECK(czt_reader_next_chunk(r, &c) == CZT_OK && c.type == CZT_CHUNK_EVENTS && c.passed);
	CHECK_EQ_U(c.offset, at);
	uint64_t events = 0, end = 0;
	CHECK(czt_reader_count_events(r, &events, &end) == CZT_OK && events == 0);
	CHECK(next(r, &rec) == CZT_EOF);
	/* the next ones are read as usual */
	CHECK(czt_reader_next_chunk(r, &c) == CZT_OK && c.type == CZT_CHUNK_META && !c.passed);
	CHECK(next(r, &rec) == CZT_OK && rec.type == CZT_REC_STRING);
	CHECK(czt_reader_next_chunk(r, &c) == CZT_OK && c.type == CZT_CHUNK_EVENTS && !c.passed);
	CHECK(next(r, &rec) == CZT_OK && rec.type == CZT_REC_MALLOC && rec.time == 210);
	czt_reader_free(r);
	/* read as usual, the damage is found */
	CHECK(czt_reader_open_mem(&r, file, file_len) == CZT_OK);
	if (!r)
		return;
	CHECK(czt_reader_next_chunk(r, &c) == CZT_OK);
	CHECK(czt_reader_next_chunk(r, &c) == CZT_ERR_CHECKSUM);
	czt_reader_free(r);
	file[at + events_len - 2] ^= 0x40;

	/* a request before a chunk of another type lapses with it */
	CHECK(czt_reader_open_mem(&r, file, file_len) == CZT_OK);
	if (!r)
		return;
	CHECK(czt_reader_next_chunk(r, &c) == CZT_OK);
	CHECK(czt_reader_next_chunk(r, &c) == CZT_OK && c.type == CZT_CHUNK_EVENTS);
	czt_reader_pass_next(r);
	CHECK(czt_reader_next_chunk(r, &c) == CZT_OK && c.type == CZT_CHUNK_META && !c.passed);
	CHECK(czt_reader_next_chunk(r, &c) == CZT_OK && c.type == CZT_CHUNK_EVENTS && !c.passed);
	czt_reader_free(r);

	/* cut inside the announced chunk: not whole, so not passed; the
	 * request holds for the chunk once the rest is there */
	CHECK(czt_reader_open_mem(&r, file, at + events_len - 1) == CZT_OK);
	if (!r)
		return;
	CHECK(czt_reader_next_chunk(r, &c) == CZT_OK);
	czt_reader_pass_next(r);
	CHECK(czt_reader_next_chunk(r, &c) == CZT_ERR_TRUNCATED);
	CHECK(czt_reader_next_chunk(r, &c) == CZT_ERR_TRUNCATED);
	czt_reader_free(r);
	/* a file the rest is appended to, as a follower sees it */
	char path[] = "/tmp/czprof-test-pass.XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	size_t cut = at + events_len - 1;
	CHECK(write(fd, file, cut) == (ssize_t)cut);
	CHECK(czt_reader_open(&r, path) == CZT_OK);
	if (r) {
		CHECK(czt_reader_next_chunk(r, &c) == CZT_OK);
		czt_reader_pass_next(r);
		CHECK(czt_reader_next_chunk(r, &c) == CZT_ERR_TRUNCATED);
		CHECK(write(fd, file + cut, file_len - cut) == (ssize_t)(file_len - cut));
		CHECK(czt_reader_next_chunk(r, &c) == CZT_OK && c.passed);
		CHECK(czt_reader_next_chunk(r, &c) == CZT_OK && c.type == CZT_CHUNK_META);
		czt_reader_free(r);
	}
	close(fd);
	unlink(path);
}

/* One realloc call as the recorder passes it to czt_enc_realloc. */
struct realloc_case {
	unsigned type;
	uint64_t t_free, t, old_addr, new_addr, size, stack;
	unsigned wire; /* the record type expected on the wire */
};

#define BASE 0x5555aaaa0000ull
static const struct realloc_case realloc_cases[] = {
	{ CZT_REC_REALLOC, 100, 100, BASE, BASE, 64, 1, CZT_REC_REALLOC_IN_PLACE },
	{ CZT_REC_REALLOCARRAY, 100, 100, BASE, BASE, 64, 1, CZT_REC_REALLOCARRAY_IN_PLACE },
	{ CZT_REC_REALLOC, 100, 100, 0, BASE + 0x40, 24, 2, CZT_REC_REALLOC_NEW },
	{ CZT_REC_REALLOCARRAY, 100, 100, 0, BASE + 0x40, 24, 2, CZT_REC_REALLOCARRAY_NEW },
	{ CZT_REC_REALLOC, 100, 100, BASE, BASE + 0x9000, 4096, 3, CZT_REC_REALLOC_MOVED },
	{ CZT_REC_REALLOCARRAY, 100, 100, BASE, BASE - 0x9000, 4096, 3, CZT_REC_REALLOCARRAY_MOVED },
	/* failed (size > 0) or freeing (size 0): new = 0 */
	{ CZT_REC_REALLOC, 100, 100, BASE, 0, UINT64_MAX, 0, CZT_REC_REALLOC_MOVED },
	{ CZT_REC_REALLOC, 100, 100, BASE, 0, 0, 0, CZT_REC_REALLOC_MOVED },
	{ CZT_REC_REALLOC, 100, 100, 0, 0, 1, 0, CZT_REC_REALLOC_NEW },
	/* the free part earlier: the 1.0 layout, whatever the addresses */
	{ CZT_REC_REALLOC, 90, 100, BASE, BASE, 64, 1, CZT_REC_REALLOC },
	{ CZT_REC_REALLOC, 90, 100, 0, BASE, 64, 1, CZT_REC_REALLOC },
	{ CZT_REC_REALLOCARRAY, 1, 100, BASE, BASE + 16, 64, 1, CZT_REC_REALLOCARRAY },
	/* a free time after the allocation's is clamped to it: compact */
	{ CZT_REC_REALLOC, 120, 100, BASE, BASE, 64, 1, CZT_REC_REALLOC_IN_PLACE },
};
#define N_REALLOC_CASES (sizeof(realloc_cases) / sizeof(realloc_cases[0]))

/* Every realloc shape between a malloc and a free (so that the running
 * address before and after it is exercised): the wire type and length, and
 * the record the reader reports. */
TEST(realloc_forms)
{
	for (size_t i = 0; i < N_REALLOC_CASES; i++) {
		const struct realloc_case *k = &realloc_cases[i];
		put_header();
		struct czt_enc e;
		czt_enc_init(&e, file + file_len, sizeof(file) - file_len, CZT_CHUNK_EVENTS, 7, 50);
		czt_enc_alloc(&e, CZT_REC_MALLOC, 60, BASE - 0x100, 8, 1);
		uint8_t *rec_start = e.pos;
		czt_enc_realloc(&e, k->type, k->t_free, k->t, k->old_addr, k->new_addr, k->size, k->stack);
		size_t len = (size_t)(e.pos - rec_start);
		czt_enc_free(&e, 110, BASE + 0x20);
		put_chunk(&e);
		CHECK_EQ_U(rec_start[0], k->wire);
		/* type, dt, the addresses present, size, stack; dt_free only
		 * in the 1.0 layout */
		size_t bound = 1 + 1 + 10 + 10 + 10 + 1 + (k->wire == k->type ? 1 : 0);
		CHECK(len <= bound);
		/* type, dt, one 2-byte address delta (from the malloc's
		 * address), size, stack: the 1.0 layout took 8 bytes in place
		 * and 19 from NULL (old 0 and new from 0: 7 bytes each) */
		if ((k->wire == CZT_REC_REALLOC_IN_PLACE || k->wire == CZT_REC_REALLOC_NEW) &&
		    k->new_addr)
			CHECK_EQ_U(len, 6);

		struct czt_reader *r;
		struct czt_chunk c;
		struct czt_record rec;
		CHECK(czt_reader_open_mem(&r, file, file_len) == CZT_OK);
		if (!r)
			return;
		CHECK(czt_reader_next_chunk(r, &c) == CZT_OK);
		CHECK(next(r, &rec) == CZT_OK && rec.type == CZT_REC_MALLOC && rec.addr == BASE - 0x100);
		CHECK(next(r, &rec) == CZT_OK);
		CHECK_EQ_U(rec.type, k->type);
		CHECK_EQ_U(rec.tid, 7);
		CHECK_EQ_U(rec.time, k->t);
		CHECK_EQ_U(rec.time_free, k->t_free < k->t ? k->t_free : k->t);
		CHECK_EQ_U(rec.old_addr, k->old_addr);
		CHECK_EQ_U(rec.addr, k->new_addr);
		CHECK_EQ_U(rec.size, k->size);
		CHECK_EQ_U(rec.stack, k->stack);
		CHECK(next(r, &rec) == CZT_OK && rec.type == CZT_REC_FREE && rec.time == 110 &&
		      rec.addr == BASE + 0x20);
		CHECK(next(r, &rec) == CZT_EOF);
		czt_reader_free(r);

		/* counted without decoding, stepping over it exactly */
		uint64_t events = 0, end = 0;
		CHECK(czt_reader_open_mem(&r, file, file_len) == CZT_OK);
		if (!r)
			return;
		CHECK(czt_reader_next_chunk(r, &c) == CZT_OK);
		CHECK(czt_reader_count_events(r, &events, &end) == CZT_OK);
		CHECK(events == 3 && end == 110);
		CHECK(next(r, &rec) == CZT_EOF);
		czt_reader_free(r);
	}
}

/* The header, re-sealed with another major version. */
static void set_major(unsigned major)
{
	uint32_t body_len = (uint32_t)(file[12] | file[13] << 8 | file[14] << 16 | (uint32_t)file[15] << 24);
	file[8] = (uint8_t)major;
	file[9] = (uint8_t)(major >> 8);
	uint32_t crc = czt_crc32c(0, file, 16 + body_len);
	for (int i = 0; i < 4; i++)
		file[16 + body_len + i] = (uint8_t)(crc >> (8 * i));
}

/* A realloc in the 1.0 layout, written by hand as a 1.0 writer did. */
static uint8_t *put_v1_realloc(uint8_t *p, uint64_t *last_time, uint64_t *last_addr,
			       const struct realloc_case *k)
{
	*p++ = (uint8_t)k->type;
	p = czt_put_varint(p, k->t - *last_time);
	*last_time = k->t;
	p = czt_put_varint(p, k->t > k->t_free ? k->t - k->t_free : 0);
	p = czt_put_varint(p, czt_zigzag((int64_t)(k->old_addr - *last_addr)));
	p = czt_put_varint(p, czt_zigzag((int64_t)(k->new_addr - k->old_addr)));
	*last_addr = k->new_addr;
	p = czt_put_varint(p, k->size);
	return czt_put_varint(p, k->stack);
}

/* The records of the trace's first chunk, and its major version. */
static size_t decode_events(struct czt_record *out, size_t cap, unsigned *major)
{
	struct czt_reader *r;
	struct czt_chunk c;
	size_t n = 0;
	CHECK(czt_reader_open_mem(&r, file, file_len) == CZT_OK);
	if (!r)
		return 0;
	*major = czt_reader_header(r)->major;
	CHECK(czt_reader_next_chunk(r, &c) == CZT_OK);
	while (n < cap && czt_reader_next_record(r, &out[n]) == CZT_OK)
		n++;
	czt_reader_free(r);
	return n;
}

/* A 1.0 trace (every realloc in the 1.0 layout, dt_free = 0 included) and
 * a 2.0 trace of the same calls decode to the same records. */
TEST(version1_and_2_agree)
{
	static struct czt_record v1[N_REALLOC_CASES + 1], v2[N_REALLOC_CASES + 1];
	put_header();
	set_major(1);
	struct czt_enc e;
	czt_enc_init(&e, file + file_len, sizeof(file) - file_len, CZT_CHUNK_EVENTS, 7, 50);
	uint64_t last_time = 50, last_addr = 0;
	for (size_t i = 0; i < N_REALLOC_CASES; i++) {
		struct realloc_case k = realloc_cases[i];
		k.t += 10 * i; /* times only grow within a chunk */
		k.t_free += 10 * i;
		e.pos = put_v1_realloc(e.pos, &last_time, &last_addr, &k);
		e.n_records++;
	}
	put_chunk(&e);
	unsigned major;
	size_t n1 = decode_events(v1, N_REALLOC_CASES + 1, &major);
	CHECK_EQ_U(major, 1);

	put_header();
	czt_enc_init(&e, file + file_len, sizeof(file) - file_len, CZT_CHUNK_EVENTS, 7, 50);
	for (size_t i = 0; i < N_REALLOC_CASES; i++) {
		const struct realloc_case *k = &realloc_cases[i];
		czt_enc_realloc(&e, k->type, k->t_free + 10 * i, k->t + 10 * i, k->old_addr,
				k->new_addr, k->size, k->stack);
	}
	put_chunk(&e);
	size_t n2 = decode_events(v2, N_REALLOC_CASES + 1, &major);
	CHECK_EQ_U(major, CZT_VERSION_MAJOR);
	CHECK_EQ_U(n1, N_REALLOC_CASES);
	CHECK_EQ_U(n2, N_REALLOC_CASES);
	for (size_t i = 0; i < n1 && i < n2; i++) {
		CHECK_EQ_U(v1[i].type, v2[i].type);
		CHECK_EQ_U(v1[i].tid, v2[i].tid);
		CHECK_EQ_U(v1[i].time, v2[i].time);
		CHECK_EQ_U(v1[i].time_free, v2[i].time_free);
		CHECK_EQ_U(v1[i].old_addr, v2[i].old_addr);
		CHECK_EQ_U(v1[i].addr, v2[i].addr);
		CHECK_EQ_U(v1[i].size, v2[i].size);
		CHECK_EQ_U(v1[i].stack, v2[i].stack);
	}
}

/* An events chunk whose payload after the chunk start is [bytes, bytes+n):
 * both the decoder and the event counter must call it corrupt, having
 * reported nothing. */
static void check_corrupt_events(const uint8_t *bytes, size_t n)
{
	put_header();
	struct czt_enc e;
	czt_enc_init(&e, file + file_len, sizeof(file) - file_len, CZT_CHUNK_EVENTS, 7, 50);
	memcpy(e.pos, bytes, n);
	e.pos += n;
	e.n_records++;
	put_chunk(&e);
	struct czt_reader *r;
	struct czt_chunk c;
	struct czt_record rec;
	CHECK(czt_reader_open_mem(&r, file, file_len) == CZT_OK);
	if (!r)
		return;
	CHECK(czt_reader_next_chunk(r, &c) == CZT_OK);
	CHECK(czt_reader_next_record(r, &rec) == CZT_ERR_CORRUPT);
	czt_reader_free(r);
	uint64_t events = 0, end = 0;
	CHECK(czt_reader_open_mem(&r, file, file_len) == CZT_OK);
	if (!r)
		return;
	CHECK(czt_reader_next_chunk(r, &c) == CZT_OK);
	CHECK(czt_reader_count_events(r, &events, &end) == CZT_ERR_CORRUPT);
	CHECK(events == 0 && end == 0);
	czt_reader_free(r);
}

/* Every compact realloc cut short, or with a varint that never ends, is
 * refused; so is the first core type after them, which no version has. */
TEST(compact_realloc_malformed)
{
	for (size_t i = 0; i < N_REALLOC_CASES; i++) {
		const struct realloc_case *k = &realloc_cases[i];
		if (k->wire == k->type)
			continue;
		uint8_t buf[CZT_CHUNK_HEADER_LEN + 64];
		struct czt_enc e;
		czt_enc_init(&e, buf, sizeof(buf), CZT_CHUNK_META, 0, 0); /* no tid, base */
		uint8_t *start = e.pos;
		czt_enc_realloc(&e, k->type, k->t_free, k->t, k->old_addr, k->new_addr, k->size, k->stack);
		size_t len = (size_t)(e.pos - start);
		for (size_t cut = 1; cut < len; cut++)
			check_corrupt_events(start, cut);
		uint8_t endless[12] = { (uint8_t)k->wire };
		memset(endless + 1, 0xff, 11);
		check_corrupt_events(endless, sizeof(endless));
	}
	const uint8_t unused[] = { CZT_REC_REALLOCARRAY_NEW + 1, 1, 1, 1, 1, 1, 1 };
	check_corrupt_events(unused, sizeof(unused));
}

/* The footer is read from the end without the events: only when it is the
 * last chunk, whole, unchanged and holds a summary; the reader's position
 * stays where it was. */
TEST(footer_read_from_the_end)
{
	build_trace(); /* its footer: a summary, no process-end */
	struct czt_reader *r;
	struct czt_footer f;
	CHECK(czt_reader_open_mem(&r, file, file_len) == CZT_OK);
	uint64_t at = czt_reader_offset(r);
	CHECK_EQ_U(czt_reader_footer(r, &f), CZT_OK);
	CHECK_EQ_U(f.events, 8);
	CHECK_EQ_U(f.stack_nodes, 2);
	CHECK_EQ_U(f.end_time, 1090);
	CHECK_EQ_U(f.has_end, 0);
	CHECK_EQ_U(czt_reader_offset(r), at);
	struct czt_chunk c;
	CHECK_EQ_U(czt_reader_next_chunk(r, &c), CZT_OK);
	CHECK_EQ_U(c.type, CZT_CHUNK_META);
	czt_reader_free(r);

	/* with a process-end before the summary, as czprof record writes it */
	size_t before = file_len;
	struct czt_enc e;
	czt_enc_init(&e, file + file_len, sizeof(file) - file_len, CZT_CHUNK_FOOTER, 0, 0);
	CHECK(czt_enc_process_end(&e, 2000, CZT_END_EXIT, 3) == CZT_OK);
	CHECK(czt_enc_summary(&e, 9, 4, 1999) == CZT_OK);
	put_chunk(&e);
	CHECK(czt_reader_open_mem(&r, file, file_len) == CZT_OK);
	CHECK_EQ_U(czt_reader_footer(r, &f), CZT_OK);
	CHECK_EQ_U(f.end_time, 1999);
	CHECK_EQ_U(f.has_end, 1);
	CHECK_EQ_U(f.end_how, CZT_END_EXIT);
	CHECK_EQ_U(f.end_value, 3);
	czt_reader_free(r);

	/* cut: no footer at the end */
	CHECK(czt_reader_open_mem(&r, file, file_len - 1) == CZT_OK);
	CHECK_EQ_U(czt_reader_footer(r, &f), CZT_EOF);
	czt_reader_free(r);
	/* damaged */
	file[file_len - 2] ^= 1;
	CHECK(czt_reader_open_mem(&r, file, file_len) == CZT_OK);
	CHECK_EQ_U(czt_reader_footer(r, &f), CZT_ERR_CHECKSUM);
	czt_reader_free(r);
	file[file_len - 2] ^= 1;
	/* something after the footer: it is not the end */
	czt_enc_init(&e, file + file_len, sizeof(file) - file_len, CZT_CHUNK_META, 0, 0);
	CHECK(czt_enc_thread_end(&e, 3000, 99) == CZT_OK);
	put_chunk(&e);
	CHECK(czt_reader_open_mem(&r, file, file_len) == CZT_OK);
	CHECK_EQ_U(czt_reader_footer(r, &f), CZT_EOF);
	czt_reader_free(r);
	/* a footer without a summary tells nothing */
	file_len = before;
	czt_enc_init(&e, file + file_len, sizeof(file) - file_len, CZT_CHUNK_FOOTER, 0, 0);
	CHECK(czt_enc_process_end(&e, 2000, CZT_END_EXIT, 0) == CZT_OK);
	put_chunk(&e);
	CHECK(czt_reader_open_mem(&r, file, file_len) == CZT_OK);
	CHECK_EQ_U(czt_reader_footer(r, &f), CZT_EOF);
	czt_reader_free(r);
	/* and a trace of a header alone has none */
	put_header();
	CHECK(czt_reader_open_mem(&r, file, file_len) == CZT_OK);
	CHECK_EQ_U(czt_reader_footer(r, &f), CZT_EOF);
	czt_reader_free(r);
}

/* The image record (3.2) names the program an exec started: its exe and
 * command line come back as written, after the exec's process-end. */
TEST(image_record_roundtrip)
{
	static uint8_t buf[4096];
	struct czt_header h = { .major = CZT_VERSION_MAJOR, .minor = CZT_VERSION_MINOR, .pid = 7,
				.clock = 1, .cmdline = "sh\0-c\0ls", .cmdline_len = 8, .exe = "/bin/sh", .exe_len = 7 };
	size_t n = czt_header_encode(buf, sizeof(buf), &h);
	struct czt_enc e;
	czt_enc_init(&e, buf + n, sizeof(buf) - n, CZT_CHUNK_META, 0, 0);
	CHECK(czt_enc_process_end(&e, 50, CZT_END_EXEC, 0) == CZT_OK);
	CHECK(czt_enc_image(&e, 50, "/usr/bin/ls", 11, "ls\0-l", 5, CZT_IMAGE_WHOLE, 3) == CZT_OK);
	n += czt_enc_finish(&e);
	struct czt_reader *r;
	struct czt_chunk c;
	struct czt_record rec;
	CHECK(czt_reader_open_mem(&r, buf, n) == CZT_OK);
	if (!r)
		return;
	CHECK(czt_reader_header(r)->minor == CZT_VERSION_MINOR);
	CHECK(czt_reader_next_chunk(r, &c) == CZT_OK);
	CHECK(czt_reader_next_record(r, &rec) == CZT_OK && rec.type == CZT_REC_PROCESS_END && rec.how == CZT_END_EXEC);
	CHECK(czt_reader_next_record(r, &rec) == CZT_OK && rec.type == CZT_REC_IMAGE && rec.time == 50);
	CHECK(rec.str_len == 11 && !memcmp(rec.str, "/usr/bin/ls", 11));
	CHECK(rec.cmdline_len == 5 && !memcmp(rec.cmdline, "ls\0-l", 5));
	CHECK(rec.value == CZT_IMAGE_WHOLE && rec.n_events == 3); /* 3.4's trailing fields */
	CHECK(!strcmp(czt_rec_name(CZT_REC_IMAGE), "image"));
	CHECK(czt_reader_next_record(r, &rec) == CZT_EOF);
	czt_reader_free(r);
}

/* The one layout table: every core record has a field list the decoder,
 * the column form and dump can all read (each letter known, a column for
 * each), dump shows only fields the record has or may be given, and the compact realloc
 * forms read as realloc or reallocarray. */
TEST(layout_table_is_whole)
{
	unsigned core = 0;
	for (unsigned t = 0; t < 256; t++) {
		const struct czt_layout *l = &czt_layouts[t];
		CHECK(!l->fields || (t < 0x40 && l->name));
		if (!l->fields)
			continue;
		core++;
		CHECK(l->nfields == strlen(l->fields) && l->nfields <= CZT_MAX_CORE_FIELDS);
		CHECK(l->fields[0] == 't'); /* czt_reader_count_events relies on it */
		for (const char *f = l->fields; *f; f++)
			CHECK(czt_fields[(unsigned char)*f].column && czt_fields[(unsigned char)*f].name);
		CHECK(czt_layouts[l->as].show && czt_rec_is_event(l->as));
		CHECK((l->as == t) == (l->show != NULL));
		/* a field shown only when set may come from elsewhere (a
		 * free's stack from a CALL record) */
		for (const char *f = l->show; f && *f; f++)
			CHECK(*f == '?' || strchr(czt_layouts[l->as].fields, *f) || f[-1] == '?');
	}
	CHECK_EQ_U(core, 23); /* 7 allocation entry points, free, 2 reallocs, 6 compact forms, 7 cz */
	CHECK(czt_layouts[CZT_REC_REALLOC_IN_PLACE].as == CZT_REC_REALLOC);
	CHECK(czt_layouts[CZT_REC_REALLOCARRAY_NEW].as == CZT_REC_REALLOCARRAY);
	CHECK(!strcmp(czt_layouts[CZT_REC_REALLOC].fields, "tfOAsS"));
	CHECK(!strcmp(czt_rec_name(CZT_REC_CZ_NEW), "cz-new"));
	CHECK(!strcmp(czt_rec_name(CZT_REC_EARLY_BLOCK), "early-block"));
	CHECK(czt_rec_name(0x30) == NULL && czt_rec_name(0xff) == NULL);
	CHECK(czt_core_layout(CZT_REC_STRING) == NULL && czt_core_layout(0) == NULL);
}

/* Names from a trace reach the terminal only as characters: controls,
 * C1 controls and broken UTF-8 are escaped (or spaced), UTF-8 is kept, and
 * a cut never splits a character or an escape. */
TEST(printable_names)
{
	char out[64];
	czt_printable(out, sizeof(out), "a\x1b]0;t\x07" "b", 8, CZT_PRINT_ESCAPE);
	CHECK(!strcmp(out, "a\\x1b]0;t\\x07b"));
	czt_printable(out, sizeof(out), "caf\xc3\xa9 \xe2\x96\x88", 9, CZT_PRINT_ESCAPE);
	CHECK(!strcmp(out, "caf\xc3\xa9 \xe2\x96\x88"));
	/* U+009B (CSI) as UTF-8, a lone continuation byte, DEL, an overlong '/' */
	czt_printable(out, sizeof(out), "\xc2\x9b|\x9b|\x7f|\xc0\xaf", 9, CZT_PRINT_ESCAPE);
	CHECK(!strcmp(out, "\\xc2\\x9b|\\x9b|\\x7f|\\xc0\\xaf"));
	/* a command line: NULs and newlines become one space each */
	czt_printable(out, sizeof(out), "sh\0-c\0a\nb\xc2\x9b", 11, CZT_PRINT_SPACE);
	CHECK(!strcmp(out, "sh -c a b "));
	/* cut whole: "ab" then an escape that does not fit */
	czt_printable(out, 6, "ab\x1b", 3, CZT_PRINT_ESCAPE);
	CHECK(!strcmp(out, "ab"));
	czt_printable(out, 4, "a\xc3\xa9\xc3\xa9", 5, CZT_PRINT_ESCAPE);
	CHECK(!strcmp(out, "a\xc3\xa9"));
	char *d = czt_printable_dup("x\ty", 3, CZT_PRINT_ESCAPE);
	CHECK(d && !strcmp(d, "x\\x09y"));
	free(d);
}

/* The fields a record's decoding sets, as one comparable string. */
static void rec_text(const struct czt_record *r, char *out, size_t cap)
{
	snprintf(out, cap, "%u %llu %llu %llx %llx %llu %llu %llu %llu %llu %llu %llu %llu %llu", r->type,
		 (unsigned long long)r->time, (unsigned long long)r->time_free, (unsigned long long)r->addr,
		 (unsigned long long)r->old_addr, (unsigned long long)r->size, (unsigned long long)r->stack,
		 (unsigned long long)r->tid, (unsigned long long)r->op, (unsigned long long)r->allocator,
		 (unsigned long long)r->kind, (unsigned long long)r->parent, (unsigned long long)r->name,
		 (unsigned long long)r->value);
}

/* A kept chunk gives the records and returns the reader would have, from
 * wherever it was taken: its start, the middle, after a call record, up
 * to and including an unknown core record (a corrupt chunk). */
TEST(held_chunk_reads_as_the_reader)
{
	build_trace();
	/* a second EVENTS chunk: operators (call records) and, at its end, a
	 * core record type no layout has */
	struct czt_enc e; /* after the footer: readers read every chunk */
	czt_enc_init(&e, file + file_len, sizeof(file) - file_len, CZT_CHUNK_EVENTS, 7, 5000);
	czt_enc_op_alloc(&e, CZT_OP_NEW, 5001, 0x1000, 24, 1);
	czt_enc_op_alloc(&e, CZT_OP_NEW_ARRAY, 5002, 0x2000, 48, 2);
	czt_enc_free(&e, 5003, 0x1000);
	*e.pos++ = 0x3f;
	put_chunk(&e);
	for (int skip = 0; skip < 4; skip++) {
		struct czt_reader *a, *b;
		CHECK(czt_reader_open_mem(&a, file, file_len) == CZT_OK);
		CHECK(czt_reader_open_mem(&b, file, file_len) == CZT_OK);
		if (!a || !b)
			return;
		struct czt_chunk ca, cb;
		int n_events_chunks = 0;
		while (czt_reader_next_chunk(a, &ca) == CZT_OK) {
			CHECK(czt_reader_next_chunk(b, &cb) == CZT_OK);
			struct czt_record ra, rb;
			int rca = CZT_OK, rcb = CZT_OK;
			if (ca.type != CZT_CHUNK_EVENTS)
				continue;
			n_events_chunks++;
			for (int i = 0; i < skip && rca == CZT_OK; i++) {
				rca = next(a, &ra);
				rcb = next(b, &rb);
			}
			struct czt_held *h;
			CHECK(czt_reader_hold(b, &h) == CZT_OK);
			CHECK(next(b, &rb) == CZT_EOF); /* the reader is past it */
			size_t n = 0;
			while (rca == CZT_OK) {
				char ta[256], tb[256], tp[256];
				struct czt_record rp;
				int rcp = czt_held_peek(h, &rp);
				rca = next(a, &ra);
				rcb = czt_held_next_record(h, &rb);
				CHECK_EQ_U(rcb, rca);
				CHECK_EQ_U(rcp, rca);
				if (rca != CZT_OK || rcb != CZT_OK)
					break;
				rec_text(&ra, ta, sizeof(ta));
				rec_text(&rb, tb, sizeof(tb));
				rec_text(&rp, tp, sizeof(tp));
				CHECK(!strcmp(ta, tb));
				CHECK(!strcmp(ta, tp));
				n++;
			}
			CHECK(n > 0 || skip > 0);
			CHECK(czt_held_bytes(h) > 0);
			czt_held_free(h);
		}
		CHECK_EQ_U(n_events_chunks, 2);
		czt_reader_free(a);
		czt_reader_free(b);
	}
	/* the corrupt record is still there at the end of the second chunk */
	struct czt_reader *r;
	CHECK(czt_reader_open_mem(&r, file, file_len) == CZT_OK);
	struct czt_chunk c;
	struct czt_record rec;
	int rc = CZT_OK, last = CZT_OK;
	while (czt_reader_next_chunk(r, &c) == CZT_OK)
		if (c.type == CZT_CHUNK_EVENTS && c.tid == 7) {
			struct czt_held *h;
			CHECK(czt_reader_hold(r, &h) == CZT_OK);
			int n = 0;
			while ((rc = czt_held_next_record(h, &rec)) == CZT_OK)
				n++;
			CHECK_EQ_U(n, 3);
			last = rc;
			czt_held_free(h);
		}
	CHECK_EQ_U(last, CZT_ERR_CORRUPT);
	czt_reader_free(r);
}

int main(void)
{
	RUN(varint_edges);
	RUN(crc32c_known_value);
	RUN(roundtrip_every_record);
	RUN(truncation_at_every_byte);
	RUN(bit_flips_detected);
	RUN(rejects_non_traces);
	RUN(unknown_records);
	RUN(image_record_before_3_4);
	RUN(lost_records_say_why);
	RUN(overlong_fields);
	RUN(events_counted_without_decoding);
	RUN(announced_chunk_passed_by);
	RUN(realloc_forms);
	RUN(version1_and_2_agree);
	RUN(compact_realloc_malformed);
	RUN(footer_read_from_the_end);
	RUN(printable_names);
	RUN(image_record_roundtrip);
	RUN(layout_table_is_whole);
	RUN(held_chunk_reads_as_the_reader);
	return unit_done();
}
