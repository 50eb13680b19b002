/*
 * record_attach.h - `czprof record -p PID`: the recording of a process
 * that is already running, from attach to detach (record_attach.c).
 */
#ifndef CZPROF_CLI_RECORD_ATTACH_H
#define CZPROF_CLI_RECORD_ATTACH_H

#include <sys/types.h>

#include "cli/attach_proc.h"

struct symtab_scan;

struct record_attach {
	double secs;          /* the window's length */
	double attach_ms;     /* how long the attach took */
	double detach_ms;     /* and the detach (0: the program ended first) */
	int ended;            /* the program ended while attached */
	struct symtab_scan *follow; /* reading the trace meanwhile (symtab_follow) */
};

/* Checks t (attach_proc_check) was filled for the pid; gives the trace
 * (an absolute path, created empty) to the process's user, attaches,
 * records until SIGINT/SIGTERM/SIGHUP, duration seconds (0: no limit)
 * or the program's end, and detaches.  0, or -1 after printing why (the
 * program then runs on as it was). */
int record_attach(const struct attach_target *t, const char *lib, const char *trace,
		  double duration, struct record_attach *out);

#endif
