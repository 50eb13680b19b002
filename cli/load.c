/*
 * load.c - a .czt trace into SQLite (tracedb.h), in one streaming pass.
 *
 * Definitions (stack nodes, modules, strings, symbol frames) go into the
 * database as they are read.  Allocation events go to the analysis engine
 * (lib/analysis/engine.h), which merges the threads, pairs the frees and
 * keeps the figures the reports read; once the trace is read they are
 * written: per-stack, per-function and per-size totals, the timeline,
 * the threads, the heap errors, the blocks live at exit (with their leak
 * kinds), and the meta facts.  No table has a row per allocation: the
 * `allocations` table is virtual (alloc_vtab.h) and runs the engine again
 * when a query reads it.  So a load's memory follows the live heap and
 * the stacks, and the database the sites, not the number of events.
 *
 * An event that comes later than the merge waited (a thread held back
 * longer than the recorder's flush periods) makes the load start again
 * with the merge holding every event until the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/dbpath.h"
#include "cli/interrupt.h"
#include "cli/load_cz.h"
#include "cli/load_errors.h"
#include "cli/load_internal.h"
#include "cli/load_kinds.h"
#include "cli/load_symbols.h"
#include "cli/progress.h"
#include "cli/read_ahead.h"
#include "cli/tracedb.h"
#include "cli/util.h"
#include "format/czt.h"
#include "format/printable.h"
#include "lib/analysis/engine.h"
#include "lib/analysis/feed.h"
#include "lib/analysis/idmap.h"
#include "lib/symbols/sym.h"

/* nothing to recover if a load fails (the file is deleted), so no journal */
#define LOAD_PRAGMAS                                                                           \
	"PRAGMA page_size = 65536; PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;"

/* The blocks live at exit have the columns of `allocations` (alloc_vtab.h),
 * free_* NULL, so that `leaks` is what it was when it read that table. */
#define BLOCK_COLUMNS                                                                          \
	"(id INTEGER PRIMARY KEY, addr INTEGER, size INTEGER, fn TEXT, alloc_time INTEGER,"     \
	" free_time INTEGER, alloc_seq INTEGER, free_seq INTEGER, stack INTEGER, tid INTEGER,"  \
	" free_tid INTEGER, realloc_from INTEGER, temporary INTEGER)"

static const char schema[] =
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value);"
	"CREATE TABLE exit_blocks" BLOCK_COLUMNS ";"
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
	" FROM exit_blocks a LEFT JOIN leak_kinds k ON k.id = a.id;"
	"CREATE VIEW peak_blocks AS SELECT a.* FROM"
	" (SELECT CAST(value AS INTEGER) AS p FROM meta WHERE key = 'peak_seq') m, allocations a"
	" WHERE a.alloc_seq <= m.p AND (a.free_seq IS NULL OR a.free_seq > m.p);"
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

int load_exec_sql(sqlite3 *db, const char *sql)
{
	char *err = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		cli_error("database: %s", err ? err : sqlite3_errmsg(db));
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

/* Creates the empty file the database is written to. */
static int create_tmp(const char *tmp)
{
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return cli_error("cannot create '%s': %s", tmp, strerror(errno));
	close(fd);
	return 0;
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

/* Fills the database; -1 after reporting an error, AN_LATE when the load
 * must start again with a merge that waits for every event. */
static int fill(struct loader *l, struct czt_reader *r, const char *trace_path, const struct stat *st)
{
	phase(l, "start");
	const struct czt_header *h = czt_reader_header(r);
	struct an_feed f;
	an_feed_init(&f, r, load_on_record, l);
	l->image_flags = f.image_flags;
	int rc = 0;
	while (!f.done && !rc) {
		rc = an_feed_chunk(&l->en, &f);
		load_progress(czt_reader_offset(r), czt_reader_size(r));
	}
	if (rc == AN_LATE)
		return AN_LATE;
	if (rc == LOAD_CZ_DB_ERROR)
		return cli_error("database: %s", sqlite3_errmsg(l->db));
	if (rc)
		return cli_error("out of memory loading '%s'", trace_path);
	phase(l, "events");
	uint64_t cut_at = f.end_at;
	const char *cut_reason = f.end_rc != CZT_EOF ? czt_errstr(f.end_rc) : NULL;
	if (cut_reason)
		cli_warning("'%s': trace cut at byte %" PRIu64 " (%s), loaded %" PRIu64 " events", trace_path,
			   cut_at, cut_reason, l->en.events);
	if (load_write_results(l, h, trace_path, st, cut_reason, cut_at))
		return cli_error("database: %s", sqlite3_errmsg(l->db));
	if (load_errors_write(l->db, &l->en.errs, l->en.stacks, l->en.n_stacks, load_fn_name, l->lost))
		return -1;
	phase(l, "totals");
	/* no symbol table (the recording was killed before czprof record
	 * wrote it): the modules on this machine name the addresses */
	unsigned long from_disk = 0;
	if (!l->n_frame_recs && l->sym && load_symbols_from_disk(l->db, l->sym, &from_disk))
		return -1;
	META_T("symbols", l->n_frame_recs ? "trace" : from_disk ? "disk" : "none");
	META_I("symbol_mismatches", l->sym ? sym_build_id_mismatches(l->sym) : 0);
	phase(l, "symbols");
	int czalloc_rc = load_cz_end(l->cz, &l->en.cz);
	l->cz = NULL;
	if (czalloc_rc)
		return -1;
	phase(l, "tables");
	/* depth of every stack node, for users' SQL */
	if (load_exec_sql(l->db,
		     /* a crafted trace may hold a node that is its own parent, or a
		      * cycle: the walk stops at the recorder's deepest stack */
		     "WITH RECURSIVE d(id, depth) AS (SELECT id, 1 FROM stack_nodes WHERE parent = 0 AND id != 0"
		     " UNION ALL SELECT n.id, d.depth + 1 FROM stack_nodes n JOIN d ON n.parent = d.id"
		     " WHERE n.id != n.parent AND d.depth < 256)"
		     " UPDATE stack_nodes SET depth = (SELECT depth FROM d WHERE d.id = stack_nodes.id);"
		     "CREATE INDEX stack_nodes_parent ON stack_nodes(parent);"
		     "CREATE INDEX exit_blocks_stack ON exit_blocks(stack);"))
		return -1;
	phase(l, "index");
	if (l->verbose)
		fprintf(stderr, "czprof: loaded %" PRIu64 " events, %" PRIu64 " allocations from '%s'\n",
			l->en.events, l->en.allocs, trace_path);
	return (l->en.events == 0 && cut_reason && f.n_records == 0) ? cli_error("'%s': nothing to load", trace_path)
								       : 0;
}

static void loader_release(struct loader *l)
{
	load_defs_release(l);
	an_engine_release(&l->en);
	load_cz_free(l->cz);
	sym_resolver_free(l->sym);
}

/* The engine's allocator block ended, or an allocator was destroyed: its
 * row (the writer is made after the engine, so the loader is the
 * callbacks' context). */
static int czalloc_block_ended(void *ctx, const struct an_allocator *a, const struct an_cz_block *b, uint64_t time,
			  unsigned how)
{
	struct loader *l = ctx;
	return load_cz_ended(l->cz, a, b, time, how);
}

static int czalloc_allocator_destroyed(void *ctx, const struct an_allocator *a)
{
	struct loader *l = ctx;
	return load_cz_destroyed(l->cz, a);
}

/* tracedb_name_frames: whether a trace without a symbol table has its
 * frames named from the modules on disk */
static int name_frames = 1;

void tracedb_name_frames(int on)
{
	name_frames = on;
}

/* How the merge waits (engine.h): for the threads seen and the lag, for
 * the lag, or for every event.  The load tries them in turn while an
 * event comes too late; meta `merge` says which one built the database,
 * so that the allocations table (alloc_vtab.c) merges the same way. */
enum merge_mode { MERGE_THREADS, MERGE_LAG, MERGE_ALL };
static const char *const merge_names[] = { "threads", "lag", "all" };

/* One load of trace_path into the empty file tmp.  Returns 0, -1 after
 * reporting an error, or AN_LATE. */
static int load_into(const char *trace_path, const char *tmp, const struct stat *st, int verbose,
		     enum merge_mode mode, uint64_t lag)
{
	struct czt_reader *r;
	int rc = czt_reader_open(&r, trace_path);
	if (rc)
		return cli_error("'%s': %s", trace_path, rc == CZT_ERR_IO ? strerror(errno) : czt_errstr(rc));
	cli_read_ahead(r); /* read once, start to end */
	struct loader l = { .verbose = verbose };
	int ret = -1;
	/* taken before reading: a trace changed meanwhile is loaded again */
	if (tracedb_key(trace_path, l.trace_key)) {
		czt_reader_free(r);
		return cli_error("'%s': %s", trace_path, strerror(errno));
	}
	/* a finished trace tells its duration in its footer: the timeline's
	 * buckets then split it evenly.  Not after a fatal signal: the
	 * recorder's own end record, later than the footer's, sets the
	 * duration then. */
	struct czt_footer foot;
	struct an_options o = { .merge_lag = mode == MERGE_ALL ? AN_LAG_ALL : lag,
				.threads_seen = mode == MERGE_THREADS, .cz_ended = czalloc_block_ended,
				.cz_destroyed = czalloc_allocator_destroyed, .ctx = &l };
	if (czt_reader_footer(r, &foot) == CZT_OK && foot.has_end && foot.end_how == CZT_END_EXIT)
		o.duration = foot.end_time;
	if (an_engine_init(&l.en, &o)) {
		czt_reader_free(r);
		return cli_error("out of memory loading '%s'", trace_path);
	}
	if (sqlite3_open_v2(tmp, &l.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
				     (dbpath_is_memory(tmp) ? SQLITE_OPEN_URI : 0), NULL) != SQLITE_OK) {
		cli_error("cannot open '%s': %s", tmp, sqlite3_errmsg(l.db));
		goto out;
	}
	char pragma[64];
	snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d;", TRACEDB_SCHEMA_VERSION);
	if (load_exec_sql(l.db, LOAD_PRAGMAS " BEGIN;") || load_exec_sql(l.db, schema) || load_exec_sql(l.db, pragma))
		goto out;
	if (load_cz_begin(&l.cz, l.db)) {
		cli_error("database: %s", sqlite3_errmsg(l.db));
		goto out;
	}
	if (!name_frames || sym_resolver_new(&l.sym))
		l.sym = NULL; /* then no symbols from the modules, that is all */
	if (load_defs_prepare(&l)) {
		cli_error("database: %s", sqlite3_errmsg(l.db));
		goto out;
	}
	ret = fill(&l, r, trace_path, st);
	if (ret == 0)
		ret = load_kinds(l.db, trace_path);
	if (ret == 0 && (tracedb_put_meta(l.db, "merge", 0, merge_names[mode]) ||
			 tracedb_put_meta(l.db, "merge_lag_ns", (sqlite3_int64)lag, NULL)))
		ret = cli_error("database: %s", sqlite3_errmsg(l.db));
	if (ret == 0 && load_exec_sql(l.db, "COMMIT;"))
		ret = -1;
out:
	loader_release(&l);
	czt_reader_free(r);
	if (l.db)
		sqlite3_close(l.db);
	return ret;
}

/* The empty database a load writes: a new temporary file (again: in
 * place of the one a load that starts again wrote), or the in-memory
 * database emptied. */
static int fresh_target(const char *tmp, int mem, int again)
{
	if (mem)
		return dbpath_reset_memory(tmp);
	if (again)
		unlink(tmp);
	return create_tmp(tmp);
}

int tracedb_load(const char *trace_path, const char *db_path, int verbose)
{
	struct stat st;
	if (stat(trace_path, &st))
		return cli_error("'%s': %s", trace_path, strerror(errno));
	char tmp[PATH_MAX];
	int mem = dbpath_is_memory(db_path);
	if (snprintf(tmp, sizeof(tmp), mem ? "%s" : "%s.tmp%d", db_path, (int)getpid()) >= (int)sizeof(tmp))
		return cli_error("'%s': path too long", db_path);
	if (fresh_target(tmp, mem, 0))
		return -1;
	/* from here a signal removes what was written, and nothing else */
	if (!mem)
		interrupt_arm(tmp);
	progress_begin(trace_path, verbose < 2);
	/* tests' knobs: the lag, or a merge that waits for all */
	uint64_t lag = env_size("CZPROF_LOAD_MERGE_LAG_MS", AN_MERGE_LAG_NS / 1000000u) * 1000000u;
	enum merge_mode mode = env_size("CZPROF_LOAD_MERGE_ALL", 0) ? MERGE_ALL
			       : getenv("CZPROF_LOAD_MERGE_LAG_MS") ? MERGE_LAG : MERGE_THREADS;
	int ret = load_into(trace_path, tmp, &st, verbose, mode, lag);
	while (ret == AN_LATE && mode != MERGE_ALL) {
		mode++;
		if (verbose > 1)
			fprintf(stderr, "czprof:   a thread's events came too late to merge: loading again, %s\n",
				mode == MERGE_LAG ? "waiting for the recorder's flushes" : "waiting for every event");
		ret = fresh_target(tmp, mem, 1) ? -1 : load_into(trace_path, tmp, &st, verbose, mode, lag);
	}
	progress_end();
	if (!mem && ret == 0 && rename(tmp, db_path)) {
		cli_error("cannot write '%s': %s", db_path, strerror(errno));
		ret = -1;
	}
	if (ret && !mem)
		unlink(tmp);
	if (!mem)
		interrupt_disarm();
	return ret;
}
