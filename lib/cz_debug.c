/*
 * cz_debug.c - the development allocator: wraps a parent and remembers
 * every live block with the stack that allocated it.  It reports leaks at
 * deinit, double frees (with the allocation, first free and second free
 * stacks), frees of blocks it never handed out, and frees with the wrong
 * length; it poisons freed memory and can cap the bytes live at once.
 * Also the testing allocator and the every-allocation-fails checker.
 *
 * Its own bookkeeping comes from mmap, never from the program's heap, so a
 * profile of a program using it shows only the program's blocks.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "lib/cz_internal.h"

#define MAX_DEPTH 64
#define FREED_RING 1024 /* recent frees kept, to name a double free's first free */

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
	struct rec ring[FREED_RING];
	size_t ring_next;
	size_t problems;
	void **frames; /* 2 * depth slots per live record and per ring entry */
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

static int grow(struct cz_debug_state *s)
{
	size_t cap = s->cap ? s->cap * 2 : 1024, depth = (size_t)s->o.stack_depth;
	struct rec *live = map(cap * sizeof(*live));
	void **frames = map(cap * 2 * depth * sizeof(void *));
	if (!live || !frames) {
		if (live)
			munmap(live, cap * sizeof(*live));
		if (frames)
			munmap(frames, cap * 2 * depth * sizeof(void *));
		return -1;
	}
	for (size_t i = 0; i < cap; i++)
		live[i].stacks = frames + i * 2 * depth;
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
		munmap(s->frames, s->cap * 2 * depth * sizeof(void *));
	}
	s->live = live;
	s->frames = frames;
	s->cap = cap;
	return 0;
}

static struct rec *find(struct cz_debug_state *s, uintptr_t addr)
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

static void forget(struct cz_debug_state *s, struct rec *r)
{
	size_t mask = s->cap - 1, i = (size_t)(r - s->live), depth = (size_t)s->o.stack_depth;
	for (size_t j = (i + 1) & mask; s->live[j].addr; j = (j + 1) & mask) {
		size_t home = hash(s->live[j].addr, s->cap);
		if (((j - home) & mask) >= ((j - i) & mask)) {
			void **keep = s->live[i].stacks;
			s->live[i] = s->live[j];
			s->live[i].stacks = keep;
			memcpy(keep, s->live[j].stacks, 2 * depth * sizeof(void *));
			i = j;
		}
	}
	s->live[i].addr = 0;
	s->used--;
}

/* ---- stacks ---- */

static int capture(void **out, int depth)
{
	void *buf[MAX_DEPTH + 2];
	int n = unw_backtrace(buf, depth + 2);
	n = n < 2 ? 0 : n - 2; /* not this function and its caller inside the allocator */
	memcpy(out, buf + 2, (size_t)n * sizeof(void *));
	return n;
}

static void print_stack(FILE *f, void *const *ips, int n)
{
	for (int i = 0; i < n; i++) {
		Dl_info info;
		uintptr_t ip = (uintptr_t)ips[i];
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

static void *debug_alloc(void *ctx, size_t len, size_t align, uintptr_t ret)
{
	struct cz_debug *d = ctx;
	struct cz_debug_state *s = d->s;
	lock(s);
	void *p = NULL;
	if (s->o.memory_limit && (len > s->o.memory_limit || s->bytes > s->o.memory_limit - len))
		goto out; /* over the limit: out of memory, as a real allocator would be */
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
	r->n_alloc = capture(r->stacks, s->o.stack_depth);
	r->n_free = 0;
	s->used++;
	s->bytes += len;
	cz__on_alloc(d->id, p, len);
out:
	unlock(s);
	return p;
}

static void report_problem(struct cz_debug_state *s, const char *what, void *mem, size_t len)
{
	FILE *f = s->o.report ? s->o.report : stderr;
	void *now[MAX_DEPTH];
	int n = capture(now, s->o.stack_depth);
	s->problems++;
	/* the block may have been handed out and freed before: say where */
	const struct rec *old = NULL;
	for (size_t i = 0; i < FREED_RING && !old; i++) {
		const struct rec *r = &s->ring[(s->ring_next + FREED_RING - 1 - i) % FREED_RING];
		if (r->addr == (uintptr_t)mem && r->stacks)
			old = r;
	}
	if (old) {
		fprintf(f, "czalloc: double free of %zu bytes at %p\n  allocated at:\n", old->len, mem);
		print_stack(f, old->stacks, old->n_alloc);
		fprintf(f, "  first freed at:\n");
		print_stack(f, old->stacks + old->n_alloc, old->n_free);
		fprintf(f, "  freed again at:\n");
	} else {
		fprintf(f, "czalloc: %s of %zu bytes at %p, which this allocator did not hand out, at:\n", what,
			len, mem);
	}
	print_stack(f, now, n);
	fflush(f);
}

static void debug_free(void *ctx, void *mem, size_t len, size_t align, uintptr_t ret)
{
	struct cz_debug *d = ctx;
	struct cz_debug_state *s = d->s;
	lock(s);
	struct rec *r = find(s, (uintptr_t)mem);
	if (!r) {
		report_problem(s, "invalid free", mem, len);
		unlock(s);
		return;
	}
	if (r->len != len || r->align != align) {
		FILE *f = s->o.report ? s->o.report : stderr;
		fprintf(f, "czalloc: block at %p of %zu bytes (align %zu) freed as %zu bytes (align %zu); allocated at:\n",
			mem, r->len, r->align, len, align);
		print_stack(f, r->stacks, r->n_alloc);
		s->problems++;
		len = r->len; /* give the parent what it handed out */
		align = r->align;
	}
	/* keep its stacks in the ring for a later double free */
	struct rec *g = &s->ring[s->ring_next++ % FREED_RING];
	if (!g->stacks)
		g->stacks = map(2 * MAX_DEPTH * sizeof(void *));
	if (g->stacks) {
		g->addr = r->addr;
		g->len = r->len;
		g->n_alloc = r->n_alloc;
		memcpy(g->stacks, r->stacks, (size_t)r->n_alloc * sizeof(void *));
		g->n_free = capture(g->stacks + g->n_alloc, s->o.stack_depth);
	}
	s->bytes -= r->len;
	forget(s, r);
	if (!s->o.no_poison)
		memset(mem, 0xDD, len);
	cz__on_free(d->id, mem);
	d->parent.vt->free(d->parent.ctx, mem, len, align, ret);
	unlock(s);
}

static int debug_resize(void *ctx, void *mem, size_t len, size_t align, size_t new_len, uintptr_t ret)
{
	struct cz_debug *d = ctx;
	struct cz_debug_state *s = d->s;
	lock(s);
	struct rec *r = find(s, (uintptr_t)mem);
	int ok = 0;
	if (!r)
		report_problem(s, "invalid resize", mem, len);
	else if (new_len > len && s->o.memory_limit && s->bytes + (new_len - len) > s->o.memory_limit)
		ok = 0;
	else if ((ok = d->parent.vt->resize(d->parent.ctx, mem, len, align, new_len, ret))) {
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
	memset(d, 0, sizeof(*d));
	struct cz_debug_state *s = map(sizeof(*s));
	if (!s)
		return -1;
	if (opts)
		s->o = *opts;
	if (s->o.stack_depth <= 0)
		s->o.stack_depth = 16;
	if (s->o.stack_depth > MAX_DEPTH)
		s->o.stack_depth = MAX_DEPTH;
	pthread_mutex_init(&s->lock, NULL);
	d->parent = parent;
	d->s = s;
	d->id = cz__announce(CZPROF_KIND_DEBUG, parent, "debug");
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

size_t cz_debug_deinit(struct cz_debug *d)
{
	struct cz_debug_state *s = d->s;
	if (!s)
		return 0;
	FILE *f = s->o.report ? s->o.report : stderr;
	size_t leaks = s->used, bytes = s->bytes;
	for (size_t i = 0; i < s->cap; i++) {
		struct rec *r = &s->live[i];
		if (!r->addr)
			continue;
		fprintf(f, "czalloc: leak: %zu bytes at %p allocated at:\n", r->len, (void *)r->addr);
		print_stack(f, r->stacks, r->n_alloc);
		d->parent.vt->free(d->parent.ctx, (void *)r->addr, r->len, r->align, CZ_RET_ADDR);
	}
	if (leaks) {
		fprintf(f, "czalloc: %zu block%s (%zu bytes) leaked\n", leaks, leaks == 1 ? "" : "s", bytes);
		fflush(f);
	}
	for (size_t i = 0; i < FREED_RING; i++)
		if (s->ring[i].stacks)
			munmap(s->ring[i].stacks, 2 * MAX_DEPTH * sizeof(void *));
	if (s->live) {
		munmap(s->live, s->cap * sizeof(*s->live));
		munmap(s->frames, s->cap * 2 * (size_t)s->o.stack_depth * sizeof(void *));
	}
	pthread_mutex_destroy(&s->lock);
	munmap(s, sizeof(*s));
	d->s = NULL;
	cz__on_destroy(d->id);
	return leaks;
}

/* ---- testing ---- */

static struct cz_debug testing;
static pthread_mutex_t testing_lock = PTHREAD_MUTEX_INITIALIZER;

static void testing_start(void)
{
	struct cz_debug_options o = { .stack_depth = 16, .thread_safe = 1 };
	if (cz_debug_init(&testing, cz_c_allocator(), &o) == 0 && cz__hooks)
		cz__hooks->allocator_new(CZPROF_KIND_TESTING, testing.id, "testing");
}

struct cz_allocator cz_testing_allocator(void)
{
	pthread_mutex_lock(&testing_lock);
	if (!testing.s)
		testing_start();
	pthread_mutex_unlock(&testing_lock);
	return cz_debug_allocator(&testing);
}

size_t cz_testing_check(void)
{
	pthread_mutex_lock(&testing_lock);
	size_t bad = testing.s ? cz_debug_problems(&testing) + cz_debug_deinit(&testing) : 0;
	testing_start(); /* handles given out before stay usable */
	pthread_mutex_unlock(&testing_lock);
	return bad;
}

/* ---- every allocation failing in turn ---- */

size_t cz_check_allocation_failures(int (*fn)(struct cz_allocator a, void *ctx), void *ctx, FILE *report)
{
	FILE *out = report ? report : stderr;
	struct cz_debug_options o = { .stack_depth = 16, .report = out };
	struct cz_debug d;
	struct cz_failing f;
	size_t bad = 0;
	/* first, how many allocations a successful run makes */
	if (cz_debug_init(&d, cz_c_allocator(), &o))
		return 1;
	cz_failing_init(&f, cz_debug_allocator(&d), SIZE_MAX, CZ_FAIL_NTH);
	fn(cz_failing_allocator(&f), ctx);
	size_t n = f.allocations;
	if (cz_debug_problems(&d) + cz_debug_deinit(&d)) {
		fprintf(out, "czalloc: the run where no allocation fails leaks or frees wrongly\n");
		bad++;
	}
	for (size_t i = 0; i < n; i++) {
		if (cz_debug_init(&d, cz_c_allocator(), &o))
			return bad + 1;
		cz_failing_init(&f, cz_debug_allocator(&d), i, CZ_FAIL_NTH);
		int rc = fn(cz_failing_allocator(&f), ctx);
		size_t problems = cz_debug_problems(&d), leaks = cz_debug_deinit(&d);
		if (leaks || problems) {
			fprintf(out, "czalloc: with allocation %zu of %zu failing (the function returned %d): "
				     "%zu block%s leaked, %zu wrong free%s\n",
				i + 1, n, rc, leaks, leaks == 1 ? "" : "s", problems, problems == 1 ? "" : "s");
			bad++;
		}
	}
	fflush(out);
	return bad;
}
