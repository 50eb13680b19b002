/*
 * engine.c - see engine.h.
 *
 * Records become events (records.c) and go to the merge, one queue per
 * thread plus one for exec markers; at the end of each chunk the merge hands out those no
 * later chunk can precede, in the global order, and each is paired at
 * once: live blocks by address in an open-addressing map (a freed
 * block's slot stays until its address is allocated again, so millions
 * of malloc/free pairs need no deletion and leave no tombstones), their
 * fields in a pool of 32-byte entries whose freed entries are reused.
 * At 2 M live blocks the pool is 64 MB and the map 16-22 MB.  Keeping
 * the blocks in the map itself, with no pool, was measured: one cache
 * miss an event instead of two, but no faster and no smaller, since
 * 32-byte slots at a load of 1/2 to 3/4 take as much as an entry and an
 * 8-byte slot, growth moves four times the bytes and a miss walks four
 * times as many (docs/performance.md).  A map laid out otherwise must
 * keep the order an exec ends its blocks in (the map's), which is the
 * order `allocations` gives their rows in.
 *
 * Allocator records (CZT_REC_CZ_*) are merged with the rest, each
 * thread's in a sequence of its own (so that they never change the order
 * the heap's events come out in), and applied to the allocators' model
 * (arenas.h) as they are handed out.  They are not counted as events.
 *
 * The peak per stack costs O(1) an event: each stack's figures are
 * copied into its peak figures lazily, the first time the stack changes
 * after a new peak of the whole heap (its epoch is older than the
 * peak's); at the end, a stack untouched since the last peak has its live
 * figures as its peak ones.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "lib/analysis/engine.h"
#include "lib/base/grow.h"

/* A slot of the map: 8 bytes, since the map holds a slot per live block
 * (and freed address) at up to 3/4 load.  The address is in the entry;
 * the slot keeps the top 32 bits of its hash, which place it (so the map
 * grows without reading an entry) and tell most other addresses apart
 * without reading theirs. */
struct an_slot {
	uint32_t tag;       /* addr_tag of its address */
	uint32_t ref : 31;  /* entry index + 1; 0: empty */
	uint32_t freed : 1; /* released, and the address not allocated since */
};

/*
 * A live block as the pool keeps it: struct an_block's fields in 32
 * bytes, so that an entry never straddles two cache lines and 2 M live
 * blocks take 64 MB.  Its time and order position are kept as distances
 * from those of the first allocation of its group (AN_GROUP allocations
 * by id, struct an_base): a group's allocations come close together, so
 * a few bits hold them.  A block whose time, order position or thread
 * does not fit (a group spread over more than 34 s or 8 M events, a
 * thread index from 2^19 on) is `wide`: those are in an an_wide, timed
 * its index.  A block a realloc made from another (realloc_from set), or
 * of 2^36 bytes or more, has its size and realloc_from in an an_extra
 * instead, size_lo its index.
 */
struct an_live {
	uint64_t addr;
	uint64_t id : 40, seqd : 23, wide : 1;
	uint64_t timed : 35, thread : 19, fn : 5, size_hi : 4, extra : 1;
	uint32_t stack, size_lo;
};

#define AN_GROUP_BITS 12
#define LIVE_SIZE_BITS 36

struct an_base {
	uint64_t time, seq;
};

struct an_extra {
	uint64_t size;
	uint64_t realloc_from;
};

/* A live block's fields that did not fit its entry. */
struct an_wide {
	uint64_t time, seq;
	uint32_t thread;
};

/*
 * A freed block, while its address is not allocated again: its
 * load_freed in 24 bytes.  One whose time, size or thread does not fit
 * is `wide`: the load_freed is an an_wide side entry, size its index.
 */
struct an_gone {
	uint64_t addr;
	uint64_t time : 59, alloc_family : 2, call : 2, wide : 1;
	uint64_t size : 44, thread : 20;
	uint32_t alloc_stack, stack;
};

#define GONE_TIME_BITS 59
#define GONE_SIZE_BITS 44
#define GONE_THREAD_BITS 20

/* A pool entry: a live block, what a freed one leaves for a second
 * release to be told (until its address is allocated again), or free.
 * Both forms begin with the address. */
union an_entry {
	struct an_live b;
	struct an_gone g;
	uint64_t next; /* free: the next free entry's index + 1 */
};

/* An entry of the wide side table. */
union an_wide_entry {
	struct an_wide w;
	struct load_freed f;
};

_Static_assert(sizeof(union an_entry) == 32, "one per live block: keep it small");
_Static_assert(sizeof(struct an_slot) == 8, "one per live block: keep it small");
_Static_assert(sizeof(union an_wide_entry) == 32, "few of them, but keep it small");

/* A big heap makes every map probe and block a cache miss: the pairing
 * starts the probe of the event this far ahead, and the block of the one
 * half as far, while it pairs the current one. */
#define PREFETCH_AHEAD 16
#define PREFETCH_SLOTS (1u << 16) /* from a map this big on */
#define BATCH 4096

/* ---- the pool of blocks ---- */

static struct an_extra *extra_at(const struct an_engine *en, uint32_t i)
{
	return (struct an_extra *)en->extra.p + i;
}

static union an_wide_entry *wide_at(const struct an_engine *en, uint64_t i)
{
	return (union an_wide_entry *)en->wide.p + i;
}

static uint64_t live_size(const struct an_engine *en, const struct an_live *b)
{
	return b->extra ? extra_at(en, b->size_lo)->size : (uint64_t)b->size_hi << 32 | b->size_lo;
}

static uint32_t live_thread(const struct an_engine *en, const struct an_live *b)
{
	return b->wide ? wide_at(en, b->timed)->w.thread : b->thread;
}

/* The public form of pool entry b. */
static struct an_block live_block(const struct an_engine *en, const struct an_live *b)
{
	struct an_block x = { .addr = b->addr, .size = live_size(en, b), .id = b->id, .fn = b->fn,
			      .stack = b->stack, .realloc_from = b->extra ? extra_at(en, b->size_lo)->realloc_from : 0 };
	if (b->wide) {
		const struct an_wide *w = &wide_at(en, b->timed)->w;
		x.time = w->time;
		x.seq = w->seq;
		x.thread = w->thread;
	} else {
		const struct an_base *g = &en->bases[(b->id - 1) >> AN_GROUP_BITS];
		x.time = g->time + b->timed;
		x.seq = g->seq + b->seqd;
		x.thread = b->thread;
	}
	return x;
}

/* The freed block of pool entry g. */
static struct load_freed gone_freed(const struct an_engine *en, const struct an_gone *g)
{
	if (g->wide)
		return wide_at(en, g->size)->f;
	return (struct load_freed){ .time = g->time, .size = g->size, .thread = g->thread,
				    .alloc_stack = g->alloc_stack, .stack = g->stack,
				    .alloc_family = (uint8_t)g->alloc_family, .call = (uint8_t)g->call };
}

/* The map and the pool come straight from mmap.  The pool grows by
 * mremap, which moves pages instead of copying them (malloc's realloc
 * copies once its threshold has risen past the array), and a freed map is
 * unmapped at once.  Both are touched at random: huge pages spare a TLB
 * miss on most accesses. */
static void advise_huge(void *p, size_t len)
{
	if (len < (8u << 20))
		return;
	uintptr_t lo = ((uintptr_t)p + (2u << 20) - 1) & ~(uintptr_t)((2u << 20) - 1);
	uintptr_t hi = ((uintptr_t)p + len) & ~(uintptr_t)((2u << 20) - 1);
	if (hi > lo)
		madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
}

/* len bytes of zeroes, or NULL. */
static void *big_alloc(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	advise_huge(p, len);
	return p;
}

/* p (old bytes) made len bytes long, the new part zeroes; or NULL (p unchanged). */
static void *big_resize(void *p, size_t old, size_t len)
{
	void *q = p ? mremap(p, old, len, MREMAP_MAYMOVE) : big_alloc(len);
	if (q == MAP_FAILED)
		return NULL;
	advise_huge(q, len);
	return q;
}

static void big_free(void *p, size_t len)
{
	if (p)
		munmap(p, len);
}

#define POOL_FIRST 4096 /* entries */

static union an_entry *entry_new(struct an_engine *en, uint32_t *index)
{
	if (en->free_blk) {
		*index = (uint32_t)(en->free_blk - 1);
		en->free_blk = en->blk[*index].next;
		return &en->blk[*index];
	}
	if (en->n_blk == en->cap_blk) {
		size_t cap = en->cap_blk ? en->cap_blk * 2 : POOL_FIRST;
		if (cap > (1u << 31) - 1)
			return NULL;
		union an_entry *b = big_resize(en->blk, en->cap_blk * sizeof(*b), cap * sizeof(*b));
		if (!b)
			return NULL;
		en->blk = b;
		en->cap_blk = cap;
	}
	*index = (uint32_t)en->n_blk;
	return &en->blk[en->n_blk++];
}

static void entry_drop(struct an_engine *en, uint32_t index)
{
	en->blk[index].next = en->free_blk;
	en->free_blk = (uint64_t)index + 1;
}

/* A side entry of elem bytes (a multiple of 8, its first 8 bytes the
 * free chain's link): 0, or -1 out of memory. */
static int side_new(struct an_side *s, size_t elem, uint32_t *index)
{
	if (s->free) {
		*index = (uint32_t)(s->free - 1);
		memcpy(&s->free, (char *)s->p + *index * elem, sizeof(s->free));
		return 0;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : POOL_FIRST;
		if (cap > UINT32_MAX)
			return -1;
		void *x = big_resize(s->p, s->cap * elem, cap * elem);
		if (!x)
			return -1;
		s->p = x;
		s->cap = cap;
	}
	*index = (uint32_t)s->n++;
	return 0;
}

static void side_drop(struct an_side *s, size_t elem, uint64_t index)
{
	memcpy((char *)s->p + index * elem, &s->free, sizeof(s->free));
	s->free = index + 1;
}

/* A live entry's side entries go: its block ended. */
static void live_drop_sides(struct an_engine *en, const struct an_live *b)
{
	if (b->extra)
		side_drop(&en->extra, sizeof(struct an_extra), b->size_lo);
	if (b->wide)
		side_drop(&en->wide, sizeof(union an_wide_entry), b->timed);
}

/* A freed entry's side entry goes: its address is taken again. */
static void gone_drop_sides(struct an_engine *en, const struct an_gone *g)
{
	if (g->wide)
		side_drop(&en->wide, sizeof(union an_wide_entry), g->size);
}

/* Pool entry bi becomes the freed block f (addr stays): 0, or -1 out of
 * memory. */
static int gone_set(struct an_engine *en, uint32_t bi, const struct load_freed *f)
{
	struct an_gone *g = &en->blk[bi].g;
	if (f->time >> GONE_TIME_BITS || f->size >> GONE_SIZE_BITS || f->thread >> GONE_THREAD_BITS) {
		uint32_t wi;
		if (side_new(&en->wide, sizeof(union an_wide_entry), &wi))
			return -1;
		wide_at(en, wi)->f = *f;
		*g = (struct an_gone){ .addr = g->addr, .wide = 1, .size = wi };
		return 0;
	}
	*g = (struct an_gone){ .addr = g->addr, .time = f->time, .size = f->size, .thread = f->thread,
			       .alloc_stack = f->alloc_stack, .stack = f->stack,
			       .alloc_family = f->alloc_family, .call = f->call };
	return 0;
}

/* ---- the map of blocks by address ---- */

/* Fibonacci hashing: the top bits mix every bit of the address. */
static uint32_t addr_tag(uint64_t a)
{
	return (uint32_t)((a * 0x9E3779B97F4A7C15ull) >> 32);
}

/* A tag's first slot: its place in [0, 2^32) scaled to the map's
 * capacity (at most 2^32, any number), so that the map grows by half
 * instead of doubling. */
static size_t tag_slot(uint32_t tag, size_t cap)
{
	return (size_t)(((uint64_t)tag * cap) >> 32);
}

static size_t slot_next(size_t k, size_t cap)
{
	return k + 1 == cap ? 0 : k + 1;
}

/* The slot holding addr, or (insert) the empty slot where it goes, or NULL. */
static inline struct an_slot *map_find(struct an_engine *en, uint64_t addr, int insert)
{
	uint32_t tag = addr_tag(addr);
	for (size_t k = tag_slot(tag, en->map_cap);; k = slot_next(k, en->map_cap)) {
		struct an_slot *s = &en->map[k];
		if (!s->ref)
			return insert ? s : NULL;
		if (s->tag == tag && en->blk[s->ref - 1].b.addr == addr)
			return s;
	}
}

/* The map is three quarters full: its slots move to one half as big
 * again, half full.  (Linear probing stays short at that load, and the
 * map is, after the pool, the biggest part of the engine's memory.) */
static int map_grow(struct an_engine *en)
{
	size_t cap = en->map_cap + en->map_cap / 2;
	if (cap > ((size_t)1 << 32))
		return -1;
	struct an_slot *old = en->map, *s = big_alloc(cap * sizeof(*s));
	if (!s)
		return -1;
	for (size_t k = 0; k < en->map_cap; k++) {
		if (!old[k].ref)
			continue;
		size_t j = tag_slot(old[k].tag, cap);
		while (s[j].ref)
			j = slot_next(j, cap);
		s[j] = old[k];
	}
	big_free(old, en->map_cap * sizeof(*old));
	en->map = s;
	en->map_cap = cap;
	return 0;
}

/* ---- the live heap: peak and timeline ---- */

/* The timeline's bucket of time t.  With the run's duration known, the
 * buckets split it evenly; else they start 1 ms wide and double, each
 * pair of buckets becoming one (its higher point), whenever a time falls
 * past the last. */
static size_t bucket_of(struct an_engine *en, uint64_t t)
{
	if (t >= en->bucket_lo && t < en->bucket_hi)
		return en->bucket;
	const uint64_t n = AN_TIMELINE_POINTS - 1;
	if (en->o.duration) {
		unsigned __int128 x = (unsigned __int128)t * n / en->o.duration;
		en->bucket = x >= n ? n : (size_t)x;
		/* times whose bucket is b: ceil(b*D/n) <= t < ceil((b+1)*D/n) */
		en->bucket_lo = (uint64_t)(((unsigned __int128)en->bucket * en->o.duration + n - 1) / n);
		en->bucket_hi = en->bucket >= n ? UINT64_MAX
			: (uint64_t)(((unsigned __int128)(en->bucket + 1) * en->o.duration + n - 1) / n);
		return en->bucket;
	}
	while (t / en->bucket_w >= AN_TIMELINE_POINTS) {
		size_t m = 0;
		for (size_t i = 0; i < en->n_timeline; i += 2) {
			struct an_point p = en->timeline[i];
			if (i + 1 < en->n_timeline && en->timeline[i + 1].bytes >= p.bytes)
				p = en->timeline[i + 1];
			if (i + 1 < en->n_timeline && en->timeline[i + 1].high > en->timeline[i].high)
				p.high = en->timeline[i + 1].high;
			else
				p.high = en->timeline[i].high;
			en->timeline[m++] = p;
		}
		en->n_timeline = m;
		en->bucket_w *= 2;
	}
	en->bucket = (size_t)(t / en->bucket_w);
	en->bucket_lo = en->bucket * en->bucket_w;
	en->bucket_hi = en->bucket_lo + en->bucket_w;
	return en->bucket;
}

/* The heap as it is after the event at order position seq, at time t. */
static void heap_point(struct an_engine *en, uint64_t t, uint64_t seq)
{
	size_t b = bucket_of(en, t);
	/* the level before this event carries over the buckets it skipped */
	struct an_point p = { t, seq, en->live, en->blocks, en->level };
	if (en->n_timeline <= b) { /* buckets are visited in order */
		while (en->n_timeline < b)
			en->timeline[en->n_timeline++] = p;
		p.high = en->live > en->level ? en->live : en->level;
		en->timeline[en->n_timeline++] = p;
	} else {
		uint64_t high = en->timeline[b].high > en->live ? en->timeline[b].high : en->live;
		if (en->live >= en->timeline[b].bytes)
			en->timeline[b] = p;
		en->timeline[b].high = high;
	}
	en->level = en->live;
}

/* Stack k is about to change: if it has not since the last peak, its
 * figures now are the ones it had then. */
static struct an_stack_total *stack_touch(struct an_engine *en, uint32_t k)
{
	struct an_stack_total *t = &en->totals[k];
	if (t->epoch != en->peak_epoch) {
		t->peak_blocks = t->live;
		t->peak_bytes = t->live_bytes;
		t->epoch = en->peak_epoch;
	}
	return t;
}

/* ---- pairing ---- */

/* Block index bi ends by event e (order position seq): a free on e's
 * thread, an exec, or an allocation over it. */
static int block_end(struct an_engine *en, uint32_t bi, const struct load_ev *e, unsigned how)
{
	const struct an_live *b = &en->blk[bi].b;
	uint64_t size = live_size(en, b);
	uint32_t thread = live_thread(en, b);
	struct an_end x = { .time = e->time, .seq = en->seq, .how = (uint8_t)how,
			    .thread = how == AN_END_EXEC ? thread : e->tid };
	/* its thread's latest allocation is b: so b is that thread's too */
	x.temporary = how != AN_END_EXEC && en->threads[e->tid].last_alloc == b->id;
	struct an_stack_total *t = stack_touch(en, b->stack);
	t->live--;
	t->live_bytes -= size;
	if (x.temporary) {
		t->temp++;
		t->temp_bytes += size;
	}
	en->live -= size;
	en->blocks--;
	en->threads[thread].live_bytes -= size;
	en->threads[thread].live_blocks--;
	int rc = 0;
	if (en->o.ended) {
		struct an_block ab = live_block(en, b);
		rc = en->o.ended(en->o.ctx, &ab, &x);
	}
	live_drop_sides(en, b);
	return rc;
}

/* A release by call (enum load_call) of a block made by family: the wrong
 * one?  realloc and free release the malloc family. */
#define AN_MISMATCH(family, call) \
	((call) == LOAD_CALL_REALLOC ? (family) != LOAD_FAM_C : (family) != (call))

/* Free event e matched no live block: s is the address's freed slot, or
 * NULL.  A second release is an error; a first of an address never seen
 * only when the recorder could not have missed its allocation. */
static __attribute__((noinline)) int unknown_free(struct an_engine *en, const struct load_ev *e,
						  const struct an_slot *s)
{
	unsigned call = e->realloc ? LOAD_CALL_REALLOC : LOAD_FREE_FAMILY(e->fn);
	struct load_error err = { .call = (uint8_t)call, .addr = e->addr, .time = e->time,
				  .tid = en->threads[e->tid].tid, .stack = e->stack };
	if (s) {
		struct load_freed f = gone_freed(en, &en->blk[s->ref - 1].g);
		err.kind = e->realloc ? LOAD_ERR_REALLOC_FREED : LOAD_ERR_DOUBLE_FREE;
		err.size = f.size;
		err.has_alloc = 1;
		err.alloc_family = f.alloc_family;
		err.alloc_stack = f.alloc_stack;
		err.has_free = 1;
		err.free_call = f.call;
		err.free_time = f.time;
		err.free_tid = en->threads[f.thread].tid;
		err.free_stack = f.stack;
	} else {
		if (!load_errors_unknown_is_error(&en->errs, en->pair_image, e->addr))
			return 0;
		err.kind = LOAD_ERR_INVALID_FREE;
	}
	return load_errors_add(&en->errs, &err);
}

static int pair_exec(struct an_engine *en, const struct load_ev *e)
{
	for (size_t k = 0; k < en->map_cap; k++) {
		struct an_slot *s = &en->map[k];
		if (s->ref) {
			int rc = 0;
			if (s->freed)
				gone_drop_sides(en, &en->blk[s->ref - 1].g);
			else
				rc = block_end(en, s->ref - 1, e, AN_END_EXEC);
			entry_drop(en, s->ref - 1);
			if (rc)
				return rc;
		}
		s->ref = 0;
	}
	en->map_used = 0;
	en->pair_image++;
	en->live = en->blocks = 0;
	heap_point(en, e->time, en->seq);
	return an_arenas_exec(&en->cz, e->time);
}

static int pair_free(struct an_engine *en, const struct load_ev *e)
{
	struct an_thread *t = &en->threads[e->tid];
	struct an_slot *s = map_find(en, e->addr, 0);
	if (e->addr) {
		t->frees++;
		en->frees_paired++;
	}
	if (e->realloc)
		t->realloc_from = s && !s->freed ? en->blk[s->ref - 1].b.id : 0;
	if (!s || s->freed) {
		en->unmatched++;
		return unknown_free(en, e, s);
	}
	uint32_t bi = s->ref - 1;
	const struct an_live *b = &en->blk[bi].b;
	unsigned call = e->realloc ? LOAD_CALL_REALLOC : LOAD_FREE_FAMILY(e->fn);
	unsigned family = load_fn_family(b->fn);
	if (AN_MISMATCH(family, call)) {
		struct load_error err = { .kind = LOAD_ERR_MISMATCH, .call = (uint8_t)call, .addr = e->addr,
					  .time = e->time, .size = live_size(en, b), .tid = t->tid, .stack = e->stack,
					  .has_alloc = 1, .alloc_family = (uint8_t)family,
					  .alloc_stack = b->stack, .alloc_fn = b->fn };
		if (load_errors_add(&en->errs, &err))
			return -1;
	}
	/* the address stays, freed, until it is allocated again: a second
	 * release then finds what the first one did */
	struct load_freed f = { .time = e->time, .size = live_size(en, b), .thread = e->tid,
				.alloc_stack = b->stack, .stack = e->stack,
				.alloc_family = (uint8_t)family, .call = (uint8_t)call };
	int rc = block_end(en, bi, e, AN_END_FREE);
	if (gone_set(en, bi, &f)) /* the entry now tells of the release */
		return -1;
	s->freed = 1;
	heap_point(en, e->time, en->seq);
	return rc;
}

static int pair_alloc(struct an_engine *en, const struct load_ev *e)
{
	struct an_thread *t = &en->threads[e->tid];
	uint64_t rf = e->realloc ? t->realloc_from : 0, id = en->allocs + 1;
	if ((id - 1) >> AN_GROUP_BITS >= en->n_bases) { /* a group's first */
		if (array_grow((void **)&en->bases, &en->cap_bases, en->n_bases, sizeof(*en->bases)))
			return -1;
		en->bases[en->n_bases++] = (struct an_base){ e->time, en->seq };
	}
	const struct an_base *g = &en->bases[(id - 1) >> AN_GROUP_BITS];
	uint64_t timed = e->time - g->time, seqd = en->seq - g->seq;
	int wide = e->time < g->time || timed >> 35 || seqd >> 23 || e->tid >> 19;
	int extra = rf || e->size >> LIVE_SIZE_BITS;
	uint32_t xi = 0, wi = 0;
	if (extra && side_new(&en->extra, sizeof(struct an_extra), &xi))
		return -1;
	if (wide && side_new(&en->wide, sizeof(union an_wide_entry), &wi))
		return -1;
	if ((en->map_used + 1) * 4 > en->map_cap * 3 && map_grow(en))
		return -1;
	struct an_slot *s = map_find(en, e->addr, 1);
	int rc = 0;
	uint32_t bi;
	if (s->ref) {
		/* a freed block's address is a block again; or a live one's
		 * free was lost: it ends here.  Its entry takes the new one. */
		if (!s->freed) {
			en->conflicts++;
			rc = block_end(en, s->ref - 1, e, AN_END_CONFLICT);
		} else {
			gone_drop_sides(en, &en->blk[s->ref - 1].g);
		}
		bi = s->ref - 1;
	} else {
		if (!entry_new(en, &bi))
			return -1;
		en->map_used++;
	}
	struct an_live *b = &en->blk[bi].b;
	*b = (struct an_live){ .addr = e->addr, .timed = timed, .seqd = seqd, .id = ++en->allocs,
			       .stack = e->stack, .thread = e->tid, .fn = e->fn,
			       .size_hi = (uint32_t)(e->size >> 32), .size_lo = (uint32_t)e->size };
	if (extra) {
		*extra_at(en, xi) = (struct an_extra){ .size = e->size, .realloc_from = rf };
		b->extra = 1;
		b->size_lo = xi;
	}
	if (wide) {
		wide_at(en, wi)->w = (struct an_wide){ .time = e->time, .seq = en->seq, .thread = e->tid };
		b->wide = 1;
		b->timed = wi;
		b->seqd = 0;
		b->thread = 0;
	}
	s->tag = addr_tag(e->addr);
	s->ref = bi + 1;
	s->freed = 0;
	t->realloc_from = 0;
	t->last_alloc = b->id;
	t->allocs++;
	t->bytes += e->size;
	t->live_bytes += e->size;
	t->live_blocks++;
	struct an_stack_total *st = stack_touch(en, e->stack);
	st->allocs++;
	st->bytes += e->size;
	st->live++;
	st->live_bytes += e->size;
	en->fn_calls[e->fn & 31]++;
	en->fn_bytes[e->fn & 31] += e->size;
	en->hist[e->size ? 64 - (unsigned)__builtin_clzll(e->size) : 0]++;
	en->total_bytes += e->size;
	en->live += e->size;
	en->blocks++;
	if (en->live > en->peak_bytes) {
		en->peak_bytes = en->live;
		en->peak_blocks = en->blocks;
		en->peak_time = e->time;
		en->peak_seq = en->seq;
		en->peak_epoch++; /* every stack's figures now are its peak ones */
	}
	heap_point(en, e->time, en->seq);
	return rc;
}

/* Pairs one event, handed out by the merge in the global order. */
static int pair(struct an_engine *en, const struct load_ev *e)
{
	int rc;
	if (e->kind == EV_CZ) /* not a heap event: no order position */
		return an_arenas_apply(&en->cz, (uint32_t)e->addr, e->time);
	if (e->kind == EV_EXEC) {
		rc = pair_exec(en, e);
	} else {
		rc = e->kind == EV_FREE ? pair_free(en, e) : pair_alloc(en, e);
		struct an_thread *t = &en->threads[e->tid];
		if (e->time > t->end)
			t->end = e->time;
	}
	en->seq++;
	return rc;
}

/* Pairs the batch the merge handed out. */
static int pair_batch(struct an_engine *en)
{
	const struct load_ev *b = en->batch;
	size_t n = en->n_batch;
	en->n_batch = 0;
	/* a small map and pool stay in the cache: fetching ahead would
	 * only cost */
	size_t ahead = en->map_cap >= PREFETCH_SLOTS ? n : 0;
	for (size_t i = 0; i < n; i++) {
		if (i + PREFETCH_AHEAD < ahead)
			__builtin_prefetch(&en->map[tag_slot(addr_tag(b[i + PREFETCH_AHEAD].addr), en->map_cap)]);
		if (i + PREFETCH_AHEAD / 2 < ahead && b[i + PREFETCH_AHEAD / 2].kind != EV_EXEC) {
			/* its slot was fetched by now: start on the entry it
			 * names, the block a free ends or the freed one an
			 * allocation takes the place of (written here, not in a
			 * function of its own: gcc takes a function that only
			 * prefetches for one without effect, and drops the call) */
			uint32_t tag = addr_tag(b[i + PREFETCH_AHEAD / 2].addr);
			size_t k = tag_slot(tag, en->map_cap);
			for (int j = 0; j < 4 && en->map[k].ref; j++, k = slot_next(k, en->map_cap))
				if (en->map[k].tag == tag) {
					/* 32 bytes from an mmap'd pool: within one line */
					__builtin_prefetch(&en->blk[en->map[k].ref - 1]);
					break;
				}
		}
		int rc = pair(en, &b[i]);
		if (rc)
			return rc;
	}
	if (n && b[n - 1].time > en->now)
		en->now = b[n - 1].time; /* the batch is in order */
	return 0;
}

int an_engine_pair_now(struct an_engine *en, const struct load_ev *e)
{
	/* the batch is empty between hand-outs */
	en->batch[en->n_batch++] = *e;
	return pair_batch(en);
}

/* The merge's sink: events wait in a batch, paired once it is full. */
static int to_batch(void *ctx, const struct load_ev *e, size_t n)
{
	struct an_engine *en = ctx;
	while (n) {
		size_t k = BATCH - en->n_batch < n ? BATCH - en->n_batch : n;
		memcpy(en->batch + en->n_batch, e, k * sizeof(*e));
		en->n_batch += k;
		e += k;
		n -= k;
		if (en->n_batch == BATCH) {
			int rc = pair_batch(en);
			if (rc)
				return rc;
		}
	}
	return 0;
}

/* Hands out what the merge may (below; all), and pairs it. */
static int hand_out(struct an_engine *en, uint64_t below, int all)
{
	int rc = 0;
	/* the kept chunks due, one at a time, earliest first, each followed
	 * by what no chunk still kept can precede: read at once, a jump of
	 * below (a quiet thread's event came) would make the events of the
	 * whole jump at once */
	uint64_t rest = an_kept_first(en);
	while (!rc && rest != UINT64_MAX && (all || rest < below)) {
		/* (an earlier limit than the merge's hands out nothing) */
		if (!(rc = an_kept_read_earliest(en, &rest)))
			rc = merge_out(&en->merge, all || rest < below ? rest : below, 0, to_batch, en);
		if (!rc)
			rc = pair_batch(en);
	}
	if (!rc)
		rc = merge_out(&en->merge, below, all, to_batch, en);
	return rc ? rc : pair_batch(en);
}

void an_engine_chunk(struct an_engine *en)
{
	en->chunks++;
}

uint64_t an_engine_lag(const struct an_engine *en)
{
	uint64_t lag = en->lag;
	if (lag != AN_LAG_ALL && lag < 2 * en->merge.latest)
		lag = 2 * en->merge.latest;
	return lag;
}

/* The least latest time of the threads.  Each thread's only grows, so
 * the least is looked for again only when the thread that had it moved
 * on; threads that came since are compared with it.  A program that
 * starts a thread per task leaves thousands, most of them ended, and
 * one of those keeps the least for good. */
static uint64_t least_latest(struct an_engine *en)
{
	if (!en->least_n || en->threads[en->least_at].latest != en->least) {
		en->least = UINT64_MAX;
		en->least_n = 0;
	}
	for (; en->least_n < en->n_threads; en->least_n++)
		if (en->threads[en->least_n].latest < en->least) {
			en->least = en->threads[en->least_n].latest;
			en->least_at = en->least_n;
		}
	return en->least;
}

int an_engine_chunk_end(struct an_engine *en)
{
	uint64_t newest = en->merge.newest, lag = an_engine_lag(en);
	if (lag == AN_LAG_ALL)
		return 0;
	uint64_t below = newest > lag ? newest - lag : 0;
	if (en->o.threads_seen && en->n_threads) {
		/* no thread seen can precede its latest event or, before its
		 * first, its start record (AN_START_GUARD_NS) */
		uint64_t least = least_latest(en);
		if (least != UINT64_MAX && least > AN_START_GUARD_NS && least - AN_START_GUARD_NS > below)
			below = least - AN_START_GUARD_NS;
	}
	if (en->hold != UINT64_MAX && below > en->hold + 1)
		below = en->hold + 1;
	return below ? hand_out(en, below, 0) : 0;
}

int an_engine_settle(struct an_engine *en, uint64_t time)
{
	if (en->hold < time)
		time = en->hold;
	if (time == UINT64_MAX)
		return an_engine_flush(en);
	int rc = hand_out(en, time + 1, 0);
	if (rc || time <= en->now)
		return rc;
	/* a quiet stretch: the heap stayed as it was up to time */
	en->now = time;
	heap_point(en, time, en->seq);
	return 0;
}

int an_engine_flush(struct an_engine *en)
{
	return hand_out(en, 0, 1);
}

void an_engine_hold(struct an_engine *en, uint64_t time)
{
	en->hold = time;
}

int an_engine_finish(struct an_engine *en)
{
	if (en->finished)
		return 0;
	int rc = hand_out(en, 0, 1);
	if (rc)
		return rc;
	en->finished = 1;
	/* a stack untouched since the last peak: its figures now are its
	 * peak ones; what is live now leaked */
	for (size_t k = 0; k < en->n_stacks; k++) {
		struct an_stack_total *t = stack_touch(en, (uint32_t)k);
		en->leaked_bytes += t->live_bytes;
		en->leaked_blocks += t->live;
	}
	return 0;
}

static int by_id(const void *a, const void *b)
{
	const struct an_live *x = *(const struct an_live *const *)a, *y = *(const struct an_live *const *)b;
	return x->id < y->id ? -1 : x->id > y->id;
}

int an_engine_live(const struct an_engine *en, int (*fn)(void *ctx, const struct an_block *b), void *ctx)
{
	const struct an_live **v = malloc((en->blocks ? en->blocks : 1) * sizeof(*v));
	if (!v)
		return -1;
	size_t n = 0;
	for (size_t k = 0; k < en->map_cap && n < en->blocks; k++)
		if (en->map[k].ref && !en->map[k].freed)
			v[n++] = &en->blk[en->map[k].ref - 1].b;
	qsort(v, n, sizeof(*v), by_id);
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		struct an_block b = live_block(en, v[i]);
		rc = fn(ctx, &b);
	}
	free(v);
	return rc;
}

int an_engine_init(struct an_engine *en, const struct an_options *o)
{
	memset(en, 0, sizeof(*en));
	en->o = *o;
	en->lag = o->merge_lag;
	en->cz.ended = o->cz_ended;
	en->cz.destroyed = o->cz_destroyed;
	en->cz.ctx = o->ctx;
	en->map_cap = 1 << 12;
	en->map = big_alloc(en->map_cap * sizeof(*en->map));
	en->timeline = calloc(AN_TIMELINE_POINTS, sizeof(*en->timeline));
	en->batch = malloc(BATCH * sizeof(*en->batch));
	en->bucket_w = 1000000; /* 1 ms */
	en->hold = UINT64_MAX;
	/* index 0 is the empty stack: stack_index gives it to id 0 */
	if (!en->map || !en->timeline || !en->batch ||
	    array_grow((void **)&en->stacks, &en->cap_stacks, 0, sizeof(*en->stacks)) ||
	    !(en->totals = calloc(en->cap_stacks, sizeof(*en->totals)))) {
		an_engine_release(en);
		return -1;
	}
	en->stacks[0] = 0;
	en->n_stacks = 1;
	return 0;
}

void an_engine_release(struct an_engine *en)
{
	an_kept_release(en);
	free(en->threads);
	free(en->stacks);
	free(en->totals);
	free(en->timeline);
	big_free(en->map, en->map_cap * sizeof(*en->map));
	big_free(en->blk, en->cap_blk * sizeof(*en->blk));
	big_free(en->extra.p, en->extra.cap * sizeof(struct an_extra));
	big_free(en->wide.p, en->wide.cap * sizeof(union an_wide_entry));
	free(en->bases);
	free(en->batch);
	idmap_clear(&en->thread_ids);
	idmap_clear(&en->stack_ids);
	merge_free(&en->merge);
	load_errors_release(&en->errs);
	an_arenas_release(&en->cz);
	memset(en, 0, sizeof(*en));
}
