/* budgets.c - see budgets.h. */
#include <stdlib.h>
#include <string.h>

#include "cli/budgets.h"
#include "cli/outfile.h"
#include "cli/report.h"
#include "cli/tracedb.h"
#include "cli/util.h"

const char budgets_usage[] =
	"  --max-peak SIZE      the heap's peak of live bytes\n"
	"  --max-leaked SIZE    bytes leaked: definitely plus indirectly lost (every\n"
	"                       block never freed when the trace has no scan at exit)\n"
	"  --max-allocs N       allocation calls\n"
	"  --max-temporary N    temporary allocations (freed before any other was made)\n"
	"  --max-errors N       heap errors (bad and double frees...)\n"
	"  --junit FILE         also write the budgets as JUnit XML, one testcase each\n"
	"SIZE: 4096, 512K, 10M, 1.5MiB, 1G (powers of 1024), 2KB, 3MB (powers of 1000).\n";

static const struct {
	const char *flag; /* without the "--" */
	int is_size;
} table[BUDGET_N] = {
	[BUDGET_PEAK] = { "max-peak", 1 },
	[BUDGET_LEAKED] = { "max-leaked", 1 },
	[BUDGET_ALLOCS] = { "max-allocs", 0 },
	[BUDGET_TEMPORARY] = { "max-temporary", 0 },
	[BUDGET_ERRORS] = { "max-errors", 0 },
};

/* "--NAME VALUE" or "--NAME=VALUE": the value, or NULL when a is not NAME.
 * *missing is set when NAME has no value. */
static const char *option_value(const char *name, int argc, char **argv, int *i, int *missing)
{
	const char *a = argv[*i];
	size_t n = strlen(name);
	if (strncmp(a, "--", 2) || strncmp(a + 2, name, n))
		return NULL;
	if (a[2 + n] == '=')
		return a + 3 + n;
	if (a[2 + n])
		return NULL;
	if (*i + 1 >= argc) {
		*missing = 1;
		return NULL;
	}
	return argv[++*i];
}

int budgets_option(struct budgets *b, int argc, char **argv, int *i)
{
	int missing = 0;
	const char *v = option_value("junit", argc, argv, i, &missing);
	if (v || missing) {
		if (missing || !*v)
			return cli_error("%s: --junit needs a file name", argv[0]);
		b->junit = v;
		return 1;
	}
	for (int k = 0; k < BUDGET_N; k++) {
		v = option_value(table[k].flag, argc, argv, i, &missing);
		if (!v && !missing)
			continue;
		int bad = missing || (table[k].is_size ? cli_parse_size(v, &b->max[k]) : cli_parse_count(v, &b->max[k]));
		if (bad)
			return cli_error("%s: --%s takes %s, not '%s'", argv[0], table[k].flag,
					table[k].is_size ? "a size (10M, 512K, 1.5MiB...)" : "a number",
					v ? v : "nothing");
		b->set |= 1u << k;
		return 1;
	}
	return 0;
}

static int64_t query_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s;
	int64_t v = 0;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL))
		return 0;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* The heap errors a trace holds: the rows of heap_errors where the loader
 * classifies them, else the frees of addresses it never saw allocated.
 * *source names which, for the output. */
static uint64_t count_errors(sqlite3 *db, const char **source)
{
	if (query_int(db, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'heap_errors'")) {
		*source = "heap_errors";
		return (uint64_t)query_int(db, "SELECT COUNT(*) FROM heap_errors");
	}
	*source = "unmatched_frees";
	return (uint64_t)report_meta_int(db, "unmatched_frees");
}

/* meta 'complete' = 0 marks a trace the recorder could not finish; a
 * loader that does not write the key knows of no such trace. */
static int trace_complete(sqlite3 *db)
{
	char *v = tracedb_meta_text(db, "complete"); /* missing or NULL: whole */
	int complete = !v || strtoll(v, NULL, 10) != 0;
	free(v);
	return complete;
}

static void xml_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		default:
			/* control characters are not allowed in XML 1.0 */
			fputc((unsigned char)*s < 0x20 && *s != '\t' && *s != '\n' ? ' ' : *s, f);
		}
	}
}

static const char *figure_text(int k, uint64_t v, char *buf)
{
	if (table[k].is_size)
		return cli_human_size(v, buf);
	snprintf(buf, 32, "%llu", (unsigned long long)v);
	return buf;
}

static int write_junit(const char *path, const char *trace, const struct budgets *b, const uint64_t *fig,
		       int complete, const char *err_source)
{
	struct outfile o;
	if (outfile_open(&o, path))
		return -1;
	int tests = 1, failures = !complete;
	for (int k = 0; k < BUDGET_N; k++)
		if (b->set & (1u << k)) {
			tests++;
			failures += fig[k] > b->max[k];
		}
	FILE *f = o.f;
	char a[32], c[32];
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		   "<testsuites>\n<testsuite name=\"czprof budgets\" tests=\"%d\" failures=\"%d\" errors=\"0\">\n",
		tests, failures);
	fputs("  <properties><property name=\"trace\" value=\"", f);
	xml_text(f, trace);
	fputs("\"/></properties>\n", f);
	fputs("  <testcase classname=\"czprof.check\" name=\"complete\">", f);
	if (!complete)
		fputs("<failure message=\"the trace is incomplete\" type=\"incomplete\"/>", f);
	fputs("</testcase>\n", f);
	for (int k = 0; k < BUDGET_N; k++) {
		if (!(b->set & (1u << k)))
			continue;
		fprintf(f, "  <testcase classname=\"czprof.check\" name=\"%s\">", table[k].flag);
		if (fig[k] > b->max[k]) {
			fprintf(f, "<failure message=\"%s over budget: ", table[k].flag);
			fprintf(f, "%s", figure_text(k, fig[k], a));
			fprintf(f, " &gt; %s\" type=\"budget\">%llu &gt; %llu%s%s</failure>",
				figure_text(k, b->max[k], c), (unsigned long long)fig[k],
				(unsigned long long)b->max[k], k == BUDGET_ERRORS ? ", counted from " : "",
				k == BUDGET_ERRORS ? err_source : "");
		}
		fputs("</testcase>\n", f);
	}
	fputs("</testsuite>\n</testsuites>\n", f);
	return outfile_close(&o, !ferror(f));
}

int budgets_check(const char *trace, const struct budgets *b, FILE *out, int json, int header)
{
	sqlite3 *db = tracedb_open(trace);
	if (!db)
		return BUDGETS_ERROR;
	uint64_t fig[BUDGET_N];
	const char *err_source;
	fig[BUDGET_PEAK] = (uint64_t)report_meta_int(db, "peak_bytes");
	fig[BUDGET_LEAKED] = (uint64_t)report_meta_int(db, "leaked_bytes");
	fig[BUDGET_ALLOCS] = (uint64_t)report_meta_int(db, "allocations");
	fig[BUDGET_TEMPORARY] = (uint64_t)query_int(db, "SELECT SUM(temporary) FROM stack_totals");
	fig[BUDGET_ERRORS] = count_errors(db, &err_source);
	char *how = tracedb_meta_text(db, "leak_kinds");
	int scanned = how && !strcmp(how, "scanned");
	free(how);
	int complete = trace_complete(db);
	struct report_status st;
	report_status(db, &st);
	if (header && !json && out == stdout)
		report_header(db, "check", trace); /* with st's warnings */
	sqlite3_close(db);

	int exceeded = !complete;
	for (int k = 0; k < BUDGET_N; k++)
		if ((b->set & (1u << k)) && fig[k] > b->max[k])
			exceeded = 1;
	char a[32], c[32];
	if (json) {
		fputs("{\"trace\": ", out);
		report_json_string(out, trace);
		fprintf(out, ", \"complete\": %s, \"warnings\": [", complete ? "true" : "false");
		for (int i = 0; i < st.n; i++) {
			fputs(i ? ", " : "", out);
			report_json_string(out, st.warning[i]);
		}
		fprintf(out, "], \"passed\": %s, \"leaked_counts\": \"%s\", \"errors_from\": \"%s\", \"budgets\": [",
			exceeded ? "false" : "true", scanned ? "definite+indirect" : "never_freed", err_source);
		for (int k = 0; k < BUDGET_N; k++) {
			fprintf(out, "%s{\"name\": \"%s\", \"figure\": %llu, \"limit\": ", k ? ", " : "",
				table[k].flag, (unsigned long long)fig[k]);
			if (b->set & (1u << k))
				fprintf(out, "%llu, \"exceeded\": %s}", (unsigned long long)b->max[k],
					fig[k] > b->max[k] ? "true" : "false");
			else
				fputs("null, \"exceeded\": false}", out);
		}
		fputs("]}\n", out);
	} else {
		fprintf(out, "%-15s %12s %12s  %s\n", "BUDGET", "LIMIT", "FIGURE", "RESULT");
		for (int k = 0; k < BUDGET_N; k++) {
			int on = (b->set & (1u << k)) != 0;
			const char *note = k == BUDGET_LEAKED ? (scanned ? "  (definitely + indirectly lost)"
									 : "  (never freed: no scan at exit)")
					 : k == BUDGET_ERRORS ? (strcmp(err_source, "heap_errors") ? "  (frees of unknown blocks)"
												    : "  (heap errors)")
							      : "";
			fprintf(out, "%-15s %12s %12s  %s%s\n", table[k].flag, on ? figure_text(k, b->max[k], a) : "-",
				figure_text(k, fig[k], c), !on ? "-" : fig[k] > b->max[k] ? "EXCEEDED" : "ok", note);
		}
		if (!complete) {
			fprintf(out, "the trace is incomplete: check fails\n");
			for (int i = 0; !header && i < st.n; i++) /* the header said them */
				fprintf(out, "  %s\n", st.warning[i]);
		}
		fprintf(out, "%s\n", exceeded ? "check: FAILED" : "check: passed");
	}
	if (b->junit && write_junit(b->junit, trace, b, fig, complete, err_source))
		return BUDGETS_ERROR;
	return exceeded ? BUDGETS_EXCEEDED : BUDGETS_OK;
}
