/*
 * cmd_check.c - `czprof check`: a trace's figures against budgets, for CI
 * (exit 1 when one is exceeded).  The budgets themselves are budgets.c's,
 * shared with `czprof record`.
 */
#include <stdio.h>
#include <string.h>

#include "cli/budgets.h"
#include "cli/commands.h"
#include "cli/report.h"

static const char usage_head[] =
	"usage: czprof check [--json] [--max-peak SIZE] [--max-leaked SIZE] [--max-allocs N]\n"
	"                    [--max-temporary N] [--max-errors N] [--junit FILE] TRACE\n\n"
	"Compares a trace's figures with budgets and prints each beside its limit.\n"
	"Exits 1 when any budget is exceeded or the trace is incomplete, 0 otherwise\n"
	"(2 on a usage error).  'czprof record --max-peak ...' checks the trace it\n"
	"has just written.\n\n"
	"  --json               machine-readable output\n"
	"  --db PATH            the trace's database (default TRACE.db; see 'czprof load')\n";

static int extra(void *ctx, int argc, char **argv, int *i)
{
	return budgets_option(ctx, argc, argv, i);
}

int cmd_check(int argc, char **argv)
{
	char usage[sizeof(usage_head) + 1024];
	snprintf(usage, sizeof(usage), "%s%s", usage_head, budgets_usage);
	struct budgets b;
	memset(&b, 0, sizeof(b));
	struct report_opts o;
	int pr = report_parse(argc, argv, usage, REPORT_OPT_JSON, extra, &b, &o);
	if (pr)
		return pr == REPORT_ARGS_HELP ? 0 : 2;
	return budgets_check(o.trace, &b, stdout, o.json, 1);
}
