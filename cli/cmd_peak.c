/*
 * cmd_peak.c - `czprof peak`: when the heap was largest and which call
 * sites held it at that instant, with a sparkline of live bytes over time.
 * "Live at the peak" is exact: allocated at or before the peak event and
 * freed after it, in the global event order; the loader sums it per stack
 * (stack_totals.peak_*), so this report reads no allocation rows.
 */
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/by_allocator.h"
#include "cli/commands.h"
#include "cli/report.h"
#include "cli/tracedb.h"
#include "cli/util.h"

static const char usage[] =
	"usage: czprof peak [--json] [-n N] TRACE\n\n"
	"When the heap peaked (time, bytes, blocks), the call sites holding memory at\n"
	"that instant, biggest first, and live bytes over the run as a sparkline.\n\n"
	"  --json                 machine-readable output\n"
	"  -n, --limit N          show at most N sites (default 20; 0 = all)\n"
	"  --by allocator         libczalloc blocks live at the peak, by allocator (those\n"
	"                         made at one place in one row; a layer inside another's\n"
	"                         blocks shown, not added to the total)\n"
	"  --each                 with --by allocator: one row per allocator\n" REPORT_USAGE_ALLOC_FN REPORT_USAGE_DB;

#define SPARK_WIDTH 60

static void sparkline(sqlite3 *db, uint64_t duration)
{
	double col[SPARK_WIDTH], max = 0;
	report_timeline(db, duration, SPARK_WIDTH, col);
	for (int k = 0; k < SPARK_WIDTH; k++)
		if (col[k] > max)
			max = col[k];
	setlocale(LC_CTYPE, "");
	int utf8 = !strcmp(nl_langinfo(CODESET), "UTF-8");
	static const char *blocks[] = { "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█" };
	static const char ascii[] = " .:-=+*#";
	printf("live bytes over time: ");
	for (int k = 0; k < SPARK_WIDTH; k++) {
		int level = max > 0 ? (int)(col[k] / max * 7.0 + 0.5) : 0;
		if (utf8)
			fputs(blocks[level], stdout);
		else
			putchar(ascii[level]);
	}
	char m[32];
	printf(" (max %s)\n", cli_human_size((uint64_t)max, m));
}

/* ctx: int[2], --by allocator and --each */
static int peak_option(void *ctx, int argc, char **argv, int *i)
{
	int *by = ctx;
	if (!strcmp(argv[*i], "--each")) {
		by[1] = 1;
		return 1;
	}
	if (strcmp(argv[*i], "--by"))
		return 0;
	if (++*i == argc || strcmp(argv[*i], "allocator"))
		return cli_error("peak: --by takes allocator (sites are the default)");
	by[0] = 1;
	return 1;
}

int cmd_peak(int argc, char **argv)
{
	struct report_opts o;
	int by[2] = { 0, 0 };
	int pr = report_parse(argc, argv, usage, REPORT_OPT_JSON | REPORT_OPT_LIMIT | REPORT_OPT_SITES, peak_option, by, &o);
	if (pr)
		return pr == REPORT_ARGS_HELP ? 0 : 2;
	const char *trace = o.trace;
	int json = o.json, limit = o.limit;
	sqlite3 *db = tracedb_open(trace);
	if (!db)
		return 1;
	if (by[0]) {
		int st = by_allocator_report(db, "peak", trace, BY_ALLOC_AT_PEAK, json, limit, by[1]);
		sqlite3_close(db);
		return st;
	}
	int64_t bytes = report_meta_int(db, "peak_bytes"), blocks = report_meta_int(db, "peak_blocks");
	int64_t t = report_meta_int(db, "peak_time");
	int64_t duration = report_meta_int(db, "duration_ns");
	struct report_ctx *c = report_ctx_new(db);
	struct site_table held = { 0 };
	sqlite3_stmt *s = NULL;
	int ret = 1;
	if (!c || sqlite3_prepare_v2(db,
				     "SELECT stack, peak_bytes, peak_blocks FROM stack_totals"
				     " WHERE peak_blocks > 0", -1, &s, NULL)) {
		cli_error("database: %s", sqlite3_errmsg(db));
		goto out;
	}
	while (bytes > 0 && sqlite3_step(s) == SQLITE_ROW) {
		char name[REPORT_NAME_MAX];
		report_site(c, (uint64_t)sqlite3_column_int64(s, 0), name);
		if (site_table_add(&held, name, (uint64_t)sqlite3_column_int64(s, 2),
				   (uint64_t)sqlite3_column_int64(s, 1)))
			goto out;
	}
	site_table_sort(&held, 1);
	size_t n = held.n;
	size_t shown = limit && (size_t)limit < n ? (size_t)limit : n;
	char a[32], b[32], d[32];
	if (json) {
		report_json_open(stdout, db, trace);
		printf(", \"peak_bytes\": %lld, \"peak_blocks\": %lld, \"peak_time_ns\": %lld, \"sites\": ",
		       (long long)bytes, (long long)blocks, (long long)t);
		site_table_json(&held, shown, "blocks", 1);
		printf("}\n");
	} else {
		report_header(db, "peak", trace);
		printf("\npeak: %s in %lld blocks at %s of %s\n", cli_human_size((uint64_t)bytes, a),
		       (long long)blocks, cli_human_time((uint64_t)t, b), cli_human_time((uint64_t)duration, d));
		sparkline(db, (uint64_t)duration);
		if (n) {
			printf("\n%12s %8s  %s\n", "BYTES", "BLOCKS", "HELD BY");
			for (size_t k = 0; k < shown; k++)
				printf("%12s %8llu  %s\n", cli_human_size(held.v[k].bytes, a),
				       (unsigned long long)held.v[k].count, held.v[k].name);
			if (shown < n)
				printf("  ... %zu more sites (-n 0 shows all)\n", n - shown);
		}
	}
	ret = 0;
out:
	free(held.v);
	sqlite3_finalize(s);
	report_ctx_free(c);
	sqlite3_close(db);
	return ret;
}
