/*
 * live.h - the live model behind `czprof top`: the analysis engine
 * (lib/analysis/engine.h), the same that `czprof load` and every report
 * run, fed a trace while it grows, plus what only the live view shows: the
 * program's end when the view reaches it, the leak kinds of the scan at
 * exit per stack, and the allocators the engine forgets once destroyed.
 * Plain C, no terminal: unit tests drive it with scripted records.
 *
 * The engine owns the heap: it merges the threads' events into the global
 * order, pairs frees with live blocks by address, and keeps the live heap,
 * its peak, the timeline and the per-stack and per-thread figures.  A free
 * of an address it never saw allocated (a block allocated before following
 * started, or by a lost event) counts in en.unmatched; an allocation at an
 * address still live ends the old block first (en.conflicts).
 */
#ifndef CZPROF_VIEWER_LIVE_H
#define CZPROF_VIEWER_LIVE_H

#include <stddef.h>
#include <stdint.h>

#include "format/czt.h"
#include "lib/analysis/engine.h"

/* What the scan at exit found lost (definitely or indirectly) of the
 * blocks one stack left. */
struct live_lost {
	uint64_t bytes, blocks;
};

struct live_model {
	/* the heap: en.live and en.blocks now, en.peak_*, en.allocs,
	 * en.frees_paired, en.failed, en.unmatched, en.now (every event up
	 * to it applied), en.threads, en.stacks and en.totals by stack index
	 * (stack node ids image-shifted), en.timeline (live_chart_level),
	 * en.cz the allocator library's allocators (live_allocators) */
	struct an_engine en;

	int ended;                /* the process ended (not by exec), and the
				   * view is at its end */
	int end_read;             /* its end was read (a replay shows it later) */
	uint64_t end_how, end_value, end_time;

	/* memcheck's leak kinds of the blocks live at the scan at exit, by
	 * enum lk_kind, and per engine stack index; kinds_known 0 until then */
	int kinds_known;
	uint64_t kind_bytes[5], kind_blocks[5];
	struct live_lost *lost;   /* n_lost of them, by stack index */
	size_t n_lost;
	struct live_scan *scan;   /* private: the scan being read */

	/* the allocators destroyed so far, as they were then (the engine
	 * forgets them; the view still lists them) */
	struct an_allocator *gone;
	size_t n_gone, cap_gone;

	int oom;                  /* an internal allocation failed: figures are partial */
};

/* Caller owns *out; frees it with live_model_free.  Returns 0 or -1. */
int live_model_new(struct live_model **out);
void live_model_free(struct live_model *m);

/*
 * Feeding: the trace's records go to en in file order, a chunk at a time
 * (lib/analysis/feed.h); live_record takes each one first, for what the
 * model adds (the scan at exit, the program's end).  The engine applies
 * an event once no record still to come can precede it: at the end of a
 * chunk, or when live_settle says the writer is past it.
 */
void live_record(struct live_model *m, const struct czt_record *r);

/* Nothing at or before time can still come (the program may be quiet):
 * every event up to it is applied, and the clock and the timeline move
 * on to it. */
void live_settle(struct live_model *m, uint64_t time);

/* Applies every event read, without waiting for what may precede them
 * (the trace will not grow any more); later ones apply as they come. */
void live_flush(struct live_model *m);

/* A replay shows the heap as it was at time: nothing later applies until
 * a later call. */
void live_hold(struct live_model *m, uint64_t time);

/* The time the view shows: every event up to it is applied (the
 * program's end, once read). */
uint64_t live_now(const struct live_model *m);

/* Events read but not yet applied, 0 when there are none (a chunk the
 * engine keeps as records, an_engine_keep, counts as one). */
uint64_t live_pending(const struct live_model *m);

/* The timeline for a chart: the width of its buckets (ns), and the
 * highest live bytes of bucket i (one without an event at the level it
 * carried). */
uint64_t live_bucket_ns(const struct live_model *m);
uint64_t live_chart_level(const struct live_model *m, size_t i);

/* A thread's figures by tid, NULL when never seen. */
const struct an_thread *live_find_thread(const struct live_model *m, uint64_t tid);

/* The allocators, live and destroyed: how many, and up to max of them
 * into rows (valid until the next record).  Returns the number filled. */
size_t live_n_allocators(const struct live_model *m);
size_t live_allocators(const struct live_model *m, const struct an_allocator **rows, size_t max);

/* An allocator by id (image-shifted), a destroyed one's last state
 * included; NULL when never seen.  Valid until the next record. */
const struct an_allocator *live_find_allocator(const struct live_model *m, uint64_t id);

#endif
