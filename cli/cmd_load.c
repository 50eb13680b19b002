/*
 * cmd_load.c - `czprof load`: builds a trace's SQLite database now.  The
 * reports do this themselves when the database is missing or stale.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/commands.h"
#include "cli/dbpath.h"
#include "cli/docpath.h"
#include "cli/tracedb.h"
#include "cli/util.h"

static const char usage[] =
	"usage: czprof load [--db DB] [--times] TRACE\n\n"
	"Reads TRACE once into an SQLite database (default TRACE.db) that every report\n"
	"and 'czprof sql' use (its schema: see the end).  Reports build it\n"
	"themselves when it is missing or older than the trace; load always\n"
	"rebuilds it.  When TRACE's folder cannot be written, the database goes to\n"
	"$XDG_CACHE_HOME/czprof/ (~/.cache/czprof/), or else into memory, and a\n"
	"line says where.  A file that is not a czprof database is never\n"
	"overwritten.\n\n"
	"  --db DB, -o DB    write the database to DB (reports take --db DB too)\n"
	"      --times       print how long each step of the load took\n";

int cmd_load(int argc, char **argv)
{
	const char *trace = NULL, *out = NULL;
	int verbose = 1;
	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			char doc[PATH_MAX];
			fputs(usage, stdout);
			printf("\nThe database's schema: %s\n", cli_doc_path("SCHEMA.md", "cli/SCHEMA.md", doc, sizeof(doc)));
			return 0;
		} else if (!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output") || !strcmp(argv[i], "--db")) {
			if (++i == argc || !*argv[i])
				return cli_error("load: %s needs a file name", argv[i - 1]), 2;
			out = argv[i];
		} else if (!strncmp(argv[i], "--db=", 5) && argv[i][5]) {
			out = argv[i] + 5;
		} else if (!strcmp(argv[i], "--times")) {
			verbose = 2;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return cli_error("load: unknown option '%s'", argv[i]), 2;
		} else if (!trace) {
			trace = argv[i];
		} else {
			return cli_error("load: one trace at a time"), 2;
		}
	}
	if (!trace) {
		fputs(usage, stderr);
		return 2;
	}
	char db[PATH_MAX];
	if (out)
		dbpath_choose(trace, out);
	int chosen = tracedb_where(trace, db, sizeof(db));
	if (chosen < 0)
		return 1;
	out = db;
	if (!chosen && !dbpath_dir_writable(db)) {
		char elsewhere[PATH_MAX];
		if (dbpath_fallback(trace, db, elsewhere, sizeof(elsewhere)))
			return cli_error("'%s': path too long", trace), 1;
		/* a report would load it into memory itself: nothing to keep */
		if (dbpath_is_memory(elsewhere))
			return cli_error("load: nothing written: name a database with --db"), 1;
		snprintf(db, sizeof(db), "%s", elsewhere);
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (tracedb_load(trace, out, verbose))
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fprintf(stderr, "czprof: wrote '%s' in %.2f s\n", out,
		(double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	return 0;
}
