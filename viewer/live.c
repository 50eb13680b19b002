/*
 * live.c - see live.h.  The heap is the engine's; here are the records it
 * does not take (the scan at exit, the allocator library), the program's
 * end, and how the chart reads the engine's timeline.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/analysis/idmap.h"
#include "lib/analysis/kinds.h"
#include "viewer/live.h"

/* The engine forgets an allocator once destroyed: its last state is kept
 * for the view. */
static int keep_destroyed(void *ctx, const struct an_allocator *a)
{
	struct live_model *m = ctx;
	if (array_grow((void **)&m->gone, &m->cap_gone, m->n_gone, sizeof(*m->gone)))
		m->oom = 1; /* the view then lists it no more */
	else
		m->gone[m->n_gone++] = *a;
	return 0;
}

int live_model_new(struct live_model **out)
{
	struct live_model *m = calloc(1, sizeof(*m));
	if (!m)
		return -1;
	/* the order rule and the lag of every load; live: the trace cannot
	 * be read again, so an event that comes later than that anyway is
	 * applied out of order rather than refused */
	struct an_options o = { .merge_lag = AN_MERGE_LAG_NS, .threads_seen = 1, .live = 1,
				.cz_destroyed = keep_destroyed, .ctx = m };
	if (an_engine_init(&m->en, &o)) {
		free(m);
		return -1;
	}
	*out = m;
	return 0;
}

/* ---- leak kinds from the scan at exit ---- */

struct live_scan {
	struct lk_scan *lk;
	struct lk_block *blocks;
	uint32_t *stack;  /* per judged block, its engine stack index */
	size_t n, cap;
	int failed;
};

static void scan_free(struct live_scan *sc)
{
	if (!sc)
		return;
	lk_free(sc->lk);
	free(sc->blocks);
	free(sc->stack);
	free(sc);
}

static int scan_block(void *ctx, const struct an_block *b)
{
	struct live_scan *sc = ctx;
	if (sc->n == sc->cap)
		return -1; /* more than the engine counted: cannot be */
	sc->blocks[sc->n] = (struct lk_block){ b->addr, b->size, b->time };
	sc->stack[sc->n++] = b->stack;
	return 0;
}

/* The blocks live now, as the scan judges them (the events written before
 * it are applied first). */
static struct live_scan *scan_begin(struct live_model *m)
{
	struct live_scan *sc = calloc(1, sizeof(*sc));
	if (!sc)
		return NULL;
	sc->cap = m->en.blocks ? m->en.blocks : 1;
	sc->blocks = malloc(sc->cap * sizeof(*sc->blocks));
	sc->stack = malloc(sc->cap * sizeof(*sc->stack));
	if (!sc->blocks || !sc->stack || an_engine_live(&m->en, scan_block, sc) ||
	    !(sc->lk = lk_new(sc->blocks, sc->n))) {
		scan_free(sc);
		return NULL;
	}
	free(sc->blocks);
	sc->blocks = NULL;
	return sc;
}

static void scan_end(struct live_model *m, struct live_scan *sc, uint64_t scan_time)
{
	if (sc->failed || lk_classify(sc->lk, scan_time))
		return;
	struct live_lost *lost = calloc(m->en.n_stacks ? m->en.n_stacks : 1, sizeof(*lost));
	if (!lost) {
		m->oom = 1;
		return;
	}
	memset(m->kind_bytes, 0, sizeof(m->kind_bytes));
	memset(m->kind_blocks, 0, sizeof(m->kind_blocks));
	for (size_t i = 0; i < sc->n; i++) {
		const struct lk_result *r = lk_result(sc->lk, i);
		uint64_t size = lk_block_size(sc->lk, i);
		m->kind_bytes[r->kind] += size;
		m->kind_blocks[r->kind]++;
		if ((r->kind == LK_DEFINITE || r->kind == LK_INDIRECT) && sc->stack[i] < m->en.n_stacks) {
			lost[sc->stack[i]].bytes += size;
			lost[sc->stack[i]].blocks++;
		}
	}
	free(m->lost);
	m->lost = lost;
	m->n_lost = m->en.n_stacks;
	m->kinds_known = 1;
}

/* One record of the recorder's pointer scan at exit (FORMAT.md, "Scan
 * chunks").  The first one takes the blocks live now as those the scan
 * judges; at the scan-end record they are classified as memcheck does
 * (lib/analysis/kinds.h).  Out of memory, the kinds stay unknown. */
static void scan_record(struct live_model *m, const struct czt_record *r)
{
	if (!m->scan && !m->kinds_known) {
		live_flush(m); /* every event written before the scan first */
		m->scan = scan_begin(m);
		if (!m->scan)
			m->oom = 1;
	}
	struct live_scan *sc = m->scan;
	if (!sc)
		return;
	if (r->type == CZT_REC_SCAN_END) {
		scan_end(m, sc, r->time);
		scan_free(sc);
		m->scan = NULL;
	} else if (lk_feed(sc->lk, r)) {
		sc->failed = 1; /* a damaged list: no kinds rather than wrong ones */
	}
}

void live_model_free(struct live_model *m)
{
	if (!m)
		return;
	scan_free(m->scan);
	free(m->lost);
	free(m->gone);
	an_engine_release(&m->en);
	free(m);
}

/* ---- feeding ---- */

/* An engine call's result: out of memory makes the figures partial; a
 * late event cannot be refused here (o.live). */
static void engine_rc(struct live_model *m, int rc)
{
	if (rc)
		m->oom = 1;
}

/* The program's end was read: it shows once the view is at its time (a
 * replay's clock may be before it). */
static void end_if_due(struct live_model *m, uint64_t time)
{
	if (m->end_read && !m->ended && time >= m->end_time) {
		m->ended = 1;
		/* nothing of the program can follow its end */
		engine_rc(m, an_engine_flush(&m->en));
	}
}

void live_settle(struct live_model *m, uint64_t time)
{
	if (m->ended)
		return;
	engine_rc(m, an_engine_settle(&m->en, time));
	end_if_due(m, time);
}

void live_flush(struct live_model *m)
{
	engine_rc(m, an_engine_flush(&m->en));
	end_if_due(m, UINT64_MAX);
}

void live_hold(struct live_model *m, uint64_t time)
{
	an_engine_hold(&m->en, time);
}

void live_record(struct live_model *m, const struct czt_record *r)
{
	switch (r->type) {
	case CZT_REC_SCAN_REGION: case CZT_REC_SCAN_WORDS: case CZT_REC_SCAN_CONTEXT:
	case CZT_REC_SCAN_VTABLES: case CZT_REC_SCAN_END:
		scan_record(m, r);
		return;
	default:
		break;
	}
	if (r->type == CZT_REC_PROCESS_END && r->how != CZT_END_EXEC) {
		m->end_read = 1;
		m->end_how = r->how;
		m->end_value = r->value;
		m->end_time = r->time;
		end_if_due(m, m->en.hold);
	}
}

uint64_t live_now(const struct live_model *m)
{
	return m->ended && m->end_time > m->en.now ? m->end_time : m->en.now;
}

uint64_t live_pending(const struct live_model *m)
{
	return m->en.merge.held + (m->en.kept_bytes != 0);
}

/* ---- reading ---- */

uint64_t live_bucket_ns(const struct live_model *m)
{
	return m->en.bucket_w; /* the engine's buckets: no duration given, they widen */
}

uint64_t live_chart_level(const struct live_model *m, size_t i)
{
	return m->en.timeline[i].high;
}

const struct an_thread *live_find_thread(const struct live_model *m, uint64_t tid)
{
	long i = idmap_get(&m->en.thread_ids, tid);
	return i < 0 ? NULL : &m->en.threads[i];
}

size_t live_n_allocators(const struct live_model *m)
{
	return m->en.cz.live + m->n_gone;
}

size_t live_allocators(const struct live_model *m, const struct an_allocator **rows, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < m->en.cz.n_a && n < max; i++)
		if (m->en.cz.a[i].in_use)
			rows[n++] = &m->en.cz.a[i];
	for (size_t i = 0; i < m->n_gone && n < max; i++)
		rows[n++] = &m->gone[i];
	return n;
}

const struct an_allocator *live_find_allocator(const struct live_model *m, uint64_t id)
{
	long i = idmap_get(&m->en.cz.ids, id);
	if (i >= 0)
		return &m->en.cz.a[i];
	for (size_t k = m->n_gone; k-- > 0;) /* the latest of that id */
		if (m->gone[k].id == id)
			return &m->gone[k];
	return NULL;
}
