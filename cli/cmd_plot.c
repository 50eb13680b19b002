/*
 * cmd_plot.c - `czprof plot`: live heap bytes over time as an SVG chart,
 * the peak marked, optionally stacked by the biggest call sites, threads
 * or libczalloc allocators.
 *
 * The run is cut into COLS equal slices.  The total line is the highest
 * point of each slice (from the timeline table, so the peak shows); a
 * stacked series is its live bytes at the end of each slice, from the
 * allocation rows, so blocks born and freed inside one slice do not show
 * in the areas, only in the line above them.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/outfile.h"
#include "cli/report.h"
#include "lib/base/strmap.h"
#include "cli/svg.h"
#include "cli/tracedb.h"
#include "cli/util.h"
#include "lib/analysis/idmap.h"

static const char usage[] =
	"usage: czprof plot [-o FILE] [--by site|thread|allocator] [-n N] TRACE\n\n"
	"Charts live heap bytes over the run as an SVG picture, the peak marked.\n\n"
	"  -o, --output FILE  where to write (default TRACE.plot.svg; '-' for stdout)\n"
	"  --by site          stack the area by the N call sites biggest at the peak\n"
	"  --by thread        stack it by the thread that allocated the bytes\n"
	"  --by allocator     the blocks of each libczalloc allocator or annotated pool\n"
	"                     (inside the heap they came from), stacked\n"
	"  -n, --limit N      series before the rest is summed as 'other' (default 8,\n"
	"                     at most 16)\n" REPORT_USAGE_ALLOC_FN REPORT_USAGE_DB;

#define COLS 600
#define W 1000
#define LEFT 80
#define RIGHT 20
#define TOP 50
#define PLOT_H 360      /* the chart area */
#define AXIS_ROOM 50    /* tick labels and the axis title under the chart */
#define LEGEND_ROW 16
#define MAX_SERIES 16

enum { BY_NONE, BY_SITE, BY_THREAD, BY_ALLOCATOR };

struct series {
	char name[REPORT_NAME_MAX];
	uint64_t at_peak;    /* site, thread: bytes live at the peak; allocator: its own peak */
	double level[COLS];  /* live bytes at the end of each slice */
};

struct plot_args {
	const char *output;
	int by;
};

static int plot_option(void *ctx, int argc, char **argv, int *i)
{
	static const char *const by_names[] = { [BY_SITE] = "site", [BY_THREAD] = "thread",
						[BY_ALLOCATOR] = "allocator" };
	struct plot_args *a = ctx;
	const char *arg = argv[*i];
	if (strcmp(arg, "-o") && strcmp(arg, "--output") && strcmp(arg, "--by"))
		return 0;
	if (++*i == argc)
		return cz_error("plot: %s needs a value", arg);
	if (strcmp(arg, "--by")) {
		a->output = argv[*i];
		return 1;
	}
	for (int k = BY_SITE; k <= BY_ALLOCATOR; k++)
		if (!strcmp(argv[*i], by_names[k])) {
			a->by = k;
			return 1;
		}
	return cz_error("plot: --by takes site, thread or allocator");
}

static int table_exists(sqlite3 *db, const char *name)
{
	sqlite3_stmt *q;
	int yes = 0;
	if (!sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE name = ?", -1, &q, NULL)) {
		sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
		yes = sqlite3_step(q) == SQLITE_ROW;
		sqlite3_finalize(q);
	}
	return yes;
}

/* The slice an event time falls in. */
static size_t column(uint64_t t, uint64_t duration)
{
	size_t c = (size_t)((double)t / (double)duration * (COLS - 1));
	return c < COLS ? c : COLS - 1;
}

/* ---- the stacked series ---- */

/* A key (stack, thread id or allocator id) and the group (series name)
 * it belongs to. */
struct keygroup {
	uint64_t key;
	long group;
};

static int by_key(const void *a, const void *b)
{
	const struct keygroup *x = a, *y = b;
	return (x->key > y->key) - (x->key < y->key);
}

struct grouping {
	struct strmap names;     /* group -> series name */
	uint64_t *at_peak;       /* per group */
	struct keygroup *keys;   /* sorted by key */
	size_t n_keys, cap_keys, cap_groups;
};

/* Groups biggest at the peak first, ties by name (qsort_r, ctx the grouping). */
static int by_at_peak(const void *a, const void *b, void *ctx)
{
	const struct grouping *g = ctx;
	long x = *(const long *)a, y = *(const long *)b;
	if (g->at_peak[x] != g->at_peak[y])
		return g->at_peak[x] < g->at_peak[y] ? 1 : -1;
	return strcmp(g->names.str[x], g->names.str[y]);
}

/* A key's series name: a call site, a thread, or an allocator. */
static void key_name(sqlite3 *db, struct report_ctx *c, int by, uint64_t key, char *name)
{
	if (by == BY_SITE) {
		report_site(c, key, name);
	} else if (by == BY_THREAD) {
		int main_thread = (uint64_t)report_meta_int(db, "pid") == key;
		snprintf(name, REPORT_NAME_MAX, "thread %llu%s", (unsigned long long)key, main_thread ? " (main)" : "");
	} else {
		sqlite3_stmt *q;
		snprintf(name, REPORT_NAME_MAX, "allocator %llu", (unsigned long long)key);
		if (!sqlite3_prepare_v2(db, "SELECT coalesce(name, kind) || ' (' || kind || ')' FROM allocators WHERE id = ?",
					-1, &q, NULL)) {
			sqlite3_bind_int64(q, 1, (sqlite3_int64)key);
			if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0))
				snprintf(name, REPORT_NAME_MAX, "%s", (const char *)sqlite3_column_text(q, 0));
			sqlite3_finalize(q);
		}
	}
}

static int grouping_add(struct grouping *g, const char *name, uint64_t key, uint64_t at_peak)
{
	long group = strmap_intern(&g->names, name);
	if (group < 0)
		return -1;
	if (array_reserve((void **)&g->at_peak, &g->cap_groups, (size_t)group, sizeof(*g->at_peak)))
		return -1;
	g->at_peak[group] += at_peak;
	if (array_reserve((void **)&g->keys, &g->cap_keys, g->n_keys, sizeof(*g->keys)))
		return -1;
	g->keys[g->n_keys++] = (struct keygroup){ key, group };
	return 0;
}

static void grouping_free(struct grouping *g)
{
	strmap_free(&g->names);
	free(g->at_peak);
	free(g->keys);
}

/* Every key with its group, from the query of (key, bytes at the peak). */
static int group_keys(sqlite3 *db, int by, struct grouping *g)
{
	static const char *const pick[] = {
		[BY_SITE] = "SELECT stack, peak_bytes FROM stack_totals WHERE allocations > 0",
		[BY_ALLOCATOR] = "SELECT id, peak_bytes FROM allocators WHERE allocations > 0",
		[BY_THREAD] = "SELECT tid, sum(at_peak) FROM (SELECT tid, size AS at_peak FROM allocations "
			      "WHERE alloc_seq <= (SELECT value FROM meta WHERE key = 'peak_seq') AND (free_seq IS NULL "
			      "OR free_seq > (SELECT value FROM meta WHERE key = 'peak_seq')) "
			      "UNION ALL SELECT tid, 0 FROM threads) GROUP BY tid",
	};
	struct report_ctx *c = report_ctx_new(db);
	sqlite3_stmt *q;
	if (!c)
		return -1;
	if (sqlite3_prepare_v2(db, pick[by], -1, &q, NULL)) {
		report_ctx_free(c);
		return cz_error("database: %s", sqlite3_errmsg(db));
	}
	int rc = 0;
	char name[REPORT_NAME_MAX];
	while (!rc && sqlite3_step(q) == SQLITE_ROW) {
		uint64_t key = (uint64_t)sqlite3_column_int64(q, 0);
		key_name(db, c, by, key, name);
		if (grouping_add(g, name, key, (uint64_t)sqlite3_column_int64(q, 1)))
			rc = cz_error("out of memory");
	}
	sqlite3_finalize(q);
	report_ctx_free(c);
	if (g->n_keys > 1)
		qsort(g->keys, g->n_keys, sizeof(*g->keys), by_key);
	return rc;
}

/*
 * The series: the `limit` groups biggest at the peak, then "other" (the
 * rest).  Each allocation row adds its size from its allocation's slice to
 * its free's.  *out (caller frees) gets *n_out series; none when the trace
 * has no key of that kind.
 */
static int fill_series(sqlite3 *db, int by, int limit, uint64_t duration, struct series **out, int *n_out)
{
	static const char *const rows[] = {
		[BY_SITE] = "SELECT stack, size, alloc_time, free_time FROM allocations",
		[BY_THREAD] = "SELECT tid, size, alloc_time, free_time FROM allocations",
		[BY_ALLOCATOR] = "SELECT allocator, size, alloc_time, free_time FROM cz_blocks",
	};
	struct grouping g = { 0 };
	long *order = NULL, *series_of = NULL;
	double *delta = NULL;
	struct series *s = NULL;
	sqlite3_stmt *q = NULL;
	int rc = -1;
	*out = NULL;
	*n_out = 0;
	if (group_keys(db, by, &g))
		goto out;
	if (!g.n_keys) {
		rc = 0;
		goto out;
	}
	size_t groups = g.names.n;
	order = malloc(groups * sizeof(*order));
	series_of = malloc(groups * sizeof(*series_of));
	if (!order || !series_of)
		goto oom;
	for (size_t i = 0; i < groups; i++)
		order[i] = (long)i;
	qsort_r(order, groups, sizeof(*order), by_at_peak, &g);
	int n = (int)groups < limit ? (int)groups : limit;
	s = calloc((size_t)n + 1, sizeof(*s));
	delta = calloc((size_t)(n + 1) * COLS, sizeof(*delta));
	if (!s || !delta)
		goto oom;
	for (size_t i = 0; i < groups; i++) {
		int k = (int)i < n ? (int)i : n;
		series_of[order[i]] = k;
		s[k].at_peak += g.at_peak[order[i]];
		if (k < n)
			snprintf(s[k].name, sizeof(s[k].name), "%s", g.names.str[order[i]]);
	}
	snprintf(s[n].name, sizeof(s[n].name), "other");
	if (sqlite3_prepare_v2(db, rows[by], -1, &q, NULL)) {
		rc = cz_error("database: %s", sqlite3_errmsg(db));
		goto out;
	}
	while (sqlite3_step(q) == SQLITE_ROW) {
		struct keygroup want = { (uint64_t)sqlite3_column_int64(q, 0), 0 };
		const struct keygroup *kg = bsearch(&want, g.keys, g.n_keys, sizeof(want), by_key);
		double *d = delta + (size_t)(kg ? series_of[kg->group] : n) * COLS;
		double size = (double)sqlite3_column_int64(q, 1);
		d[column((uint64_t)sqlite3_column_int64(q, 2), duration)] += size;
		if (sqlite3_column_type(q, 3) != SQLITE_NULL)
			d[column((uint64_t)sqlite3_column_int64(q, 3), duration)] -= size;
	}
	for (int i = 0; i <= n; i++) {
		double level = 0;
		for (int k = 0; k < COLS; k++) {
			level += delta[(size_t)i * COLS + k];
			s[i].level[k] = level > 0 ? level : 0;
		}
	}
	*out = s;
	*n_out = n + 1;
	s = NULL;
	rc = 0;
	goto out;
oom:
	rc = cz_error("out of memory");
out:
	sqlite3_finalize(q);
	free(s);
	free(delta);
	free(order);
	free(series_of);
	grouping_free(&g);
	return rc;
}

/* ---- drawing ---- */

/* One colour per series (MAX_SERIES of them), neighbours far apart; "other"
 * is grey. */
static const char *const palette[MAX_SERIES] = {
	"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
	"#9c755f", "#2f4b7c", "#bcbd22", "#17becf", "#8c564b", "#d4a6c8", "#86bcb6", "#f1ce63",
};
#define OTHER_COLOUR "#bab0ac"

struct chart {
	FILE *f;
	uint64_t duration;
	double ymax, ystep, unit, xstep;
	const char *uname;
	int height;
};

static double cx(const struct chart *ch, double t)
{
	return LEFT + t / (double)ch->duration * (W - LEFT - RIGHT);
}

static double cy(const struct chart *ch, double v)
{
	return TOP + PLOT_H - v / ch->ymax * PLOT_H;
}

/* The time at the end of slice k. */
static double col_time(const struct chart *ch, int k)
{
	return (double)k / (COLS - 1) * (double)ch->duration;
}

static void draw_frame(const struct chart *ch, const char *title)
{
	FILE *f = ch->f;
	char lab[32], cut[256];
	svg_begin(f, W, ch->height,
		  "text { font-family: Verdana, sans-serif; font-size: 12px; fill: #222; }"
		  " .axis { stroke: #444; } .grid { stroke: #ddd; } #title { font-size: 16px; }",
		  "#fff");
	fprintf(f, "<text id=\"title\" x=\"%d\" y=\"24\" text-anchor=\"middle\">live heap - ", W / 2);
	svg_escape(f, svg_fit(cut, sizeof(cut), title, (W - 2 * RIGHT) * 12.0 / 16.0 - 80));
	fputs("</text>\n", f);
	for (double v = 0; v <= ch->ymax * (1 + 1e-9); v += ch->ystep)
		fprintf(f, "<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>"
			   "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
			LEFT, cy(ch, v), W - RIGHT, cy(ch, v), LEFT - 6, cy(ch, v) + 4, svg_bytes_label(v, lab));
	for (double t = 0; t <= (double)ch->duration * (1 + 1e-9); t += ch->xstep)
		fprintf(f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>"
			   "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
			cx(ch, t), TOP, cx(ch, t), TOP + PLOT_H, cx(ch, t), TOP + PLOT_H + 18,
			svg_time_label(t, ch->unit, ch->uname, lab));
	fprintf(f, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>"
		   "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n"
		   "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">time (%s)</text>\n"
		   "<text x=\"16\" y=\"%d\" text-anchor=\"middle\" transform=\"rotate(-90 16 %d)\">live bytes</text>\n",
		LEFT, TOP + PLOT_H, W - RIGHT, TOP + PLOT_H, LEFT, TOP, LEFT, TOP + PLOT_H,
		LEFT + (W - LEFT - RIGHT) / 2, TOP + PLOT_H + 38, ch->uname, TOP + PLOT_H / 2, TOP + PLOT_H / 2);
}

/* The total as a filled area (alone) or as a line over the stacked areas. */
static void draw_total(const struct chart *ch, const double *total, int filled)
{
	FILE *f = ch->f;
	if (filled)
		fprintf(f, "<path fill=\"#4e79a7\" fill-opacity=\"0.35\" stroke=\"#4e79a7\" stroke-width=\"1.5\" "
			   "d=\"M%.1f %.1f", cx(ch, 0), cy(ch, 0));
	else
		fprintf(f, "<path fill=\"none\" stroke=\"#222\" stroke-width=\"1\" d=\"M%.1f %.1f", cx(ch, 0),
			cy(ch, total[0]));
	for (int k = 0; k < COLS; k++)
		fprintf(f, " L%.1f %.1f", cx(ch, col_time(ch, k)), cy(ch, total[k]));
	if (filled)
		fprintf(f, " L%.1f %.1f Z", cx(ch, (double)ch->duration), cy(ch, 0));
	fputs("\"><title>all live bytes</title></path>\n", f);
}

/* A series' figure for its hover and legend text: "- 1.5 KiB at the peak". */
static void series_figure(const struct series *s, int by, char *buf)
{
	char size[32];
	svg_bytes_label((double)s->at_peak, size);
	snprintf(buf, 64, by == BY_ALLOCATOR ? "- peak %s" : "- %s at the peak", size);
}

static void draw_stacked(const struct chart *ch, const struct series *s, int ns, int by)
{
	FILE *f = ch->f;
	static double base[COLS];
	memset(base, 0, sizeof(base));
	for (int i = 0, shown = 0; i < ns; i++) {
		double most = 0;
		for (int k = 0; k < COLS; k++)
			most = s[i].level[k] > most ? s[i].level[k] : most;
		if (i == ns - 1 && most == 0 && s[i].at_peak == 0)
			break; /* an empty "other" */
		const char *col = i == ns - 1 ? OTHER_COLOUR : palette[i % MAX_SERIES];
		fprintf(f, "<path fill=\"%s\" fill-opacity=\"0.8\" stroke=\"%s\" d=\"M%.1f %.1f", col, col, cx(ch, 0),
			cy(ch, base[0] + s[i].level[0]));
		for (int k = 1; k < COLS; k++)
			fprintf(f, " L%.1f %.1f", cx(ch, col_time(ch, k)), cy(ch, base[k] + s[i].level[k]));
		for (int k = COLS - 1; k >= 0; k--)
			fprintf(f, " L%.1f %.1f", cx(ch, col_time(ch, k)), cy(ch, base[k]));
		char fig[64], cut[REPORT_NAME_MAX];
		series_figure(&s[i], by, fig);
		fputs(" Z\"><title>", f);
		svg_escape(f, s[i].name);
		fputc(' ', f);
		svg_escape(f, fig);
		fputs("</title></path>\n", f);
		for (int k = 0; k < COLS; k++)
			base[k] += s[i].level[k];
		/* its legend entry: two columns under the axis title */
		double colw = (W - LEFT - RIGHT) / 2.0;
		double lx = LEFT + (shown % 2) * colw, ly = TOP + PLOT_H + AXIS_ROOM + 16 + (shown / 2) * LEGEND_ROW;
		fprintf(f, "<rect x=\"%.0f\" y=\"%.0f\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"%.0f\" y=\"%.0f\">",
			lx, ly - 9, col, lx + 14, ly);
		svg_escape(f, svg_fit(cut, sizeof(cut), s[i].name, colw - 24 - SVG_CHAR_W * (double)(strlen(fig) + 1)));
		fputs(" <tspan>", f); /* the name is the text's own, the figure a part of it */
		svg_escape(f, fig);
		fputs("</tspan></text>\n", f);
		shown++;
	}
}

static void draw_peak(const struct chart *ch, uint64_t peak, uint64_t peak_time)
{
	char pk[32], pt[32];
	svg_bytes_label((double)peak, pk);
	svg_time_label((double)peak_time, ch->unit, ch->uname, pt);
	double px = cx(ch, (double)peak_time), py = cy(ch, (double)peak);
	int right = px > LEFT + (W - LEFT - RIGHT) * 0.7; /* label on the side with room */
	fprintf(ch->f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%d\" stroke=\"#d62728\" stroke-dasharray=\"3 3\"/>"
		       "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"#d62728\"/>"
		       "<text id=\"peak\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" style=\"font-weight: bold\">"
		       "peak %s at %s</text>\n",
		px, py, px, TOP + PLOT_H, px, py, right ? px - 8 : px + 8, py - 8 < TOP + 12 ? TOP + 12 : py - 8,
		right ? "end" : "start", pk, pt);
}

int cmd_plot(int argc, char **argv)
{
	struct plot_args a = { 0 };
	struct report_opts o;
	int pr = report_parse(argc, argv, usage, REPORT_OPT_LIMIT | REPORT_OPT_SITES, plot_option, &a, &o);
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
	struct chart ch = { .duration = (uint64_t)report_meta_int(db, "duration_ns") };
	uint64_t peak = (uint64_t)report_meta_int(db, "peak_bytes");
	uint64_t peak_time = (uint64_t)report_meta_int(db, "peak_time");
	if (!ch.duration)
		ch.duration = 1;
	static double total[COLS];
	report_timeline(db, ch.duration, COLS, total);
	struct series *s = NULL;
	int ns = 0;
	if (a.by == BY_ALLOCATOR && !table_exists(db, "allocators")) {
		cz_warning("plot: this trace's database has no allocators table; drawing the total only");
	} else if (a.by != BY_NONE) {
		if (fill_series(db, a.by, o.limit, ch.duration, &s, &ns)) {
			sqlite3_close(db);
			return 1;
		}
		if (!ns)
			cz_warning("plot: %s", a.by == BY_ALLOCATOR ? "no libczalloc allocator or annotated pool in this "
								      "trace; drawing the total only"
								    : "nothing to stack; drawing the total only");
	}
	/* the scales: the bytes axis holds the peak and the stacked areas */
	double top = (double)peak;
	for (int k = 0; k < COLS && ns; k++) {
		double sum = 0;
		for (int i = 0; i < ns; i++)
			sum += s[i].level[k];
		top = sum > top ? sum : top;
	}
	ch.ymax = top > 0 ? top * 1.08 : 1024;
	ch.ystep = svg_nice_step(ch.ymax, 5, 1024);
	ch.ymax = ceil(ch.ymax / ch.ystep) * ch.ystep;
	ch.unit = svg_time_unit(ch.duration, &ch.uname);
	ch.xstep = svg_nice_step((double)ch.duration / ch.unit, 8, 10) * ch.unit;
	int legend_rows = (ns + 1) / 2;
	ch.height = TOP + PLOT_H + AXIS_ROOM + (ns ? 12 + legend_rows * LEGEND_ROW : 0) + 10;

	struct outfile out;
	int rc = outfile_open(&out, a.output);
	if (!rc) {
		ch.f = out.f;
		char title[REPORT_NAME_MAX];
		char *cmd = tracedb_meta_text(db, "cmdline");
		snprintf(title, sizeof(title), "%s", cmd ? cmd : o.trace);
		free(cmd);
		draw_frame(&ch, title);
		if (ns) {
			draw_stacked(&ch, s, ns, a.by);
			draw_total(&ch, total, 0);
		} else {
			draw_total(&ch, total, 1);
		}
		draw_peak(&ch, peak, peak_time);
		svg_end(ch.f);
		rc = outfile_close(&out, 1);
	}
	free(s);
	sqlite3_close(db);
	if (!rc && !out.is_stdout)
		fprintf(stderr, "czprof: plot -> %s\n", a.output);
	return rc ? 1 : 0;
}
