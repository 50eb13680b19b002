/*
 * cz_debug.c - the development allocator: wraps a parent and remembers
 * every live block with the stack that allocated it, and every freed block
 * with both stacks until its address is handed out again.  It reports
 * leaks at deinit, double frees (allocation, first free and second free
 * stacks), frees and resizes of blocks it never handed out, frees with the
 * wrong length (allocation and free stacks), writes past the end of a
 * block (canaries checked at free, resize and deinit) and, with a
 * quarantine, writes after free (poison checked when a block leaves it);
 * it can cap the bytes live at once.
 *
 * Stacks start at the caller's frame: the return address every allocator
 * call carries marks where the program's frames begin, so the library's
 * own frames (helpers, arenas in between) are never shown first.  They are
 * captured as addresses and named only when a report is written
 * (cz_stack.c).
 *
 * Its bookkeeping comes from mmap, never from the program's heap, so a
 * profile of a program using it shows only the program's blocks.
 */
#include <pthread.h>
#include <signal.h>
#include <ucontext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/czalloc/cz_debug_table.h"
#include "lib/czalloc/cz_internal.h"
#include "lib/czalloc/cz_stack.h"

#define POISON 0xDD
#define CANARY 16     /* guard bytes after each block */
#define CANARY_BYTE 0xCA

struct cz_debug_state {
	struct cz_debug_options o;
	pthread_mutex_t lock;
	struct cz__table live, freed;
	/* the quarantine: addresses of held blocks, oldest first (a ring) */
	uintptr_t *q;
	size_t q_cap, q_head, q_n, q_bytes;
	size_t bytes, problems, refusals, canary, page;
	size_t footprint; /* bytes held from the parent */
	struct cz_debug_state *next_guarded; /* in the list the SIGSEGV handler reads */
	int guarded;
};

static void *map(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static FILE *out(const struct cz_debug_state *s)
{
	return s->o.report ? s->o.report : stderr;
}

static void lock(struct cz_debug_state *s)
{
	if (!s->o.single_threaded)
		pthread_mutex_lock(&s->lock);
}

static void unlock(struct cz_debug_state *s)
{
	if (!s->o.single_threaded)
		pthread_mutex_unlock(&s->lock);
}

/* ---- reports ---- */

static void section(FILE *f, const char *title, void *const *ips, int n)
{
	fprintf(f, "  %s at:\n", title);
	if (n)
		cz__print_stack(f, ips, n);
	else
		fprintf(f, "    (no stack: stack_depth is 0)\n");
}

/* Ends the report of a problem: counted, flushed, and the program stopped
 * if it asked for that. */
static void problem_done(struct cz_debug_state *s)
{
	s->problems++;
	fflush(out(s));
	cz__stack_release();
	if (s->o.abort_on_error)
		abort();
}

/* Checks r's canary; reports an overrun found by what ("freed", "resized",
 * "checked at deinit") with the stack of the call that found it. */
static void check_canary(struct cz_debug_state *s, const struct cz__rec *r, const char *what, uintptr_t ret)
{
	if (!s->canary)
		return;
	const uint8_t *g = (const uint8_t *)r->addr + r->len;
	size_t bad = 0, last = 0;
	for (size_t i = 0; i < s->canary; i++)
		if (g[i] != CANARY_BYTE) {
			bad++;
			last = i + 1;
		}
	if (!bad)
		return;
	FILE *f = out(s);
	void *now[CZ__MAX_DEPTH];
	int n = cz__capture(now, s->o.stack_depth, ret);
	fprintf(f, "czalloc: write past the end of the block of %zu bytes at %p: %zu of the %zu bytes after it "
		   "changed (up to +%zu)\n", r->len, (void *)r->addr, bad, s->canary, last);
	section(f, "allocated", r->stacks, r->n_alloc);
	section(f, what, now, n);
	memset((uint8_t *)r->addr + r->len, CANARY_BYTE, s->canary); /* reported once */
	problem_done(s);
}

static void set_canary(const struct cz_debug_state *s, void *mem, size_t len)
{
	if (s->canary)
		memset((uint8_t *)mem + len, CANARY_BYTE, s->canary);
}

/* mem is not a live block of this allocator: a double free (or resize
 * after free) when its metadata is kept, else an invalid one. */
static void report_unknown(struct cz_debug_state *s, const char *op, void *mem, size_t len, uintptr_t ret)
{
	FILE *f = out(s);
	void *now[CZ__MAX_DEPTH];
	int n = cz__capture(now, s->o.stack_depth, ret);
	const struct cz__rec *old = cz__table_find(&s->freed, (uintptr_t)mem);
	int is_free = !strcmp(op, "free");
	if (old) {
		fprintf(f, "czalloc: %s of %zu bytes at %p\n", is_free ? "double free" : "resize after free", old->len,
			mem);
		section(f, "allocated", old->stacks, old->n_alloc);
		section(f, "first freed", old->stacks + old->n_alloc, old->n_free);
		section(f, is_free ? "freed again" : "resized", now, n);
	} else {
		fprintf(f, "czalloc: invalid %s of %zu bytes at %p, which this allocator did not hand out, at:\n", op,
			len, mem);
		if (n)
			cz__print_stack(f, now, n);
	}
	problem_done(s);
}

/* ---- the quarantine ---- */

/* The whole pages inside [p, p + len). */
static int inner_pages(const struct cz_debug_state *s, uintptr_t p, size_t len, uintptr_t *start, size_t *n)
{
	uintptr_t a = (p + s->page - 1) & ~(uintptr_t)(s->page - 1), e = (p + len) & ~(uintptr_t)(s->page - 1);
	if (e <= a)
		return 0;
	*start = a;
	*n = e - a;
	return 1;
}

static int q_push(struct cz_debug_state *s, uintptr_t addr)
{
	if (s->q_n == s->q_cap) {
		size_t cap = s->q_cap ? s->q_cap * 2 : 512;
		uintptr_t *q = map(cap * sizeof(*q));
		if (!q)
			return -1;
		for (size_t i = 0; i < s->q_n; i++)
			q[i] = s->q[(s->q_head + i) % s->q_cap];
		if (s->q)
			munmap(s->q, s->q_cap * sizeof(*q));
		s->q = q;
		s->q_cap = cap;
		s->q_head = 0;
	}
	s->q[(s->q_head + s->q_n++) % s->q_cap] = addr;
	return 0;
}

/* Gives freed block g (in the freed table) back to the parent: its pages
 * accessible again, its poison checked, its metadata forgotten if asked. */
static void give_back(struct cz_debug *d, struct cz__rec *g, uintptr_t ret)
{
	struct cz_debug_state *s = d->s;
	uintptr_t a;
	size_t n;
	if (g->held && g->len >= s->page && inner_pages(s, g->addr, g->len, &a, &n))
		mprotect((void *)a, n, PROT_READ | PROT_WRITE);
	if (g->held && !s->o.no_poison) {
		const uint8_t *b = (const uint8_t *)g->addr;
		size_t i = 0;
		while (i < g->len && b[i] == POISON)
			i++;
		if (i < g->len) {
			FILE *f = out(s);
			fprintf(f, "czalloc: write after free: byte %zu of the block of %zu bytes at %p changed "
				   "while it was freed (found as it left the quarantine)\n", i, g->len, (void *)g->addr);
			section(f, "allocated", g->stacks, g->n_alloc);
			section(f, "freed", g->stacks + g->n_alloc, g->n_free);
			problem_done(s);
		}
	}
	if (g->held) {
		s->q_bytes -= g->len;
		g->held = 0;
	}
	s->footprint -= g->len + s->canary;
	d->parent.vt->free(d->parent.ctx, (void *)g->addr, g->len + s->canary, g->align, ret);
	if (s->o.no_retain_metadata)
		cz__table_remove(&s->freed, g);
}

/* Lets the oldest blocks out while the quarantine holds more than allowed
 * (all of them when limit is 0). */
static void q_drain(struct cz_debug *d, size_t limit, uintptr_t ret)
{
	struct cz_debug_state *s = d->s;
	while (s->q_n && (!limit || s->q_bytes > limit)) {
		uintptr_t addr = s->q[s->q_head];
		s->q_head = (s->q_head + 1) % s->q_cap;
		s->q_n--;
		struct cz__rec *g = cz__table_find(&s->freed, addr);
		if (g && g->held)
			give_back(d, g, ret);
	}
}

static int quarantined(const struct cz_debug_state *s)
{
	return s->o.never_reuse || s->o.quarantine_bytes;
}

/* ---- an access to a freed page ---- */

/* Debug allocators that made pages inaccessible, for the SIGSEGV handler:
 * it names the freed block an access fell into, with its stacks, before
 * the program dies as it would have. */
static struct cz_debug_state *guarded;
static pthread_mutex_t guarded_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sigaction old_segv;

/* The quarantined block of s holding addr, or NULL.  Reads the tables
 * without the lock: the program is about to die. */
static const struct cz__rec *held_at(struct cz_debug_state *s, uintptr_t addr)
{
	for (size_t i = 0; i < s->q_n; i++) {
		const struct cz__rec *g = cz__table_find(&s->freed, s->q[(s->q_head + i) % s->q_cap]);
		if (g && g->held && addr >= g->addr && addr < g->addr + g->len)
			return g;
	}
	return NULL;
}

static void on_segv(int sig, siginfo_t *si, void *ucv)
{
	uintptr_t addr = (uintptr_t)si->si_addr, pc = 0;
#if defined(__x86_64__)
	pc = (uintptr_t)((ucontext_t *)ucv)->uc_mcontext.gregs[REG_RIP]; /* the stack starts at the access */
#elif defined(__aarch64__)
	pc = (uintptr_t)((ucontext_t *)ucv)->uc_mcontext.pc;
#else
	(void)ucv;
#endif
	for (struct cz_debug_state *s = guarded; s; s = s->next_guarded) {
		const struct cz__rec *g = held_at(s, addr);
		if (!g)
			continue;
		FILE *f = out(s);
		void *now[CZ__MAX_DEPTH];
		int n = cz__capture(now, s->o.stack_depth ? s->o.stack_depth : CZ_DEBUG_DEFAULT_DEPTH, pc);
		/* frames are named at ip - 1, inside a call; the access is at pc
		 * itself, which may be its function's first instruction */
		if (n && pc && (uintptr_t)now[0] == pc)
			now[0] = (void *)(pc + 1);
		fprintf(f, "czalloc: use after free: byte %zu of the block of %zu bytes at %p, freed and kept "
			   "inaccessible in the quarantine\n", (size_t)(addr - g->addr), g->len, (void *)g->addr);
		section(f, "allocated", g->stacks, g->n_alloc);
		section(f, "freed", g->stacks + g->n_alloc, g->n_free);
		fprintf(f, "  accessed at:\n");
		cz__print_stack(f, now, n);
		fflush(f);
		break;
	}
	/* the program's own handling of the signal: returning retries the
	 * access, which faults again under it */
	sigaction(sig, &old_segv, NULL);
}

/* s is about to make pages inaccessible: the handler must know it. */
static void guard(struct cz_debug_state *s)
{
	if (s->guarded)
		return;
	pthread_mutex_lock(&guarded_lock);
	if (!guarded) {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = on_segv;
		sa.sa_flags = SA_SIGINFO;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGSEGV, &sa, &old_segv);
	}
	s->next_guarded = guarded;
	guarded = s;
	s->guarded = 1;
	pthread_mutex_unlock(&guarded_lock);
}

static void unguard(struct cz_debug_state *s)
{
	if (!s->guarded)
		return;
	pthread_mutex_lock(&guarded_lock);
	for (struct cz_debug_state **p = &guarded; *p; p = &(*p)->next_guarded)
		if (*p == s) {
			*p = s->next_guarded;
			break;
		}
	if (!guarded)
		sigaction(SIGSEGV, &old_segv, NULL);
	s->guarded = 0;
	pthread_mutex_unlock(&guarded_lock);
}

/* ---- the allocator ---- */

/* Would len more bytes live go past the limit?  Then report it. */
static int over_limit(struct cz_debug_state *s, size_t more, uintptr_t ret)
{
	size_t limit = s->o.memory_limit;
	if (!limit || (more <= limit && s->bytes <= limit - more))
		return 0;
	void *now[CZ__MAX_DEPTH];
	int n = cz__capture(now, s->o.stack_depth, ret);
	s->refusals++;
	fprintf(out(s), "czalloc: memory limit: %zu more bytes with %zu of %zu live, refused at:\n", more,
		s->bytes, limit);
	if (n)
		cz__print_stack(out(s), now, n);
	fflush(out(s));
	cz__stack_release();
	return 1;
}

static void *debug_alloc(void *ctx, size_t len, size_t align, uintptr_t ret)
{
	struct cz_debug *d = ctx;
	struct cz_debug_state *s = d->s;
	lock(s);
	void *p = NULL;
	if (len > SIZE_MAX - s->canary || over_limit(s, len, ret))
		goto out; /* out of memory, as a real allocator would be */
	if (cz__table_reserve(&s->live))
		goto out;
	p = d->parent.vt->alloc(d->parent.ctx, len + s->canary, align, ret);
	if (!p)
		goto out;
	/* the parent hands the address out again: its old metadata is stale */
	struct cz__rec *g = cz__table_find(&s->freed, (uintptr_t)p);
	if (g)
		cz__table_remove(&s->freed, g);
	struct cz__rec *r = cz__table_add(&s->live, (uintptr_t)p);
	r->len = len;
	r->align = align;
	r->n_alloc = cz__capture(r->stacks, s->o.stack_depth, ret);
	set_canary(s, p, len);
	s->bytes += len;
	s->footprint += len + s->canary;
	cz__on_alloc(d->id, p, len);
	cz__on_capacity(d->id, s->footprint);
out:
	unlock(s);
	return p;
}

static void debug_free(void *ctx, void *mem, size_t len, size_t align, uintptr_t ret)
{
	struct cz_debug *d = ctx;
	struct cz_debug_state *s = d->s;
	lock(s);
	struct cz__rec *r = cz__table_find(&s->live, (uintptr_t)mem);
	if (!r) {
		report_unknown(s, "free", mem, len, ret);
		unlock(s);
		return; /* not passed on: the parent would corrupt itself */
	}
	void *now[CZ__MAX_DEPTH];
	int n = cz__capture(now, s->o.stack_depth, ret);
	check_canary(s, r, "freed", ret);
	if (r->len != len || r->align != align) {
		FILE *f = out(s);
		fprintf(f, "czalloc: block at %p of %zu bytes (align %zu) freed as %zu bytes (align %zu)\n", mem,
			r->len, r->align, len, align);
		section(f, "allocated", r->stacks, r->n_alloc);
		section(f, "freed", now, n);
		problem_done(s);
	}
	/* its metadata, for a later double free and the quarantine's report */
	struct cz__rec *g = NULL;
	if (!cz__table_reserve(&s->freed)) {
		r = cz__table_find(&s->live, (uintptr_t)mem); /* unmoved: another table */
		g = cz__table_add(&s->freed, (uintptr_t)mem);
		g->len = r->len;
		g->align = r->align;
		g->n_alloc = r->n_alloc;
		g->n_free = n;
		if (g->stacks) {
			memcpy(g->stacks, r->stacks, (size_t)r->n_alloc * sizeof(void *));
			memcpy(g->stacks + r->n_alloc, now, (size_t)n * sizeof(void *));
		}
	}
	len = r->len; /* give the parent what it handed out */
	align = r->align;
	s->bytes -= len;
	cz__table_remove(&s->live, r);
	if (!s->o.no_poison)
		memset(mem, POISON, len);
	cz__on_free(d->id, mem);
	if (g && quarantined(s) && !q_push(s, (uintptr_t)mem)) {
		uintptr_t a;
		size_t np;
		g->held = 1;
		s->q_bytes += len;
		if (len >= s->page && inner_pages(s, (uintptr_t)mem, len, &a, &np)) {
			guard(s);
			mprotect((void *)a, np, PROT_NONE);
		}
		if (!s->o.never_reuse)
			q_drain(d, s->o.quarantine_bytes, ret);
	} else if (g) {
		give_back(d, g, ret);
	} else {
		s->footprint -= len + s->canary;
		d->parent.vt->free(d->parent.ctx, mem, len + s->canary, align, ret);
	}
	cz__on_capacity(d->id, s->footprint);
	unlock(s);
}

static int debug_resize(void *ctx, void *mem, size_t len, size_t align, size_t new_len, uintptr_t ret)
{
	struct cz_debug *d = ctx;
	struct cz_debug_state *s = d->s;
	lock(s);
	struct cz__rec *r = cz__table_find(&s->live, (uintptr_t)mem);
	int ok = 0;
	if (!r) {
		report_unknown(s, "resize", mem, len, ret);
		goto out;
	}
	check_canary(s, r, "resized", ret);
	if (new_len > SIZE_MAX - s->canary)
		goto out;
	if (new_len > r->len && s->o.memory_limit &&
	    (new_len - r->len > s->o.memory_limit || s->bytes > s->o.memory_limit - (new_len - r->len)))
		goto out; /* refused quietly: the move cz_realloc tries next needs more and reports */
	if (!d->parent.vt->resize(d->parent.ctx, mem, r->len + s->canary, align, new_len + s->canary, ret))
		goto out;
	ok = 1;
	if (new_len < r->len && !s->o.no_poison)
		memset((char *)mem + new_len, POISON, r->len - new_len);
	set_canary(s, mem, new_len);
	s->bytes = s->bytes - r->len + new_len;
	s->footprint = s->footprint - r->len + new_len;
	r->len = new_len;
	cz__on_resize(d->id, mem, mem, new_len);
	cz__on_capacity(d->id, s->footprint);
out:
	unlock(s);
	return ok;
}

/* remap never: moves go through alloc + free, so both are checked */
const struct cz_allocator_vtable cz__debug_vt = { debug_alloc, debug_resize, cz__remap_never, debug_free };

int cz_debug_init(struct cz_debug *d, struct cz_allocator parent, const struct cz_debug_options *opts)
{
	return cz__debug_init(d, parent, opts, CZPROF_KIND_DEBUG);
}

int cz__debug_init(struct cz_debug *d, struct cz_allocator parent, const struct cz_debug_options *opts,
		   unsigned kind)
{
	static const struct cz_debug_options defaults = { CZ_DEBUG_DEFAULTS };
	memset(d, 0, sizeof(*d));
	struct cz_debug_state *s = map(sizeof(*s));
	if (!s)
		return -1;
	s->o = opts ? *opts : defaults;
	if (s->o.stack_depth < 0)
		s->o.stack_depth = 0;
	if (s->o.stack_depth > CZ__MAX_DEPTH)
		s->o.stack_depth = CZ__MAX_DEPTH;
	s->canary = s->o.no_canary ? 0 : CANARY;
	s->page = (size_t)sysconf(_SC_PAGESIZE);
	cz__table_init(&s->live, 2 * (size_t)s->o.stack_depth);
	cz__table_init(&s->freed, 2 * (size_t)s->o.stack_depth);
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
	return d->s ? d->s->live.used : 0;
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

size_t cz_debug_footprint(const struct cz_debug *d)
{
	return d->s ? d->s->footprint : 0;
}

size_t cz_debug_deinit(struct cz_debug *d)
{
	struct cz_debug_state *s = d->s;
	if (!s)
		return 0;
	lock(s);
	q_drain(d, 0, CZ_RET_ADDR);
	FILE *f = out(s);
	size_t leaks = s->live.used, bytes = s->bytes;
	for (size_t i = 0; i < s->live.cap; i++) {
		struct cz__rec *r = &s->live.r[i];
		if (!r->addr)
			continue;
		check_canary(s, r, "checked at deinit", CZ_RET_ADDR);
		fprintf(f, "czalloc: leak: %zu bytes at %p allocated at:\n", r->len, (void *)r->addr);
		if (r->n_alloc)
			cz__print_stack(f, r->stacks, r->n_alloc);
		/* under the profiler a leak stays a leak: freeing it here would
		 * show it freed, by this function */
		if (!cz__hooks)
			d->parent.vt->free(d->parent.ctx, (void *)r->addr, r->len + s->canary, r->align, CZ_RET_ADDR);
	}
	if (leaks)
		fprintf(f, "czalloc: %zu block%s (%zu bytes) leaked\n", leaks, leaks == 1 ? "" : "s", bytes);
	fflush(f);
	cz__stack_release();
	unlock(s);
	if (leaks && s->o.abort_on_error)
		abort();
	unguard(s);
	cz__table_release(&s->live);
	cz__table_release(&s->freed);
	if (s->q)
		munmap(s->q, s->q_cap * sizeof(*s->q));
	pthread_mutex_destroy(&s->lock);
	munmap(s, sizeof(*s));
	d->s = NULL;
	cz__on_destroy(d->id);
	return leaks;
}
