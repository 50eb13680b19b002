/*
 * load_errors.c - writes the heap errors the analysis found
 * (lib/analysis/errors.h) into the heap_errors table.
 */
#include <sqlite3.h>

#include "cli/load_errors.h"
#include "cli/tracedb.h"
#include "cli/util.h"

static void bind_stack(sqlite3_stmt *s, int col, uint32_t k, const uint64_t *stacks, size_t n)
{
	if (k && k != LOAD_NO_STACK && k < n)
		sqlite3_bind_int64(s, col, (sqlite3_int64)stacks[k]);
	else
		sqlite3_bind_null(s, col);
}

/* Errors that rest on knowing every allocation: left out when events were
 * lost. */
static int needs_every_event(unsigned kind)
{
	return kind != LOAD_ERR_MISMATCH;
}

int load_errors_write(sqlite3 *db, const struct load_errors *x, const uint64_t *stacks,
		      size_t n_stacks, const char *(*fn_name)(unsigned), uint64_t lost)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, "INSERT INTO heap_errors(kind, call, addr, size, time, tid, stack,"
				   " alloc_fn, alloc_stack, free_call, free_time, free_tid, free_stack)"
				   " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)", -1, &s, NULL))
		return cli_error("database: %s", sqlite3_errmsg(db));
	uint64_t n = 0;
	for (size_t i = 0; i < x->n_errs; i++) {
		const struct load_error *e = &x->errs[i];
		if (lost && needs_every_event(e->kind))
			continue;
		sqlite3_bind_text(s, 1, load_error_kind_name(e->kind), -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, load_call_name(e->call), -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, (sqlite3_int64)e->addr);
		if (e->size)
			sqlite3_bind_int64(s, 4, (sqlite3_int64)e->size);
		else
			sqlite3_bind_null(s, 4);
		sqlite3_bind_int64(s, 5, (sqlite3_int64)e->time);
		sqlite3_bind_int64(s, 6, (sqlite3_int64)e->tid);
		bind_stack(s, 7, e->stack, stacks, n_stacks);
		if (e->has_alloc) {
			sqlite3_bind_text(s, 8, e->alloc_fn ? fn_name(e->alloc_fn) :
					  load_family_alloc_name(e->alloc_family), -1, SQLITE_STATIC);
			bind_stack(s, 9, e->alloc_stack, stacks, n_stacks);
		} else {
			sqlite3_bind_null(s, 8);
			sqlite3_bind_null(s, 9);
		}
		if (e->has_free) {
			sqlite3_bind_text(s, 10, load_call_name(e->free_call), -1, SQLITE_STATIC);
			sqlite3_bind_int64(s, 11, (sqlite3_int64)e->free_time);
			sqlite3_bind_int64(s, 12, (sqlite3_int64)e->free_tid);
			bind_stack(s, 13, e->free_stack, stacks, n_stacks);
		} else {
			for (int c = 10; c <= 13; c++)
				sqlite3_bind_null(s, c);
		}
		if (sqlite3_step(s) != SQLITE_DONE) {
			sqlite3_finalize(s);
			return cli_error("database: %s", sqlite3_errmsg(db));
		}
		sqlite3_reset(s);
		n++;
	}
	sqlite3_finalize(s);
	/* what a report must say of what was not checked */
	const char *note = lost ? "events were lost: only mismatched releases were checked" :
			   !x->any_start ? "the trace does not say whether recording saw the process from its start"
					     " (format before 3.4): frees of unknown addresses not checked" :
			   NULL;
	int whole = 0;
	for (size_t i = 0; i < x->cap_whole; i++)
		whole |= x->whole[i];
	if (!note && !whole)
		note = "recording did not see the process from its start: frees of unknown addresses not checked";
	if (tracedb_put_meta(db, "heap_errors", (sqlite3_int64)(n + (lost ? 0 : x->more)), NULL) ||
	    tracedb_put_meta(db, "heap_errors_note", 0, note ? note : ""))
		return cli_error("database: %s", sqlite3_errmsg(db));
	return 0;
}
