/*
 * arenas.c - see arenas.h.
 *
 * Allocators live in the slots of an array, found by id through an idmap;
 * a destroyed one is handed to the callback and its slot taken by the
 * next one made, so that a program making an arena per request holds the
 * loader's memory at the arenas alive at once.
 *
 * Pairing.  Open blocks are found by (allocator, address) in an
 * open-addressing map with backward-shift deletion; their fields sit in a
 * pool whose ended entries are reused.  Each allocator keeps a list of
 * its open blocks, so a reset or a destroy ends them in time proportional
 * to their number, not to every open block of the program.
 *
 * Staging.  A CZ record has more fields than the merge's 32-byte event
 * (a resize: allocator, two addresses, size, stack): its event carries
 * the index of a staged copy, freed again when it is applied.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/analysis/arenas.h"

/* A staged record.  NEW: kind, parent, name; ALLOC and RESIZE: size;
 * RESET and CAPACITY: the capacity in size. */
struct cz_staged {
	uint64_t allocator, addr, old_addr, size, stack, kind, parent, name;
	uint32_t type;
};

union an_cz_staged {
	struct cz_staged r;
	size_t next; /* free: the next free entry's index + 1 */
};

union an_cz_slot {
	struct an_cz_block b;
	size_t next; /* free: the next free entry's index + 1 */
};

const char *an_cz_end_name(unsigned how)
{
	static const char *const names[] = { "free", "resize", "reuse", "reset", "destroy", "exec" };
	return how < sizeof(names) / sizeof(names[0]) ? names[how] : "?";
}

const char *an_allocator_kind_name(uint64_t kind)
{
	static const char *const names[] = { "?", "c", "page", "arena", "fixed", "debug", "failing",
					     "testing", "pool" };
	return kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "?";
}

/* ---- staged records ---- */

int an_arenas_stage(struct an_arenas *z, const struct czt_record *r, uint64_t img, uint32_t *slot)
{
	size_t i;
	if (z->free_st) {
		i = z->free_st - 1;
		z->free_st = z->st[i].next;
	} else {
		if (z->n_st >= UINT32_MAX || array_grow((void **)&z->st, &z->cap_st, z->n_st, sizeof(*z->st)))
			return -1;
		i = z->n_st++;
	}
	struct cz_staged *s = &z->st[i].r;
	*s = (struct cz_staged){ .allocator = r->allocator + img, .addr = r->addr, .old_addr = r->old_addr,
				 .size = r->size, .stack = r->stack ? r->stack + img : 0, .type = r->type };
	if (r->type == CZT_REC_CZ_NEW) {
		s->kind = r->kind;
		s->parent = r->parent ? r->parent + img : 0;
		s->name = r->name ? r->name + img : 0;
	} else if (r->type == CZT_REC_CZ_RESET || r->type == CZT_REC_CZ_CAPACITY) {
		s->size = r->value;
	}
	*slot = (uint32_t)i;
	return 0;
}

/* ---- allocators ---- */

/* The index of allocator id, made on first sight; -1 out of memory. */
static long allocator_index(struct an_arenas *z, uint64_t id)
{
	long i = idmap_get(&z->ids, id);
	if (i >= 0)
		return i;
	size_t k = z->free_a ? z->free_a - 1 : z->n_a;
	if (k >= UINT32_MAX || (!z->free_a && array_reserve((void **)&z->a, &z->cap_a, z->n_a, sizeof(*z->a))) ||
	    idmap_put(&z->ids, id, (uint32_t)k))
		return -1;
	if (z->free_a)
		z->free_a = z->a[k].next_free;
	else
		z->n_a++;
	z->a[k] = (struct an_allocator){ .id = id, .in_use = 1 };
	z->live++;
	return (long)k;
}

/* ---- open blocks by (allocator, address) ---- */

static size_t open_hash(uint32_t allocator, uint64_t addr, size_t cap)
{
	return (size_t)(((addr >> 3) * 0x9E3779B97F4A7C15ull ^ allocator * 0xC2B2AE3D27D4EB4Full) >> 20) &
	       (cap - 1);
}

/* The slot of (allocator, addr), or the empty slot where it goes.
 * open_cap > 0. */
static size_t open_slot(const struct an_arenas *z, uint32_t allocator, uint64_t addr)
{
	size_t k = open_hash(allocator, addr, z->open_cap);
	while (z->open[k].block && (z->open[k].allocator != allocator || z->open[k].addr != addr))
		k = (k + 1) & (z->open_cap - 1);
	return k;
}

/* Empties slot i, shifting back the entries that probed past it. */
static void open_remove(struct an_arenas *z, size_t i)
{
	size_t mask = z->open_cap - 1;
	for (size_t j = (i + 1) & mask; z->open[j].block; j = (j + 1) & mask) {
		size_t home = open_hash(z->open[j].allocator, z->open[j].addr, z->open_cap);
		if (((j - home) & mask) >= ((j - i) & mask)) {
			z->open[i] = z->open[j];
			i = j;
		}
	}
	z->open[i].block = 0;
	z->open_used--;
}

static int open_grow(struct an_arenas *z)
{
	size_t cap = z->open_cap ? z->open_cap * 2 : 1024;
	__typeof__(z->open) n = calloc(cap, sizeof(*n));
	if (!n)
		return -1;
	for (size_t i = 0; i < z->open_cap; i++) {
		if (!z->open[i].block)
			continue;
		size_t k = open_hash(z->open[i].allocator, z->open[i].addr, cap);
		while (n[k].block)
			k = (k + 1) & (cap - 1);
		n[k] = z->open[i];
	}
	free(z->open);
	z->open = n;
	z->open_cap = cap;
	return 0;
}

/* Ends open block i (index) at time: off its allocator's figures, out of
 * the map and its allocator's list, told to the callback, its entry free. */
static int block_end(struct an_arenas *z, size_t i, uint64_t time, unsigned how)
{
	struct an_cz_block *b = &z->b[i].b;
	struct an_allocator *a = &z->a[b->allocator];
	open_remove(z, open_slot(z, b->allocator, b->addr));
	if (b->prev)
		z->b[b->prev - 1].b.next = b->next;
	else
		a->open_head = b->next;
	if (b->next)
		z->b[b->next - 1].b.prev = b->prev;
	a->live_blocks--;
	a->live_bytes -= b->size;
	int rc = z->ended ? z->ended(z->ctx, a, b, time, how) : 0;
	z->b[i].next = z->free_b;
	z->free_b = i + 1;
	return rc;
}

/* Ends the open block at (allocator, addr), if any: *size is its size, 0
 * if there is none. */
static int end_addr(struct an_arenas *z, uint32_t allocator, uint64_t addr, uint64_t time, unsigned how,
		    uint64_t *size)
{
	*size = 0;
	if (!z->open_cap)
		return 0;
	size_t k = open_slot(z, allocator, addr);
	if (!z->open[k].block)
		return 0;
	size_t i = z->open[k].block - 1;
	*size = z->b[i].b.size;
	return block_end(z, i, time, how);
}

/* A reset, a destroy or an exec: every open block of the allocator ends. */
static int end_all(struct an_arenas *z, uint32_t allocator, uint64_t time, unsigned how)
{
	int rc = 0;
	while (z->a[allocator].open_head && !rc)
		rc = block_end(z, z->a[allocator].open_head - 1, time, how);
	return rc;
}

/* A block of size at addr opens in allocator at time. */
static int block_open(struct an_arenas *z, uint32_t allocator, const struct cz_staged *s, uint64_t time)
{
	if (!s->addr)
		return 0;
	uint64_t was;
	/* an open block at the same address: its free was never told */
	int rc = end_addr(z, allocator, s->addr, time, AN_CZ_REUSE, &was);
	if (rc)
		return rc;
	if ((z->open_used + 1) * 2 > z->open_cap && open_grow(z))
		return -1;
	size_t i;
	if (z->free_b) {
		i = z->free_b - 1;
		z->free_b = z->b[i].next;
	} else {
		if (array_grow((void **)&z->b, &z->cap_b, z->n_b, sizeof(*z->b)))
			return -1;
		i = z->n_b++;
	}
	if (i >= UINT32_MAX - 1)
		return -1;
	struct an_allocator *a = &z->a[allocator];
	z->b[i].b = (struct an_cz_block){ .addr = s->addr, .size = s->size, .stack = s->stack, .time = time,
					  .n = ++z->blocks, .allocator = allocator, .next = a->open_head };
	if (a->open_head)
		z->b[a->open_head - 1].b.prev = i + 1;
	a->open_head = i + 1;
	size_t k = open_slot(z, allocator, s->addr);
	z->open[k].allocator = allocator;
	z->open[k].addr = s->addr;
	z->open[k].block = (uint32_t)(i + 1);
	z->open_used++;
	a->live_blocks++;
	a->live_bytes += s->size;
	if (a->live_bytes > a->peak_bytes)
		a->peak_bytes = a->live_bytes;
	return 0;
}

static void holds(struct an_allocator *a, uint64_t capacity)
{
	a->capacity = capacity;
	if (capacity > a->peak_capacity)
		a->peak_capacity = capacity;
}

/* Record s, at time, in the global order. */
static int apply(struct an_arenas *z, const struct cz_staged *s, uint64_t time)
{
	long ai = allocator_index(z, s->allocator);
	if (ai < 0)
		return -1;
	uint32_t row = (uint32_t)ai;
	struct an_allocator *a = &z->a[row];
	uint64_t old_size;
	int rc = 0;
	switch (s->type) {
	case CZT_REC_CZ_NEW:
		a->kind = s->kind;
		a->parent = s->parent;
		a->name = s->name;
		a->stack = s->stack;
		a->created = time;
		break;
	case CZT_REC_CZ_ALLOC:
		if (!s->addr)
			break; /* failed */
		a->allocations++;
		a->bytes_requested += s->size;
		rc = block_open(z, row, s, time);
		break;
	case CZT_REC_CZ_FREE:
		rc = end_addr(z, row, s->addr, time, AN_CZ_FREE, &old_size);
		break;
	case CZT_REC_CZ_RESIZE:
		rc = end_addr(z, row, s->old_addr, time, AN_CZ_RESIZE, &old_size);
		if (s->size > old_size) /* growth is requested too */
			z->a[row].bytes_requested += s->size - old_size;
		if (!rc)
			rc = block_open(z, row, s, time);
		break;
	case CZT_REC_CZ_RESET:
		rc = end_all(z, row, time, AN_CZ_RESET);
		a->resets++;
		holds(a, s->size);
		break;
	case CZT_REC_CZ_DESTROY:
		rc = end_all(z, row, time, AN_CZ_DESTROY);
		a->is_destroyed = 1;
		a->destroyed = time;
		a->capacity = 0;
		if (!rc && z->destroyed)
			rc = z->destroyed(z->ctx, a);
		/* forgotten: its slot is free for the next allocator made */
		idmap_del(&z->ids, a->id);
		a->in_use = 0;
		a->next_free = z->free_a;
		z->free_a = (size_t)row + 1;
		z->live--;
		break;
	case CZT_REC_CZ_CAPACITY:
		holds(a, s->size);
		break;
	}
	return rc;
}

int an_arenas_apply(struct an_arenas *z, uint32_t slot, uint64_t time)
{
	struct cz_staged s = z->st[slot].r;
	z->st[slot].next = z->free_st;
	z->free_st = (size_t)slot + 1;
	return apply(z, &s, time);
}

int an_arenas_exec(struct an_arenas *z, uint64_t time)
{
	int rc = 0;
	for (size_t i = 0; i < z->n_a && !rc; i++)
		if (z->a[i].in_use)
			rc = end_all(z, (uint32_t)i, time, AN_CZ_EXEC);
	return rc;
}

static int by_n(const void *x, const void *y)
{
	const struct an_cz_block *a = *(const struct an_cz_block *const *)x,
				 *b = *(const struct an_cz_block *const *)y;
	return a->n < b->n ? -1 : a->n > b->n;
}

int an_arenas_open(const struct an_arenas *z,
		   int (*fn)(void *ctx, const struct an_allocator *a, const struct an_cz_block *b), void *ctx)
{
	const struct an_cz_block **v = malloc((z->open_used ? z->open_used : 1) * sizeof(*v));
	if (!v)
		return -1;
	size_t n = 0;
	for (size_t k = 0; k < z->open_cap; k++)
		if (z->open[k].block)
			v[n++] = &z->b[z->open[k].block - 1].b;
	qsort(v, n, sizeof(*v), by_n);
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++)
		rc = fn(ctx, &z->a[v[i]->allocator], v[i]);
	free(v);
	return rc;
}

void an_arenas_release(struct an_arenas *z)
{
	free(z->a);
	free(z->b);
	free(z->open);
	free(z->st);
	idmap_clear(&z->ids);
	memset(z, 0, sizeof(*z));
}
