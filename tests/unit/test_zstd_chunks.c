/* test_zstd_chunks.c - chunks sealed with czt_chunk_seal, raw and as zstd
 * frames (what the recorder writes), read back by the decoder. */
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "format/czt.h"
#include "tests/unit.h"

static uint8_t file[1 << 16];
static size_t file_len;

static void put_header(void)
{
	struct czt_header h = { .pid = 7, .ppid = 1, .clock = 1, .start_monotonic_ns = 1000,
				.cmdline = "p", .cmdline_len = 1, .exe = "/p", .exe_len = 2 };
	file_len = czt_header_encode(file, sizeof(file), &h);
}

/* An EVENTS chunk of n repetitive records in buf (room for the header). */
static size_t fill_events(uint8_t *buf, size_t cap, int n)
{
	struct czt_enc e;
	czt_enc_init(&e, buf, cap, CZT_CHUNK_EVENTS, 42, 5000);
	for (int i = 0; i < n; i++) {
		czt_enc_alloc(&e, CZT_REC_MALLOC, 5000 + 10 * (uint64_t)i, 0x10000 + 64 * (uint64_t)i,
			      (uint64_t)(16 + i % 8), 3);
		czt_enc_free(&e, 5005 + 10 * (uint64_t)i, 0x10000 + 64 * (uint64_t)i);
	}
	return (size_t)(e.pos - e.buf) - CZT_CHUNK_HEADER_LEN;
}

/* Appends the chunk whose raw payload is in raw[16..16+len) to the file,
 * as one zstd frame; raw_len as given (to test lies). */
static void put_zstd_chunk(const uint8_t *raw, size_t len, uint32_t raw_len)
{
	uint8_t *out = file + file_len;
	size_t n = ZSTD_compress(out + CZT_CHUNK_HEADER_LEN, sizeof(file) - file_len - CZT_CHUNK_HEADER_LEN,
				 raw + CZT_CHUNK_HEADER_LEN, len, 1);
	CHECK(!ZSTD_isError(n) && n < len);
	file_len += czt_chunk_seal(out, CZT_CHUNK_EVENTS, CZT_CHUNK_ZSTD, (uint32_t)n, raw_len);
}

/* The records of every chunk, as text, and the reader's last result. */
static int read_all(const uint8_t *data, size_t len, char *out, size_t cap, unsigned *zstd_chunks)
{
	struct czt_reader *r;
	int rc = czt_reader_open_mem(&r, data, len);
	if (rc)
		return rc;
	size_t used = 0;
	struct czt_chunk c;
	struct czt_record rec;
	*zstd_chunks = 0;
	out[0] = 0;
	while ((rc = czt_reader_next_chunk(r, &c)) == CZT_OK) {
		*zstd_chunks += (c.flags & CZT_CHUNK_ZSTD) != 0;
		while (czt_reader_next_record(r, &rec) == CZT_OK && used + 64 < cap)
			used += (size_t)snprintf(out + used, cap - used, "%u %llu %llx %llu|", rec.type,
						 (unsigned long long)rec.time,
						 (unsigned long long)rec.addr,
						 (unsigned long long)rec.size);
	}
	czt_reader_free(r);
	return rc;
}

static char text_raw[1 << 16], text_zstd[1 << 16];

/* czt_chunk_seal with flags 0 frames exactly as czt_enc_finish. */
TEST(seal_raw_matches_finish)
{
	static uint8_t a[4096], b[4096];
	size_t len = fill_events(a, sizeof(a), 20);
	fill_events(b, sizeof(b), 20);
	struct czt_enc e;
	czt_enc_init(&e, b, sizeof(b), CZT_CHUNK_EVENTS, 42, 5000);
	e.pos = b + CZT_CHUNK_HEADER_LEN + len;
	e.n_records = 40;
	size_t fin = czt_enc_finish(&e);
	CHECK_EQ_U(czt_chunk_seal(a, CZT_CHUNK_EVENTS, 0, (uint32_t)len, (uint32_t)len), fin);
	CHECK(memcmp(a, b, fin) == 0);
}

/* The same chunk stored raw and as a zstd frame reads as the same records. */
TEST(zstd_chunk_reads_like_raw)
{
	static uint8_t raw[16384];
	size_t len = fill_events(raw, sizeof(raw), 300);
	put_header();
	put_zstd_chunk(raw, len, (uint32_t)len);
	unsigned zc = 0;
	CHECK(read_all(file, file_len, text_zstd, sizeof(text_zstd), &zc) == CZT_EOF);
	CHECK_EQ_U(zc, 1);

	put_header();
	memcpy(file + file_len, raw, CZT_CHUNK_HEADER_LEN + len);
	file_len += czt_chunk_seal(file + file_len, CZT_CHUNK_EVENTS, 0, (uint32_t)len, (uint32_t)len);
	CHECK(read_all(file, file_len, text_raw, sizeof(text_raw), &zc) == CZT_EOF);
	CHECK_EQ_U(zc, 0);
	CHECK(strlen(text_raw) > 1000);
	CHECK_STR(text_zstd, text_raw);
}

/* A frame whose size differs from raw_len is damage, even under a valid
 * checksum. */
TEST(zstd_raw_len_lie_rejected)
{
	static uint8_t raw[16384];
	size_t len = fill_events(raw, sizeof(raw), 300);
	unsigned zc;
	put_header();
	put_zstd_chunk(raw, len, (uint32_t)len + 1);
	CHECK(read_all(file, file_len, text_zstd, sizeof(text_zstd), &zc) == CZT_ERR_CORRUPT);
	put_header();
	put_zstd_chunk(raw, len, (uint32_t)len - 1);
	CHECK(read_all(file, file_len, text_zstd, sizeof(text_zstd), &zc) == CZT_ERR_CORRUPT);
}

/* A trace of compressed chunks cut at any byte reads its whole chunks and
 * stops at a chunk boundary. */
TEST(zstd_truncation_at_every_byte)
{
	static uint8_t raw[16384];
	put_header();
	size_t bounds[4], nb = 0;
	for (int k = 0; k < 3; k++) {
		size_t len = fill_events(raw, sizeof(raw), 100 + 50 * k);
		put_zstd_chunk(raw, len, (uint32_t)len);
		bounds[nb++] = file_len;
	}
	int bad = 0;
	for (size_t cut = 0; cut < file_len; cut++) {
		struct czt_reader *r;
		if (czt_reader_open_mem(&r, file, cut))
			continue;
		struct czt_chunk c;
		struct czt_record rec;
		int rc;
		while ((rc = czt_reader_next_chunk(r, &c)) == CZT_OK)
			while (czt_reader_next_record(r, &rec) == CZT_OK)
				;
		uint64_t off = czt_reader_offset(r);
		size_t whole = 0; /* where the last chunk wholly inside the cut ends */
		for (size_t i = 0; i < nb; i++)
			if (bounds[i] <= cut)
				whole = bounds[i];
		if (whole && off != whole)
			bad++;
		if (rc != CZT_ERR_TRUNCATED && !(rc == CZT_EOF && off == cut))
			bad++;
		czt_reader_free(r);
	}
	CHECK_EQ_U(bad, 0);
}

/* The raw size of the chunks ahead, from their headers alone: compressed
 * chunks count as they decompress, and the reader's position does not
 * move. */
TEST(raw_bytes_from_headers)
{
	static uint8_t raw[16384];
	put_header();
	size_t lens = 0;
	for (int k = 0; k < 3; k++) {
		size_t len = fill_events(raw, sizeof(raw), 100 + 50 * k);
		put_zstd_chunk(raw, len, (uint32_t)len);
		lens += len;
	}
	size_t len = fill_events(file + file_len, sizeof(file) - file_len, 10);
	file_len += czt_chunk_seal(file + file_len, CZT_CHUNK_EVENTS, 0, (uint32_t)len, (uint32_t)len);
	lens += len;
	struct czt_reader *r;
	CHECK(czt_reader_open_mem(&r, file, file_len) == CZT_OK);
	if (!r)
		return;
	CHECK(file_len < lens);
	CHECK_EQ_U(czt_reader_raw_bytes(r), lens);
	struct czt_chunk c;
	CHECK(czt_reader_next_chunk(r, &c) == CZT_OK);
	uint64_t after_first = czt_reader_raw_bytes(r);
	CHECK_EQ_U(after_first, lens - c.raw_len);
	CHECK_EQ_U(czt_reader_raw_bytes(r), after_first);
	czt_reader_free(r);
	/* a header claiming more than the limit ends the count there */
	file[file_len - len - CZT_CHUNK_HEADER_LEN + 8] = 0xff;
	file[file_len - len - CZT_CHUNK_HEADER_LEN + 11] = 0xff;
	CHECK(czt_reader_open_mem(&r, file, file_len) == CZT_OK);
	if (!r)
		return;
	CHECK_EQ_U(czt_reader_raw_bytes(r), lens - len);
	czt_reader_free(r);
}

int main(void)
{
	RUN(seal_raw_matches_finish);
	RUN(zstd_chunk_reads_like_raw);
	RUN(zstd_raw_len_lie_rejected);
	RUN(zstd_truncation_at_every_byte);
	RUN(raw_bytes_from_headers);
	return unit_done();
}
