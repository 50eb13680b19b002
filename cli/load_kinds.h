/*
 * load_kinds.h - leak kinds into a trace's database while it is built: the
 * blocks never freed are classified from the trace's pointer scan
 * (lib/analysis/kinds.h) into table leak_kinds, and the figures every
 * report reads (stack_totals.leaked*, meta leaked_*) become the lost ones
 * only: definitely and indirectly lost.  A trace without a whole scan
 * keeps them as every block never freed, and meta leak_kinds says why.
 */
#ifndef CZPROF_CLI_LOAD_KINDS_H
#define CZPROF_CLI_LOAD_KINDS_H

#include <sqlite3.h>

/* db: the database being loaded (allocations and stack_totals filled,
 * inside the load's transaction).  Returns 0, or -1 after printing. */
int load_kinds(sqlite3 *db, const char *trace_path);

#endif
