/*
 * cz_debug_table.c - see cz_debug_table.h.
 */
#include <string.h>
#include <sys/mman.h>

#include "lib/czalloc/cz_debug_table.h"

static void *map(size_t len)
{
	if (!len)
		return NULL;
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void unmap(void *p, size_t len)
{
	if (p)
		munmap(p, len);
}

/* Fibonacci hashing: the product's top bits, which depend on every bit of
 * the address (its low bits alone cluster heap addresses into long runs) */
static size_t hash(uintptr_t a, size_t cap)
{
	return (size_t)(((uint64_t)(a >> 4) * 0x9E3779B97F4A7C15ull) >> (64 - __builtin_ctzll(cap)));
}

void cz__table_init(struct cz__table *t, size_t slots)
{
	memset(t, 0, sizeof(*t));
	t->slots = slots;
}

void cz__table_release(struct cz__table *t)
{
	unmap(t->r, t->cap * sizeof(*t->r));
	unmap(t->frames, t->cap * t->slots * sizeof(void *));
	cz__table_init(t, t->slots);
}

/* Moves record from into the empty slot to, keeping to's frames. */
static void move(struct cz__rec *to, const struct cz__rec *from)
{
	void **keep = to->stacks;
	*to = *from;
	to->stacks = keep;
	if (keep)
		memcpy(keep, from->stacks, (size_t)(from->n_alloc + from->n_free) * sizeof(void *));
}

int cz__table_reserve(struct cz__table *t)
{
	if ((t->used + 1) * 2 <= t->cap)
		return 0;
	size_t cap = t->cap ? t->cap * 2 : 1024;
	struct cz__rec *r = map(cap * sizeof(*r));
	void **frames = map(cap * t->slots * sizeof(void *));
	if (!r || (t->slots && !frames)) {
		unmap(r, cap * sizeof(*r));
		unmap(frames, cap * t->slots * sizeof(void *));
		return -1;
	}
	for (size_t i = 0; i < cap; i++)
		r[i].stacks = frames ? frames + i * t->slots : NULL;
	for (size_t i = 0; i < t->cap; i++) {
		if (!t->r[i].addr)
			continue;
		size_t k = hash(t->r[i].addr, cap);
		while (r[k].addr)
			k = (k + 1) & (cap - 1);
		move(&r[k], &t->r[i]);
	}
	unmap(t->r, t->cap * sizeof(*t->r));
	unmap(t->frames, t->cap * t->slots * sizeof(void *));
	t->r = r;
	t->frames = frames;
	t->cap = cap;
	return 0;
}

struct cz__rec *cz__table_find(struct cz__table *t, uintptr_t addr)
{
	if (!t->cap)
		return NULL;
	for (size_t k = hash(addr, t->cap);; k = (k + 1) & (t->cap - 1)) {
		if (t->r[k].addr == addr)
			return &t->r[k];
		if (!t->r[k].addr)
			return NULL;
	}
}

struct cz__rec *cz__table_add(struct cz__table *t, uintptr_t addr)
{
	size_t k = hash(addr, t->cap);
	while (t->r[k].addr)
		k = (k + 1) & (t->cap - 1);
	struct cz__rec *r = &t->r[k];
	r->addr = addr;
	r->len = r->align = 0;
	r->n_alloc = r->n_free = r->held = 0;
	t->used++;
	return r;
}

void cz__table_remove(struct cz__table *t, struct cz__rec *r)
{
	size_t mask = t->cap - 1, i = (size_t)(r - t->r);
	for (size_t j = (i + 1) & mask; t->r[j].addr; j = (j + 1) & mask) {
		size_t home = hash(t->r[j].addr, t->cap);
		if (((j - home) & mask) >= ((j - i) & mask)) {
			move(&t->r[i], &t->r[j]);
			i = j;
		}
	}
	t->r[i].addr = 0;
	t->used--;
}
