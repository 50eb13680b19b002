/*
 * progress.h - the line a long load draws on a terminal: how much of the
 * trace has been read, redrawn in place and erased at the end.  Nothing is
 * drawn when stderr is not a terminal (a pipe, a file, CI logs), nor in
 * the first second: most loads end before anyone would read it.  The line
 * goes once the whole trace is read, and before an error or a warning
 * (cli_error, cli_warning) is printed.
 *
 * One load at a time.  progress_begin and progress_end run on the thread
 * that loads; load_progress may run on another (the loader reads the
 * trace on a thread of its own when it streams), never on two at once.
 */
#ifndef CZPROF_CLI_PROGRESS_H
#define CZPROF_CLI_PROGRESS_H

#include <stdint.h>

/* A load of trace_path starts: the clock of the first second starts.
 * The name is copied.  on 0: no line for this load (one that prints
 * lines of its own while it runs, as `load --times` does). */
void progress_begin(const char *trace_path, int on);

/* done of total bytes of the trace are read.  Called by the loader after
 * each chunk; cheap when there is nothing to draw (one clock read).
 * done == total erases the line. */
void load_progress(uint64_t done, uint64_t total);

/* The load is over (done, failed or restarting for good): the line is
 * erased when one was drawn. */
void progress_end(void);

/* Erases a drawn line, for a signal handler (async-signal-safe). */
void progress_erase_now(void);

#endif
