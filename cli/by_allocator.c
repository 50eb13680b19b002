/*
 * by_allocator.c - see by_allocator.h.
 */
#include <stdio.h>

#include "cli/by_allocator.h"
#include "cli/report.h"
#include "cli/util.h"

int by_allocator_report(sqlite3 *db, const char *report, const char *trace, int when, int json, int limit)
{
	const char *sql = when == BY_ALLOC_AT_EXIT
		? "SELECT a.id, coalesce(a.name, ''), a.kind, a.destroyed IS NULL, a.stack, count(*), sum(b.size)"
		  " FROM cz_blocks b JOIN allocators a ON a.id = b.allocator WHERE b.free_time IS NULL"
		  " GROUP BY a.id ORDER BY 7 DESC, a.id"
		: "SELECT a.id, coalesce(a.name, ''), a.kind, a.destroyed IS NULL, a.stack, count(*), sum(b.size)"
		  " FROM cz_blocks b JOIN allocators a ON a.id = b.allocator"
		  " WHERE b.alloc_time <= (SELECT value FROM meta WHERE key = 'peak_time')"
		  " AND (b.free_time IS NULL OR b.free_time > (SELECT value FROM meta WHERE key = 'peak_time'))"
		  " GROUP BY a.id ORDER BY 7 DESC, a.id";
	sqlite3_stmt *q;
	struct report_ctx *c = report_ctx_new(db);
	if (!c || sqlite3_prepare_v2(db, sql, -1, &q, NULL)) {
		report_ctx_free(c);
		return cz_error("database: %s", sqlite3_errmsg(db)), 1;
	}
	const char *what = when == BY_ALLOC_AT_EXIT ? "never freed" : "live at the peak";
	if (json) {
		printf("{\"trace\": ");
		report_json_string(stdout, trace);
		printf(", ");
		report_json_status(stdout, db);
		printf(", \"by\": \"allocator\", \"allocators\": [");
	} else {
		report_header(db, report, trace);
		printf("\nallocator-library blocks %s, by allocator\n\n%12s %8s  %-26s %s\n", what, "BYTES",
		       "BLOCKS", "ALLOCATOR", "CREATED AT");
	}
	int n = 0;
	long long bytes = 0, blocks = 0;
	char site[REPORT_NAME_MAX], size[32], label[160];
	while (sqlite3_step(q) == SQLITE_ROW) {
		long long b = sqlite3_column_int64(q, 6), k = sqlite3_column_int64(q, 5);
		bytes += b;
		blocks += k;
		if (limit && n >= limit) {
			n++;
			continue;
		}
		report_site(c, (uint64_t)sqlite3_column_int64(q, 4), site);
		const char *name = (const char *)sqlite3_column_text(q, 1);
		const char *kind = (const char *)sqlite3_column_text(q, 2);
		int alive = sqlite3_column_int(q, 3);
		if (json) {
			printf("%s{\"id\": %lld, \"name\": ", n ? ", " : "", (long long)sqlite3_column_int64(q, 0));
			report_json_string(stdout, name);
			printf(", \"kind\": \"%s\", \"destroyed\": %s, \"bytes\": %lld, \"blocks\": %lld, \"created_at\": ",
			       kind, alive ? "false" : "true", b, k);
			report_json_string(stdout, site);
			printf("}");
		} else {
			snprintf(label, sizeof(label), "%s (%s%s)", name, kind, alive ? ", never destroyed" : "");
			printf("%12s %8lld  %-26s %s\n", cz_human_size((uint64_t)b, size), k, label, site);
		}
		n++;
	}
	sqlite3_finalize(q);
	report_ctx_free(c);
	if (json)
		printf("], \"bytes\": %lld, \"blocks\": %lld}\n", bytes, blocks);
	else if (!n)
		printf("%12s %8s  (none)\n", "", "");
	else
		printf("\n%s in %lld block%s from %d allocator%s\n", cz_human_size((uint64_t)bytes, size), blocks,
		       blocks == 1 ? "" : "s", n, n == 1 ? "" : "s");
	return 0;
}
