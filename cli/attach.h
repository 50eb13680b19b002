/*
 * attach.h - loading the recorder into a running process and starting or
 * stopping it there, through ptrace (attach.c).  x86_64 only.
 *
 * Each call stops every thread of the process (PTRACE_SEIZE and
 * PTRACE_INTERRUPT), picks one that holds none of the runtime's locks,
 * lets the others go on, makes that thread call a function of the
 * process (dlopen from its own libc, then the recorder's entry point),
 * puts back every register it had, and detaches.  A thread stopped in a
 * system call gets it back as it was: the kernel restarts it as if it had
 * never been interrupted.  A signal that arrived meanwhile is delivered
 * when the thread is let go.  On any failure the process is left as it
 * was, and one error line is printed.
 */
#ifndef CZPROF_CLI_ATTACH_H
#define CZPROF_CLI_ATTACH_H

#include "cli/attach_proc.h"

/* Timings of one call, in milliseconds. */
struct attach_times {
	double total;   /* from the first stop to the last detach */
	double stopped; /* the longest any thread of the process was stopped */
};

/* Loads lib (once: a later call finds it loaded) and starts recording to
 * trace, a file the process can open.  0, or -1 after printing why. */
int attach_start(const struct attach_target *t, const char *lib, const char *trace,
		 struct attach_times *tm);

/* Stops recording (the trace's last events are written when it returns)
 * and puts the program's calls back to libc.  0, or -1 after printing why. */
int attach_stop(const struct attach_target *t, const char *lib, struct attach_times *tm);

#endif
