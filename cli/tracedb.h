/*
 * tracedb.h - a trace's SQLite database (TRACE.db beside TRACE.czt): built
 * once by one streaming pass over the trace (cli/load.c), reused by every
 * report while the trace is unchanged.  The schema is in cli/SCHEMA.md.
 */
#ifndef CZ_TRACEDB_H
#define CZ_TRACEDB_H

#include <sqlite3.h>

#define TRACEDB_SCHEMA_VERSION 5

/*
 * Opens TRACE's database read-only, (re)building it first when it is
 * missing, older than the trace (size and mtime are stamped in meta), or of
 * another schema version.  Prints its own one-line errors and warnings (a
 * cut trace) on stderr and returns NULL on failure.  Caller closes the
 * handle with sqlite3_close.
 */
sqlite3 *tracedb_open(const char *trace_path);

/*
 * Builds db_path from trace_path.  The database is written to a temporary
 * file in the same folder (0600, never through a symlink) and renamed over
 * db_path only when complete, so a failed load leaves nothing behind.
 * verbose: 1 prints a one-line summary, 2 also the time of each step.
 * Returns 0, or -1 after printing.
 */
int tracedb_load(const char *trace_path, const char *db_path, int verbose);

/* TRACE + ".db" into buf (PATH_MAX bytes).  Returns 0 or -1 if too long. */
int tracedb_path(const char *trace_path, char *buf, size_t cap);

#endif
