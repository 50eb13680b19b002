/*
 * load.c - one pass from a .czt trace into SQLite (tracedb.h).
 *
 * 1. Read every chunk: definitions (modules, stack nodes, strings, symbol
 *    frames) go into the database; allocation events are kept in an
 *    array, a realloc split into its free part and its allocation part.
 * 2. Put the events in the global order FORMAT.md defines (time, frees
 *    before allocations on equal times, file order) by merging the
 *    threads' own sequences, which the file already has in order; a trace
 *    recorded on one thread is in that order as it stands.
 * 3. Walk them once: pair allocations and frees by address, one row per
 *    allocation, per-thread totals; then once more for the live bytes,
 *    the exact peak and a bounded timeline.
 * 4. The rows go into SQLite in one statement (load_rows.c) while another
 *    thread pairs and then sums them per stack, function and size.
 * 5. Indexes last, then rename the finished file into place.
 *
 * A trace is streamed: steps 1 and 3 run chunk by chunk on the other
 * thread while the rows already go in, so reading the trace costs no time
 * of its own.  The database is busy with the rows all that time, so
 * definitions wait in memory and the symbol table is read after.  The
 * first try takes one thread's events as they come; at a second thread it
 * starts again merging the threads' events as they come (load_merge.h).
 * Whatever the stream cannot take (events out of order, a thread's events
 * far behind the others', events after the symbols, more than the arrays
 * were sized for) makes the load start again without it.  Rows of blocks
 * that live long go into the table early, so that they do not hold the
 * rest back (load_rows.h).  When the footer tells the run's
 * duration the stream is fused: the pairing also walks the live heap and
 * keeps the totals, frees leave the events once paired, and the pages of
 * rows and events the inserts have passed are reused for new ones
 * (prefault.h), so a load whose blocks die young touches little memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/load_cz.h"
#include "cli/load_errors.h"
#include "cli/load_kinds.h"
#include "cli/load_merge.h"
#include "cli/load_symbols.h"
#include "cli/load_rows.h"
#include "cli/prefault.h"
#include "cli/tracedb.h"
#include "cli/util.h"
#include "format/czt.h"
#include "format/printable.h"
#include "viewer/idmap.h"

#define TIMELINE_POINTS 4000
/* Streamed traces whose arrays are sized for this many events or more
 * (12 MiB of events before compression, 2 M events or so) fill them with
 * a page helper (prefault.h): their arrays reach a hundred MiB and more. */
#define PREFAULT_MIN_EVENTS (4u << 20)
/* Ids after an exec'd image's PROCESS_END(EXEC) are shifted so that the
 * images' stack, module and string ids never collide (SCHEMA.md). */
#define IMAGE_SHIFT 40

struct deferred_module {
	struct czt_record r; /* r.str and r.build_id: one block, owned */
	uint64_t img;        /* the image it belongs to (IMAGE_SHIFT) */
};

/* The free of a row that went into the table early (load_rows.h). */
struct late_free {
	uint64_t time;
	uint32_t row, seq, tid;
	int temporary;
};

struct loader {
	sqlite3 *db;
	struct load_ev *evs;
	size_t n_evs, cap_evs;
	struct load_row *rows;
	size_t n_rows, cap_rows;
	size_t n_alloc_evs;     /* an upper bound on rows */
	size_t n_free_evs;      /* frees, realloc free parts included */
	struct load_rows *pub;  /* where the pairing publishes rows (load_rows.h) */
	struct late_free *late; /* the pairing's: rows it ended after they went in */
	size_t n_late, cap_late;
	int late_failed;        /* out of memory keeping one */
	struct load_early *early; /* pub->early's room */
	struct load_thread *threads;
	size_t n_threads, cap_threads;
	struct idmap thread_ids;
	uint32_t last_thread;
	/* stack node ids of the events, interned: an event holds an index */
	uint64_t *stacks;
	size_t n_stacks, cap_stacks;
	struct idmap stack_ids;
	uint64_t last_stack_id;
	uint32_t last_stack;
	/* strings of the symbol table, by id (ids are dense from 1) */
	char **strs;
	size_t cap_strs;
	uint64_t image; /* exec count */
	/* the program the last exec started (an IMAGE record; before 3.2 the
	 * first module of its map): printable, owned */
	char *image_exe, *image_cmdline;
	int image_unnamed; /* an exec's image not named yet */
	int image_flags;   /* IMAGE records carry flags (format 3.4 on) */
	int attached;      /* recorded by `czprof record -p` (3.5): a window of a running process */
	uint64_t failed, unmatched, conflicts, cz_events, lost, end_time;
	uint64_t lost_why, lost_err; /* the last lost record's that said why */
	int end_how;
	uint64_t end_value;
	/* how the trace ended: a FOOTER chunk was read (czprof record finished
	 * it); the recorder itself wrote a process end (a fatal signal it
	 * caught); records being read are the footer's */
	int has_footer, recorder_end, in_footer;
	sqlite3_stmt *ins_node, *ins_frame, *ins_module, *unload_module;
	/* the trace's modules, for a trace without a symbol table
	 * (load_symbols.h); FRAME records read */
	struct sym_resolver *sym;
	uint64_t n_frame_recs;
	struct cz_loader *cz; /* allocator-library events (load_cz.c) */
	struct load_errors errs; /* heap errors (load_errors.h), by the pairing */
	/* Streaming (see fill and pair_thread): the arrays above were sized
	 * for the whole trace and must not move, records that need the database wait
	 * in deferred_*, and anything the stream cannot take sets restart. */
	int streaming, restart;
	const char *restart_why;
	uint64_t *deferred_nodes; /* id, parent, ip */
	size_t n_deferred_nodes, cap_deferred_nodes;
	struct deferred_module *deferred_modules;
	size_t n_deferred_modules, cap_deferred_modules;
	/* Streaming a finished trace whose footer told its duration: the
	 * pairing walks the live heap as it goes, so a chunk's frees, needed
	 * by nothing after that, leave evs once paired (stream_pair).  About
	 * half the events of a trace are frees. */
	int fused;
	uint64_t fused_end;      /* the duration the footer told */
	size_t dropped;          /* frees dropped: n_evs + dropped events in all */
	struct load_ev last_ev;  /* the last event paired, dropped or not */
	int has_last_ev;         /* last_ev holds an event */
	/* Streaming a big trace: a helper maps the pages of evs and rows
	 * ahead of their filling (prefault.h). */
	struct prefault *pf;
	int pf_evs, pf_rows;
	/* Streaming, evs and rows are stream_array()s (mapped: they never
	 * move); fused, the pages the inserts have passed move to where they
	 * fill next (reusing), and those arrays are not read behind the
	 * inserts (see drained_evs). */
	int mapped, reusing;
	struct prefault_reuse ru_evs, ru_rows;
	/* Streaming several threads: their events wait in the merge until
	 * no older one can come, then go to evs in the global order. */
	int merging;
	struct load_merge merge;
	uint32_t chunks;         /* chunks read: orders the merge's equal events */
	uint64_t merge_lag;      /* MERGE_LAG_NS (tests set less) */
	size_t chunk_first;      /* evs of the chunk being read start here */
	size_t stuck_at;         /* keep_close: where the inserts last stood still, or
				  * were last seen moving; SIZE_MAX: near them */
	const char *tmp_path;  /* the database being written */
	char trace_key[TRACEDB_KEY_LEN]; /* the trace's content as it was read (tracedb_key) */
	int verbose;           /* tracedb_load's */
	double phase_start;
};

/* nothing to recover if a load fails (the file is deleted), so no journal;
 * large pages for tables that are only appended to; a small page cache: the
 * tables are written once, front to back, and every page SQLite keeps is a
 * page it must allocate and clear (a 256 MiB cache made 10 M events load
 * in 4.5-6.5 s instead of 3) */
#define LOAD_PRAGMAS                                                                           \
	"PRAGMA page_size = 65536; PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;"        \
	" PRAGMA cache_size = -4096; PRAGMA threads = 2;"

static const char schema[] =
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value);"
	"CREATE TABLE allocations(id INTEGER PRIMARY KEY, addr INTEGER, size INTEGER, fn TEXT,"
	" alloc_time INTEGER, free_time INTEGER, alloc_seq INTEGER, free_seq INTEGER,"
	" stack INTEGER, tid INTEGER, free_tid INTEGER, realloc_from INTEGER, temporary INTEGER);"
	"CREATE TABLE stack_nodes(id INTEGER PRIMARY KEY, parent INTEGER, ip INTEGER, depth INTEGER);"
	"CREATE TABLE frames(ip INTEGER, idx INTEGER, function TEXT, file TEXT, line INTEGER,"
	" module INTEGER, PRIMARY KEY(ip, idx));"
	"CREATE TABLE modules(id INTEGER PRIMARY KEY, path TEXT, bias INTEGER, start INTEGER,"
	" end INTEGER, build_id TEXT, load_time INTEGER, unload_time INTEGER);"
	"CREATE TABLE threads(tid INTEGER PRIMARY KEY, start_time INTEGER, end_time INTEGER,"
	" allocations INTEGER, bytes INTEGER);"
	"CREATE TABLE timeline(time INTEGER, seq INTEGER, live_bytes INTEGER, live_blocks INTEGER);"
	"CREATE TABLE leak_kinds(id INTEGER PRIMARY KEY, kind TEXT, heuristic TEXT,"
	" indirect_bytes INTEGER, leader INTEGER);"
	"CREATE VIEW leaks AS SELECT a.*, k.kind AS kind, k.heuristic AS heuristic,"
	" k.indirect_bytes AS indirect_bytes, k.leader AS leader"
	" FROM allocations a LEFT JOIN leak_kinds k ON k.id = a.id WHERE a.free_time IS NULL;"
	"CREATE TABLE stack_totals(stack INTEGER PRIMARY KEY, allocations INTEGER, bytes INTEGER,"
	" temporary INTEGER, temporary_bytes INTEGER, leaked INTEGER, leaked_bytes INTEGER,"
	" peak_blocks INTEGER, peak_bytes INTEGER);"
	"CREATE TABLE fn_totals(fn TEXT PRIMARY KEY, calls INTEGER, bytes INTEGER);"
	"CREATE TABLE size_histogram(size_from INTEGER PRIMARY KEY, size_to INTEGER, count INTEGER);"
	"CREATE TABLE heap_errors(id INTEGER PRIMARY KEY, kind TEXT, call TEXT, addr INTEGER,"
	" size INTEGER, time INTEGER, tid INTEGER, stack INTEGER, alloc_fn TEXT, alloc_stack INTEGER,"
	" free_call TEXT, free_time INTEGER, free_tid INTEGER, free_stack INTEGER);";

/* A number from the environment (tests' knobs), or def. */
static size_t env_size(const char *name, size_t def)
{
	const char *v = getenv(name);
	return v && *v ? (size_t)strtoull(v, NULL, 10) : def;
}

static int exec_sql(sqlite3 *db, const char *sql)
{
	char *err = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		cz_error("database: %s", err ? err : sqlite3_errmsg(db));
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

/* Asks for huge pages on the 2 MiB-aligned part of a big block. */
static void advise_huge(void *p, size_t len)
{
	if (len < (8u << 20))
		return;
	uintptr_t lo = ((uintptr_t)p + (2u << 20) - 1) & ~(uintptr_t)((2u << 20) - 1);
	uintptr_t hi = ((uintptr_t)p + len) & ~(uintptr_t)((2u << 20) - 1);
	if (hi > lo)
		madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t n = *cap ? *cap : 1024;
	while (n < need)
		n *= 2;
	void *q = realloc(*p, n * elem);
	if (!q)
		return -1;
	/* the event and row arrays run to hundreds of MiB: with huge pages a
	 * first touch faults once per 2 MiB instead of once per 4 KiB */
	advise_huge(q, n * elem);
	*p = q;
	*cap = n;
	return 0;
}

/* A streamed array's span: whole huge pages, so that they can move one
 * at a time (prefault_reuse). */
static size_t stream_span(size_t bytes)
{
	return (bytes + PREFAULT_HUGE - 1) & ~(size_t)(PREFAULT_HUGE - 1);
}

/* Address space for a streamed array of bytes, huge-page aligned, none of
 * it touched; NULL when it cannot be had.  Caller munmaps stream_span
 * bytes at it (free_arrays). */
static void *stream_array(size_t bytes)
{
	size_t span = stream_span(bytes), len = span + PREFAULT_HUGE;
	uint8_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			  -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	uint8_t *a = (uint8_t *)(((uintptr_t)p + PREFAULT_HUGE - 1) & ~(uintptr_t)(PREFAULT_HUGE - 1));
	if (a > p)
		munmap(p, (size_t)(a - p));
	if (p + len > a + span)
		munmap(a + span, (size_t)(p + len - (a + span)));
	/* with huge pages a first touch faults once per 2 MiB, and a page
	 * moves whole */
	madvise(a, span, MADV_HUGEPAGE);
	return a;
}

/* Frees evs and rows, however they were made. */
static void free_arrays(struct loader *l)
{
	if (l->mapped) {
		if (l->evs)
			munmap(l->evs, stream_span(l->cap_evs * sizeof(*l->evs)));
		if (l->rows)
			munmap(l->rows, stream_span(l->cap_rows * sizeof(*l->rows)));
	} else {
		free(l->evs);
		free(l->rows);
	}
	l->evs = NULL;
	l->rows = NULL;
	l->cap_evs = l->cap_rows = 0;
	l->mapped = 0;
}

/* Why a stream of one thread stopped when a trace has several: it starts
 * again merging theirs (tracedb_load). */
static const char why_threads[] = "a second thread";

/* The stream cannot go on (why: for --times); the load starts again
 * without it.  Returns -1 so that callers stop. */
static int stream_restart(struct loader *l, const char *why)
{
	if (!l->restart)
		l->restart_why = why;
	l->restart = 1;
	return -1;
}

/* Threads by tid through a hash map: a crafted trace naming a new thread
 * in every tiny chunk must not make this quadratic. */
static uint32_t thread_index(struct loader *l, uint64_t tid, uint64_t time)
{
	if (l->n_threads && l->threads[l->last_thread].tid == tid)
		return l->last_thread;
	long i = idmap_get(&l->thread_ids, tid);
	if (i >= 0)
		return l->last_thread = (uint32_t)i;
	if (l->streaming && l->n_threads && !l->merging) {
		stream_restart(l, why_threads);
		return 0;
	}
	if (l->streaming && l->n_threads == l->cap_threads) { /* the inserts read it: it must not move */
		stream_restart(l, "more threads than foreseen");
		return 0;
	}
	if (l->n_threads >= LOAD_MAX_THREADS ||
	    grow((void **)&l->threads, &l->cap_threads, l->n_threads + 1, sizeof(*l->threads)) ||
	    idmap_put(&l->thread_ids, tid, (uint32_t)l->n_threads))
		return 0; /* out of memory or of thread numbers: counted under the first thread */
	l->threads[l->n_threads] = (struct load_thread){ .tid = tid, .start = time, .end = time, .last_alloc = -1 };
	return l->last_thread = (uint32_t)l->n_threads++;
}

/* The stack table index of stack node id (0 for 0), or -1 when out of memory. */
static long stack_index(struct loader *l, uint64_t id)
{
	if (!l->n_stacks) { /* index 0 is the empty stack */
		if (grow((void **)&l->stacks, &l->cap_stacks, 1, sizeof(*l->stacks)))
			return -1;
		l->stacks[l->n_stacks++] = 0;
	}
	if (id == l->last_stack_id)
		return l->last_stack;
	long i = id ? idmap_get(&l->stack_ids, id) : 0;
	if (i < 0) {
		if (l->streaming && l->n_stacks == l->cap_stacks)
			return stream_restart(l, "more stacks than foreseen");
		if (l->n_stacks >= UINT32_MAX ||
		    grow((void **)&l->stacks, &l->cap_stacks, l->n_stacks + 1, sizeof(*l->stacks)) ||
		    idmap_put(&l->stack_ids, id, (uint32_t)l->n_stacks))
			return -1;
		i = (long)l->n_stacks;
		l->stacks[l->n_stacks++] = id;
	}
	l->last_stack_id = id;
	l->last_stack = (uint32_t)i;
	return i;
}

/* Events read so far, those dropped once paired included. */
static size_t events_read(const struct loader *l)
{
	return l->n_evs + l->dropped;
}

/* Rows the inserts are done with (fused: their pages may be reused). */
static size_t drained_rows(const struct loader *l)
{
	return __atomic_load_n(&l->pub->drained, __ATOMIC_ACQUIRE);
}

/* Events nothing reads any more: those of earlier chunks that no row
 * still to be inserted names (a row names its allocation event). */
static size_t drained_evs(const struct loader *l)
{
	size_t r = drained_rows(l), e = l->chunk_first;
	if (r < l->n_rows && l->rows[r].ev < e)
		e = l->rows[r].ev;
	return e;
}

/* Appends e to evs. */
static int store_ev(struct loader *l, const struct load_ev *e)
{
	if ((l->streaming || l->mapped) && l->n_evs == l->cap_evs)
		return stream_restart(l, "more events than foreseen");
	if (l->n_evs == l->cap_evs) {
		/* the array moves: the helper must not map the old place */
		prefault_release(l->pf, l->pf_evs);
		l->pf_evs = -1;
		if (grow((void **)&l->evs, &l->cap_evs, l->n_evs + 1, sizeof(*l->evs)))
			return -1;
	}
	size_t upto = (l->n_evs + 1) * sizeof(*l->evs);
	if (l->reusing && prefault_reuse_due(&l->ru_evs, upto))
		prefault_reuse(&l->ru_evs, upto, drained_evs(l) * sizeof(*l->evs));
	l->evs[l->n_evs++] = *e;
	l->n_alloc_evs += e->kind == EV_ALLOC;
	l->n_free_evs += e->kind == EV_FREE;
	return 0;
}

/* Adds an event in file order: to evs, or merging, to its sequence's
 * queue (the exec markers' first, then the threads'). */
static int push_ev(struct loader *l, const struct load_ev *e)
{
	if (!l->merging)
		return store_ev(l, e);
	size_t k = e->kind == EV_EXEC ? 0 : (size_t)e->tid + 1;
	int rc = merge_push(&l->merge, k, e, l->chunks);
	return rc == MERGE_LATE ? stream_restart(l, "a thread's events came too late to merge") : rc;
}

static const char *string_of(struct loader *l, uint64_t id)
{
	return id && id < l->cap_strs ? l->strs[id] : NULL;
}

static void put_stack_node(struct loader *l, uint64_t id, uint64_t parent, uint64_t ip)
{
	sqlite3_bind_int64(l->ins_node, 1, (sqlite3_int64)id);
	sqlite3_bind_int64(l->ins_node, 2, (sqlite3_int64)parent);
	sqlite3_bind_int64(l->ins_node, 3, (sqlite3_int64)ip);
	sqlite3_step(l->ins_node);
	sqlite3_reset(l->ins_node);
}

/* A MODULE_LOAD or MODULE_UNLOAD of image img. */
static void put_module(struct loader *l, const struct czt_record *r, uint64_t img)
{
	if (r->type == CZT_REC_MODULE_UNLOAD) {
		sqlite3_bind_int64(l->unload_module, 1, (sqlite3_int64)r->time);
		sqlite3_bind_int64(l->unload_module, 2, (sqlite3_int64)(r->id + img));
		sqlite3_step(l->unload_module);
		sqlite3_reset(l->unload_module);
		return;
	}
	char raw_path[PATH_MAX];
	snprintf(raw_path, sizeof(raw_path), "%.*s", (int)r->str_len, r->str ? (const char *)r->str : "");
	if (l->sym)
		sym_add_module(l->sym, r->id + img, raw_path, r->bias, r->start, r->end, r->build_id,
			       r->build_id_len);
	char hex[129];
	size_t n = r->build_id_len < 64 ? r->build_id_len : 64;
	for (size_t i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", r->build_id[i]);
	hex[2 * n] = 0;
	sqlite3_stmt *s = l->ins_module;
	char *path = czt_printable_dup(r->str, r->str_len, CZT_PRINT_ESCAPE);
	sqlite3_bind_int64(s, 1, (sqlite3_int64)(r->id + img));
	sqlite3_bind_text(s, 2, path ? path : "?", -1, SQLITE_TRANSIENT);
	free(path);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)r->bias);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)r->start);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)r->end);
	sqlite3_bind_text(s, 6, hex, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 7, (sqlite3_int64)r->time);
	sqlite3_step(s);
	sqlite3_reset(s);
}

/* Streaming: a module record kept, with copies of its bytes, until the
 * database is free again. */
static int defer_module(struct loader *l, const struct czt_record *r, uint64_t img)
{
	size_t n = l->n_deferred_modules;
	if (grow((void **)&l->deferred_modules, &l->cap_deferred_modules, n + 1,
		 sizeof(*l->deferred_modules)))
		return -1;
	uint8_t *bytes = malloc(r->str_len + r->build_id_len + 1);
	if (!bytes)
		return -1;
	if (r->str_len) /* a damaged trace may have neither */
		memcpy(bytes, r->str, r->str_len);
	if (r->build_id_len)
		memcpy(bytes + r->str_len, r->build_id, r->build_id_len);
	struct deferred_module *d = &l->deferred_modules[n];
	d->r = *r;
	d->r.str = bytes;
	d->r.build_id = bytes + r->str_len;
	d->img = img;
	l->n_deferred_modules++;
	return 0;
}

/* Writes what the stream deferred, in the order it came. */
static void put_deferred(struct loader *l)
{
	for (size_t i = 0; i < l->n_deferred_nodes; i += 3)
		put_stack_node(l, l->deferred_nodes[i], l->deferred_nodes[i + 1], l->deferred_nodes[i + 2]);
	for (size_t i = 0; i < l->n_deferred_modules; i++)
		put_module(l, &l->deferred_modules[i].r, l->deferred_modules[i].img);
}

/* The program an exec started: exe and its command line (arguments
 * separated by NULs). */
static int name_image(struct loader *l, const uint8_t *exe, size_t exe_len, const uint8_t *cmd,
		      size_t cmd_len)
{
	char *e = czt_printable_dup(exe, exe_len, CZT_PRINT_ESCAPE);
	char *c = czt_printable_dup(cmd, cmd_len, CZT_PRINT_SPACE);
	if (!e || !c) {
		free(e);
		free(c);
		return -1;
	}
	free(l->image_exe);
	free(l->image_cmdline);
	l->image_exe = e;
	l->image_cmdline = c;
	l->image_unnamed = 0;
	return 0;
}

static int on_record(struct loader *l, const struct czt_record *r)
{
	uint64_t img = l->image << IMAGE_SHIFT;
	struct load_ev e = { 0 };
	switch (r->type) {
	case CZT_REC_MALLOC: case CZT_REC_CALLOC: case CZT_REC_POSIX_MEMALIGN:
	case CZT_REC_ALIGNED_ALLOC: case CZT_REC_MEMALIGN: case CZT_REC_VALLOC:
	case CZT_REC_PVALLOC:
	{
		if (!r->addr) {
			l->failed++;
			return 0;
		}
		long st = stack_index(l, r->stack ? r->stack + img : 0);
		if (st < 0)
			return -1;
		unsigned fam = r->op & CZT_OP_FAMILY;
		e = (struct load_ev){ .time = r->time, .addr = r->addr, .size = r->size,
				      .stack = (uint32_t)st,
				      .fn = fam == CZT_OP_NEW ? LOAD_FN_NEW :
					    fam == CZT_OP_NEW_ARRAY ? LOAD_FN_NEW_ARRAY : r->type & 31,
				      .tid = thread_index(l, r->tid, r->time), .kind = EV_ALLOC };
		return push_ev(l, &e);
	}
	case CZT_REC_FREE: {
		/* a free's stack: recorded with CZPROF_FREE_STACKS */
		long st = stack_index(l, r->stack ? r->stack + img : 0);
		if (st < 0)
			return -1;
		unsigned fam = r->op & CZT_OP_FAMILY;
		e = (struct load_ev){ .time = r->time, .addr = r->addr, .kind = EV_FREE,
				      .stack = (uint32_t)st, .fn = (fam == 3 ? 0 : fam) << 1,
				      .tid = thread_index(l, r->tid, r->time) };
		return push_ev(l, &e);
	}
	case CZT_REC_REALLOC: case CZT_REC_REALLOCARRAY: {
		uint32_t tid = thread_index(l, r->tid, r->time);
		if (r->addr == 0 && r->size > 0) { /* failed: the old block stays */
			l->failed++;
			return 0;
		}
		long st = stack_index(l, r->stack ? r->stack + img : 0);
		if (st < 0)
			return -1;
		if (r->old_addr) { /* its stack is the realloc's, for heap errors */
			e = (struct load_ev){ .time = r->time_free, .addr = r->old_addr, .kind = EV_FREE,
					 .stack = (uint32_t)st, .tid = tid, .realloc = 1 };
			if (push_ev(l, &e))
				return -1;
		}
		if (!r->addr)
			return 0; /* realloc(p, 0): a free */
		e = (struct load_ev){ .time = r->time, .addr = r->addr, .size = r->size,
				      .stack = (uint32_t)st, .fn = r->type & 31,
				      .tid = tid, .kind = EV_ALLOC, .realloc = r->old_addr != 0 };
		return push_ev(l, &e);
	}
	case CZT_REC_STACK_NODE: {
		uint64_t id = r->id + img, parent = r->parent ? r->parent + img : 0;
		if (!l->streaming)
			return put_stack_node(l, id, parent, r->ip), 0;
		if (grow((void **)&l->deferred_nodes, &l->cap_deferred_nodes, l->n_deferred_nodes + 3,
			 sizeof(uint64_t)))
			return -1;
		uint64_t *d = l->deferred_nodes + l->n_deferred_nodes;
		d[0] = id, d[1] = parent, d[2] = r->ip;
		l->n_deferred_nodes += 3;
		return 0;
	}
	case CZT_REC_STRING:
		if (cz_loader_record(l->cz, r))
			return -1;
		if (r->id >= 1 && r->id < (1u << 24)) { /* symbol-table strings */
			size_t old = l->cap_strs;
			if (grow((void **)&l->strs, &l->cap_strs, r->id + 1, sizeof(char *)))
				return -1;
			memset(l->strs + old, 0, (l->cap_strs - old) * sizeof(char *));
			/* function and file names are printed: no control
			 * characters (format/printable.h) */
			char *s = czt_printable_dup(r->str, r->str_len, CZT_PRINT_ESCAPE);
			if (!s)
				return -1;
			free(l->strs[r->id]);
			l->strs[r->id] = s;
		}
		return 0;
	case CZT_REC_FRAME:
		if (l->streaming) /* symbols come after the events: the stream stops before */
			return stream_restart(l, "symbols among the events");
		l->n_frame_recs++;
		for (unsigned i = 0; i < r->nframes; i++) {
			const char *fn = string_of(l, r->frames[i].function);
			const char *file = string_of(l, r->frames[i].file);
			sqlite3_bind_int64(l->ins_frame, 1, (sqlite3_int64)r->ip);
			sqlite3_bind_int(l->ins_frame, 2, (int)i);
			fn ? sqlite3_bind_text(l->ins_frame, 3, fn, -1, SQLITE_STATIC)
			   : sqlite3_bind_null(l->ins_frame, 3);
			file ? sqlite3_bind_text(l->ins_frame, 4, file, -1, SQLITE_STATIC)
			     : sqlite3_bind_null(l->ins_frame, 4);
			sqlite3_bind_int64(l->ins_frame, 5, (sqlite3_int64)r->frames[i].line);
			sqlite3_bind_int64(l->ins_frame, 6, (sqlite3_int64)r->id);
			sqlite3_step(l->ins_frame);
			sqlite3_reset(l->ins_frame);
		}
		return 0;
	case CZT_REC_IMAGE:
		/* 3.4: also says whether recording saw the image whole (a 3.3
		 * record, an exec's, says nothing of it) */
		if (l->image_flags &&
		    load_errors_image(&l->errs, l->image, (r->value & CZT_IMAGE_WHOLE) != 0))
			return -1;
		if (l->image_flags && (r->value & CZT_IMAGE_ATTACHED))
			l->attached = 1;
		return name_image(l, r->str, r->str_len, r->cmdline, r->cmdline_len);
	case CZT_REC_MODULE_LOAD: case CZT_REC_MODULE_UNLOAD:
		/* a trace before 3.2: its main program is the image's first module */
		if (r->type == CZT_REC_MODULE_LOAD && l->image_unnamed &&
		    name_image(l, r->str, r->str_len, r->str, r->str_len))
			return -1;
		return l->streaming ? defer_module(l, r, img) : (put_module(l, r, img), 0);
	case CZT_REC_THREAD_START: case CZT_REC_THREAD_END: {
		uint32_t t = thread_index(l, r->tid, r->time);
		if (r->type == CZT_REC_THREAD_END)
			l->threads[t].end = r->time;
		return 0;
	}
	case CZT_REC_PROCESS_END:
		if (r->how == CZT_END_EXEC) {
			/* every block of the old image is gone: an exec "free"
			 * for each live one is added at the pairing pass */
			struct load_ev x = { .time = r->time, .kind = EV_EXEC };
			l->image++;
			l->image_unnamed = 1;
			if (cz_loader_record(l->cz, r))
				return -1;
			return push_ev(l, &x);
		}
		l->end_how = (int)r->how;
		l->end_value = r->value;
		if (!l->in_footer)
			l->recorder_end = 1;
		if (r->time > l->end_time)
			l->end_time = r->time;
		return 0;
	case CZT_REC_LOST:
		l->lost += r->value;
		if (r->why) {
			l->lost_why = r->why;
			l->lost_err = r->err;
		}
		return 0;
	case CZT_REC_EARLY_BLOCK:
		return load_errors_early(&l->errs, l->image, r->addr);
	default:
		if (r->type >= CZT_REC_CZ_ALLOC && r->type <= CZT_REC_CZ_CAPACITY) {
			l->cz_events++;
			return cz_loader_record(l->cz, r);
		}
		return 0;
	}
}

/*
 * Whether event y may follow event x (just before it in the file) with
 * the file order still the global order.  The merge keeps each thread's
 * file order whatever the times, so within a thread times need only not
 * go back (a calloc and a realloc's free part may share a nanosecond).
 * Where the sequence changes (another thread, an exec marker) the time
 * must grow: then every earlier event of either sequence comes before
 * every later one, which is what the merge would find.
 */
static int follows(const struct load_ev *x, const struct load_ev *y)
{
	if (x->kind != EV_EXEC && y->kind != EV_EXEC && x->tid == y->tid)
		return x->time <= y->time;
	return x->time < y->time;
}

/* True when the file order is the global order already from event first
 * on, as it is for a program that recorded on one thread: then no
 * permutation is needed. */
static int in_order_from(const struct loader *l, size_t first)
{
	/* fused, the event before evs[first] may have been dropped, and an
	 * earlier chunk's events may be gone with their pages: the last
	 * event paired stands for them */
	int after_last = l->fused && l->has_last_ev;
	if (after_last && first < l->n_evs && !follows(&l->last_ev, &l->evs[first]))
		return 0;
	for (size_t i = after_last ? first + 1 : first ? first : 1; i < l->n_evs; i++)
		if (!follows(&l->evs[i - 1], &l->evs[i]))
			return 0;
	return 1;
}

/* Which sequence event i belongs to: its thread's, or (the last) the exec
 * markers'. */
static size_t list_of(const struct loader *l, size_t i, size_t k)
{
	const struct load_ev *e = &l->evs[i];
	return e->kind == EV_EXEC || e->tid >= l->n_threads ? k - 1 : e->tid;
}

/* A run: events [start, end) of one sequence, contiguous in the file (a
 * chunk, mostly).  next: the sequence's following run, or NO_EV. */
struct run {
	uint32_t start, end, next;
};

/* Each sequence's position: the event at pos of run r. */
struct cursor {
	uint32_t pos, run;
};

/*
 * The global order of FORMAT.md as a permutation of l->evs: each thread's
 * events are already in order in the file (its chunks come in order), so
 * the threads' sequences are merged with a small heap, O(n log threads),
 * instead of sorting n events.  Within a thread, file order is kept even
 * on equal times; across threads, equal times put frees first.  Exec
 * markers form a sequence of their own.  Caller frees the result; NULL
 * when out of memory.
 */
static uint32_t *event_order(struct loader *l)
{
	size_t n = l->n_evs, k = l->n_threads + 1; /* the last list: exec markers */
	uint32_t *order = malloc((n ? n : 1) * sizeof(*order));
	struct run *runs = NULL;
	size_t n_runs = 0, cap_runs = 0;
	uint32_t *tail = malloc(k * sizeof(*tail));
	struct cursor *cur = malloc(k * sizeof(*cur));
	uint32_t *heap = malloc(k * sizeof(*heap)); /* sequences, earliest head first */
	if (!order || !tail || !cur || !heap) /* fill bounds n below UINT32_MAX */
		goto fail;
	for (size_t t = 0; t < k; t++)
		tail[t] = cur[t].run = NO_EV;
	for (size_t i = 0; i < n;) {
		size_t t = list_of(l, i, k), j = i + 1;
		while (j < n && list_of(l, j, k) == t)
			j++;
		if (grow((void **)&runs, &cap_runs, n_runs + 1, sizeof(*runs)))
			goto fail;
		runs[n_runs] = (struct run){ (uint32_t)i, (uint32_t)j, NO_EV };
		if (tail[t] == NO_EV)
			cur[t] = (struct cursor){ (uint32_t)i, (uint32_t)n_runs };
		else
			runs[tail[t]].next = (uint32_t)n_runs;
		tail[t] = (uint32_t)n_runs++;
		i = j;
	}
	size_t h = 0;
#define HEAD(x) cur[heap[x]].pos
#define HB(a, b) load_ev_before(&l->evs[HEAD(a)], HEAD(a), &l->evs[HEAD(b)], HEAD(b))
	for (size_t t = 0; t < k; t++) {
		if (cur[t].run == NO_EV)
			continue;
		size_t c = h++;
		heap[c] = (uint32_t)t;
		while (c && HB(c, (c - 1) / 2)) {
			uint32_t x = heap[c];
			heap[c] = heap[(c - 1) / 2];
			heap[(c - 1) / 2] = x;
			c = (c - 1) / 2;
		}
	}
	for (size_t o = 0; h; o++) {
		struct cursor *c0 = &cur[heap[0]];
		order[o] = c0->pos;
		if (++c0->pos == runs[c0->run].end) { /* on to the sequence's next run */
			c0->run = runs[c0->run].next;
			if (c0->run == NO_EV) {
				heap[0] = heap[--h];
				if (!h)
					break;
			} else {
				c0->pos = runs[c0->run].start;
			}
		}
		for (size_t c = 0;;) { /* sift down */
			size_t a = 2 * c + 1, b = a + 1, m = c;
			if (a < h && HB(a, m))
				m = a;
			if (b < h && HB(b, m))
				m = b;
			if (m == c)
				break;
			uint32_t x = heap[c];
			heap[c] = heap[m];
			heap[m] = x;
			c = m;
		}
	}
#undef HB
#undef HEAD
	free(runs);
	free(tail);
	free(cur);
	free(heap);
	return order;
fail:
	free(order);
	free(runs);
	free(tail);
	free(cur);
	free(heap);
	return NULL;
}

/* ---- pairing ---- */

struct slot {
	uint64_t addr;
	uint32_t row1;      /* row index + 1; 0: empty, so a fresh map is all empty;
			     * freed: the load_freed id */
	uint32_t size : 29; /* the block's size, SLOT_BIG_SIZE: in its event */
	uint32_t family : 2;/* who made it (LOAD_FAM_*) */
	uint32_t freed : 1; /* released, and the address not allocated since */
};

/* The size and family ride in the slot because a free then needs no look
 * at its allocation event, a cache miss on a big heap. */
#define SLOT_BIG_SIZE ((1u << 29) - 1)

/* Live blocks by address: linear probing with backward-shift deletion, so
 * that millions of malloc/free pairs leave no tombstones to probe past. */
struct addrmap {
	struct slot *s;
	size_t cap, used;
};

static size_t addr_hash(uint64_t a, size_t cap)
{
	return (size_t)(((a >> 4) * 0x9E3779B97F4A7C15ull) >> 17) & (cap - 1);
}

/* The slot holding addr, or (insert) the empty slot where it goes, or NULL. */
static struct slot *map_find(struct addrmap *m, uint64_t addr, int insert)
{
	for (size_t k = addr_hash(addr, m->cap);; k = (k + 1) & (m->cap - 1)) {
		struct slot *s = &m->s[k];
		if (!s->row1)
			return insert ? s : NULL;
		if (s->addr == addr)
			return s;
	}
}

static void map_remove(struct addrmap *m, struct slot *hole)
{
	size_t mask = m->cap - 1, i = (size_t)(hole - m->s);
	for (size_t j = (i + 1) & mask; m->s[j].row1; j = (j + 1) & mask) {
		size_t home = addr_hash(m->s[j].addr, m->cap);
		if (((j - home) & mask) >= ((j - i) & mask)) {
			m->s[i] = m->s[j];
			i = j;
		}
	}
	m->s[i].row1 = 0;
	m->used--;
}

/* A map for live_max blocks.  Zeroed memory is an empty map, so a large
 * one costs only the pages its blocks land on. */
static int map_init(struct addrmap *m, size_t live_max)
{
	m->cap = 1024;
	while (m->cap < live_max * 2 + 16)
		m->cap *= 2;
	m->used = 0;
	m->s = calloc(m->cap, sizeof(*m->s));
	/* a big heap's map is probed at random: huge pages spare a TLB miss
	 * on most probes */
	if (m->s)
		advise_huge(m->s, m->cap * sizeof(*m->s));
	return m->s ? 0 : -1;
}

/* Whether the inserts may take row r early: it is early_lead rows
 * behind the newest (load_rows.h). */
static int row_is_old(const struct loader *l, uint32_t r)
{
	return l->n_rows - r > l->pub->early_lead;
}

/* The entry of row r if the inserts took it early: then its row and
 * event may be gone with their pages. */
static const struct load_early *early_row(const struct loader *l, uint32_t r)
{
	return row_is_old(l, r) ? load_rows_early(l->pub, r) : NULL;
}

static uint64_t slot_size(const struct loader *l, const struct slot *s)
{
	if (s->size != SLOT_BIG_SIZE)
		return s->size;
	const struct load_early *e = early_row(l, s->row1 - 1);
	return e ? e->size : l->evs[l->rows[s->row1 - 1].ev].size;
}

/* Per-stack, per-function and per-size totals, so that reports read a
 * few thousand rows instead of every allocation. */
struct stack_total {
	uint64_t allocs, bytes, temp, temp_bytes, leaked, leaked_bytes, peak_blocks, peak_bytes;
};

struct totals {
	const struct loader *l;
	uint64_t peak_seq;
	struct stack_total *t; /* by stack table index, cap of them */
	size_t cap;
	uint64_t fn_calls[256], fn_bytes[256], hist[65];
	int failed;
};

static unsigned size_bucket(uint64_t size)
{
	return size ? 64 - (unsigned)__builtin_clzll(size) : 0;
}

/*
 * Fused, the rows go away behind the inserts (prefault_reuse), so the
 * totals are kept while the pairing makes and ends the rows instead of
 * summed from them afterwards (sum_totals).  A stack's live blocks are
 * counted in its `leaked`, which is what they are once the pairing is
 * done; at each new peak of the heap, the stacks whose live blocks
 * changed since the last one copy them into their peak figures.
 */
struct running {
	struct totals *x;
	uint32_t *changed;  /* stacks changed since the last peak */
	uint8_t *is_changed;
	size_t n_changed;
};

/* Makes room for stack index k; -1 when out of memory. */
static int running_room(struct running *rt, uint32_t k)
{
	struct totals *x = rt->x;
	if (k < x->cap)
		return 0;
	size_t cap = x->cap ? x->cap : 1024;
	while (cap <= k)
		cap *= 2;
	struct stack_total *t = realloc(x->t, cap * sizeof(*t));
	if (t)
		x->t = t;
	uint32_t *c = t ? realloc(rt->changed, cap * sizeof(*c)) : NULL;
	if (c)
		rt->changed = c;
	uint8_t *m = c ? realloc(rt->is_changed, cap) : NULL;
	if (!m)
		return -1;
	rt->is_changed = m;
	memset(x->t + x->cap, 0, (cap - x->cap) * sizeof(*x->t));
	memset(m + x->cap, 0, cap - x->cap);
	x->cap = cap;
	return 0;
}

static void running_changed(struct running *rt, uint32_t k)
{
	if (!rt->is_changed[k]) {
		rt->is_changed[k] = 1;
		rt->changed[rt->n_changed++] = k;
	}
}

static int running_alloc(struct running *rt, uint32_t k, uint64_t size, unsigned fn)
{
	if (running_room(rt, k))
		return -1;
	struct totals *x = rt->x;
	struct stack_total *t = &x->t[k];
	t->allocs++;
	t->bytes += size;
	t->leaked++;
	t->leaked_bytes += size;
	x->fn_calls[fn]++;
	x->fn_bytes[fn] += size;
	x->hist[size_bucket(size)]++;
	running_changed(rt, k);
	return 0;
}

static void running_end(struct running *rt, uint32_t k, uint64_t size, int temporary)
{
	struct stack_total *t = &rt->x->t[k];
	t->leaked--;
	t->leaked_bytes -= size;
	if (temporary) {
		t->temp++;
		t->temp_bytes += size;
	}
	running_changed(rt, k);
}

/* The heap is at a new peak: the live blocks of each stack are its peak. */
static void running_peak(struct running *rt)
{
	for (size_t i = 0; i < rt->n_changed; i++) {
		uint32_t k = rt->changed[i];
		struct stack_total *t = &rt->x->t[k];
		t->peak_blocks = t->leaked;
		t->peak_bytes = t->leaked_bytes;
		rt->is_changed[k] = 0;
	}
	rt->n_changed = 0;
}

/* Row r, of size bytes, ended at event f (order position seq): a free on
 * thread f->tid, or an exec, which ends it on the allocation's own thread.
 * rt: the running totals (fused), or NULL. */
static void close_row(struct loader *l, struct running *rt, uint32_t r, uint32_t f, uint32_t seq,
		      uint64_t size)
{
	const struct load_ev *fe = &l->evs[f];
	int old = row_is_old(l, r);
	const struct load_early *early = old ? load_rows_early(l->pub, r) : NULL;
	/* an early row's page may be gone: moved to where rows fill now */
	int gone = early && l->reusing && (size_t)r * sizeof(*l->rows) < l->ru_rows.front;
	struct load_row *x = gone ? NULL : &l->rows[r];
	uint32_t free_tid = fe->kind != EV_EXEC ? fe->tid : early ? early->tid : l->evs[x->ev].tid;
	/* its thread's latest allocation is r: so r is that thread's too */
	int temporary = fe->kind != EV_EXEC && l->threads[fe->tid].last_alloc == (int64_t)r;
	if (rt)
		running_end(rt, early ? early->stack : x->stack, size, temporary);
	int late = early != NULL;
	if (x) {
		x->free_time = fe->time;
		x->free_tid = free_tid;
		x->temporary = temporary;
		if (old) /* the inserts may take it this moment */
			late = load_row_ended_old(x, seq) || late;
		else
			load_row_ended(x, seq); /* last: the row is final now */
	}
	if (late) { /* in the table as live: set its free at the end */
		if (grow((void **)&l->late, &l->cap_late, l->n_late + 1, sizeof(*l->late))) {
			l->late_failed = 1;
			return;
		}
		l->late[l->n_late++] = (struct late_free){ fe->time, r, seq, free_tid, temporary };
	}
}

struct tl_point {
	uint64_t time, seq, bytes, blocks;
};

static int put_meta(sqlite3 *db, const char *key, sqlite3_int64 v, const char *text, int is_null)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO meta VALUES(?, ?)", -1, &s, NULL))
		return -1;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	if (is_null)
		sqlite3_bind_null(s, 2);
	else if (text)
		sqlite3_bind_text(s, 2, text, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_int64(s, 2, v);
	int rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

#define META_I(k, v) put_meta(l->db, k, (sqlite3_int64)(v), NULL, 0)
#define META_T(k, v) put_meta(l->db, k, 0, v, 0)

/* Timeline bucket of time t: [lo, hi) is the range of times in bucket b,
 * so that consecutive events (nearly always in the same bucket) skip the
 * division. */
struct bucket {
	uint64_t duration, lo, hi;
	size_t b;
};

static size_t bucket_of(struct bucket *k, uint64_t t)
{
	if (t >= k->lo && t < k->hi)
		return k->b;
	const uint64_t n = TIMELINE_POINTS - 1;
	unsigned __int128 x = (unsigned __int128)t * n / k->duration;
	k->b = x >= n ? n : (size_t)x;
	/* times whose bucket is b: ceil(b*D/n) <= t < ceil((b+1)*D/n) */
	k->lo = (uint64_t)(((unsigned __int128)k->b * k->duration + n - 1) / n);
	k->hi = k->b >= n ? UINT64_MAX
			  : (uint64_t)(((unsigned __int128)(k->b + 1) * k->duration + n - 1) / n);
	return k->b;
}

struct heap_figures {
	uint64_t peak_bytes, peak_blocks, peak_time, peak_seq;
	struct tl_point *tl; /* TIMELINE_POINTS of them */
	size_t n_tl;
};

/* Live bytes and blocks after each paired event, in order: the exact
 * peak and the timeline (the highest point of each time bucket). */
struct heap_walk {
	uint64_t live, blocks;
	struct bucket bk;
	struct heap_figures *h;
};

static void heap_begin(struct heap_walk *w, struct heap_figures *h, uint64_t duration)
{
	*w = (struct heap_walk){ .bk = { .duration = duration ? duration : 1 }, .h = h };
	h->peak_bytes = h->peak_blocks = h->peak_time = h->peak_seq = 0;
	h->n_tl = 0;
}

/* The heap as it is after the event at order position seq, at time t. */
static inline void heap_point(struct heap_walk *w, uint64_t t, uint64_t seq)
{
	struct heap_figures *h = w->h;
	size_t b = bucket_of(&w->bk, t);
	if (h->n_tl <= b) { /* buckets are visited in order */
		while (h->n_tl <= b)
			h->tl[h->n_tl++] = (struct tl_point){ t, seq, w->live, w->blocks };
	} else if (w->live >= h->tl[b].bytes) {
		h->tl[b] = (struct tl_point){ t, seq, w->live, w->blocks };
	}
}

static inline void heap_alloc(struct heap_walk *w, uint64_t size, uint64_t t, uint64_t seq)
{
	w->live += size;
	w->blocks++;
	if (w->live > w->h->peak_bytes) {
		w->h->peak_bytes = w->live;
		w->h->peak_blocks = w->blocks;
		w->h->peak_time = t;
		w->h->peak_seq = seq;
	}
	heap_point(w, t, seq);
}

/* A block gone: freed (then a point follows), or closed by an
 * allocation at its address (its free was lost). */
static inline void heap_gone(struct heap_walk *w, uint64_t size)
{
	w->live -= size;
	w->blocks--;
}

static inline void heap_exec(struct heap_walk *w, uint64_t t, uint64_t seq)
{
	w->live = w->blocks = 0;
	heap_point(w, t, seq);
}

#define PREFETCH_AHEAD 8

/* The pairing's state between calls of pair_upto: it may run a chunk at a
 * time while the trace is still being read. */
struct pairing {
	struct addrmap m;
	uint32_t next;          /* order position of the next event to pair */
	/* allocations that closed a block whose free was lost, with its size:
	 * in order, for the live-heap pass */
	struct closed { uint32_t seq; uint64_t size; } *closed;
	size_t n_closed, cap_closed;
	struct heap_walk *walk; /* fused (loader.fused): the live heap, walked here */
	struct running *run;    /* fused: the totals, kept here */
	uint64_t image;         /* exec markers passed */
};

static int pair_begin(struct pairing *p)
{
	memset(p, 0, sizeof(*p));
	return map_init(&p->m, 1 << 16);
}

static void pair_end(struct pairing *p)
{
	free(p->m.s);
	free(p->closed);
}

/* The map is half full: its blocks move to a table 4 times the size. */
static int map_grow(struct addrmap *m)
{
	struct addrmap bigger;
	if (map_init(&bigger, m->cap))
		return -1;
	for (size_t k = 0; k < m->cap; k++) {
		/* every move is a cache miss on a big heap: start the one a
		 * few slots on */
		if (k + PREFETCH_AHEAD < m->cap)
			__builtin_prefetch(&bigger.s[addr_hash(m->s[k + PREFETCH_AHEAD].addr, bigger.cap)]);
		if (m->s[k].row1)
			*map_find(&bigger, m->s[k].addr, 1) = m->s[k];
	}
	free(m->s);
	bigger.used = m->used;
	*m = bigger;
	return 0;
}

/* ---- heap errors (load_errors.h) ---- */

/* A release by call (enum load_call) of a block made by family: the wrong
 * one?  realloc and free release the malloc family. */
#define LOAD_MISMATCH(family, call) \
	((call) == LOAD_CALL_REALLOC ? (family) != LOAD_FAM_C : (family) != (call))

/* The stack table index of live row r's allocation. */
static uint32_t row_stack(const struct loader *l, uint32_t r)
{
	const struct load_early *x = early_row(l, r);
	return x ? x->stack : l->rows[r].stack;
}

/* Free event e of live row r (its slot s) by the wrong family. */
static __attribute__((noinline)) int mismatch(struct loader *l, const struct load_ev *e,
					      const struct slot *s, uint32_t r, uint32_t alloc_stack,
					      unsigned call)
{
	const struct load_early *x = early_row(l, r);
	struct load_error err = { .kind = LOAD_ERR_MISMATCH, .call = (uint8_t)call, .addr = e->addr,
				  .time = e->time, .size = e->size, .tid = l->threads[e->tid].tid,
				  .stack = e->stack, .has_alloc = 1, .alloc_family = (uint8_t)s->family,
				  .alloc_stack = alloc_stack,
				  .alloc_fn = x ? 0 : (uint8_t)l->evs[l->rows[r].ev].fn };
	return load_errors_add(&l->errs, &err);
}

/* Free event e matched no live block: s is the address's freed slot, or
 * NULL.  A second release is an error; a first of an address never seen
 * only when the recorder could not have missed its allocation. */
static __attribute__((noinline)) int unknown_free(struct loader *l, const struct pairing *p,
						  const struct load_ev *e, const struct slot *s)
{
	unsigned call = e->realloc ? LOAD_CALL_REALLOC : LOAD_FREE_FAMILY(e->fn);
	struct load_error err = { .call = (uint8_t)call, .addr = e->addr, .time = e->time,
				  .tid = l->threads[e->tid].tid, .stack = e->stack };
	if (s) {
		const struct load_freed *f = load_freed_get(&l->errs, s->row1);
		err.kind = e->realloc ? LOAD_ERR_REALLOC_FREED : LOAD_ERR_DOUBLE_FREE;
		err.size = f->size;
		err.has_alloc = 1;
		err.alloc_family = f->alloc_family;
		err.alloc_stack = f->alloc_stack;
		err.has_free = 1;
		err.free_call = f->call;
		err.free_time = f->time;
		err.free_tid = l->threads[f->thread].tid;
		err.free_stack = f->stack;
	} else {
		if (!load_errors_unknown_is_error(&l->errs, p->image, e->addr))
			return 0;
		err.kind = LOAD_ERR_INVALID_FREE;
	}
	return load_errors_add(&l->errs, &err);
}

/*
 * Pairs the ordered events (order NULL: file order) from p->next up to
 * index n into rows.  A free's event is given the size of the block it
 * ended (size, with fn = 1; fn = 0: it matched none), so that the
 * live-heap pass after needs no map; fused, the pairing walks the live
 * heap itself.  An event's order position is its index plus the frees
 * dropped before it (fused; none otherwise).  Fused, the rows made are
 * published by the caller, once their events have their final indexes.
 */
static int pair_upto(struct loader *l, struct pairing *p, const uint32_t *order, uint32_t n)
{
	struct addrmap *m = &p->m;
	struct heap_walk *w = p->walk;
	const uint32_t shift = (uint32_t)l->dropped;
	for (uint32_t ix = p->next; ix < n; ix++) {
		uint32_t ei = order ? order[ix] : ix, i = ix + shift;
		struct load_ev *e = &l->evs[ei];
		/* a big heap makes every map probe a cache miss: start the one
		 * a few events ahead now */
		if (ix + PREFETCH_AHEAD < n) {
			uint32_t ahead = order ? order[ix + PREFETCH_AHEAD] : ix + PREFETCH_AHEAD;
			__builtin_prefetch(&m->s[addr_hash(l->evs[ahead].addr, m->cap)]);
		}
		struct load_thread *t = &l->threads[e->tid];
		if (e->kind == EV_EXEC) { /* every live block is gone */
			for (size_t k = 0; k < m->cap; k++)
				if (m->s[k].row1) {
					uint32_t r = m->s[k].row1 - 1;
					if (!m->s[k].freed)
						close_row(l, p->run, r, ei, i, slot_size(l, &m->s[k]));
					m->s[k].row1 = 0;
				}
			m->used = 0;
			load_freed_clear(&l->errs);
			p->image++;
			if (w)
				heap_exec(w, e->time, i);
		} else if (e->kind == EV_FREE) {
			struct slot *s = map_find(m, e->addr, 0);
			if (e->realloc)
				t->realloc_row = s && !s->freed ? s->row1 : 0;
			if (!s || s->freed) {
				l->unmatched++;
				if (unknown_free(l, p, e, s))
					return -1;
				continue;
			}
			uint32_t r = s->row1 - 1;
			e->size = slot_size(l, s);
			unsigned call = e->realloc ? LOAD_CALL_REALLOC : LOAD_FREE_FAMILY(e->fn);
			uint32_t alloc_stack = row_stack(l, r);
			if (LOAD_MISMATCH(s->family, call) && mismatch(l, e, s, r, alloc_stack, call))
				return -1;
			close_row(l, p->run, r, ei, i, e->size);
			e->fn |= LOAD_FREE_MATCHED;
			/* the address stays, freed, until it is allocated again:
			 * a second release then finds what the first one did */
			struct load_freed f = { .time = e->time, .size = e->size, .thread = e->tid,
						.alloc_stack = alloc_stack, .stack = e->stack,
						.alloc_family = (uint8_t)s->family, .call = (uint8_t)call };
			uint32_t id = load_freed_put(&l->errs, &f);
			if (id) {
				s->row1 = id;
				s->freed = 1;
			} else {
				map_remove(m, s);
			}
			if (w) {
				heap_gone(w, e->size);
				heap_point(w, e->time, i);
			}
		} else {
			/* l->rows has room for every allocation event (and must
			 * not move: the rows are read as they are made) */
			if ((m->used + 1) * 2 > m->cap && map_grow(m))
				return -1;
			struct slot *s = map_find(m, e->addr, 1);
			if (s->row1 && s->freed) { /* the address is a block again */
				load_freed_drop(&l->errs, s->row1);
				s->row1 = 0;
				s->freed = 0;
				m->used--;
			} else if (s->row1) { /* its free was lost: close the old block */
				l->conflicts++;
				uint64_t gone = slot_size(l, s);
				close_row(l, p->run, s->row1 - 1, ei, i, gone);
				if (grow((void **)&p->closed, &p->cap_closed, p->n_closed + 1, sizeof(*p->closed)))
					return -1;
				p->closed[p->n_closed++] = (struct closed){ i, gone };
				m->used--;
				if (w)
					heap_gone(w, gone);
			}
			int64_t id = (int64_t)l->n_rows++;
			size_t upto = (size_t)(id + 1) * sizeof(*l->rows);
			if (l->reusing && prefault_reuse_due(&l->ru_rows, upto))
				prefault_reuse(&l->ru_rows, upto, drained_rows(l) * sizeof(*l->rows));
			if (p->run && running_alloc(p->run, e->stack, e->size, e->fn))
				return -1;
			l->rows[id] = (struct load_row){ .ev = ei, .free_seq = NO_EV, .alloc_seq = i,
						    .realloc_from = e->realloc ? t->realloc_row : 0,
						    .stack = e->stack };
			/* published in batches: the insert thread reads the
			 * count's cache line, which every store takes away */
			if (!(l->n_rows & 255) && !w) {
				load_rows_made(l->pub, l->n_rows);
				if (!(l->n_rows & 0xffff)) /* unstreamed: the helper */
					prefault_used(l->pf, l->pf_rows, l->n_rows * sizeof(*l->rows));
			}
			t->realloc_row = 0;
			s->addr = e->addr;
			s->row1 = (uint32_t)id + 1;
			s->size = e->size < SLOT_BIG_SIZE ? (uint32_t)e->size : SLOT_BIG_SIZE;
			s->family = load_fn_family(e->fn) & 3u;
			s->freed = 0; /* an empty slot's may be stale */
			m->used++;
			t->last_alloc = id;
			t->allocs++;
			t->bytes += e->size;
			if (w) {
				heap_alloc(w, e->size, e->time, i);
				/* a new peak; or the first event, where the peak
				 * stays until one is higher (sum_totals's reading
				 * of peak_seq 0) */
				if (p->run && w->h->peak_seq == i)
					running_peak(p->run);
			}
		}
		if (e->kind != EV_EXEC && e->time > t->end)
			t->end = e->time;
	}
	if (!w)
		load_rows_made(l->pub, l->n_rows);
	p->next = n;
	return 0;
}

/* The live heap after the pairing: a second, sequential pass, so that the
 * pairing needs no trace duration and can run while the trace is still
 * being read. */
static void live_heap(const struct loader *l, const uint32_t *order, const struct pairing *p,
		      struct heap_figures *h)
{
	struct heap_walk w;
	heap_begin(&w, h, l->end_time);
	size_t c = 0;
	for (uint32_t i = 0; i < l->n_evs; i++) {
		const struct load_ev *e = &l->evs[order ? order[i] : i];
		if (e->kind == EV_EXEC) {
			heap_exec(&w, e->time, i);
		} else if (e->kind == EV_FREE) {
			if (!(e->fn & LOAD_FREE_MATCHED))
				continue; /* matched no block */
			heap_gone(&w, e->size);
			heap_point(&w, e->time, i);
		} else {
			if (c < p->n_closed && p->closed[c].seq == i)
				heap_gone(&w, p->closed[c++].size);
			heap_alloc(&w, e->size, e->time, i);
		}
	}
}

/* Sums the rows into x; only reads the loader, so it runs on a thread of
 * its own while the rows go into the database. */
static void *sum_totals(void *arg)
{
	struct totals *x = arg;
	const struct loader *l = x->l;
	uint64_t peak_seq = x->peak_seq;
	size_t cap = l->n_stacks;
	struct stack_total *t = calloc(cap ? cap : 1, sizeof(*t));
	uint64_t *fn_calls = x->fn_calls, *fn_bytes = x->fn_bytes, *hist = x->hist;
	x->failed = !t;
	if (!t)
		return NULL;
	for (size_t i = 0; i < l->n_rows; i++) {
		const struct load_row *r = &l->rows[i];
		const struct load_ev *a = &l->evs[r->ev];
		struct stack_total *st = &t[a->stack];
		int freed = load_row_freed(r);
		st->allocs++;
		st->bytes += a->size;
		if (r->temporary) {
			st->temp++;
			st->temp_bytes += a->size;
		}
		if (!freed) {
			st->leaked++;
			st->leaked_bytes += a->size;
		}
		if (r->alloc_seq <= peak_seq && (!freed || r->free_seq > peak_seq)) {
			st->peak_blocks++;
			st->peak_bytes += a->size;
		}
		fn_calls[a->fn]++;
		fn_bytes[a->fn] += a->size;
		hist[size_bucket(a->size)]++;
	}
	x->t = t;
	x->cap = cap;
	return NULL;
}

/* Writes what sum_totals found; the caller frees x->t. */
static int write_totals(struct loader *l, struct totals *x)
{
	if (x->failed)
		return cz_error("out of memory");
	struct stack_total *t = x->t;
	size_t cap = x->cap;
	const uint64_t *fn_calls = x->fn_calls, *fn_bytes = x->fn_bytes, *hist = x->hist;
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(l->db, "INSERT INTO stack_totals VALUES(?,?,?,?,?,?,?,?,?)", -1, &s, NULL);
	for (size_t k = 0; rc == SQLITE_OK && k < cap; k++) {
		if (!t[k].allocs)
			continue;
		uint64_t v[] = { l->stacks[k], t[k].allocs, t[k].bytes, t[k].temp, t[k].temp_bytes,
				 t[k].leaked, t[k].leaked_bytes, t[k].peak_blocks, t[k].peak_bytes };
		for (int c = 0; c < 9; c++)
			sqlite3_bind_int64(s, c + 1, (sqlite3_int64)v[c]);
		sqlite3_step(s);
		sqlite3_reset(s);
	}
	sqlite3_finalize(s);
	sqlite3_prepare_v2(l->db, "INSERT INTO fn_totals VALUES(?,?,?)", -1, &s, NULL);
	for (int f = 0; f < 256; f++) {
		if (!fn_calls[f])
			continue;
		sqlite3_bind_text(s, 1, load_fn_name((unsigned)f), -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, (sqlite3_int64)fn_calls[f]);
		sqlite3_bind_int64(s, 3, (sqlite3_int64)fn_bytes[f]);
		sqlite3_step(s);
		sqlite3_reset(s);
	}
	sqlite3_finalize(s);
	sqlite3_prepare_v2(l->db, "INSERT INTO size_histogram VALUES(?,?,?)", -1, &s, NULL);
	for (int b = 0; b < 65; b++) {
		if (!hist[b])
			continue;
		uint64_t from = b ? (uint64_t)1 << (b - 1) : 0;
		uint64_t to = b == 0 ? 0 : b == 64 ? UINT64_MAX : ((uint64_t)1 << b) - 1;
		sqlite3_bind_int64(s, 1, (sqlite3_int64)from);
		sqlite3_bind_int64(s, 2, (sqlite3_int64)to);
		sqlite3_bind_int64(s, 3, (sqlite3_int64)hist[b]);
		sqlite3_step(s);
		sqlite3_reset(s);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_OK ? 0 : cz_error("database: %s", sqlite3_errmsg(l->db));
}

static int prepare(struct loader *l)
{
	return sqlite3_prepare_v2(l->db, "INSERT OR REPLACE INTO stack_nodes VALUES(?,?,?,NULL)", -1,
				  &l->ins_node, NULL) ||
	       sqlite3_prepare_v2(l->db, "INSERT OR REPLACE INTO frames VALUES(?,?,?,?,?,?)", -1,
				  &l->ins_frame, NULL) ||
	       sqlite3_prepare_v2(l->db, "INSERT OR REPLACE INTO modules VALUES(?,?,?,?,?,?,?,NULL)", -1,
				  &l->ins_module, NULL) ||
	       sqlite3_prepare_v2(l->db, "UPDATE modules SET unload_time = ? WHERE id = ?", -1,
				  &l->unload_module, NULL);
}

static void loader_release(struct loader *l)
{
	prefault_stop(l->pf);
	sqlite3_finalize(l->ins_node);
	sqlite3_finalize(l->ins_frame);
	sqlite3_finalize(l->ins_module);
	sqlite3_finalize(l->unload_module);
	for (size_t i = 0; i < l->cap_strs; i++)
		free(l->strs[i]);
	free(l->strs);
	free_arrays(l);
	merge_free(&l->merge);
	free(l->late);
	free(l->early);
	free(l->threads);
	idmap_clear(&l->thread_ids);
	free(l->stacks);
	idmap_clear(&l->stack_ids);
	cz_loader_free(l->cz);
	sym_resolver_free(l->sym);
	free(l->image_exe);
	free(l->image_cmdline);
	free(l->deferred_nodes);
	for (size_t i = 0; i < l->n_deferred_modules; i++)
		free((void *)l->deferred_modules[i].r.str);
	free(l->deferred_modules);
	load_errors_release(&l->errs);
}

int tracedb_path(const char *trace_path, char *buf, size_t cap)
{
	int n = snprintf(buf, cap, "%s.db", trace_path);
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* With `czprof load --times`: how long each step of the load took. */
static void phase(struct loader *l, const char *what)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	double now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	if (l->verbose > 1 && l->phase_start)
		fprintf(stderr, "czprof:   %-8s %6.2f s\n", what, now - l->phase_start);
	l->phase_start = now;
}

/* Where reading the trace stands between calls of decode. */
struct decoding {
	uint64_t n_records;
	const char *cut_reason; /* the trace is cut or damaged here */
	int failed;             /* out of memory, or the stream must restart */
	unsigned held_type;     /* the type of that chunk */
	int held;               /* the stream stopped at a chunk it read but did
				 * not decode */
};

/* Fused, rows that far ahead of the inserts are enough (16 MiB of rows) */
#define LEAD_ROWS (512u << 10)

/*
 * Fused and reusing: pages come from behind the inserts, so they are
 * reused only while the pairing stays near them.  Where SQLite is the
 * slower side (realloc), the pairing would run ahead by hundreds of MiB
 * of fresh pages and gain nothing by it: it waits for the inserts to come
 * within LEAD_ROWS, as long as they are moving.  They may be waiting for
 * a row only this thread can end (a long-lived block): then it goes on,
 * and waits again only once they have moved.
 */
static void keep_close(struct loader *l)
{
	size_t d = drained_rows(l);
	if (d == l->stuck_at)
		return;
	for (unsigned still = 0; l->n_rows - d > LEAD_ROWS; d = drained_rows(l)) {
		if (d != l->stuck_at) {
			l->stuck_at = d;
			still = 0;
		} else if (++still == 50) { /* 5 ms: several thousand rows' time */
			return;
		}
		struct timespec ts = { 0, 100000 };
		nanosleep(&ts, NULL);
	}
	l->stuck_at = SIZE_MAX;
}

/* Tells the page helper where the arrays stand after a chunk. */
static void arrays_filled(struct loader *l)
{
	prefault_used(l->pf, l->pf_evs, l->n_evs * sizeof(*l->evs));
	prefault_used(l->pf, l->pf_rows, l->n_rows * sizeof(*l->rows));
}

/* Streaming: the chunk just read added events first.. to the file order;
 * pairs them once they are known to be in the global order. */
static int stream_pair(struct loader *l, struct pairing *p, size_t first)
{
	if (l->restart)
		return -1;
	if (!l->merging && !in_order_from(l, first))
		return stream_restart(l, "events out of order");
	size_t row = l->n_rows;
	if (pair_upto(l, p, NULL, (uint32_t)l->n_evs))
		return -1;
	if (!l->fused || first == l->n_evs) {
		arrays_filled(l);
		return 0;
	}
	/* the chunk's frees are paired and walked: drop them, moving its
	 * other events down, and its new rows with them, before the rows
	 * are published (the inserts read their events) */
	l->last_ev = l->evs[l->n_evs - 1];
	l->has_last_ev = 1;
	size_t to = first;
	for (size_t k = first; k < l->n_evs; k++) {
		if (l->evs[k].kind == EV_FREE)
			continue;
		if (l->evs[k].kind == EV_ALLOC) { /* each made the next row */
			if (row >= l->n_rows || l->rows[row].ev != k)
				return stream_restart(l, "rows out of step");
			l->rows[row++].ev = (uint32_t)to;
		}
		l->evs[to++] = l->evs[k];
	}
	l->dropped += l->n_evs - to;
	l->n_evs = to;
	p->next = (uint32_t)to;
	load_rows_made(l->pub, l->n_rows);
	arrays_filled(l);
	if (l->reusing)
		keep_close(l);
	return 0;
}

/*
 * Merging, an event is handed to the pairing once it is older than the
 * newest one read by MERGE_LAG_NS: by then the recorder has handed every
 * thread's older events over (within 1.5 flush periods of 100 ms, written
 * by the next pass of its writer, every half period or sooner), unless
 * its threads wait long for a core.  Where events have come later than
 * half that behind the newest, the merge waits twice as long as the
 * latest did.  Events that come later anyway make the load start again
 * without streaming.
 */
#define MERGE_LAG_NS (200u * 1000000u)

static int merge_sink_ev(void *l, const struct load_ev *e)
{
	return store_ev(l, e);
}

/* Merging: pairs the events that can no longer be preceded by one still
 * to come; at the stream's end (all), every one left. */
static int merge_pair(struct loader *l, struct pairing *p, int all)
{
	size_t first = l->n_evs;
	uint64_t newest = l->merge.newest, lag = l->merge_lag;
	if (lag < 2 * l->merge.latest)
		lag = 2 * l->merge.latest;
	if (!all && newest < lag)
		return 0;
	if (merge_out(&l->merge, newest - lag, all, merge_sink_ev, l))
		return -1;
	int rc = stream_pair(l, p, first);
	if (all)
		l->merging = 0; /* what follows the stream (symbols) is not merged */
	return rc;
}

/* A stream's events are all read (the symbols come next, or the trace
 * ends): the merge hands the last of them out. */
static void stream_end(struct loader *l, struct decoding *d, struct pairing *p)
{
	if (p && l->merging && merge_pair(l, p, 1))
		d->failed = 1;
}

/* Reads records up to the end of the trace or to a damaged chunk.  With p
 * (streaming), pairs each chunk's events as it goes and stops before the
 * first SYMBOLS or FOOTER chunk: their records need the database, which
 * is busy with the rows until the stream ends. */
static void decode(struct loader *l, struct czt_reader *r, struct decoding *d, struct pairing *p)
{
	struct czt_chunk c = { 0 };
	struct czt_record rec;
	int rc = CZT_OK;
	for (;;) {
		if (!d->held) {
			if ((rc = czt_reader_next_chunk(r, &c)) != CZT_OK)
				break;
			if (p && (c.type == CZT_CHUNK_SYMBOLS || c.type == CZT_CHUNK_FOOTER)) {
				d->held = 1;
				d->held_type = c.type;
				stream_end(l, d, p);
				return;
			}
		} else {
			c.type = d->held_type;
		}
		d->held = 0;
		l->in_footer = c.type == CZT_CHUNK_FOOTER;
		l->has_footer |= l->in_footer;
		l->chunks++;
		size_t first = l->n_evs;
		l->chunk_first = first;
		while ((rc = czt_reader_next_record(r, &rec)) == CZT_OK) {
			d->n_records++;
			if (rec.time > l->end_time && rec.type < CZT_REC_STACK_NODE)
				l->end_time = rec.time;
			if (on_record(l, &rec)) {
				d->failed = 1;
				return;
			}
		}
		if (p && (l->merging ? merge_pair(l, p, 0) : stream_pair(l, p, first))) {
			d->failed = 1;
			return;
		}
		if (!p)
			arrays_filled(l);
		if (rc != CZT_EOF) {
			d->cut_reason = czt_errstr(rc);
			stream_end(l, d, p);
			return;
		}
	}
	if (rc != CZT_EOF)
		d->cut_reason = czt_errstr(rc);
	stream_end(l, d, p);
}

/* The pairing, the live-heap pass and the totals, on a thread of their
 * own while the rows go into SQLite; streaming (r set), the reading of
 * the trace's events too. */
struct pair_job {
	struct loader *l;
	struct czt_reader *r;
	struct decoding *d;
	const uint32_t *order;
	struct heap_figures heap;
	struct totals tot;
	int rc;
};

static void *pair_thread(void *arg)
{
	struct pair_job *j = arg;
	struct loader *l = j->l;
	struct pairing p;
	struct heap_walk walk;
	struct running run = { .x = &j->tot };
	j->rc = pair_begin(&p);
	if (!j->rc && l->fused) {
		heap_begin(&walk, &j->heap, l->fused_end);
		p.walk = &walk;
		p.run = &run;
	}
	if (!j->rc && j->r) {
		decode(l, j->r, j->d, &p);
		j->rc = j->d->failed ? -1 : 0;
	}
	/* the footer's duration cut the timeline: it must be the trace's */
	if (!j->rc && l->fused && l->end_time != l->fused_end)
		j->rc = stream_restart(l, "the footer tells another duration");
	if (!j->rc)
		j->rc = pair_upto(l, &p, j->order, (uint32_t)l->n_evs);
	if (j->rc) { /* the rows are not wanted any more */
		load_rows_stop(l->pub);
	} else {
		load_rows_made(l->pub, l->n_rows);
		load_rows_done(l->pub);
		if (!l->fused) { /* fused, the totals were kept as it went */
			live_heap(l, j->order, &p, &j->heap);
			j->tot.peak_seq = j->heap.peak_seq;
			sum_totals(&j->tot);
		}
	}
	free(run.changed);
	free(run.is_changed);
	pair_end(&p);
	return NULL;
}

#define LOAD_RESTART 1

/* Rows that may go into the table before their free is known: the
 * long-lived blocks a program makes as it starts do not hold the rest
 * back, and their UPDATEs at the end cost milliseconds.  More cost more
 * than they save: leaky's survivors of its table's cut (a tenth of 2 M
 * rows) went in early 4612 times before the inserts had to wait anyway,
 * which made its load 0.1 s slower; without a bound, 18 K went in and
 * the load was no faster. */
#define EARLY_ROWS 1024

static int late_by_row(const void *a, const void *b)
{
	const struct late_free *x = a, *y = b;
	return x->row < y->row ? -1 : x->row > y->row;
}

/* The frees of rows that went in early.  Returns 0, or -1 after reporting
 * the database error. */
static int set_late_frees(struct loader *l)
{
	if (!l->n_late)
		return 0;
	/* in row order: the table's pages are then visited once each, front
	 * to back (18 K frees of leaky's: 0.23 s in the pairing's order,
	 * 0.08 s sorted) */
	qsort(l->late, l->n_late, sizeof(*l->late), late_by_row);
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(l->db, "UPDATE allocations SET free_time = ?, free_seq = ?, free_tid = ?,"
				      " temporary = ? WHERE id = ?", -1, &s, NULL) != SQLITE_OK)
		return cz_error("database: %s", sqlite3_errmsg(l->db));
	int rc = SQLITE_DONE;
	for (size_t i = 0; i < l->n_late && rc == SQLITE_DONE; i++) {
		const struct late_free *f = &l->late[i];
		sqlite3_bind_int64(s, 1, (sqlite3_int64)f->time);
		sqlite3_bind_int64(s, 2, f->seq);
		sqlite3_bind_int64(s, 3, (sqlite3_int64)l->threads[f->tid].tid);
		sqlite3_bind_int(s, 4, f->temporary);
		sqlite3_bind_int64(s, 5, (sqlite3_int64)f->row + 1);
		rc = sqlite3_step(s);
		sqlite3_reset(s);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : cz_error("database: %s", sqlite3_errmsg(l->db));
}

/* Fills the database; -1 after reporting an error, LOAD_RESTART when a
 * streamed load must start again without streaming (see tracedb_load). */
static int fill(struct loader *l, struct czt_reader *r, const char *trace_path,
		const struct stat *st)
{
	phase(l, "start");
	const struct czt_header *hdr = czt_reader_header(r);
	l->image_flags = hdr->major > 3 || (hdr->major == 3 && hdr->minor >= 4);
	struct decoding d = { 0 };
	uint32_t *order = NULL;
	/* a big trace's arrays: a helper maps their pages while they fill,
	 * on the core left idle by the reading (unstreamed, every event is
	 * read first) or by inserts waiting for long-lived blocks; the
	 * unstreamed rows are watched once they are made, after the reading */
	if (l->cap_evs >= PREFAULT_MIN_EVENTS) {
		l->pf = prefault_start();
		l->pf_evs = prefault_watch(l->pf, l->evs, l->cap_evs * sizeof(*l->evs));
		l->pf_rows = l->streaming ? prefault_watch(l->pf, l->rows, l->cap_rows * sizeof(*l->rows)) : -1;
		arrays_filled(l);
		if (l->verbose > 1 && l->pf)
			fprintf(stderr, "czprof:   a helper maps the arrays' pages ahead\n");
	}
	if (!l->streaming) {
		decode(l, r, &d, NULL);
		if (d.failed)
			return cz_error("out of memory loading '%s'", trace_path);
		/* the global order, merged from the threads' own (already
		 * ordered) runs */
		phase(l, "decode");
		if (l->n_evs >= UINT32_MAX)
			return cz_error("'%s': more than %u events", trace_path, UINT32_MAX - 1);
		if (!in_order_from(l, 0) && !(order = event_order(l)))
			return cz_error("out of memory loading '%s'", trace_path);
		phase(l, "order");
		/* streaming sized the rows for the whole trace beforehand */
		if (grow((void **)&l->rows, &l->cap_rows, l->n_alloc_evs + 1, sizeof(*l->rows))) {
			free(order);
			return cz_error("out of memory loading '%s'", trace_path);
		}
		prefault_release(l->pf, l->pf_evs); /* read from now on */
		l->pf_evs = -1;
		l->pf_rows = prefault_watch(l->pf, l->rows, l->cap_rows * sizeof(*l->rows));
		prefault_used(l->pf, l->pf_rows, 0);
	}
	/* without room, rows simply wait for their frees */
	l->early = malloc(EARLY_ROWS * sizeof(*l->early));
	struct load_rows src = { .evs = l->evs, .stacks = l->stacks, .rows = l->rows, .threads = l->threads,
				 .early = l->early, .early_cap = l->early ? EARLY_ROWS : 0,
				 .early_lead = env_size("CZPROF_LOAD_EARLY_LEAD", LOAD_EARLY_LEAD) };
	struct pair_job job = { .l = l, .r = l->streaming ? r : NULL, .d = &d, .order = order,
				.tot = { .l = l } };
	job.heap.tl = calloc(TIMELINE_POINTS, sizeof(*job.heap.tl));
	if (!job.heap.tl) {
		free(order);
		return cz_error("out of memory loading '%s'", trace_path);
	}
	l->pub = &src;
	/* fused, the rows and events the inserts have passed are read no
	 * more: their pages take the place of fresh ones */
	if (l->fused && l->mapped) {
		l->reusing = 1;
		prefault_reuse_init(&l->ru_evs, l->evs, stream_span(l->cap_evs * sizeof(*l->evs)),
				    l->n_evs * sizeof(*l->evs), l->pf, &l->pf_evs);
		prefault_reuse_init(&l->ru_rows, l->rows, stream_span(l->cap_rows * sizeof(*l->rows)),
				    l->n_rows * sizeof(*l->rows), l->pf, &l->pf_rows);
	}
	/* small: only the blocks never freed, which leaks reads; made before
	 * the rows go in, it costs a few entries instead of reading the whole
	 * table back */
	int failed = exec_sql(l->db, "CREATE INDEX allocations_leaked ON allocations(stack)"
				     " WHERE free_time IS NULL;");
	/* pairing (then the totals) on another thread, the rows going into
	 * SQLite here as they are made */
	pthread_t pairer;
	int threaded = pthread_create(&pairer, NULL, pair_thread, &job) == 0;
	if (!threaded && l->streaming) {
		free(job.heap.tl);
		return stream_restart(l, "no thread"), LOAD_RESTART;
	}
	if (!threaded)
		pair_thread(&job);
	failed = failed || load_rows_insert(l->db, &src);
	if (threaded)
		pthread_join(pairer, NULL);
	prefault_stop(l->pf);
	l->pf = NULL;
	free(order);
	struct tl_point *tl = job.heap.tl;
	size_t n_tl = job.heap.n_tl;
	uint64_t pb = job.heap.peak_bytes, pk = job.heap.peak_blocks, pt = job.heap.peak_time,
		 ps = job.heap.peak_seq;
	if (l->restart || job.rc) {
		free(tl);
		free(job.tot.t);
		return l->restart ? LOAD_RESTART : cz_error("out of memory loading '%s'", trace_path);
	}
	if (l->streaming) {
		/* the rest of the trace (symbols, footer) goes straight into the
		 * database, now free; it must add no events and not move the
		 * end the timeline was cut by */
		l->streaming = 0;
		put_deferred(l);
		size_t n_evs = l->n_evs;
		uint64_t end = l->end_time;
		if (!d.cut_reason)
			decode(l, r, &d, NULL);
		if (!d.failed && (l->n_evs != n_evs || l->end_time != end)) {
			stream_restart(l, "events after the symbols");
			d.failed = 1;
		}
		if (d.failed) {
			free(tl);
			free(job.tot.t);
			return l->restart ? LOAD_RESTART : cz_error("out of memory loading '%s'", trace_path);
		}
	}
	phase(l, "rows");
	if (l->late_failed || set_late_frees(l)) {
		free(tl);
		free(job.tot.t);
		return l->late_failed ? cz_error("out of memory loading '%s'", trace_path) : -1;
	}
	if (l->n_late)
		phase(l, "late");
	if (l->verbose > 1 && l->fused)
		fprintf(stderr, "czprof:   %zu frees dropped once paired (the footer told the duration)\n",
			l->dropped);
	if (l->verbose > 1 && src.n_early)
		fprintf(stderr, "czprof:   %zu long-lived rows went in before their end, %zu ended later\n",
			src.n_early, l->n_late);
	if (l->verbose > 1 && l->reusing)
		fprintf(stderr, "czprof:   %zu MiB of pages reused behind the inserts\n",
			(l->ru_evs.moved + l->ru_rows.moved) >> 20);
	uint64_t cut_at = czt_reader_offset(r);
	if (d.cut_reason)
		cz_warning("'%s': trace cut at byte %" PRIu64 " (%s), loaded %zu events", trace_path,
			   cut_at, d.cut_reason, events_read(l));
	failed = failed || write_totals(l, &job.tot);
	/* the run's totals are the sums of the per-stack and per-function ones */
	uint64_t leaked = 0, leaked_blocks = 0, total = 0;
	for (size_t k = 0; k < job.tot.cap; k++) {
		leaked += job.tot.t[k].leaked_bytes;
		leaked_blocks += job.tot.t[k].leaked;
	}
	for (int f = 0; f < 256; f++)
		total += job.tot.fn_bytes[f];
	free(job.tot.t);
	phase(l, "totals");
	if (failed) {
		free(tl);
		return -1;
	}
	sqlite3_stmt *s;
	sqlite3_prepare_v2(l->db, "INSERT INTO timeline VALUES(?,?,?,?)", -1, &s, NULL);
	for (size_t i = 0; i < n_tl; i++) {
		sqlite3_bind_int64(s, 1, (sqlite3_int64)tl[i].time);
		sqlite3_bind_int64(s, 2, (sqlite3_int64)tl[i].seq);
		sqlite3_bind_int64(s, 3, (sqlite3_int64)tl[i].bytes);
		sqlite3_bind_int64(s, 4, (sqlite3_int64)tl[i].blocks);
		sqlite3_step(s);
		sqlite3_reset(s);
	}
	sqlite3_finalize(s);
	free(tl);
	sqlite3_prepare_v2(l->db, "INSERT OR REPLACE INTO threads VALUES(?,?,?,?,?)", -1, &s, NULL);
	for (size_t i = 0; i < l->n_threads; i++) {
		struct load_thread *t = &l->threads[i];
		sqlite3_bind_int64(s, 1, (sqlite3_int64)t->tid);
		sqlite3_bind_int64(s, 2, (sqlite3_int64)t->start);
		sqlite3_bind_int64(s, 3, (sqlite3_int64)t->end);
		sqlite3_bind_int64(s, 4, (sqlite3_int64)t->allocs);
		sqlite3_bind_int64(s, 5, (sqlite3_int64)t->bytes);
		sqlite3_step(s);
		sqlite3_reset(s);
	}
	sqlite3_finalize(s);

	const struct czt_header *h = czt_reader_header(r);
	/* the NULs between arguments, and newlines or ESC in them, become
	 * spaces: every report prints it on one line */
	char *cmd = czt_printable_dup(h->cmdline, h->cmdline_len, CZT_PRINT_SPACE);
	char *exe = czt_printable_dup(h->exe, h->exe_len, CZT_PRINT_ESCAPE);
	/* after an exec the trace is the last image's: it is named, and the
	 * first kept (reports say "A, then exec'd B") */
	META_I("execs", l->image);
	if (l->image && l->image_cmdline) {
		if (cmd)
			META_T("first_cmdline", cmd);
		META_T("cmdline", l->image_cmdline);
		META_T("exe", l->image_exe);
	} else {
		put_meta(l->db, "first_cmdline", 0, NULL, 1);
		if (cmd)
			META_T("cmdline", cmd);
		if (exe)
			META_T("exe", exe);
	}
	free(cmd);
	free(exe);
	META_T("trace_path", trace_path);
	META_T("trace_key", l->trace_key);
	META_I("trace_size", st->st_size);
	META_I("trace_mtime_ns", (uint64_t)st->st_mtim.tv_sec * 1000000000u + (uint64_t)st->st_mtim.tv_nsec);
	META_I("pid", h->pid);
	META_I("ppid", h->ppid);
	META_I("start_realtime_ns", h->start_realtime_ns);
	META_I("duration_ns", l->end_time);
	/* attached: the window is [start_realtime_ns, + duration_ns], its
	 * unmatched frees the blocks allocated before it (reports say so) */
	META_I("attached", l->attached);
	if (l->end_how == CZT_END_EXIT || l->end_how == CZT_END_SIGNAL || l->end_how == CZT_END_DETACH) {
		META_T("end_how", l->end_how == CZT_END_EXIT ? "exit" :
				  l->end_how == CZT_END_SIGNAL ? "signal" : "detach");
		META_I("end_value", l->end_value);
	} else {
		put_meta(l->db, "end_how", 0, NULL, 1);
		put_meta(l->db, "end_value", 0, NULL, 1);
	}
	if (d.cut_reason) {
		META_I("truncated_at", cut_at);
		META_T("cut_reason", d.cut_reason);
	} else {
		put_meta(l->db, "truncated_at", 0, NULL, 1);
		put_meta(l->db, "cut_reason", 0, NULL, 1);
	}
	/* complete: every event of the run is in the trace.  Not so when it
	 * is cut, when events were lost, when it has no footer (czprof record
	 * did not finish it: it or the program was killed, or the program
	 * still runs), or when the program was killed by a signal the
	 * recorder never saw (SIGKILL): its last buffers were not written.
	 * Reports say why from these keys (report_warnings). */
	int killed_unseen = l->end_how == CZT_END_SIGNAL && !l->recorder_end;
	META_I("has_footer", l->has_footer);
	META_I("recorder_end", l->recorder_end);
	META_I("complete", !d.cut_reason && !l->lost && l->has_footer && !killed_unseen);
	META_I("events", events_read(l));
	META_I("allocations", l->n_rows);
	META_I("frees", l->n_free_evs);
	META_I("unmatched_frees", l->unmatched);
	META_I("address_conflicts", l->conflicts);
	META_I("failed_allocs", l->failed);
	META_I("lost_events", l->lost);
	if (l->lost) { /* what and why, for the reports' warning */
		char text[256];
		META_T("lost_text", cz_lost_text(text, sizeof(text), l->lost, l->lost_why, l->lost_err));
	} else {
		put_meta(l->db, "lost_text", 0, NULL, 1);
	}
	META_I("cz_events", l->cz_events);
	META_I("peak_bytes", pb);
	META_I("peak_blocks", pk);
	META_I("peak_time", pt);
	META_I("peak_seq", ps);
	META_I("total_bytes", total);
	META_I("leaked_bytes", leaked);
	META_I("leaked_blocks", leaked_blocks);
	META_I("format_version", h->major);
	if (load_errors_write(l->db, &l->errs, l->stacks, l->n_stacks, load_fn_name, l->lost))
		return -1;
	/* no symbol table (the recording was killed before czprof record
	 * wrote it): the modules on this machine name the addresses */
	unsigned long from_disk = 0;
	if (!l->n_frame_recs && l->sym && load_symbols_from_disk(l->db, l->sym, &from_disk))
		return -1;
	META_T("symbols", l->n_frame_recs ? "trace" : from_disk ? "disk" : "none");
	META_I("symbol_mismatches", l->sym ? sym_build_id_mismatches(l->sym) : 0);
	phase(l, "symbols");
	int cz_rc = cz_loader_end(l->cz, l->end_time);
	l->cz = NULL;
	if (cz_rc)
		return -1;
	phase(l, "tables");
	/* depth of every stack node, for users' SQL */
	if (exec_sql(l->db,
		     /* a crafted trace may hold a node that is its own parent, or a
		      * cycle: the walk stops at the recorder's deepest stack */
		     "WITH RECURSIVE d(id, depth) AS (SELECT id, 1 FROM stack_nodes WHERE parent = 0 AND id != 0"
		     " UNION ALL SELECT n.id, d.depth + 1 FROM stack_nodes n JOIN d ON n.parent = d.id"
		     " WHERE n.id != n.parent AND d.depth < 256)"
		     " UPDATE stack_nodes SET depth = (SELECT depth FROM d WHERE d.id = stack_nodes.id);"
		     "CREATE INDEX stack_nodes_parent ON stack_nodes(parent);"))
		return -1;
	phase(l, "index");
	if (l->verbose)
		fprintf(stderr, "czprof: loaded %zu events, %zu allocations from '%s'\n", events_read(l),
			l->n_rows, trace_path);
	return (events_read(l) == 0 && d.cut_reason && d.n_records == 0) ? cz_error("'%s': nothing to load", trace_path) : 0;
}

/* Creates the empty file the database is written to. */
static int create_tmp(const char *tmp)
{
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return cz_error("cannot create '%s': %s", tmp, strerror(errno));
	close(fd);
	return 0;
}

/*
 * Sizes the arrays for streaming: once they are read from while being
 * filled they must never move.  Every event takes 3 bytes of the trace
 * at least (type, time step, address; a realloc's two parts 7), so raw/3
 * bounds events, rows and stacks.  Only address space is taken: pages
 * are touched as they fill.  Returns 0, or -1 when streaming is out of
 * the question (the arrays are then left for the plain load to size).
 */
static int size_for_stream(struct loader *l, uint64_t raw, const struct stat *st)
{
	uint64_t bound = raw / 3 + 16;
	if (raw > (uint64_t)st->st_size * 16 || bound >= UINT32_MAX)
		return -1;
	size_t n = (size_t)bound;
	l->evs = stream_array(n * sizeof(*l->evs));
	l->rows = stream_array(n * sizeof(*l->rows));
	l->cap_evs = l->cap_rows = n;
	l->mapped = 1;
	if (!l->evs || !l->rows || grow((void **)&l->stacks, &l->cap_stacks, n, sizeof(*l->stacks)) ||
	    grow((void **)&l->threads, &l->cap_threads, 1, sizeof(*l->threads))) {
		free_arrays(l);
		free(l->stacks), free(l->threads);
		l->stacks = NULL, l->threads = NULL;
		l->cap_stacks = l->cap_threads = 0;
		return -1;
	}
	return 0;
}

/* How a load reads the trace: all of it first; streamed (one thread); or
 * streamed, merging the threads' events as they come. */
enum load_mode { LOAD_PLAIN, LOAD_STREAMED, LOAD_MERGED };

/* tracedb_name_frames: whether a trace without a symbol table has its
 * frames named from the modules on disk */
static int name_frames = 1;

void tracedb_name_frames(int on)
{
	name_frames = on;
}

/* One load of trace_path into the empty file tmp, streamed as mode says
 * when the trace allows.  Returns 0, -1 after reporting an error,
 * or LOAD_RESTART (*why says why) when the stream had to stop. */
static int load_into(const char *trace_path, const char *tmp, const struct stat *st, int verbose,
		     enum load_mode mode, const char **why)
{
	struct czt_reader *r;
	int rc = czt_reader_open(&r, trace_path);
	if (rc)
		return cz_error("'%s': %s", trace_path, rc == CZT_ERR_IO ? strerror(errno) : czt_errstr(rc));
	struct loader l = { .tmp_path = tmp, .verbose = verbose };
	int ret = -1;
	/* taken before reading: a trace changed meanwhile is loaded again */
	if (tracedb_key(trace_path, l.trace_key)) {
		czt_reader_free(r);
		return cz_error("'%s': %s", trace_path, strerror(errno));
	}
	uint64_t raw = czt_reader_raw_bytes(r);
	l.streaming = mode != LOAD_PLAIN && !size_for_stream(&l, raw, st);
	l.merging = l.streaming && mode == LOAD_MERGED;
	l.merge_lag = env_size("CZPROF_LOAD_MERGE_LAG_MS", MERGE_LAG_NS / 1000000u) * 1000000u;
	/* a finished trace tells its duration in its footer: then the
	 * pairing can walk the live heap itself and drop the frees.  Not
	 * after a fatal signal: the recorder's own end record, later than
	 * the footer's, sets the duration then. */
	struct czt_footer foot;
	if (l.streaming && czt_reader_footer(r, &foot) == CZT_OK && foot.has_end &&
	    foot.end_how == CZT_END_EXIT && !getenv("CZPROF_LOAD_KEEP_FREES")) {
		l.fused = 1;
		l.fused_end = foot.end_time;
	}
	/* not streaming: an event takes 5-10 bytes before compression, so
	 * size the array once instead of doubling (and copying) it all the
	 * way up.  A crafted trace claiming far more than its chunks could
	 * hold only gets the plain estimate. */
	if (raw > (uint64_t)st->st_size * 16)
		raw = (uint64_t)st->st_size;
	if (!l.streaming && grow((void **)&l.evs, &l.cap_evs, (size_t)(raw / 6) + 1024, sizeof(*l.evs)) &&
	    grow((void **)&l.evs, &l.cap_evs, (size_t)st->st_size / 6 + 1024, sizeof(*l.evs))) {
		cz_error("out of memory loading '%s'", trace_path);
		goto out;
	}
	if (sqlite3_open_v2(tmp, &l.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		cz_error("cannot open '%s': %s", tmp, sqlite3_errmsg(l.db));
		goto out;
	}
	char pragma[64];
	snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d;", TRACEDB_SCHEMA_VERSION);
	if (exec_sql(l.db, LOAD_PRAGMAS " BEGIN;") ||
	    exec_sql(l.db, schema) || exec_sql(l.db, pragma))
		goto out;
	if (cz_loader_begin(&l.cz, l.db)) {
		cz_error("database: %s", sqlite3_errmsg(l.db));
		goto out;
	}
	if (!name_frames || sym_resolver_new(&l.sym))
		l.sym = NULL; /* then no symbols from the modules, that is all */
	if (prepare(&l)) {
		cz_error("database: %s", sqlite3_errmsg(l.db));
		goto out;
	}
	ret = fill(&l, r, trace_path, st);
	if (ret == 0)
		ret = load_kinds(l.db, trace_path);
	if (ret == 0 && exec_sql(l.db, "COMMIT;"))
		ret = -1;
	*why = l.restart_why;
out:
	loader_release(&l);
	czt_reader_free(r);
	if (l.db)
		sqlite3_close(l.db);
	return ret;
}

int tracedb_load(const char *trace_path, const char *db_path, int verbose)
{
	struct stat st;
	if (stat(trace_path, &st))
		return cz_error("'%s': %s", trace_path, strerror(errno));
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof(tmp), "%s.tmp%d", db_path, (int)getpid());
	if (create_tmp(tmp))
		return -1;
	/* first streamed: events paired and inserted while the trace is
	 * read.  A second thread makes it start again merging the threads'
	 * events; a trace neither can take (events out of order, a thread's
	 * chunk far behind the others) is loaded again the plain way. */
	const char *why = NULL, *env = getenv("CZPROF_LOAD_STREAM"); /* 0: never, 1: not merged (tests) */
	int ret = load_into(trace_path, tmp, &st, verbose, env && !strcmp(env, "0") ? LOAD_PLAIN : LOAD_STREAMED,
			    &why);
	if (ret == LOAD_RESTART && why == why_threads && !(env && !strcmp(env, "1"))) {
		if (verbose > 1)
			fprintf(stderr, "czprof:   %s: loading again, merging the threads' events\n", why);
		unlink(tmp);
		ret = create_tmp(tmp) ? -1 : load_into(trace_path, tmp, &st, verbose, LOAD_MERGED, &why);
	}
	if (ret == LOAD_RESTART) {
		if (verbose > 1)
			fprintf(stderr, "czprof:   %s: loading again without streaming\n", why);
		unlink(tmp);
		ret = create_tmp(tmp) ? -1 : load_into(trace_path, tmp, &st, verbose, 0, &why);
	}
	if (ret == 0 && rename(tmp, db_path)) {
		cz_error("cannot write '%s': %s", db_path, strerror(errno));
		ret = -1;
	}
	if (ret)
		unlink(tmp);
	return ret;
}
