/*
 * load_kinds.c - leak kinds into the database (load_kinds.h).  The scan's
 * records are read in a pass of their own over the trace, which steps over
 * the EVENTS chunks without reading them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/load_kinds.h"
#include "cli/tracedb.h"
#include "cli/util.h"
#include "format/czt.h"
#include "lib/analysis/kinds.h"
#include "lib/base/grow.h"

struct kinds_load {
	sqlite3 *db;
	struct lk_block *b;
	int64_t *id;
	size_t n;
	struct lk_scan *s;
	int scanned;          /* a SCAN_END was read */
	uint64_t scan_time, words, bytes, ns;
};

static int read_blocks(struct kinds_load *k)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(k->db, "SELECT id, addr, size, alloc_time FROM exit_blocks"
				      " WHERE free_time IS NULL", -1, &q, NULL))
		return -1;
	size_t cap_b = 0, cap_id = 0;
	int rc = 0;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (array_grow((void **)&k->b, &cap_b, k->n, sizeof(*k->b)) ||
		    array_grow((void **)&k->id, &cap_id, k->n, sizeof(*k->id))) {
			sqlite3_finalize(q);
			return -1;
		}
		k->id[k->n] = sqlite3_column_int64(q, 0);
		k->b[k->n++] = (struct lk_block){ (uint64_t)sqlite3_column_int64(q, 1),
						  (uint64_t)sqlite3_column_int64(q, 2),
						  (uint64_t)sqlite3_column_int64(q, 3) };
	}
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Feeds the scan's records to the classification.  A damaged or missing
 * part leaves k->scanned 0. */
static int read_scan(struct kinds_load *k, const char *trace_path)
{
	struct czt_reader *r;
	if (czt_reader_open(&r, trace_path))
		return 0;
	struct czt_chunk c;
	struct czt_record rec;
	int rc = 0, damaged = 0;
	for (;;) {
		czt_reader_pass_next(r); /* the events are not needed */
		if (czt_reader_next_chunk(r, &c) != CZT_OK)
			break;
		if (c.type != CZT_CHUNK_SCAN)
			continue;
		int rrc;
		while ((rrc = czt_reader_next_record(r, &rec)) == CZT_OK) {
			if (rec.type == CZT_REC_SCAN_END) {
				k->scanned = 1;
				k->scan_time = rec.time;
				k->words = rec.n_events;
				k->bytes = rec.value;
				k->ns = rec.end_time;
			}
			int f = lk_feed(k->s, &rec);
			if (f < 0)
				rc = -1;
			damaged |= f > 0;
			if (rc)
				break;
		}
		damaged |= rrc != CZT_EOF && rrc != CZT_OK;
		if (rc)
			break;
	}
	czt_reader_free(r);
	if (damaged)
		k->scanned = 0;
	return rc;
}

static int store(struct kinds_load *k)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(k->db, "INSERT INTO leak_kinds(id, kind, heuristic, indirect_bytes, leader)"
				      " VALUES(?, ?, ?, ?, ?)", -1, &q, NULL))
		return -1;
	uint64_t bytes[LK_REACHABLE + 1] = { 0 }, blocks[LK_REACHABLE + 1] = { 0 };
	int rc = 0;
	for (size_t i = 0; i < k->n && !rc; i++) {
		const struct lk_result *r = lk_result(k->s, i);
		bytes[r->kind] += k->b[i].size;
		blocks[r->kind]++;
		sqlite3_bind_int64(q, 1, k->id[i]);
		sqlite3_bind_text(q, 2, lk_kind_name(r->kind), -1, SQLITE_STATIC);
		const char *h = lk_heuristic_name(r->heuristic);
		if (h)
			sqlite3_bind_text(q, 3, h, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(q, 3);
		sqlite3_bind_int64(q, 4, (int64_t)r->indirect_bytes);
		if (r->kind == LK_INDIRECT)
			sqlite3_bind_int64(q, 5, k->id[r->leader]);
		else
			sqlite3_bind_null(q, 5);
		rc = sqlite3_step(q) == SQLITE_DONE ? 0 : -1;
		sqlite3_reset(q);
	}
	sqlite3_finalize(q);
	if (rc)
		return -1;
	char key[64];
	for (int kind = LK_DEFINITE; kind <= LK_REACHABLE; kind++) {
		snprintf(key, sizeof(key), "%s_bytes", lk_kind_name((enum lk_kind)kind));
		rc |= tracedb_put_meta(k->db, key, (int64_t)bytes[kind], NULL);
		snprintf(key, sizeof(key), "%s_blocks", lk_kind_name((enum lk_kind)kind));
		rc |= tracedb_put_meta(k->db, key, (int64_t)blocks[kind], NULL);
	}
	rc |= tracedb_put_meta(k->db, "leaked_bytes", (int64_t)(bytes[LK_DEFINITE] + bytes[LK_INDIRECT]), NULL);
	rc |= tracedb_put_meta(k->db, "leaked_blocks", (int64_t)(blocks[LK_DEFINITE] + blocks[LK_INDIRECT]), NULL);
	rc |= tracedb_put_meta(k->db, "scan_words", (int64_t)k->words, NULL);
	rc |= tracedb_put_meta(k->db, "scan_bytes", (int64_t)k->bytes, NULL);
	rc |= tracedb_put_meta(k->db, "scan_ns", (int64_t)k->ns, NULL);
	rc |= tracedb_put_meta(k->db, "leak_kinds", 0, "scanned");
	if (rc)
		return -1;
	/* what every report calls leaked: the lost blocks only */
	char *err = NULL;
	if (sqlite3_exec(k->db,
			 "UPDATE stack_totals SET leaked = 0, leaked_bytes = 0;"
			 "UPDATE stack_totals SET leaked = x.n, leaked_bytes = x.b FROM"
			 " (SELECT a.stack AS stack, COUNT(*) AS n, SUM(a.size) AS b FROM exit_blocks a"
			 "  JOIN leak_kinds k ON k.id = a.id WHERE k.kind IN ('definite', 'indirect')"
			 "  GROUP BY a.stack) AS x WHERE x.stack = stack_totals.stack;",
			 NULL, NULL, &err) != SQLITE_OK) {
		cli_error("database: %s", err ? err : sqlite3_errmsg(k->db));
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

int load_kinds(sqlite3 *db, const char *trace_path)
{
	struct kinds_load k = { .db = db };
	int rc = -1;
	if (read_blocks(&k)) {
		cli_error("database: %s", sqlite3_errmsg(db));
		goto out;
	}
	k.s = lk_new(k.b, k.n);
	if (!k.s || read_scan(&k, trace_path)) {
		cli_error("out of memory classifying the leaks of '%s'", trace_path);
		goto out;
	}
	if (!k.scanned) {
		rc = tracedb_put_meta(db, "leak_kinds", 0, "unknown") ? cli_error("database: %s", sqlite3_errmsg(db)) : 0;
		goto out;
	}
	if (lk_classify(k.s, k.scan_time)) {
		cli_error("out of memory classifying the leaks of '%s'", trace_path);
		goto out;
	}
	rc = store(&k) ? cli_error("database: %s", sqlite3_errmsg(db)) : 0;
out:
	lk_free(k.s);
	free(k.b);
	free(k.id);
	return rc;
}
