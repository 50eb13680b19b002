/*
 * json.c - see json.h.  Every table but the per-allocation rows
 * (which `czprof sql --json` gives for any selection) as arrays of
 * objects keyed by column name, plus call sites with their names.
 */
#include <string.h>

#include "cli/render/json.h"
#include "cli/report.h"
#include "cli/util.h"

static void rows(sqlite3 *db, FILE *out, const char *name, const char *sql)
{
	sqlite3_stmt *q;
	fprintf(out, "\"%s\": [", name);
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL)) {
		fputs("]", out);
		return;
	}
	int cols = sqlite3_column_count(q);
	for (int r = 0; sqlite3_step(q) == SQLITE_ROW; r++) {
		fputs(r ? ", {" : "{", out);
		for (int c = 0; c < cols; c++) {
			fputs(c ? ", " : "", out);
			report_json_string(out, sqlite3_column_name(q, c));
			fputs(": ", out);
			switch (sqlite3_column_type(q, c)) {
			case SQLITE_INTEGER: fprintf(out, "%lld", (long long)sqlite3_column_int64(q, c)); break;
			case SQLITE_FLOAT: fprintf(out, "%.17g", sqlite3_column_double(q, c)); break;
			case SQLITE_NULL: fputs("null", out); break;
			default: report_json_string(out, (const char *)sqlite3_column_text(q, c));
			}
		}
		fputc('}', out);
	}
	sqlite3_finalize(q);
	fputc(']', out);
}

int export_json(sqlite3 *db, FILE *out)
{
	fputc('{', out);
	report_json_status(out, db);
	fputs(", ", out);
	rows(db, out, "meta", "SELECT key, value FROM meta ORDER BY key");
	fputs(", ", out);
	rows(db, out, "functions", "SELECT fn, calls, bytes FROM fn_totals ORDER BY calls DESC");
	fputs(", ", out);
	rows(db, out, "threads", "SELECT * FROM threads ORDER BY tid");
	fputs(", ", out);
	rows(db, out, "sizes", "SELECT * FROM size_histogram ORDER BY size_from");
	fputs(", ", out);
	rows(db, out, "timeline", "SELECT * FROM timeline ORDER BY seq");
	fputs(", ", out);
	rows(db, out, "modules", "SELECT id, path, bias, start, end, build_id FROM modules ORDER BY id");
	/* stacks with their call site's name, the figures the reports use */
	struct report_ctx *c = report_ctx_new(db);
	sqlite3_stmt *q;
	fputs(", \"stacks\": [", out);
	if (c && !sqlite3_prepare_v2(db, "SELECT stack, allocations, bytes, temporary, leaked, leaked_bytes, "
					 "peak_blocks, peak_bytes FROM stack_totals ORDER BY stack", -1, &q, NULL)) {
		char site[REPORT_NAME_MAX];
		for (int r = 0; sqlite3_step(q) == SQLITE_ROW; r++) {
			report_site(c, (uint64_t)sqlite3_column_int64(q, 0), site);
			fprintf(out, "%s{\"stack\": %lld, \"site\": ", r ? ", " : "", (long long)sqlite3_column_int64(q, 0));
			report_json_string(out, site);
			fprintf(out, ", \"allocations\": %lld, \"bytes\": %lld, \"temporary\": %lld, \"leaked\": %lld, "
				     "\"leaked_bytes\": %lld, \"peak_blocks\": %lld, \"peak_bytes\": %lld}",
				(long long)sqlite3_column_int64(q, 1), (long long)sqlite3_column_int64(q, 2),
				(long long)sqlite3_column_int64(q, 3), (long long)sqlite3_column_int64(q, 4),
				(long long)sqlite3_column_int64(q, 5), (long long)sqlite3_column_int64(q, 6),
				(long long)sqlite3_column_int64(q, 7));
		}
		sqlite3_finalize(q);
	}
	report_ctx_free(c);
	fputs("]}\n", out);
	return 0;
}
