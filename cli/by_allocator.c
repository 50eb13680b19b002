/*
 * by_allocator.c - see by_allocator.h.
 *
 * Allocators made at one place (a scratch buffer per parse, an arena per
 * request) are one row: the same name, kind and creation site, with the
 * number of allocators it stands for.  A layer inside another (an arena
 * drawing from a debug allocator: its blocks lie inside the debug
 * allocator's) is shown but not added to the total, which would count the
 * same bytes twice.  At exit, a debug or testing allocator's blocks that
 * its deinit reported as leaked count as never freed, and each row lists
 * where its blocks were allocated.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/by_allocator.h"
#include "cli/report.h"
#include "cli/util.h"
#include "lib/analysis/idmap.h"

#define SITES_SHOWN 5

struct row {
	char *name, *kind, *site;
	int alive, nested;
	long long allocators, blocks, bytes;
	long long first_id; /* the first allocator's id: the order of creation */
	long long *ids;     /* every allocator the row stands for */
	size_t n_ids, cap_ids;
};

/* The blocks a report counts: "b" is cz_blocks, "a" its allocator. */
#define LEAKED_AT_EXIT "(b.free_time IS NULL OR (b.ended_by = 'destroy' AND a.kind IN ('debug', 'testing')))"
#define LIVE_AT_PEAK                                                                  \
	"b.alloc_time <= (SELECT value FROM meta WHERE key = 'peak_time')"              \
	" AND (b.free_time IS NULL OR b.free_time > (SELECT value FROM meta WHERE key = 'peak_time'))"

static void rows_free(struct row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(rows[i].name);
		free(rows[i].kind);
		free(rows[i].site);
		free(rows[i].ids);
	}
	free(rows);
}

static int by_bytes(const void *x, const void *y)
{
	const struct row *a = x, *b = y;
	if (a->bytes != b->bytes)
		return a->bytes < b->bytes ? 1 : -1;
	return a->first_id < b->first_id ? -1 : a->first_id > b->first_id;
}

/* One row per (name, kind, never destroyed, creation site, nested). */
static int collect(sqlite3 *db, struct report_ctx *c, const char *cond, int each, struct row **out,
		   size_t *n_out)
{
	char sql[1024];
	snprintf(sql, sizeof(sql),
		 "SELECT a.id, coalesce(a.name, ''), a.kind, a.destroyed IS NULL, a.stack, count(*), sum(b.size),"
		 " coalesce((SELECT p.kind NOT IN ('c') FROM allocators p WHERE p.id = a.parent), 0)"
		 " FROM cz_blocks b JOIN allocators a ON a.id = b.allocator WHERE %s GROUP BY a.id ORDER BY a.id",
		 cond);
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL))
		return cli_error("database: %s", sqlite3_errmsg(db)), -1;
	struct row *rows = NULL;
	size_t n = 0, cap = 0;
	char site[REPORT_NAME_MAX];
	int rc = 0;
	while (sqlite3_step(q) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(q, 1), *kind = (const char *)sqlite3_column_text(q, 2);
		int alive = sqlite3_column_int(q, 3), nested = sqlite3_column_int(q, 7);
		long long id = sqlite3_column_int64(q, 0);
		report_site(c, (uint64_t)sqlite3_column_int64(q, 4), site);
		size_t i;
		for (i = each ? n : 0; i < n; i++)
			if (rows[i].alive == alive && rows[i].nested == nested && !strcmp(rows[i].name, name) &&
			    !strcmp(rows[i].kind, kind) && !strcmp(rows[i].site, site))
				break;
		if (i == n) {
			if (array_reserve((void **)&rows, &cap, n, sizeof(*rows)))
				goto oom;
			rows[n] = (struct row){ .name = strdup(name), .kind = strdup(kind), .site = strdup(site),
						.alive = alive, .nested = nested, .first_id = id };
			n++;
			if (!rows[i].name || !rows[i].kind || !rows[i].site)
				goto oom;
		}
		struct row *r = &rows[i];
		if (array_grow((void **)&r->ids, &r->cap_ids, r->n_ids, sizeof(*r->ids)))
			goto oom;
		r->ids[r->n_ids++] = id;
		r->allocators++;
		r->blocks += sqlite3_column_int64(q, 5);
		r->bytes += sqlite3_column_int64(q, 6);
	}
	goto done;
oom:
	rc = -1;
	cli_error("out of memory");
done:
	sqlite3_finalize(q);
	if (rc) {
		rows_free(rows, n);
		return rc;
	}
	if (n) /* qsort wants an array, even of none */
		qsort(rows, n, sizeof(*rows), by_bytes);
	*out = rows;
	*n_out = n;
	return 0;
}

/* Where a row's blocks were allocated, by call site, biggest first:
 * prints up to SITES_SHOWN lines (or a JSON array). */
static int print_sites(sqlite3 *db, struct report_ctx *c, const char *cond, const struct row *r, int json)
{
	char sql[1024];
	snprintf(sql, sizeof(sql),
		 "SELECT b.stack, count(*), sum(b.size) FROM cz_blocks b JOIN allocators a ON a.id = b.allocator"
		 " WHERE b.allocator = ? AND %s GROUP BY b.stack", cond);
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL))
		return cli_error("database: %s", sqlite3_errmsg(db)), -1;
	struct site { char name[REPORT_NAME_MAX]; long long blocks, bytes; } *sites = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	for (size_t k = 0; k < r->n_ids && !rc; k++) {
		sqlite3_bind_int64(q, 1, r->ids[k]);
		while (sqlite3_step(q) == SQLITE_ROW) {
			char name[REPORT_NAME_MAX];
			report_site(c, (uint64_t)sqlite3_column_int64(q, 0), name);
			size_t i;
			for (i = 0; i < n && strcmp(sites[i].name, name); i++)
				;
			if (i == n) {
				if (array_reserve((void **)&sites, &cap, n, sizeof(*sites))) {
					rc = -1;
					cli_error("out of memory");
					break;
				}
				memcpy(sites[n].name, name, sizeof(name));
				sites[n].blocks = sites[n].bytes = 0;
				n++;
			}
			sites[i].blocks += sqlite3_column_int64(q, 1);
			sites[i].bytes += sqlite3_column_int64(q, 2);
		}
		sqlite3_reset(q);
	}
	sqlite3_finalize(q);
	/* biggest first: a selection sort, the lists are short */
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (sites[j].bytes > sites[i].bytes) {
				struct site t = sites[i];
				sites[i] = sites[j];
				sites[j] = t;
			}
	char size[32];
	if (json)
		printf(", \"allocated_at\": [");
	for (size_t i = 0; i < n && !rc; i++) {
		if (json) {
			printf("%s{\"site\": ", i ? ", " : "");
			report_json_string(stdout, sites[i].name);
			printf(", \"blocks\": %lld, \"bytes\": %lld}", sites[i].blocks, sites[i].bytes);
		} else if (i < SITES_SHOWN) {
			printf("%12s %8lld    allocated at %s\n", cli_human_size((uint64_t)sites[i].bytes, size),
			       sites[i].blocks, sites[i].name);
		}
	}
	if (json)
		printf("]");
	else if (n > SITES_SHOWN)
		printf("%12s %8s    ... %zu more sites\n", "", "", n - SITES_SHOWN);
	free(sites);
	return rc;
}

int by_allocator_report(sqlite3 *db, const char *report, const char *trace, int when, int json, int limit,
			int each)
{
	const char *cond = when == BY_ALLOC_AT_EXIT ? LEAKED_AT_EXIT : LIVE_AT_PEAK;
	struct report_ctx *c = report_ctx_new(db);
	struct row *rows = NULL;
	size_t n_rows = 0;
	if (!c)
		return 1;
	if (collect(db, c, cond, each, &rows, &n_rows)) {
		report_ctx_free(c);
		return 1;
	}
	const char *what = when == BY_ALLOC_AT_EXIT ? "never freed" : "live at the peak";
	if (json) {
		report_json_open(stdout, db, trace);
		printf(", \"by\": \"allocator\", \"allocators\": [");
	} else {
		report_header(db, report, trace);
		printf("\nallocator-library blocks %s, by allocator%s\n\n%12s %8s  %-26s %s\n", what,
		       each ? "" : " (allocators made at one place are one row; --each: one row each)", "BYTES",
		       "BLOCKS", "ALLOCATOR", "CREATED AT");
	}
	int shown = 0, rc = 0;
	long long bytes = 0, blocks = 0, allocators = 0, nested_bytes = 0;
	char size[32], label[200], count[32];
	for (size_t i = 0; i < n_rows && !rc; i++) {
		const struct row *r = &rows[i];
		if (r->nested)
			nested_bytes += r->bytes;
		else {
			bytes += r->bytes;
			blocks += r->blocks;
		}
		allocators += r->allocators;
		if (limit && shown >= limit)
			continue;
		if (json) {
			printf("%s{\"id\": %lld, \"name\": ", shown ? ", " : "", r->first_id);
			report_json_string(stdout, r->name);
			printf(", \"kind\": \"%s\", \"destroyed\": %s, \"allocators\": %lld, \"nested\": %s,"
			       " \"bytes\": %lld, \"blocks\": %lld, \"created_at\": ",
			       r->kind, r->alive ? "false" : "true", r->allocators, r->nested ? "true" : "false",
			       r->bytes, r->blocks);
			report_json_string(stdout, r->site);
		} else {
			snprintf(count, sizeof(count), " x%lld", r->allocators);
			snprintf(label, sizeof(label), "%s (%s%s%s)%s", r->name, r->kind,
				 r->alive ? ", never destroyed" : "", r->nested ? ", inside its parent's blocks" : "",
				 r->allocators > 1 ? count : "");
			printf("%12s %8lld  %-26s %s\n", cli_human_size((uint64_t)r->bytes, size), r->blocks, label,
			       r->site);
		}
		if (when == BY_ALLOC_AT_EXIT)
			rc = print_sites(db, c, cond, r, json);
		if (json)
			printf("}");
		shown++;
	}
	rows_free(rows, n_rows);
	report_ctx_free(c);
	if (rc)
		return 1;
	if (json)
		printf("], \"bytes\": %lld, \"blocks\": %lld}\n", bytes, blocks);
	else if (!n_rows)
		printf("%12s %8s  (none)\n", "", "");
	else {
		printf("\n%s in %lld block%s from %lld allocator%s\n", cli_human_size((uint64_t)bytes, size), blocks,
		       blocks == 1 ? "" : "s", allocators, allocators == 1 ? "" : "s");
		if (nested_bytes)
			printf("(%s more in layers inside other allocators' blocks, not added: the same memory)\n",
			       cli_human_size((uint64_t)nested_bytes, size));
	}
	return 0;
}
