/*
 * live_cz.c - see live_cz.h.  Blocks by (allocator, address) in an
 * open-addressing table (linear probing, backward-shift deletion).
 */
#include <stdlib.h>
#include <string.h>

#include "viewer/live_cz.h"

struct cz_slot {
	uint64_t key;   /* cz_key; 0 = empty */
	uint64_t size;
	uint32_t owner; /* its allocator: index into m->allocators */
};

struct live_cz {
	struct cz_slot *slots;
	size_t cap, used;
};

static size_t slot_hash(uint64_t key, size_t cap)
{
	/* addresses are 16-aligned: drop the always-zero bits; the product's
	 * top bits depend on every bit of the key, the allocator's included */
	return (size_t)(((key >> 4) * 0x9E3779B97F4A7C15ull) >> (64 - __builtin_ctzll(cap)));
}

struct live_cz *live_cz_new(void)
{
	return calloc(1, sizeof(struct live_cz));
}

void live_cz_free(struct live_cz *cz)
{
	if (cz)
		free(cz->slots);
	free(cz);
}

static struct cz_slot *slot_find(struct live_cz *b, uint64_t key)
{
	if (!b->cap)
		return NULL;
	for (size_t i = slot_hash(key, b->cap);; i = (i + 1) & (b->cap - 1)) {
		if (b->slots[i].key == key)
			return &b->slots[i];
		if (!b->slots[i].key)
			return NULL;
	}
}

static int slots_grow(struct live_cz *b)
{
	size_t cap = b->cap ? b->cap * 2 : 1024;
	struct cz_slot *s = calloc(cap, sizeof(*s));
	if (!s)
		return -1;
	for (size_t i = 0; i < b->cap; i++) {
		if (!b->slots[i].key)
			continue;
		size_t j = slot_hash(b->slots[i].key, cap);
		while (s[j].key)
			j = (j + 1) & (cap - 1);
		s[j] = b->slots[i];
	}
	free(b->slots);
	b->slots = s;
	b->cap = cap;
	return 0;
}

/* key's slot, found or made; *had says which.  NULL when out of memory. */
static struct cz_slot *slot_claim(struct live_cz *b, uint64_t key, int *had)
{
	if ((b->used + 1) * 4 > b->cap * 3 && slots_grow(b))
		return NULL;
	size_t i = slot_hash(key, b->cap);
	for (; b->slots[i].key; i = (i + 1) & (b->cap - 1))
		if (b->slots[i].key == key) {
			*had = 1;
			return &b->slots[i];
		}
	*had = 0;
	b->used++;
	b->slots[i] = (struct cz_slot){ .key = key };
	return &b->slots[i];
}

static void slot_remove(struct live_cz *b, struct cz_slot *s)
{
	size_t mask = b->cap - 1;
	size_t i = (size_t)(s - b->slots);
	/* shift later members of the probe run back into the hole */
	for (size_t j = (i + 1) & mask; b->slots[j].key; j = (j + 1) & mask) {
		size_t home = slot_hash(b->slots[j].key, b->cap);
		if (((j - home) & mask) >= ((j - i) & mask)) {
			b->slots[i] = b->slots[j];
			i = j;
		}
	}
	b->slots[i].key = 0;
	b->used--;
}

struct live_allocator *live_find_allocator(struct live_model *m, uint64_t id)
{
	long i = idmap_get(&m->allocator_ids, id);
	return i < 0 ? NULL : &m->allocators[i];
}

static struct live_allocator *allocator_get(struct live_model *m, uint64_t id)
{
	struct live_allocator *a = live_find_allocator(m, id);
	if (a)
		return a;
	if (array_reserve((void **)&m->allocators, &m->cap_allocators, m->n_allocators,
			  sizeof(*m->allocators)) ||
	    idmap_put(&m->allocator_ids, id, (uint32_t)m->n_allocators)) {
		m->oom = 1;
		return NULL;
	}
	a = &m->allocators[m->n_allocators++];
	a->id = id;
	return a;
}

/* A block's key: its address and its allocator, as the loader pairs them
 * (cli/load_cz.c).  Layers share addresses (a failing allocator hands out
 * its debug parent's blocks) and so do fixed buffers made in turn on the
 * stack: by address alone, each would end the other's block.  User
 * addresses fit in 47 bits; the allocator's index takes the bits above. */
static uint64_t cz_key(const struct live_model *m, const struct live_allocator *a, uint64_t addr)
{
	return addr ^ ((uint64_t)(a - m->allocators + 1) << 47);
}

static void block_end(struct live_model *m, struct live_allocator *a, uint64_t addr)
{
	struct cz_slot *s = slot_find(m->cz, cz_key(m, a, addr));
	if (s) {
		a->live_bytes -= s->size;
		a->live_blocks--;
		slot_remove(m->cz, s);
	}
}

static void block_new(struct live_model *m, struct live_allocator *a, uint64_t addr, uint64_t size)
{
	int had;
	struct cz_slot *s = slot_claim(m->cz, cz_key(m, a, addr), &had);
	if (!s) {
		m->oom = 1;
		return;
	}
	if (had) { /* replaced without a free */
		struct live_allocator *old = &m->allocators[s->owner];
		old->live_bytes -= s->size;
		old->live_blocks--;
	}
	s->size = size;
	s->owner = (uint32_t)(a - m->allocators);
	a->live_bytes += size;
	a->live_blocks++;
}

/* Every block of a goes at once. */
static void blocks_drop(struct live_model *m, struct live_allocator *a)
{
	struct live_cz *b = m->cz;
	for (size_t i = 0; i < b->cap;) {
		struct cz_slot *s = &b->slots[i];
		if (s->key && s->owner == (uint32_t)(a - m->allocators))
			slot_remove(b, s); /* the slot now holds a later entry: look again */
		else
			i++;
	}
	a->live_bytes = a->live_blocks = 0;
}

void live_cz_record(struct live_model *m, const struct czt_record *r)
{
	/* ids restart with an exec'd image: shifted as the engine's are */
	uint64_t img = m->en.image << AN_IMAGE_SHIFT;
	struct live_allocator *a = allocator_get(m, r->allocator + img);
	if (!a)
		return;
	switch (r->type) {
	case CZT_REC_CZ_NEW:
		a->kind = r->kind;
		a->parent = r->parent ? r->parent + img : 0;
		a->name = r->name ? r->name + img : 0;
		a->stack = r->stack ? r->stack + img : 0;
		a->created = r->time;
		break;
	case CZT_REC_CZ_RESIZE:
		block_end(m, a, r->old_addr);
		if (r->addr) /* the new extent is a block of its own */
			block_new(m, a, r->addr, r->size);
		break;
	case CZT_REC_CZ_ALLOC:
		if (!r->addr)
			break;
		a->allocs++;
		a->bytes_requested += r->size;
		block_new(m, a, r->addr, r->size);
		break;
	case CZT_REC_CZ_FREE:
		block_end(m, a, r->addr);
		break;
	case CZT_REC_CZ_RESET:
		blocks_drop(m, a);
		a->resets++;
		a->capacity = r->value;
		break;
	case CZT_REC_CZ_DESTROY:
		blocks_drop(m, a);
		a->is_destroyed = 1;
		a->destroyed = r->time;
		a->capacity = 0;
		break;
	case CZT_REC_CZ_CAPACITY:
		a->capacity = r->value;
		break;
	}
	if (a->capacity > a->peak_capacity)
		a->peak_capacity = a->capacity;
}
