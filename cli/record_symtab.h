/*
 * record_symtab.h - what `czprof record` does to a trace after the program
 * ended: cut a partial last chunk, append the symbol table (SYMBOLS chunks)
 * and the footer (process end + summary), so the trace analyses anywhere.
 */
#ifndef CZ_RECORD_SYMTAB_H
#define CZ_RECORD_SYMTAB_H

#include <stdint.h>

struct symtab_result {
	uint64_t events, stack_nodes, end_time, size;
	uint64_t symbols, unresolved; /* ips with and without a function name */
	int cut;                      /* a partial last chunk was removed */
};

/* how/value: CZT_END_EXIT + status or CZT_END_SIGNAL + signal number.
 * Prints its own warnings; returns 0, or -1 after printing an error (the
 * recorded events are left as they were). */
int symtab_finish_trace(const char *path, unsigned how, uint64_t value,
			struct symtab_result *res);

#endif
