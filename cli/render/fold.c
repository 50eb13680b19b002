/*
 * fold.c - see fold.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/render/fold.h"
#include "lib/base/strmap.h"
#include "cli/report.h"
#include "cli/util.h"
#include "lib/base/grow.h"

#define MAX_FRAMES 256

static const char *const metric_names[] = { "leaked", "peak", "allocated", "count" };
static const char *const metric_sql[] = {
	"SELECT stack, leaked_bytes FROM stack_totals WHERE leaked_bytes > 0",
	"SELECT stack, peak_bytes FROM stack_totals WHERE peak_bytes > 0",
	"SELECT stack, bytes FROM stack_totals WHERE bytes > 0",
	"SELECT stack, allocations FROM stack_totals WHERE allocations > 0",
};

int fold_metric_parse(const char *s)
{
	for (int i = 0; s && i < 4; i++)
		if (!strcmp(s, metric_names[i]))
			return i;
	return -1;
}

const char *fold_metric_name(int metric)
{
	return metric >= 0 && metric < 4 ? metric_names[metric] : "?";
}

int fold_metric_is_bytes(int metric)
{
	return metric != FOLD_COUNT;
}

/* Interned copy of s (a flame graph names the same frame thousands of
 * times); ';' separates frames in folded text, so it becomes ':'. */
static const char *intern(struct fold *f, const char *s)
{
	char clean[REPORT_NAME_MAX];
	snprintf(clean, sizeof(clean), "%s", s);
	for (char *p = clean; *p; p++)
		if (*p == ';' || *p == '\n')
			*p = ':';
	long i = strmap_intern(&f->names, clean);
	return i < 0 ? NULL : f->names.str[i];
}

static int by_value(const void *a, const void *b)
{
	const struct fold_stack *x = a, *y = b;
	if (x->value != y->value)
		return x->value < y->value ? 1 : -1;
	return (x->stack > y->stack) - (x->stack < y->stack);
}

int fold_collect(sqlite3 *db, int metric, struct fold *f)
{
	memset(f, 0, sizeof(*f));
	f->metric = metric;
	struct report_ctx *c = report_ctx_new(db);
	sqlite3_stmt *q = NULL;
	struct report_frame *fr = calloc(MAX_FRAMES, sizeof(*fr));
	size_t cap = 0;
	int rc = -1;
	if (!c || !fr)
		goto out;
	if (sqlite3_prepare_v2(db, metric_sql[metric], -1, &q, NULL)) {
		cli_error("database: %s", sqlite3_errmsg(db));
		goto out;
	}
	while (sqlite3_step(q) == SQLITE_ROW) {
		uint64_t stack = (uint64_t)sqlite3_column_int64(q, 0);
		uint64_t value = (uint64_t)sqlite3_column_int64(q, 1);
		int n = report_stack(c, stack, fr, MAX_FRAMES);
		int first = report_site_index(fr, n); /* the innermost frame kept */
		if (array_grow((void **)&f->v, &cap, f->n, sizeof(*f->v)))
			goto out;
		struct fold_stack *s = &f->v[f->n];
		s->stack = stack;
		s->value = value;
		s->n = 0;
		s->frames = malloc((size_t)(n > 0 ? n : 1) * sizeof(char *));
		if (!s->frames)
			goto out;
		f->n++;
		if (n == 0)
			s->frames[s->n++] = intern(f, "(no stack)");
		for (int i = n - 1; i >= first; i--) /* root first */
			s->frames[s->n++] = intern(f, fr[i].name);
		for (int i = 0; i < s->n; i++)
			if (!s->frames[i])
				goto out;
		f->total += value;
	}
	if (f->n > 1)
		qsort(f->v, f->n, sizeof(*f->v), by_value);
	rc = 0;
out:
	if (rc)
		cli_error("out of memory");
	sqlite3_finalize(q);
	report_ctx_free(c);
	free(fr);
	return rc;
}

void fold_free(struct fold *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->v[i].frames);
	free(f->v);
	strmap_free(&f->names);
	memset(f, 0, sizeof(*f));
}

void fold_write_folded(const struct fold *f, FILE *out)
{
	for (size_t i = 0; i < f->n; i++) {
		const struct fold_stack *s = &f->v[i];
		for (int k = 0; k < s->n; k++)
			fprintf(out, "%s%s", k ? ";" : "", s->frames[k]);
		fprintf(out, " %llu\n", (unsigned long long)s->value);
	}
}
