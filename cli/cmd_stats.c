/*
 * cmd_stats.c - `czprof stats`: the figures of a whole run on one screen:
 * duration, calls per function, bytes, the peak, leaks, temporary
 * allocations, a histogram of sizes, and per-thread totals.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/leak_kinds.h"
#include "cli/report.h"
#include "cli/tracedb.h"
#include "cli/util.h"

static const char usage[] =
	"usage: czprof stats [--json] TRACE\n\n"
	"Summary figures of a recorded run: duration, calls per function, total,\n"
	"peak and leaked bytes, temporary allocations, a histogram of allocation\n"
	"sizes (power-of-two buckets), per-thread totals, frees of unknown blocks,\n"
	"failed calls and how the process ended.\n\n"
	"  --json   machine-readable output\n" REPORT_USAGE_DB;

/* the loader's buckets: a 0-byte one, then [2^(k-1), 2^k - 1] for k = 1..64 */
#define BUCKETS 65

static int query_int(sqlite3 *db, const char *sql, int64_t *out)
{
	sqlite3_stmt *s;
	*out = 0;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL))
		return cli_error("database: %s", sqlite3_errmsg(db));
	if (sqlite3_step(s) == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return 0;
}

int cmd_stats(int argc, char **argv)
{
	struct report_opts o;
	int pr = report_parse(argc, argv, usage, REPORT_OPT_JSON, NULL, NULL, &o);
	if (pr)
		return pr == REPORT_ARGS_HELP ? 0 : 2;
	const char *trace = o.trace;
	int json = o.json;
	sqlite3 *db = tracedb_open(trace);
	if (!db)
		return 1;
	static const char *keys[] = { "duration_ns", "allocations", "frees", "total_bytes",
				      "peak_bytes", "peak_blocks", "peak_time", "leaked_bytes",
				      "leaked_blocks", "unmatched_frees", "failed_allocs",
				      "address_conflicts", NULL };
	int64_t v[16];
	for (int k = 0; keys[k]; k++)
		v[k] = report_meta_int(db, keys[k]);
	struct leak_kinds lk;
	leak_kinds_read(db, &lk);
	int64_t temporary = 0;
	query_int(db, "SELECT SUM(temporary) FROM stack_totals", &temporary);

	/* calls per function, sizes by power of two, threads */
	struct { char fn[32]; int64_t calls, bytes; } fns[16];
	int n_fns = 0;
	/* the buckets are read as the loader wrote them, bounds included, so
	 * the report cannot disagree with the size_histogram table */
	struct { uint64_t from, to; int64_t count; } hist[BUCKETS];
	int n_hist = 0;
	sqlite3_stmt *s;
	sqlite3_prepare_v2(db, "SELECT fn, calls, bytes FROM fn_totals ORDER BY 2 DESC, 1",
			   -1, &s, NULL);
	while (s && sqlite3_step(s) == SQLITE_ROW && n_fns < 16) {
		snprintf(fns[n_fns].fn, sizeof(fns[n_fns].fn), "%s", (const char *)sqlite3_column_text(s, 0));
		fns[n_fns].calls = sqlite3_column_int64(s, 1);
		fns[n_fns].bytes = sqlite3_column_int64(s, 2);
		n_fns++;
	}
	sqlite3_finalize(s);
	sqlite3_prepare_v2(db, "SELECT size_from, size_to, count FROM size_histogram ORDER BY size_from",
			   -1, &s, NULL);
	while (s && sqlite3_step(s) == SQLITE_ROW && n_hist < BUCKETS) {
		hist[n_hist].from = (uint64_t)sqlite3_column_int64(s, 0);
		hist[n_hist].to = (uint64_t)sqlite3_column_int64(s, 1);
		hist[n_hist].count = sqlite3_column_int64(s, 2);
		n_hist++;
	}
	sqlite3_finalize(s);
	char *end_how = tracedb_meta_text(db, "end_how");
	int64_t end_value = report_meta_int(db, "end_value");

	char a[32], b[32];
	if (json) {
		report_json_open(stdout, db, trace);
		for (int k = 0; keys[k]; k++)
			printf(", \"%s\": %lld", keys[k], (long long)v[k]);
		printf(", ");
		leak_kinds_json(stdout, &lk);
		printf(", \"temporary\": %lld, \"end_how\": ", (long long)temporary);
		if (end_how)
			report_json_string(stdout, end_how);
		else
			printf("null");
		printf(", \"end_value\": %lld, \"functions\": {", (long long)end_value);
		for (int k = 0; k < n_fns; k++)
			printf("%s\"%s\": {\"calls\": %lld, \"bytes\": %lld}", k ? ", " : "", fns[k].fn,
			       (long long)fns[k].calls, (long long)fns[k].bytes);
		printf("}, \"size_histogram\": [");
		for (int k = 0; k < n_hist; k++)
			printf("%s{\"from\": %llu, \"to\": %llu, \"count\": %lld}", k ? ", " : "",
			       (unsigned long long)hist[k].from, (unsigned long long)hist[k].to,
			       (long long)hist[k].count);
		printf("], \"threads\": [");
	} else {
		report_header(db, "stats", trace);
		printf("\nduration           %s\n", cli_human_time((uint64_t)v[0], a));
		printf("allocations        %lld (%s)\n", (long long)v[1], cli_human_size((uint64_t)v[3], a));
		printf("frees              %lld\n", (long long)v[2]);
		printf("peak               %s in %lld blocks at %s\n", cli_human_size((uint64_t)v[4], a),
		       (long long)v[5], cli_human_time((uint64_t)v[6], b));
		printf("leaked             %s in %lld blocks%s\n", cli_human_size((uint64_t)v[7], a), (long long)v[8],
		       lk.known ? " (definitely and indirectly lost)" : " (never freed: no scan at exit)");
		if (lk.known)
			printf("                   possibly lost %s, still reachable %s\n",
			       cli_human_size(lk.bytes[LK_POSSIBLE], a), cli_human_size(lk.bytes[LK_REACHABLE], b));
		printf("temporary          %lld\n", (long long)temporary);
		if (report_meta_int(db, "attached") > 0) /* not errors: blocks from before the window */
			printf("freed, allocated before attach %lld   failed calls %lld\n", (long long)v[9],
			       (long long)v[10]);
		else
			printf("unknown frees      %lld   failed calls %lld\n", (long long)v[9], (long long)v[10]);
		if (end_how)
			printf("ended              %s %lld\n", end_how, (long long)end_value);
		else
			printf("ended              unknown (the trace has no footer)\n");
		printf("\ncalls per function\n");
		for (int k = 0; k < n_fns; k++)
			printf("  %-16s %10lld  %s\n", fns[k].fn, (long long)fns[k].calls,
			       cli_human_size((uint64_t)fns[k].bytes, a));
		printf("\nallocation sizes\n");
		int64_t hmax = 1;
		for (int k = 0; k < n_hist; k++)
			if (hist[k].count > hmax)
				hmax = hist[k].count;
		for (int k = 0; k < n_hist; k++) {
			char range[64];
			/* bytes are exact; above 1 KiB the top is rounded, so it is
			 * said as "below the next bucket" ("8.0 KiB" would be both) */
			if (hist[k].from == hist[k].to)
				snprintf(range, sizeof(range), "%s", cli_human_size(hist[k].from, a));
			else if (hist[k].to == UINT64_MAX)
				snprintf(range, sizeof(range), "%s and more", cli_human_size(hist[k].from, a));
			else if (hist[k].to < 1024)
				snprintf(range, sizeof(range), "%s - %s", cli_human_size(hist[k].from, a),
					 cli_human_size(hist[k].to, b));
			else
				snprintf(range, sizeof(range), "%s - < %s", cli_human_size(hist[k].from, a),
					 cli_human_size(hist[k].to + 1, b));
			int bar = (int)((double)hist[k].count / (double)hmax * 40 + 0.5);
			printf("  %-22s %10lld  %.*s\n", range, (long long)hist[k].count, bar,
			       "########################################");
		}
		printf("\nthreads\n  %-10s %12s %12s\n", "TID", "ALLOCATIONS", "BYTES");
	}
	sqlite3_prepare_v2(db, "SELECT tid, allocations, bytes FROM threads ORDER BY allocations DESC", -1,
			   &s, NULL);
	for (int k = 0; s && sqlite3_step(s) == SQLITE_ROW; k++) {
		long long tid = sqlite3_column_int64(s, 0), n = sqlite3_column_int64(s, 1);
		uint64_t by = (uint64_t)sqlite3_column_int64(s, 2);
		if (json)
			printf("%s{\"tid\": %lld, \"allocations\": %lld, \"bytes\": %llu}", k ? ", " : "", tid,
			       n, (unsigned long long)by);
		else
			printf("  %-10lld %12lld %12s\n", tid, n, cli_human_size(by, a));
	}
	sqlite3_finalize(s);
	if (json)
		printf("]}\n");
	free(end_how);
	sqlite3_close(db);
	return 0;
}
