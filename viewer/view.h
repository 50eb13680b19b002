/*
 * view.h - lays out what `czprof top` shows as lines of text, from the live
 * model and the names: the header, the memory chart and a table (call
 * sites, threads, arenas or leaks).  The curses screen (screen.c) draws
 * these lines; --batch prints them.  No terminal code here, so the layout
 * is tested without one.
 */
#ifndef CZPROF_VIEWER_VIEW_H
#define CZPROF_VIEWER_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "viewer/live.h"
#include "viewer/names.h"

enum view_mode { VIEW_SITES, VIEW_THREADS, VIEW_ARENAS, VIEW_LEAKS };
enum view_sort { SORT_LIVE_BYTES, SORT_LIVE_BLOCKS, SORT_ALLOCS, SORT_RATE, SORT_COUNT };

enum view_attr {
	VIEW_PLAIN = 0,
	VIEW_TITLE = 1,    /* header lines */
	VIEW_HEADING = 2,  /* column headings, key bar */
	VIEW_SELECTED = 4, /* the selected row */
	VIEW_CHART = 8,
	VIEW_DIM = 16,     /* an expanded stack */
};

#define VIEW_LINE_MAX 1024

struct view_line {
	char text[VIEW_LINE_MAX]; /* UTF-8, at most width columns */
	int attr;
};

/* One call site, folded from the stacks whose site it is. */
struct view_site {
	long site;                  /* names_site number */
	uint64_t live_bytes, live_blocks, allocs;
	uint64_t lost_bytes, lost_blocks; /* definitely and indirectly lost at exit */
	uint64_t top_stack;         /* the stack holding most of its bytes */
	uint64_t top_stack_bytes;
	double rate;                /* allocations/s over the last tick */
	int trend;                  /* +1 growing, -1 shrinking, 0 flat */
};

/* What the header shows about the session (filled by the caller). */
struct view_info {
	const char *command;  /* the recorded command line */
	uint64_t pid;
	const char *status;   /* "running", "exited 0", "replay 4x", "paused"... */
	uint64_t trace_bytes;
	uint64_t lag_ns;      /* how far the view is behind the newest event */
	uint64_t lost;        /* events the recorder lost */
	const char *warning;  /* NULL or a line to show (damaged trace...) */
	int over;             /* the program is gone (exited, killed, or the trace
			       * ended): no thread is live any more */
};

struct view {
	enum view_mode mode;
	enum view_sort sort;
	char filter[128];  /* substring of function/file/module; "" = all */
	int selected;      /* row of the table */
	long open_site;    /* 1 + names_site number of the site whose stack is
			    * shown (it stays with that site when the selection
			    * moves); 0: none */
	int utf8;          /* block characters for the chart */
	int help;          /* show the key help instead of the table */

	/* filled by view_tick */
	int kinds_known;   /* the model's leak kinds are known: leaks are the lost */
	struct view_site *sites;
	size_t n_sites, cap_sites;
	uint64_t rate_allocs, rate_frees; /* per second, last tick */

	/* private: state of the previous tick, by site number */
	uint64_t *prev_allocs, *prev_live;
	size_t n_prev, cap_prev_allocs, cap_prev_live;
	uint64_t prev_time, prev_total_allocs, prev_total_frees;
	int ticked;
};

/* Zeroes v with defaults.  view_free releases what ticks allocated. */
void view_init(struct view *v, int utf8);
void view_free(struct view *v);

/* Folds the model's stacks into sites and computes rates and trends since
 * the previous tick.  Call once per refresh interval.  Rates are 0 once
 * the program has ended, and when no trace time passed since the previous
 * tick: nothing was allocated meanwhile. */
void view_tick(struct view *v, struct live_model *m, struct names *n);

/*
 * Lays out a screen of width x height (height 0: as many lines as the
 * content needs, for --batch) into lines[0..max).  Returns the number of
 * lines written.  Sorting and filtering follow v.
 */
int view_render(struct view *v, struct live_model *m, struct names *n,
		const struct view_info *info, int width, int height,
		struct view_line *lines, int max);

/* Rows in the current table (to bound the selection). */
int view_rows(struct view *v, struct live_model *m, struct names *n);

/* Enter: shows the stack of the selected site, or hides it when it is the
 * one shown.  Nothing in the threads and arenas tables. */
void view_toggle_stack(struct view *v, struct names *n);

#endif
