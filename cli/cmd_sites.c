/*
 * cmd_sites.c - reports that rank call sites by a count: `czprof hotspots`
 * (every allocation call) and `czprof temporary` (allocations freed with
 * no other allocation in between on the same thread).  Both read the
 * loader's per-stack totals, name each stack's call site, and merge.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/report.h"
#include "cli/tracedb.h"
#include "cli/util.h"
#include "symbols/sym_site.h"

#define STACK_FRAMES 256

struct site_report {
	const char *name;
	const char *usage;
	const char *sql;   /* (stack, count, bytes) rows from stack_totals */
	const char *what;  /* column title for the count */
};

static const struct site_report hotspots = {
	"hotspots",
	"usage: czprof hotspots [--json] [-n N] [--outside-allocators] TRACE\n\n"
	"Call sites by number of allocation calls (every malloc, calloc, realloc...),\n"
	"with the bytes they asked for.\n\n"
	"  --outside-allocators   only the heap calls made outside libczalloc: no frame\n"
	"                         of their stack is the library's (its allocators,\n"
	"                         helpers and reports), so what a program moving to\n"
	"                         allocator injection has left to move\n"
	"  --json                 machine-readable output\n"
	"  -n, --limit N          show at most N sites (default 20; 0 = all)\n" REPORT_USAGE_ALLOC_FN REPORT_USAGE_DB,
	"SELECT stack, allocations, bytes FROM stack_totals", "CALLS",
};

static const struct site_report temporary = {
	"temporary",
	"usage: czprof temporary [--json] [-n N] TRACE\n\n"
	"Temporary allocations by call site: blocks freed before the same thread made\n"
	"any other allocation, decided by pointer (the block freed is the block most\n"
	"recently allocated).  Often a sign of work a stack buffer could do.\n\n"
	"  --json                 machine-readable output\n"
	"  -n, --limit N          show at most N sites (default 20; 0 = all)\n" REPORT_USAGE_ALLOC_FN REPORT_USAGE_DB,
	"SELECT stack, temporary, temporary_bytes FROM stack_totals WHERE temporary > 0", "TEMPORARY",
};

static int outside; /* hotspots --outside-allocators */

static int sites_option(void *ctx, int argc, char **argv, int *i)
{
	(void)ctx;
	(void)argc;
	if (strcmp(argv[*i], "--outside-allocators"))
		return 0;
	outside = 1;
	return 1;
}

/* Does any frame of the stack belong to libczalloc? */
static int through_czalloc(struct report_ctx *c, uint64_t stack, struct report_frame *frames)
{
	int n = report_stack(c, stack, frames, STACK_FRAMES);
	for (int i = 0; i < n; i++)
		if (sym_is_czalloc_frame(frames[i].function[0] ? frames[i].function : NULL,
					 frames[i].file[0] ? frames[i].file : NULL,
					 frames[i].module[0] ? frames[i].module : NULL))
			return 1;
	return 0;
}

static int run(const struct site_report *rep, int argc, char **argv)
{
	struct report_opts o;
	outside = 0;
	int pr = report_parse(argc, argv, rep->usage, REPORT_OPT_JSON | REPORT_OPT_LIMIT | REPORT_OPT_SITES,
			      rep == &hotspots ? sites_option : NULL, NULL, &o);
	if (pr)
		return pr == REPORT_ARGS_HELP ? 0 : 2;
	const char *trace = o.trace;
	int json = o.json, limit = o.limit;
	sqlite3 *db = tracedb_open(trace);
	if (!db)
		return 1;
	struct report_ctx *c = report_ctx_new(db);
	sqlite3_stmt *s = NULL;
	struct site_table rows = { 0 };
	uint64_t total = 0, total_bytes = 0;
	int ret = 1;
	struct report_frame *frames = outside ? malloc(STACK_FRAMES * sizeof(*frames)) : NULL;
	if (outside && !frames) {
		cz_error("out of memory");
		goto out;
	}
	if (!c || sqlite3_prepare_v2(db, rep->sql, -1, &s, NULL)) {
		cz_error("database: %s", sqlite3_errmsg(db));
		goto out;
	}
	while (sqlite3_step(s) == SQLITE_ROW) {
		char name[REPORT_NAME_MAX];
		if (outside && through_czalloc(c, (uint64_t)sqlite3_column_int64(s, 0), frames))
			continue;
		report_site(c, (uint64_t)sqlite3_column_int64(s, 0), name);
		uint64_t cnt = (uint64_t)sqlite3_column_int64(s, 1), b = (uint64_t)sqlite3_column_int64(s, 2);
		if (site_table_add(&rows, name, cnt, b))
			goto out;
		total += cnt;
		total_bytes += b;
	}
	site_table_sort(&rows, 0);
	size_t n = rows.n;
	size_t shown = limit && (size_t)limit < n ? (size_t)limit : n;
	char a[32];
	if (json) {
		report_json_open(stdout, db, trace);
		printf(", \"count\": %llu, \"bytes\": %llu, \"sites\": [", (unsigned long long)total,
		       (unsigned long long)total_bytes);
		for (size_t k = 0; k < shown; k++) {
			printf(k ? ", {\"site\": " : "{\"site\": ");
			report_json_string(stdout, rows.v[k].name);
			printf(", \"count\": %llu, \"bytes\": %llu}", (unsigned long long)rows.v[k].count,
			       (unsigned long long)rows.v[k].bytes);
		}
		printf("]}\n");
	} else {
		report_header(db, rep->name, trace);
		if (outside)
			printf("\nheap calls made outside libczalloc's allocators\n");
		printf("\n%12s %12s  %s\n", rep->what, "BYTES", "CALL SITE");
		for (size_t k = 0; k < shown; k++)
			printf("%12llu %12s  %s\n", (unsigned long long)rows.v[k].count,
			       cz_human_size(rows.v[k].bytes, a), rows.v[k].name);
		if (shown < n)
			printf("  ... %zu more sites (-n 0 shows all)\n", n - shown);
		printf("\n%llu %sallocation%s, %s, from %zu site%s\n", (unsigned long long)total,
		       rep == &temporary ? "temporary " : "", total == 1 ? "" : "s",
		       cz_human_size(total_bytes, a), n, n == 1 ? "" : "s");
	}
	ret = 0;
out:
	free(frames);
	free(rows.v);
	sqlite3_finalize(s);
	report_ctx_free(c);
	sqlite3_close(db);
	return ret;
}

int cmd_hotspots(int argc, char **argv)
{
	return run(&hotspots, argc, argv);
}

int cmd_temporary(int argc, char **argv)
{
	return run(&temporary, argc, argv);
}
