/*
 * cmd_plot.c - `czprof plot`: live heap bytes over time as an SVG chart,
 * the peak marked, optionally stacked by the biggest call sites, threads
 * or libczalloc allocators.  This file gathers the figures; the picture
 * is cli/render/plot_svg.c's.
 *
 * The run is cut into PLOT_COLS equal slices.  The total line is the highest
 * point of each slice (from the timeline table, so the peak shows); a
 * stacked series is its live bytes at the end of each slice, from the
 * allocation rows, so blocks born and freed inside one slice do not show
 * in the areas, only in the line above them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/outfile.h"
#include "cli/render/plot_svg.h"
#include "cli/report.h"
#include "lib/base/strmap.h"
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

enum { BY_NONE, BY_SITE, BY_THREAD, BY_ALLOCATOR };

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
		return cli_error("plot: %s needs a value", arg);
	if (strcmp(arg, "--by")) {
		a->output = argv[*i];
		return 1;
	}
	for (int k = BY_SITE; k <= BY_ALLOCATOR; k++)
		if (!strcmp(argv[*i], by_names[k])) {
			a->by = k;
			return 1;
		}
	return cli_error("plot: --by takes site, thread or allocator");
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
	size_t c = (size_t)((double)t / (double)duration * (PLOT_COLS - 1));
	return c < PLOT_COLS ? c : PLOT_COLS - 1;
}

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
		return cli_error("database: %s", sqlite3_errmsg(db));
	}
	int rc = 0;
	char name[REPORT_NAME_MAX];
	while (!rc && sqlite3_step(q) == SQLITE_ROW) {
		uint64_t key = (uint64_t)sqlite3_column_int64(q, 0);
		key_name(db, c, by, key, name);
		if (grouping_add(g, name, key, (uint64_t)sqlite3_column_int64(q, 1)))
			rc = cli_error("out of memory");
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
static int fill_series(sqlite3 *db, int by, int limit, uint64_t duration, struct plot_series **out, int *n_out)
{
	static const char *const rows[] = {
		[BY_SITE] = "SELECT stack, size, alloc_time, free_time FROM allocations",
		[BY_THREAD] = "SELECT tid, size, alloc_time, free_time FROM allocations",
		[BY_ALLOCATOR] = "SELECT allocator, size, alloc_time, free_time FROM cz_blocks",
	};
	struct grouping g = { 0 };
	long *order = NULL, *series_of = NULL;
	double *delta = NULL;
	struct plot_series *s = NULL;
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
	delta = calloc((size_t)(n + 1) * PLOT_COLS, sizeof(*delta));
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
		rc = cli_error("database: %s", sqlite3_errmsg(db));
		goto out;
	}
	while (sqlite3_step(q) == SQLITE_ROW) {
		struct keygroup want = { (uint64_t)sqlite3_column_int64(q, 0), 0 };
		const struct keygroup *kg = bsearch(&want, g.keys, g.n_keys, sizeof(want), by_key);
		double *d = delta + (size_t)(kg ? series_of[kg->group] : n) * PLOT_COLS;
		double size = (double)sqlite3_column_int64(q, 1);
		d[column((uint64_t)sqlite3_column_int64(q, 2), duration)] += size;
		if (sqlite3_column_type(q, 3) != SQLITE_NULL)
			d[column((uint64_t)sqlite3_column_int64(q, 3), duration)] -= size;
	}
	for (int i = 0; i <= n; i++) {
		double level = 0;
		for (int k = 0; k < PLOT_COLS; k++) {
			level += delta[(size_t)i * PLOT_COLS + k];
			s[i].level[k] = level > 0 ? level : 0;
		}
	}
	*out = s;
	*n_out = n + 1;
	s = NULL;
	rc = 0;
	goto out;
oom:
	rc = cli_error("out of memory");
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

int cmd_plot(int argc, char **argv)
{
	struct plot_args a = { 0 };
	struct report_opts o;
	int pr = report_parse(argc, argv, usage, REPORT_OPT_LIMIT | REPORT_OPT_SITES, plot_option, &a, &o);
	if (pr)
		return pr == REPORT_ARGS_HELP ? 0 : 2;
	if (o.limit == 20) /* report_parse's default; a chart reads best with fewer */
		o.limit = 8;
	if (o.limit < 1 || o.limit > PLOT_MAX_SERIES)
		o.limit = o.limit < 1 ? 1 : PLOT_MAX_SERIES;
	char def[4096];
	if (!a.output) {
		snprintf(def, sizeof(def), "%s.plot.svg", o.trace);
		a.output = def;
	}
	sqlite3 *db = tracedb_open(o.trace);
	if (!db)
		return 1;
	uint64_t duration = (uint64_t)report_meta_int(db, "duration_ns");
	if (!duration)
		duration = 1;
	static double total[PLOT_COLS];
	report_timeline(db, duration, PLOT_COLS, total);
	struct plot_series *s = NULL;
	int ns = 0;
	if (a.by == BY_ALLOCATOR && !table_exists(db, "allocators")) {
		cli_warning("plot: this trace's database has no allocators table; drawing the total only");
	} else if (a.by != BY_NONE) {
		if (fill_series(db, a.by, o.limit, duration, &s, &ns)) {
			sqlite3_close(db);
			return 1;
		}
		if (!ns)
			cli_warning("plot: %s", a.by == BY_ALLOCATOR ? "no libczalloc allocator or annotated pool in this "
								      "trace; drawing the total only"
								    : "nothing to stack; drawing the total only");
	}
	char title[REPORT_NAME_MAX];
	char *cmd = tracedb_meta_text(db, "cmdline");
	snprintf(title, sizeof(title), "%s", cmd ? cmd : o.trace);
	free(cmd);
	struct plot p = {
		.title = title,
		.duration = duration,
		.peak = (uint64_t)report_meta_int(db, "peak_bytes"),
		.peak_time = (uint64_t)report_meta_int(db, "peak_time"),
		.total = total,
		.series = s,
		.n_series = ns,
		.own_peaks = a.by == BY_ALLOCATOR,
	};

	struct outfile out;
	int rc = outfile_open(&out, a.output);
	if (!rc) {
		plot_svg_write(out.f, &p);
		rc = outfile_close(&out, 1);
	}
	free(s);
	sqlite3_close(db);
	if (!rc && !out.is_stdout)
		fprintf(stderr, "czprof: plot -> %s\n", a.output);
	return rc ? 1 : 0;
}
