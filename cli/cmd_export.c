/*
 * cmd_export.c - `czprof export`: the trace in the formats other tools
 * read (the encoders in cli/render/: pprof.h, massif.h, speedscope.h,
 * json.h), written whole or not at all.
 */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/outfile.h"
#include "cli/render/json.h"
#include "cli/render/massif.h"
#include "cli/render/pprof.h"
#include "cli/render/speedscope.h"
#include "cli/report.h"
#include "cli/tracedb.h"
#include "cli/util.h"

static const char usage[] =
	"usage: czprof export --format pprof|massif|speedscope|json [-o FILE] TRACE\n\n"
	"Writes the trace for other tools:\n"
	"  pprof       gzipped protobuf profile (go tool pprof, Pyroscope): samples\n"
	"              alloc_objects, alloc_space, inuse_objects, inuse_space per stack\n"
	"              ('in use' = never freed)\n"
	"  massif      massif.out (ms_print, massif-visualizer): snapshots over time,\n"
	"              the peak one with its tree of call sites\n"
	"  speedscope  speedscope.app JSON: leaked, peak, allocated bytes and calls\n"
	"  json        the summary, per-function, per-thread, size, timeline and\n"
	"              per-stack tables as one JSON document\n\n"
	"  -o, --output FILE   where to write (default TRACE.pb.gz, TRACE.massif,\n"
	"                      TRACE.speedscope.json or TRACE.json; '-' for stdout)\n" REPORT_USAGE_ALLOC_FN REPORT_USAGE_DB;

static const struct {
	const char *name, *suffix;
	int (*write)(sqlite3 *, FILE *);
} formats[] = {
	{ "pprof", "pb.gz", export_pprof },
	{ "massif", "massif", export_massif },
	{ "speedscope", "speedscope.json", export_speedscope },
	{ "json", "json", export_json },
};

struct export_args {
	const char *output;
	int format;
};

static int export_option(void *ctx, int argc, char **argv, int *i)
{
	struct export_args *a = ctx;
	const char *arg = argv[*i];
	if (strcmp(arg, "-o") && strcmp(arg, "--output") && strcmp(arg, "--format") && strcmp(arg, "-f"))
		return 0;
	if (++*i == argc)
		return cli_error("export: %s needs a value", arg);
	if (!strcmp(arg, "-o") || !strcmp(arg, "--output")) {
		a->output = argv[*i];
		return 1;
	}
	for (size_t k = 0; k < sizeof(formats) / sizeof(formats[0]); k++)
		if (!strcmp(argv[*i], formats[k].name)) {
			a->format = (int)k;
			return 1;
		}
	return cli_error("export: --format takes pprof, massif, speedscope or json");
}

int cmd_export(int argc, char **argv)
{
	struct export_args a = { .format = -1 };
	struct report_opts o;
	int pr = report_parse(argc, argv, usage, REPORT_OPT_SITES, export_option, &a, &o);
	if (pr)
		return pr == REPORT_ARGS_HELP ? 0 : 2;
	if (a.format < 0)
		return cli_error("export: --format is needed (pprof, massif, speedscope or json)"), 2;
	char def[4096];
	if (!a.output) {
		snprintf(def, sizeof(def), "%s.%s", o.trace, formats[a.format].suffix);
		a.output = def;
	}
	sqlite3 *db = tracedb_open(o.trace);
	if (!db)
		return 1;
	struct outfile out;
	int rc = outfile_open(&out, a.output);
	if (!rc) {
		rc = formats[a.format].write(db, out.f);
		rc = outfile_close(&out, !rc) ? -1 : rc;
	}
	sqlite3_close(db);
	if (!rc && !out.is_stdout)
		fprintf(stderr, "czprof: %s -> %s\n", formats[a.format].name, a.output);
	return rc ? 1 : 0;
}
