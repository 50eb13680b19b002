/*
 * alloc_vtab.h - the `allocations` table (SCHEMA.md): one row per block,
 * made on demand from the trace by the analysis engine
 * (lib/analysis/engine.h) instead of stored in the database.
 *
 * A database holds what reports read (totals, timeline, the blocks live
 * at exit); a table of every allocation would make it 100 times the
 * trace.  So `allocations` is an eponymous SQLite virtual table: a query
 * that reads it runs the engine over the trace named by the database's
 * meta `trace_path`, and each block becomes a row when it ends (then the
 * blocks live at the end, in id order).  Rows therefore come in the order
 * blocks ended; ORDER BY sorts them.  Constraints on id, size, stack,
 * tid, alloc_time and free_time are applied as rows are made, so that
 * SQLite never sees the rest; the trace is read whole all the same.
 */
#ifndef CZPROF_CLI_ALLOC_VTAB_H
#define CZPROF_CLI_ALLOC_VTAB_H

/* Makes every database connection opened from now on know the table
 * (sqlite3_auto_extension).  Idempotent. */
void alloc_vtab_register(void);

#endif
