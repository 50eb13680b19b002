/*
 * cmd_plot.c - `czprof plot`: live heap bytes over time as an SVG chart,
 * the peak marked, optionally stacked by the biggest call sites or by
 * thread.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/flame_svg.h"
#include "cli/outfile.h"
#include "cli/report.h"
#include "cli/tracedb.h"
#include "cli/util.h"

static const char usage[] =
	"usage: czprof plot [-o FILE] [--by site|thread|allocator] [-n N] TRACE\n\n"
	"Charts live heap bytes over the run as an SVG picture, the peak marked.\n\n"
	"  -o, --output FILE  where to write (default TRACE.plot.svg; '-' for stdout)\n"
	"  --by site          stack the area by the N call sites biggest at their peak\n"
	"  --by thread        stack it by the thread that allocated the bytes\n"
	"  --by allocator     the blocks of each libczalloc allocator or annotated pool\n"
	"                     (inside the heap they came from), stacked\n"
	"  -n, --limit N      series before the rest is summed as 'other' (default 8)\n";

#define COLS 600
#define W 1000
#define H 520
#define LEFT 80
#define RIGHT 20
#define TOP 50
#define BOTTOM 110
#define MAX_SERIES 16

enum { BY_NONE, BY_SITE, BY_THREAD, BY_ALLOCATOR };

struct series {
	char name[REPORT_NAME_MAX];
	uint64_t key;        /* thread id, or site number */
	double level[COLS];  /* live bytes at the end of each column */
	uint64_t peak;
};

struct plot_args {
	const char *output;
	int by;
};

static int plot_option(void *ctx, int argc, char **argv, int *i)
{
	struct plot_args *a = ctx;
	const char *arg = argv[*i];
	if (strcmp(arg, "-o") && strcmp(arg, "--output") && strcmp(arg, "--by"))
		return 0;
	if (++*i == argc)
		return cz_error("plot: %s needs a value", arg);
	if (!strcmp(arg, "--by")) {
		if (!strcmp(argv[*i], "site"))
			a->by = BY_SITE;
		else if (!strcmp(argv[*i], "thread"))
			a->by = BY_THREAD;
		else if (!strcmp(argv[*i], "allocator"))
			a->by = BY_ALLOCATOR;
		else
			return cz_error("plot: --by takes site, thread or allocator");
	} else {
		a->output = argv[*i];
	}
	return 1;
}

/* A "nice" step for about n ticks over [0, max]: 1, 2 or 5 times a power of
 * the unit's base. */
static double nice_step(double max, int n, double base)
{
	double raw = max / n, p = 1;
	while (p * base <= raw)
		p *= base;
	while (p > raw && p > 1e-12)
		p /= base == 1024 ? 1024 : 10;
	double steps[] = { 1, 2, 5, 10, 20, 50, 100, 200, 500, 1024 };
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (p * steps[i] >= raw)
			return p * steps[i];
	return p * base;
}

static void bytes_label(double v, char *buf)
{
	static const char *u[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	int k = 0;
	while (v >= 1024 && k < 4) {
		v /= 1024;
		k++;
	}
	snprintf(buf, 32, v == floor(v) ? "%.0f %s" : "%.1f %s", v, u[k]);
}

static void time_label(double ns, double unit, const char *name, char *buf)
{
	double v = ns / unit;
	snprintf(buf, 32, fabs(v - floor(v + 0.5)) < 1e-6 ? "%.0f %s" : "%.1f %s", v, name);
}

/* A key's series name: a call site, a thread, or an allocator. */
static void key_name(sqlite3 *db, struct report_ctx *c, int by, uint64_t key, char *name)
{
	if (by == BY_SITE) {
		report_site(c, key, name);
	} else if (by == BY_THREAD) {
		snprintf(name, REPORT_NAME_MAX, "thread %llu", (unsigned long long)key);
	} else {
		sqlite3_stmt *q;
		snprintf(name, REPORT_NAME_MAX, "allocator %llu", (unsigned long long)key);
		if (!sqlite3_prepare_v2(db, "SELECT coalesce(name, kind) || ' (' || kind || ')' FROM allocators WHERE id = ?",
					-1, &q, NULL)) {
			sqlite3_bind_int64(q, 1, (sqlite3_int64)key);
			if (sqlite3_step(q) == SQLITE_ROW)
				snprintf(name, REPORT_NAME_MAX, "%s", (const char *)sqlite3_column_text(q, 0));
			sqlite3_finalize(q);
		}
	}
}

/* The stacked series from the allocation rows: each row adds its size
 * from its allocation to its free. */
static int fill_series(sqlite3 *db, int by, int limit, uint64_t duration, struct series **out, int *n_out)
{
	struct report_ctx *c = report_ctx_new(db);
	if (!c)
		return -1;
	/* which key each stack belongs to, and the biggest keys */
	struct site_table sites = { 0 };
	sqlite3_stmt *q;
	const char *pick = by == BY_SITE ? "SELECT stack, peak_bytes FROM stack_totals WHERE allocations > 0"
		: by == BY_ALLOCATOR ? "SELECT id, peak_bytes FROM allocators WHERE allocations > 0"
		: "SELECT a.tid, sum(a.size) FROM allocations a WHERE a.alloc_seq <= "
		  "(SELECT value FROM meta WHERE key = 'peak_seq') AND (a.free_seq IS NULL OR a.free_seq > "
		  "(SELECT value FROM meta WHERE key = 'peak_seq')) GROUP BY a.tid "
		  "UNION ALL SELECT tid, 0 FROM threads";
	if (sqlite3_prepare_v2(db, pick, -1, &q, NULL)) {
		report_ctx_free(c);
		return cz_error("database: %s", sqlite3_errmsg(db));
	}
	while (sqlite3_step(q) == SQLITE_ROW) {
		char name[REPORT_NAME_MAX];
		key_name(db, c, by, (uint64_t)sqlite3_column_int64(q, 0), name);
		site_table_add(&sites, name, 1, (uint64_t)sqlite3_column_int64(q, 1));
	}
	sqlite3_finalize(q);
	site_table_sort(&sites, 1);
	int n = (int)sites.n < limit ? (int)sites.n : limit;
	struct series *s = calloc((size_t)n + 1, sizeof(*s));
	if (!s) {
		free(sites.v);
		report_ctx_free(c);
		return -1;
	}
	for (int i = 0; i < n; i++)
		snprintf(s[i].name, sizeof(s[i].name), "%s", sites.v[i].name);
	snprintf(s[n].name, sizeof(s[n].name), "other");
	/* deltas per column, then running sums */
	double *delta = calloc((size_t)(n + 1) * COLS, sizeof(double));
	const char *rows = by == BY_SITE ? "SELECT stack, size, alloc_time, free_time FROM allocations"
			   : by == BY_ALLOCATOR ? "SELECT allocator, size, alloc_time, free_time FROM cz_blocks"
			   : "SELECT tid, size, alloc_time, free_time FROM allocations";
	int rc = -1;
	if (!delta || sqlite3_prepare_v2(db, rows, -1, &q, NULL))
		goto out;
	/* stack -> series, cached: thousands of rows share a stack */
	uint64_t last_key = UINT64_MAX;
	int last_series = n;
	while (sqlite3_step(q) == SQLITE_ROW) {
		uint64_t key = (uint64_t)sqlite3_column_int64(q, 0);
		if (key != last_key) {
			char name[REPORT_NAME_MAX];
			key_name(db, c, by, key, name);
			last_series = n;
			for (int i = 0; i < n; i++)
				if (!strcmp(s[i].name, name))
					last_series = i;
			last_key = key;
		}
		double size = (double)sqlite3_column_int64(q, 1);
		uint64_t t0 = (uint64_t)sqlite3_column_int64(q, 2);
		size_t c0 = (size_t)((double)t0 / (double)duration * (COLS - 1));
		delta[(size_t)last_series * COLS + (c0 < COLS ? c0 : COLS - 1)] += size;
		if (sqlite3_column_type(q, 3) != SQLITE_NULL) {
			uint64_t t1 = (uint64_t)sqlite3_column_int64(q, 3);
			size_t c1 = (size_t)((double)t1 / (double)duration * (COLS - 1));
			delta[(size_t)last_series * COLS + (c1 < COLS ? c1 : COLS - 1)] -= size;
		}
	}
	sqlite3_finalize(q);
	for (int i = 0; i <= n; i++) {
		double level = 0;
		for (int k = 0; k < COLS; k++) {
			level += delta[(size_t)i * COLS + k];
			s[i].level[k] = level > 0 ? level : 0;
		}
	}
	*out = s;
	*n_out = n + 1;
	rc = 0;
out:
	if (rc)
		free(s);
	free(delta);
	free(sites.v);
	report_ctx_free(c);
	return rc;
}

static const char *const palette[] = { "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
				       "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac" };

int cmd_plot(int argc, char **argv)
{
	struct plot_args a = { 0 };
	struct report_opts o;
	int pr = report_parse(argc, argv, usage, REPORT_OPT_LIMIT, plot_option, &a, &o);
	if (pr)
		return pr == REPORT_ARGS_HELP ? 0 : 2;
	if (o.limit == 20) /* report_parse's default; a chart reads best with fewer */
		o.limit = 8;
	if (o.limit < 1 || o.limit > MAX_SERIES)
		o.limit = o.limit < 1 ? 1 : MAX_SERIES;
	char def[4096];
	if (!a.output) {
		snprintf(def, sizeof(def), "%s.plot.svg", o.trace);
		a.output = def;
	}
	sqlite3 *db = tracedb_open(o.trace);
	if (!db)
		return 1;
	uint64_t duration = (uint64_t)report_meta_int(db, "duration_ns");
	uint64_t peak = (uint64_t)report_meta_int(db, "peak_bytes");
	uint64_t peak_time = (uint64_t)report_meta_int(db, "peak_time");
	if (!duration)
		duration = 1;
	/* the total: the highest level in each column, from the timeline */
	static double total[COLS];
	memset(total, 0, sizeof(total));
	sqlite3_stmt *q;
	if (!sqlite3_prepare_v2(db, "SELECT time, live_bytes FROM timeline", -1, &q, NULL)) {
		while (sqlite3_step(q) == SQLITE_ROW) {
			size_t k = (size_t)((double)sqlite3_column_int64(q, 0) / (double)duration * (COLS - 1));
			double v = (double)sqlite3_column_int64(q, 1);
			if (k < COLS && v > total[k])
				total[k] = v;
		}
		sqlite3_finalize(q);
	}
	for (int k = 1; k < COLS; k++) /* columns no event fell in keep the level */
		if (total[k] == 0 && total[k - 1] > 0)
			total[k] = -1;
	for (int k = 1; k < COLS; k++)
		if (total[k] < 0)
			total[k] = total[k - 1];
	struct series *s = NULL;
	int ns = 0;
	if (a.by != BY_NONE && fill_series(db, a.by, o.limit, duration, &s, &ns)) {
		sqlite3_close(db);
		return 1;
	}
	double ymax = peak > 0 ? (double)peak * 1.08 : 1024;
	double ystep = nice_step(ymax, 5, 1024);
	ymax = ceil(ymax / ystep) * ystep;
	double unit = duration >= 2e9 ? 1e9 : duration >= 2e6 ? 1e6 : duration >= 2e3 ? 1e3 : 1;
	const char *uname = unit == 1e9 ? "s" : unit == 1e6 ? "ms" : unit == 1e3 ? "us" : "ns";
	double xstep = nice_step((double)duration / unit, 8, 10) * unit;
	double pw = W - LEFT - RIGHT, ph = H - TOP - BOTTOM;
#define X(t) (LEFT + (double)(t) / (double)duration * pw)
#define Y(v) (TOP + ph - (double)(v) / ymax * ph)

	struct outfile out;
	if (outfile_open(&out, a.output)) {
		free(s);
		sqlite3_close(db);
		return 1;
	}
	FILE *f = out.f;
	char *cmd = NULL;
	if (!sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'cmdline'", -1, &q, NULL)) {
		if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0))
			cmd = strdup((const char *)sqlite3_column_text(q, 0));
		sqlite3_finalize(q);
	}
	fprintf(f, "<?xml version=\"1.0\" standalone=\"no\"?>\n<svg version=\"1.1\" width=\"%d\" height=\"%d\" "
		   "viewBox=\"0 0 %d %d\" xmlns=\"http://www.w3.org/2000/svg\">\n"
		   "<style>text { font-family: Verdana, sans-serif; font-size: 12px; fill: #222; }"
		   " .axis { stroke: #444; } .grid { stroke: #ddd; }</style>\n"
		   "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n"
		   "<text x=\"%d\" y=\"24\" text-anchor=\"middle\" style=\"font-size: 16px\">live heap - ",
		W, H, W, H, W / 2);
	svg_escape(f, cmd ? cmd : o.trace);
	fputs("</text>\n", f);
	free(cmd);
	char lab[32];
	/* grid and axes */
	for (double v = 0; v <= ymax + 1e-9; v += ystep) {
		bytes_label(v, lab);
		fprintf(f, "<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>"
			   "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
			LEFT, Y(v), W - RIGHT, Y(v), LEFT - 6, Y(v) + 4, lab);
	}
	for (double t = 0; t <= (double)duration + 1e-9; t += xstep) {
		time_label(t, unit, uname, lab);
		fprintf(f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.0f\"/>"
			   "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%s</text>\n",
			X(t), TOP, X(t), TOP + ph, X(t), TOP + ph + 18, lab);
	}
	fprintf(f, "<line class=\"axis\" x1=\"%d\" y1=\"%.0f\" x2=\"%d\" y2=\"%.0f\"/>"
		   "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%.0f\"/>\n"
		   "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">time (%s)</text>\n"
		   "<text x=\"16\" y=\"%.0f\" text-anchor=\"middle\" transform=\"rotate(-90 16 %.0f)\">live bytes</text>\n",
		LEFT, TOP + ph, W - RIGHT, TOP + ph, LEFT, TOP, LEFT, TOP + ph, LEFT + pw / 2, TOP + ph + 38, uname,
		TOP + ph / 2, TOP + ph / 2);
	if (!s) {
		fprintf(f, "<path fill=\"#4e79a7\" fill-opacity=\"0.35\" stroke=\"#4e79a7\" stroke-width=\"1.5\" d=\"M%.1f %.1f",
			X(0), Y(0));
		for (int k = 0; k < COLS; k++)
			fprintf(f, " L%.1f %.1f", X((double)k / (COLS - 1) * (double)duration), Y(total[k]));
		fprintf(f, " L%.1f %.1f Z\"/>\n", X(duration), Y(0));
	} else {
		static double base[COLS];
		memset(base, 0, sizeof(base));
		for (int i = 0; i < ns; i++) {
			const char *col = palette[i % 10];
			fprintf(f, "<path fill=\"%s\" fill-opacity=\"0.8\" stroke=\"%s\" d=\"M%.1f %.1f", col, col,
				X(0), Y(base[0] + s[i].level[0]));
			for (int k = 1; k < COLS; k++)
				fprintf(f, " L%.1f %.1f", X((double)k / (COLS - 1) * (double)duration),
					Y(base[k] + s[i].level[k]));
			for (int k = COLS - 1; k >= 0; k--)
				fprintf(f, " L%.1f %.1f", X((double)k / (COLS - 1) * (double)duration), Y(base[k]));
			fputs(" Z\"><title>", f);
			svg_escape(f, s[i].name);
			fputs("</title></path>\n", f);
			for (int k = 0; k < COLS; k++)
				base[k] += s[i].level[k];
			/* the legend, two columns under the axis label */
			double lx = LEFT + (i % 2) * (pw / 2), ly = TOP + ph + 56 + (i / 2) * 16;
			fprintf(f, "<rect x=\"%.0f\" y=\"%.0f\" width=\"10\" height=\"10\" fill=\"%s\"/>"
				   "<text x=\"%.0f\" y=\"%.0f\">", lx, ly - 9, col, lx + 14, ly);
			char name[80];
			snprintf(name, sizeof(name), "%.*s", (int)sizeof(name) - 1, s[i].name);
			if (strlen(s[i].name) >= sizeof(name) - 1)
				strcpy(name + sizeof(name) - 4, "...");
			svg_escape(f, name);
			fputs("</text>\n", f);
		}
	}
	/* the peak: a dot and its label, kept inside the chart */
	char pk[32], pt[32];
	bytes_label((double)peak, pk);
	time_label((double)peak_time, unit, uname, pt);
	double px = X(peak_time), py = Y(peak);
	int right = px > LEFT + pw * 0.7;
	fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"#d62728\"/>"
		   "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" style=\"font-weight: bold\">peak %s at %s</text>\n",
		px, py, right ? px - 8 : px + 8, py - 8 < TOP + 12 ? TOP + 12 : py - 8, right ? "end" : "start", pk, pt);
	fputs("</svg>\n", f);
#undef X
#undef Y
	free(s);
	sqlite3_close(db);
	if (outfile_close(&out, 1))
		return 1;
	if (!out.is_stdout)
		fprintf(stderr, "czprof: plot -> %s\n", a.output);
	return 0;
}
