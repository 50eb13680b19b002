/*
 * faults.h - `czprof faults`: the reference run's allocation calls, one
 * run of the program with a call made to fail, and how that run is judged.
 * cmd_faults.c plans the runs and reports; faults_run.c runs one and
 * classifies it (in a worker process of its own, so runs go in parallel).
 */
#ifndef CZPROF_CLI_FAULTS_H
#define CZPROF_CLI_FAULTS_H

#include <stdint.h>
#include <sys/types.h>

#include "cli/report.h"
#include "lib/analysis/idmap.h"

/* Worst first: the order of the report. */
enum fault_outcome {
	FO_CRASHED,
	FO_HUNG,
	FO_LEAKED,
	FO_SWALLOWED,
	FO_UNREPRODUCIBLE,
	FO_HANDLED,
	FO_N
};

extern const char *const fault_outcome_name[FO_N]; /* "crashed", ... "not reproducible" */

/* What output two runs must share for an exit 0 to count as "the same". */
enum fault_compare { FC_STDOUT, FC_OUTPUT, FC_NONE };

#define FAULT_LEAKS_MAX 4
#define FAULT_FRAMES_MAX 8
#define FAULT_CRASH_MAX 24 /* an abort is ten frames deep before the program's */

/* A run's result, written by the worker into a file of its own and read
 * back by the parent: plain data, no pointers. */
struct fault_result {
	int outcome;                /* enum fault_outcome */
	int exit_code, signal;      /* -1 when not applicable */
	char detail[256];           /* "exit 2: fault_paths: out of memory", ... */
	int n_crash;                /* the crash's stack, innermost first */
	char crash[FAULT_CRASH_MAX][256];
	int n_leaks;
	struct {
		uint64_t bytes, blocks;
		int n_frames;
		char frames[FAULT_FRAMES_MAX][256];
	} leaks[FAULT_LEAKS_MAX];
};

/* The reference run, as every run is compared with it. */
struct fault_ref {
	const char *dir;            /* the scratch folder */
	const char *lib, *prog;     /* libczprof.so, the program's path */
	char **argv;                /* the program's arguments, argv[0] first */
	const char *stdin_path;     /* NULL: /dev/null */
	int timeout_ms, compare;
	const char *error_pattern;  /* an extended regex: stderr that "says" the error */
	uint64_t n_calls;           /* allocation calls, = rows of allocations */
	uint64_t *stack;            /* [1..n_calls]: the stack key of call k */
	int exit_code;
	/* lost blocks by call site name: what a run must add to for "leaked" */
	struct site_table lost;
};

/*
 * Runs the program once with CZPROF_FAIL_AT=k (from: CZPROF_FAIL_FROM=k)
 * as run number id (its files are DIR/run-ID.*) and fills res.  k == 0:
 * the reference run itself, nothing failed.  Returns 0, or -1 when the
 * program could not be started or its trace read.
 */
int fault_run(const struct fault_ref *ref, unsigned id, uint64_t k, int from, struct fault_result *res);

/* DIR/run-ID.SUFFIX into buf (PATH_MAX). */
void fault_path(const struct fault_ref *ref, unsigned id, const char *suffix, char *buf);

/* Stacks named so that two runs of one program agree whatever their
 * address-space layout and the order their stacks were first seen: each
 * frame as (module path, offset in it), the chain hashed. */
struct stack_keys {
	struct idmap map;  /* stack_nodes.id -> index in key */
	uint64_t *key;
	size_t n, cap;
};

/* Reads every stack of the database.  Returns 0 or -1; caller frees with
 * stack_keys_free. */
int stack_keys_load(sqlite3 *db, struct stack_keys *k);
uint64_t stack_keys_get(const struct stack_keys *k, uint64_t stack); /* 0: unknown */
void stack_keys_free(struct stack_keys *k);

/* Lost blocks (definite and indirect, or never freed without a scan) of
 * the trace's database by call site, added to t. */
int fault_lost_sites(sqlite3 *db, struct report_ctx *c, struct site_table *t);

#endif
