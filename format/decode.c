/*
 * decode.c - the streaming reader.  It trusts nothing: every length is
 * checked against what remains, every varint is bounded to 10 bytes, chunk
 * sizes are bounded by CZT_CHUNK_MAX_RAW, and a checksum is verified before
 * any byte of a chunk is interpreted.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format/czt.h"
#include "format/czt_layout.h"
#include "format/czt_model.h"
#include "format/czt_zstd.h"
#include "format/readahead.h"

/* Fuzzing builds accept bad checksums so that the fuzzer reaches the
 * record parsers behind them; never set otherwise. */
#ifdef CZT_FUZZING
#define CZT_SKIP_CRC 1
#else
#define CZT_SKIP_CRC 0
#endif

/* Where the records of a chunk are read from, and the running values
 * its records are decoded against (FORMAT.md, per-chunk decoding state). */
struct czt_cursor {
	const uint8_t *p, *pend;
	uint64_t tid, last_time, last_addr;
	/* CALL records: the chunk's operator, for its events from there on;
	 * a stack for the next event only */
	uint64_t call_op, call_stack;
	int has_call;
};

struct czt_reader {
	int fd; /* -1 when reading memory */
	const uint8_t *mem;
	uint64_t size; /* bytes available (file size at last look) */
	uint64_t off;  /* offset of the next chunk header */
	uint64_t cur;  /* offset of the current chunk */
	struct czt_header hdr;
	uint8_t *hdr_buf;
	uint8_t *stored; size_t stored_cap;
	uint8_t *raw; size_t raw_cap;
	struct czt_zstd_dctx *zstd; /* made at the first compressed chunk */
	/* czt_reader_read_ahead: the worker that reads the next chunks
	 * (readahead.c, reached through ahead_ops); ahead_over: it has
	 * stopped, the chunk taken last is still the cursor's */
	struct czt_ahead *ahead;
	const struct czt_ahead_ops *ahead_ops;
	int ahead_over;
	uint8_t *streams; size_t streams_cap; /* a column chunk's streams */
	void *model; size_t model_raw; /* column chunks: the joiner's scratch, for model_raw bytes */
	int skim;                  /* column chunks' events are counted, not rebuilt */
	int pass_next;             /* czt_reader_pass_next: the next EVENTS chunk unread */
	uint64_t skim_events, skim_end; /* what count_events reports for the current chunk */
	size_t skim_len;           /* the skimmed payload's length (tid, base_time) */
	unsigned chunk_type;
	struct czt_cursor at; /* the current chunk's records */
};

const char *czt_errstr(int rc)
{
	switch (rc) {
	case CZT_OK: return "ok";
	case CZT_EOF: return "end of trace";
	case CZT_ERR_IO: return "read or write failed";
	case CZT_ERR_MAGIC: return "not a czprof trace";
	case CZT_ERR_VERSION: return "trace written by a newer czprof (format version too new)";
	case CZT_ERR_TRUNCATED: return "trace ends inside a chunk";
	case CZT_ERR_CHECKSUM: return "checksum mismatch (damaged data)";
	case CZT_ERR_CORRUPT: return "malformed data";
	case CZT_ERR_NOMEM: return "out of memory";
	case CZT_ERR_UNSUPPORTED: return "unsupported chunk encoding";
	}
	return "unknown error";
}

static uint16_t get_u16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Reads a varint from [*pp, end).  Returns 0, or -1 when it runs past end
 * or past 10 bytes. */
static int get_varint(const uint8_t **pp, const uint8_t *end, uint64_t *out)
{
	const uint8_t *p = *pp;
	uint64_t v = 0;
	for (int shift = 0; shift < 70; shift += 7) {
		if (p >= end)
			return -1;
		uint8_t b = *p++;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*pp = p;
			*out = v;
			return 0;
		}
	}
	return -1;
}

/* get_varint where at least 10 bytes are left, so that no byte read
 * needs a check: most of a chunk's records. */
static inline int get_varint_10(const uint8_t **pp, uint64_t *out)
{
	const uint8_t *p = *pp;
	uint64_t b = *p++, v = b & 0x7f;
	for (int shift = 7; b & 0x80; shift += 7) {
		if (shift == 70)
			return -1;
		b = *p++;
		v |= (b & 0x7f) << shift;
	}
	*pp = p;
	*out = v;
	return 0;
}

static int get_bytes(const uint8_t **pp, const uint8_t *end, const uint8_t **s, size_t *len)
{
	uint64_t n;
	if (get_varint(pp, end, &n) || n > (uint64_t)(end - *pp))
		return -1;
	*s = *pp;
	*len = (size_t)n;
	*pp += n;
	return 0;
}

static int refresh_size(struct czt_reader *r)
{
	if (r->fd < 0)
		return CZT_OK;
	struct stat st;
	if (fstat(r->fd, &st))
		return CZT_ERR_IO;
	r->size = (uint64_t)st.st_size;
	return CZT_OK;
}

/* Reads len bytes at off into dst (file) or points *src at them (memory). */
static int read_at(struct czt_reader *r, uint64_t off, size_t len, uint8_t *dst,
		   const uint8_t **src)
{
	if (off + len > r->size)
		return CZT_ERR_TRUNCATED;
	if (r->fd < 0) {
		*src = r->mem + off;
		return CZT_OK;
	}
	size_t done = 0;
	while (done < len) {
		ssize_t n = pread(r->fd, dst + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return CZT_ERR_IO;
		if (n == 0)
			return CZT_ERR_TRUNCATED;
		done += (size_t)n;
	}
	*src = dst;
	return CZT_OK;
}

static int grow(uint8_t **buf, size_t *cap, size_t need)
{
	if (need <= *cap)
		return CZT_OK;
	size_t n = *cap ? *cap : 65536;
	while (n < need)
		n *= 2;
	uint8_t *b = realloc(*buf, n);
	if (!b)
		return CZT_ERR_NOMEM;
	*buf = b;
	*cap = n;
	return CZT_OK;
}

static int parse_header(struct czt_reader *r)
{
	uint8_t fixed[16];
	const uint8_t *f;
	int rc = read_at(r, 0, 16, fixed, &f);
	if (rc == CZT_ERR_TRUNCATED) {
		/* a short file is a cut trace only if what is there is our magic */
		uint8_t b[16];
		size_t n = (size_t)r->size;
		if (n == 0 || read_at(r, 0, n, b, &f))
			return CZT_ERR_MAGIC;
		return memcmp(f, CZT_MAGIC, n < CZT_MAGIC_LEN ? n : CZT_MAGIC_LEN)
			       ? CZT_ERR_MAGIC : CZT_ERR_TRUNCATED;
	}
	if (rc)
		return rc;
	if (memcmp(f, CZT_MAGIC, CZT_MAGIC_LEN))
		return CZT_ERR_MAGIC;
	r->hdr.major = get_u16(f + 8);
	r->hdr.minor = get_u16(f + 10);
	if (r->hdr.major > CZT_VERSION_MAJOR || r->hdr.major == 0)
		return CZT_ERR_VERSION;
	uint32_t body_len = get_u32(f + 12);
	if (body_len > CZT_HEADER_MAX_BODY)
		return CZT_ERR_CORRUPT;
	r->hdr_buf = malloc(16 + (size_t)body_len + 4);
	if (!r->hdr_buf)
		return CZT_ERR_NOMEM;
	const uint8_t *all;
	rc = read_at(r, 0, 16 + (size_t)body_len + 4, r->hdr_buf, &all);
	if (rc)
		return rc;
	if (all != r->hdr_buf)
		memcpy(r->hdr_buf, all, 16 + (size_t)body_len + 4);
	const uint8_t *p = r->hdr_buf + 16, *end = p + body_len;
	if (czt_crc32c(0, r->hdr_buf, 16 + body_len) != get_u32(end) && !CZT_SKIP_CRC)
		return CZT_ERR_CHECKSUM;
	const uint8_t *s;
	size_t n;
	if (get_varint(&p, end, &r->hdr.pid) || get_varint(&p, end, &r->hdr.ppid) ||
	    get_varint(&p, end, &r->hdr.start_realtime_ns) ||
	    get_varint(&p, end, &r->hdr.clock) ||
	    get_varint(&p, end, &r->hdr.start_monotonic_ns))
		return CZT_ERR_CORRUPT;
	if (get_bytes(&p, end, &s, &n))
		return CZT_ERR_CORRUPT;
	r->hdr.cmdline = (const char *)s;
	r->hdr.cmdline_len = n;
	if (get_bytes(&p, end, &s, &n))
		return CZT_ERR_CORRUPT;
	r->hdr.exe = (const char *)s;
	r->hdr.exe_len = n;
	/* fields a newer minor version appends are skipped */
	r->off = r->cur = 16 + (uint64_t)body_len + 4;
	return CZT_OK;
}

static int open_common(struct czt_reader *r, struct czt_reader **out)
{
	int rc = parse_header(r);
	if (rc) {
		czt_reader_free(r);
		return rc;
	}
	*out = r;
	return CZT_OK;
}

int czt_reader_open(struct czt_reader **out, const char *path)
{
	*out = NULL;
	struct czt_reader *r = calloc(1, sizeof(*r));
	if (!r)
		return CZT_ERR_NOMEM;
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0) {
		int e = errno;
		free(r);
		errno = e;
		return CZT_ERR_IO;
	}
	struct stat st;
	if (fstat(r->fd, &st) || !S_ISREG(st.st_mode)) {
		int e = S_ISDIR(st.st_mode) ? EISDIR : errno;
		czt_reader_free(r);
		errno = e ? e : EINVAL;
		return CZT_ERR_IO;
	}
	r->size = (uint64_t)st.st_size;
	return open_common(r, out);
}

int czt_reader_open_mem(struct czt_reader **out, const void *data, size_t len)
{
	*out = NULL;
	struct czt_reader *r = calloc(1, sizeof(*r));
	if (!r)
		return CZT_ERR_NOMEM;
	r->fd = -1;
	r->mem = data;
	r->size = len;
	return open_common(r, out);
}

void czt_reader_free(struct czt_reader *r)
{
	if (!r)
		return;
	if (r->ahead) /* before the file closes: the worker reads it */
		r->ahead_ops->free(r->ahead);
	if (r->fd >= 0)
		close(r->fd);
	free(r->hdr_buf);
	free(r->stored);
	free(r->raw);
	free(r->streams);
	free(r->model);
	czt_zstd_dctx_free(r->zstd);
	free(r);
}

const struct czt_header *czt_reader_header(const struct czt_reader *r)
{
	return &r->hdr;
}

uint64_t czt_reader_offset(const struct czt_reader *r)
{
	return r->off;
}

uint64_t czt_reader_size(const struct czt_reader *r)
{
	return r->size;
}

/* Walks the chunk headers from the reader's position up to the end of the
 * file or the first header that is not sound, reading nothing else.
 * Returns the chunks' raw bytes; *end is where the walk stopped, *last the
 * offset of the last chunk passed (UINT64_MAX: none) and *last_len its
 * stored length. */
static uint64_t walk_headers(struct czt_reader *r, uint64_t *end, uint64_t *last, uint32_t *last_len)
{
	uint64_t total = 0, off = r->off;
	*last = UINT64_MAX;
	*last_len = 0;
	while (off + CZT_CHUNK_HEADER_LEN <= r->size) {
		uint8_t hb[CZT_CHUNK_HEADER_LEN];
		const uint8_t *h;
		if (read_at(r, off, CZT_CHUNK_HEADER_LEN, hb, &h))
			break;
		uint32_t stored_len = get_u32(h + 4), raw_len = get_u32(h + 8);
		if (h[0] == 0 || stored_len > CZT_CHUNK_MAX_RAW || raw_len > CZT_CHUNK_MAX_RAW)
			break;
		total += raw_len;
		*last = off;
		*last_len = stored_len;
		off += CZT_CHUNK_HEADER_LEN + (uint64_t)stored_len;
	}
	*end = off;
	return total;
}

uint64_t czt_reader_raw_bytes(struct czt_reader *r)
{
	uint64_t end, last;
	uint32_t last_len;
	return walk_headers(r, &end, &last, &last_len);
}

/* Skimming: the payload becomes only the chunk's tid and base_time (from
 * MISC), and the events are counted for czt_reader_count_events. */
static int skim_columns(struct czt_reader *r, const struct czt_streams *in, size_t raw_len)
{
	const uint8_t *p = in->s[CZT_S_MISC], *end = p + in->len[CZT_S_MISC];
	uint64_t tid, base;
	if (get_varint(&p, end, &tid) || get_varint(&p, end, &base))
		return CZT_ERR_CORRUPT;
	size_t n = (size_t)(p - in->s[CZT_S_MISC]);
	if (n > raw_len)
		return CZT_ERR_CORRUPT;
	memcpy(r->raw, in->s[CZT_S_MISC], n);
	r->skim_events = r->skim_end = 0;
	if (czt_model_scan(in, base, &r->skim_events, &r->skim_end))
		return CZT_ERR_CORRUPT;
	r->skim_len = n;
	return CZT_OK;
}

/* Rebuilds a column chunk's payload (stored_len bytes at payload) into
 * r->raw: each stream decompressed in turn, then joined (skimmed when the
 * reader skims). */
static int join_columns(struct czt_reader *r, const uint8_t *payload, size_t stored_len,
			size_t raw_len)
{
	size_t raw[CZT_STREAMS], stored[CZT_STREAMS], total = 0;
	const uint8_t *p = payload;
	if (czt_columns_header_get(&p, payload + stored_len, raw_len, raw, stored))
		return CZT_ERR_CORRUPT;
	for (int s = 0; s < CZT_STREAMS; s++)
		total += raw[s];
	int rc = grow(&r->streams, &r->streams_cap, total ? total : 1);
	if (rc)
		return rc;
	struct czt_streams in;
	uint8_t *at = r->streams;
	for (int s = 0; s < CZT_STREAMS; s++) {
		int needed = !r->skim || s == CZT_S_OPS || s == CZT_S_MISC ||
			     (s >= CZT_S_TIMES && s < CZT_S_ADDRS);
		if (!needed)
			raw[s] = 0;
		else if (stored[s] == raw[s])
			memcpy(at, p, raw[s]);
		else if ((rc = czt_zstd_decompress(r->zstd, at, raw[s], p, stored[s])))
			return rc;
		in.s[s] = at;
		in.len[s] = raw[s];
		at += raw[s];
		p += stored[s];
	}
	if (r->skim)
		return skim_columns(r, &in, raw_len);
	if (!r->model || r->model_raw < raw_len) { /* the joiner's only */
		free(r->model);
		r->model = calloc(1, czt_model_scratch_bytes(raw_len));
		if (!r->model)
			return CZT_ERR_NOMEM;
		r->model_raw = raw_len;
	}
	return czt_model_join(&in, r->raw, raw_len, r->model, r->model_raw) ? CZT_ERR_CORRUPT
									     : CZT_OK;
}

/* Reads and checks the header of the chunk at r->off into f. */
static int chunk_head(struct czt_reader *r, struct czt_fetched *f)
{
	uint8_t hb[CZT_CHUNK_HEADER_LEN];
	const uint8_t *h;
	int rc = read_at(r, r->off, CZT_CHUNK_HEADER_LEN, hb, &h);
	if (rc)
		return rc;
	unsigned type = h[0], flags = h[1];
	uint32_t stored_len = get_u32(h + 4), raw_len = get_u32(h + 8);
	if (type == 0 || stored_len > CZT_CHUNK_MAX_RAW || raw_len > CZT_CHUNK_MAX_RAW ||
	    (flags & ~(unsigned)(CZT_CHUNK_ZSTD | CZT_CHUNK_COLUMNS)) ||
	    flags == (CZT_CHUNK_ZSTD | CZT_CHUNK_COLUMNS) ||
	    ((flags & CZT_CHUNK_COLUMNS) && type != CZT_CHUNK_EVENTS) ||
	    (!flags && stored_len != raw_len))
		return CZT_ERR_CORRUPT;
	f->type = type;
	f->flags = flags;
	f->stored_len = stored_len;
	f->raw_len = raw_len;
	f->crc = get_u32(h + 12);
	f->hcrc = czt_crc32c(0, h, 12);
	return CZT_OK;
}

/* Reads the payload of the chunk f heads, checks it and decompresses or
 * joins it: *payload points at its raw_len bytes, in r->stored (file,
 * flags 0), the memory (flags 0) or r->raw. */
static int chunk_body(struct czt_reader *r, const struct czt_fetched *f, const uint8_t **payload)
{
	int rc;
	if (r->fd >= 0 && (rc = grow(&r->stored, &r->stored_cap, f->stored_len)))
		return rc;
	rc = read_at(r, r->off + CZT_CHUNK_HEADER_LEN, f->stored_len, r->stored, payload);
	if (rc)
		return rc;
	if (czt_crc32c(f->hcrc, *payload, f->stored_len) != f->crc && !CZT_SKIP_CRC)
		return CZT_ERR_CHECKSUM;
	if (!f->flags)
		return CZT_OK;
	if ((rc = grow(&r->raw, &r->raw_cap, f->raw_len ? f->raw_len : 1)))
		return rc;
	if (!r->zstd)
		r->zstd = czt_zstd_dctx_new(); /* NULL: one-shot contexts, slower */
	if (f->flags & CZT_CHUNK_ZSTD)
		rc = czt_zstd_decompress(r->zstd, r->raw, f->raw_len, *payload, f->stored_len);
	else
		rc = join_columns(r, *payload, f->stored_len, f->raw_len);
	if (rc)
		return rc;
	*payload = r->raw;
	return CZT_OK;
}

/* czt_reader_pass_next's chunk: whole in the file, never read. */
static int chunk_pass(struct czt_reader *r, const struct czt_fetched *f, struct czt_chunk *c)
{
	if (r->off + CZT_CHUNK_HEADER_LEN + (uint64_t)f->stored_len > r->size)
		return CZT_ERR_TRUNCATED;
	r->pass_next = 0;
	r->cur = r->off;
	r->chunk_type = f->type;
	r->at.tid = r->at.last_time = r->at.last_addr = 0;
	r->at.has_call = 0;
	r->at.call_op = r->at.call_stack = 0;
	*c = (struct czt_chunk){ .type = f->type, .flags = f->flags, .offset = r->off,
				 .raw_len = f->raw_len, .passed = 1 };
	r->off += CZT_CHUNK_HEADER_LEN + (uint64_t)f->stored_len;
	return CZT_OK;
}

/* Points the record cursor at a chunk's payload and fills *c. */
static int chunk_start(struct czt_reader *r, const struct czt_fetched *f, const uint8_t *payload,
		       struct czt_chunk *c)
{
	unsigned type = f->type;
	r->cur = r->off;
	r->at.p = payload;
	r->at.pend = payload + f->raw_len;
	if (r->skim && (f->flags & CZT_CHUNK_COLUMNS))
		r->at.pend = payload + r->skim_len;
	r->chunk_type = type;
	r->at.tid = r->at.last_time = r->at.last_addr = 0;
	r->at.has_call = 0;
	r->at.call_op = r->at.call_stack = 0;
	if (type == CZT_CHUNK_EVENTS &&
	    (get_varint(&r->at.p, r->at.pend, &r->at.tid) || get_varint(&r->at.p, r->at.pend, &r->at.last_time)))
		return CZT_ERR_CORRUPT;
	c->type = type;
	c->flags = f->flags;
	c->offset = r->off;
	c->tid = r->at.tid;
	c->base_time = r->at.last_time;
	c->raw_len = f->raw_len;
	r->off += CZT_CHUNK_HEADER_LEN + (uint64_t)f->stored_len;
	return CZT_OK;
}

/* The worker's reader: the same file, its own position and buffers. */
struct czt_reader *czt__twin_new(const struct czt_reader *r)
{
	struct czt_reader *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->fd = r->fd;
	w->size = r->size;
	w->off = w->cur = r->off;
	return w;
}

void czt__twin_free(struct czt_reader *w)
{
	if (!w)
		return;
	w->fd = -1; /* the reader's own, closed by it */
	czt_reader_free(w);
}

/* czt_reader_next_chunk's reading, on the worker's reader: everything but
 * the cursor, which the caller's reader sets when it takes the chunk. */
void czt__fetch(struct czt_reader *w, struct czt_fetched *f, uint8_t **buf, size_t *cap)
{
	*f = (struct czt_fetched){ .off = w->off };
	f->rc = refresh_size(w);
	f->size = w->size;
	if (f->rc)
		return;
	if (w->off == w->size) {
		f->rc = CZT_EOF;
		return;
	}
	if ((f->rc = chunk_head(w, f)))
		return;
	f->head_ok = 1;
	/* the payload lands in buf: lent to the reader as the buffer
	 * chunk_body fills (grown there), taken back after */
	uint8_t **dst = f->flags ? &w->raw : &w->stored;
	size_t *dcap = f->flags ? &w->raw_cap : &w->stored_cap;
	uint8_t *keep = *dst;
	size_t keep_cap = *dcap;
	*dst = *buf;
	*dcap = *cap;
	f->rc = chunk_body(w, f, &f->payload);
	*buf = *dst;
	*cap = *dcap;
	*dst = keep;
	*dcap = keep_cap;
	if (!f->rc)
		w->off += CZT_CHUNK_HEADER_LEN + (uint64_t)f->stored_len;
}

int czt__may_read_ahead(const struct czt_reader *r)
{
	if (r->ahead && !r->ahead_over)
		return 0;
	return r->fd >= 0 && !r->skim && !r->ahead ? 1 : -1;
}

void czt__attach(struct czt_reader *r, struct czt_ahead *a, const struct czt_ahead_ops *ops)
{
	r->ahead = a;
	r->ahead_ops = ops;
	r->ahead_over = 0;
}

/* The worker ends: the reader reads on by itself from the next call. */
static void ahead_stop(struct czt_reader *r)
{
	r->ahead_ops->stop(r->ahead);
	r->ahead_over = 1;
}

#define AHEAD_OVER 2 /* no CZT code: read the chunk without the worker */

/* czt_reader_next_chunk from the worker's chunks: the same steps on what it
 * read, in the same order, so that every result and offset is the one
 * reading it here would give.  Where the worker stopped (an error, the
 * end), or the caller's reader must read the chunk again (an error of its
 * own), the worker stops and the reader goes on without it. */
static int next_chunk_ahead(struct czt_reader *r, struct czt_chunk *c)
{
	if (r->ahead_over) { /* the chunk taken last is no longer read */
		r->at.p = r->at.pend = NULL;
		r->ahead_ops->free(r->ahead);
		r->ahead = NULL;
		return AHEAD_OVER;
	}
	const struct czt_fetched *f = r->ahead_ops->take(r->ahead);
	if (!f || f->off != r->off) {
		ahead_stop(r);
		return next_chunk_ahead(r, c);
	}
	r->size = f->size;
	r->at.p = r->at.pend = NULL;
	r->skim_events = 0;
	if (!f->head_ok) {
		ahead_stop(r);
		return f->rc;
	}
	c->passed = 0;
	if (r->pass_next && f->type == CZT_CHUNK_EVENTS) {
		/* what the worker read of it is let go */
		int rc = chunk_pass(r, f, c);
		if (rc || f->rc)
			ahead_stop(r);
		return rc;
	}
	r->pass_next = 0;
	int rc = f->rc ? f->rc : chunk_start(r, f, f->payload, c);
	if (rc)
		ahead_stop(r);
	return rc;
}

int czt_reader_next_chunk(struct czt_reader *r, struct czt_chunk *c)
{
	int rc;
	if (r->ahead && (rc = next_chunk_ahead(r, c)) != AHEAD_OVER)
		return rc;
	rc = refresh_size(r);
	if (rc)
		return rc;
	r->at.p = r->at.pend = NULL;
	r->skim_events = 0;
	if (r->off == r->size)
		return CZT_EOF;
	struct czt_fetched f;
	if ((rc = chunk_head(r, &f)))
		return rc;
	c->passed = 0;
	if (r->pass_next && f.type == CZT_CHUNK_EVENTS)
		return chunk_pass(r, &f, c);
	r->pass_next = 0;
	const uint8_t *payload;
	if ((rc = chunk_body(r, &f, &payload)))
		return rc;
	return chunk_start(r, &f, payload, c);
}

/* A core record's fields, by the letters of czt_layout.h. */
static int decode_core(struct czt_cursor *r, struct czt_record *rec, const char *layout)
{
	uint64_t v, dt_free = 0;
	int room = r->pend - r->p >= 10 * CZT_MAX_CORE_FIELDS;
	for (const char *f = layout; *f; f++) {
		if (room ? get_varint_10(&r->p, &v) : get_varint(&r->p, r->pend, &v))
			return CZT_ERR_CORRUPT;
		switch (*f) {
		case 't': r->last_time += v; rec->time = r->last_time; break;
		case 'f': dt_free = v; break;
		case 'a': rec->allocator = v; break;
		case 'A':
		case 'R': r->last_addr += (uint64_t)czt_unzigzag(v); rec->addr = r->last_addr; break;
		case 'O': r->last_addr += (uint64_t)czt_unzigzag(v); rec->old_addr = r->last_addr; break;
		case 'I':
			r->last_addr += (uint64_t)czt_unzigzag(v);
			rec->addr = rec->old_addr = r->last_addr;
			break;
		case 's': rec->size = v; break;
		case 'S': rec->stack = v; break;
		case 'k': rec->kind = v; break;
		case 'P': rec->parent = v; break;
		case 'n': rec->name = v; break;
		case 'v': rec->value = v; break;
		}
	}
	rec->time_free = dt_free <= rec->time ? rec->time - dt_free : 0;
	return CZT_OK;
}

/* Gives the event just decoded what CALL records before it said: the
 * chunk's operator, and the last one's stack if it is a free (an
 * allocation has its own). */
static void take_call(struct czt_cursor *r, struct czt_record *rec)
{
	rec->op = r->call_op;
	if (r->call_stack && (rec->type == CZT_REC_FREE || rec->type == CZT_REC_CZ_FREE))
		rec->stack = r->call_stack;
	r->call_stack = 0;
	r->has_call = r->call_op != 0;
}

static int decode_prefixed(struct czt_record *rec, const uint8_t *p, const uint8_t *end)
{
	const uint8_t *s;
	size_t n;
#define V(x) if (get_varint(&p, end, &(x))) return CZT_ERR_CORRUPT
	switch (rec->type) {
	case CZT_REC_STACK_NODE: V(rec->id); V(rec->parent); V(rec->ip); break;
	case CZT_REC_STRING:
		V(rec->id);
		if (get_bytes(&p, end, &s, &n)) return CZT_ERR_CORRUPT;
		rec->str = s; rec->str_len = n;
		break;
	case CZT_REC_MODULE_LOAD:
		V(rec->time); V(rec->id); V(rec->bias); V(rec->start); V(rec->end);
		if (get_bytes(&p, end, &s, &n)) return CZT_ERR_CORRUPT;
		rec->str = s; rec->str_len = n;
		if (get_bytes(&p, end, &s, &n)) return CZT_ERR_CORRUPT;
		rec->build_id = s; rec->build_id_len = n;
		break;
	case CZT_REC_MODULE_UNLOAD: V(rec->time); V(rec->id); break;
	case CZT_REC_THREAD_START: V(rec->time); V(rec->tid); V(rec->name); break;
	case CZT_REC_THREAD_END: V(rec->time); V(rec->tid); break;
	case CZT_REC_FRAME: {
		uint64_t nf;
		V(rec->ip); V(rec->id); V(nf);
		if (nf > CZT_MAX_INLINE_FRAMES)
			return CZT_ERR_CORRUPT;
		rec->nframes = (unsigned)nf;
		for (unsigned i = 0; i < rec->nframes; i++) {
			V(rec->frames[i].function); V(rec->frames[i].file); V(rec->frames[i].line);
		}
		break;
	}
	case CZT_REC_PROCESS_END: V(rec->time); V(rec->how); V(rec->value); break;
	case CZT_REC_SUMMARY: V(rec->n_events); V(rec->n_stack_nodes); V(rec->end_time); break;
	case CZT_REC_LOST: /* why and err since 3.3 */
		V(rec->time); V(rec->value);
		if (p < end) {
			V(rec->why); V(rec->err);
		}
		break;
	case CZT_REC_CHUNK_EVENTS: V(rec->n_events); V(rec->end_time); break;
	case CZT_REC_SCAN_REGION: V(rec->start); V(rec->end); V(rec->how); break;
	case CZT_REC_SCAN_WORDS:
	case CZT_REC_SCAN_CONTEXT:
	case CZT_REC_SCAN_VTABLES:
		/* the whole body is the list (czt_scan.h) */
		rec->str = p;
		rec->str_len = (size_t)(end - p);
		p = end;
		break;
	case CZT_REC_SCAN_END: V(rec->time); V(rec->n_events); V(rec->value); V(rec->end_time); break;
	case CZT_REC_IMAGE:
		V(rec->time);
		if (get_bytes(&p, end, &s, &n)) return CZT_ERR_CORRUPT;
		rec->str = s; rec->str_len = n;
		if (get_bytes(&p, end, &s, &n)) return CZT_ERR_CORRUPT;
		rec->cmdline = s; rec->cmdline_len = n;
		/* 3.4 appends flags and the early-block count; a 3.3 image
		 * record (an exec's, never whole) has neither */
		rec->value = rec->n_events = 0;
		if (p < end) { V(rec->value); V(rec->n_events); }
		break;
	case CZT_REC_EARLY_BLOCK: V(rec->addr); V(rec->size); break;
	default: return 1; /* unknown: skip */
	}
#undef V
	return CZT_OK;
}

/* The next record at cursor r, as czt_reader_next_record. */
static int cursor_next(struct czt_cursor *r, struct czt_record *rec)
{
	for (;;) {
		if (!r->p || r->p >= r->pend)
			return CZT_EOF;
		unsigned type = *r->p++;
		/* events are most records: clear only what they can set */
		memset(&rec->time, 0, offsetof(struct czt_record, id) - offsetof(struct czt_record, time));
		rec->type = type;
		rec->tid = r->tid;
		if (type < 0x40) {
			const struct czt_layout *k = czt_core_layout(type);
			if (!k)
				return CZT_ERR_CORRUPT;
			rec->type = k->as;
			if (decode_core(r, rec, k->fields))
				return CZT_ERR_CORRUPT;
			if (r->has_call)
				take_call(r, rec);
			return CZT_OK;
		}
		uint64_t len;
		if (get_varint(&r->p, r->pend, &len) || len > (uint64_t)(r->pend - r->p))
			return CZT_ERR_CORRUPT;
		const uint8_t *body = r->p;
		r->p += len;
		if (type == CZT_REC_CALL) { /* not a record of its own: it tells about the next ones */
			const uint8_t *q = body, *qend = body + len;
			r->call_op = r->call_stack = 0;
			if (get_varint(&q, qend, &r->call_op) ||
			    (q < qend && get_varint(&q, qend, &r->call_stack)))
				return CZT_ERR_CORRUPT;
			r->has_call = r->call_op != 0 || r->call_stack != 0;
			continue;
		}
		memset(&rec->id, 0, offsetof(struct czt_record, frames) - offsetof(struct czt_record, id));
		int rc = decode_prefixed(rec, body, body + len);
		if (rc == 1)
			continue;
		return rc;
	}
}

int czt_reader_next_record(struct czt_reader *r, struct czt_record *rec)
{
	return cursor_next(&r->at, rec);
}

struct czt_held {
	struct czt_cursor cur; /* over bytes */
	size_t len;
	uint8_t bytes[];
};

int czt_reader_hold(struct czt_reader *r, struct czt_held **out)
{
	size_t n = r->at.p && r->at.p < r->at.pend ? (size_t)(r->at.pend - r->at.p) : 0;
	struct czt_held *h = malloc(sizeof(*h) + n);
	if (!h)
		return CZT_ERR_NOMEM;
	h->cur = r->at;
	h->len = n;
	if (n)
		memcpy(h->bytes, r->at.p, n);
	h->cur.p = h->bytes;
	h->cur.pend = h->bytes + n;
	r->at.p = r->at.pend; /* the reader is done with the chunk */
	*out = h;
	return CZT_OK;
}

int czt_held_next_record(struct czt_held *h, struct czt_record *rec)
{
	return cursor_next(&h->cur, rec);
}

int czt_held_peek(const struct czt_held *h, struct czt_record *rec)
{
	struct czt_cursor at = h->cur;
	return cursor_next(&at, rec);
}

size_t czt_held_bytes(const struct czt_held *h)
{
	return sizeof(*h) + h->len;
}

void czt_held_free(struct czt_held *h)
{
	free(h);
}

int czt_reader_footer(struct czt_reader *r, struct czt_footer *out)
{
	int rc = refresh_size(r);
	if (rc)
		return rc;
	uint64_t stop, last;
	uint32_t last_len;
	walk_headers(r, &stop, &last, &last_len);
	if (last == UINT64_MAX || stop != r->size)
		return CZT_EOF; /* no chunks, or the walk stopped short: cut or unsound */
	uint8_t *buf = malloc(CZT_CHUNK_HEADER_LEN + (size_t)last_len);
	if (!buf)
		return CZT_ERR_NOMEM;
	const uint8_t *c;
	rc = read_at(r, last, CZT_CHUNK_HEADER_LEN + (size_t)last_len, buf, &c);
	if (!rc && (c[0] != CZT_CHUNK_FOOTER || c[1] != 0 || get_u16(c + 2) != 0 ||
		    get_u32(c + 8) != last_len))
		rc = CZT_EOF;
	if (!rc && czt_crc32c(czt_crc32c(0, c, 12), c + CZT_CHUNK_HEADER_LEN, last_len) != get_u32(c + 12) &&
	    !CZT_SKIP_CRC)
		rc = CZT_ERR_CHECKSUM;
	int has_summary = 0;
	*out = (struct czt_footer){ 0 };
	for (const uint8_t *p = c + CZT_CHUNK_HEADER_LEN, *end = p + last_len; !rc && p < end;) {
		struct czt_record rec = { .type = *p++ };
		uint64_t len;
		if (rec.type < 0x40 || get_varint(&p, end, &len) || len > (uint64_t)(end - p)) {
			rc = CZT_ERR_CORRUPT; /* a footer holds no events */
			break;
		}
		const uint8_t *body = p;
		p += len;
		if (rec.type != CZT_REC_SUMMARY && rec.type != CZT_REC_PROCESS_END)
			continue;
		if (decode_prefixed(&rec, body, body + len)) {
			rc = CZT_ERR_CORRUPT;
		} else if (rec.type == CZT_REC_SUMMARY) {
			has_summary = 1;
			out->events = rec.n_events;
			out->stack_nodes = rec.n_stack_nodes;
			out->end_time = rec.end_time;
		} else {
			out->has_end = 1;
			out->end_how = rec.how;
			out->end_value = rec.value;
		}
	}
	free(buf);
	return rc ? rc : has_summary ? CZT_OK : CZT_EOF;
}

/* Steps over n varints from *pp; -1 as get_varint would fail.  Checks the
 * end of the chunk only when it is near: n varints span 10 * n bytes at
 * most. */
static int skip_varints(const uint8_t **pp, const uint8_t *end, size_t n)
{
	const uint8_t *p = *pp;
	int near = (size_t)(end - p) < 10 * n;
	for (; n; n--) {
		const uint8_t *stop = p + 10;
		if (near && stop > end)
			stop = end;
		while (p < stop && (*p & 0x80))
			p++;
		if (p == stop)
			return -1;
		p++;
	}
	*pp = p;
	return 0;
}

void czt_reader_skim(struct czt_reader *r, int on)
{
	r->skim = on;
	if (on && r->ahead && !r->ahead_over)
		ahead_stop(r); /* the worker joins columns in full */
}

void czt_reader_pass_next(struct czt_reader *r)
{
	r->pass_next = 1;
}

int czt_reader_count_events(struct czt_reader *r, uint64_t *events, uint64_t *end_time)
{
	const uint8_t *p = r->at.p, *end = r->at.pend;
	if (!p)
		return CZT_OK;
	if (r->skim_events) { /* a skimmed chunk's, counted once */
		*events += r->skim_events;
		if (r->skim_end > *end_time)
			*end_time = r->skim_end;
		r->skim_events = 0;
	}
	uint64_t n = 0, t = r->at.last_time;
	int rc = CZT_OK;
	while (p < end && *p < 0x40) {
		/* every core layout starts with the time step */
		const struct czt_layout *k = czt_core_layout(*p);
		const uint8_t *q = p + 1;
		uint64_t dt;
		if (!k || get_varint(&q, end, &dt) || skip_varints(&q, end, k->nfields - 1u)) {
			rc = CZT_ERR_CORRUPT;
			break;
		}
		t += dt;
		p = q;
		n++;
	}
	r->at.p = p;
	r->at.last_time = t;
	*events += n;
	if (n && t > *end_time)
		*end_time = t;
	return rc;
}
