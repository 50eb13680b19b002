/*
 * tracedb.c - opening a trace's database (tracedb.h): whether it still
 * stands for the trace (its schema, the trace's size, mtime and content
 * key), whether it is whole, and building it again when not.  Building is
 * load.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/alloc_vtab.h"
#include "cli/dbpath.h"
#include "cli/tracedb.h"
#include "cli/util.h"
#include "format/czt.h"
#include "lib/base/hash.h"

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/*
 * The header, then each chunk's 16-byte header, whose checksum covers its
 * payload: a changed byte anywhere changes the key, and only the headers
 * are read (one small read per chunk: 489 of them for 20 M events).
 * Whatever follows the last whole chunk goes in by its length.
 */
int tracedb_key(const char *trace_path, char *out)
{
	int fd = open(trace_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st)) {
		close(fd);
		return -1;
	}
	uint64_t size = (uint64_t)st.st_size, h = HASH_FNV_SEED, off = 0;
	uint8_t b[CZT_CHUNK_HEADER_LEN];
	if (size >= 16 && pread(fd, b, 16, 0) == 16) {
		uint64_t len = 16 + (uint64_t)le32(b + 12) + 4;
		uint8_t head[4096];
		for (uint64_t at = 0; at < len && at < size;) {
			size_t want = len - at < sizeof(head) ? (size_t)(len - at) : sizeof(head);
			ssize_t got = pread(fd, head, want, (off_t)at);
			if (got <= 0)
				break;
			h = hash_bytes(h, head, (size_t)got);
			at += (uint64_t)got;
		}
		off = len;
	}
	while (off + CZT_CHUNK_HEADER_LEN <= size &&
	       pread(fd, b, sizeof(b), (off_t)off) == (ssize_t)sizeof(b)) {
		uint64_t next = off + CZT_CHUNK_HEADER_LEN + le32(b + 4);
		if (next > size)
			break;
		h = hash_bytes(h, b, sizeof(b));
		off = next;
	}
	uint64_t rest = size > off ? size - off : 0;
	h = hash_bytes(h, &rest, sizeof(rest));
	close(fd);
	snprintf(out, TRACEDB_KEY_LEN, "%016llx", (unsigned long long)h);
	return 0;
}

/* The database is current when its stamp matches the trace: schema
 * version, size and mtime (cheap, first), then the content key.  Returns
 * 1, 0 (stale), or -1 when the stamp cannot be read, or is missing from a
 * database of this schema, whose loads always write it: damaged, *why
 * says how. */
static int is_current(sqlite3 *db, const char *trace_path, const struct stat *st, const char **why)
{
	*why = NULL;
	sqlite3_stmt *s;
	int version = -1, ok = 0, rc;
	char stamped[TRACEDB_KEY_LEN] = "", key[TRACEDB_KEY_LEN];
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		return -1;
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return -1;
	if (version != TRACEDB_SCHEMA_VERSION)
		return 0;
	if (sqlite3_prepare_v2(db,
			       "SELECT (SELECT value FROM meta WHERE key='trace_size'),"
			       " (SELECT value FROM meta WHERE key='trace_mtime_ns'),"
			       " (SELECT value FROM meta WHERE key='trace_key')", -1, &s, NULL))
		return -1;
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		for (int c = 0; c < 3; c++)
			if (sqlite3_column_type(s, c) == SQLITE_NULL)
				*why = "its stamp is missing from the meta table";
		ok = sqlite3_column_int64(s, 0) == (sqlite3_int64)st->st_size &&
		     sqlite3_column_int64(s, 1) ==
			     (sqlite3_int64)((uint64_t)st->st_mtim.tv_sec * 1000000000u +
					     (uint64_t)st->st_mtim.tv_nsec);
		const unsigned char *k = sqlite3_column_text(s, 2);
		snprintf(stamped, sizeof(stamped), "%s", k ? (const char *)k : "");
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW || *why)
		return -1;
	/* the same size and time, changed in place: the key says */
	return ok && !tracedb_key(trace_path, key) && !strcmp(key, stamped);
}

/*
 * Whether the database is whole, as far as is cheap to know: a structure
 * check (PRAGMA quick_check) of every table; they hold totals and the
 * blocks live at exit, never a row per event, so this takes milliseconds.
 * Damage it cannot see shows when a report reads it (see tracedb_watch).
 * Returns NULL, or what is wrong (static).
 */
static const char *damage(sqlite3 *db)
{
	static char what[256];
	sqlite3_stmt *t, *c;
	if (sqlite3_prepare_v2(db, "SELECT name FROM sqlite_schema WHERE type = 'table'", -1, &t, NULL))
		return sqlite3_errmsg(db);
	const char *bad = NULL;
	int rc;
	while (!bad && (rc = sqlite3_step(t)) == SQLITE_ROW) {
		char sql[160];
		snprintf(sql, sizeof(sql), "PRAGMA quick_check(\"%s\")", (const char *)sqlite3_column_text(t, 0));
		if (sqlite3_prepare_v2(db, sql, -1, &c, NULL)) {
			bad = sqlite3_errmsg(db);
			break;
		}
		if (sqlite3_step(c) != SQLITE_ROW) {
			bad = sqlite3_errmsg(db);
		} else if (strcmp((const char *)sqlite3_column_text(c, 0), "ok")) {
			/* its first problem, without the "*** in database main ***" */
			const char *m = (const char *)sqlite3_column_text(c, 0), *nl = strchr(m, '\n');
			if (!strncmp(m, "***", 3) && nl)
				m = nl + 1;
			snprintf(what, sizeof(what), "%.*s", (int)strcspn(m, "\n"), m);
			bad = what;
		}
		sqlite3_finalize(c);
	}
	if (!bad && rc != SQLITE_DONE)
		bad = sqlite3_errmsg(db);
	if (bad && bad != what) {
		snprintf(what, sizeof(what), "%s", bad);
		bad = what;
	}
	sqlite3_finalize(t);
	return bad;
}

/* The database the command opened last, for tracedb_checked. */
static char last_trace[PATH_MAX], last_db[PATH_MAX];
static volatile int damage_seen;

static void on_sqlite_log(void *arg, int rc, const char *msg)
{
	(void)arg;
	(void)msg;
	if ((rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB)
		damage_seen = 1;
}

void tracedb_watch(void)
{
	sqlite3_config(SQLITE_CONFIG_LOG, on_sqlite_log, NULL);
}

int tracedb_checked(int status)
{
	if (!damage_seen || !last_db[0])
		return status;
	damage_seen = 0;
	fflush(stdout);
	cli_error("'%s' is damaged (found while reading it): what was printed may be wrong", last_db);
	if (!dbpath_is_memory(last_db) && tracedb_load(last_trace, last_db, 0) == 0)
		cli_warning("rebuilt '%s' from the trace: run the command again", last_db);
	return status ? status : 1;
}

/* The database at db_path, read-only, when it stands for the trace and is
 * whole; NULL when it must be built (first saying so when it is damaged). */
static sqlite3 *open_current(const char *trace_path, const char *db_path, const struct stat *st)
{
	sqlite3 *db = NULL;
	const char *bad = NULL, *why = NULL;
	int mem = dbpath_is_memory(db_path);
	int rc = sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY | (mem ? SQLITE_OPEN_URI : 0), NULL);
	int current = rc == SQLITE_OK ? is_current(db, trace_path, st, &why) : 0;
	if (current > 0 && !(bad = damage(db))) {
		/* reports read much of the table: map it rather than
		 * pread it page by page through a small cache */
		sqlite3_exec(db, "PRAGMA mmap_size = 17179869184; PRAGMA cache_size = -65536;",
			     NULL, NULL, NULL);
		damage_seen = 0; /* what the checks found is dealt with */
		/* the virtual allocations table connects now, while any
		 * statement may: `czprof sql` then allows reads only */
		sqlite3_stmt *v;
		if (sqlite3_prepare_v2(db, "SELECT id FROM allocations LIMIT 0", -1, &v, NULL) == SQLITE_OK)
			sqlite3_finalize(v);
		return db;
	}
	/* its stamp unreadable: damaged (a file that is no database at
	 * all, or none yet, is only rebuilt) */
	if (!bad && current < 0 && !mem && access(db_path, F_OK) == 0)
		bad = why ? why : sqlite3_errmsg(db);
	if (bad)
		cli_warning("'%s' is damaged (%s): rebuilding it from the trace", db_path, bad);
	sqlite3_close(db);
	return NULL;
}

static void remember(const char *trace_path, const char *db_path)
{
	snprintf(last_trace, sizeof(last_trace), "%s", trace_path);
	snprintf(last_db, sizeof(last_db), "%s", db_path);
}

int tracedb_where(const char *trace_path, char *buf, size_t cap)
{
	const char *chosen = dbpath_chosen(trace_path);
	if (chosen) {
		int n = snprintf(buf, cap, "%s", chosen);
		if (n < 0 || (size_t)n >= cap)
			return cli_error("'%s': path too long", chosen);
		return dbpath_check_ours(buf) ? -1 : 1;
	}
	if (tracedb_path(trace_path, buf, cap))
		return cli_error("'%s': path too long", trace_path);
	return 0;
}

char *tracedb_meta_text(sqlite3 *db, const char *key)
{
	sqlite3_stmt *s;
	char *out = NULL;
	if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = ?", -1, &s, NULL))
		return NULL;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
		out = strdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return out;
}

static int put(sqlite3 *db, const char *key, sqlite3_int64 v, const char *text, int is_null)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO meta VALUES(?, ?)", -1, &s, NULL))
		return -1;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	if (is_null)
		sqlite3_bind_null(s, 2);
	else if (text)
		sqlite3_bind_text(s, 2, text, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_int64(s, 2, v);
	int rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

int tracedb_put_meta(sqlite3 *db, const char *key, sqlite3_int64 v, const char *text)
{
	return put(db, key, v, text, 0);
}

int tracedb_put_meta_null(sqlite3 *db, const char *key)
{
	return put(db, key, 0, NULL, 1);
}

sqlite3 *tracedb_open(const char *trace_path)
{
	alloc_vtab_register();
	char db_path[PATH_MAX];
	struct stat st;
	if (stat(trace_path, &st)) {
		cli_error("'%s': %s", trace_path, strerror(errno));
		return NULL;
	}
	int chosen = tracedb_where(trace_path, db_path, sizeof(db_path));
	if (chosen < 0)
		return NULL;
	remember(trace_path, db_path);
	sqlite3 *db = open_current(trace_path, db_path, &st);
	if (db)
		return db;
	/* a database beside the trace is used as long as it stands for it;
	 * only a new one goes elsewhere when the folder is read-only */
	if (!chosen && !dbpath_dir_writable(db_path)) {
		char elsewhere[PATH_MAX];
		if (dbpath_fallback(trace_path, db_path, elsewhere, sizeof(elsewhere))) {
			cli_error("'%s': path too long", trace_path);
			return NULL;
		}
		snprintf(db_path, sizeof(db_path), "%s", elsewhere);
		remember(trace_path, db_path);
		if (!dbpath_is_memory(db_path) && (db = open_current(trace_path, db_path, &st)))
			return db;
	}
	/* in memory, the database lives while a connection holds it: this
	 * one, from before the load until the reports' own is open */
	sqlite3 *hold = NULL;
	if (dbpath_is_memory(db_path) &&
	    sqlite3_open_v2(db_path, &hold, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI,
			    NULL) != SQLITE_OK) {
		cli_error("database in memory: %s", sqlite3_errmsg(hold));
		sqlite3_close(hold);
		return NULL;
	}
	if (tracedb_load(trace_path, db_path, 0) == 0 && !(db = open_current(trace_path, db_path, &st)))
		cli_error("'%s': the database could not be built", db_path);
	sqlite3_close(hold);
	return db;
}
