/*
 * top.h - the loop behind `czprof top`: follow a trace, fold it into the
 * live model and show it, on a curses screen or as plain-text snapshots.
 */
#ifndef CZPROF_VIEWER_TOP_H
#define CZPROF_VIEWER_TOP_H

#include <sys/types.h>

struct sym_site_rules;

struct top_opts {
	const char *trace;   /* the trace to follow (it may not exist yet when writer > 0) */
	pid_t writer;        /* the `czprof record` we started, 0 when none */
	int batch;           /* > 0: print this many snapshots as text and exit */
	int interval_ms;     /* refresh interval */
	double speed;        /* replay speed of a finished trace; 0 = at once */
	int width;           /* batch: line width */
	const char *command; /* what the header names; NULL: from the trace */
	int view, sort;      /* first view (enum view_mode) and site order (enum view_sort) */
	const struct sym_site_rules *site_rules; /* --alloc-fn; NULL: the default rules */
};

/*
 * Whether top_run can show o's view: always in batch, else only on a
 * terminal curses can use.  Called before anything is started or created,
 * so that `czprof top PROG | head` runs nothing.  Returns 0, or 1 after
 * printing one error line.
 */
int top_check_terminal(const struct top_opts *o);

/*
 * Runs until the user quits (interactive), or the snapshots are printed
 * (batch).  When the user quits while writer still runs, the recorded
 * program is interrupted (SIGINT, then SIGKILL after a grace period) and
 * the writer is waited for, so the trace is complete.  Returns the exit
 * status for czprof: 0, or 1 after printing one error line.
 */
int top_run(const struct top_opts *o);

#endif
