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
#include "cli/load_kinds.h"
#include "cli/load_symbols.h"
#include "cli/progress.h"
#include "cli/tracedb.h"
#include "cli/util.h"
#include "format/czt.h"
#include "format/printable.h"
#include "lib/analysis/engine.h"
#include "lib/analysis/idmap.h"
#include "symbols/sym.h"

struct loader {
	sqlite3 *db;
	struct an_engine en;
	int image_flags;  /* IMAGE records carry flags (format 3.4 on) */
	int attached;     /* recorded by `czprof record -p` (3.5): a window of a running process */
	/* strings of the symbol table, by id (ids are dense from 1) */
	char **strs;
	size_t cap_strs;
	/* the program the last exec started (an IMAGE record; before 3.2 the
	 * first module of its map): printable, owned */
	char *image_exe, *image_cmdline;
	int image_unnamed; /* an exec's image not named yet */
	uint64_t cz_events, lost, lost_why, lost_err;
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
	struct cz_loader *cz; /* writes the engine's allocators (load_cz.c) */
	char trace_key[TRACEDB_KEY_LEN]; /* the trace's content as it was read (tracedb_key) */
	int verbose;           /* tracedb_load's */
	double phase_start;
};

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

/* Creates the empty file the database is written to. */
static int create_tmp(const char *tmp)
{
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return cz_error("cannot create '%s': %s", tmp, strerror(errno));
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

#define META_I(k, v) tracedb_put_meta(l->db, k, (sqlite3_int64)(v), NULL)
#define META_T(k, v) tracedb_put_meta(l->db, k, 0, v)
#define META_NULL(k) tracedb_put_meta_null(l->db, k)

static const char *string_of(struct loader *l, uint64_t id)
{
	return id && id < l->cap_strs ? l->strs[id] : NULL;
}

/* The records the database holds as they come; the engine takes the
 * events (an_engine_record). */
static int on_record(struct loader *l, const struct czt_record *r)
{
	uint64_t img = l->en.image << AN_IMAGE_SHIFT;
	switch (r->type) {
	case CZT_REC_STACK_NODE:
		put_stack_node(l, r->id + img, r->parent ? r->parent + img : 0, r->ip);
		return 0;
	case CZT_REC_STRING:
		if (cz_loader_record(l->cz, r))
			return -1;
		if (r->id >= 1 && r->id < (1u << 24)) { /* symbol-table strings */
			if (array_reserve((void **)&l->strs, &l->cap_strs, r->id, sizeof(char *)))
				return -1;
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
		if (l->image_flags && (r->value & CZT_IMAGE_ATTACHED))
			l->attached = 1;
		return name_image(l, r->str, r->str_len, r->cmdline, r->cmdline_len);
	case CZT_REC_MODULE_LOAD: case CZT_REC_MODULE_UNLOAD:
		/* a trace before 3.2: its main program is the image's first module */
		if (r->type == CZT_REC_MODULE_LOAD && l->image_unnamed &&
		    name_image(l, r->str, r->str_len, r->str, r->str_len))
			return -1;
		put_module(l, r, img);
		return 0;
	case CZT_REC_PROCESS_END:
		if (r->how == CZT_END_EXEC) {
			l->image_unnamed = 1;
			return cz_loader_record(l->cz, r);
		}
		l->end_how = (int)r->how;
		l->end_value = r->value;
		if (!l->in_footer)
			l->recorder_end = 1;
		return 0;
	case CZT_REC_LOST:
		l->lost += r->value;
		if (r->why) {
			l->lost_why = r->why;
			l->lost_err = r->err;
		}
		return 0;
	default:
		/* the engine takes them; cz_loader_ended writes their blocks */
		if (r->type >= CZT_REC_CZ_ALLOC && r->type <= CZT_REC_CZ_CAPACITY)
			l->cz_events++;
		return 0;
	}
}

/* Where reading the trace stopped. */
struct decoding {
	uint64_t n_records;
	const char *cut_reason; /* the trace is cut or damaged here */
	int rc;                 /* -1 out of memory, AN_LATE, or 0 */
};

/* Reads every record up to the end of the trace or to a damaged chunk. */
static void decode(struct loader *l, struct czt_reader *r, struct decoding *d)
{
	struct czt_chunk c = { 0 };
	struct czt_record rec;
	int rc;
	while ((rc = czt_reader_next_chunk(r, &c)) == CZT_OK) {
		l->in_footer = c.type == CZT_CHUNK_FOOTER;
		l->has_footer |= l->in_footer;
		an_engine_chunk(&l->en);
		while ((rc = czt_reader_next_record(r, &rec)) == CZT_OK) {
			d->n_records++;
			if ((d->rc = on_record(l, &rec)) || (d->rc = an_engine_record(&l->en, &rec, l->image_flags)))
				return;
		}
		load_progress(czt_reader_offset(r), czt_reader_size(r));
		if ((d->rc = an_engine_chunk_end(&l->en)))
			return;
		if (rc != CZT_EOF)
			break;
	}
	if (rc != CZT_EOF)
		d->cut_reason = czt_errstr(rc);
	d->rc = an_engine_finish(&l->en);
}

static int write_totals(struct loader *l)
{
	const struct an_engine *en = &l->en;
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(l->db, "INSERT INTO stack_totals VALUES(?,?,?,?,?,?,?,?,?)", -1, &s, NULL))
		return -1;
	for (size_t k = 0; k < en->n_stacks; k++) {
		const struct an_stack_total *t = &en->totals[k];
		if (!t->allocs)
			continue;
		uint64_t v[] = { en->stacks[k], t->allocs, t->bytes, t->temp, t->temp_bytes,
				 t->live, t->live_bytes, t->peak_blocks, t->peak_bytes };
		for (int c = 0; c < 9; c++)
			sqlite3_bind_int64(s, c + 1, (sqlite3_int64)v[c]);
		sqlite3_step(s);
		sqlite3_reset(s);
	}
	sqlite3_finalize(s);
	if (sqlite3_prepare_v2(l->db, "INSERT INTO fn_totals VALUES(?,?,?)", -1, &s, NULL))
		return -1;
	for (unsigned f = 0; f < 32; f++) {
		if (!en->fn_calls[f])
			continue;
		sqlite3_bind_text(s, 1, load_fn_name(f), -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, (sqlite3_int64)en->fn_calls[f]);
		sqlite3_bind_int64(s, 3, (sqlite3_int64)en->fn_bytes[f]);
		sqlite3_step(s);
		sqlite3_reset(s);
	}
	sqlite3_finalize(s);
	if (sqlite3_prepare_v2(l->db, "INSERT INTO size_histogram VALUES(?,?,?)", -1, &s, NULL))
		return -1;
	for (int b = 0; b < 65; b++) {
		if (!en->hist[b])
			continue;
		uint64_t from = b ? (uint64_t)1 << (b - 1) : 0;
		uint64_t to = b == 0 ? 0 : b == 64 ? UINT64_MAX : ((uint64_t)1 << b) - 1;
		sqlite3_bind_int64(s, 1, (sqlite3_int64)from);
		sqlite3_bind_int64(s, 2, (sqlite3_int64)to);
		sqlite3_bind_int64(s, 3, (sqlite3_int64)en->hist[b]);
		sqlite3_step(s);
		sqlite3_reset(s);
	}
	sqlite3_finalize(s);
	if (sqlite3_prepare_v2(l->db, "INSERT INTO timeline VALUES(?,?,?,?)", -1, &s, NULL))
		return -1;
	for (size_t i = 0; i < en->n_timeline; i++) {
		const struct an_point *p = &en->timeline[i];
		sqlite3_bind_int64(s, 1, (sqlite3_int64)p->time);
		sqlite3_bind_int64(s, 2, (sqlite3_int64)p->seq);
		sqlite3_bind_int64(s, 3, (sqlite3_int64)p->bytes);
		sqlite3_bind_int64(s, 4, (sqlite3_int64)p->blocks);
		sqlite3_step(s);
		sqlite3_reset(s);
	}
	sqlite3_finalize(s);
	if (sqlite3_prepare_v2(l->db, "INSERT OR REPLACE INTO threads VALUES(?,?,?,?,?)", -1, &s, NULL))
		return -1;
	for (size_t i = 0; i < en->n_threads; i++) {
		const struct an_thread *t = &en->threads[i];
		sqlite3_bind_int64(s, 1, (sqlite3_int64)t->tid);
		sqlite3_bind_int64(s, 2, (sqlite3_int64)t->start);
		sqlite3_bind_int64(s, 3, (sqlite3_int64)t->end);
		sqlite3_bind_int64(s, 4, (sqlite3_int64)t->allocs);
		sqlite3_bind_int64(s, 5, (sqlite3_int64)t->bytes);
		sqlite3_step(s);
		sqlite3_reset(s);
	}
	sqlite3_finalize(s);
	return 0;
}

/* One row of exit_blocks. */
static int put_exit_block(void *ctx, const struct an_block *b)
{
	struct loader *l = ctx;
	sqlite3_stmt *s = l->ins_node; /* the statement of write_exit_blocks */
	const struct an_engine *en = &l->en;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)b->id);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)b->addr);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)b->size);
	sqlite3_bind_text(s, 4, load_fn_name(b->fn), -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)b->time);
	sqlite3_bind_int64(s, 6, (sqlite3_int64)b->seq);
	sqlite3_bind_int64(s, 7, (sqlite3_int64)en->stacks[b->stack]);
	sqlite3_bind_int64(s, 8, (sqlite3_int64)en->threads[b->thread].tid);
	if (b->realloc_from)
		sqlite3_bind_int64(s, 9, (sqlite3_int64)b->realloc_from);
	else
		sqlite3_bind_null(s, 9);
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : 1;
}

static int write_exit_blocks(struct loader *l)
{
	sqlite3_stmt *keep = l->ins_node;
	if (sqlite3_prepare_v2(l->db, "INSERT INTO exit_blocks(id, addr, size, fn, alloc_time, alloc_seq,"
				      " stack, tid, realloc_from, temporary) VALUES(?,?,?,?,?,?,?,?,?,0)",
			       -1, &l->ins_node, NULL)) {
		l->ins_node = keep;
		return -1;
	}
	int rc = an_engine_live(&l->en, put_exit_block, l);
	sqlite3_finalize(l->ins_node);
	l->ins_node = keep;
	return rc ? -1 : 0;
}

static int write_meta(struct loader *l, const struct czt_header *h, const char *trace_path,
		      const struct stat *st, const struct decoding *d, uint64_t cut_at)
{
	const struct an_engine *en = &l->en;
	/* the NULs between arguments, and newlines or ESC in them, become
	 * spaces: every report prints it on one line */
	char *cmd = czt_printable_dup(h->cmdline, h->cmdline_len, CZT_PRINT_SPACE);
	char *exe = czt_printable_dup(h->exe, h->exe_len, CZT_PRINT_ESCAPE);
	/* after an exec the trace is the last image's: it is named, and the
	 * first kept (reports say "A, then exec'd B") */
	META_I("execs", en->image);
	if (en->image && l->image_cmdline) {
		if (cmd)
			META_T("first_cmdline", cmd);
		META_T("cmdline", l->image_cmdline);
		META_T("exe", l->image_exe);
	} else {
		META_NULL("first_cmdline");
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
	META_I("duration_ns", en->end_time);
	/* attached: the window is [start_realtime_ns, + duration_ns], its
	 * unmatched frees the blocks allocated before it (reports say so) */
	META_I("attached", l->attached);
	if (l->end_how == CZT_END_EXIT || l->end_how == CZT_END_SIGNAL || l->end_how == CZT_END_DETACH) {
		META_T("end_how", l->end_how == CZT_END_EXIT ? "exit" :
				  l->end_how == CZT_END_SIGNAL ? "signal" : "detach");
		META_I("end_value", l->end_value);
	} else {
		META_NULL("end_how");
		META_NULL("end_value");
	}
	if (d->cut_reason) {
		META_I("truncated_at", cut_at);
		META_T("cut_reason", d->cut_reason);
	} else {
		META_NULL("truncated_at");
		META_NULL("cut_reason");
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
	META_I("complete", !d->cut_reason && !l->lost && l->has_footer && !killed_unseen);
	META_I("events", en->events);
	META_I("allocations", en->allocs);
	META_I("frees", en->frees);
	META_I("unmatched_frees", en->unmatched);
	META_I("address_conflicts", en->conflicts);
	META_I("failed_allocs", en->failed);
	META_I("lost_events", l->lost);
	if (l->lost) { /* what and why, for the reports' warning */
		char text[256];
		META_T("lost_text", cz_lost_text(text, sizeof(text), l->lost, l->lost_why, l->lost_err));
	} else {
		META_NULL("lost_text");
	}
	META_I("cz_events", l->cz_events);
	META_I("peak_bytes", en->peak_bytes);
	META_I("peak_blocks", en->peak_blocks);
	META_I("peak_time", en->peak_time);
	META_I("peak_seq", en->peak_seq);
	META_I("total_bytes", en->total_bytes);
	META_I("leaked_bytes", en->leaked_bytes);
	META_I("leaked_blocks", en->leaked_blocks);
	META_I("format_version", h->major);
	return 0;
}

/* Fills the database; -1 after reporting an error, AN_LATE when the load
 * must start again with a merge that waits for every event. */
static int fill(struct loader *l, struct czt_reader *r, const char *trace_path, const struct stat *st)
{
	phase(l, "start");
	const struct czt_header *h = czt_reader_header(r);
	l->image_flags = h->major > 3 || (h->major == 3 && h->minor >= 4);
	struct decoding d = { 0 };
	decode(l, r, &d);
	if (d.rc == AN_LATE)
		return AN_LATE;
	if (d.rc == CZ_LOADER_DB_ERROR)
		return cz_error("database: %s", sqlite3_errmsg(l->db));
	if (d.rc)
		return cz_error("out of memory loading '%s'", trace_path);
	phase(l, "events");
	uint64_t cut_at = czt_reader_offset(r);
	if (d.cut_reason)
		cz_warning("'%s': trace cut at byte %" PRIu64 " (%s), loaded %" PRIu64 " events", trace_path,
			   cut_at, d.cut_reason, l->en.events);
	if (write_totals(l) || write_exit_blocks(l) || write_meta(l, h, trace_path, st, &d, cut_at))
		return cz_error("database: %s", sqlite3_errmsg(l->db));
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
	int cz_rc = cz_loader_end(l->cz, &l->en.cz);
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
		     "CREATE INDEX stack_nodes_parent ON stack_nodes(parent);"
		     "CREATE INDEX exit_blocks_stack ON exit_blocks(stack);"))
		return -1;
	phase(l, "index");
	if (l->verbose)
		fprintf(stderr, "czprof: loaded %" PRIu64 " events, %" PRIu64 " allocations from '%s'\n",
			l->en.events, l->en.allocs, trace_path);
	return (l->en.events == 0 && d.cut_reason && d.n_records == 0) ? cz_error("'%s': nothing to load", trace_path)
									 : 0;
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
	sqlite3_finalize(l->ins_node);
	sqlite3_finalize(l->ins_frame);
	sqlite3_finalize(l->ins_module);
	sqlite3_finalize(l->unload_module);
	for (size_t i = 0; i < l->cap_strs; i++)
		free(l->strs[i]);
	free(l->strs);
	an_engine_release(&l->en);
	cz_loader_free(l->cz);
	sym_resolver_free(l->sym);
	free(l->image_exe);
	free(l->image_cmdline);
}

/* The engine's allocator block ended, or an allocator was destroyed: its
 * row (the writer is made after the engine, so the loader is the
 * callbacks' context). */
static int cz_block_ended(void *ctx, const struct an_allocator *a, const struct an_cz_block *b, uint64_t time,
			  unsigned how)
{
	struct loader *l = ctx;
	return cz_loader_ended(l->cz, a, b, time, how);
}

static int cz_allocator_destroyed(void *ctx, const struct an_allocator *a)
{
	struct loader *l = ctx;
	return cz_loader_destroyed(l->cz, a);
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
		return cz_error("'%s': %s", trace_path, rc == CZT_ERR_IO ? strerror(errno) : czt_errstr(rc));
	struct loader l = { .verbose = verbose };
	int ret = -1;
	/* taken before reading: a trace changed meanwhile is loaded again */
	if (tracedb_key(trace_path, l.trace_key)) {
		czt_reader_free(r);
		return cz_error("'%s': %s", trace_path, strerror(errno));
	}
	/* a finished trace tells its duration in its footer: the timeline's
	 * buckets then split it evenly.  Not after a fatal signal: the
	 * recorder's own end record, later than the footer's, sets the
	 * duration then. */
	struct czt_footer foot;
	struct an_options o = { .merge_lag = mode == MERGE_ALL ? AN_LAG_ALL : lag,
				.threads_seen = mode == MERGE_THREADS, .cz_ended = cz_block_ended,
				.cz_destroyed = cz_allocator_destroyed, .ctx = &l };
	if (czt_reader_footer(r, &foot) == CZT_OK && foot.has_end && foot.end_how == CZT_END_EXIT)
		o.duration = foot.end_time;
	if (an_engine_init(&l.en, &o)) {
		czt_reader_free(r);
		return cz_error("out of memory loading '%s'", trace_path);
	}
	if (sqlite3_open_v2(tmp, &l.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
				     (dbpath_is_memory(tmp) ? SQLITE_OPEN_URI : 0), NULL) != SQLITE_OK) {
		cz_error("cannot open '%s': %s", tmp, sqlite3_errmsg(l.db));
		goto out;
	}
	char pragma[64];
	snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d;", TRACEDB_SCHEMA_VERSION);
	if (exec_sql(l.db, LOAD_PRAGMAS " BEGIN;") || exec_sql(l.db, schema) || exec_sql(l.db, pragma))
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
	if (ret == 0 && (tracedb_put_meta(l.db, "merge", 0, merge_names[mode]) ||
			 tracedb_put_meta(l.db, "merge_lag_ns", (sqlite3_int64)lag, NULL)))
		ret = cz_error("database: %s", sqlite3_errmsg(l.db));
	if (ret == 0 && exec_sql(l.db, "COMMIT;"))
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
		return cz_error("'%s': %s", trace_path, strerror(errno));
	char tmp[PATH_MAX];
	int mem = dbpath_is_memory(db_path);
	if (snprintf(tmp, sizeof(tmp), mem ? "%s" : "%s.tmp%d", db_path, (int)getpid()) >= (int)sizeof(tmp))
		return cz_error("'%s': path too long", db_path);
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
		cz_error("cannot write '%s': %s", db_path, strerror(errno));
		ret = -1;
	}
	if (ret && !mem)
		unlink(tmp);
	if (!mem)
		interrupt_disarm();
	return ret;
}
