/*
 * main.c - `czprof`: the subcommand table and dispatch.
 */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/tracedb.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "record", cmd_record, "run a program and record its allocations to a trace" },
	{ "leaks", cmd_leaks, "blocks never freed, by call site" },
	{ "errors", cmd_errors, "invalid and double frees, new/free mismatches, with their stacks" },
	{ "peak", cmd_peak, "when the heap peaked and who held it" },
	{ "stats", cmd_stats, "summary figures: calls, bytes, sizes, threads" },
	{ "arenas", cmd_arenas, "every arena and allocator: lifetime, footprint, waste" },
	{ "hotspots", cmd_hotspots, "call sites by number of allocations" },
	{ "temporary", cmd_temporary, "allocations freed right away, by call site" },
	{ "flamegraph", cmd_flamegraph, "stacks as an interactive SVG flame graph, or folded text" },
	{ "plot", cmd_plot, "live heap over time as an SVG chart" },
	{ "export", cmd_export, "the trace as pprof, massif, speedscope or JSON" },
	{ "diff", cmd_diff, "what changed between two traces, by call site" },
	{ "top", cmd_top, "live view of a running program's heap (ncurses)" },
	{ "faults", cmd_faults, "fail each allocation call site in turn: what the program does" },
	{ "check", cmd_check, "a trace's figures against budgets, for CI (exit 1 when over)" },
	{ "sql", cmd_sql, "run SQL against the trace's database (read-only)" },
	{ "load", cmd_load, "build the trace's SQLite database (reports do it when needed)" },
	{ "dump", cmd_dump, "list every record of a trace (format debugging)" },
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct command *find(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: czprof COMMAND [ARGS...]\n"
		   "       czprof record [-o FILE] [--] PROG [ARGS...]\n"
		   "       czprof leaks TRACE\n"
		   "       czprof top [--] PROG [ARGS...]\n\n"
		   "An allocation profiler: records every malloc and free of a program with\n"
		   "its stack, then answers questions about the trace.\n\n"
		   "options:\n"
		   "  -h, --help     this text\n"
		   "  -V, --version  print czprof's version\n\n"
		   "commands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %-10s  %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'czprof help COMMAND' or 'czprof COMMAND --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *name = argv[1];
	if (!strcmp(name, "-h") || !strcmp(name, "--help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(name, "-V") || !strcmp(name, "--version")) {
		printf("czprof %s\n", CZPROF_VERSION);
		return 0;
	}
	if (!strcmp(name, "help")) {
		if (argc < 3) {
			usage(stdout);
			return 0;
		}
		const struct command *c = find(argv[2]);
		if (!c) {
			fprintf(stderr, "czprof: unknown command '%s' (see 'czprof --help')\n", argv[2]);
			return 2;
		}
		char *help_argv[] = { (char *)c->name, "--help", NULL };
		return c->fn(2, help_argv);
	}
	const struct command *c = find(name);
	if (!c) {
		fprintf(stderr, "czprof: unknown command '%s' (see 'czprof --help')\n", name);
		return 2;
	}
	tracedb_watch();
	return tracedb_checked(c->fn(argc - 1, argv + 1));
}
