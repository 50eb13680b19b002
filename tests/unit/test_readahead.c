/* test_readahead.c - czt_reader_read_ahead changes nothing but who reads:
 * traces the recorder made (column, zstd and raw chunks), the corpus's,
 * and damaged copies of them (cut, a bad checksum, a corrupt column chunk,
 * an unsound chunk header) are read with and without it, passing announced
 * chunks over or not, and every result, offset, chunk and record must be
 * the same; a reader freed in the middle leaves nothing behind. */
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format/czt.h"
#include "format/readahead.h"
#include "tests/unit.h"

static char dir[64];
static int two_cpus; /* else read-ahead refuses to start, rightly */

/* What one reading saw: a hash of every call's result, offsets, chunk and
 * record, and a few plain figures to check against. */
struct seen {
	uint64_t hash;
	uint64_t chunks, passed, records, events, str_bytes;
	int last_rc;        /* the first error, or CZT_EOF */
	uint64_t last_off;  /* czt_reader_offset() after it */
	int ahead_on;       /* czt_reader_read_ahead said 0 */
};

static void mix(struct seen *s, uint64_t v)
{
	for (int i = 0; i < 8; i++) {
		s->hash ^= (v >> (8 * i)) & 0xff;
		s->hash *= 0x100000001b3ull;
	}
}

static void mix_bytes(struct seen *s, const uint8_t *p, size_t n)
{
	mix(s, n);
	for (size_t i = 0; i < n; i++) {
		s->hash ^= p[i];
		s->hash *= 0x100000001b3ull;
	}
	s->str_bytes += n;
}

static void mix_record(struct seen *s, const struct czt_record *r)
{
	const uint64_t v[] = { r->type, r->tid, r->time, r->time_free, r->addr, r->old_addr,
			       r->size, r->stack, r->allocator, r->kind, r->parent, r->value,
			       r->name, r->op, r->id, r->ip, r->bias, r->start, r->end, r->how,
			       r->n_events, r->n_stack_nodes, r->end_time, r->why, r->err,
			       r->nframes };
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		mix(s, v[i]);
	if (r->str)
		mix_bytes(s, r->str, r->str_len);
	if (r->build_id)
		mix_bytes(s, r->build_id, r->build_id_len);
	if (r->cmdline)
		mix_bytes(s, r->cmdline, r->cmdline_len);
	for (unsigned i = 0; i < r->nframes && i < CZT_MAX_INLINE_FRAMES; i++) {
		mix(s, r->frames[i].function);
		mix(s, r->frames[i].file);
		mix(s, r->frames[i].line);
	}
}

/* Reads path to its end or first error (asked twice: a retry must give
 * the same), with read-ahead or not, passing over every announced chunk
 * when pass is set.  The footer and the raw bytes are asked before and in
 * the middle. */
static struct seen read_trace(const char *path, int ahead, int pass)
{
	struct seen s = { .hash = 0xcbf29ce484222325ull };
	struct czt_reader *r;
	int rc = czt_reader_open(&r, path);
	mix(&s, (uint64_t)rc);
	if (rc) {
		s.last_rc = rc;
		return s;
	}
	if (ahead)
		s.ahead_on = czt_reader_read_ahead(r) == 0;
	struct czt_footer foot;
	mix(&s, (uint64_t)czt_reader_footer(r, &foot));
	mix(&s, czt_reader_raw_bytes(r));
	struct czt_chunk c;
	struct czt_record rec;
	for (;;) {
		mix(&s, czt_reader_offset(r));
		memset(&c, 0x5a, sizeof(c));
		rc = czt_reader_next_chunk(r, &c);
		mix(&s, (uint64_t)rc);
		mix(&s, czt_reader_offset(r));
		mix(&s, czt_reader_size(r));
		if (rc != CZT_OK) {
			s.last_rc = rc;
			s.last_off = czt_reader_offset(r);
			/* again: the same answer, from the same place */
			rc = czt_reader_next_chunk(r, &c);
			mix(&s, (uint64_t)rc);
			mix(&s, czt_reader_offset(r));
			break;
		}
		s.chunks++;
		s.passed += c.passed != 0;
		const uint64_t cv[] = { c.type, c.flags, c.offset, c.tid, c.base_time, c.raw_len,
					(uint64_t)c.passed };
		for (size_t i = 0; i < sizeof(cv) / sizeof(cv[0]); i++)
			mix(&s, cv[i]);
		if (s.chunks == 7) {
			mix(&s, (uint64_t)czt_reader_footer(r, &foot));
			mix(&s, foot.events);
			mix(&s, czt_reader_raw_bytes(r));
		}
		while ((rc = czt_reader_next_record(r, &rec)) == CZT_OK) {
			s.records++;
			s.events += czt_rec_is_event(rec.type);
			mix_record(&s, &rec);
			if (pass && rec.type == CZT_REC_CHUNK_EVENTS)
				czt_reader_pass_next(r);
		}
		mix(&s, (uint64_t)rc);
	}
	czt_reader_free(r);
	return s;
}

/* Reads path both ways, passing or not; both must agree.  Returns the
 * reading without read-ahead. */
static struct seen both_ways(const char *path, int pass)
{
	struct seen plain = read_trace(path, 0, pass), ahead = read_trace(path, 1, pass);
	if (two_cpus && plain.last_rc != CZT_ERR_IO && plain.last_rc != CZT_ERR_MAGIC)
		CHECK(ahead.ahead_on);
	if (plain.hash != ahead.hash)
		printf("  %s (pass %d): the readings differ\n", path, pass);
	CHECK(plain.hash == ahead.hash);
	CHECK_EQ_U(ahead.chunks, plain.chunks);
	CHECK_EQ_U(ahead.passed, plain.passed);
	CHECK_EQ_U(ahead.records, plain.records);
	CHECK_EQ_U((unsigned)ahead.last_rc, (unsigned)plain.last_rc);
	CHECK_EQ_U(ahead.last_off, plain.last_off);
	return plain;
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *b = malloc((size_t)n + 1);
	if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
		free(b);
		b = NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return b;
}

static void spill(const char *path, const uint8_t *b, size_t len)
{
	FILE *f = fopen(path, "wb");
	CHECK(f && fwrite(b, 1, len, f) == len);
	if (f)
		fclose(f);
}

static uint32_t u32_at(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* The chunks of a trace in memory, found by their headers. */
struct chunk_at {
	size_t off;
	unsigned type, flags;
	uint32_t stored;
};

static size_t chunks_of(const uint8_t *b, size_t len, struct chunk_at *out, size_t cap)
{
	struct czt_reader *r;
	size_t n = 0;
	if (czt_reader_open_mem(&r, b, len))
		return 0;
	size_t off = (size_t)czt_reader_offset(r);
	czt_reader_free(r);
	while (off + CZT_CHUNK_HEADER_LEN <= len && n < cap) {
		const uint8_t *h = b + off;
		out[n++] = (struct chunk_at){ off, h[0], h[1], u32_at(h + 4) };
		off += CZT_CHUNK_HEADER_LEN + u32_at(h + 4);
	}
	return n;
}

/* The checksum of the chunk at off made right again after a change. */
static void reseal(uint8_t *b, size_t off)
{
	uint8_t *h = b + off;
	uint32_t crc = czt_crc32c(czt_crc32c(0, h, 12), h + CZT_CHUNK_HEADER_LEN, u32_at(h + 4));
	put_u32(h + 12, crc);
}

/* The index of the first chunk past the middle that matches. */
static size_t middle(const struct chunk_at *ch, size_t n, unsigned type, unsigned flags)
{
	for (size_t i = n / 2; i < n; i++)
		if (ch[i].type == type && (flags == ~0u || ch[i].flags == flags))
			return i;
	return n;
}

/* Every way to read the trace at path, whole and damaged. */
static void whole_and_damaged(const char *path, uint64_t min_events)
{
	struct seen s = both_ways(path, 0);
	CHECK_EQ_U((unsigned)s.last_rc, (unsigned)CZT_EOF);
	CHECK(s.events >= min_events);
	struct seen p = both_ways(path, 1);
	CHECK_EQ_U((unsigned)p.last_rc, (unsigned)CZT_EOF);
	CHECK_EQ_U(p.chunks, s.chunks);
	if (min_events > 10000)
		CHECK(p.passed > 10); /* big chunks are announced, and passed */

	size_t len;
	uint8_t *orig = slurp(path, &len), *b = malloc(len);
	CHECK(orig && b);
	if (!orig || !b) {
		free(orig);
		free(b);
		return;
	}
	struct chunk_at ch[4096];
	size_t n = chunks_of(orig, len, ch, 4096);
	if (n < 3) { /* too few chunks to damage one in the middle */
		free(orig);
		free(b);
		return;
	}
	char bad[160];
	snprintf(bad, sizeof(bad), "%s/damaged.czt", dir);

	/* cut: inside a chunk header, inside a payload, at a chunk's end */
	size_t cuts[] = { ch[n / 2].off + 5, ch[n / 2].off + CZT_CHUNK_HEADER_LEN + ch[n / 2].stored / 2,
			  ch[n / 3].off, len - 1 };
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		spill(bad, orig, cuts[i]);
		s = both_ways(bad, 0);
		CHECK_EQ_U((unsigned)s.last_rc, (unsigned)(cuts[i] == ch[n / 3].off ? CZT_EOF : CZT_ERR_TRUNCATED));
		both_ways(bad, 1);
	}

	/* a bad checksum in the middle: an events chunk, then a meta chunk */
	unsigned types[] = { CZT_CHUNK_EVENTS, CZT_CHUNK_META };
	for (size_t t = 0; t < 2; t++) {
		size_t k = middle(ch, n, types[t], ~0u);
		if (k == n)
			continue;
		memcpy(b, orig, len);
		b[ch[k].off + CZT_CHUNK_HEADER_LEN + ch[k].stored / 2] ^= 0x40;
		spill(bad, b, len);
		s = both_ways(bad, 0);
		CHECK_EQ_U((unsigned)s.last_rc, (unsigned)CZT_ERR_CHECKSUM);
		CHECK_EQ_U(s.last_off, ch[k].off);
		p = both_ways(bad, 1);
		/* an announced events chunk is passed over unread: the
		 * rest of the trace is read */
		if (types[t] == CZT_CHUNK_EVENTS && k > 0 && min_events > 10000)
			CHECK_EQ_U((unsigned)p.last_rc, (unsigned)CZT_EOF);
	}

	/* a column chunk whose checksum is right but whose columns are not */
	size_t k = middle(ch, n, CZT_CHUNK_EVENTS, CZT_CHUNK_COLUMNS);
	if (k < n) {
		memcpy(b, orig, len);
		b[ch[k].off + CZT_CHUNK_HEADER_LEN] = 0; /* no streams */
		reseal(b, ch[k].off);
		spill(bad, b, len);
		s = both_ways(bad, 0);
		CHECK_EQ_U((unsigned)s.last_rc, (unsigned)CZT_ERR_CORRUPT);
		CHECK_EQ_U(s.last_off, ch[k].off);
		both_ways(bad, 1);
		/* a stream's bytes changed: zstd or the join refuses them */
		memcpy(b, orig, len);
		b[ch[k].off + CZT_CHUNK_HEADER_LEN + ch[k].stored - 3] ^= 0xff;
		reseal(b, ch[k].off);
		spill(bad, b, len);
		s = both_ways(bad, 0);
		CHECK(s.last_rc < 0 || s.last_rc == CZT_EOF);
		both_ways(bad, 1);
	}

	/* an unsound chunk header: no chunk type */
	k = middle(ch, n, CZT_CHUNK_META, ~0u);
	if (k < n) {
		memcpy(b, orig, len);
		b[ch[k].off] = 0;
		spill(bad, b, len);
		s = both_ways(bad, 0);
		CHECK_EQ_U((unsigned)s.last_rc, (unsigned)CZT_ERR_CORRUPT);
		CHECK_EQ_U(s.last_off, ch[k].off);
		both_ways(bad, 1);
	}
	unlink(bad);
	free(orig);
	free(b);
}

static const char *czprof(void)
{
	const char *c = getenv("CZPROF");
	return c && *c ? c : "build/czprof";
}

/* Records build/tests/progs/PROG ARGS with the environment env into
 * dir/name; 0 when it was made. */
static int record(const char *name, const char *env, const char *prog)
{
	char cmd[1024];
	const char *tb = getenv("TESTBIN");
	snprintf(cmd, sizeof(cmd), "%s CZPROF_BUFFER_KB=16 %s record -o %s/%s -- %s/progs/%s >/dev/null 2>&1",
		 env, czprof(), dir, name, tb && *tb ? tb : "build/tests", prog);
	return system(cmd);
}

TEST(recorded_traces_read_the_same)
{
	if (access(czprof(), X_OK)) {
		printf("SKIP: %s/recorded_traces: no %s to record with\n", UNIT_SUITE, czprof());
		return;
	}
	static const struct {
		const char *name, *env, *prog;
		uint64_t events;
	} t[] = {
		{ "columns.czt", "CZPROF_COLUMNS=1", "load_big 150000", 300000 },
		{ "zstd.czt", "CZPROF_COLUMNS=0", "load_big 150000", 300000 },
		{ "raw.czt", "CZPROF_COMPRESS=0", "load_big 150000", 300000 },
		{ "threads.czt", "CZPROF_COLUMNS=1", "rec_threads", 1 },
		{ "cxx.czt", "CZPROF_FREE_STACKS=1", "rec_cxx", 1 },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char path[160];
		snprintf(path, sizeof(path), "%s/%s", dir, t[i].name);
		CHECK(record(t[i].name, t[i].env, t[i].prog) == 0);
		if (access(path, R_OK))
			continue;
		whole_and_damaged(path, t[i].events);
		unlink(path);
	}
}

TEST(corpus_traces_read_the_same)
{
	static const char *const seeds[] = {
		"tests/fuzz/corpus/decode/seed-columns.czt", "tests/fuzz/corpus/decode/seed-every-record.czt",
		"tests/fuzz/corpus/decode/seed-rec-exact.czt", "tests/fuzz/corpus/load/seed-cz-threads.czt",
		"tests/fuzz/corpus/load/seed-rel-odd.czt", "tests/fuzz/corpus/load/seed-scan.czt",
	};
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		CHECK(access(seeds[i], R_OK) == 0);
		whole_and_damaged(seeds[i], 1);
	}
	/* not a trace, and no file */
	both_ways("tests/unit/test_readahead.c", 0);
	both_ways("/nonexistent/trace.czt", 0);
}

/* Freed after 0, 1 or 3 chunks, and with records of the current one
 * unread: the worker is stopped and joined, its buffers freed (ASan's leak
 * check has the last word). */
TEST(freed_in_the_middle)
{
	char path[160];
	snprintf(path, sizeof(path), "%s/mid.czt", dir);
	const char *src = "tests/fuzz/corpus/load/seed-cz-threads.czt";
	if (!access(czprof(), X_OK) && record("mid.czt", "CZPROF_COLUMNS=1", "load_big 100000") == 0)
		src = path;
	for (int stop_at = 0; stop_at < 4; stop_at++) {
		struct czt_reader *r;
		CHECK(czt_reader_open(&r, src) == CZT_OK);
		if (!r)
			return;
		CHECK(czt_reader_read_ahead(r) == (two_cpus ? 0 : -1));
		CHECK(czt_reader_read_ahead(r) == (two_cpus ? 0 : -1)); /* already on */
		struct czt_chunk c;
		struct czt_record rec;
		for (int i = 0; i < stop_at * stop_at; i++) {
			CHECK(czt_reader_next_chunk(r, &c) == CZT_OK);
			CHECK(czt_reader_next_record(r, &rec) != CZT_ERR_CORRUPT);
		}
		czt_reader_free(r);
	}
	unlink(path);
}

/* Where read-ahead does not start, and skimming ending it midway. */
TEST(refused_and_skimmed)
{
	const char *src = "tests/fuzz/corpus/decode/seed-columns.czt";
	size_t len;
	uint8_t *b = slurp(src, &len);
	CHECK(b != NULL);
	struct czt_reader *r;
	CHECK(czt_reader_open_mem(&r, b, len) == CZT_OK);
	CHECK(czt_reader_read_ahead(r) == -1); /* memory: nothing to read ahead */
	czt_reader_free(r);
	free(b);

	CHECK(czt_reader_open(&r, src) == CZT_OK);
	czt_reader_skim(r, 1);
	CHECK(czt_reader_read_ahead(r) == -1);
	czt_reader_free(r);

	/* skimming from the second chunk: the same counts either way */
	uint64_t events[2] = { 0, 0 }, end[2] = { 0, 0 }, chunks[2] = { 0, 0 };
	for (int ahead = 0; ahead < 2; ahead++) {
		CHECK(czt_reader_open(&r, src) == CZT_OK);
		if (ahead) {
			CHECK(czt_reader_read_ahead(r) == (two_cpus ? 0 : -1));
			CHECK(czt__may_read_ahead(r) == (two_cpus ? 0 : 1));
		}
		struct czt_chunk c;
		struct czt_record rec;
		while (czt_reader_next_chunk(r, &c) == CZT_OK) {
			if (chunks[ahead]++ == 1) {
				czt_reader_skim(r, 1);
				CHECK(czt__may_read_ahead(r) == -1);
			}
			CHECK(czt_reader_count_events(r, &events[ahead], &end[ahead]) == CZT_OK);
			while (czt_reader_next_record(r, &rec) == CZT_OK)
				CHECK(czt_reader_count_events(r, &events[ahead], &end[ahead]) == CZT_OK);
		}
		czt_reader_free(r);
	}
	CHECK_EQ_U(chunks[1], chunks[0]);
	CHECK_EQ_U(events[1], events[0]);
	CHECK_EQ_U(end[1], end[0]);
	CHECK(events[0] >= 1000); /* seed-columns: 1000 mallocs and 1000 frees */
}

int main(void)
{
	cpu_set_t set;
	two_cpus = !sched_getaffinity(0, sizeof(set), &set) && CPU_COUNT(&set) >= 2;
	if (!two_cpus)
		printf("SKIP: %s: one CPU, read-ahead stays off (both readings are the plain one)\n",
		       UNIT_SUITE);
	snprintf(dir, sizeof(dir), "%s/czt-readahead.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir))
		return 1;
	RUN(corpus_traces_read_the_same);
	RUN(recorded_traces_read_the_same);
	RUN(freed_in_the_middle);
	RUN(refused_and_skimmed);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return unit_done();
}
