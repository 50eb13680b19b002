/*
 * fuzz_load.c - libFuzzer target for `czprof load`: any input file either
 * fails with an error (and leaves no database behind) or loads into a
 * database the reports can read; never a crash, a hang or unbounded
 * memory.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli/tracedb.h"

#ifndef FUZZ_ENTRY
#define FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif
int FUZZ_ENTRY(const uint8_t *data, size_t size);

int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	static char dir[64], trace[96], db[112];
	if (!dir[0]) {
		/* memory-backed when there is one: thousands of loads a run */
		snprintf(dir, sizeof(dir), "%s/czprof-fuzz-load.XXXXXX",
			 access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm");
		if (!mkdtemp(dir))
			abort();
		snprintf(trace, sizeof(trace), "%s/t.czt", dir);
		snprintf(db, sizeof(db), "%s/t.czt.db", dir);
	}
	int fd = open(trace, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	/* errors go to stderr: keep the fuzzer's output readable */
	int saved = dup(2), devnull = open("/dev/null", O_WRONLY);
	dup2(devnull, 2);
	int rc = tracedb_load(trace, db, 0);
	sqlite3 *h = rc == 0 ? tracedb_open(trace) : NULL;
	dup2(saved, 2);
	close(saved);
	close(devnull);
	if (rc != 0 && access(db, F_OK) == 0)
		abort(); /* a failed load must leave nothing behind */
	if (h) {
		sqlite3_exec(h, "SELECT count(*) FROM allocations; SELECT * FROM leaks LIMIT 10;",
			     NULL, NULL, NULL);
		sqlite3_close(h);
	}
	unlink(db);
	unlink(trace);
	return 0;
}
