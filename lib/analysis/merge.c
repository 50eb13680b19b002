/*
* merge.c - the global order of a trace's events while it is read
 * (merge.h).
 *
 * Each sequence's queue is a list of 64 KiB blocks, taken from the front
 * and appended to at the back; a block emptied at the front is kept for
 * the next one needed at the back.  A queue holds the events the merge
 * waits for, up to a few hundred milliseconds of the run, so its memory
 * is that and one block more, used again and again instead of growing
 * with the trace: fresh pages are what a load pays most for.  Events
 * are kept as they are (32 bytes): the file order that breaks ties is the
 * order of their chunks, kept per run of a chunk's events.
 *
 * Handing out is a k-way merge cut short: a
 * heap of the sequences by their first event; it stops where the first
 * event is not older than the limit, so what it hands out is always the
 * beginning of what the whole merge would give.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/analysis/merge.h"
#include "lib/base/grow.h"

#define FIFO_BLOCK 65536 /* bytes */


/* Room for one more element of size elem at the back. */
static int fifo_room(struct merge_fifo *f, size_t elem)
{
	if (!f->shift)
		f->shift = (unsigned)__builtin_ctzl(FIFO_BLOCK / elem);
	if ((f->head + f->n) >> f->shift < f->n_blk)
		return 0;
	if (array_grow((void **)&f->blk, &f->cap_blk, f->n_blk, sizeof(*f->blk)))
		return -1;
	char *b = f->spare ? f->spare : malloc(FIFO_BLOCK);
	if (!b)
		return -1;
	f->spare = NULL;
	f->blk[f->n_blk++] = b;
	return 0;
}

/* Takes the front element away. */
static inline void fifo_pop(struct merge_fifo *f)
{
	f->n--;
	if (++f->head >> f->shift) { /* the front block is empty */
		free(f->spare);
		f->spare = f->blk[0];
		memmove(f->blk, f->blk + 1, --f->n_blk * sizeof(*f->blk));
		f->head = 0;
	}
}

static void fifo_free(struct merge_fifo *f)
{
	for (size_t i = 0; i < f->n_blk; i++)
		free(f->blk[i]);
	free(f->blk);
	free(f->spare);
}

/* An empty fifo gives its memory back and stays usable. */
static void fifo_trim(struct merge_fifo *f)
{
	unsigned shift = f->shift;
	fifo_free(f);
	*f = (struct merge_fifo){ .shift = shift };
}

_Static_assert(!(sizeof(struct load_ev) & (sizeof(struct load_ev) - 1)), "a power of two");
_Static_assert(!(sizeof(struct merge_run) & (sizeof(struct merge_run) - 1)), "a power of two");

static struct load_ev *ev_at(const struct merge_queue *q, size_t i)
{
	return merge_fifo_at(&q->ev, sizeof(struct load_ev), i);
}

static struct merge_run *run_at(const struct merge_queue *q, size_t i)
{
	return merge_fifo_at(&q->runs, sizeof(struct merge_run), i);
}

int merge_push_slow(struct load_merge *m, size_t k, const struct load_ev *e, uint32_t chunk)
{
	if (e->time < m->below)
		return MERGE_LATE;
	if (k >= m->n_q) {
		size_t n = m->n_q ? m->n_q : 4;
		while (n <= k)
			n *= 2;
		struct merge_queue *q = realloc(m->q, n * sizeof(*q));
		uint32_t *heap = realloc(m->heap, n * sizeof(*heap));
		if (q)
			m->q = q;
		if (heap)
			m->heap = heap;
		if (!q || !heap)
			return -1;
		memset(q + m->n_q, 0, (n - m->n_q) * sizeof(*q));
		m->n_q = n;
	}
	struct merge_queue *q = &m->q[k];
	if (!q->listed) {
		if (array_reserve((void **)&m->busy, &m->cap_busy, m->n_busy, sizeof(*m->busy)))
			return -1;
		m->busy[m->n_busy++] = (uint32_t)k;
		q->listed = 1;
	}
	if (!q->runs.n || q->back->chunk != chunk) {
		if (fifo_room(&q->runs, sizeof(struct merge_run)))
			return -1;
		q->back = run_at(q, q->runs.n++);
		*q->back = (struct merge_run){ 0, chunk };
	}
	if (fifo_room(&q->ev, sizeof(struct load_ev)))
		return -1;
	*ev_at(q, q->ev.n++) = *e;
	q->back->n++;
	m->held++;
	merge_note(m, e->time);
	return 0;
}

static const struct load_ev *first_of(const struct load_merge *m, uint32_t k)
{
	return ev_at(&m->q[k], 0);
}

/* Whether sequence a's first event comes before b's.  They are in
 * different chunks: on a tie, the chunk earlier in the file first. */
static int earlier(const struct load_merge *m, uint32_t a, uint32_t b)
{
	return load_ev_before(first_of(m, a), run_at(&m->q[a], 0)->chunk, first_of(m, b),
			      run_at(&m->q[b], 0)->chunk);
}

static void sift_down(const struct load_merge *m, uint32_t *heap, size_t h)
{
	for (size_t c = 0;;) {
		size_t a = 2 * c + 1, b = a + 1, min = c;
		if (a < h && earlier(m, heap[a], heap[min]))
			min = a;
		if (b < h && earlier(m, heap[b], heap[min]))
			min = b;
		if (min == c)
			return;
		uint32_t x = heap[c];
		heap[c] = heap[min];
		heap[min] = x;
		c = min;
	}
}

static int due(const struct load_merge *m, uint32_t k, uint64_t below, int all)
{
	return m->q[k].ev.n && (all || first_of(m, k)->time < below);
}

/* Hands out q's events while they are due, a span of adjacent events at a
 * time: with one sequence left to hand out there is nothing to compare,
 * and a single-threaded trace's events pass with no heap and one call of
 * the sink per span. */
static int drain(struct load_merge *m, struct merge_queue *q, uint64_t below, int all, merge_sink sink,
		 void *ctx)
{
	size_t per = (size_t)1 << q->ev.shift;
	while (q->ev.n) {
		const struct load_ev *e = ev_at(q, 0);
		struct merge_run *r = run_at(q, 0);
		/* to the end of the front block, of the queue, of the front run */
		size_t span = per - q->ev.head, n = 0;
		if (span > q->ev.n)
			span = q->ev.n;
		if (span > r->n)
			span = r->n;
		while (n < span && (all || e[n].time < below))
			n++;
		if (!n)
			return 0;
		int rc = sink(ctx, e, n);
		if (rc)
			return rc;
		/* the span ends at most at its block's end: one pop crosses it */
		q->ev.n -= n - 1;
		q->ev.head += n - 1;
		fifo_pop(&q->ev);
		m->held -= n;
		if (!(r->n -= (uint32_t)n))
			fifo_pop(&q->runs);
		if (n < span)
			return 0;
	}
	return 0;
}

/* Sequences left empty leave the list of busy ones and give their memory
 * back: a program that starts a thread per task leaves as many
 * sequences, and a load must not visit each of them at every chunk nor
 * keep a block of each. */
static void unlist_empty(struct load_merge *m)
{
	for (size_t i = 0; i < m->n_busy;) {
		struct merge_queue *q = &m->q[m->busy[i]];
		if (q->ev.n) {
			i++;
			continue;
		}
		fifo_trim(&q->ev);
		fifo_trim(&q->runs);
		q->listed = 0;
		m->busy[i] = m->busy[--m->n_busy];
	}
}

int merge_out(struct load_merge *m, uint64_t below, int all, merge_sink sink, void *ctx)
{
	uint32_t *heap = m->heap;
	size_t h = 0;
	for (size_t i = 0; i < m->n_busy; i++) {
		uint32_t k = m->busy[i];
		if (!due(m, k, below, all))
			continue;
		size_t c = h++;
		heap[c] = k;
		while (c && earlier(m, heap[c], heap[(c - 1) / 2])) {
			uint32_t x = heap[c];
			heap[c] = heap[(c - 1) / 2];
			heap[(c - 1) / 2] = x;
			c = (c - 1) / 2;
		}
	}
	while (h) {
		uint32_t k = heap[0];
		struct merge_queue *q = &m->q[k];
		if (h == 1) {
			int rc = drain(m, q, below, all, sink, ctx);
			if (rc)
				return rc;
			break;
		}
		struct load_ev e = *ev_at(q, 0);
		fifo_pop(&q->ev);
		if (!--run_at(q, 0)->n)
			fifo_pop(&q->runs);
		m->held--;
		if (!due(m, k, below, all))
			heap[0] = heap[--h];
		sift_down(m, heap, h);
		int rc = sink(ctx, &e, 1);
		if (rc)
			return rc;
	}
	if (all)
		m->below = UINT64_MAX;
	else if (below > m->below)
		m->below = below;
	unlist_empty(m);
	return 0;
}

void merge_free(struct load_merge *m)
{
	for (size_t k = 0; k < m->n_q; k++) {
		fifo_free(&m->q[k].ev);
		fifo_free(&m->q[k].runs);
	}
	free(m->q);
	free(m->heap);
	free(m->busy);
	memset(m, 0, sizeof(*m));
}
