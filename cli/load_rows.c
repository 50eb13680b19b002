/*
 * load_rows.c - the allocations table in one statement.
 *
 * Binding thirteen parameters per row costs more than SQLite's own work
 * of building and appending the record.  So the rows are offered to
 * SQLite as an eponymous virtual table over the loader's arrays, visible
 * only to the loader's connection, and copied with one
 * INSERT ... SELECT: the values go straight from the arrays into the
 * records.
 */
#include <sched.h>
#include <time.h>
#include <string.h>

#include "cli/load_rows.h"
#include "cli/util.h"
#include "format/czt.h"

struct rows_vtab {
	sqlite3_vtab base;
	struct load_rows *src;
};

struct rows_cursor {
	sqlite3_vtab_cursor base;
	struct load_rows *src;
	size_t i;
	int eof;
	/* what was last read of what the pairing thread writes, so that a
	 * row costs no look at the lines it keeps writing */
	size_t ready;
	int done;
	int early; /* row i goes in early, as live (load_rows.h) */
	/* kernel thread ids by thread table index, the last one looked up
	 * for each column (the table is written to while rows are read) */
	uint32_t tid_idx[2];
	uint64_t tid[2];
	/* the `fn` text by CZT_REC_* type, looked up once */
	const char *fn_name[32];
	int fn_len[32];
};

/* The columns of `allocations` (cli/SCHEMA.md), in order. */
enum { C_ID, C_ADDR, C_SIZE, C_FN, C_ALLOC_TIME, C_FREE_TIME, C_ALLOC_SEQ, C_FREE_SEQ,
       C_STACK, C_TID, C_FREE_TID, C_REALLOC_FROM, C_TEMPORARY };

static int rows_connect(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out,
			char **err)
{
	(void)argc, (void)argv, (void)err;
	int rc = sqlite3_declare_vtab(db, "CREATE TABLE x(id, addr, size, fn, alloc_time, free_time,"
					  " alloc_seq, free_seq, stack, tid, free_tid, realloc_from, temporary)");
	if (rc != SQLITE_OK)
		return rc;
	struct rows_vtab *v = sqlite3_malloc(sizeof(*v));
	if (!v)
		return SQLITE_NOMEM;
	memset(v, 0, sizeof(*v));
	v->src = aux;
	*out = &v->base;
	return SQLITE_OK;
}

static int rows_disconnect(sqlite3_vtab *v)
{
	sqlite3_free(v);
	return SQLITE_OK;
}

static int rows_best_index(sqlite3_vtab *v, sqlite3_index_info *info)
{
	(void)v;
	info->estimatedCost = 1e9;
	return SQLITE_OK;
}

static int rows_open(sqlite3_vtab *v, sqlite3_vtab_cursor **out)
{
	struct rows_cursor *c = sqlite3_malloc(sizeof(*c));
	if (!c)
		return SQLITE_NOMEM;
	memset(c, 0, sizeof(*c));
	c->src = ((struct rows_vtab *)v)->src;
	c->tid_idx[0] = c->tid_idx[1] = UINT32_MAX;
	for (unsigned t = 0; t < 32; t++) {
		c->fn_name[t] = load_fn_name(t);
		c->fn_len[t] = (int)strlen(c->fn_name[t]);
	}
	*out = &c->base;
	return SQLITE_OK;
}

static int rows_close(sqlite3_vtab_cursor *c)
{
	sqlite3_free(c);
	return SQLITE_OK;
}

/* Whether putting row x->i in early lets the inserts go on: nearly all
 * the rows after it are final.  Where long-lived blocks are many (a table
 * being built), each would go in early only for the inserts to wait at
 * the next one, and its end would cost an UPDATE. */
#define EARLY_LOOK 64

static int early_helps(const struct rows_cursor *x)
{
	unsigned final = 0;
	for (size_t r = x->i + 1; r <= x->i + EARLY_LOOK; r++)
		final += __atomic_load_n(&x->src->rows[r].free_seq, __ATOMIC_ACQUIRE) != NO_EV;
	return final >= EARLY_LOOK - EARLY_LOOK / 8;
}

/* Row x->i goes in early, unless early[] is full (returns 0) or the row
 * has just ended (then it goes in as it is). */
static int take_early(struct rows_cursor *x)
{
	struct load_rows *src = x->src;
	size_t n = src->n_early; /* written by this thread only */
	if (n == src->early_cap)
		return 0;
	struct load_row *r = &src->rows[x->i];
	if (!load_row_take_early(r))
		return 1;
	const struct load_ev *a = &src->evs[r->ev];
	src->early[n] = (struct load_early){ (uint32_t)x->i, a->tid, r->stack, a->size };
	__atomic_store_n(&src->n_early, n + 1, __ATOMIC_RELEASE);
	x->early = 1;
	return 1;
}

/* Waits until row x->i is final, or known not to exist; returns whether
 * it exists.  The pairing usually ends a block within a few events of
 * making it, so the wait is short: spin, then let the other thread run,
 * then (a block that lives long) sleep rather than take its core, unless
 * the pairing is far enough ahead for the row to go in early. */
static int row_wait(struct rows_cursor *x)
{
	const struct load_rows *src = x->src;
	x->early = 0;
	for (unsigned spins = 0;; spins++) {
		if (x->i < x->ready &&
		    (x->done || __atomic_load_n(&src->rows[x->i].free_seq, __ATOMIC_ACQUIRE) != NO_EV))
			return 1;
		if (__atomic_load_n(&src->stop, __ATOMIC_ACQUIRE))
			return 0;
		/* done first: once it is set, rows_ready is final */
		x->done = __atomic_load_n(&src->done, __ATOMIC_ACQUIRE);
		x->ready = __atomic_load_n(&src->rows_ready, __ATOMIC_ACQUIRE);
		if (x->i < x->ready &&
		    (x->done || __atomic_load_n(&src->rows[x->i].free_seq, __ATOMIC_ACQUIRE) != NO_EV))
			return 1;
		if (x->done)
			return 0;
		if (x->i + src->early_lead + EARLY_LOOK < x->ready && early_helps(x) && take_early(x))
			return 1;
		if (spins < 64) {
			__builtin_ia32_pause();
		} else if (spins < 256) {
			sched_yield();
		} else { /* a long-lived block: the pairing has far to go */
			struct timespec ts = { 0, 200000 };
			nanosleep(&ts, NULL);
		}
	}
}

/* The kernel thread id of thread table index t, for column k (0 tid, 1 free_tid). */
static uint64_t tid_of(struct rows_cursor *x, int k, uint32_t t)
{
	if (x->tid_idx[k] != t) {
		x->tid_idx[k] = t;
		x->tid[k] = x->src->threads[t].tid;
	}
	return x->tid[k];
}

static int rows_filter(sqlite3_vtab_cursor *c, int idx, const char *idx_str, int argc, sqlite3_value **argv)
{
	(void)idx, (void)idx_str, (void)argc, (void)argv;
	struct rows_cursor *x = (struct rows_cursor *)c;
	x->i = 0;
	x->eof = !row_wait(x);
	return SQLITE_OK;
}

/* Rows below the cursor are done with: told every 4096 rows, so that
 * the pairing thread, which reads it now and then, seldom takes the line
 * away. */
#define DRAINED_STEP 4096

static int rows_next(sqlite3_vtab_cursor *c)
{
	struct rows_cursor *x = (struct rows_cursor *)c;
	x->i++;
	if (!(x->i % DRAINED_STEP))
		__atomic_store_n(&x->src->drained, x->i, __ATOMIC_RELEASE);
	x->eof = !row_wait(x);
	return SQLITE_OK;
}

static int rows_eof(sqlite3_vtab_cursor *c)
{
	return ((struct rows_cursor *)c)->eof;
}

static int rows_rowid(sqlite3_vtab_cursor *c, sqlite3_int64 *out)
{
	*out = (sqlite3_int64)((struct rows_cursor *)c)->i + 1;
	return SQLITE_OK;
}

static int rows_column(sqlite3_vtab_cursor *c, sqlite3_context *ctx, int col)
{
	struct rows_cursor *x = (struct rows_cursor *)c;
	const struct load_rows *src = x->src;
	const struct load_row *r = &src->rows[x->i];
	const struct load_ev *a = &src->evs[r->ev];
	int freed = !x->early && load_row_freed(r);
	switch (col) {
	case C_ID: /* NULL: SQLite appends at max(id) + 1, which is i + 1 */
		break;
	case C_ADDR: sqlite3_result_int64(ctx, (sqlite3_int64)a->addr); break;
	case C_SIZE: sqlite3_result_int64(ctx, (sqlite3_int64)a->size); break;
	case C_FN: sqlite3_result_text(ctx, x->fn_name[a->fn], x->fn_len[a->fn], SQLITE_STATIC); break;
	case C_ALLOC_TIME: sqlite3_result_int64(ctx, (sqlite3_int64)a->time); break;
	case C_FREE_TIME:
		if (freed)
			sqlite3_result_int64(ctx, (sqlite3_int64)r->free_time);
		break;
	case C_ALLOC_SEQ: sqlite3_result_int64(ctx, r->alloc_seq); break;
	case C_FREE_SEQ:
		if (freed)
			sqlite3_result_int64(ctx, r->free_seq);
		break;
	case C_STACK: sqlite3_result_int64(ctx, (sqlite3_int64)src->stacks[a->stack]); break;
	case C_TID: sqlite3_result_int64(ctx, (sqlite3_int64)tid_of(x, 0, a->tid)); break;
	case C_FREE_TID:
		if (freed)
			sqlite3_result_int64(ctx, (sqlite3_int64)tid_of(x, 1, r->free_tid));
		break;
	case C_REALLOC_FROM:
		if (r->realloc_from)
			sqlite3_result_int64(ctx, r->realloc_from);
		break;
	case C_TEMPORARY: sqlite3_result_int(ctx, freed && r->temporary); break;
	}
	return SQLITE_OK; /* a column left unset reads as NULL */
}

/* Eponymous-only (no xCreate): exists on this connection, never in the
 * database file. */
static const sqlite3_module rows_module = {
	.xConnect = rows_connect,
	.xBestIndex = rows_best_index,
	.xDisconnect = rows_disconnect,
	.xOpen = rows_open,
	.xClose = rows_close,
	.xFilter = rows_filter,
	.xNext = rows_next,
	.xEof = rows_eof,
	.xColumn = rows_column,
	.xRowid = rows_rowid,
};

int load_rows_insert(sqlite3 *db, struct load_rows *src)
{
	if (sqlite3_create_module(db, "czprof_load_rows", &rows_module, (void *)src) != SQLITE_OK ||
	    sqlite3_exec(db, "INSERT INTO allocations SELECT * FROM czprof_load_rows", NULL, NULL, NULL) !=
		    SQLITE_OK)
		return cz_error("database: %s", sqlite3_errmsg(db));
	return 0;
}
