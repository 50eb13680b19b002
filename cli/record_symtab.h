/*
 * record_symtab.h - what `czprof record` does to a trace after the program
 * ended: cut a partial last chunk, append the symbol table (SYMBOLS chunks)
 * and the footer (process end + summary), so the trace analyses anywhere.
 */
#ifndef CZPROF_CLI_RECORD_SYMTAB_H
#define CZPROF_CLI_RECORD_SYMTAB_H

#include <stdint.h>

struct symtab_result {
	uint64_t events, stack_nodes, end_time, size;
	uint64_t symbols, unresolved; /* ips with and without a function name */
	int cut;                      /* a partial last chunk was removed */
	uint64_t lost, lost_why, lost_err; /* the recorder's lost records: events, why, errno */
};

struct symtab_scan;

/* Starts reading the trace at path on a thread of its own while the
 * program still runs (the file may not have a header yet), so that
 * symtab_finish_trace has only the tail left to read when it ends.  path
 * must outlive the result, which symtab_finish_trace takes over.  NULL
 * when no thread could be started. */
struct symtab_scan *symtab_follow(const char *path);

/* Stops and frees a follower whose trace will not be finished (NULL: no-op). */
void symtab_follow_cancel(struct symtab_scan *follow);

/* how/value: CZT_END_EXIT + status or CZT_END_SIGNAL + signal number.
 * follow: what symtab_follow returned for path, or NULL to read it all
 * here; freed either way.  Prints its own warnings; returns 0, or -1
 * after printing an error (the recorded events are left as they were). */
int symtab_finish_trace(const char *path, unsigned how, uint64_t value, struct symtab_scan *follow,
			struct symtab_result *res);

#endif
