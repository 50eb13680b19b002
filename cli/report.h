/*
 * report.h - what every report needs: naming frames and call sites from
 * the database, and JSON string output.
 */
#ifndef CZPROF_CLI_REPORT_H
#define CZPROF_CLI_REPORT_H

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>

#define REPORT_NAME_MAX 1024

struct report_frame {
	char name[REPORT_NAME_MAX]; /* "function (file:line)" or "module+0xOFF" */
	char function[512];         /* empty when unknown */
	char file[512];             /* empty when unknown */
	char module[512];           /* module path, empty when unknown */
	int is_allocator;           /* malloc family, operator new, libc internals */
};

struct report_ctx;
struct sym_site_rules;

/* Caller owns the result; frees it with report_ctx_free.  NULL on error
 * (printed). */
struct report_ctx *report_ctx_new(sqlite3 *db);
void report_ctx_free(struct report_ctx *c);

/*
 * Fills frames[0..n) for a stack id, innermost first, inlined frames
 * expanded, at most max.  Returns n.
 */
int report_stack(struct report_ctx *c, uint64_t stack, struct report_frame *frames, int max);

/* The line number in a frame's "function (file:line)" name, 0 without one. */
long report_frame_line(const struct report_frame *f);

/* The call site of a stack (lib/symbols/sym_site.h: the first frame, innermost
 * first, that is not part of the allocator, under the rules of
 * report_site_rules).  Writes its name into buf (REPORT_NAME_MAX). */
void report_site(struct report_ctx *c, uint64_t stack, char *buf);

/* The index of the call site among frames[0..n) that report_stack filled:
 * every report that cuts a stack at its site uses this. */
int report_site_index(const struct report_frame *frames, int n);

/* The process's call-site rules: the patterns of CZPROF_ALLOC_FNS (read on
 * first use) and of every --alloc-fn report_parse has read.  Every
 * report_ctx made afterwards names sites by them.  Owned by report.c (freed
 * at exit); NULL only when memory ran out. */
struct sym_site_rules *report_site_rules(void);

/* Prints s as a JSON string, quoted and escaped. */
void report_json_string(FILE *f, const char *s);

/* Prints "czprof REPORT: CMDLINE (pid N), trace PATH" and, right under
 * it, a "warning: ..." line for each of report_status's warnings. */
void report_header(sqlite3 *db, const char *report, const char *trace);

/*
 * Whether the trace holds the whole run, and what a report must say when
 * it does not (cut, events lost, no footer, killed by a signal), read
 * from the meta keys the loader stores.  Every report reads it from here:
 * text reports through report_header, JSON ones through
 * report_json_status, `--fail` from complete.
 */
#define REPORT_WARNINGS_MAX 5
struct report_status {
	int complete; /* every event of the run is in the trace */
	int n;        /* warnings */
	char warning[REPORT_WARNINGS_MAX][320];
};
void report_status(sqlite3 *db, struct report_status *st);

/* Prints `"complete": true|false, "warnings": [...]` (two members of an
 * object, no comma around them), and for an attached trace a third,
 * `"window": {...}` (report_window): what a JSON report puts right after
 * its "trace" member. */
void report_json_status(FILE *f, sqlite3 *db);

/* The opening of a JSON report: `{"trace": TRACE, ` and report_json_status's
 * members; the caller goes on with `, "its": ...` and closes the object. */
void report_json_open(FILE *f, sqlite3 *db, const char *trace);

/* For a trace of `czprof record -p` (meta `attached`): "recorded from
 * HH:MM:SS to HH:MM:SS, N s, attached: ..." (local time) into buf, and
 * the window's ends (wall clock, ns).  Returns 1, or 0 for a trace of a
 * whole run (buf left empty). */
int report_window(sqlite3 *db, char *buf, size_t cap, uint64_t *start_ns, uint64_t *end_ns);

/*
 * Live bytes over the run in cols equal columns (time 0 to duration): the
 * highest point of the timeline in each column; a column no event fell in
 * carries the level before it, since the heap did not change there.  What
 * `plot`, `peak`'s sparkline and the exports draw.  level: cols entries.
 */
void report_timeline(sqlite3 *db, uint64_t duration, int cols, double *level);

/* A meta value as an integer (0 when missing). */
int64_t report_meta_int(sqlite3 *db, const char *key);

/* ---- options every report shares ---- */

enum {
	REPORT_OPT_JSON = 1,  /* --json */
	REPORT_OPT_LIMIT = 2, /* -n/--limit N */
	REPORT_OPT_DEPTH = 4, /* --depth N, --full-stacks */
	REPORT_OPT_SITES = 8, /* --alloc-fn NAME (repeatable): see report_site_rules */
};

/* The usage line of REPORT_OPT_SITES, for every report that names sites. */
#define REPORT_USAGE_ALLOC_FN \
	"  --alloc-fn NAME        treat function NAME (or a glob: 'x*alloc') as part of\n" \
	"                         the allocator, so sites name its callers; repeatable;\n" \
	"                         CZPROF_ALLOC_FNS=a,b:c adds to them\n"

/* The usage line of --db, which every report takes. */
#define REPORT_USAGE_DB \
	"  --db PATH              the trace's database (default TRACE.db; see 'czprof load')\n"

struct report_opts {
	const char *trace;
	int json, limit, depth, full_stacks;
};

/* A command's own options: returns 1 when it consumed argv[*i] (and may
 * advance *i past a value), 0 when the option is not its, -1 after
 * printing an error. */
typedef int (*report_extra_fn)(void *ctx, int argc, char **argv, int *i);

enum { REPORT_ARGS_OK = 0, REPORT_ARGS_HELP = 1, REPORT_ARGS_ERROR = 2 };

/*
 * Parses "[OPTIONS] TRACE" into o (defaults: limit 20, depth 8).  allowed
 * is a mask of REPORT_OPT_*; extra may be NULL.  Every report takes
 * --db PATH (REPORT_USAGE_DB), handed to dbpath_choose for the trace, so
 * that tracedb_open finds it there.  Prints usage on --help
 * (returns REPORT_ARGS_HELP: exit 0) and one error line on a bad or
 * missing argument (REPORT_ARGS_ERROR: exit 2).
 */
int report_parse(int argc, char **argv, const char *usage, unsigned allowed,
		 report_extra_fn extra, void *ctx, struct report_opts *o);

/* ---- call sites: stacks merged by the name of their call site ---- */

struct site_sum {
	char name[REPORT_NAME_MAX];
	uint64_t count, bytes;
};

struct site_table {
	struct site_sum *v;
	size_t n, cap;
};

/* Adds count and bytes to the site called name.  Returns 0 or -1 (no
 * memory).  Caller owns t->v; frees it with free(). */
int site_table_add(struct site_table *t, const char *name, uint64_t count, uint64_t bytes);

/* Biggest first, by bytes or by count; ties by name. */
void site_table_sort(struct site_table *t, int by_bytes);

/* Prints the first n sites of t as a JSON list, each as {"site": NAME,
 * then "bytes" and the count under count_key in the order the report
 * ranks them (bytes first when by_bytes)}. */
void site_table_json(const struct site_table *t, size_t n, const char *count_key, int by_bytes);

#endif
