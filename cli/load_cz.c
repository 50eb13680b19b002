/*
 * load_cz.c - see load_cz.h.  Blocks of allocator-library allocators are
 * paired by (allocator, address) in a hash map; a reset or destroy closes
 * every open block of its allocator.  Per allocator: blocks served, bytes
 * requested, live bytes and their peak, capacity and its peak, resets.
 * Records come in file order: one allocator is normally used by one
 * thread, whose records are in order.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/load_cz.h"
#include "cli/util.h"
#include "viewer/idmap.h"

struct cz_alloc_row {
	uint64_t id, kind, parent, name, stack, created, destroyed;
	int is_destroyed;
	uint64_t allocs, requested, live_blocks, live_bytes, peak_bytes, capacity, peak_capacity, resets;
};

struct cz_block {
	uint64_t allocator, addr, size, stack, alloc_time, free_time;
	int open;
};

struct cz_loader {
	sqlite3 *db;
	struct cz_alloc_row *a;
	size_t n_a, cap_a;
	struct idmap a_ids;
	struct cz_block *b;
	size_t n_b, cap_b;
	/* open blocks: key (allocator, addr) -> block index + 1 */
	struct { uint64_t allocator, addr; size_t block; } *open;
	size_t open_cap, open_used;
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
	" free_time INTEGER, stack INTEGER);";

static int reserve(void **v, size_t *cap, size_t n, size_t elem)
{
	if (n < *cap)
		return 0;
	size_t c = *cap ? *cap * 2 : 64;
	void *p = realloc(*v, c * elem);
	if (!p)
		return -1;
	*v = p;
	*cap = c;
	return 0;
}

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

static struct cz_alloc_row *allocator(struct cz_loader *l, uint64_t id)
{
	long i = idmap_get(&l->a_ids, id);
	if (i >= 0)
		return &l->a[i];
	if (reserve((void **)&l->a, &l->cap_a, l->n_a, sizeof(*l->a)) ||
	    idmap_put(&l->a_ids, id, (uint32_t)l->n_a)) {
		l->oom = 1;
		return NULL;
	}
	struct cz_alloc_row *a = &l->a[l->n_a++];
	memset(a, 0, sizeof(*a));
	a->id = id;
	return a;
}

static size_t open_hash(uint64_t allocator, uint64_t addr, size_t cap)
{
	return (size_t)(((addr >> 3) * 0x9E3779B97F4A7C15ull ^ allocator * 0xC2B2AE3D27D4EB4Full) >> 20) &
	       (cap - 1);
}

/* The slot of (allocator, addr), or the empty slot where it goes. */
static size_t open_slot(struct cz_loader *l, uint64_t allocator, uint64_t addr)
{
	size_t k = open_hash(allocator, addr, l->open_cap);
	while (l->open[k].block && (l->open[k].allocator != allocator || l->open[k].addr != addr))
		k = (k + 1) & (l->open_cap - 1);
	return k;
}

static void open_remove(struct cz_loader *l, size_t i)
{
	size_t mask = l->open_cap - 1;
	for (size_t j = (i + 1) & mask; l->open[j].block; j = (j + 1) & mask) {
		size_t home = open_hash(l->open[j].allocator, l->open[j].addr, l->open_cap);
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
		size_t k = open_hash(l->open[i].allocator, l->open[i].addr, cap);
		while (n[k].block)
			k = (k + 1) & (cap - 1);
		n[k] = l->open[i];
	}
	free(l->open);
	l->open = n;
	l->open_cap = cap;
	return 0;
}

static void close_block(struct cz_loader *l, size_t block, uint64_t time)
{
	struct cz_block *b = &l->b[block];
	struct cz_alloc_row *a = allocator(l, b->allocator);
	b->open = 0;
	b->free_time = time;
	if (a) {
		a->live_blocks--;
		a->live_bytes -= b->size;
	}
}

static void open_block(struct cz_loader *l, const struct czt_record *r, uint64_t addr, uint64_t size)
{
	struct cz_alloc_row *a = allocator(l, r->allocator);
	if (!a || !addr)
		return;
	if (((l->open_used + 1) * 2 > l->open_cap && open_grow(l)) ||
	    reserve((void **)&l->b, &l->cap_b, l->n_b, sizeof(*l->b))) {
		l->oom = 1;
		return;
	}
	size_t k = open_slot(l, r->allocator, addr);
	if (l->open[k].block) { /* its free was never reported: it is gone */
		close_block(l, l->open[k].block - 1, r->time);
		open_remove(l, k);
		k = open_slot(l, r->allocator, addr);
	}
	l->b[l->n_b] = (struct cz_block){ r->allocator, addr, size, r->stack, r->time, 0, 1 };
	l->open[k].allocator = r->allocator;
	l->open[k].addr = addr;
	l->open[k].block = ++l->n_b;
	l->open_used++;
	a->live_blocks++;
	a->live_bytes += size;
	if (a->live_bytes > a->peak_bytes)
		a->peak_bytes = a->live_bytes;
}

static void free_addr(struct cz_loader *l, uint64_t allocator_id, uint64_t addr, uint64_t time)
{
	if (!l->open_cap)
		return;
	size_t k = open_slot(l, allocator_id, addr);
	if (!l->open[k].block)
		return;
	close_block(l, l->open[k].block - 1, time);
	open_remove(l, k);
}

/* A reset or destroy: every open block of the allocator goes. */
static void close_all(struct cz_loader *l, uint64_t allocator_id, uint64_t time)
{
	for (size_t i = 0; i < l->open_cap;) {
		if (l->open[i].block && l->open[i].allocator == allocator_id) {
			close_block(l, l->open[i].block - 1, time);
			open_remove(l, i); /* a later entry may move here: look again */
		} else {
			i++;
		}
	}
}

int cz_loader_record(struct cz_loader *l, const struct czt_record *r)
{
	struct cz_alloc_row *a;
	switch (r->type) {
	case CZT_REC_STRING:
		if (r->id >= ((uint64_t)1 << 32) && idmap_get(&l->s_ids, r->id) < 0 &&
		    !reserve((void **)&l->s, &l->cap_s, l->n_s, sizeof(char *)) &&
		    !idmap_put(&l->s_ids, r->id, (uint32_t)l->n_s)) {
			l->s[l->n_s] = strndup((const char *)r->str, r->str_len);
			l->n_s++;
		}
		break;
	case CZT_REC_CZ_NEW:
		if ((a = allocator(l, r->allocator))) {
			a->kind = r->kind;
			a->parent = r->parent;
			a->name = r->name;
			a->stack = r->stack;
			a->created = r->time;
		}
		break;
	case CZT_REC_CZ_ALLOC:
		if ((a = allocator(l, r->allocator)) && r->addr) {
			a->allocs++;
			a->requested += r->size;
			open_block(l, r, r->addr, r->size);
		}
		break;
	case CZT_REC_CZ_FREE:
		free_addr(l, r->allocator, r->addr, r->time);
		break;
	case CZT_REC_CZ_RESIZE:
		if ((a = allocator(l, r->allocator))) {
			uint64_t old_size = 0;
			size_t k = l->open_cap ? open_slot(l, r->allocator, r->old_addr) : 0;
			if (l->open_cap && l->open[k].block)
				old_size = l->b[l->open[k].block - 1].size;
			free_addr(l, r->allocator, r->old_addr, r->time);
			if (r->size > old_size) /* growth is requested too */
				a->requested += r->size - old_size;
			open_block(l, r, r->addr, r->size);
		}
		break;
	case CZT_REC_CZ_RESET:
	case CZT_REC_CZ_DESTROY:
		close_all(l, r->allocator, r->time);
		if ((a = allocator(l, r->allocator))) {
			if (r->type == CZT_REC_CZ_RESET) {
				a->resets++;
				a->capacity = r->value;
			} else {
				a->is_destroyed = 1;
				a->destroyed = r->time;
				a->capacity = 0;
			}
		}
		break;
	case CZT_REC_CZ_CAPACITY:
		if ((a = allocator(l, r->allocator))) {
			a->capacity = r->value;
			if (a->capacity > a->peak_capacity)
				a->peak_capacity = a->capacity;
		}
		break;
	default:
		break;
	}
	return l->oom ? -1 : 0;
}

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
	if (l->oom || sqlite3_prepare_v2(l->db, "INSERT INTO allocators VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
					 -1, &ia, NULL) ||
	    sqlite3_prepare_v2(l->db, "INSERT INTO cz_blocks VALUES(?,?,?,?,?,?)", -1, &ib, NULL))
		goto out;
	for (size_t i = 0; i < l->n_a; i++) {
		struct cz_alloc_row *a = &l->a[i];
		long s = a->name ? idmap_get(&l->s_ids, a->name) : -1;
		/* capacity held beyond the most the allocator's blocks ever needed */
		uint64_t waste = a->peak_capacity > a->peak_bytes ? a->peak_capacity - a->peak_bytes : 0;
		sqlite3_bind_int64(ia, 1, (sqlite3_int64)a->id);
		sqlite3_bind_text(ia, 2, kind_name(a->kind), -1, SQLITE_STATIC);
		if (s >= 0 && l->s[s])
			sqlite3_bind_text(ia, 3, l->s[s], -1, SQLITE_TRANSIENT);
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
		sqlite3_bind_int64(ib, 1, (sqlite3_int64)b->allocator);
		sqlite3_bind_int64(ib, 2, (sqlite3_int64)b->addr);
		sqlite3_bind_int64(ib, 3, (sqlite3_int64)b->size);
		sqlite3_bind_int64(ib, 4, (sqlite3_int64)b->alloc_time);
		if (b->open)
			sqlite3_bind_null(ib, 5);
		else
			sqlite3_bind_int64(ib, 5, (sqlite3_int64)b->free_time);
		sqlite3_bind_int64(ib, 6, (sqlite3_int64)b->stack);
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
	free(l->a);
	free(l->b);
	free(l->open);
	free(l);
}
