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

struct site_report {
	const char *name;
	const char *usage;
	const char *sql;   /* (stack, count, bytes) rows from stack_totals */
	const char *what;  /* column title for the count */
};

static const struct site_report hotspots = {
	"hotspots",
	"usage: czprof hotspots [--json] [-n N] TRACE\n\n"
	"Call sites by number of allocation calls (every malloc, calloc, realloc...),\n"
	"with the bytes they asked for.\n\n"
	"  --json        machine-readable output\n"
	"  -n, --limit N show at most N sites (default 20; 0 = all)\n",
	"SELECT stack, allocations, bytes FROM stack_totals", "CALLS",
};

static const struct site_report temporary = {
	"temporary",
	"usage: czprof temporary [--json] [-n N] TRACE\n\n"
	"Temporary allocations by call site: blocks freed before the same thread made\n"
	"any other allocation, decided by pointer (the block freed is the block most\n"
	"recently allocated).  Often a sign of work a stack buffer could do.\n\n"
	"  --json        machine-readable output\n"
	"  -n, --limit N show at most N sites (default 20; 0 = all)\n",
	"SELECT stack, temporary, temporary_bytes FROM stack_totals WHERE temporary > 0", "TEMPORARY",
};

struct row {
	char name[REPORT_NAME_MAX];
	uint64_t count, bytes;
};

static int by_count(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return strcmp(x->name, y->name);
}

static int run(const struct site_report *rep, int argc, char **argv)
{
	const char *trace = NULL;
	int json = 0, limit = 20;
	for (int i = 1; i < argc; i++) {
		if (cz_is_help(argv[i])) {
			fputs(rep->usage, stdout);
			return 0;
		} else if (!strcmp(argv[i], "--json")) {
			json = 1;
		} else if (!strcmp(argv[i], "-n") || !strcmp(argv[i], "--limit")) {
			char *end;
			long v = i + 1 < argc ? strtol(argv[i + 1], &end, 10) : -1;
			if (i + 1 >= argc || *end || v < 0)
				return cz_error("%s: %s takes a number", rep->name, argv[i]), 2;
			limit = (int)v;
			i++;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return cz_error("%s: unknown option '%s'", rep->name, argv[i]), 2;
		} else if (!trace) {
			trace = argv[i];
		} else {
			return cz_error("%s: one trace at a time", rep->name), 2;
		}
	}
	if (!trace) {
		fputs(rep->usage, stderr);
		return 2;
	}
	sqlite3 *db = tracedb_open(trace);
	if (!db)
		return 1;
	struct report_ctx *c = report_ctx_new(db);
	sqlite3_stmt *s = NULL;
	struct row *rows = NULL;
	size_t n = 0;
	uint64_t total = 0, total_bytes = 0;
	int ret = 1;
	if (!c || sqlite3_prepare_v2(db, rep->sql, -1, &s, NULL)) {
		cz_error("database: %s", sqlite3_errmsg(db));
		goto out;
	}
	while (sqlite3_step(s) == SQLITE_ROW) {
		char name[REPORT_NAME_MAX];
		report_site(c, (uint64_t)sqlite3_column_int64(s, 0), name);
		size_t k;
		for (k = 0; k < n && strcmp(rows[k].name, name); k++)
			;
		if (k == n) {
			struct row *nr = realloc(rows, (n + 1) * sizeof(*rows));
			if (!nr)
				goto out;
			rows = nr;
			memset(&rows[n], 0, sizeof(*rows));
			snprintf(rows[n].name, sizeof(rows[n].name), "%s", name);
			n++;
		}
		uint64_t cnt = (uint64_t)sqlite3_column_int64(s, 1), b = (uint64_t)sqlite3_column_int64(s, 2);
		rows[k].count += cnt;
		rows[k].bytes += b;
		total += cnt;
		total_bytes += b;
	}
	if (n)
		qsort(rows, n, sizeof(*rows), by_count);
	size_t shown = limit && (size_t)limit < n ? (size_t)limit : n;
	char a[32];
	if (json) {
		printf("{\"trace\": ");
		report_json_string(stdout, trace);
		printf(", \"count\": %llu, \"bytes\": %llu, \"sites\": [", (unsigned long long)total,
		       (unsigned long long)total_bytes);
		for (size_t k = 0; k < shown; k++) {
			printf(k ? ", {\"site\": " : "{\"site\": ");
			report_json_string(stdout, rows[k].name);
			printf(", \"count\": %llu, \"bytes\": %llu}", (unsigned long long)rows[k].count,
			       (unsigned long long)rows[k].bytes);
		}
		printf("]}\n");
	} else {
		report_header(db, rep->name, trace);
		printf("\n%12s %12s  %s\n", rep->what, "BYTES", "CALL SITE");
		for (size_t k = 0; k < shown; k++)
			printf("%12llu %12s  %s\n", (unsigned long long)rows[k].count,
			       cz_human_size(rows[k].bytes, a), rows[k].name);
		if (shown < n)
			printf("  ... %zu more sites (-n 0 shows all)\n", n - shown);
		printf("\n%llu %sallocation%s, %s, from %zu site%s\n", (unsigned long long)total,
		       rep == &temporary ? "temporary " : "", total == 1 ? "" : "s",
		       cz_human_size(total_bytes, a), n, n == 1 ? "" : "s");
	}
	ret = 0;
out:
	free(rows);
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
