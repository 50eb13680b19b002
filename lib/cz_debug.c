/*
 * cz_debug.c - the development allocator: wraps a parent and remembers
 * every live block with the stack that allocated it.  It reports leaks at
 * deinit, double frees (with the allocation, first free and second free
 * stacks), frees and resizes of blocks it never handed out, and frees with
 * the wrong length; it poisons freed memory and can cap the bytes live at
 * once.
 *
 * Stacks start at the caller's frame: the return address every allocator
 * call carries marks where the program's frames begin, so the library's
 * own frames (helpers, arenas in between) are never shown first.
 *
 * Its bookkeeping comes from mmap, never from the program's heap, so a
 * profile of a program using it shows only the program's blocks.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "lib/cz_internal.h"

#define DEFAULT_DEPTH 16
#define MAX_DEPTH 64
#define SLACK 8         /* frames of the library above the caller, at most */
#define FREED_RING 1024 /* recent frees kept, to name a double free's first free */
#define POISON 0xDD

struct rec { /* one live block, or one recent free */
	uintptr_t addr;
	size_t len, align;
	int n_alloc, n_free;
	void **stacks; /* n_alloc allocation frames, then n_free free frames */
};

struct cz_debug_state {
	struct cz_debug_options o;
	pthread_mutex_t lock;
	/* live blocks: open addressing on addr, backward-shift deletion */
	struct rec *live;
	size_t cap, used, bytes;
	void **frames; /* 2 * depth slots per live record */
	struct rec ring[FREED_RING];
	void **ring_frames; /* 2 * depth slots per ring entry */
	size_t ring_next;
	size_t problems, refusals;
};

/* ---- memory for the bookkeeping ---- */

static void *map(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static size_t hash(uintptr_t a, size_t cap)
{
	return (size_t)(((a >> 4) * 0x9E3779B97F4A7C15ull) >> 20) & (cap - 1);
}

static size_t stack_slots(const struct cz_debug_state *s)
{
	return 2 * (size_t)s->o.stack_depth;
}

static int grow(struct cz_debug_state *s)
{
	size_t cap = s->cap ? s->cap * 2 : 1024, slots = stack_slots(s);
	struct rec *live = map(cap * sizeof(*live));
	void **frames = map(cap * slots * sizeof(void *));
	if (!live || !frames) {
		if (live)
			munmap(live, cap * sizeof(*live));
		if (frames)
			munmap(frames, cap * slots * sizeof(void *));
		return -1;
	}
	for (size_t i = 0; i < cap; i++)
		live[i].stacks = frames + i * slots;
	for (size_t i = 0; i < s->cap; i++) {
		if (!s->live[i].addr)
			continue;
		size_t k = hash(s->live[i].addr, cap);
		while (live[k].addr)
			k = (k + 1) & (cap - 1);
		void **keep = live[k].stacks;
		live[k] = s->live[i];
		live[k].stacks = keep;
		memcpy(keep, s->live[i].stacks, (size_t)s->live[i].n_alloc * sizeof(void *));
	}
	if (s->live) {
		munmap(s->live, s->cap * sizeof(*s->live));
		munmap(s->frames, s->cap * slots * sizeof(void *));
	}
	s->live = live;
	s->frames = frames;
	s->cap = cap;
	return 0;
}

static struct rec *debug_find(struct cz_debug_state *s, uintptr_t addr)
{
	if (!s->cap)
		return NULL;
	for (size_t k = hash(addr, s->cap);; k = (k + 1) & (s->cap - 1)) {
		if (s->live[k].addr == addr)
			return &s->live[k];
		if (!s->live[k].addr)
			return NULL;
	}
}

/* Removes r, shifting back the records that probed past it. */
static void forget(struct cz_debug_state *s, struct rec *r)
{
	size_t mask = s->cap - 1, i = (size_t)(r - s->live);
	for (size_t j = (i + 1) & mask; s->live[j].addr; j = (j + 1) & mask) {
		size_t home = hash(s->live[j].addr, s->cap);
		if (((j - home) & mask) >= ((j - i) & mask)) {
			void **keep = s->live[i].stacks;
			s->live[i] = s->live[j];
			s->live[i].stacks = keep;
			memcpy(keep, s->live[j].stacks, (size_t)s->live[j].n_alloc * sizeof(void *));
			i = j;
		}
	}
	s->live[i].addr = 0;
	s->used--;
}

/* The most recent free of addr still in the ring, or NULL. */
static const struct rec *freed_before(const struct cz_debug_state *s, uintptr_t addr)
{
	for (size_t i = 0; i < FREED_RING; i++) {
		const struct rec *r = &s->ring[(s->ring_next + FREED_RING - 1 - i) % FREED_RING];
		if (r->addr == addr)
			return r;
	}
	return NULL;
}

/* ---- stacks ---- */

/* Up to depth frames of the current stack, starting at the frame that ret
 * returns into (the program's call of the allocator); when ret is not on
 * the stack, after the allocator's own two frames. */
static int capture(void **out, int depth, uintptr_t ret)
{
	void *buf[MAX_DEPTH + SLACK];
	int n = unw_backtrace(buf, depth + SLACK), from = n < 2 ? n : 2;
	for (int i = 0; i < n && i < SLACK; i++)
		if ((uintptr_t)buf[i] == ret) {
			from = i;
			break;
		}
	n -= from;
	if (n > depth)
		n = depth;
	memcpy(out, buf + from, (size_t)n * sizeof(void *));
	return n;
}

static void print_stack(FILE *f, void *const *ips, int n)
{
	for (int i = 0; i < n; i++) {
		Dl_info info;
		uintptr_t ip = (uintptr_t)ips[i];
		/* ip - 1: inside the call instruction, not after it */
		if (dladdr((void *)(ip - 1), &info) && info.dli_fname) {
			const char *mod = strrchr(info.dli_fname, '/');
			mod = mod ? mod + 1 : info.dli_fname;
			if (info.dli_sname)
				fprintf(f, "    #%-2d 0x%lx %s+0x%lx (%s)\n", i, (unsigned long)ip, info.dli_sname,
					(unsigned long)(ip - (uintptr_t)info.dli_saddr), mod);
			else
				fprintf(f, "    #%-2d 0x%lx (%s+0x%lx)\n", i, (unsigned long)ip, mod,
					(unsigned long)(ip - (uintptr_t)info.dli_fbase));
		} else {
			fprintf(f, "    #%-2d 0x%lx\n", i, (unsigned long)ip);
		}
	}
}

static FILE *out(const struct cz_debug_state *s)
{
	return s->o.report ? s->o.report : stderr;
}

/* ---- the allocator ---- */

static void lock(struct cz_debug_state *s)
{
	if (s->o.thread_safe)
		pthread_mutex_lock(&s->lock);
}

static void unlock(struct cz_debug_state *s)
{
	if (s->o.thread_safe)
		pthread_mutex_unlock(&s->lock);
}

/* Would len more bytes live go past the limit?  Then report it. */
static int over_limit(struct cz_debug_state *s, size_t more, uintptr_t ret)
{
	size_t limit = s->o.memory_limit;
	if (!limit || (more <= limit && s->bytes <= limit - more))
		return 0;
	void *now[MAX_DEPTH];
	int n = capture(now, s->o.stack_depth, ret);
	s->refusals++;
	fprintf(out(s), "czalloc: memory limit: %zu more bytes with %zu of %zu live, refused at:\n", more,
		s->bytes, limit);
	print_stack(out(s), now, n);
	fflush(out(s));
	return 1;
}

static void *debug_alloc(void *ctx, size_t len, size_t align, uintptr_t ret)
{
	struct cz_debug *d = ctx;
	struct cz_debug_state *s = d->s;
	lock(s);
	void *p = NULL;
	if (over_limit(s, len, ret)) /* out of memory, as a real allocator would be */
		goto out;
	if ((s->used + 1) * 2 > s->cap && grow(s))
		goto out;
	p = d->parent.vt->alloc(d->parent.ctx, len, align, ret);
	if (!p)
		goto out;
	size_t k = hash((uintptr_t)p, s->cap);
	while (s->live[k].addr)
		k = (k + 1) & (s->cap - 1);
	struct rec *r = &s->live[k];
	r->addr = (uintptr_t)p;
	r->len = len;
	r->align = align;
	r->n_alloc = capture(r->stacks, s->o.stack_depth, ret);
	r->n_free = 0;
	s->used++;
	s->bytes += len;
	cz__on_alloc(d->id, p, len);
out:
	unlock(s);
	return p;
}

/* mem is not a live block of this allocator: a double free (or resize
 * after free) when the ring remembers freeing it, else an invalid one. */
static void report_unknown(struct cz_debug_state *s, const char *op, void *mem, size_t len, uintptr_t ret)
{
	FILE *f = out(s);
	void *now[MAX_DEPTH];
	int n = capture(now, s->o.stack_depth, ret);
	const struct rec *old = freed_before(s, (uintptr_t)mem);
	s->problems++;
	if (old) {
		fprintf(f, "czalloc: %s of %zu bytes at %p\n  allocated at:\n",
			!strcmp(op, "free") ? "double free" : "resize after free", old->len, mem);
		print_stack(f, old->stacks, old->n_alloc);
		fprintf(f, "  first freed at:\n");
		print_stack(f, old->stacks + old->n_alloc, old->n_free);
		fprintf(f, "  %s at:\n", !strcmp(op, "free") ? "freed again" : "resized");
	} else {
		fprintf(f, "czalloc: invalid %s of %zu bytes at %p, which this allocator did not hand out, at:\n",
			op, len, mem);
	}
	print_stack(f, now, n);
	fflush(f);
}

static void debug_free(void *ctx, void *mem, size_t len, size_t align, uintptr_t ret)
{
	struct cz_debug *d = ctx;
	struct cz_debug_state *s = d->s;
	lock(s);
	struct rec *r = debug_find(s, (uintptr_t)mem);
	if (!r) {
		report_unknown(s, "free", mem, len, ret);
		unlock(s);
		return; /* not passed on: the parent would corrupt itself */
	}
	if (r->len != len || r->align != align) {
		FILE *f = out(s);
		fprintf(f, "czalloc: block at %p of %zu bytes (align %zu) freed as %zu bytes (align %zu); allocated at:\n",
			mem, r->len, r->align, len, align);
		print_stack(f, r->stacks, r->n_alloc);
		fflush(f);
		s->problems++;
		len = r->len; /* give the parent what it handed out */
		align = r->align;
	}
	/* keep its stacks in the ring for a later double free */
	struct rec *g = &s->ring[s->ring_next++ % FREED_RING];
	g->addr = r->addr;
	g->len = r->len;
	g->n_alloc = r->n_alloc;
	g->n_free = 0;
	if (g->stacks) {
		memcpy(g->stacks, r->stacks, (size_t)r->n_alloc * sizeof(void *));
		g->n_free = capture(g->stacks + g->n_alloc, s->o.stack_depth, ret);
	} else {
		g->n_alloc = 0;
	}
	s->bytes -= r->len;
	forget(s, r);
	if (!s->o.no_poison)
		memset(mem, POISON, len);
	cz__on_free(d->id, mem);
	d->parent.vt->free(d->parent.ctx, mem, len, align, ret);
	unlock(s);
}

static int debug_resize(void *ctx, void *mem, size_t len, size_t align, size_t new_len, uintptr_t ret)
{
	struct cz_debug *d = ctx;
	struct cz_debug_state *s = d->s;
	lock(s);
	struct rec *r = debug_find(s, (uintptr_t)mem);
	int ok = 0;
	if (!r)
		report_unknown(s, "resize", mem, len, ret);
	else if (new_len > r->len && s->o.memory_limit &&
		 (new_len - r->len > s->o.memory_limit || s->bytes > s->o.memory_limit - (new_len - r->len)))
		ok = 0; /* refused quietly: the move cz_realloc tries next needs more and reports */
	else if ((ok = d->parent.vt->resize(d->parent.ctx, mem, r->len, align, new_len, ret))) {
		if (new_len < r->len && !s->o.no_poison)
			memset((char *)mem + new_len, POISON, r->len - new_len);
		s->bytes = s->bytes - r->len + new_len;
		r->len = new_len;
		cz__on_resize(d->id, mem, mem, new_len);
	}
	unlock(s);
	return ok;
}

static void *debug_remap(void *ctx, void *mem, size_t len, size_t align, size_t new_len, uintptr_t ret)
{
	(void)ctx;
	(void)mem;
	(void)len;
	(void)align;
	(void)new_len;
	(void)ret;
	return NULL; /* moves go through alloc + free, so both are checked */
}

const struct cz_allocator_vtable cz__debug_vt = { debug_alloc, debug_resize, debug_remap, debug_free };

int cz_debug_init(struct cz_debug *d, struct cz_allocator parent, const struct cz_debug_options *opts)
{
	return cz__debug_init(d, parent, opts, CZPROF_KIND_DEBUG);
}

int cz__debug_init(struct cz_debug *d, struct cz_allocator parent, const struct cz_debug_options *opts,
		   unsigned kind)
{
	memset(d, 0, sizeof(*d));
	struct cz_debug_state *s = map(sizeof(*s));
	if (!s)
		return -1;
	if (opts)
		s->o = *opts;
	if (s->o.stack_depth <= 0)
		s->o.stack_depth = DEFAULT_DEPTH;
	if (s->o.stack_depth > MAX_DEPTH)
		s->o.stack_depth = MAX_DEPTH;
	/* the ring's frames: one mapping, touched only as frees fill it */
	s->ring_frames = map(FREED_RING * stack_slots(s) * sizeof(void *));
	if (!s->ring_frames) {
		munmap(s, sizeof(*s));
		return -1;
	}
	for (size_t i = 0; i < FREED_RING; i++)
		s->ring[i].stacks = s->ring_frames + i * stack_slots(s);
	pthread_mutex_init(&s->lock, NULL);
	d->parent = parent;
	d->s = s;
	d->id = cz__announce(kind, parent, s->o.name ? s->o.name : "debug");
	return 0;
}

struct cz_allocator cz_debug_allocator(struct cz_debug *d)
{
	return (struct cz_allocator){ d, &cz__debug_vt };
}

size_t cz_debug_live_blocks(const struct cz_debug *d)
{
	return d->s ? d->s->used : 0;
}

size_t cz_debug_live_bytes(const struct cz_debug *d)
{
	return d->s ? d->s->bytes : 0;
}

size_t cz_debug_problems(const struct cz_debug *d)
{
	return d->s ? d->s->problems : 0;
}

size_t cz_debug_refusals(const struct cz_debug *d)
{
	return d->s ? d->s->refusals : 0;
}

size_t cz_debug_deinit(struct cz_debug *d)
{
	struct cz_debug_state *s = d->s;
	if (!s)
		return 0;
	FILE *f = out(s);
	size_t leaks = s->used, bytes = s->bytes;
	for (size_t i = 0; i < s->cap; i++) {
		struct rec *r = &s->live[i];
		if (!r->addr)
			continue;
		fprintf(f, "czalloc: leak: %zu bytes at %p allocated at:\n", r->len, (void *)r->addr);
		print_stack(f, r->stacks, r->n_alloc);
		d->parent.vt->free(d->parent.ctx, (void *)r->addr, r->len, r->align, CZ_RET_ADDR);
	}
	if (leaks)
		fprintf(f, "czalloc: %zu block%s (%zu bytes) leaked\n", leaks, leaks == 1 ? "" : "s", bytes);
	fflush(f);
	munmap(s->ring_frames, FREED_RING * stack_slots(s) * sizeof(void *));
	if (s->live) {
		munmap(s->live, s->cap * sizeof(*s->live));
		munmap(s->frames, s->cap * stack_slots(s) * sizeof(void *));
	}
	pthread_mutex_destroy(&s->lock);
	munmap(s, sizeof(*s));
	d->s = NULL;
	cz__on_destroy(d->id);
	return leaks;
}
