/*
 * cmd_flamegraph.c - `czprof flamegraph`: the trace's stacks as an
 * interactive SVG flame graph, or as folded-stack text for flamegraph.pl,
 * inferno and speedscope.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/outfile.h"
#include "cli/render/flame_svg.h"
#include "cli/render/fold.h"
#include "cli/report.h"
#include "cli/tracedb.h"
#include "cli/util.h"

static const char usage[] =
	"usage: czprof flamegraph [-o FILE] [--metric M] [--folded] TRACE\n\n"
	"Draws every allocation stack as a flame graph: one self-contained SVG that\n"
	"a browser opens (hover for figures, click to zoom, Ctrl-F to search).\n\n"
	"  -o, --output FILE  where to write (default TRACE.svg, or TRACE.folded\n"
	"                     with --folded; '-' for standard output)\n"
	"  --metric M         what a frame's width shows: leaked (bytes never freed,\n"
	"                     the default), peak (bytes live at the peak), allocated\n"
	"                     (all bytes allocated) or count (allocation calls)\n"
	"  --folded           write folded stacks ('root;...;leaf VALUE' per line)\n" REPORT_USAGE_ALLOC_FN REPORT_USAGE_DB;

struct flame_args {
	const char *output;
	int metric, folded;
};

static int flame_option(void *ctx, int argc, char **argv, int *i)
{
	struct flame_args *a = ctx;
	const char *arg = argv[*i];
	if (!strcmp(arg, "--folded")) {
		a->folded = 1;
		return 1;
	}
	if (strcmp(arg, "-o") && strcmp(arg, "--output") && strcmp(arg, "--metric"))
		return 0;
	if (++*i == argc)
		return cli_error("flamegraph: %s needs a value", arg);
	if (!strcmp(arg, "--metric")) {
		if ((a->metric = fold_metric_parse(argv[*i])) < 0)
			return cli_error("flamegraph: --metric takes leaked, peak, allocated or count");
	} else {
		a->output = argv[*i];
	}
	return 1;
}

int cmd_flamegraph(int argc, char **argv)
{
	struct flame_args a = { .metric = FOLD_LEAKED };
	struct report_opts o;
	int pr = report_parse(argc, argv, usage, REPORT_OPT_SITES, flame_option, &a, &o);
	if (pr)
		return pr == REPORT_ARGS_HELP ? 0 : 2;
	char def[4096];
	if (!a.output) {
		snprintf(def, sizeof(def), "%s.%s", o.trace, a.folded ? "folded" : "svg");
		a.output = def;
	}
	sqlite3 *db = tracedb_open(o.trace);
	if (!db)
		return 1;
	struct fold f;
	int rc = fold_collect(db, a.metric, &f);
	struct outfile out;
	if (!rc)
		rc = outfile_open(&out, a.output);
	if (!rc) {
		if (a.folded) {
			fold_write_folded(&f, out.f);
		} else {
			char title[512];
			char *cmd = tracedb_meta_text(db, "cmdline");
			snprintf(title, sizeof(title), "czprof flame graph (%s) - %s", fold_metric_name(a.metric),
				 cmd ? cmd : o.trace);
			free(cmd);
			if (flame_svg_write(&f, title, out.f))
				rc = cli_error("out of memory");
		}
		rc = outfile_close(&out, !rc) ? -1 : rc;
	}
	if (!rc && !out.is_stdout) {
		char total[32];
		if (fold_metric_is_bytes(a.metric))
			cli_human_size(f.total, total);
		else
			snprintf(total, sizeof(total), "%llu", (unsigned long long)f.total);
		fprintf(stderr, "czprof: %s of %zu stacks, %s %s -> %s\n", a.folded ? "folded stacks" : "flame graph",
			f.n, total, fold_metric_name(a.metric), a.output);
	}
	fold_free(&f);
	sqlite3_close(db);
	return rc ? 1 : 0;
}
