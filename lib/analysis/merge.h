/*
 * merge.h - the global order of a trace's events, made while the
 * trace is still being read (the engine, engine.h, merges every thread with it).
 *
 * Each thread's events are in order in the file, but its chunks come in
 * the order the recorder flushed them: a thread's chunk may follow chunks
 * of other threads that hold later events.  The merge keeps the events of
 * each sequence (a thread's, or the exec markers') in a queue of its own
 * and hands out, in the global order (FORMAT.md: time, frees first, file
 * order), those older than a time below which no event can still come.
 *
 * That time is the caller's to choose: the recorder hands every thread's
 * chunk over within a flush period or two, so an event older than the
 * newest one read by a few periods is already in the file.  An event that
 * comes anyway older than what was handed out (merge_push returns
 * MERGE_LATE) means the order cannot be kept: the caller starts again
 * another way.
 *
 * Everything here belongs to one thread: the one reading the trace.
 */
#ifndef CZPROF_LIB_ANALYSIS_MERGE_H
#define CZPROF_LIB_ANALYSIS_MERGE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/analysis/event.h"

/* ---- merge.c's own, here for merge_push's inline part ---- */

/* n queued events from one chunk: number chunk in the file. */
struct merge_run {
	uint32_t n, chunk;
};

/* Elements taken from the front and appended at the back, in blocks. */
struct merge_fifo {
	char **blk;        /* the blocks in order, the front's first */
	size_t n_blk, cap_blk;
	size_t head, n;    /* the front element's index in blk[0]; how many */
	unsigned shift;    /* log2 of the elements a block holds (0: none yet) */
	char *spare;       /* a block emptied at the front, for the back */
};

/* Element i from the front; elem is a power of two. */
static inline void *merge_fifo_at(const struct merge_fifo *f, size_t elem, size_t i)
{
	size_t p = f->head + i;
	return f->blk[p >> f->shift] + (p & (((size_t)1 << f->shift) - 1)) * elem;
}

/* A sequence's events, and the runs they came in. */
struct merge_queue {
	struct merge_fifo ev, runs;
	struct merge_run *back; /* the last run, while runs.n > 0 (its block stays) */
	int listed;             /* in load_merge.busy */
};

/* ---- the merge ---- */

struct load_merge {
	struct merge_queue *q; /* by sequence */
	size_t n_q;
	uint32_t *heap;        /* sequences with events to hand out, earliest first */
	uint32_t *busy;        /* the sequences with events queued, in no order */
	size_t n_busy, cap_busy;
	uint64_t below;        /* every event older than this was handed out */
	uint64_t newest;       /* the latest time pushed */
	uint64_t latest;       /* the most an event came behind newest */
	uint64_t held;         /* events in the queues */
	int quiet;             /* set: merge_push leaves latest alone (the
				* events were counted by merge_note already) */
};

/* Zero-initialised is empty. */

#define MERGE_LATE 1

/*
 * Queues e (copied), read from the file's chunk'th chunk, behind the
 * earlier events of sequence k.  A chunk's events are of one sequence,
 * and chunk numbers grow through the file.  Returns 0; MERGE_LATE when e
 * is older than events already handed out (nothing is queued); -1 when
 * out of memory.
 */
static inline int merge_push(struct load_merge *m, size_t k, const struct load_ev *e, uint32_t chunk);

/* merge_push's whole work, where its inline part does not apply. */
int merge_push_slow(struct load_merge *m, size_t k, const struct load_ev *e, uint32_t chunk);

/*
 * An event at time t came: how late it came behind newest raises latest
 * (unless quiet), and newest follows it.  merge_push does it for each
 * event it queues; a caller keeping events to queue later (a chunk's,
 * only the earliest time known) counts them here when they come.
 */
static inline void merge_note(struct load_merge *m, uint64_t t)
{
	if (t < m->newest) {
		if (m->newest - t > m->latest && !m->quiet)
			m->latest = m->newest - t;
	} else {
		m->newest = t;
	}
}

/* Called with the events handed out, n adjacent ones at a time, in the
 * global order; a non-zero return stops merge_out and is returned by it. */
typedef int (*merge_sink)(void *ctx, const struct load_ev *e, size_t n);

/*
 * Hands out every queued event older than below (all of them when all is
 * set), in the global order, to sink.  From then on merge_push refuses
 * events older than below.  Returns 0, -1 when out of memory, or the
 * sink's non-zero return.
 */
int merge_out(struct load_merge *m, uint64_t below, int all, merge_sink sink, void *ctx);

/* Frees the queues; m is empty again. */
void merge_free(struct load_merge *m);

/* Most events go on with their chunk's run, in the block the last one
 * went to: those are queued here, without a call (their queue has events,
 * so it is listed in busy already). */
static inline int merge_push(struct load_merge *m, size_t k, const struct load_ev *e, uint32_t chunk)
{
	if (k >= m->n_q || e->time < m->below)
		return merge_push_slow(m, k, e, chunk);
	struct merge_queue *q = &m->q[k];
	size_t p = q->ev.head + q->ev.n;
	if (!q->runs.n || q->back->chunk != chunk || p >> q->ev.shift >= q->ev.n_blk)
		return merge_push_slow(m, k, e, chunk);
	merge_note(m, e->time);
	*(struct load_ev *)merge_fifo_at(&q->ev, sizeof(struct load_ev), q->ev.n++) = *e;
	q->back->n++;
	m->held++;
	return 0;
}

#endif
