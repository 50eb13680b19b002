/*
 * live.c - see live.h.  Live blocks sit in an open-addressing table keyed by
 * address (linear probing, backward-shift deletion: no tombstones, so a
 * long run of malloc/free keeps probes short).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "format/czt.h"
#include "lib/analysis/kinds.h"
#include "viewer/live.h"

struct live_slot {
	uint64_t addr; /* 0 = empty */
	uint64_t size;
	uint32_t stack, thread; /* indexes into the model's arrays */
};

struct live_blocks {
	struct live_slot *slots;
	size_t cap, used;
};

static size_t slot_hash(uint64_t addr, size_t cap)
{
	/* malloc addresses are 16-aligned: drop the always-zero bits; the
	 * product's top bits depend on every bit of the key, the allocator's
	 * in the cz map's keys (cz_key) included */
	return (size_t)(((addr >> 4) * 0x9E3779B97F4A7C15ull) >> (64 - __builtin_ctzll(cap)));
}

static struct live_slot *blocks_find(struct live_blocks *b, uint64_t addr)
{
	if (!b->cap)
		return NULL;
	for (size_t i = slot_hash(addr, b->cap);; i = (i + 1) & (b->cap - 1)) {
		if (b->slots[i].addr == addr)
			return &b->slots[i];
		if (!b->slots[i].addr)
			return NULL;
	}
}

/* Zeroed slots from their own mapping: a big heap's table runs to hundreds
 * of MiB, touched at random, and with huge pages it faults once per 2 MiB
 * and misses the TLB far less.  NULL when out of memory. */
static struct live_slot *slots_new(size_t cap)
{
	size_t len = cap * sizeof(struct live_slot);
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	if (len >= (4u << 20))
		madvise(p, len, MADV_HUGEPAGE);
	return p;
}

static void slots_free(struct live_slot *s, size_t cap)
{
	if (s)
		munmap(s, cap * sizeof(*s));
}

static int blocks_grow(struct live_blocks *b)
{
	size_t cap = b->cap ? b->cap * 2 : 1024;
	struct live_slot *s = slots_new(cap);
	if (!s)
		return -1;
	for (size_t i = 0; i < b->cap; i++) {
		if (!b->slots[i].addr)
			continue;
		size_t j = slot_hash(b->slots[i].addr, cap);
		while (s[j].addr)
			j = (j + 1) & (cap - 1);
		s[j] = b->slots[i];
	}
	slots_free(b->slots, b->cap);
	b->slots = s;
	b->cap = cap;
	return 0;
}

/* addr's slot, found or made in one probe; *had says which (a new slot has
 * only addr set).  NULL when out of memory. */
static struct live_slot *blocks_claim(struct live_blocks *b, uint64_t addr, int *had)
{
	if ((b->used + 1) * 4 > b->cap * 3 && blocks_grow(b))
		return NULL;
	size_t i = slot_hash(addr, b->cap);
	for (; b->slots[i].addr; i = (i + 1) & (b->cap - 1))
		if (b->slots[i].addr == addr) {
			*had = 1;
			return &b->slots[i];
		}
	*had = 0;
	b->used++;
	b->slots[i] = (struct live_slot){ .addr = addr };
	return &b->slots[i];
}

static void blocks_remove(struct live_blocks *b, struct live_slot *s)
{
	size_t mask = b->cap - 1;
	size_t i = (size_t)(s - b->slots);
	/* shift later members of the probe run back into the hole */
	for (size_t j = (i + 1) & mask; b->slots[j].addr; j = (j + 1) & mask) {
		size_t home = slot_hash(b->slots[j].addr, b->cap);
		if (((j - home) & mask) >= ((j - i) & mask)) {
			b->slots[i] = b->slots[j];
			i = j;
		}
	}
	b->slots[i].addr = 0;
	b->used--;
}

static void blocks_free(struct live_blocks *b)
{
	if (b) {
		slots_free(b->slots, b->cap);
		free(b);
	}
}

int live_model_new(struct live_model **out)
{
	struct live_model *m = calloc(1, sizeof(*m));
	if (!m)
		return -1;
	m->heap = calloc(1, sizeof(*m->heap));
	m->cz = calloc(1, sizeof(*m->cz));
	if (!m->heap || !m->cz) {
		live_model_free(m);
		return -1;
	}
	*out = m;
	return 0;
}

/* ---- leak kinds from the scan at exit ---- */

struct live_scan {
	struct lk_scan *lk;
	uint32_t *stack;  /* per judged block, its index in m->stacks */
	size_t n;
	int failed;
};

static void scan_free(struct live_scan *sc)
{
	if (!sc)
		return;
	lk_free(sc->lk);
	free(sc->stack);
	free(sc);
}

static struct live_scan *scan_begin(struct live_model *m)
{
	struct live_scan *sc = calloc(1, sizeof(*sc));
	struct live_blocks *b = m->heap;
	size_t cap = b && b->used ? b->used : 1;
	struct lk_block *blocks = malloc(cap * sizeof(*blocks));
	if (sc)
		sc->stack = malloc(cap * sizeof(*sc->stack));
	if (!sc || !blocks || !sc->stack) {
		free(blocks);
		scan_free(sc);
		return NULL;
	}
	for (size_t i = 0; b && i < b->cap; i++)
		if (b->slots[i].addr) {
			blocks[sc->n] = (struct lk_block){ b->slots[i].addr, b->slots[i].size, 0 };
			sc->stack[sc->n++] = b->slots[i].stack;
		}
	sc->lk = lk_new(blocks, sc->n);
	free(blocks);
	if (!sc->lk) {
		scan_free(sc);
		return NULL;
	}
	return sc;
}

static void scan_end(struct live_model *m, struct live_scan *sc, uint64_t scan_time)
{
	if (sc->failed || lk_classify(sc->lk, scan_time))
		return;
	memset(m->kind_bytes, 0, sizeof(m->kind_bytes));
	memset(m->kind_blocks, 0, sizeof(m->kind_blocks));
	for (size_t i = 0; i < m->n_stacks; i++)
		m->stacks[i].lost_bytes = m->stacks[i].lost_blocks = 0;
	for (size_t i = 0; i < sc->n; i++) {
		const struct lk_result *r = lk_result(sc->lk, i);
		uint64_t size = lk_block_size(sc->lk, i);
		m->kind_bytes[r->kind] += size;
		m->kind_blocks[r->kind]++;
		if ((r->kind == LK_DEFINITE || r->kind == LK_INDIRECT) && sc->stack[i] < m->n_stacks) {
			m->stacks[sc->stack[i]].lost_bytes += size;
			m->stacks[sc->stack[i]].lost_blocks++;
		}
	}
	m->kinds_known = 1;
}

void live_scan_record(struct live_model *m, const struct czt_record *r)
{
	if (!m->scan && !m->kinds_known) {
		m->scan = scan_begin(m);
		if (!m->scan)
			m->oom = 1;
	}
	struct live_scan *sc = m->scan;
	if (!sc)
		return;
	if (r->type == CZT_REC_SCAN_END) {
		scan_end(m, sc, r->time);
		scan_free(sc);
		m->scan = NULL;
	} else if (lk_feed(sc->lk, r)) {
		sc->failed = 1; /* a damaged list: no kinds rather than wrong ones */
	}
}

void live_model_free(struct live_model *m)
{
	if (!m)
		return;
	scan_free(m->scan);
	m->scan = NULL;
	blocks_free(m->heap);
	blocks_free(m->cz);
	idmap_clear(&m->stack_ids);
	idmap_clear(&m->thread_ids);
	idmap_clear(&m->allocator_ids);
	free(m->stacks);
	free(m->threads);
	free(m->allocators);
	free(m);
}

static long stack_index(struct live_model *m, uint64_t id)
{
	long i = idmap_get(&m->stack_ids, id);
	if (i >= 0)
		return i;
	if (array_reserve((void **)&m->stacks, &m->cap_stacks, m->n_stacks, sizeof(*m->stacks)) ||
	    idmap_put(&m->stack_ids, id, (uint32_t)m->n_stacks)) {
		m->oom = 1;
		return -1;
	}
	m->stacks[m->n_stacks].id = id;
	return (long)m->n_stacks++;
}

static long thread_index(struct live_model *m, uint64_t tid)
{
	long i = idmap_get(&m->thread_ids, tid);
	if (i >= 0)
		return i;
	if (array_reserve((void **)&m->threads, &m->cap_threads, m->n_threads, sizeof(*m->threads)) ||
	    idmap_put(&m->thread_ids, tid, (uint32_t)m->n_threads)) {
		m->oom = 1;
		return -1;
	}
	m->threads[m->n_threads].tid = tid;
	return (long)m->n_threads++;
}

struct live_thread *live_find_thread(struct live_model *m, uint64_t tid)
{
	long i = idmap_get(&m->thread_ids, tid);
	return i < 0 ? NULL : &m->threads[i];
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

void live_thread_start(struct live_model *m, uint64_t tid, uint64_t name)
{
	long i = thread_index(m, tid);
	if (i >= 0 && name)
		m->threads[i].name = name;
}

void live_thread_end(struct live_model *m, uint64_t tid)
{
	long i = thread_index(m, tid);
	if (i >= 0)
		m->threads[i].ended = 1;
}

/* Makes the timeline reach time: buckets up to it exist, those with no
 * event yet carrying the level forward. */
static void timeline_reach(struct live_model *m, uint64_t time)
{
	if (!m->bucket_ns)
		m->bucket_ns = LIVE_FIRST_BUCKET_NS;
	uint64_t b = time / m->bucket_ns;
	while (b >= LIVE_BUCKETS) { /* halve the resolution */
		size_t half = (m->n_buckets + 1) / 2;
		for (size_t i = 0; i < half; i++) {
			uint64_t x = m->timeline[2 * i];
			uint64_t y = 2 * i + 1 < m->n_buckets ? m->timeline[2 * i + 1] : 0;
			m->timeline[i] = x > y ? x : y;
		}
		m->n_buckets = half;
		m->bucket_ns *= 2;
		b = time / m->bucket_ns;
	}
	for (size_t i = m->n_buckets; i <= b; i++)
		m->timeline[i] = m->live_bytes;
	if (b + 1 > m->n_buckets)
		m->n_buckets = (size_t)b + 1;
}

/* The level after an event at time (timeline_reach came first). */
static void timeline_note(struct live_model *m, uint64_t time)
{
	uint64_t b = time / m->bucket_ns;
	if (m->live_bytes > m->timeline[b])
		m->timeline[b] = m->live_bytes;
}

/* Takes s's block out of the figures (its slot stays). */
static void heap_uncount(struct live_model *m, const struct live_slot *s)
{
	struct live_stack *st = &m->stacks[s->stack];
	struct live_thread *th = &m->threads[s->thread];
	st->live_bytes -= s->size;
	st->live_blocks--;
	th->live_bytes -= s->size;
	th->live_blocks--;
	m->live_bytes -= s->size;
	m->live_blocks--;
}

static void heap_free(struct live_model *m, uint64_t addr, long thread)
{
	if (!addr)
		return;
	m->frees++;
	if (thread >= 0)
		m->threads[thread].frees++;
	struct live_slot *s = blocks_find(m->heap, addr);
	if (!s) {
		m->unmatched_frees++;
		return;
	}
	heap_uncount(m, s);
	blocks_remove(m->heap, s);
}

static void heap_alloc(struct live_model *m, const struct live_event *e, long thread)
{
	m->allocs++;
	if (!e->addr) {
		m->failed++;
		return;
	}
	long st = stack_index(m, e->stack);
	if (st < 0 || thread < 0)
		return;
	int had;
	struct live_slot *s = blocks_claim(m->heap, e->addr, &had);
	if (!s) {
		m->oom = 1;
		return;
	}
	if (had) /* its free was never seen: the block is gone */
		heap_uncount(m, s);
	s->size = e->size;
	s->stack = (uint32_t)st;
	s->thread = (uint32_t)thread;
	struct live_stack *k = &m->stacks[st];
	k->live_bytes += e->size;
	k->live_blocks++;
	k->allocs++;
	k->bytes_allocated += e->size;
	struct live_thread *th = &m->threads[thread];
	th->allocs++;
	th->bytes_allocated += e->size;
	th->live_bytes += e->size;
	th->live_blocks++;
	m->live_bytes += e->size;
	m->live_blocks++;
	if (m->live_bytes > m->peak_bytes) {
		m->peak_bytes = m->live_bytes;
		m->peak_blocks = m->live_blocks;
		m->peak_time = e->time;
	}
}

/* A block's key in m->cz: its address and its allocator, as the loader
 * pairs them (cli/load_cz.c).  Layers share addresses (a failing allocator
 * hands out its debug parent's blocks) and so do fixed buffers made in turn
 * on the stack: by address alone, each would end the other's block.  User
 * addresses fit in 47 bits; the allocator's index takes the bits above. */
static uint64_t cz_key(const struct live_model *m, const struct live_allocator *a, uint64_t addr)
{
	return addr ^ ((uint64_t)(a - m->allocators + 1) << 47);
}

/* Allocator-library blocks: counted per allocator, not in the heap (the
 * memory they carve up already came from malloc or mmap). */
static void cz_event(struct live_model *m, const struct live_event *e)
{
	struct live_allocator *a = allocator_get(m, e->allocator);
	if (!a)
		return;
	struct live_slot *s;
	switch (e->type) {
	case CZT_REC_CZ_NEW:
		a->kind = e->size;
		a->parent = e->old_addr;
		a->name = e->addr;
		a->stack = e->stack;
		a->created = e->time;
		break;
	case CZT_REC_CZ_RESIZE:
		if ((s = blocks_find(m->cz, cz_key(m, a, e->old_addr)))) {
			a->live_bytes -= s->size;
			a->live_blocks--;
			blocks_remove(m->cz, s);
		}
		/* the new extent is a block of its own */
		__attribute__((fallthrough));
	case CZT_REC_CZ_ALLOC:
		if (!e->addr)
			break;
		if (e->type == CZT_REC_CZ_ALLOC) {
			a->allocs++;
			a->bytes_requested += e->size;
		}
		int had;
		if (!(s = blocks_claim(m->cz, cz_key(m, a, e->addr), &had))) {
			m->oom = 1;
			break;
		}
		if (had) { /* replaced without a free */
			struct live_allocator *old = &m->allocators[s->thread];
			old->live_bytes -= s->size;
			old->live_blocks--;
		}
		s->size = e->size;
		s->thread = (uint32_t)(a - m->allocators); /* owner allocator */
		a->live_bytes += e->size;
		a->live_blocks++;
		break;
	case CZT_REC_CZ_FREE:
		if ((s = blocks_find(m->cz, cz_key(m, a, e->addr)))) {
			a->live_bytes -= s->size;
			a->live_blocks--;
			blocks_remove(m->cz, s);
		}
		break;
	case CZT_REC_CZ_RESET:
	case CZT_REC_CZ_DESTROY:
		/* every block of the allocator goes at once */
		for (size_t i = 0; i < m->cz->cap;) {
			s = &m->cz->slots[i];
			if (s->addr && s->thread == (uint32_t)(a - m->allocators))
				blocks_remove(m->cz, s); /* the slot now holds a later entry: look again */
			else
				i++;
		}
		a->live_bytes = a->live_blocks = 0;
		if (e->type == CZT_REC_CZ_RESET) {
			a->resets++;
			a->capacity = e->size;
		} else {
			a->is_destroyed = 1;
			a->destroyed = e->time;
			a->capacity = 0;
		}
		break;
	case CZT_REC_CZ_CAPACITY:
		a->capacity = e->size;
		break;
	}
	if (a->capacity > a->peak_capacity)
		a->peak_capacity = a->capacity;
}

void live_apply(struct live_model *m, const struct live_event *e)
{
	if (e->time > m->now)
		m->now = e->time;
	unsigned t = e->type;
	if (t == CZT_REC_PROCESS_END) {
		if (e->size != CZT_END_EXEC) {
			m->ended = 1;
			m->end_how = e->size;
			m->end_value = e->addr;
			m->end_time = e->time;
		}
		return;
	}
	if (t >= CZT_REC_CZ_ALLOC && t <= CZT_REC_CZ_CAPACITY) {
		cz_event(m, e);
		return;
	}
	timeline_reach(m, e->time);
	long thread = thread_index(m, e->tid);
	if (t == CZT_REC_FREE) {
		heap_free(m, e->addr, thread);
	} else if (t == CZT_REC_REALLOC || t == CZT_REC_REALLOCARRAY) {
		if (!e->old_addr) {
			heap_alloc(m, e, thread);
		} else if (!e->addr && e->size) {
			m->failed++; /* failed realloc: the old block stays */
		} else {
			heap_free(m, e->old_addr, thread);
			if (e->addr)
				heap_alloc(m, e, thread);
		}
	} else if (czt_rec_is_event(t)) {
		heap_alloc(m, e, thread);
	}
	timeline_note(m, e->time);
}

void live_prefetch(const struct live_model *m, const struct live_event *e)
{
	const struct live_blocks *b = m->heap;
	uint64_t addr = e->type == CZT_REC_REALLOC || e->type == CZT_REC_REALLOCARRAY ? e->old_addr : e->addr;
	if (b->cap && addr)
		__builtin_prefetch(&b->slots[slot_hash(addr, b->cap)]);
}

void live_advance(struct live_model *m, uint64_t time)
{
	if (m->ended || time <= m->now)
		return;
	m->now = time;
	timeline_reach(m, time);
}

void live_exec(struct live_model *m, uint64_t time)
{
	timeline_reach(m, time);
	struct live_blocks *b = m->heap;
	memset(b->slots, 0, b->cap * sizeof(*b->slots));
	b->used = 0;
	m->live_bytes = m->live_blocks = 0;
	for (size_t i = 0; i < m->n_threads; i++)
		m->threads[i].live_bytes = m->threads[i].live_blocks = 0;
	/* stack ids restart: a new id must not find an old stack */
	idmap_clear(&m->stack_ids);
	free(m->stacks);
	m->stacks = NULL;
	m->n_stacks = m->cap_stacks = 0;
}
