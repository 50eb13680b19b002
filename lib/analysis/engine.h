/*
 * engine.h - the one analysis of a trace's allocation events: records
 * become events, the threads' events are merged into the global order of
 * FORMAT.md, frees are paired with the blocks they end, and the figures
 * every report reads are kept as it goes: the live heap, its exact peak,
 * a bounded timeline, per-stack, per-thread, per-function and per-size
 * totals, heap errors, and the blocks live at the end.  The records of
 * libczalloc's allocators go through the same merge to their own model
 * (arenas.h), which it keeps in `cz`.
 *
 * It streams: records are fed in file order, chunk by chunk, and its
 * memory follows the live blocks, the distinct stacks and threads, and
 * the few hundred milliseconds of the run the merge waits for (kept as
 * records, an_engine_keep, until their events are due); never the
 * number of events.  `czprof load` (cli/load.c) feeds it a whole trace
 * once and writes what it found into SQLite; the `allocations` virtual
 * table (cli/alloc_vtab.c) runs it again to hand out one row per block;
 * `czprof top` (viewer/live.c) feeds it a trace while it grows (o.live,
 * an_engine_settle) and shows its figures as they change.
 *
 * Everything here belongs to one thread.  No output: callers report.
 */
#ifndef CZPROF_LIB_ANALYSIS_ENGINE_H
#define CZPROF_LIB_ANALYSIS_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "format/czt.h"
#include "lib/analysis/arenas.h"
#include "lib/analysis/errors.h"
#include "lib/analysis/event.h"
#include "lib/analysis/idmap.h"
#include "lib/analysis/merge.h"

/* Ids after an exec'd image's PROCESS_END(EXEC) are shifted so that the
 * images' stack, module and string ids never collide (SCHEMA.md). */
#define AN_IMAGE_SHIFT 40

#define AN_TIMELINE_POINTS 4000

/*
 * When the merge may hand an event out: once no event still to come can
 * precede it.  Each thread's events come in order, so a thread already
 * seen cannot precede its own latest event; and the recorder hands every
 * thread's chunk over within 1.5 flush periods of 100 ms, so nothing can
 * come later than AN_MERGE_LAG_NS behind the newest event (where events
 * have come later than half that, the merge waits twice as long as the
 * latest did).  With threads_seen set the merge trusts that no thread it
 * has not seen yet has older events: it then holds a few milliseconds of
 * events while the threads run, where the lag alone would hold 200 ms of
 * the run.  The recorder writes a thread's start record before any chunk
 * it writes after the thread's first event, with a time taken just after
 * that event's: a thread with no event yet is taken to start
 * AN_START_GUARD_NS before its record says.
 */
#define AN_MERGE_LAG_NS (200u * 1000000u)
#define AN_START_GUARD_NS (10u * 1000000u)

/* an_engine_record's return when an event came later than the merge
 * waited: the order cannot be kept; feed the trace again without
 * threads_seen, or with a longer lag (AN_LAG_ALL holds every event until
 * the end). */
#define AN_LATE 1
#define AN_LAG_ALL UINT64_MAX

struct an_thread {
	uint64_t tid, start, end, allocs, bytes;
	uint64_t frees;        /* frees it made, realloc free parts included */
	uint64_t live_bytes, live_blocks; /* held by blocks it allocated */
	uint64_t name;         /* its THREAD_START's string id (image-shifted), 0: none */
	int ended;             /* a THREAD_END was read */
	uint64_t latest;       /* its latest event read, or its start record's time */
	uint64_t last_alloc;   /* id of its latest allocation, 0: none */
	uint64_t realloc_from; /* id its latest realloc's free part ended */
	struct an_kept *kept, *kept_last; /* its chunks not read yet, oldest first */
};

/* Per stack; live_* become the leaked figures at the end. */
struct an_stack_total {
	uint64_t allocs, bytes, temp, temp_bytes, live, live_bytes, peak_blocks, peak_bytes;
	uint64_t epoch; /* the peak the peak_* figures were taken at */
};

/* A block, as the engine hands it out (its pool keeps it in 32 bytes,
 * since a big heap holds millions: engine.c). */
struct an_block {
	uint64_t addr, size, time;
	uint64_t id : 40;      /* from 1, in the global order of allocations */
	uint64_t fn : 5;       /* load_fn_name's; its family: load_fn_family */
	uint64_t seq : 40;     /* its allocation's order position */
	uint64_t thread : 24;  /* engine thread index */
	uint64_t realloc_from; /* the id a realloc replaced, 0: none */
	uint32_t stack;        /* engine stack index */
};

enum { AN_END_FREE, AN_END_EXEC, AN_END_CONFLICT /* allocated over: its free was lost */ };

/* How a block ended. */
struct an_end {
	uint64_t time, seq;
	uint32_t thread;   /* the thread that ended it (an exec: its own) */
	uint8_t how;       /* AN_END_* */
	uint8_t temporary; /* freed before its thread made another allocation */
};

/* The live heap at a point of the timeline: the highest of its bucket.
 * A bucket no event fell in holds a copy of the next event's point; high
 * is the highest live bytes of the bucket itself, the level it began at
 * included, for a chart of the buckets (the live view's). */
struct an_point {
	uint64_t time, seq, bytes, blocks;
	uint64_t high;
};

/* Called with each block as it ends; a non-zero return stops the engine
 * and is returned by the call that fed it. */
typedef int (*an_ended_fn)(void *ctx, const struct an_block *b, const struct an_end *e);

struct an_options {
	uint64_t duration; /* the run's length if known (a footer's), for the
			    * timeline's buckets; 0: they widen as it goes */
	uint64_t merge_lag; /* AN_MERGE_LAG_NS, or AN_LAG_ALL; less in tests */
	int threads_seen;   /* no thread not seen yet has older events (see above) */
	int live;           /* the trace is read while it is written (`czprof top`):
			     * an event later than the merge waited is paired at
			     * once, out of order (counted in late), since nothing
			     * can be read again */
	an_ended_fn ended; /* or NULL */
	an_cz_ended_fn cz_ended; /* an allocator block ended (arenas.h), or NULL */
	an_cz_destroyed_fn cz_destroyed; /* an allocator was destroyed (arenas.h), or NULL */
	void *ctx;          /* the callbacks' */
};

struct an_slot;
struct an_base;
struct an_kept; /* records.c */

struct an_engine {
	/* ---- results: read them after an_engine_finish ---- */
	uint64_t events;      /* events read: allocations, frees, exec markers */
	uint64_t allocs;      /* blocks made (rows of `allocations`) */
	uint64_t frees;       /* free events, realloc free parts included */
	uint64_t failed;      /* calls that returned NULL */
	uint64_t unmatched;   /* frees of no live block */
	uint64_t conflicts;   /* allocations over a live block */
	uint64_t end_time;    /* the last event's or process end's time */
	uint64_t image;       /* execs read */
	uint64_t total_bytes, leaked_bytes, leaked_blocks;
	uint64_t peak_bytes, peak_blocks, peak_time, peak_seq;
	struct an_thread *threads;
	size_t n_threads;
	uint64_t *stacks;     /* stack node id (image-shifted) by stack index */
	struct an_stack_total *totals; /* by stack index: n_stacks of them */
	size_t n_stacks;
	uint64_t fn_calls[32], fn_bytes[32], hist[65]; /* hist: by bit length of the size */
	struct an_point *timeline;
	size_t n_timeline;
	struct load_errors errs;
	struct an_arenas cz;  /* libczalloc's allocators and their open blocks */
	uint64_t frees_paired; /* free events paired so far (frees counts those read) */
	/* the heap now, what is paired so far: live and blocks below */
	uint64_t now;          /* every event up to this time is paired (the latest
				* paired, or an_engine_settle's time) */
	uint64_t late;         /* o.live: events paired out of order */
	uint64_t cz_records;   /* allocator-library records read */
	int kept_rc;           /* a kept chunk (an_engine_keep) was found damaged
				* when read: the reader's error, else 0 */
	uint64_t kept_end_at;  /* then: the offset just after that chunk */

	/* ---- the engine's own ---- */
	struct an_options o;
	size_t cap_threads, cap_stacks;
	struct idmap thread_ids, stack_ids;
	uint32_t last_thread, last_stack;
	uint64_t last_stack_id;
	struct load_merge merge;
	uint32_t chunks;
	size_t kept_bytes;     /* what the kept chunks take */
	uint32_t *kept_threads; /* the threads with chunks kept, in no order */
	size_t n_kept_threads, cap_kept_threads;
	uint64_t least;        /* least_latest's: the least latest of the first */
	size_t least_n, least_at; /* least_n threads, that of thread least_at */
	uint64_t lag;
	uint64_t seq;          /* order position of the next event */
	uint64_t pair_image;   /* exec markers paired */
	uint64_t live, blocks; /* the heap now */
	uint64_t level;        /* live at the latest timeline point */
	uint64_t hold;         /* an_engine_hold's time: nothing later is handed out */
	uint64_t peak_epoch;
	struct load_ev *batch; /* handed out by the merge, to pair */
	size_t n_batch;
	struct an_slot *map;   /* live blocks and freed addresses, by address */
	size_t map_cap, map_used;
	union an_entry *blk;   /* live blocks and freed ones (their load_freed);
				* free entries chained by .next */
	size_t n_blk, cap_blk;
	uint64_t free_blk;     /* index + 1 of a free entry, 0: none */
	struct an_side {       /* what an entry has no room for (engine.c) */
		void *p;
		size_t n, cap;
		uint64_t free; /* index + 1 of a free one, 0: none */
	} extra, wide;
	struct an_base *bases; /* by allocation id / AN_GROUP: the time and
				* order position its first allocation had */
	size_t n_bases, cap_bases;
	uint64_t bucket_w, bucket_lo, bucket_hi; /* the timeline's buckets */
	size_t bucket;
	int finished;
};

/* Between records.c (records to events) and engine.c (the pairing):
 * pairs e at once, out of the merge's order; a live view's event that
 * came later than the merge waited.  Returns as an_engine_record. */
int an_engine_pair_now(struct an_engine *en, const struct load_ev *e);

/* Zeroes *en and sets it up.  0, or -1 out of memory.  Caller frees it
 * with an_engine_release. */
int an_engine_init(struct an_engine *en, const struct an_options *o);
void an_engine_release(struct an_engine *en);

/* A chunk begins: records fed until the next call came from it. */
void an_engine_chunk(struct an_engine *en);

/* One record, in file order.  Every record may be fed: those that are not
 * events (allocator records included), thread or process records, or what
 * heap errors need (IMAGE, EARLY_BLOCK) are ignored.  image_flags: IMAGE records carry flags
 * (format 3.4 on).  Returns 0, -1 out of memory, AN_LATE, or the ended
 * callback's return. */
int an_engine_record(struct an_engine *en, const struct czt_record *r, int image_flags);

/*
 * The rest of r's current chunk, an EVENTS chunk c, kept to be read when
 * the merge reaches it instead of now (the caller feeds no record of it):
 * the merge waits for a few hundred milliseconds of the run, and a
 * chunk's records take a quarter of the memory of the events they make.
 * The records are read at the end of a later chunk, once the thread's
 * events before them are out and the time the chunk starts at (its
 * base_time: no event of it is older) is about to be handed out.  end_at:
 * where the chunk ends in the file.  Returns as an_engine_record.
 */
int an_engine_keep(struct an_engine *en, struct czt_reader *r, const struct czt_chunk *c,
		   int image_flags, uint64_t end_at);

/* Between records.c and engine.c: the time no event of a kept chunk is
 * older than (UINT64_MAX: none is kept). */
uint64_t an_kept_first(const struct an_engine *en);
/* Reads the kept chunk that starts first into the merge, and sets *rest
 * to an_kept_first's time after it.  Returns as an_engine_record. */
int an_kept_read_earliest(struct an_engine *en, uint64_t *rest);
/* Frees them all. */
void an_kept_release(struct an_engine *en);

/* The chunk is read: hands the events no later one can precede to the
 * pairing.  Returns as an_engine_record. */
int an_engine_chunk_end(struct an_engine *en);

/* How far behind the newest event read an event may still come: the
 * merge lag, or twice the most an event came behind (AN_LAG_ALL: every
 * event waits for the end). */
uint64_t an_engine_lag(const struct an_engine *en);

/*
 * For a trace read while it is written.  Nothing at or before time can
 * still come (the writer is that far on; the caller knows it from the
 * clock when the program is quiet and the file does not grow): pairs
 * every event up to it, and the clock (now) and the timeline move on to
 * it though no event came.  Returns as an_engine_record.
 */
int an_engine_settle(struct an_engine *en, uint64_t time);

/* For a trace read while it is written: pairs every event read so far,
 * without waiting for what may still precede them (the program is gone,
 * or its scan at exit judges the blocks live now); with o.live, later
 * events are paired as they come.  Returns as an_engine_record. */
int an_engine_flush(struct an_engine *en);

/* A replay shows the heap as it was at time: no event later than it is
 * paired until a later call (UINT64_MAX, the default: no bound). */
void an_engine_hold(struct an_engine *en, uint64_t time);

/* Every record is read: pairs what is left and settles the totals
 * (live_* of every stack is then what leaked).  Returns as
 * an_engine_record. */
int an_engine_finish(struct an_engine *en);

/* Calls fn with each block live at the end, in id order.  0, -1 out of
 * memory, or fn's non-zero return. */
int an_engine_live(const struct an_engine *en, int (*fn)(void *ctx, const struct an_block *b),
		   void *ctx);

#endif
