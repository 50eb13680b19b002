/*
 * alloc_vtab.c - see alloc_vtab.h.
 */
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/alloc_vtab.h"
#include "cli/read_ahead.h"
#include "cli/tracedb.h"
#include "cli/util.h"
#include "format/czt.h"
#include "lib/analysis/engine.h"
#include "lib/analysis/feed.h"
#include "lib/base/grow.h"

enum col { C_ID, C_ADDR, C_SIZE, C_FN, C_ALLOC_TIME, C_FREE_TIME, C_ALLOC_SEQ, C_FREE_SEQ, C_STACK, C_TID,
	   C_FREE_TID, C_REALLOC_FROM, C_TEMPORARY, N_COLS };

static const char declare[] =
	"CREATE TABLE x(id INTEGER PRIMARY KEY, addr INTEGER, size INTEGER, fn TEXT, alloc_time INTEGER,"
	" free_time INTEGER, alloc_seq INTEGER, free_seq INTEGER, stack INTEGER, tid INTEGER,"
	" free_tid INTEGER, realloc_from INTEGER, temporary INTEGER)";

struct row {
	uint64_t id, addr, size, alloc_time, free_time, alloc_seq, free_seq, stack, tid, free_tid, realloc_from;
	uint8_t fn, live, temporary;
};

/* A pushed-down constraint: column op value. */
struct filter {
	int col;
	unsigned char op;
	sqlite3_int64 v;
};

struct vtab {
	sqlite3_vtab base;
	sqlite3 *db;
};

struct cursor {
	sqlite3_vtab_cursor base;
	char *trace_path;
	uint64_t lag;
	int threads_seen;
	struct czt_reader *r;
	struct an_engine en;
	int started, at_end, eof;
	struct an_feed feed;   /* reads c->r into en */
	struct row *rows; /* made and not yet handed out: a fifo */
	size_t head, n, cap;
	struct filter f[8];
	int n_f;
};

/* Columns a constraint may be pushed down on (all integers). */
static int pushable(int col)
{
	return col == C_ID || col == C_SIZE || col == C_STACK || col == C_TID || col == C_ALLOC_TIME ||
	       col == C_FREE_TIME || col == C_ALLOC_SEQ || col == C_FREE_SEQ || col == -1;
}

static int x_connect(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out,
		     char **err)
{
	int rc = sqlite3_declare_vtab(db, declare);
	if (rc != SQLITE_OK)
		return rc;
	struct vtab *v = sqlite3_malloc(sizeof(*v));
	if (!v)
		return SQLITE_NOMEM;
	memset(v, 0, sizeof(*v));
	v->db = db;
	*out = &v->base;
	return SQLITE_OK;
}

static int x_disconnect(sqlite3_vtab *v)
{
	sqlite3_free(v);
	return SQLITE_OK;
}

static int x_best_index(sqlite3_vtab *tab, sqlite3_index_info *info)
{
	int n = 0;
	char plan[16] = { 0 }; /* per argument: column and operator */
	for (int i = 0; i < info->nConstraint && n < 8; i++) {
		const struct sqlite3_index_constraint *c = &info->aConstraint[i];
		unsigned char op = c->op;
		if (!c->usable || !pushable(c->iColumn))
			continue;
		if (op != SQLITE_INDEX_CONSTRAINT_EQ && op != SQLITE_INDEX_CONSTRAINT_GT &&
		    op != SQLITE_INDEX_CONSTRAINT_LE && op != SQLITE_INDEX_CONSTRAINT_LT &&
		    op != SQLITE_INDEX_CONSTRAINT_GE)
			continue;
		info->aConstraintUsage[i].argvIndex = ++n;
		info->aConstraintUsage[i].omit = 0; /* SQLite checks again: NULLs, types */
		plan[2 * (n - 1)] = (char)(c->iColumn < 0 ? C_ID : c->iColumn) + 'A';
		plan[2 * (n - 1) + 1] = (char)op;
	}
	info->idxStr = sqlite3_mprintf("%s", plan);
	info->needToFreeIdxStr = 1;
	/* the whole trace is read whatever the constraints: only the rows
	 * handed to SQLite get fewer */
	info->estimatedCost = 1e9 / (n + 1);
	info->estimatedRows = n ? 1000 : 1000000;
	return info->idxStr ? SQLITE_OK : SQLITE_NOMEM;
}

static void cursor_reset(struct cursor *c)
{
	if (c->r)
		czt_reader_free(c->r);
	c->r = NULL;
	if (c->started)
		an_engine_release(&c->en);
	c->started = c->at_end = c->eof = 0;
	c->head = c->n = 0;
}

static int x_open(sqlite3_vtab *tab, sqlite3_vtab_cursor **out)
{
	struct vtab *v = (struct vtab *)tab;
	struct cursor *c = calloc(1, sizeof(*c));
	if (!c)
		return SQLITE_NOMEM;
	/* the merge the load ended with: one that never came too late */
	c->trace_path = tracedb_meta_text(v->db, "trace_path");
	char *mode = tracedb_meta_text(v->db, "merge"), *lag = tracedb_meta_text(v->db, "merge_lag_ns");
	if (!c->trace_path) {
		free(mode);
		free(lag);
		free(c);
		sqlite3_free(tab->zErrMsg);
		tab->zErrMsg = sqlite3_mprintf("allocations: this database names no trace");
		return SQLITE_ERROR;
	}
	c->lag = lag ? (uint64_t)atoll(lag) : AN_MERGE_LAG_NS;
	c->threads_seen = !mode || !strcmp(mode, "threads");
	if (mode && !strcmp(mode, "all"))
		c->lag = AN_LAG_ALL;
	free(mode);
	free(lag);
	*out = &c->base;
	return SQLITE_OK;
}

static int x_close(sqlite3_vtab_cursor *cur)
{
	struct cursor *c = (struct cursor *)cur;
	cursor_reset(c);
	free(c->rows);
	free(c->trace_path);
	free(c);
	return SQLITE_OK;
}

static int passes(const struct cursor *c, const struct row *r)
{
	for (int i = 0; i < c->n_f; i++) {
		sqlite3_int64 x;
		switch (c->f[i].col) {
		case C_ID: x = (sqlite3_int64)r->id; break;
		case C_SIZE: x = (sqlite3_int64)r->size; break;
		case C_STACK: x = (sqlite3_int64)r->stack; break;
		case C_TID: x = (sqlite3_int64)r->tid; break;
		case C_ALLOC_TIME: x = (sqlite3_int64)r->alloc_time; break;
		case C_FREE_TIME:
			if (r->live)
				return 0; /* NULL satisfies no comparison */
			x = (sqlite3_int64)r->free_time;
			break;
		case C_ALLOC_SEQ: x = (sqlite3_int64)r->alloc_seq; break;
		case C_FREE_SEQ:
			if (r->live)
				return 0;
			x = (sqlite3_int64)r->free_seq;
			break;
		default: continue;
		}
		sqlite3_int64 v = c->f[i].v;
		switch (c->f[i].op) {
		case SQLITE_INDEX_CONSTRAINT_EQ: if (x != v) return 0; break;
		case SQLITE_INDEX_CONSTRAINT_GT: if (x <= v) return 0; break;
		case SQLITE_INDEX_CONSTRAINT_GE: if (x < v) return 0; break;
		case SQLITE_INDEX_CONSTRAINT_LT: if (x >= v) return 0; break;
		case SQLITE_INDEX_CONSTRAINT_LE: if (x > v) return 0; break;
		}
	}
	return 1;
}

static int add_row(struct cursor *c, const struct an_block *b, const struct an_end *e)
{
	struct row r = { .id = b->id, .addr = b->addr, .size = b->size, .alloc_time = b->time,
			 .alloc_seq = b->seq, .stack = c->en.stacks[b->stack],
			 .tid = c->en.threads[b->thread].tid, .realloc_from = b->realloc_from,
			 .fn = b->fn, .live = e == NULL };
	if (e) {
		r.free_time = e->time;
		r.free_seq = e->seq;
		r.free_tid = c->en.threads[e->thread].tid;
		r.temporary = e->temporary;
	}
	if (!passes(c, &r))
		return 0;
	if (c->head + c->n == c->cap) {
		if (c->head) {
			memmove(c->rows, c->rows + c->head, c->n * sizeof(*c->rows));
			c->head = 0;
		} else if (array_grow((void **)&c->rows, &c->cap, c->n, sizeof(*c->rows))) {
			return -1;
		}
	}
	c->rows[c->head + c->n++] = r;
	return 0;
}

static int on_ended(void *ctx, const struct an_block *b, const struct an_end *e)
{
	return add_row(ctx, b, e);
}

static int on_live(void *ctx, const struct an_block *b)
{
	return add_row(ctx, b, NULL);
}

/* Reads chunks until a row is made or the trace ends. */
static int fill(struct cursor *c)
{
	while (!c->n && !c->at_end) {
		if (an_feed_chunk(&c->en, &c->feed))
			return SQLITE_ERROR;
		/* the end, or a damage the load stopped at too */
		if (c->feed.done) {
			c->at_end = 1;
			if (an_engine_live(&c->en, on_live, c))
				return SQLITE_ERROR;
		}
	}
	c->eof = !c->n;
	return SQLITE_OK;
}

static int x_filter(sqlite3_vtab_cursor *cur, int idx, const char *plan, int argc, sqlite3_value **argv)
{
	struct cursor *c = (struct cursor *)cur;
	cursor_reset(c);
	c->n_f = 0;
	for (int i = 0; i < argc && i < 8 && plan && plan[2 * i]; i++) {
		if (sqlite3_value_numeric_type(argv[i]) != SQLITE_INTEGER)
			continue; /* SQLite checks it itself */
		c->f[c->n_f++] = (struct filter){ plan[2 * i] - 'A', (unsigned char)plan[2 * i + 1],
						  sqlite3_value_int64(argv[i]) };
	}
	int rc = czt_reader_open(&c->r, c->trace_path);
	if (rc) {
		sqlite3_free(cur->pVtab->zErrMsg);
		cur->pVtab->zErrMsg = sqlite3_mprintf("allocations: '%s': %s", c->trace_path,
						      rc == CZT_ERR_IO ? "cannot read it" : czt_errstr(rc));
		return SQLITE_ERROR;
	}
	cli_read_ahead(c->r); /* the feed reads it start to end, as the load does */
	an_feed_init(&c->feed, c->r, NULL, NULL);
	struct an_options o = { .merge_lag = c->lag, .threads_seen = c->threads_seen, .ended = on_ended,
				.ctx = c };
	if (an_engine_init(&c->en, &o))
		return SQLITE_NOMEM;
	c->started = 1;
	return fill(c);
}

static int x_next(sqlite3_vtab_cursor *cur)
{
	struct cursor *c = (struct cursor *)cur;
	c->head++;
	c->n--;
	return fill(c);
}

static int x_eof(sqlite3_vtab_cursor *cur)
{
	return ((struct cursor *)cur)->eof;
}

static void result_or_null(sqlite3_context *ctx, uint64_t v, int null)
{
	if (null)
		sqlite3_result_null(ctx);
	else
		sqlite3_result_int64(ctx, (sqlite3_int64)v);
}

static int x_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col)
{
	const struct cursor *c = (const struct cursor *)cur;
	const struct row *r = &c->rows[c->head];
	switch (col) {
	case C_ID: result_or_null(ctx, r->id, 0); break;
	case C_ADDR: result_or_null(ctx, r->addr, 0); break;
	case C_SIZE: result_or_null(ctx, r->size, 0); break;
	case C_FN: sqlite3_result_text(ctx, load_fn_name(r->fn), -1, SQLITE_STATIC); break;
	case C_ALLOC_TIME: result_or_null(ctx, r->alloc_time, 0); break;
	case C_FREE_TIME: result_or_null(ctx, r->free_time, r->live); break;
	case C_ALLOC_SEQ: result_or_null(ctx, r->alloc_seq, 0); break;
	case C_FREE_SEQ: result_or_null(ctx, r->free_seq, r->live); break;
	case C_STACK: result_or_null(ctx, r->stack, 0); break;
	case C_TID: result_or_null(ctx, r->tid, 0); break;
	case C_FREE_TID: result_or_null(ctx, r->free_tid, r->live); break;
	case C_REALLOC_FROM: result_or_null(ctx, r->realloc_from, !r->realloc_from); break;
	case C_TEMPORARY: result_or_null(ctx, r->temporary, 0); break;
	}
	return SQLITE_OK;
}

static int x_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid)
{
	const struct cursor *c = (const struct cursor *)cur;
	*rowid = (sqlite3_int64)c->rows[c->head].id;
	return SQLITE_OK;
}

static const sqlite3_module module = {
	.iVersion = 1,
	.xCreate = NULL, /* eponymous only: no CREATE VIRTUAL TABLE needed, none allowed */
	.xConnect = x_connect,
	.xBestIndex = x_best_index,
	.xDisconnect = x_disconnect,
	.xDestroy = x_disconnect,
	.xOpen = x_open,
	.xClose = x_close,
	.xFilter = x_filter,
	.xNext = x_next,
	.xEof = x_eof,
	.xColumn = x_column,
	.xRowid = x_rowid,
};

static int init(sqlite3 *db, char **err, const struct sqlite3_api_routines *api)
{
	return sqlite3_create_module(db, "allocations", &module, NULL);
}

void alloc_vtab_register(void)
{
	static int done;
	if (!done)
		sqlite3_auto_extension((void (*)(void))init);
	done = 1;
}
