/*
 * load_cz.c - see load_cz.h.
 *
 * The allocators and their blocks are the engine's (lib/analysis/arenas.h):
 * this file only writes them.  A block's row is written when it ends, or
 * at the end while it is still open, an allocator's when it is destroyed
 * or at the end; its rowid is the order it was made
 * in, so that the table reads in that order whatever order rows came in.
 * Allocator names are the recorder's strings (ids from 2^32), kept here
 * by id, shifted by the image as the engine shifts allocator ids.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/load_cz.h"
#include "cli/util.h"
#include "format/printable.h"
#include "lib/analysis/engine.h"
#include "lib/analysis/idmap.h"

struct load_cz {
	sqlite3 *db;
	sqlite3_stmt *ins_block, *ins_allocator;
	uint64_t img; /* exec count << AN_IMAGE_SHIFT */
	/* the recorder's strings (allocator names): id -> text */
	struct idmap s_ids;
	char **s;
	size_t n_s, cap_s;
};

static const char schema[] =
	"CREATE TABLE allocators(id INTEGER PRIMARY KEY, kind TEXT, name TEXT, parent INTEGER,"
	" stack INTEGER, created INTEGER, destroyed INTEGER, allocations INTEGER,"
	" bytes_requested INTEGER, live_blocks INTEGER, live_bytes INTEGER, peak_bytes INTEGER,"
	" capacity INTEGER, peak_capacity INTEGER, resets INTEGER, waste INTEGER);"
	"CREATE TABLE cz_blocks(allocator INTEGER, addr INTEGER, size INTEGER, alloc_time INTEGER,"
	" free_time INTEGER, stack INTEGER, ended_by TEXT);";

int load_cz_begin(struct load_cz **out, sqlite3 *db)
{
	struct load_cz *l = calloc(1, sizeof(*l));
	if (!l)
		return -1;
	l->db = db;
	if (sqlite3_exec(db, schema, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO cz_blocks(rowid, allocator, addr, size, alloc_time, free_time,"
				   " stack, ended_by) VALUES(?,?,?,?,?,?,?,?)", -1, &l->ins_block, NULL) ||
	    /* OR REPLACE: a program that uses an allocator after destroying
	     * it makes the id anew; its row is then what came after */
	    sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO allocators VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", -1,
			       &l->ins_allocator, NULL)) {
		load_cz_free(l);
		return -1;
	}
	*out = l;
	return 0;
}

int load_cz_record(struct load_cz *l, const struct czt_record *r)
{
	if (r->type == CZT_REC_PROCESS_END && r->how == CZT_END_EXEC) {
		l->img += (uint64_t)1 << AN_IMAGE_SHIFT;
		return 0;
	}
	/* the recorder's own strings are numbered from 2^32 */
	uint64_t id = r->id + l->img;
	if (r->type != CZT_REC_STRING || r->id < ((uint64_t)1 << 32) || idmap_get(&l->s_ids, id) >= 0)
		return 0;
	/* an allocator's name is printed: no control characters */
	char *s = czt_printable_dup(r->str, r->str_len, CZT_PRINT_ESCAPE);
	if (!s || l->n_s >= UINT32_MAX || array_reserve((void **)&l->s, &l->cap_s, l->n_s, sizeof(char *)) ||
	    idmap_put(&l->s_ids, id, (uint32_t)l->n_s)) {
		free(s);
		return -1;
	}
	l->s[l->n_s++] = s;
	return 0;
}

/* A block's row: ended at time by how, or (how < 0) still open. */
static int put_block(struct load_cz *l, const struct an_allocator *a, const struct an_cz_block *b,
		     uint64_t time, int how)
{
	sqlite3_stmt *q = l->ins_block;
	sqlite3_bind_int64(q, 1, (sqlite3_int64)b->n);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)a->id);
	sqlite3_bind_int64(q, 3, (sqlite3_int64)b->addr);
	sqlite3_bind_int64(q, 4, (sqlite3_int64)b->size);
	sqlite3_bind_int64(q, 5, (sqlite3_int64)b->time);
	if (how < 0)
		sqlite3_bind_null(q, 6);
	else
		sqlite3_bind_int64(q, 6, (sqlite3_int64)time);
	sqlite3_bind_int64(q, 7, (sqlite3_int64)b->stack);
	if (how < 0)
		sqlite3_bind_null(q, 8);
	else
		sqlite3_bind_text(q, 8, an_cz_end_name((unsigned)how), -1, SQLITE_STATIC);
	int rc = sqlite3_step(q) == SQLITE_DONE ? 0 : LOAD_CZ_DB_ERROR;
	sqlite3_reset(q);
	return rc;
}

int load_cz_ended(void *ctx, const struct an_allocator *a, const struct an_cz_block *b, uint64_t time,
		    unsigned how)
{
	return put_block(ctx, a, b, time, (int)how);
}

static int put_open(void *ctx, const struct an_allocator *a, const struct an_cz_block *b)
{
	return put_block(ctx, a, b, 0, -1);
}

/* An allocator's row: destroyed, or as it is at the end. */
static int put_allocator(struct load_cz *l, const struct an_allocator *a)
{
	sqlite3_stmt *q = l->ins_allocator;
	long s = a->name ? idmap_get(&l->s_ids, a->name) : -1;
	/* capacity held beyond the most the allocator's blocks ever needed */
	uint64_t waste = a->peak_capacity > a->peak_bytes ? a->peak_capacity - a->peak_bytes : 0;
	sqlite3_bind_int64(q, 1, (sqlite3_int64)a->id);
	sqlite3_bind_text(q, 2, an_allocator_kind_name(a->kind), -1, SQLITE_STATIC);
	if (s >= 0 && l->s[s])
		sqlite3_bind_text(q, 3, l->s[s], -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(q, 3);
	sqlite3_bind_int64(q, 4, (sqlite3_int64)a->parent);
	sqlite3_bind_int64(q, 5, (sqlite3_int64)a->stack);
	sqlite3_bind_int64(q, 6, (sqlite3_int64)a->created);
	if (a->is_destroyed)
		sqlite3_bind_int64(q, 7, (sqlite3_int64)a->destroyed);
	else
		sqlite3_bind_null(q, 7);
	uint64_t v[] = { a->allocations, a->bytes_requested, a->live_blocks, a->live_bytes, a->peak_bytes,
			 a->capacity, a->peak_capacity, a->resets, waste };
	for (int c = 0; c < 9; c++)
		sqlite3_bind_int64(q, 8 + c, (sqlite3_int64)v[c]);
	int rc = sqlite3_step(q) == SQLITE_DONE ? 0 : LOAD_CZ_DB_ERROR;
	sqlite3_reset(q);
	return rc;
}

int load_cz_destroyed(void *ctx, const struct an_allocator *a)
{
	return put_allocator(ctx, a);
}

static int put_allocators(struct load_cz *l, const struct an_arenas *z)
{
	for (size_t i = 0; i < z->n_a; i++)
		if (z->a[i].in_use && put_allocator(l, &z->a[i]))
			return -1;
	return 0;
}

int load_cz_end(struct load_cz *l, const struct an_arenas *z)
{
	int rc = put_allocators(l, z);
	if (!rc) {
		rc = an_arenas_open(z, put_open, l);
		if (rc == -1) {
			load_cz_free(l);
			return cli_error("out of memory loading allocator events");
		}
	}
	if (!rc)
		rc = sqlite3_exec(l->db, "CREATE INDEX cz_blocks_allocator ON cz_blocks(allocator);", NULL, NULL, NULL);
	if (rc)
		cli_error("database: %s", sqlite3_errmsg(l->db));
	load_cz_free(l);
	return rc ? -1 : 0;
}

void load_cz_free(struct load_cz *l)
{
	if (!l)
		return;
	sqlite3_finalize(l->ins_block);
	sqlite3_finalize(l->ins_allocator);
	for (size_t i = 0; i < l->n_s; i++)
		free(l->s[i]);
	free(l->s);
	idmap_clear(&l->s_ids);
	free(l);
}
