/*
 * cmd_sql.c - `czprof sql TRACE "SELECT ..."`: the user's own questions,
 * against the database opened read-only; an authorizer also refuses
 * writes and ATTACH, so a query cannot touch other files.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/docpath.h"
#include "cli/report.h"
#include "cli/tracedb.h"
#include "cli/util.h"
#include "lib/base/grow.h"

static const char usage[] =
	"usage: czprof sql [--json | --csv] TRACE \"SELECT ...\"\n\n"
	"Runs SQL against the trace's database (built on first use; its tables:\n"
	"allocations, leaks, stack_nodes, frames, modules, threads, timeline, meta\n"
	"and more).  Read-only.  Prints an aligned table, or JSON (an array of\n"
	"objects) or CSV.  One statement per call.\n\n" REPORT_USAGE_DB;

static int deny_writes(void *arg, int action, const char *a, const char *b, const char *c,
		       const char *d)
{
	(void)arg; (void)a; (void)b; (void)c; (void)d;
	switch (action) {
	case SQLITE_SELECT: case SQLITE_READ: case SQLITE_FUNCTION: case SQLITE_RECURSIVE:
		return SQLITE_OK;
	case SQLITE_PRAGMA:
		return b ? SQLITE_DENY : SQLITE_OK; /* reading a pragma, not setting one */
	}
	return SQLITE_DENY;
}

static void csv_field(const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, stdout);
		return;
	}
	putchar('"');
	for (; *s; s++) {
		if (*s == '"')
			putchar('"');
		putchar(*s);
	}
	putchar('"');
}

/* The query's one statement, prepared in *out.  A second statement is
 * refused rather than run: the output is one table (one JSON array, one
 * CSV header), which cannot hold several results of different columns, and
 * a read-only query gains nothing from a second one that the first cannot
 * say; running the first alone would silently drop the rest.  Trailing
 * semicolons, blanks and comments are not statements.  Caller finalizes
 * *out on success. */
static int prepare_one(sqlite3 *db, const char *sql, sqlite3_stmt **out)
{
	const char *tail = NULL;
	sqlite3_stmt *s = NULL;
	*out = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &s, &tail);
	if (rc == SQLITE_AUTH)
		return cli_error("sql: read-only: only queries that read (SELECT, WITH, PRAGMA without a value)");
	if (rc != SQLITE_OK)
		return cli_error("sql: %s", sqlite3_errmsg(db));
	if (!s)
		return cli_error("sql: empty query");
	sqlite3_stmt *next = NULL;
	const char *rest = tail;
	rc = sqlite3_prepare_v2(db, rest, -1, &next, &tail);
	sqlite3_finalize(next);
	if (rc != SQLITE_OK || next) {
		sqlite3_finalize(s);
		rest += strspn(rest, " \t\r\n;");
		return cli_error("sql: one statement only; found more after the first: '%.40s%s'", rest,
				strlen(rest) > 40 ? "..." : "");
	}
	*out = s;
	return 0;
}

struct sql_args {
	int csv, positionals;
	const char *sql;
};

/* --csv, and the query: the second word that is not an option. */
static int sql_option(void *ctx, int argc, char **argv, int *i)
{
	(void)argc;
	struct sql_args *a = ctx;
	const char *arg = argv[*i];
	if (!strcmp(arg, "--csv")) {
		a->csv = 1;
		return 1;
	}
	if (arg[0] == '-' && arg[1] && a->positionals < 1)
		return 0;
	if (++a->positionals == 1)
		return 0; /* the trace */
	if (a->sql)
		return cli_error("sql: give the query as one argument (quote it)");
	a->sql = arg;
	return 1;
}

int cmd_sql(int argc, char **argv)
{
	struct sql_args sa = { 0 };
	struct report_opts o;
	int pr = report_parse(argc, argv, usage, REPORT_OPT_JSON, sql_option, &sa, &o);
	if (pr == REPORT_ARGS_HELP) {
		char doc[PATH_MAX];
		printf("\nThe tables and their columns: %s\n", cli_doc_path("SCHEMA.md", "cli/SCHEMA.md", doc, sizeof(doc)));
		return 0;
	}
	if (pr)
		return 2;
	const char *trace = o.trace, *sql = sa.sql;
	int json = o.json, csv = sa.csv;
	if (!sql) {
		fputs(usage, stderr);
		return 2;
	}
	sqlite3 *db = tracedb_open(trace);
	if (!db)
		return 1;
	sqlite3_set_authorizer(db, deny_writes, NULL);
	sqlite3_stmt *s;
	if (prepare_one(db, sql, &s)) {
		sqlite3_close(db);
		return 1;
	}
	int cols = sqlite3_column_count(s), rc;
	/* rows are collected first so a table can be aligned */
	size_t n = 0, cap = 0;
	char **cells = NULL;
	int *is_num = calloc((size_t)cols + 1, sizeof(int));
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (cols && array_grow((void **)&cells, &cap, (n + 1) * (size_t)cols - 1, sizeof(*cells)))
			break;
		for (int c = 0; c < cols; c++) {
			const char *t = (const char *)sqlite3_column_text(s, c);
			int type = sqlite3_column_type(s, c);
			cells[n * (size_t)cols + (size_t)c] = t ? strdup(t) : NULL;
			if (type == SQLITE_INTEGER || type == SQLITE_FLOAT)
				is_num[c] = 1;
		}
		n++;
	}
	int ret = 0;
	if (rc != SQLITE_DONE) {
		cli_error("sql: %s", sqlite3_errmsg(db));
		ret = 1;
	} else if (json) {
		printf("[");
		for (size_t r = 0; r < n; r++) {
			printf(r ? ",\n {" : "{");
			for (int c = 0; c < cols; c++) {
				const char *v = cells[r * (size_t)cols + (size_t)c];
				printf(c ? ", " : "");
				report_json_string(stdout, sqlite3_column_name(s, c));
				printf(": ");
				if (!v)
					printf("null");
				else if (is_num[c])
					printf("%s", v);
				else
					report_json_string(stdout, v);
			}
			printf("}");
		}
		printf("]\n");
	} else if (csv) {
		for (int c = 0; c < cols; c++) {
			printf(c ? "," : "");
			csv_field(sqlite3_column_name(s, c));
		}
		printf("\n");
		for (size_t r = 0; r < n; r++) {
			for (int c = 0; c < cols; c++) {
				const char *v = cells[r * (size_t)cols + (size_t)c];
				printf(c ? "," : "");
				csv_field(v ? v : "");
			}
			printf("\n");
		}
	} else {
		size_t *w = calloc((size_t)cols + 1, sizeof(size_t));
		for (int c = 0; c < cols; c++)
			w[c] = strlen(sqlite3_column_name(s, c));
		for (size_t r = 0; r < n; r++)
			for (int c = 0; c < cols; c++) {
				const char *v = cells[r * (size_t)cols + (size_t)c];
				size_t len = v ? strlen(v) : 4;
				if (len > w[c])
					w[c] = len;
			}
		for (int c = 0; c < cols; c++)
			printf("%s%-*s", c ? "  " : "", (int)w[c], sqlite3_column_name(s, c));
		printf("\n");
		for (size_t r = 0; r < n; r++) {
			for (int c = 0; c < cols; c++) {
				const char *v = cells[r * (size_t)cols + (size_t)c];
				printf(is_num[c] ? "%s%*s" : "%s%-*s", c ? "  " : "", (int)w[c], v ? v : "NULL");
			}
			printf("\n");
		}
		free(w);
	}
	for (size_t i = 0; i < n * (size_t)cols; i++)
		free(cells[i]);
	free(cells);
	free(is_num);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return ret;
}
