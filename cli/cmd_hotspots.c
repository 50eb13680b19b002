/*
 * cmd_hotspots.c - `czprof hotspots`: call sites by number of allocation
 * calls, every malloc, calloc, realloc... counted (the ranking itself is
 * cli/site_rank.c's, shared with `czprof temporary`).
 */
#include "cli/commands.h"
#include "cli/report.h"
#include "cli/site_rank.h"

static const struct site_rank hotspots = {
	"hotspots",
	"usage: czprof hotspots [--json] [-n N] [--outside-allocators] TRACE\n\n"
	"Call sites by number of allocation calls (every malloc, calloc, realloc...),\n"
	"with the bytes they asked for.\n\n"
	"  --outside-allocators   only the heap calls made outside libczalloc: no frame\n"
	"                         of their stack is the library's (its allocators,\n"
	"                         helpers and reports), so what a program moving to\n"
	"                         allocator injection has left to move\n"
	"  --json                 machine-readable output\n"
	"  -n, --limit N          show at most N sites (default 20; 0 = all)\n" REPORT_USAGE_ALLOC_FN REPORT_USAGE_DB,
	"SELECT stack, allocations, bytes FROM stack_totals",
	"CALLS",
	"",
	1,
};

int cmd_hotspots(int argc, char **argv)
{
	return site_rank_run(&hotspots, argc, argv);
}
