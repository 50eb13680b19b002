/*
 * massif.c - see massif.h.  The peak snapshot's tree is built the
 * way massif's is: under "(heap allocation functions)", each allocation
 * site, then its callers, each node with the bytes live below it.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/render/massif.h"
#include "cli/report.h"
#include "cli/util.h"
#include "cli/tracedb.h"

#define SNAPSHOTS 60 /* about what massif keeps */
#define MAX_FRAMES 64

struct mnode {
	char *name;
	uint64_t bytes;
	struct mnode *child, *next;
};

static struct mnode *child_named(struct mnode *p, const char *name)
{
	for (struct mnode *c = p->child; c; c = c->next)
		if (!strcmp(c->name, name))
			return c;
	struct mnode *c = calloc(1, sizeof(*c));
	if (!c || !(c->name = strdup(name))) {
		free(c);
		return NULL;
	}
	c->next = p->child;
	p->child = c;
	return c;
}

static void free_nodes(struct mnode *n)
{
	while (n) {
		struct mnode *next = n->next;
		free_nodes(n->child);
		free(n->name);
		free(n);
		n = next;
	}
}

static int by_bytes(const void *a, const void *b)
{
	const struct mnode *x = *(struct mnode *const *)a, *y = *(struct mnode *const *)b;
	return x->bytes < y->bytes ? 1 : x->bytes > y->bytes ? -1 : strcmp(x->name, y->name);
}

/* ids stand in for massif's code addresses: unique per node */
static void write_tree(FILE *out, struct mnode *n, int depth, unsigned *id)
{
	size_t k = 0;
	for (struct mnode *c = n->child; c; c = c->next)
		k++;
	struct mnode **kids = malloc((k ? k : 1) * sizeof(*kids));
	if (!kids)
		k = 0;
	k = 0;
	for (struct mnode *c = n->child; kids && c; c = c->next)
		kids[k++] = c;
	if (k > 1)
		qsort(kids, k, sizeof(*kids), by_bytes);
	fprintf(out, "%*sn%zu: %llu ", depth, "", k, (unsigned long long)n->bytes);
	if (depth == 0)
		fputs("(heap allocation functions) malloc/new/new[], --alloc-fns, etc.\n", out);
	else
		fprintf(out, "0x%x: %s\n", ++*id, n->name);
	for (size_t i = 0; i < k; i++)
		write_tree(out, kids[i], depth + 1, id);
	free(kids);
}

/* One snapshot; tree NULL for an empty one, else the detailed peak. */
static void snapshot(FILE *out, int n, uint64_t time_ns, uint64_t bytes, struct mnode *tree, unsigned *ids)
{
	fprintf(out, "#-----------\nsnapshot=%d\n#-----------\ntime=%.3f\nmem_heap_B=%llu\n"
		     "mem_heap_extra_B=0\nmem_stacks_B=0\nheap_tree=%s\n",
		n, (double)time_ns / 1e6, (unsigned long long)bytes, tree ? "peak" : "empty");
	if (tree)
		write_tree(out, tree, 0, ids);
}

int export_massif(sqlite3 *db, FILE *out)
{
	char *cmd = cli_one_line(tracedb_meta_text(db, "cmdline"));
	fprintf(out, "desc: czprof export --format massif\ncmd: %s\ntime_unit: ms\n", cmd ? cmd : "?");
	free(cmd);
	/* the tree of what was live at the peak */
	struct mnode root = { 0 };
	sqlite3_stmt *q;
	struct report_ctx *c = report_ctx_new(db);
	struct report_frame *fr = calloc(MAX_FRAMES, sizeof(*fr));
	if (!c || !fr || sqlite3_prepare_v2(db, "SELECT stack, peak_bytes FROM stack_totals WHERE peak_bytes > 0",
					    -1, &q, NULL)) {
		report_ctx_free(c);
		free(fr);
		return cli_error("database: %s", sqlite3_errmsg(db));
	}
	int rc = 0;
	while (!rc && sqlite3_step(q) == SQLITE_ROW) {
		uint64_t bytes = (uint64_t)sqlite3_column_int64(q, 1);
		int n = report_stack(c, (uint64_t)sqlite3_column_int64(q, 0), fr, MAX_FRAMES);
		int i = report_site_index(fr, n);
		root.bytes += bytes;
		struct mnode *p = &root;
		for (; i < n && p; i++) /* the site first, then its callers */
			if ((p = child_named(p, fr[i].name)))
				p->bytes += bytes;
		if (!p)
			rc = cli_error("out of memory");
	}
	sqlite3_finalize(q);
	report_ctx_free(c);
	free(fr);
	/* snapshots: the start, the highest point of each of SNAPSHOTS equal
	 * slices of the run, the peak (detailed) in its place, the end */
	uint64_t peak_seq = (uint64_t)report_meta_int(db, "peak_seq");
	uint64_t peak = (uint64_t)report_meta_int(db, "peak_bytes");
	uint64_t peak_time = (uint64_t)report_meta_int(db, "peak_time");
	int64_t duration = report_meta_int(db, "duration_ns");
	int snap = 0, peak_done = 0;
	unsigned ids = 0;
	uint64_t last_time = 0;
	if (!rc)
		snapshot(out, snap++, 0, 0, NULL, &ids);
	/* SQLite takes a bare column of a max() aggregate from the row holding the max */
	if (!rc && !sqlite3_prepare_v2(db, "SELECT time, seq, max(live_bytes) FROM timeline "
					   "GROUP BY min(time * ?1 / (?2 + 1), ?1 - 1) ORDER BY seq", -1, &q, NULL)) {
		sqlite3_bind_int(q, 1, SNAPSHOTS);
		sqlite3_bind_int64(q, 2, duration);
		while (sqlite3_step(q) == SQLITE_ROW) {
			uint64_t t = (uint64_t)sqlite3_column_int64(q, 0), seq = (uint64_t)sqlite3_column_int64(q, 1);
			if (!peak_done && seq >= peak_seq) {
				snapshot(out, snap++, peak_time, peak, &root, &ids);
				peak_done = 1;
				last_time = peak_time;
				if (seq == peak_seq)
					continue;
			}
			snapshot(out, snap++, t, (uint64_t)sqlite3_column_int64(q, 2), NULL, &ids);
			last_time = t;
		}
		sqlite3_finalize(q);
	}
	if (!rc && !peak_done) {
		snapshot(out, snap++, peak_time, peak, &root, &ids);
		last_time = peak_time;
	}
	if (!rc && (uint64_t)duration > last_time) /* what is left at the end: the leaks */
		snapshot(out, snap++, (uint64_t)duration, (uint64_t)report_meta_int(db, "leaked_bytes"), NULL, &ids);
	free_nodes(root.child);
	return rc;
}
