/*
 * site_rank.c - see site_rank.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/report.h"
#include "cli/site_rank.h"
#include "cli/tracedb.h"
#include "cli/util.h"
#include "lib/symbols/sym_site.h"

#define STACK_FRAMES 256

/* --outside-allocators; ctx is the flag it sets. */
static int outside_option(void *ctx, int argc, char **argv, int *i)
{
	(void)argc;
	if (strcmp(argv[*i], "--outside-allocators"))
		return 0;
	*(int *)ctx = 1;
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

int site_rank_run(const struct site_rank *rep, int argc, char **argv)
{
	struct report_opts o;
	int outside = 0;
	int pr = report_parse(argc, argv, rep->usage, REPORT_OPT_JSON | REPORT_OPT_LIMIT | REPORT_OPT_SITES,
			      rep->outside_option ? outside_option : NULL, &outside, &o);
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
		cli_error("out of memory");
		goto out;
	}
	if (!c || sqlite3_prepare_v2(db, rep->sql, -1, &s, NULL)) {
		cli_error("database: %s", sqlite3_errmsg(db));
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
		printf(", \"count\": %llu, \"bytes\": %llu, \"sites\": ", (unsigned long long)total,
		       (unsigned long long)total_bytes);
		site_table_json(&rows, shown, "count", 0);
		printf("}\n");
	} else {
		report_header(db, rep->name, trace);
		if (outside)
			printf("\nheap calls made outside libczalloc's allocators\n");
		printf("\n%12s %12s  %s\n", rep->what, "BYTES", "CALL SITE");
		for (size_t k = 0; k < shown; k++)
			printf("%12llu %12s  %s\n", (unsigned long long)rows.v[k].count,
			       cli_human_size(rows.v[k].bytes, a), rows.v[k].name);
		if (shown < n)
			printf("  ... %zu more sites (-n 0 shows all)\n", n - shown);
		printf("\n%llu %sallocation%s, %s, from %zu site%s\n", (unsigned long long)total,
		       rep->noun, total == 1 ? "" : "s",
		       cli_human_size(total_bytes, a), n, n == 1 ? "" : "s");
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
