/*
 * cmd_arenas.c - `czprof arenas`: every allocator the program announced
 * (libczalloc's arenas, fixed buffers, debug and failing allocators, and
 * pools made visible with czprof_annotate.h): its life, what it served,
 * how much it held and how much of that it never needed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/report.h"
#include "cli/tracedb.h"
#include "cli/util.h"
#include "lib/base/grow.h"

static const char usage[] =
	"usage: czprof arenas [--json] [-n N] [--sort KEY] [--each] TRACE\n\n"
	"Every arena, pool and allocator the program announced: kind, parent, where it\n"
	"was created, its lifetime (or 'never destroyed'), allocations served, bytes\n"
	"requested, the most its blocks held at once (peak live), the most it held\n"
	"from its parent (peak footprint), resets, and waste: footprint it never\n"
	"needed (peak footprint - peak live).  Allocators of one name and kind made at\n"
	"one place (a scratch buffer per parse) are one row, 'NAME xN', with their sums.\n\n"
	"  --each         one row per allocator, not per place\n"
	"  --sort KEY     footprint (default), waste, allocs, requested, live, resets,\n"
	"                 lifetime (never destroyed first), name, created\n"
	"  --json         machine-readable output\n"
	"  -n, --limit N  show at most N allocators (default 20; 0 = all)\n" REPORT_USAGE_ALLOC_FN REPORT_USAGE_DB "\n"
	"Programs appear here when they use libczalloc (lib/include/cz_alloc.h) or annotate\n"
	"their own pools (lib/include/czprof_annotate.h).\n";

struct arena {
	int64_t id, parent, stack, created, destroyed, allocs, requested, live_blocks, live_bytes;
	int64_t peak_bytes, peak_capacity, resets, waste;
	int is_destroyed;
	char kind[16], name[128];
	int64_t count;      /* allocators this row stands for (grouped) */
	char *site;         /* where it was created (grouping only) */
	const char *parent_name;
};

static const char *const sort_keys[] = { "footprint", "waste", "allocs", "requested", "live", "name",
					 "created", "resets", "lifetime", NULL };
static int sort_key;
static int each;

static int cmp(const void *pa, const void *pb)
{
	const struct arena *a = pa, *b = pb;
	int64_t x = 0, y = 0;
	switch (sort_key) {
	case 0: x = a->peak_capacity; y = b->peak_capacity; break;
	case 1: x = a->waste; y = b->waste; break;
	case 2: x = a->allocs; y = b->allocs; break;
	case 3: x = a->requested; y = b->requested; break;
	case 4: x = a->live_bytes; y = b->live_bytes; break;
	case 5: return strcmp(a->name, b->name);
	case 6: return (a->created > b->created) - (a->created < b->created);
	case 7: x = a->resets; y = b->resets; break;
	case 8: /* the longest first; never destroyed is longer than any */
		x = a->is_destroyed ? a->destroyed - a->created : INT64_MAX;
		y = b->is_destroyed ? b->destroyed - b->created : INT64_MAX;
		break;
	}
	if (x != y)
		return x < y ? 1 : -1; /* biggest first */
	return (a->id > b->id) - (a->id < b->id);
}

static int arenas_option(void *ctx, int argc, char **argv, int *i)
{
	(void)ctx;
	if (!strcmp(argv[*i], "--each")) {
		each = 1;
		return 1;
	}
	if (strcmp(argv[*i], "--sort"))
		return 0;
	if (++*i == argc)
		return cli_error("arenas: --sort needs a key");
	for (int k = 0; sort_keys[k]; k++)
		if (!strcmp(argv[*i], sort_keys[k])) {
			sort_key = k;
			return 1;
		}
	return cli_error("arenas: --sort takes footprint, waste, allocs, requested, live, resets, lifetime, name or "
			"created");
}

static const char *name_of(const struct arena *v, size_t n, int64_t id, char *buf)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].id == id)
			return v[i].name;
	if (!id)
		return "-";
	snprintf(buf, 32, "#%lld", (long long)id);
	return buf;
}

/* Folds allocators of one name, kind, parent, creation site and state
 * (destroyed or not) into one row each: figures summed, the lifetime from
 * the first creation to the last destruction.  Returns the number of rows
 * left at the front of v (names and sites read through c), -1 if out of
 * memory. */
static long group(struct report_ctx *c, struct arena *v, size_t n)
{
	char site[REPORT_NAME_MAX], pbuf[32];
	for (size_t i = 0; i < n; i++) {
		report_site(c, (uint64_t)v[i].stack, site);
		if (!(v[i].site = strdup(site)))
			return -1;
	}
	for (size_t i = 0; i < n; i++) /* after every site: name_of reads the ids */
		v[i].parent_name = strdup(name_of(v, n, v[i].parent, pbuf));
	size_t rows = 0;
	for (size_t i = 0; i < n; i++) {
		struct arena *a = &v[i];
		if (!a->parent_name)
			return -1;
		size_t g;
		for (g = 0; g < rows; g++) {
			struct arena *r = &v[g];
			if (r->is_destroyed == a->is_destroyed && !strcmp(r->name, a->name) && !strcmp(r->kind, a->kind) &&
			    !strcmp(r->site, a->site) && !strcmp(r->parent_name, a->parent_name))
				break;
		}
		if (g == rows) {
			if (g != i) {
				struct arena t = v[g];
				v[g] = *a;
				*a = t;
			}
			rows++;
			continue;
		}
		struct arena *r = &v[g];
		r->count += a->count;
		r->allocs += a->allocs;
		r->requested += a->requested;
		r->live_blocks += a->live_blocks;
		r->live_bytes += a->live_bytes;
		r->peak_bytes += a->peak_bytes;
		r->peak_capacity += a->peak_capacity;
		r->resets += a->resets;
		r->waste += a->waste;
		if (a->created < r->created)
			r->created = a->created;
		if (a->destroyed > r->destroyed)
			r->destroyed = a->destroyed;
	}
	return (long)rows;
}

static void arenas_free(struct arena *v, size_t n)
{
	for (size_t i = 0; i < n && v; i++) {
		free(v[i].site);
		free((char *)v[i].parent_name);
	}
	free(v);
}

int cmd_arenas(int argc, char **argv)
{
	struct report_opts o;
	sort_key = 0;
	each = 0;
	int pr = report_parse(argc, argv, usage, REPORT_OPT_JSON | REPORT_OPT_LIMIT | REPORT_OPT_SITES, arenas_option, NULL, &o);
	if (pr)
		return pr == REPORT_ARGS_HELP ? 0 : 2;
	sqlite3 *db = tracedb_open(o.trace);
	if (!db)
		return 1;
	struct report_ctx *c = report_ctx_new(db);
	sqlite3_stmt *q = NULL;
	struct arena *v = NULL;
	size_t n = 0, n_all = 0, cap = 0;
	int rc = 1;
	if (!c || sqlite3_prepare_v2(db,
				     "SELECT id, kind, coalesce(name, ''), parent, stack, created, destroyed, allocations,"
				     " bytes_requested, live_blocks, live_bytes, peak_bytes, peak_capacity, resets, waste"
				     " FROM allocators", -1, &q, NULL)) {
		cli_error("database: %s", sqlite3_errmsg(db));
		goto out;
	}
	while (sqlite3_step(q) == SQLITE_ROW) {
		if (array_grow((void **)&v, &cap, n, sizeof(*v)))
			goto out;
		struct arena *a = &v[n++];
		memset(a, 0, sizeof(*a));
		a->id = sqlite3_column_int64(q, 0);
		snprintf(a->kind, sizeof(a->kind), "%s", (const char *)sqlite3_column_text(q, 1));
		snprintf(a->name, sizeof(a->name), "%s", (const char *)sqlite3_column_text(q, 2));
		a->parent = sqlite3_column_int64(q, 3);
		a->stack = sqlite3_column_int64(q, 4);
		a->created = sqlite3_column_int64(q, 5);
		a->is_destroyed = sqlite3_column_type(q, 6) != SQLITE_NULL;
		a->destroyed = sqlite3_column_int64(q, 6);
		int64_t *f[] = { &a->allocs, &a->requested, &a->live_blocks, &a->live_bytes, &a->peak_bytes,
				 &a->peak_capacity, &a->resets, &a->waste };
		for (int k = 0; k < 8; k++)
			*f[k] = sqlite3_column_int64(q, 7 + k);
		a->count = 1;
	}
	size_t total = n;
	int64_t never = 0, held = 0;
	for (size_t i = 0; i < n; i++)
		if (!v[i].is_destroyed && v[i].live_blocks) {
			never++;
			held += v[i].live_bytes;
		}
	if (!o.json && !each) {
		long rows = group(c, v, n);
		if (rows < 0) {
			cli_error("out of memory");
			goto out;
		}
		n_all = n;
		n = (size_t)rows;
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp);
	size_t shown = o.limit && (size_t)o.limit < n ? (size_t)o.limit : n;
	char site[REPORT_NAME_MAX], pbuf[32], t0[32], t1[32], s1[32], s2[32], s3[32], s4[32];
	if (o.json) {
		report_json_open(stdout, db, o.trace);
		printf(", \"allocators\": [");
		for (size_t i = 0; i < shown; i++) {
			const struct arena *a = &v[i];
			report_site(c, (uint64_t)a->stack, site);
			printf("%s{\"id\": %lld, \"name\": ", i ? ", " : "", (long long)a->id);
			report_json_string(stdout, a->name);
			printf(", \"kind\": \"%s\", \"parent\": ", a->kind);
			report_json_string(stdout, name_of(v, n, a->parent, pbuf));
			printf(", \"created_at\": ");
			report_json_string(stdout, site);
			printf(", \"created_ns\": %lld, \"destroyed_ns\": ", (long long)a->created);
			if (a->is_destroyed)
				printf("%lld", (long long)a->destroyed);
			else
				printf("null");
			printf(", \"allocations\": %lld, \"bytes_requested\": %lld, \"live_blocks\": %lld, "
			       "\"live_bytes\": %lld, \"peak_live_bytes\": %lld, \"peak_footprint\": %lld, "
			       "\"resets\": %lld, \"waste\": %lld}",
			       (long long)a->allocs, (long long)a->requested, (long long)a->live_blocks,
			       (long long)a->live_bytes, (long long)a->peak_bytes, (long long)a->peak_capacity,
			       (long long)a->resets, (long long)a->waste);
		}
		printf("]}\n");
		rc = 0;
		goto out;
	}
	report_header(db, "arenas", o.trace);
	if (!n) {
		printf("\nno allocator announced itself: link libczalloc (lib/include/cz_alloc.h) or annotate\n"
		       "your pools (lib/include/czprof_annotate.h) to see them here\n");
		rc = 0;
		goto out;
	}
	printf("\n%-14s %-7s %-10s %8s %10s %10s %10s %10s %6s  %-25s %s\n", "NAME", "KIND", "PARENT", "ALLOCS",
	       "REQUESTED", "PEAK LIVE", "FOOTPRINT", "WASTE", "RESETS", "LIFETIME", "CREATED AT");
	for (size_t i = 0; i < shown; i++) {
		const struct arena *a = &v[i];
		if (a->site)
			snprintf(site, sizeof(site), "%s", a->site);
		else
			report_site(c, (uint64_t)a->stack, site);
		char life[192];
		cli_human_time((uint64_t)a->created, t0);
		if (a->is_destroyed)
			snprintf(life, sizeof(life), "%s -> %s", t0, cli_human_time((uint64_t)a->destroyed, t1));
		else
			snprintf(life, sizeof(life), "%s -> never destroyed", t0);
		char label[160];
		if (a->count > 1)
			snprintf(label, sizeof(label), "%.*s x%lld", 14 - snprintf(NULL, 0, " x%lld", (long long)a->count),
				 a->name, (long long)a->count);
		else
			snprintf(label, sizeof(label), "%s", a->name);
		printf("%-14.14s %-7s %-10.10s %8lld %10s %10s %10s %10s %6lld  %-25s %s\n", label, a->kind,
		       a->parent_name ? a->parent_name : name_of(v, n, a->parent, pbuf), (long long)a->allocs,
		       cli_human_size((uint64_t)a->requested, s1),
		       cli_human_size((uint64_t)a->peak_bytes, s2), cli_human_size((uint64_t)a->peak_capacity, s3),
		       cli_human_size((uint64_t)a->waste, s4), (long long)a->resets, life, site);
	}
	printf("\n%zu allocator%s", total, total == 1 ? "" : "s");
	if (n < total)
		printf(" in %zu row%s (--each: one row each)", n, n == 1 ? "" : "s");
	if (shown < n)
		printf(" (%zu shown)", shown);
	if (never)
		printf("; %lld never destroyed while holding %s in blocks", (long long)never,
		       cli_human_size((uint64_t)held, s1));
	printf("\n");
	rc = 0;
out:
	sqlite3_finalize(q);
	report_ctx_free(c);
	arenas_free(v, n_all ? n_all : n);
	sqlite3_close(db);
	return rc;
}
