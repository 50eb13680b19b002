/*
 * cmd_errors.c - `czprof errors`: the heap errors the loader found
 * (lib/analysis/errors.h, the heap_errors table): frees of addresses never
 * allocated, double frees, reallocs of freed blocks and blocks released
 * by the wrong family, in the order they happened, each with the stack of
 * the bad call, of the allocation and of the first release where known.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/report.h"
#include "cli/tracedb.h"
#include "cli/util.h"

static const char usage[] =
	"usage: czprof errors [OPTIONS] TRACE\n\n"
	"Heap errors, in the order they happened: frees of addresses that were never\n"
	"allocated, double frees, realloc of a freed block, and blocks released by the\n"
	"wrong family (operator new / free, new[] / delete, malloc / delete).  Each with\n"
	"the stack of the bad call, and of the allocation and the first release where\n"
	"known.  Frees and deletes carry stacks when recorded with --free-stacks.\n\n"
	"  --json                 machine-readable output\n"
	"  -n, --limit N          show at most N errors (default 20; 0 = all)\n"
	"  --depth N              frames shown per stack (default 8)\n"
	"  --fail                 exit 1 when there is any error (for CI)\n" REPORT_USAGE_DB;

static const char no_free_stack[] = "stack not recorded (record --free-stacks)";

/* The columns read, in this order. */
enum { C_KIND, C_CALL, C_ADDR, C_SIZE, C_TIME, C_TID, C_STACK, C_ALLOC_FN, C_ALLOC_STACK,
       C_FREE_CALL, C_FREE_TIME, C_FREE_TID, C_FREE_STACK };

static const char query[] =
	"SELECT kind, call, addr, size, time, tid, stack, alloc_fn, alloc_stack, free_call,"
	" free_time, free_tid, free_stack FROM heap_errors ORDER BY time, id";

static const struct {
	const char *kind, *title, *one, *plural;
} kinds[] = {
	{ "invalid-free", "Invalid free", "invalid free", "invalid frees" },
	{ "double-free", "Double free", "double free", "double frees" },
	{ "realloc-freed", "Realloc of a freed block", "realloc of a freed block",
	  "reallocs of a freed block" },
	{ "mismatch", "Mismatched release", "mismatched release", "mismatched releases" },
};
#define N_KINDS (sizeof(kinds) / sizeof(kinds[0]))

static size_t kind_index(const char *kind)
{
	for (size_t k = 0; k < N_KINDS; k++)
		if (!strcmp(kinds[k].kind, kind))
			return k;
	return 0;
}

static const char *col_text(sqlite3_stmt *q, int c)
{
	const unsigned char *t = sqlite3_column_text(q, c);
	return t ? (const char *)t : "";
}

static int col_null(sqlite3_stmt *q, int c)
{
	return sqlite3_column_type(q, c) == SQLITE_NULL;
}

/* A stack, or why there is none (why NULL: nothing is printed). */
static void stack_text(struct report_ctx *c, sqlite3_stmt *q, int col, int depth, const char *why)
{
	if (col_null(q, col)) {
		if (why)
			printf("        %s\n", why);
		return;
	}
	struct report_frame fr[256];
	int n = report_stack(c, (uint64_t)sqlite3_column_int64(q, col), fr, depth < 256 ? depth : 256);
	for (int i = 0; i < n; i++)
		printf("        #%-2d %s\n", i, fr[i].name);
}

static void stack_json(struct report_ctx *c, sqlite3_stmt *q, int col, int depth)
{
	if (col_null(q, col)) {
		printf("null");
		return;
	}
	struct report_frame fr[256];
	int n = report_stack(c, (uint64_t)sqlite3_column_int64(q, col), fr, depth < 256 ? depth : 256);
	printf("[");
	for (int i = 0; i < n; i++) {
		printf(i ? ", " : "");
		report_json_string(stdout, fr[i].name);
	}
	printf("]");
}

/* Why a release has no stack: a free's is recorded only on request, a
 * realloc's always. */
static const char *why_none(const char *call)
{
	return strcmp(call, "realloc") ? no_free_stack : "stack not recorded";
}

static void error_text(struct report_ctx *c, sqlite3_stmt *q, int depth)
{
	const char *kind = col_text(q, C_KIND), *call = col_text(q, C_CALL);
	uint64_t addr = (uint64_t)sqlite3_column_int64(q, C_ADDR);
	char size[32] = "";
	if (!col_null(q, C_SIZE))
		cli_human_size((uint64_t)sqlite3_column_int64(q, C_SIZE), size);
	printf("\n%s: ", kinds[kind_index(kind)].title);
	if (!strcmp(kind, "invalid-free"))
		printf("%s of 0x%" PRIx64 ", which was never allocated\n", call, addr);
	else if (!strcmp(kind, "mismatch"))
		printf("%s of a block made by %s (%s at 0x%" PRIx64 ")\n", call, col_text(q, C_ALLOC_FN),
		       size, addr);
	else
		printf("%s of a block already released (%s at 0x%" PRIx64 ")\n", call, size, addr);
	printf("    by thread %" PRId64 " at %.3f ms:\n", (int64_t)sqlite3_column_int64(q, C_TID),
	       (double)sqlite3_column_int64(q, C_TIME) / 1e6);
	stack_text(c, q, C_STACK, depth, why_none(call));
	if (!col_null(q, C_ALLOC_FN)) {
		printf("  allocated by %s:\n", col_text(q, C_ALLOC_FN));
		stack_text(c, q, C_ALLOC_STACK, depth, "stack not recorded");
	}
	if (!col_null(q, C_FREE_CALL)) {
		const char *fc = col_text(q, C_FREE_CALL);
		printf("  first released by %s, by thread %" PRId64 " at %.3f ms:\n", fc,
		       (int64_t)sqlite3_column_int64(q, C_FREE_TID),
		       (double)sqlite3_column_int64(q, C_FREE_TIME) / 1e6);
		stack_text(c, q, C_FREE_STACK, depth,
			   strcmp(fc, "realloc") ? "first free: stack not recorded (record --free-stacks)" :
						   "stack not recorded");
	}
}

static void error_json(struct report_ctx *c, sqlite3_stmt *q, int depth)
{
	printf("{\"kind\": ");
	report_json_string(stdout, col_text(q, C_KIND));
	printf(", \"call\": ");
	report_json_string(stdout, col_text(q, C_CALL));
	printf(", \"addr\": %" PRId64 ", \"size\": ", (int64_t)sqlite3_column_int64(q, C_ADDR));
	if (col_null(q, C_SIZE))
		printf("null");
	else
		printf("%" PRId64, (int64_t)sqlite3_column_int64(q, C_SIZE));
	printf(", \"time_ns\": %" PRId64 ", \"tid\": %" PRId64 ", \"stack\": ",
	       (int64_t)sqlite3_column_int64(q, C_TIME), (int64_t)sqlite3_column_int64(q, C_TID));
	stack_json(c, q, C_STACK, depth);
	printf(", \"alloc\": ");
	if (col_null(q, C_ALLOC_FN)) {
		printf("null");
	} else {
		printf("{\"fn\": ");
		report_json_string(stdout, col_text(q, C_ALLOC_FN));
		printf(", \"stack\": ");
		stack_json(c, q, C_ALLOC_STACK, depth);
		printf("}");
	}
	printf(", \"first_free\": ");
	if (col_null(q, C_FREE_CALL)) {
		printf("null");
	} else {
		printf("{\"call\": ");
		report_json_string(stdout, col_text(q, C_FREE_CALL));
		printf(", \"time_ns\": %" PRId64 ", \"tid\": %" PRId64 ", \"stack\": ",
		       (int64_t)sqlite3_column_int64(q, C_FREE_TIME),
		       (int64_t)sqlite3_column_int64(q, C_FREE_TID));
		stack_json(c, q, C_FREE_STACK, depth);
		printf("}");
	}
	printf("}");
}

/* The meta note on what was not checked ("" when everything was). */
static void read_note(sqlite3 *db, char *buf, size_t cap)
{
	char *note = tracedb_meta_text(db, "heap_errors_note");
	snprintf(buf, cap, "%s", note ? note : "");
	free(note);
}

static int errors_option(void *ctx, int argc, char **argv, int *i)
{
	(void)argc;
	if (strcmp(argv[*i], "--fail"))
		return 0;
	*(int *)ctx = 1;
	return 1;
}

int cmd_errors(int argc, char **argv)
{
	int fail = 0;
	struct report_opts o;
	int pr = report_parse(argc, argv, usage, REPORT_OPT_JSON | REPORT_OPT_LIMIT | REPORT_OPT_DEPTH,
			      errors_option, &fail, &o);
	if (pr)
		return pr == REPORT_ARGS_HELP ? 0 : 2;
	sqlite3 *db = tracedb_open(o.trace);
	if (!db)
		return 1;
	int ret = 1;
	struct report_ctx *c = report_ctx_new(db);
	sqlite3_stmt *q = NULL;
	if (!c || sqlite3_prepare_v2(db, query, -1, &q, NULL)) {
		cli_error("database: %s", sqlite3_errmsg(db));
		goto out;
	}
	char note[512];
	read_note(db, note, sizeof(note));
	uint64_t counts[N_KINDS] = { 0 }, total = 0, shown = 0;
	if (o.json) {
		printf("{\"trace\": ");
		report_json_string(stdout, o.trace);
		printf(", \"note\": ");
		if (note[0])
			report_json_string(stdout, note);
		else
			printf("null");
		printf(", \"errors\": [");
	} else {
		report_header(db, "errors", o.trace);
	}
	while (sqlite3_step(q) == SQLITE_ROW) {
		counts[kind_index(col_text(q, C_KIND))]++;
		total++;
		if (o.limit && shown >= (uint64_t)o.limit)
			continue;
		if (o.json) {
			printf(shown ? ", " : "");
			error_json(c, q, o.depth);
		} else {
			error_text(c, q, o.depth);
		}
		shown++;
	}
	/* errors past the loader's bound are counted, not listed */
	int64_t all = report_meta_int(db, "heap_errors");
	uint64_t more = all > (int64_t)total ? (uint64_t)all - total : 0;
	if (o.json) {
		printf("], \"total\": %" PRIu64 ", \"counts\": {", total + more);
		for (size_t k = 0; k < N_KINDS; k++)
			printf("%s\"%s\": %" PRIu64, k ? ", " : "", kinds[k].kind, counts[k]);
		printf("}}\n");
	} else {
		if (shown < total)
			printf("\n  ... %" PRIu64 " more errors (-n 0 shows all)\n", total - shown);
		printf("\n%" PRIu64 " heap error%s", total + more, total + more == 1 ? "" : "s");
		const char *sep = ": ";
		for (size_t k = 0; k < N_KINDS; k++)
			if (counts[k]) {
				printf("%s%" PRIu64 " %s", sep, counts[k],
				       counts[k] == 1 ? kinds[k].one : kinds[k].plural);
				sep = ", ";
			}
		if (more)
			printf("%s%" PRIu64 " more not kept", sep, more);
		printf("\n");
		if (note[0])
			printf("note: %s\n", note);
	}
	ret = fail && total + more ? 1 : 0;
out:
	sqlite3_finalize(q);
	report_ctx_free(c);
	sqlite3_close(db);
	return ret;
}
