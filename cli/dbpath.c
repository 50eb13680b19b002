/* dbpath.c - see dbpath.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/dbpath.h"
#include "cli/tracedb.h"
#include "cli/util.h"
#include "lib/base/hash.h"

/* A command reads one trace or two (diff): room for both. */
static struct {
	const char *trace, *db;
} chosen[2];

void dbpath_choose(const char *trace_path, const char *db_path)
{
	size_t i = 0;
	while (i < 2 && chosen[i].trace && strcmp(chosen[i].trace, trace_path))
		i++;
	if (i == 2)
		i = 1;
	chosen[i].trace = trace_path;
	chosen[i].db = db_path;
}

const char *dbpath_chosen(const char *trace_path)
{
	for (size_t i = 0; i < 2; i++)
		if (chosen[i].trace && !strcmp(chosen[i].trace, trace_path))
			return chosen[i].db;
	return NULL;
}

/* An SQLite file of czprof's: its meta table and a schema version (a
 * user's database has user_version 0 unless it sets one, and seldom a
 * table called meta as well). */
static int is_czprof_db(const char *db_path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int ours = 0;
	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "SELECT (SELECT count(*) FROM sqlite_schema WHERE type = 'table'"
				   " AND name = 'meta'), (SELECT user_version FROM pragma_user_version)",
			       -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		ours = sqlite3_column_int(s, 0) == 1 && sqlite3_column_int(s, 1) > 0;
	sqlite3_finalize(s);
	sqlite3_close(db);
	return ours;
}

int dbpath_check_ours(const char *db_path)
{
	static const char magic[16] = "SQLite format 3";
	struct stat st;
	if (dbpath_is_memory(db_path))
		return 0;
	if (lstat(db_path, &st))
		return errno == ENOENT ? 0 : cli_error("'%s': %s", db_path, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return cli_error("'%s' is a folder, not a database", db_path);
	if (S_ISREG(st.st_mode) && st.st_size == 0)
		return 0;
	/* the header first: SQLite would log a file of another kind as a
	 * damaged database (tracedb_watch) */
	char head[16] = "";
	int fd = open(db_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	ssize_t got = fd >= 0 ? read(fd, head, sizeof(head)) : -1;
	if (fd >= 0)
		close(fd);
	if (!S_ISREG(st.st_mode) || got != (ssize_t)sizeof(head) || memcmp(head, magic, sizeof(head)) ||
	    !is_czprof_db(db_path))
		return cli_error("'%s' exists and is not a czprof database: not overwriting it", db_path);
	return 0;
}

/* The folder path names a file in ("." for a bare name) into buf. */
static void folder_of(const char *path, char *buf, size_t cap)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		snprintf(buf, cap, ".");
	else if (slash == path)
		snprintf(buf, cap, "/");
	else
		snprintf(buf, cap, "%.*s", (int)(slash - path), path);
}

int dbpath_dir_writable(const char *path)
{
	char dir[PATH_MAX];
	folder_of(path, dir, sizeof(dir));
	return access(dir, W_OK | X_OK) == 0;
}

/* $XDG_CACHE_HOME/czprof, or ~/.cache/czprof (an XDG_CACHE_HOME that is
 * not absolute is ignored, as the XDG spec says). */
static int cache_dir(char *buf, size_t cap)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	int n;
	if (xdg && xdg[0] == '/') {
		n = snprintf(buf, cap, "%s/czprof", xdg);
	} else {
		if (!home || home[0] != '/') {
			struct passwd *pw = getpwuid(getuid());
			home = pw ? pw->pw_dir : NULL;
		}
		if (!home)
			return -1;
		n = snprintf(buf, cap, "%s/.cache/czprof", home);
	}
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* mkdir -p, the folders made 0700: what they hold names the user's traces */
static int make_dirs(char *path)
{
	for (char *p = path + 1;; p++) {
		if (*p != '/' && *p)
			continue;
		char c = *p;
		*p = 0;
		int rc = mkdir(path, 0700);
		*p = c;
		if (rc && errno != EEXIST)
			return -1;
		if (!c)
			return 0;
	}
}

/* path with the home folder shown as ~, for the message */
static const char *tilde(const char *path, char *buf, size_t cap)
{
	const char *home = getenv("HOME");
	size_t n = home ? strlen(home) : 0;
	if (n > 1 && !strncmp(path, home, n) && path[n] == '/') {
		snprintf(buf, cap, "~%s", path + n);
		return buf;
	}
	return path;
}

int dbpath_fallback(const char *trace_path, const char *default_db, char *buf, size_t cap)
{
	char dir[PATH_MAX], shown_dir[PATH_MAX], abs[PATH_MAX], cache[PATH_MAX] = "",
	     shown[PATH_MAX];
	folder_of(default_db, dir, sizeof(dir));
	if (!realpath(dir, shown_dir))
		snprintf(shown_dir, sizeof(shown_dir), "%s", dir);
	/* named by where the trace is, not by what it holds: a trace
	 * recorded again in its place replaces its database (the stamp says
	 * it is stale) instead of leaving the old one in the cache */
	if (!realpath(trace_path, abs))
		snprintf(abs, sizeof(abs), "%s", trace_path);
	const char *base = strrchr(abs, '/');
	base = base ? base + 1 : abs;
	uint64_t h = hash_str(abs);
	if (!cache_dir(cache, sizeof(cache)) && !make_dirs(cache) && access(cache, W_OK | X_OK) == 0) {
		int n = snprintf(buf, cap, "%s/%.100s-%016llx.db", cache, base, (unsigned long long)h);
		if (n < 0 || (size_t)n >= cap)
			return -1;
		fprintf(stderr, "czprof: %s is not writable; the database is in %s\n", shown_dir,
			tilde(buf, shown, sizeof(shown)));
		return 0;
	}
	/* one per trace: diff holds two */
	int n = snprintf(buf, cap, "file:/czprof-%d-%016llx.db?vfs=memdb", (int)getpid(), (unsigned long long)h);
	if (n < 0 || (size_t)n >= cap)
		return -1;
	fprintf(stderr, "czprof: %s is not writable, nor is %s; the database is in memory, built again by each command\n",
		shown_dir, cache[0] ? tilde(cache, shown, sizeof(shown)) : "the cache folder");
	return 0;
}

int dbpath_is_memory(const char *db_path)
{
	static const char head[] = "file:/czprof-", tail[] = ".db?vfs=memdb";
	size_t n = strlen(db_path);
	return !strncmp(db_path, head, sizeof(head) - 1) && n >= sizeof(tail) - 1 &&
	       !strcmp(db_path + n - (sizeof(tail) - 1), tail);
}

int dbpath_reset_memory(const char *db_path)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI, NULL);
	/* SQLite's own way to empty a database in place */
	if (rc == SQLITE_OK) {
		sqlite3_db_config(db, SQLITE_DBCONFIG_RESET_DATABASE, 1, 0);
		rc = sqlite3_exec(db, "VACUUM", NULL, NULL, NULL);
		sqlite3_db_config(db, SQLITE_DBCONFIG_RESET_DATABASE, 0, 0);
	}
	if (rc != SQLITE_OK)
		cli_error("database in memory: %s", sqlite3_errmsg(db));
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}
