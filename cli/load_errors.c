/*
 * load_errors.c - the heap errors the pairing finds, and their table
 * (load_errors.h).
 */
#include <stdlib.h>
#include <string.h>

#include "cli/load_errors.h"
#include "cli/util.h"

_Static_assert(sizeof(struct load_freed) == 32, "one per freed address: keep it small");

static int grow_to(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t n = *cap ? *cap * 2 : 64;
	while (n < need)
		n *= 2;
	void *q = realloc(*p, n * elem);
	if (!q)
		return -1;
	*p = q;
	*cap = n;
	return 0;
}

int load_errors_image(struct load_errors *x, uint64_t img, int whole)
{
	x->any_start = 1;
	if (img >= (1u << 20)) /* a crafted trace's exec count: not whole */
		return 0;
	size_t old = x->cap_whole;
	if (grow_to((void **)&x->whole, &x->cap_whole, (size_t)img + 1, 1))
		return -1;
	memset(x->whole + old, 0, x->cap_whole - old);
	x->whole[img] = (uint8_t)!!whole;
	return 0;
}

int load_errors_early(struct load_errors *x, uint64_t img, uint64_t addr)
{
	if (grow_to((void **)&x->early, &x->cap_early, x->n_early + 1, sizeof(*x->early)))
		return -1;
	x->early[x->n_early++] = (struct early_addr){ img, addr };
	return 0;
}

int load_errors_unknown_is_error(const struct load_errors *x, uint64_t img, uint64_t addr)
{
	if (img >= x->cap_whole || !x->whole[img])
		return 0;
	/* a few per image, looked at only for unknown frees */
	for (size_t i = 0; i < x->n_early; i++)
		if (x->early[i].img == img && x->early[i].addr == addr)
			return 0;
	return 1;
}

uint32_t load_freed_put(struct load_errors *x, const struct load_freed *f)
{
	uint32_t id = x->free_list;
	if (id) {
		x->free_list = (uint32_t)x->freed[id - 1].size;
	} else {
		if (x->n_freed >= UINT32_MAX - 1 ||
		    grow_to((void **)&x->freed, &x->cap_freed, x->n_freed + 1, sizeof(*x->freed)))
			return 0;
		id = (uint32_t)++x->n_freed;
	}
	x->freed[id - 1] = *f;
	return id;
}

void load_freed_drop(struct load_errors *x, uint32_t id)
{
	x->freed[id - 1].size = x->free_list;
	x->free_list = id;
}

void load_freed_clear(struct load_errors *x)
{
	x->n_freed = 0;
	x->free_list = 0;
}

int load_errors_add(struct load_errors *x, const struct load_error *e)
{
	if (x->n_errs >= LOAD_ERRORS_MAX) {
		x->more++;
		return 0;
	}
	if (grow_to((void **)&x->errs, &x->cap_errs, x->n_errs + 1, sizeof(*x->errs)))
		return -1;
	x->errs[x->n_errs++] = *e;
	return 0;
}

const char *load_family_alloc_name(unsigned family)
{
	return family == LOAD_FAM_NEW ? "operator new" :
	       family == LOAD_FAM_NEW_ARRAY ? "operator new[]" : "malloc";
}

const char *load_call_name(unsigned call)
{
	static const char *const names[] = { "free", "operator delete", "operator delete[]", "realloc" };
	return call < 4 ? names[call] : "?";
}

const char *load_error_kind_name(unsigned kind)
{
	switch (kind) {
	case LOAD_ERR_INVALID_FREE: return "invalid-free";
	case LOAD_ERR_DOUBLE_FREE: return "double-free";
	case LOAD_ERR_REALLOC_FREED: return "realloc-freed";
	case LOAD_ERR_MISMATCH: return "mismatch";
	}
	return "?";
}

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

static int put_meta(sqlite3 *db, const char *key, sqlite3_int64 v, const char *text)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO meta VALUES(?, ?)", -1, &s, NULL))
		return -1;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	if (text)
		sqlite3_bind_text(s, 2, text, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(s, 2, v);
	int rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

int load_errors_write(sqlite3 *db, const struct load_errors *x, const uint64_t *stacks,
		      size_t n_stacks, const char *(*fn_name)(unsigned), uint64_t lost)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, "INSERT INTO heap_errors(kind, call, addr, size, time, tid, stack,"
				   " alloc_fn, alloc_stack, free_call, free_time, free_tid, free_stack)"
				   " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)", -1, &s, NULL))
		return cz_error("database: %s", sqlite3_errmsg(db));
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
			return cz_error("database: %s", sqlite3_errmsg(db));
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
	if (put_meta(db, "heap_errors", (sqlite3_int64)(n + (lost ? 0 : x->more)), NULL) ||
	    put_meta(db, "heap_errors_note", 0, note ? note : ""))
		return cz_error("database: %s", sqlite3_errmsg(db));
	return 0;
}

void load_errors_release(struct load_errors *x)
{
	free(x->freed);
	free(x->errs);
	free(x->whole);
	free(x->early);
	memset(x, 0, sizeof(*x));
}
