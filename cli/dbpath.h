/*
 * dbpath.h - where a trace's database goes.  By default beside the trace
 * (TRACE.db); where the user says with --db; in the user's cache folder
 * when the trace's folder cannot be written (a trace on a read-only mount,
 * in another user's folder); in memory when neither can.  tracedb_open and
 * `czprof load` decide with these; nothing else names a database's path.
 */
#ifndef CZPROF_CLI_DBPATH_H
#define CZPROF_CLI_DBPATH_H

#include <stddef.h>

/* --db: trace_path's database is db_path.  Both strings are kept, not
 * copied (argv's).  A later call for the same trace replaces it. */
void dbpath_choose(const char *trace_path, const char *db_path);

/* The database --db chose for trace_path (compared as written), or NULL. */
const char *dbpath_chosen(const char *trace_path);

/* Whether db_path may be (over)written with a trace's database: it does
 * not exist, is empty, or is a czprof database (an SQLite file with
 * czprof's meta table and a schema version).  Anything else is a user's
 * file: returns -1 after printing one line; 0 when it may. */
int dbpath_check_ours(const char *db_path);

/* Whether a new file can be made in the folder of path (the folder holding
 * the file path names, not path itself). */
int dbpath_dir_writable(const char *path);

/*
 * The place for trace_path's database when default_db's folder cannot be
 * written: $XDG_CACHE_HOME/czprof/ (default ~/.cache/czprof/, made if
 * missing) under a name of the trace's base name and a hash of its
 * absolute path, so that two traces never share one; or, when that folder
 * cannot be written either, the in-memory database (dbpath_is_memory).
 * Writes it into buf (cap bytes) and says on stderr, in one line, where
 * the database is and why.  Returns 0, or -1 (nothing printed) when the
 * name does not fit.
 */
int dbpath_fallback(const char *trace_path, const char *default_db, char *buf, size_t cap);

/* Is db_path the in-memory database's name?  It is an SQLite URI (open it
 * with SQLITE_OPEN_URI) naming a database of SQLite's memdb VFS that every
 * connection of the process shares while one stays open. */
int dbpath_is_memory(const char *db_path);

/* Empties the in-memory database db_path for a load that starts again.
 * Returns 0 or -1 after printing. */
int dbpath_reset_memory(const char *db_path);

#endif
