/*
 * test_dbpath.c - where a trace's database goes (cli/dbpath.h): --db kept
 * per trace, which files may be overwritten, the cache's names (one per
 * trace, the same one each time) and the in-memory name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/dbpath.h"
#include "tests/unit.h"

static char dir[] = "/tmp/czprof-test-dbpath.XXXXXX";

static void put(const char *name, const char *text, size_t n)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	fwrite(text, 1, n, f);
	fclose(f);
}

static int ours(const char *name)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *keep = stderr;
	stderr = fopen("/dev/null", "w"); /* the refusal's line */
	int rc = dbpath_check_ours(p);
	fclose(stderr);
	stderr = keep;
	return rc;
}

TEST(chosen_per_trace)
{
	CHECK(dbpath_chosen("a.czt") == NULL);
	dbpath_choose("a.czt", "x.db");
	dbpath_choose("b.czt", "y.db");
	CHECK_STR(dbpath_chosen("a.czt"), "x.db");
	CHECK_STR(dbpath_chosen("b.czt"), "y.db");
	dbpath_choose("a.czt", "z.db");
	CHECK_STR(dbpath_chosen("a.czt"), "z.db");
	CHECK(dbpath_chosen("c.czt") == NULL);
}

TEST(user_files_refused)
{
	CHECK(ours("missing.db") == 0);
	put("empty.db", "", 0);
	CHECK(ours("empty.db") == 0);
	put("notes.txt", "my notes\n", 9);
	CHECK(ours("notes.txt") == -1);
	/* SQLite's magic alone, no tables: not czprof's */
	put("bare.db", "SQLite format 3\0", 16);
	CHECK(ours("bare.db") == -1);
	char sub[256];
	snprintf(sub, sizeof(sub), "%s/folder.db", dir);
	mkdir(sub, 0700);
	CHECK(ours("folder.db") == -1);
}

TEST(cache_names)
{
	char cache[256], a[4096], b[4096], c[4096];
	snprintf(cache, sizeof(cache), "XDG_CACHE_HOME=%s/cache", dir);
	putenv(cache);
	FILE *keep = stderr;
	stderr = fopen("/dev/null", "w");
	int rc = dbpath_fallback("/ro/one/run.czt", "/ro/one/run.czt.db", a, sizeof(a)) |
		 dbpath_fallback("/ro/two/run.czt", "/ro/two/run.czt.db", b, sizeof(b)) |
		 dbpath_fallback("/ro/one/run.czt", "/ro/one/run.czt.db", c, sizeof(c));
	fclose(stderr);
	stderr = keep;
	CHECK(rc == 0);
	char want[300];
	snprintf(want, sizeof(want), "%s/cache/czprof/run.czt-", dir);
	CHECK(!strncmp(a, want, strlen(want)));
	CHECK_EQ_U(strlen(a), strlen(want) + 16 + 3); /* the hash, ".db" */
	CHECK(strcmp(a, b) != 0); /* two traces, two files */
	CHECK_STR(a, c);          /* the same trace, the same file */
	CHECK(!dbpath_is_memory(a));
	struct stat st;
	snprintf(want, sizeof(want), "%s/cache/czprof", dir);
	CHECK(stat(want, &st) == 0 && (st.st_mode & 0777) == 0700);
}

TEST(memory_name)
{
	CHECK(dbpath_is_memory("file:/czprof-12-0123456789abcdef.db?vfs=memdb"));
	CHECK(!dbpath_is_memory("czprof-12.db"));
	CHECK(!dbpath_is_memory("file:/czprof-12.db"));
	CHECK(!dbpath_is_memory("/tmp/run.czt.db"));
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	RUN(chosen_per_trace);
	RUN(user_files_refused);
	RUN(cache_names);
	RUN(memory_name);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		return 1;
	return unit_done();
}
