/*
 * cmd_temporary.c - `czprof temporary`: call sites of temporary
 * allocations, blocks freed before the same thread allocated anything else
 * (the loader counts them per stack; the ranking is cli/site_rank.c's,
 * shared with `czprof hotspots`).
 */
#include "cli/commands.h"
#include "cli/report.h"
#include "cli/site_rank.h"

static const struct site_rank temporary = {
	"temporary",
	"usage: czprof temporary [--json] [-n N] TRACE\n\n"
	"Temporary allocations by call site: blocks freed before the same thread made\n"
	"any other allocation, decided by pointer (the block freed is the block most\n"
	"recently allocated).  Often a sign of work a stack buffer could do.\n\n"
	"  --json                 machine-readable output\n"
	"  -n, --limit N          show at most N sites (default 20; 0 = all)\n" REPORT_USAGE_ALLOC_FN REPORT_USAGE_DB,
	"SELECT stack, temporary, temporary_bytes FROM stack_totals WHERE temporary > 0",
	"TEMPORARY",
	"temporary ",
	0,
};

int cmd_temporary(int argc, char **argv)
{
	return site_rank_run(&temporary, argc, argv);
}
