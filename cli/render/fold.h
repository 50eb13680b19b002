/*
 * fold.h - every stack of a trace with one figure (leaked bytes, bytes live
 * at the peak, bytes allocated or allocation count), frames named and
 * ordered root first: the input of flame graphs, folded-stack text and the
 * exports that take stack samples.  Frames inside the allocator (malloc,
 * operator new, the recorder) are dropped from the leaf end, so a stack
 * ends at its call site.
 */
#ifndef CZPROF_CLI_RENDER_FOLD_H
#define CZPROF_CLI_RENDER_FOLD_H

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/base/strmap.h"

enum fold_metric { FOLD_LEAKED, FOLD_PEAK, FOLD_ALLOCATED, FOLD_COUNT };

struct fold_stack {
	uint64_t stack;       /* the trace's stack id */
	int n;                /* frames, root first */
	const char **frames;  /* names, owned by the fold */
	uint64_t value;
};

struct fold {
	struct fold_stack *v; /* stacks with a non-zero value, biggest first */
	size_t n;
	uint64_t total;
	int metric;
	struct strmap names; /* the frames' names */
};

/* "leaked", "peak", "allocated", "count" -> enum fold_metric, or -1. */
int fold_metric_parse(const char *s);
const char *fold_metric_name(int metric);
/* Whether the metric counts bytes (else allocations). */
int fold_metric_is_bytes(int metric);

/* Fills f from db.  Caller frees it with fold_free.  Returns 0 or -1
 * (printed). */
int fold_collect(sqlite3 *db, int metric, struct fold *f);
void fold_free(struct fold *f);

/* Writes "root;child;leaf VALUE" lines (';' in names becomes ':'). */
void fold_write_folded(const struct fold *f, FILE *out);

#endif
