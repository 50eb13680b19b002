/*
 * rec_settings.c - every setting of the recorder, read from the environment
 * once at start.  `czprof record` sets them; they can also be set by hand
 * with LD_PRELOAD=libczprof.so.
 *
 * | variable           | default        | meaning                                         |
 * |--------------------|----------------|-------------------------------------------------|
 * | CZPROF_OUTPUT      | czprof.PID.czt | trace file to write                             |
 * | CZPROF_ROOT_PID    | (own pid)      | the process that writes CZPROF_OUTPUT; others   |
 * |                    |                | write NAME.PID.czt or nothing (follow-fork)     |
 * | CZPROF_FOLLOW_FORK | 0              | 1: fork/exec children record to NAME.PID.czt    |
 * | CZPROF_DEPTH       | 64             | most stack frames kept per event (1-256)        |
 * | CZPROF_FLUSH_MS    | 100            | longest time an event waits in a buffer         |
 * | CZPROF_BUFFER_KB   | 256            | per-thread buffer (one chunk), 4-4096; each     |
 * |                    |                | thread has REC_SLOTS of them (rec_core.h)       |
 * | CZPROF_UNWIND      | dwarf          | fp: follow frame pointers (programs built with  |
 * |                    |                | -fno-omit-frame-pointer), much cheaper          |
 * | CZPROF_CLOCK       | auto           | os: always the OS clock, never the CPU's time-  |
 * |                    |                | stamp counter (read while one thread records,   |
 * |                    |                | see rec_clock.c)                                |
 * | CZPROF_CHECK_STACKS| (off)          | a file: every stack the layout cache finds is   |
 * |                    |                | unwound too; the counts are written there at    |
 * |                    |                | exit (tests use it)                             |
 * | CZPROF_COMPRESS    | 1              | 1: EVENTS and META chunks are zstd frames,      |
 * |                    |                | compressed by the flusher thread; 0: raw.  On   |
 * |                    |                | by default: it costs 0-4% of the recording time |
 * |                    |                | on the bench programs (README, Performance)     |
 * | CZPROF_COMPRESS_LEVEL | 1           | zstd level, -7 to 9; 1 compresses these traces  |
 * |                    |                | best of the fast levels (negative levels leave  |
 * |                    |                | literals unencoded: little gain, no speed-up)   |
 * | CZPROF_COLUMNS     | auto           | 1: compressed EVENTS chunks are split into      |
 * |                    |                | columns, each compressed on its own (FORMAT.md, |
 * |                    |                | "Column chunks"); 0: one zstd frame per chunk;  |
 * |                    |                | auto: columns while the program leaves a core   |
 * |                    |                | to spare or they cost it under 3% of its CPU    |
 * |                    |                | time (rec_spare.c)                              |
 * | CZPROF_FREE_STACKS | 0              | 1: frees and deletes carry their stack too, so  |
 * |                    |                | `czprof errors` can show where a block was      |
 * |                    |                | first freed; off by default: +45% of the        |
 * |                    |                | recording's CPU on bench/churn (README)         |
 * | CZPROF_MEMBARRIER  | 1              | 0: never use membarrier; every event then takes |
 * |                    |                | a locked instruction (rec_core.c, "the owner    |
 * |                    |                | and the others"; tests use it)                  |
 * | CZPROF_SCAN        | 1              | 0: no pointer scan at exit; reports then cannot |
 * |                    |                | tell leaks from memory still reachable          |
 * | CZPROF_TRACE       | (none)         | set by the recorder for an exec'd image: the    |
 * |                    |                | trace file the process writes (rec_exec.c);     |
 * |                    |                | removed from the environment once read          |
 * | CZPROF_FAIL_AT     | (off)          | k: the k-th allocation call, counted from 1,    |
 * |                    |                | fails (NULL, ENOMEM); rec_fail.c says which     |
 * |                    |                | calls count.  `czprof faults` sets it           |
 * | CZPROF_FAIL_FROM   | (off)          | k: every allocation call from the k-th on fails |
 * | CZPROF_FAIL_CRASH  | (off)          | a file: a fatal signal's stack is written there |
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/recorder/rec.h"

struct rec_settings rec_settings;

static long env_long(const char *name, long def, long lo, long hi)
{
	const char *s = getenv(name);
	if (!s || !*s)
		return def;
	char *end;
	long v = strtol(s, &end, 10);
	if (*end || v < lo || v > hi)
		return def;
	return v;
}

void rec_settings_load(void)
{
	rec_settings.output = getenv("CZPROF_OUTPUT");
	rec_settings.root_pid = (pid_t)env_long("CZPROF_ROOT_PID", getpid(), 1, 1L << 30);
	rec_settings.follow_fork = (int)env_long("CZPROF_FOLLOW_FORK", 0, 0, 1);
	rec_settings.depth = (int)env_long("CZPROF_DEPTH", 64, 1, 256);
	rec_settings.flush_ms = (int)env_long("CZPROF_FLUSH_MS", 100, 1, 60000);
	rec_settings.buffer_bytes = (size_t)env_long("CZPROF_BUFFER_KB", 256, 4, 4096) * 1024;
	const char *unwind = getenv("CZPROF_UNWIND");
	rec_settings.unwind_fp = unwind && !strcmp(unwind, "fp");
	const char *clock = getenv("CZPROF_CLOCK");
	rec_settings.clock_os = clock && !strcmp(clock, "os");
	rec_settings.check_stacks = getenv("CZPROF_CHECK_STACKS");
	if (rec_settings.check_stacks && !*rec_settings.check_stacks)
		rec_settings.check_stacks = NULL;
	rec_settings.compress = (int)env_long("CZPROF_COMPRESS", 1, 0, 1);
	rec_settings.compress_level = (int)env_long("CZPROF_COMPRESS_LEVEL", 1, -7, 9);
	rec_settings.columns = (int)env_long("CZPROF_COLUMNS", 2, 0, 1); /* "auto": 2 */
	rec_settings.membarrier = (int)env_long("CZPROF_MEMBARRIER", 1, 0, 1);
	rec_settings.free_stacks = (int)env_long("CZPROF_FREE_STACKS", 0, 0, 1);
	rec_settings.scan = (int)env_long("CZPROF_SCAN", 1, 0, 1);
	/* The token is the recorder's, added by the exec that started this
	 * image: taken out again, so that the program sees the environment it
	 * passed to exec and no later process (one that happens to get this
	 * pid once it is free) can take it for its own.  The string stays:
	 * unsetenv only drops the pointer. */
	rec_settings.token = getenv(REC_TOKEN_VAR);
	if (rec_settings.token)
		unsetenv(REC_TOKEN_VAR);
	rec_settings.fail_at = (uint64_t)env_long("CZPROF_FAIL_AT", 0, 0, LONG_MAX);
	rec_settings.fail_from = (uint64_t)env_long("CZPROF_FAIL_FROM", 0, 0, LONG_MAX);
	rec_settings.fail_crash = getenv("CZPROF_FAIL_CRASH");
	if (rec_settings.fail_crash && !*rec_settings.fail_crash)
		rec_settings.fail_crash = NULL;
	rec_fail_setup();
}
