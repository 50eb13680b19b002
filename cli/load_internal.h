/*
 * load_internal.h - what the loader's three files share, private to them:
 * load.c drives a load (the database file, the merge's retries, the
 * order of the steps), load_defs.c writes the trace's definitions (stack
 * nodes, modules, symbols, the image's name) as they are read, and
 * load_results.c writes what the analysis engine found once the trace is
 * read (totals, timeline, threads, exit blocks, meta).
 */
#ifndef CZPROF_CLI_LOAD_INTERNAL_H
#define CZPROF_CLI_LOAD_INTERNAL_H

#include <sqlite3.h>
#include <stdint.h>
#include <sys/stat.h>

#include "cli/tracedb.h"
#include "format/czt.h"
#include "lib/analysis/engine.h"

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
	uint64_t lost, lost_why, lost_err;
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
	struct load_cz *cz; /* writes the engine's allocators (load_cz.c) */
	char trace_key[TRACEDB_KEY_LEN]; /* the trace's content as it was read (tracedb_key) */
	int verbose;           /* tracedb_load's */
	double phase_start;
};

#define META_I(k, v) tracedb_put_meta(l->db, k, (sqlite3_int64)(v), NULL)
#define META_T(k, v) tracedb_put_meta(l->db, k, 0, v)
#define META_NULL(k) tracedb_put_meta_null(l->db, k)

/* Runs sql; -1 after reporting SQLite's error. */
int load_exec_sql(sqlite3 *db, const char *sql);

/* load_defs.c: prepares the statements the definitions are written with
 * (0, or SQLite's error); load_defs_release frees them and the strings. */
int load_defs_prepare(struct loader *l);
void load_defs_release(struct loader *l);

/* load_defs.c: one record of chunk c as it is read (an an_record_fn, ctx
 * the loader), before the engine takes it.  0, -1 out of memory, or
 * LOAD_CZ_DB_ERROR. */
int load_on_record(void *ctx, const struct czt_chunk *c, const struct czt_record *r);

/* load_results.c: the engine's figures and the meta facts, once every
 * record is read.  cut_reason: where the trace was cut (at byte cut_at),
 * NULL when it was read to its end.  0, or -1 with SQLite's error. */
int load_write_results(struct loader *l, const struct czt_header *h, const char *trace_path,
		       const struct stat *st, const char *cut_reason, uint64_t cut_at);

#endif
