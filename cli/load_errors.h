/*
 * load_errors.h - the heap_errors table (SCHEMA.md), from the errors the
 * analysis found (lib/analysis/errors.h).
 */
#ifndef CZPROF_CLI_LOAD_ERRORS_H
#define CZPROF_CLI_LOAD_ERRORS_H

#include <sqlite3.h>

#include "lib/analysis/errors.h"

/* Writes the heap_errors table (and the meta keys heap_errors and
 * heap_errors_note).  stacks: node id by stack table index; fn_name
 * names an allocation's fn; lost: events the trace lost.  0, or -1 after
 * reporting the database error. */
int load_errors_write(sqlite3 *db, const struct load_errors *x, const uint64_t *stacks,
		      size_t n_stacks, const char *(*fn_name)(unsigned), uint64_t lost);

#endif
