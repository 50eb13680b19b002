/*
 * budgets.h - CI budgets on a trace's figures (`czprof check`, and the same
 * flags on `czprof record`): peak, leaked bytes, allocations, temporary
 * allocations and heap errors, each against a limit, printed side by side,
 * as JSON, or as JUnit XML with one testcase per budget.
 */
#ifndef CZPROF_CLI_BUDGETS_H
#define CZPROF_CLI_BUDGETS_H

#include <stdint.h>
#include <stdio.h>

enum budget_id { BUDGET_PEAK, BUDGET_LEAKED, BUDGET_ALLOCS, BUDGET_TEMPORARY, BUDGET_ERRORS, BUDGET_N };

struct budgets {
	uint64_t max[BUDGET_N];
	unsigned set;        /* 1 << enum budget_id for each limit given */
	const char *junit;   /* --junit FILE, or NULL */
};

/* "  --max-peak SIZE ..." lines for a command's usage. */
extern const char budgets_usage[];

/*
 * Takes argv[*i] when it is a budget option (--max-peak SIZE, --max-peak=SIZE,
 * ..., --junit FILE), advancing *i past its value.  Returns 1 when taken, 0
 * when the option is not a budget's, -1 after printing an error.
 */
int budgets_option(struct budgets *b, int argc, char **argv, int *i);

/* Were any limits given? */
static inline int budgets_any(const struct budgets *b) { return b->set != 0 || b->junit; }

enum { BUDGETS_OK = 0, BUDGETS_EXCEEDED = 1, BUDGETS_ERROR = 2 };

/*
 * Loads trace (building its database when needed) and compares its figures
 * with the limits; prints them on out (text, or JSON when json) and writes
 * b->junit.  header: print the report's first line naming the trace.  An
 * incomplete trace fails whatever the limits.  Returns BUDGETS_OK,
 * BUDGETS_EXCEEDED, or BUDGETS_ERROR after printing why.
 */
int budgets_check(const char *trace, const struct budgets *b, FILE *out, int json, int header);

#endif
