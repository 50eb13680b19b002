/* packcost - what storing a trace's events compressed costs, per event:
 * the CPU the recorder's flusher would spend on each EVENTS chunk one way
 * or the other, and the bytes each way gives.
 *
 * Usage: packcost TRACE [PASSES]
 * TRACE is recorded uncompressed (`czprof record --no-compress`); its
 * EVENTS chunks of 4 KiB or more (the ones the recorder may store in
 * column form) are measured, each PASSES times (default 5), and the
 * fastest pass of each step is printed, in thread CPU time, so that other
 * work on the machine counts as little as it can:
 *   walk     stepping over every event (czt_reader_count_events): the
 *            least any rewriting of a payload the recorder has written
 *            must spend to read it again
 *   split    the column form's transform (czt_model_split)
 *   streams  zstd over the split streams, as the recorder does it
 *   frame    zstd over the payload as one frame, as the recorder does it
 *            when it leaves columns out
 * and the bytes per event stored as one frame, in column form, and raw.
 * zstd is set up as lib/recorder/rec_zstd.c sets it (level 1, a sparse search,
 * literals always entropy coded).
 */
#define ZSTD_STATIC_LINKING_ONLY
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zstd.h>

#include "format/czt.h"
#include "format/czt_model.h"
#include "format/czt_pack.h"

/* the recorder's limits, as it packs (format/czt_pack.h) */
#define MIN_COLUMNS CZT_PACK_MIN_COLUMNS
#define MIN_PACK CZT_PACK_MIN
#define MAX_RAW (1u << 20) /* the recorder's chunks are 256 KiB */

static double cpu_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	uint8_t *buf = NULL;
	if (fseek(f, 0, SEEK_END) == 0) {
		long n = ftell(f);
		rewind(f);
		buf = n > 0 ? malloc((size_t)n) : NULL;
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		*len = buf ? (size_t)n : 0;
	}
	fclose(f);
	return buf;
}

struct pass {
	double walk, split, streams, frame; /* ns */
	size_t frame_bytes, column_bytes, raw_bytes;
	uint64_t events;
};

static ZSTD_CCtx *sparse_cctx(void)
{
	ZSTD_CCtx *z = ZSTD_createCCtx();
	if (z) {
		ZSTD_CCtx_setParameter(z, ZSTD_c_compressionLevel, 1);
		ZSTD_CCtx_setParameter(z, ZSTD_c_targetLength, 16);
		ZSTD_CCtx_setParameter(z, ZSTD_c_literalCompressionMode, ZSTD_ps_enable);
	}
	return z;
}

/* One pass over the trace: 0, or -1 with a message printed. */
static int run_pass(const uint8_t *trace, size_t len, ZSTD_CCtx *z, void *mem, void *scratch,
		    uint8_t *out, size_t out_cap, struct pass *ps)
{
	struct czt_reader *r;
	int rc = czt_reader_open_mem(&r, trace, len);
	if (rc) {
		fprintf(stderr, "packcost: not a trace: %s\n", czt_errstr(rc));
		return -1;
	}
	memset(ps, 0, sizeof(*ps));
	struct czt_chunk c;
	while ((rc = czt_reader_next_chunk(r, &c)) == CZT_OK) {
		if (c.type != CZT_CHUNK_EVENTS || c.raw_len < MIN_COLUMNS)
			continue;
		if (c.raw_len > MAX_RAW) {
			fprintf(stderr, "packcost: a chunk of more than %u bytes\n", MAX_RAW);
			goto fail;
		}
		if (c.flags) {
			fprintf(stderr, "packcost: a compressed chunk: record with --no-compress\n");
			goto fail;
		}
		const uint8_t *payload = trace + c.offset + CZT_CHUNK_HEADER_LEN;
		size_t n = c.raw_len;
		uint64_t events = 0, end_time = 0;
		struct czt_record rec;
		double t0 = cpu_ns();
		do {
			if (czt_reader_count_events(r, &events, &end_time))
				goto corrupt;
		} while ((rc = czt_reader_next_record(r, &rec)) == CZT_OK);
		double t1 = cpu_ns();
		if (rc != CZT_EOF)
			goto corrupt;
		struct czt_streams st;
		if (czt_model_split(payload, n, mem, scratch, MAX_RAW, &st))
			goto corrupt;
		double t2 = cpu_ns();
		size_t stored[CZT_STREAMS], packed = 0;
		for (int s = 0; s < CZT_STREAMS; s++) {
			size_t k = st.len[s] >= MIN_PACK
					   ? ZSTD_compress2(z, out, out_cap, st.s[s], st.len[s]) : 0;
			stored[s] = ZSTD_isError(k) || !k || k >= st.len[s] ? st.len[s] : k;
			packed += stored[s];
		}
		double t3 = cpu_ns();
		packed += czt_columns_header_put(out, st.len, stored);
		size_t frame = ZSTD_compress2(z, out, out_cap, payload, n);
		double t4 = cpu_ns();
		if (ZSTD_isError(frame) || frame > n)
			frame = n;
		ps->walk += t1 - t0;
		ps->split += t2 - t1;
		ps->streams += t3 - t2;
		ps->frame += t4 - t3;
		/* each way keeps the smaller of its form and the raw payload */
		ps->column_bytes += packed < n ? packed : n;
		ps->frame_bytes += frame;
		ps->raw_bytes += n;
		ps->events += events;
	}
	if (rc != CZT_EOF)
		goto corrupt;
	czt_reader_free(r);
	return 0;
corrupt:
	fprintf(stderr, "packcost: a damaged trace\n");
fail:
	czt_reader_free(r);
	return -1;
}

static void keep_min(double *best, double v)
{
	if (*best < 0 || v < *best)
		*best = v;
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: packcost TRACE [PASSES]\n");
		return 2;
	}
	int passes = argc > 2 ? atoi(argv[2]) : 5;
	if (passes < 1)
		passes = 1;
	size_t len;
	uint8_t *trace = slurp(argv[1], &len);
	if (!trace) {
		fprintf(stderr, "packcost: cannot read '%s'\n", argv[1]);
		return 1;
	}
	size_t out_cap = ZSTD_compressBound(MAX_RAW);
	void *mem = malloc(czt_model_split_bytes(MAX_RAW));
	void *scratch = calloc(1, czt_model_scratch_bytes(MAX_RAW));
	uint8_t *out = malloc(out_cap);
	ZSTD_CCtx *z = sparse_cctx();
	if (!mem || !scratch || !out || !z) {
		fprintf(stderr, "packcost: out of memory\n");
		return 1;
	}
	struct pass ps, best = { -1, -1, -1, -1, 0, 0, 0, 0 };
	for (int i = 0; i < passes; i++) {
		if (run_pass(trace, len, z, mem, scratch, out, out_cap, &ps))
			return 1;
		keep_min(&best.walk, ps.walk);
		keep_min(&best.split, ps.split);
		keep_min(&best.streams, ps.streams);
		keep_min(&best.frame, ps.frame);
	}
	if (!ps.events) {
		fprintf(stderr, "packcost: no EVENTS chunk of %d bytes or more\n", MIN_COLUMNS);
		return 1;
	}
	double ev = (double)ps.events;
	printf("events %llu\n", (unsigned long long)ps.events);
	printf("walk_ns %.1f\nsplit_ns %.1f\nstreams_ns %.1f\nframe_ns %.1f\n", best.walk / ev,
	       best.split / ev, best.streams / ev, best.frame / ev);
	printf("columns_ns %.1f\n", (best.split + best.streams) / ev);
	printf("frame_B %.3f\ncolumns_B %.3f\nraw_B %.3f\n", (double)ps.frame_bytes / ev,
	       (double)ps.column_bytes / ev, (double)ps.raw_bytes / ev);
	ZSTD_freeCCtx(z);
	free(out);
	free(scratch);
	free(mem);
	free(trace);
	return 0;
}
