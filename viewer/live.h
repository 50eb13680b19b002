/*
 * live.h - the live model behind `czprof top`: events applied in time order
 * become per-stack live state (bytes and blocks still held, allocations
 * made), per-thread and per-allocator totals, the peak so far and a
 * timeline of live bytes.  Plain C, no terminal: unit tests drive it with
 * scripted events.
 *
 * Blocks are paired by address.  A free of an address the model never saw
 * allocated (a block allocated before following started, or by a lost
 * event) is counted in unmatched_frees and otherwise ignored; an allocation
 * at an address that is still live closes the old block first.
 */
#ifndef CZ_LIVE_H
#define CZ_LIVE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/analysis/idmap.h"

/* The timeline starts with 1 ms buckets; when it would pass LIVE_BUCKETS
 * buckets, neighbours merge (keeping the larger value) and the width
 * doubles, so a run of any length fits in bounded memory at the best
 * resolution that length allows. */
#define LIVE_FIRST_BUCKET_NS 1000000ull
#define LIVE_BUCKETS 4096

/*
 * One event, as the follower hands it over.  type is a CZT_REC_* event
 * type or CZT_REC_PROCESS_END.  Field use by type:
 *   malloc family:  addr (0 = failed), size, stack
 *   free:           addr
 *   realloc*:       old_addr, addr (new block, 0 = failed), size, stack
 *   CZ_ALLOC:       allocator, addr, size, stack
 *   CZ_FREE:        allocator, addr
 *   CZ_RESIZE:      allocator, old_addr, addr, size
 *   CZ_NEW:         allocator, size = kind, old_addr = parent, addr = name
 *                   (string id), stack
 *   CZ_RESET, CZ_CAPACITY: allocator, size = capacity
 *   CZ_DESTROY:     allocator
 *   PROCESS_END:    size = how (CZT_END_*), addr = value
 */
struct live_event {
	uint64_t time;
	uint64_t addr, old_addr, size, stack, allocator;
	uint32_t tid;
	uint32_t type;
};

struct live_stack {
	uint64_t id;              /* stack node id in the trace */
	uint64_t live_bytes, live_blocks;
	uint64_t allocs, bytes_allocated;
	uint64_t lost_bytes, lost_blocks; /* definitely and indirectly lost (live_kinds) */
};

struct live_thread {
	uint64_t tid;
	uint64_t name;            /* string id, 0 = none */
	uint64_t allocs, frees, bytes_allocated;
	uint64_t live_bytes, live_blocks; /* held by blocks this thread allocated */
	int ended;
};

struct live_allocator {
	uint64_t id, parent, kind, name; /* name: string id */
	uint64_t stack;                  /* creation stack */
	uint64_t created, destroyed;     /* times; destroyed valid when is_destroyed */
	int is_destroyed;
	uint64_t live_bytes, live_blocks, allocs, bytes_requested;
	uint64_t capacity, peak_capacity, resets;
};

struct live_model {
	/* totals */
	uint64_t live_bytes, live_blocks;
	uint64_t peak_bytes, peak_blocks, peak_time;
	uint64_t allocs, frees, failed, unmatched_frees;
	uint64_t now;             /* time of the last event applied */
	int ended;                /* the process ended (not by exec) */
	uint64_t end_how, end_value, end_time;

	/* per stack, in order of first use */
	struct live_stack *stacks;
	size_t n_stacks, cap_stacks;

	struct live_thread *threads;
	size_t n_threads, cap_threads;

	struct live_allocator *allocators;
	size_t n_allocators, cap_allocators;

	/* memcheck's leak kinds of the blocks live at the scan at exit
	 * (live_kinds), by enum lk_kind; kinds_known 0 until then */
	int kinds_known;
	uint64_t kind_bytes[5], kind_blocks[5];
	struct live_scan *scan;   /* private: the scan being read */

	/* max live bytes per bucket_ns of trace time, from time 0 */
	uint64_t timeline[LIVE_BUCKETS];
	size_t n_buckets;
	uint64_t bucket_ns;

	/* private: address -> block (heap, allocator library), id -> index */
	struct live_blocks *heap, *cz;
	struct idmap stack_ids, thread_ids, allocator_ids;
	int oom;                  /* an internal allocation failed: figures are partial */
};

/* Caller owns *out; frees it with live_model_free.  Returns 0 or -1. */
int live_model_new(struct live_model **out);
void live_model_free(struct live_model *m);

/* Applies one event.  Events must come in the trace's global order. */
void live_apply(struct live_model *m, const struct live_event *e);

/* A hint that e is applied soon: starts loading the memory it will touch,
 * so that a run of events does not wait on one cache miss after another. */
void live_prefetch(const struct live_model *m, const struct live_event *e);

/* Nothing happened up to time (the program is quiet): the clock and the
 * timeline move on. */
void live_advance(struct live_model *m, uint64_t time);

/* The image was replaced by exec: every block is gone and stack ids start
 * over (FORMAT.md, Processes).  Totals, timeline and threads carry on. */
void live_exec(struct live_model *m, uint64_t time);

/* One record of the recorder's pointer scan at exit (FORMAT.md, "Scan
 * chunks").  The first one takes the blocks live now as those the scan
 * judges (the caller applies every event written before the scan first);
 * at the scan-end record they are classified as memcheck does
 * (lib/analysis/kinds.h) into kind_* and the stacks' lost_*.  Out of
 * memory, the kinds stay unknown. */
struct czt_record;
void live_scan_record(struct live_model *m, const struct czt_record *r);

/* A thread was named or ended (META records, applied when read). */
void live_thread_start(struct live_model *m, uint64_t tid, uint64_t name);
void live_thread_end(struct live_model *m, uint64_t tid);

/* The thread / allocator record for an id, NULL when never seen. */
struct live_thread *live_find_thread(struct live_model *m, uint64_t tid);
struct live_allocator *live_find_allocator(struct live_model *m, uint64_t id);

#endif
