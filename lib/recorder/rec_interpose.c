/*
 * rec_interpose.c - the functions the program calls instead of libc's:
 * the malloc family, dlopen/dlclose, and the hook table for allocator
 * libraries (_exit and exec: rec_exec.c).  Each wrapper calls the real
 * function and records one event: a free's time is taken before the real
 * free, an allocation's after the real call returned (FORMAT.md, "Ordering
 * across threads").
 */
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/include/czprof_hooks.h"
#include "lib/recorder/rec.h"

static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static void (*real_free)(void *);
static int (*real_posix_memalign)(void **, size_t, size_t);
static void *(*real_aligned_alloc)(size_t, size_t);
static void *(*real_memalign)(size_t, size_t);
static void *(*real_valloc)(size_t);
static void *(*real_pvalloc)(size_t);
static size_t (*real_usable_size)(void *);
static void *(*real_dlopen)(const char *, int);
static int (*real_dlclose)(void *);

/* Recording began (or never will): the list of blocks handed out before
 * it (rec_early) is final. */
static int early_closed;

/* dlsym may allocate before the real functions are known: those requests
 * are served from here and never freed. */
static char boot_heap[64 * 1024] __attribute__((aligned(64)));
static size_t boot_used;
static int resolving;

static void *boot_alloc(size_t n)
{
	n = (n + 15) & ~(size_t)15;
	if (boot_used + n > sizeof(boot_heap))
		return NULL;
	void *p = boot_heap + boot_used;
	boot_used += n;
	return p;
}

static int is_boot(const void *p)
{
	return (const char *)p >= boot_heap && (const char *)p < boot_heap + sizeof(boot_heap);
}

/* The real functions, as handle finds them (dlsym's RTLD_NEXT or
 * RTLD_DEFAULT). */
static void resolve_from(void *handle)
{
	real_malloc = dlsym(handle, "malloc");
	real_calloc = dlsym(handle, "calloc");
	real_realloc = dlsym(handle, "realloc");
	real_free = dlsym(handle, "free");
	real_posix_memalign = dlsym(handle, "posix_memalign");
	real_aligned_alloc = dlsym(handle, "aligned_alloc");
	real_memalign = dlsym(handle, "memalign");
	real_valloc = dlsym(handle, "valloc");
	real_pvalloc = dlsym(handle, "pvalloc");
	real_usable_size = dlsym(handle, "malloc_usable_size");
	real_dlopen = dlsym(handle, "dlopen");
	real_dlclose = dlsym(handle, "dlclose");
}

static void resolve(void)
{
	if (resolving)
		return;
	resolving = 1;
	resolve_from(RTLD_NEXT);
	resolving = 0;
}

static void rec_init(void);

/* Whether the program's malloc is this library's own: preloaded first, it
 * saw every allocation call from the first.  Loaded late (dlopen) or
 * behind another allocator that was preloaded before it, it may never see
 * where blocks came from: then no free of an unknown block is an error. */
static int interposes_first(void)
{
	Dl_info mine, theirs;
	int guard = rec_guard;
	rec_guard = 1; /* dlsym may allocate */
	void *f = dlsym(RTLD_DEFAULT, "malloc");
	rec_guard = guard;
	return f && dladdr(f, &theirs) && dladdr((void *)rec_init, &mine) &&
	       theirs.dli_fbase == mine.dli_fbase;
}

/* Usually a call from another library's constructor starts the recorder
 * first (rec_begin); this is for programs that allocate nothing before
 * main. */
__attribute__((constructor(101))) static void rec_init(void)
{
	if (!real_malloc)
		resolve();
	/* Loaded into a running process by `czprof record -p` (late, with no
	 * trace named in its environment): it waits for czprof_attach_start
	 * (rec_attach.c) instead of writing a trace of its own. */
	if (!getenv("CZPROF_OUTPUT") && !interposes_first())
		return;
	rec_begin();
}

void rec_interpose_resolve_default(void)
{
	/* what the program's modules are bound to now, so what an attach's
	 * wrappers must call on */
	int guard = rec_guard;
	rec_guard = 1;
	resolve_from(RTLD_DEFAULT);
	rec_guard = guard;
}

/* ---- blocks handed out before recording began ---- */

/* Since recording starts at the first intercepted call (rec_begin), few
 * blocks are: those ld.so hands out before libc has set environ, and any
 * made by another thread while this one starts the recorder (the list is
 * closed by then: such a block is missing from it, a known gap). */
struct rec_early rec_early;

void rec_early_close(void)
{
	rec_early.late = !interposes_first();
	early_closed = 1;
}

/* A call that was not recorded, outside the recorder (rec_guard 0), made
 * block p of n bytes (or failed: p NULL).  A C++ operator new's own malloc
 * (rec_guard REC_GUARD_NEW) that failed drops the guard: see rec.h. */
static void unrecorded_alloc(void *p, size_t n)
{
	if (REC_UNLIKELY(rec_guard)) {
		if (!p && rec_guard == REC_GUARD_NEW)
			rec_guard = 0;
		return;
	}
	if (!p || early_closed || rec_early.overflow)
		return;
	if (rec_early.n == REC_EARLY_MAX) {
		rec_early.overflow = 1;
		return;
	}
	rec_early.addr[rec_early.n] = (uintptr_t)p;
	rec_early.size[rec_early.n++] = n;
}

static void unrecorded_free(void *p)
{
	if (rec_guard || early_closed || rec_early.overflow)
		return;
	for (int i = 0; i < rec_early.n; i++)
		if (rec_early.addr[i] == (uintptr_t)p) {
			rec_early.n--;
			rec_early.addr[i] = rec_early.addr[rec_early.n];
			rec_early.size[i] = rec_early.size[rec_early.n];
			return;
		}
}

/* Fault injection reaching a C++ operator new (rec_cxx.c, which recorded
 * the failed call): the real operator's own allocation fails as it does
 * when memory runs out, so that it goes on with its new-handler or throws
 * std::bad_alloc.  Drops the guard, as any failed malloc under new does. */
__thread int rec_new_fail;

static int new_fails(void)
{
	if (rec_guard != REC_GUARD_NEW)
		return 0;
	rec_new_fail = 0;
	rec_guard = 0;
	errno = ENOMEM;
	return 1;
}

/* Fault injection (rec_fail.c): a failed call returns as malloc does when
 * memory runs out, errno set after the event was recorded. */
#define FAIL_ENOMEM(fail)                     \
	do {                                  \
		if (REC_UNLIKELY(fail))       \
			errno = ENOMEM;       \
	} while (0)

EXPORT void *malloc(size_t n)
{
	if (REC_UNLIKELY(!real_malloc)) {
		if (resolving)
			return boot_alloc(n);
		resolve();
	}
	if (!RECORDING()) {
		if (REC_UNLIKELY(rec_new_fail) && new_fails())
			return NULL;
		void *p = real_malloc(n);
		unrecorded_alloc(p, n);
		return p;
	}
	rec_guard = 1;
	int fail = REC_FAIL_HERE();
	void *p = fail ? NULL : real_malloc(n);
	rec_event_alloc(CZT_REC_MALLOC, rec_now(), p, n, __builtin_frame_address(0));
	FAIL_ENOMEM(fail);
	rec_guard = 0;
	return p;
}

EXPORT void *calloc(size_t n, size_t size)
{
	if (REC_UNLIKELY(!real_calloc)) {
		if (resolving) {
			size_t total;
			if (__builtin_mul_overflow(n, size, &total))
				return NULL;
			return boot_alloc(total); /* static memory is zeroed */
		}
		resolve();
	}
	if (!RECORDING()) {
		void *p = real_calloc(n, size);
		unrecorded_alloc(p, n * size);
		return p;
	}
	rec_guard = 1;
	int fail = REC_FAIL_HERE();
	void *p = fail ? NULL : real_calloc(n, size);
	size_t total = 0;
	__builtin_mul_overflow(n, size, &total);
	rec_event_alloc(CZT_REC_CALLOC, rec_now(), p, total, __builtin_frame_address(0));
	FAIL_ENOMEM(fail);
	rec_guard = 0;
	return p;
}

EXPORT void free(void *p)
{
	if (REC_UNLIKELY(!p || is_boot(p)))
		return;
	if (REC_UNLIKELY(!real_free))
		resolve();
	if (!RECORDING()) {
		unrecorded_free(p);
		real_free(p);
		return;
	}
	rec_guard = 1;
	rec_event_free(CZT_OP_C, rec_now(), p, __builtin_frame_address(0));
	real_free(p);
	rec_guard = 0;
}

static void *do_realloc(unsigned type, void *old, size_t n)
{
	if (REC_UNLIKELY(is_boot(old))) {
		/* a bootstrap block moves to the real heap; its old copy stays */
		void *p = malloc(n);
		if (p)
			memcpy(p, old, n < sizeof(boot_heap) ? n : sizeof(boot_heap));
		return p;
	}
	if (REC_UNLIKELY(!real_realloc)) {
		if (resolving)
			return boot_alloc(n);
		resolve();
	}
	if (!RECORDING()) {
		void *p = real_realloc(old, n);
		if (old && (p || !n))
			unrecorded_free(old);
		unrecorded_alloc(p, n);
		return p;
	}
	rec_guard = 1;
	/* Two clock reads only when the block moved: its new address may have
	 * been freed by another thread just before, so the allocation's time
	 * must come after the call (FORMAT.md, ordering).  A block resized in
	 * place stayed this thread's all along, realloc(NULL, n) frees
	 * nothing, and while no other thread has recorded (checked after the
	 * call: a free by another thread before it would have been seen)
	 * there is nothing to order against: one read serves both parts. */
	uint64_t t_free = old ? rec_now() : 0;
	/* realloc(p, 0) frees: not an allocation call to fail */
	int fail = (n || !old) && REC_FAIL_HERE();
	void *p = fail ? NULL : real_realloc(old, n);
	uint64_t t = old && (p == old || !p || rec_clock_alone()) ? t_free : rec_now();
	rec_event_realloc(type, old ? t_free : t, t, old, p, n, __builtin_frame_address(0));
	FAIL_ENOMEM(fail);
	rec_guard = 0;
	return p;
}

EXPORT void *realloc(void *old, size_t n)
{
	return do_realloc(CZT_REC_REALLOC, old, n);
}

/* Not forwarded to libc's reallocarray, which calls realloc through a path
 * this library sees again: the call would be counted twice. */
EXPORT void *reallocarray(void *old, size_t n, size_t size)
{
	size_t total;
	if (__builtin_mul_overflow(n, size, &total)) {
		errno = ENOMEM;
		return NULL;
	}
	return do_realloc(CZT_REC_REALLOCARRAY, old, total);
}

EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
	if (REC_UNLIKELY(!real_posix_memalign))
		resolve();
	if (!RECORDING()) {
		if (REC_UNLIKELY(rec_new_fail) && new_fails())
			return ENOMEM;
		int rc = real_posix_memalign(out, align, n);
		unrecorded_alloc(rc ? NULL : *out, n);
		return rc;
	}
	rec_guard = 1;
	int rc = REC_FAIL_HERE() ? ENOMEM : real_posix_memalign(out, align, n);
	rec_event_alloc(CZT_REC_POSIX_MEMALIGN, rec_now(), rc ? NULL : *out, n,
			__builtin_frame_address(0));
	rec_guard = 0;
	return rc;
}

#define ALIGNED_WRAPPER(name, type, params, args, size)                 \
	EXPORT void *name params                                        \
	{                                                               \
		if (REC_UNLIKELY(!real_##name))                         \
			resolve();                                      \
		if (!RECORDING()) {                                     \
			if (REC_UNLIKELY(rec_new_fail) && new_fails())  \
				return NULL;                            \
			void *p = real_##name args;                     \
			unrecorded_alloc(p, size);                      \
			return p;                                       \
		}                                                       \
		rec_guard = 1;                                          \
		int fail = REC_FAIL_HERE();                             \
		void *p = fail ? NULL : real_##name args;               \
		rec_event_alloc(type, rec_now(), p, size,              \
				__builtin_frame_address(0));            \
		FAIL_ENOMEM(fail);                                      \
		rec_guard = 0;                                          \
		return p;                                               \
	}

ALIGNED_WRAPPER(aligned_alloc, CZT_REC_ALIGNED_ALLOC, (size_t align, size_t n), (align, n), n)
ALIGNED_WRAPPER(memalign, CZT_REC_MEMALIGN, (size_t align, size_t n), (align, n), n)
ALIGNED_WRAPPER(valloc, CZT_REC_VALLOC, (size_t n), (n), n)
ALIGNED_WRAPPER(pvalloc, CZT_REC_PVALLOC, (size_t n), (n), n)

EXPORT size_t malloc_usable_size(void *p)
{
	if (!p || is_boot(p))
		return 0;
	if (REC_UNLIKELY(!real_usable_size))
		resolve();
	return real_usable_size(p);
}

EXPORT void *dlopen(const char *file, int flags)
{
	if (REC_UNLIKELY(!real_dlopen))
		resolve();
	void *h = real_dlopen(file, flags);
	if (h && !rec_guard) {
		rec_guard = 1;
		rec_modules_changed();
		if (__atomic_load_n(&rec_attach_hooked, __ATOMIC_ACQUIRE))
			rec_attach_rehook(); /* the new modules were bound to libc */
		rec_guard = 0;
	}
	return h;
}

EXPORT int dlclose(void *h)
{
	if (REC_UNLIKELY(!real_dlclose))
		resolve();
	int rc = real_dlclose(h);
	if (!rec_guard) {
		rec_guard = 1;
		rec_modules_changed();
		rec_guard = 0;
	}
	return rc;
}

/* ---- the table an attach redirects modules' GOT entries with ---- */

/* A reference to an exported function from inside this library is bound
 * like any other (to libc's, in a library loaded late): these hidden
 * aliases name this library's own definitions. */
#define SELF(fn)                                                                  \
	__asm__(".globl self_" #fn "\n.hidden self_" #fn "\n.set self_" #fn ", " #fn); \
	extern char self_##fn[] __attribute__((visibility("hidden")))
SELF(malloc);
SELF(calloc);
SELF(realloc);
SELF(reallocarray);
SELF(free);
SELF(posix_memalign);
SELF(aligned_alloc);
SELF(memalign);
SELF(valloc);
SELF(pvalloc);
SELF(dlopen);
SELF(dlclose);

const struct rec_hook rec_hooks[] = {
	{ "malloc", self_malloc },
	{ "calloc", self_calloc },
	{ "realloc", self_realloc },
	{ "reallocarray", self_reallocarray },
	{ "free", self_free },
	{ "posix_memalign", self_posix_memalign },
	{ "aligned_alloc", self_aligned_alloc },
	{ "memalign", self_memalign },
	{ "valloc", self_valloc },
	{ "pvalloc", self_pvalloc },
	{ "dlopen", self_dlopen },
	{ "dlclose", self_dlclose },
};
const size_t rec_n_hooks = sizeof(rec_hooks) / sizeof(rec_hooks[0]);

/* ---- hooks for allocator libraries (lib/include/czprof_hooks.h) ---- */

static uint64_t next_allocator = 1;

static void hook_event(struct czt_record *r, int want_stack)
{
	if (!RECORDING())
		return;
	rec_guard = 1;
	rec_event_cz(r, want_stack ? __builtin_frame_address(0) : NULL);
	rec_guard = 0;
}

static uint64_t hook_new(unsigned kind, uint64_t parent, const char *name)
{
	uint64_t id = __atomic_fetch_add(&next_allocator, 1, __ATOMIC_RELAXED);
	if (!RECORDING())
		return id;
	rec_guard = 1;
	struct czt_record r = { .type = CZT_REC_CZ_NEW, .allocator = id, .kind = kind,
				.parent = parent };
	r.name = name ? rec_intern_string(name) : 0;
	rec_event_cz(&r, __builtin_frame_address(0));
	rec_guard = 0;
	return id;
}

static void hook_alloc(uint64_t a, const void *p, size_t size)
{
	struct czt_record r = { .type = CZT_REC_CZ_ALLOC, .allocator = a,
				.addr = (uint64_t)(uintptr_t)p, .size = size };
	hook_event(&r, 1);
}

static void hook_free(uint64_t a, const void *p)
{
	struct czt_record r = { .type = CZT_REC_CZ_FREE, .allocator = a, .addr = (uint64_t)(uintptr_t)p };
	hook_event(&r, 0);
}

static void hook_resize(uint64_t a, const void *old, const void *p, size_t size)
{
	struct czt_record r = { .type = CZT_REC_CZ_RESIZE, .allocator = a,
				.old_addr = (uint64_t)(uintptr_t)old,
				.addr = (uint64_t)(uintptr_t)p, .size = size };
	hook_event(&r, 1);
}

static void hook_reset(uint64_t a, size_t kept)
{
	struct czt_record r = { .type = CZT_REC_CZ_RESET, .allocator = a, .value = kept };
	hook_event(&r, 0);
}

static void hook_capacity(uint64_t a, size_t cap)
{
	struct czt_record r = { .type = CZT_REC_CZ_CAPACITY, .allocator = a, .value = cap };
	hook_event(&r, 0);
}

static void hook_destroy(uint64_t a)
{
	struct czt_record r = { .type = CZT_REC_CZ_DESTROY, .allocator = a };
	hook_event(&r, 0);
}

static void hook_quiet(int on)
{
	rec_guard = on ? 1 : 0;
}

static const struct czprof_hooks hooks = {
	.version = CZPROF_HOOKS_VERSION,
	.allocator_new = hook_new,
	.alloc = hook_alloc,
	.free = hook_free,
	.resize = hook_resize,
	.reset = hook_reset,
	.capacity = hook_capacity,
	.destroy = hook_destroy,
	.quiet = hook_quiet,
};

EXPORT const struct czprof_hooks *czprof_get_hooks(void)
{
	return &hooks;
}
