/*
 * tracedb.h - a trace's SQLite database (TRACE.db beside TRACE.czt): built
 * once by one streaming pass over the trace (cli/load.c), reused by every
 * report while the trace is unchanged.  The schema is in cli/SCHEMA.md.
 */
#ifndef CZPROF_CLI_TRACEDB_H
#define CZPROF_CLI_TRACEDB_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#define TRACEDB_SCHEMA_VERSION 9

/*
 * Opens TRACE's database read-only (where tracedb_where says), (re)building
 * it first when it is missing, of another schema version, stamped for
 * another trace (its size, mtime and content key are in meta), or damaged
 * (a structure check of the tables reports read; it says so on stderr).
 * A database to build whose folder is read-only goes to the user's cache
 * or into memory (dbpath_fallback, which says so).  Prints its own one-line
 * errors and warnings (a cut trace) on stderr and returns NULL on failure.
 * Caller closes the handle with sqlite3_close.
 */
sqlite3 *tracedb_open(const char *trace_path);

/* The meta table (SCHEMA.md), the one place it is read and written.
 * tracedb_meta_text: the value as text, or NULL when missing or out of
 * memory; caller frees it.  tracedb_put_meta: meta[key] = text, or the
 * number v when text is NULL; tracedb_put_meta_null: meta[key] = NULL.
 * 0, or -1 (the database's error is in sqlite3_errmsg). */
char *tracedb_meta_text(sqlite3 *db, const char *key);
int tracedb_put_meta(sqlite3 *db, const char *key, sqlite3_int64 v, const char *text);
int tracedb_put_meta_null(sqlite3 *db, const char *key);

/* The trace's content key, TRACEDB_KEY_LEN bytes with the NUL: a hash of
 * its header and of its chunks' headers (each holds its payload's
 * checksum), so that it changes with any byte of the trace without
 * reading the payloads.  Returns 0, or -1 with errno set. */
#define TRACEDB_KEY_LEN 17
int tracedb_key(const char *trace_path, char *out);

/* Damage found while a report reads the database (SQLite reports
 * SQLITE_CORRUPT or SQLITE_NOTADB): tracedb_watch, before any SQLite use,
 * has SQLite tell it; tracedb_checked(status), after the command, says so,
 * rebuilds the database the command opened last and returns a failing
 * status (status itself when nothing was found). */
void tracedb_watch(void);
int tracedb_checked(int status);

/*
 * Builds db_path from trace_path.  The database is written to a temporary
 * file in the same folder (0600, never through a symlink) and renamed over
 * db_path only when complete, so a failed load leaves nothing behind, nor
 * does one cut by SIGINT, SIGTERM or SIGHUP (interrupt.h).  An in-memory
 * db_path (dbpath_is_memory) is loaded in place; the caller holds it open.
 * On a terminal a load longer than a second shows its progress
 * (progress.h).
 * verbose: 1 prints a one-line summary, 2 also the time of each step.
 * Returns 0, or -1 after printing.
 */
int tracedb_load(const char *trace_path, const char *db_path, int verbose);

/* 0: databases built from now on leave the frames of a trace without a
 * symbol table unnamed (no reading of the modules on disk: most of a small
 * trace's load).  For `czprof faults`, whose runs compare stacks by module
 * and offset and name frames only when a run loses blocks.  Default 1. */
void tracedb_name_frames(int on);

/*
 * Where trace_path's database is, into buf (cap bytes): the file --db
 * chose for it (dbpath_choose), refused when it exists and is not a
 * czprof database; otherwise TRACE.db.  Returns 1 (chosen), 0 (beside the
 * trace), or -1 after printing.  tracedb_open then moves a database that
 * must be built out of a folder it cannot write (dbpath_fallback).
 */
int tracedb_where(const char *trace_path, char *buf, size_t cap);

/* TRACE + ".db" into buf (PATH_MAX bytes).  Returns 0 or -1 if too long. */
int tracedb_path(const char *trace_path, char *buf, size_t cap);

#endif
