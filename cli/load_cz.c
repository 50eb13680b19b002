/*
 * load_cz.c - see load_cz.h.
 *
 * Order.  Threads' chunks reach the file in flush order, not in time
 * order, and allocators do cross threads (an arena filled by a worker and
 * reset by the thread that handed it the request; a thread-safe debug
 * allocator).  So the records are buffered and applied in the global order
 * of FORMAT.md: by time; on equal times across threads, releases (free,
 * reset, destroy) first; a thread's own records always in file order.  The
 * threads' runs are already in order, so they are merged, not sorted.  The
 * buffer is applied at each exec (every block of the old image ends there)
 * and at the end.
 *
 * Pairing.  Blocks are paired by (allocator, address) in a hash map.  Each
 * allocator keeps a list of its open blocks, so a reset or a destroy ends
 * them in time proportional to their number, not to every open block of
 * the program.
 *
 * Images.  After an exec, allocator, string and stack ids restart; they are
 * shifted by the image number as load.c shifts stack ids (IMAGE_SHIFT), so
 * that an allocator's stack is a row of stack_nodes.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/load_cz.h"
#include "format/printable.h"
#include "cli/util.h"
#include "lib/analysis/idmap.h"

#define IMAGE_SHIFT 40 /* as in load.c */

/* One buffered record.  NEW: addr = kind, old = parent, n = name;
 * ALLOC/RESIZE: n = size; RESET/CAPACITY: n = capacity. */
struct cz_ev {
	uint64_t time, allocator, addr, old, n, stack;
	uint32_t thread; /* index into the loader's threads */
	uint32_t type;
};

struct cz_alloc_row {
	uint64_t id, kind, parent, name, stack, created, destroyed;
	int is_destroyed;
	uint64_t allocs, requested, live_blocks, live_bytes, peak_bytes, capacity, peak_capacity, resets;
	size_t open_head; /* its newest open block: index + 1; 0 = none */
};

/* What ended a block (cz_blocks.ended_by): a debug allocator's destroy
 * ends only the blocks it reported as leaked, which reports tell apart
 * from the blocks an arena's destroy releases on purpose. */
enum cz_end { END_FREE, END_RESIZE, END_REUSE, END_RESET, END_DESTROY, END_EXEC };
static const char *const end_names[] = { "free", "resize", "reuse", "reset", "destroy", "exec" };

struct cz_block {
	uint64_t addr, size, stack, alloc_time, free_time;
	uint32_t row;       /* its allocator: index into l->a */
	int open;
	enum cz_end end;
	size_t prev, next;  /* the allocator's open blocks: index + 1 */
};

struct cz_loader {
	sqlite3 *db;
	uint64_t img; /* exec count << IMAGE_SHIFT */
	struct cz_alloc_row *a;
	size_t n_a, cap_a;
	struct idmap a_ids;
	struct cz_block *b;
	size_t n_b, cap_b;
	/* open blocks: key (allocator row, addr) -> block index + 1 */
	struct { uint64_t addr; uint32_t row; size_t block; } *open;
	size_t open_cap, open_used;
	/* records not applied yet, in file order */
	struct cz_ev *ev;
	size_t n_ev, cap_ev;
	struct idmap t_ids; /* tid -> thread index */
	uint32_t n_threads;
	/* the recorder's strings (allocator names): id -> text */
	struct idmap s_ids;
	char **s;
	size_t n_s, cap_s;
	int oom;
};

static const char schema[] =
	"CREATE TABLE allocators(id INTEGER PRIMARY KEY, kind TEXT, name TEXT, parent INTEGER,"
	" stack INTEGER, created INTEGER, destroyed INTEGER, allocations INTEGER,"
	" bytes_requested INTEGER, live_blocks INTEGER, live_bytes INTEGER, peak_bytes INTEGER,"
	" capacity INTEGER, peak_capacity INTEGER, resets INTEGER, waste INTEGER);"
	"CREATE TABLE cz_blocks(allocator INTEGER, addr INTEGER, size INTEGER, alloc_time INTEGER,"
	" free_time INTEGER, stack INTEGER, ended_by TEXT);";

int cz_loader_begin(struct cz_loader **out, sqlite3 *db)
{
	struct cz_loader *l = calloc(1, sizeof(*l));
	if (!l)
		return -1;
	l->db = db;
	if (sqlite3_exec(db, schema, NULL, NULL, NULL) != SQLITE_OK) {
		free(l);
		return -1;
	}
	*out = l;
	return 0;
}

/* ---- allocators and their open blocks ---- */

/* The row of allocator id, made on first sight; NULL when out of memory. */
static struct cz_alloc_row *allocator(struct cz_loader *l, uint64_t id)
{
	long i = idmap_get(&l->a_ids, id);
	if (i >= 0)
		return &l->a[i];
	if (l->n_a >= UINT32_MAX || array_reserve((void **)&l->a, &l->cap_a, l->n_a, sizeof(*l->a)) ||
	    idmap_put(&l->a_ids, id, (uint32_t)l->n_a)) {
		l->oom = 1;
		return NULL;
	}
	struct cz_alloc_row *a = &l->a[l->n_a++];
	memset(a, 0, sizeof(*a));
	a->id = id;
	return a;
}

static size_t open_hash(uint32_t row, uint64_t addr, size_t cap)
{
	return (size_t)(((addr >> 3) * 0x9E3779B97F4A7C15ull ^ row * 0xC2B2AE3D27D4EB4Full) >> 20) & (cap - 1);
}

/* The slot of (row, addr), or the empty slot where it goes.  open_cap > 0. */
static size_t open_slot(const struct cz_loader *l, uint32_t row, uint64_t addr)
{
	size_t k = open_hash(row, addr, l->open_cap);
	while (l->open[k].block && (l->open[k].row != row || l->open[k].addr != addr))
		k = (k + 1) & (l->open_cap - 1);
	return k;
}

/* Empties slot i, shifting back the entries that probed past it. */
static void open_remove(struct cz_loader *l, size_t i)
{
	size_t mask = l->open_cap - 1;
	for (size_t j = (i + 1) & mask; l->open[j].block; j = (j + 1) & mask) {
		size_t home = open_hash(l->open[j].row, l->open[j].addr, l->open_cap);
		if (((j - home) & mask) >= ((j - i) & mask)) {
			l->open[i] = l->open[j];
			i = j;
		}
	}
	l->open[i].block = 0;
	l->open_used--;
}

static int open_grow(struct cz_loader *l)
{
	size_t cap = l->open_cap ? l->open_cap * 2 : 1024;
	__typeof__(l->open) n = calloc(cap, sizeof(*n));
	if (!n)
		return -1;
	for (size_t i = 0; i < l->open_cap; i++) {
		if (!l->open[i].block)
			continue;
		size_t k = open_hash(l->open[i].row, l->open[i].addr, cap);
		while (n[k].block)
			k = (k + 1) & (cap - 1);
		n[k] = l->open[i];
	}
	free(l->open);
	l->open = n;
	l->open_cap = cap;
	return 0;
}

/* Ends open block i (index) at time: out of the map, out of its
 * allocator's list, off its live figures. */
static void close_block(struct cz_loader *l, size_t i, uint64_t time, enum cz_end end)
{
	struct cz_block *b = &l->b[i];
	struct cz_alloc_row *a = &l->a[b->row];
	open_remove(l, open_slot(l, b->row, b->addr));
	if (b->prev)
		l->b[b->prev - 1].next = b->next;
	else
		a->open_head = b->next;
	if (b->next)
		l->b[b->next - 1].prev = b->prev;
	b->open = 0;
	b->free_time = time;
	b->end = end;
	a->live_blocks--;
	a->live_bytes -= b->size;
}

/* Ends the open block at (row, addr), if any; returns its size, 0 if none. */
static uint64_t close_addr(struct cz_loader *l, uint32_t row, uint64_t addr, uint64_t time, enum cz_end end)
{
	if (!l->open_cap)
		return 0;
	size_t k = open_slot(l, row, addr);
	if (!l->open[k].block)
		return 0;
	size_t i = l->open[k].block - 1;
	uint64_t size = l->b[i].size;
	close_block(l, i, time, end);
	return size;
}

/* A reset, a destroy or an exec: every open block of the allocator ends. */
static void close_all(struct cz_loader *l, uint32_t row, uint64_t time, enum cz_end end)
{
	while (l->a[row].open_head)
		close_block(l, l->a[row].open_head - 1, time, end);
}

static void open_block(struct cz_loader *l, uint32_t row, const struct cz_ev *e)
{
	if (!e->addr)
		return;
	/* an open block at the same address: its free was never reported */
	close_addr(l, row, e->addr, e->time, END_REUSE);
	if (((l->open_used + 1) * 2 > l->open_cap && open_grow(l)) ||
	    array_reserve((void **)&l->b, &l->cap_b, l->n_b, sizeof(*l->b))) {
		l->oom = 1;
		return;
	}
	struct cz_alloc_row *a = &l->a[row];
	size_t i = l->n_b++;
	l->b[i] = (struct cz_block){ .addr = e->addr, .size = e->n, .stack = e->stack, .alloc_time = e->time,
				     .row = row, .open = 1, .next = a->open_head };
	if (a->open_head)
		l->b[a->open_head - 1].prev = i + 1;
	a->open_head = i + 1;
	size_t k = open_slot(l, row, e->addr);
	l->open[k].row = row;
	l->open[k].addr = e->addr;
	l->open[k].block = i + 1;
	l->open_used++;
	a->live_blocks++;
	a->live_bytes += e->n;
	if (a->live_bytes > a->peak_bytes)
		a->peak_bytes = a->live_bytes;
}

static void held(struct cz_alloc_row *a, uint64_t capacity)
{
	a->capacity = capacity;
	if (capacity > a->peak_capacity)
		a->peak_capacity = capacity;
}

/* One record, in the global order. */
static void apply(struct cz_loader *l, const struct cz_ev *e)
{
	struct cz_alloc_row *a = allocator(l, e->allocator);
	if (!a)
		return;
	uint32_t row = (uint32_t)(a - l->a);
	switch (e->type) {
	case CZT_REC_CZ_NEW:
		a->kind = e->addr;
		a->parent = e->old;
		a->name = e->n;
		a->stack = e->stack;
		a->created = e->time;
		break;
	case CZT_REC_CZ_ALLOC:
		if (!e->addr)
			break;
		a->allocs++;
		a->requested += e->n;
		open_block(l, row, e);
		break;
	case CZT_REC_CZ_FREE:
		close_addr(l, row, e->addr, e->time, END_FREE);
		break;
	case CZT_REC_CZ_RESIZE: {
		uint64_t old_size = close_addr(l, row, e->old, e->time, END_RESIZE);
		if (e->n > old_size) /* growth is requested too */
			a->requested += e->n - old_size;
		open_block(l, row, e);
		break;
	}
	case CZT_REC_CZ_RESET:
		close_all(l, row, e->time, END_RESET);
		a->resets++;
		held(a, e->n);
		break;
	case CZT_REC_CZ_DESTROY:
		close_all(l, row, e->time, END_DESTROY);
		a->is_destroyed = 1;
		a->destroyed = e->time;
		a->capacity = 0;
		break;
	case CZT_REC_CZ_CAPACITY:
		held(a, e->n);
		break;
	}
}

/* ---- the global order ---- */

static int is_release(const struct cz_ev *e)
{
	return e->type == CZT_REC_CZ_FREE || e->type == CZT_REC_CZ_RESET || e->type == CZT_REC_CZ_DESTROY;
}

/* Does record i come before record j (both heads of their threads' runs)? */
static int before(const struct cz_ev *ev, uint32_t i, uint32_t j)
{
	if (ev[i].time != ev[j].time)
		return ev[i].time < ev[j].time;
	if (is_release(&ev[i]) != is_release(&ev[j]))
		return is_release(&ev[i]);
	return i < j;
}

/* Applies the buffered records, merging the threads' runs with a heap of
 * threads keyed by their next record.  Returns 0 or -1 (out of memory). */
static int apply_pending(struct cz_loader *l)
{
	size_t n = l->n_ev, nt = l->n_threads;
	if (!n)
		return 0;
	uint32_t *order = malloc(n * sizeof(*order));
	size_t *next = calloc(nt + 1, sizeof(*next)), *end = calloc(nt, sizeof(*end));
	uint32_t *heap = malloc(nt * sizeof(*heap));
	int rc = -1;
	if (!order || !next || !end || !heap)
		goto out;
	/* each thread's run, in file order: a counting sort by thread */
	for (size_t i = 0; i < n; i++)
		next[l->ev[i].thread + 1]++;
	for (size_t t = 0; t < nt; t++)
		next[t + 1] += next[t];
	memcpy(end, next, nt * sizeof(*end));
	for (size_t i = 0; i < n; i++)
		order[end[l->ev[i].thread]++] = (uint32_t)i;
	size_t h = 0;
	for (uint32_t t = 0; t < nt; t++) {
		if (next[t] == end[t])
			continue;
		/* sift up */
		size_t c = h++;
		while (c && before(l->ev, order[next[t]], order[next[heap[(c - 1) / 2]]])) {
			heap[c] = heap[(c - 1) / 2];
			c = (c - 1) / 2;
		}
		heap[c] = t;
	}
	while (h) {
		uint32_t t = heap[0];
		apply(l, &l->ev[order[next[t]++]]);
		if (next[t] == end[t])
			t = heap[--h];
		/* sift t down from the root */
		size_t c = 0;
		for (;;) {
			size_t k = 2 * c + 1;
			if (k >= h)
				break;
			if (k + 1 < h && before(l->ev, order[next[heap[k + 1]]], order[next[heap[k]]]))
				k++;
			if (!before(l->ev, order[next[heap[k]]], order[next[t]]))
				break;
			heap[c] = heap[k];
			c = k;
		}
		if (h)
			heap[c] = t;
	}
	l->n_ev = 0;
	rc = l->oom ? -1 : 0;
out:
	free(order);
	free(next);
	free(end);
	free(heap);
	if (rc)
		l->oom = 1;
	return rc;
}

/* ---- records ---- */

static int push(struct cz_loader *l, const struct czt_record *r)
{
	long t = idmap_get(&l->t_ids, r->tid);
	if (t < 0) {
		if (l->n_threads == UINT32_MAX || idmap_put(&l->t_ids, r->tid, l->n_threads))
			return -1;
		t = l->n_threads++;
	}
	if (l->n_ev >= UINT32_MAX || array_reserve((void **)&l->ev, &l->cap_ev, l->n_ev, sizeof(*l->ev)))
		return -1;
	struct cz_ev *e = &l->ev[l->n_ev++];
	*e = (struct cz_ev){ .time = r->time, .allocator = r->allocator + l->img, .addr = r->addr,
			     .old = r->old_addr, .n = r->size, .stack = r->stack ? r->stack + l->img : 0,
			     .thread = (uint32_t)t, .type = r->type };
	if (r->type == CZT_REC_CZ_NEW) {
		e->addr = r->kind;
		e->old = r->parent ? r->parent + l->img : 0;
		e->n = r->name ? r->name + l->img : 0;
	} else if (r->type == CZT_REC_CZ_RESET || r->type == CZT_REC_CZ_CAPACITY) {
		e->n = r->value;
	}
	return 0;
}

/* An exec: the old image's records are complete; its blocks end now. */
static int exec_image(struct cz_loader *l, uint64_t time)
{
	if (apply_pending(l))
		return -1;
	for (size_t i = 0; i < l->n_a; i++)
		close_all(l, (uint32_t)i, time, END_EXEC);
	l->img += (uint64_t)1 << IMAGE_SHIFT;
	return 0;
}

int cz_loader_record(struct cz_loader *l, const struct czt_record *r)
{
	switch (r->type) {
	case CZT_REC_STRING: {
		/* the recorder's own strings are numbered from 2^32 */
		uint64_t id = r->id + l->img;
		if (r->id >= ((uint64_t)1 << 32) && idmap_get(&l->s_ids, id) < 0) {
			/* an allocator's name is printed: no control characters */
			char *s = czt_printable_dup(r->str, r->str_len, CZT_PRINT_ESCAPE);
			if (!s || l->n_s >= UINT32_MAX || array_reserve((void **)&l->s, &l->cap_s, l->n_s, sizeof(char *)) ||
			    idmap_put(&l->s_ids, id, (uint32_t)l->n_s)) {
				free(s);
				l->oom = 1;
				break;
			}
			l->s[l->n_s++] = s;
		}
		break;
	}
	case CZT_REC_PROCESS_END:
		if (r->how == CZT_END_EXEC && exec_image(l, r->time))
			l->oom = 1;
		break;
	default:
		if (r->type >= CZT_REC_CZ_ALLOC && r->type <= CZT_REC_CZ_CAPACITY && push(l, r))
			l->oom = 1;
		break;
	}
	return l->oom ? -1 : 0;
}

/* ---- the tables ---- */

static const char *kind_name(uint64_t k)
{
	static const char *const names[] = { "?", "c", "page", "arena", "fixed", "debug", "failing",
					     "testing", "pool" };
	return k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}

int cz_loader_end(struct cz_loader *l, uint64_t end_time)
{
	(void)end_time; /* "never destroyed" is a NULL destroyed column */
	sqlite3_stmt *ia = NULL, *ib = NULL;
	int rc = -1;
	if (apply_pending(l) ||
	    sqlite3_prepare_v2(l->db, "INSERT INTO allocators VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", -1, &ia,
			       NULL) ||
	    sqlite3_prepare_v2(l->db, "INSERT INTO cz_blocks VALUES(?,?,?,?,?,?,?)", -1, &ib, NULL))
		goto out;
	for (size_t i = 0; i < l->n_a; i++) {
		struct cz_alloc_row *a = &l->a[i];
		long s = a->name ? idmap_get(&l->s_ids, a->name) : -1;
		/* capacity held beyond the most the allocator's blocks ever needed */
		uint64_t waste = a->peak_capacity > a->peak_bytes ? a->peak_capacity - a->peak_bytes : 0;
		sqlite3_bind_int64(ia, 1, (sqlite3_int64)a->id);
		sqlite3_bind_text(ia, 2, kind_name(a->kind), -1, SQLITE_STATIC);
		if (s >= 0 && l->s[s])
			sqlite3_bind_text(ia, 3, l->s[s], -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(ia, 3);
		sqlite3_bind_int64(ia, 4, (sqlite3_int64)a->parent);
		sqlite3_bind_int64(ia, 5, (sqlite3_int64)a->stack);
		sqlite3_bind_int64(ia, 6, (sqlite3_int64)a->created);
		if (a->is_destroyed)
			sqlite3_bind_int64(ia, 7, (sqlite3_int64)a->destroyed);
		else
			sqlite3_bind_null(ia, 7);
		uint64_t v[] = { a->allocs, a->requested, a->live_blocks, a->live_bytes, a->peak_bytes,
				 a->capacity, a->peak_capacity, a->resets, waste };
		for (int c = 0; c < 9; c++)
			sqlite3_bind_int64(ia, 8 + c, (sqlite3_int64)v[c]);
		if (sqlite3_step(ia) != SQLITE_DONE)
			goto out;
		sqlite3_reset(ia);
	}
	for (size_t i = 0; i < l->n_b; i++) {
		struct cz_block *b = &l->b[i];
		sqlite3_bind_int64(ib, 1, (sqlite3_int64)l->a[b->row].id);
		sqlite3_bind_int64(ib, 2, (sqlite3_int64)b->addr);
		sqlite3_bind_int64(ib, 3, (sqlite3_int64)b->size);
		sqlite3_bind_int64(ib, 4, (sqlite3_int64)b->alloc_time);
		if (b->open)
			sqlite3_bind_null(ib, 5);
		else
			sqlite3_bind_int64(ib, 5, (sqlite3_int64)b->free_time);
		sqlite3_bind_int64(ib, 6, (sqlite3_int64)b->stack);
		if (b->open)
			sqlite3_bind_null(ib, 7);
		else
			sqlite3_bind_text(ib, 7, end_names[b->end], -1, SQLITE_STATIC);
		if (sqlite3_step(ib) != SQLITE_DONE)
			goto out;
		sqlite3_reset(ib);
	}
	rc = sqlite3_exec(l->db, "CREATE INDEX cz_blocks_allocator ON cz_blocks(allocator);", NULL, NULL, NULL)
		     ? -1 : 0;
out:
	if (rc && l->oom)
		cz_error("out of memory loading allocator events");
	else if (rc)
		cz_error("database: %s", sqlite3_errmsg(l->db));
	sqlite3_finalize(ia);
	sqlite3_finalize(ib);
	cz_loader_free(l);
	return rc;
}

void cz_loader_free(struct cz_loader *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n_s; i++)
		free(l->s[i]);
	free(l->s);
	idmap_clear(&l->s_ids);
	idmap_clear(&l->a_ids);
	idmap_clear(&l->t_ids);
	free(l->a);
	free(l->b);
	free(l->open);
	free(l->ev);
	free(l);
}
