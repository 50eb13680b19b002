/*
 * cz_alloc.h - libczalloc: allocator injection for C.
 *
 * Every function that allocates takes a `struct cz_allocator`: a context
 * pointer and a table of four operations.  The caller decides where memory
 * comes from (libc, pages, an arena, a fixed buffer) and wraps it to check
 * it (the debug allocator) or to break it on purpose (the failing
 * allocator).  Frees pass the length and alignment of the block back,
 * which lets simple allocators keep no headers.
 *
 * Under `czprof record`, every allocator announces itself (kind, name,
 * parent, creation stack) and reports its blocks and resets, so profiles
 * show each arena's life; outside the recorder that costs one predictable
 * branch per call and no allocation.
 *
 * Ownership: a block returned by cz_alloc (or any helper below) is owned
 * by the caller, valid until it is freed through the same allocator or the
 * allocator is reset or deinitialized (arenas, fixed buffers), whichever
 * comes first.  Allocators are not thread-safe unless said so.
 */
#ifndef CZ_ALLOC_H
#define CZ_ALLOC_H

#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * The table an allocator implements.  The helpers below guarantee len > 0
 * (and new_len > 0), align a power of two, and that mem, len and align are
 * those of a block this allocator handed out.  ret_addr is the return
 * address of the program's call (CZ_RET_ADDR): debug allocators start
 * their stacks there, wrappers pass it on.  Slots an allocator cannot do
 * refuse (resize returns 0, remap NULL); cz_realloc then copies.
 */
struct cz_allocator_vtable {
	/* A new block of len bytes aligned to align; NULL: out of memory. */
	void *(*alloc)(void *ctx, size_t len, size_t align, uintptr_t ret_addr);
	/* Grow or shrink mem in place to new_len (> 0).  Returns 1 when done,
	 * 0 when the allocator refuses (the block is unchanged). */
	int (*resize)(void *ctx, void *mem, size_t len, size_t align, size_t new_len, uintptr_t ret_addr);
	/* Like resize but may move the block: returns its new address (the old
	 * one is then invalid), or NULL when it refuses (unchanged). */
	void *(*remap)(void *ctx, void *mem, size_t len, size_t align, size_t new_len, uintptr_t ret_addr);
	/* Gives back mem, which was allocated with len and align. */
	void (*free)(void *ctx, void *mem, size_t len, size_t align, uintptr_t ret_addr);
};

struct cz_allocator {
	void *ctx;
	const struct cz_allocator_vtable *vt;
};

#define CZ_RET_ADDR ((uintptr_t)__builtin_return_address(0))

/* ---- using an allocator ---- */

/* len bytes aligned to align (a power of two; 0 means 1), uninitialized.
 * Caller owns the block: valid until cz_free (same a, len, align) or the
 * allocator's reset/deinit.  len 0 gives a non-NULL pointer to no bytes
 * (the same for every such block; freeing it does nothing).  NULL: out of
 * memory. */
void *cz_alloc(struct cz_allocator a, size_t len, size_t align);
/* Gives back a block from cz_alloc with the same len and align (its
 * current len after cz_realloc).  mem NULL does nothing. */
void cz_free(struct cz_allocator a, void *mem, size_t len, size_t align);
/* n elements of size bytes, checking n * size for overflow (NULL then).
 * Caller owns the array: valid until cz_free_array with the same n, size
 * and align, or the allocator's reset/deinit. */
void *cz_alloc_array(struct cz_allocator a, size_t n, size_t size, size_t align);
void cz_free_array(struct cz_allocator a, void *mem, size_t n, size_t size, size_t align);
/* Changes a block's length from len to new_len, keeping its first bytes:
 * in place if the allocator can, else moved (remap, or alloc + copy +
 * free).  Caller owns the returned block (free it with new_len); mem is
 * then invalid unless it is the result.  NULL: out of memory, and mem is
 * unchanged and still owned.  mem NULL (or len 0) allocates; new_len 0
 * frees and returns the zero-length block. */
void *cz_realloc(struct cz_allocator a, void *mem, size_t len, size_t new_len, size_t align);
/* A copy of len bytes.  Caller owns it (cz_free with len, align 1).  NULL:
 * out of memory. */
void *cz_dup(struct cz_allocator a, const void *src, size_t len);
/* A copy of a string with its NUL.  Caller owns it.  NULL: out of memory.
 * cz_free_str frees it by its strlen: the string must still be whole (no
 * NUL written into it since).  A string split in place is freed with
 * cz_free(a, s, original_len + 1, 1). */
char *cz_strdup(struct cz_allocator a, const char *s);
void cz_free_str(struct cz_allocator a, char *s);
/* A formatted string, as Zig's allocPrint: printf's format, the result
 * allocated exactly.  Caller owns it (cz_free_str).  NULL: out of memory
 * (or a format error). */
char *cz_sprintf(struct cz_allocator a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* An array of n elements of size bytes grown or shrunk to new_n, keeping
 * the first elements (cz_realloc's rules), checking n * size and new_n *
 * size for overflow (NULL then, mem unchanged).  Caller owns the result
 * (cz_free_array with new_n). */
void *cz_realloc_array(struct cz_allocator a, void *mem, size_t n, size_t new_n, size_t size, size_t align);
/* The profiler's id of an allocator of this library (0 for others, and
 * outside `czprof record`): a pool annotated with czprof_annotate.h names
 * it as its parent. */
uint64_t cz_allocator_id(struct cz_allocator a);

/* One object of type T, uninitialized.  Caller owns it (cz_destroy). */
#define cz_create(a, T) ((T *)cz_alloc((a), sizeof(T), alignof(T)))
#define cz_destroy(a, p) cz_free((a), (p), sizeof(*(p)), alignof(__typeof__(*(p))))
/* An array of n T, uninitialized, overflow checked.  Caller owns it
 * (cz_free_array with the same n). */
#define cz_create_array(a, T, n) ((T *)cz_alloc_array((a), (n), sizeof(T), alignof(T)))
/* p, an array of n T, grown or shrunk to new_n (NULL: unchanged). */
#define cz_grow_array(a, p, n, new_n) \
	((__typeof__(p))cz_realloc_array((a), (p), (n), (new_n), sizeof(*(p)), alignof(__typeof__(*(p)))))

/* ---- libc and pages ---- */

/* malloc/free (aligned_alloc beyond 16 bytes of alignment).  Thread-safe. */
struct cz_allocator cz_c_allocator(void);
/* Whole pages from mmap; remap uses mremap.  Thread-safe. */
struct cz_allocator cz_page_allocator(void);

/* ---- arena: batch lifetimes ---- */

struct cz_arena_chunk;

struct cz_arena {
	struct cz_allocator parent;
	struct cz_arena_chunk *chunks; /* newest first */
	uint8_t *cur, *end;            /* free space of the newest chunk */
	uint8_t *last;                 /* the latest block, for in-place resize/free */
	size_t last_len;
	size_t capacity;               /* bytes held from the parent */
	size_t requested;              /* bytes handed out since the last reset */
	uint64_t id;                   /* the profiler's id, 0 outside the recorder */
};

enum cz_reset_mode {
	CZ_RESET_FREE_ALL,       /* give every chunk back to the parent */
	CZ_RESET_RETAIN,         /* keep the capacity for the next batch (one chunk) */
};

/* An arena drawing from parent (which must outlive it).  name is for
 * profiles (copied by the profiler), may be NULL.  Blocks it hands out
 * are valid until the next reset or deinit; freeing one gives its space
 * back only if it is the latest, and the latest also grows in place. */
void cz_arena_init(struct cz_arena *arena, struct cz_allocator parent, const char *name);
struct cz_allocator cz_arena_allocator(struct cz_arena *arena);
/* Ends every block at once; the arena stays usable. */
void cz_arena_reset(struct cz_arena *arena, enum cz_reset_mode mode);
/* Gives everything back to the parent at once; init again to reuse. */
void cz_arena_deinit(struct cz_arena *arena);

/* ---- fixed buffer: no heap at all ---- */

struct cz_fixed {
	uint8_t *buf;
	size_t len, used;
	size_t last;       /* offset of the latest block */
	uint64_t id;
};

/* Serves blocks from the caller's buf[0..len) (which must outlive it);
 * out of memory (NULL) once full, nothing else happens.  The latest block
 * resizes and frees in place.  Blocks are valid until cz_fixed_reset or
 * the buffer's end of life; the caller still owns buf. */
void cz_fixed_init(struct cz_fixed *f, void *buf, size_t len, const char *name);
struct cz_allocator cz_fixed_allocator(struct cz_fixed *f);
/* Ends every block; the whole buffer is free again. */
void cz_fixed_reset(struct cz_fixed *f);
/* Ends the fixed buffer: every block, and its life in profiles (a buffer
 * on the stack ends with its scope; say so, or it shows as never
 * destroyed).  buf is entirely the caller's again. */
void cz_fixed_deinit(struct cz_fixed *f);

/* ---- stack fallback: a fixed buffer first, then a parent ---- */

struct cz_stack_fallback {
	struct cz_fixed fixed;
	struct cz_allocator parent;
};

/* Serves blocks from buf[0..len) (the caller's, usually on its stack)
 * while they fit, and from parent (which must outlive it) after, as Zig's
 * stackFallback.  Blocks are valid until freed or deinit; the ones from
 * parent must be freed (deinit does not). */
void cz_stack_fallback_init(struct cz_stack_fallback *s, void *buf, size_t len, struct cz_allocator parent,
			    const char *name);
struct cz_allocator cz_stack_fallback_allocator(struct cz_stack_fallback *s);
void cz_stack_fallback_deinit(struct cz_stack_fallback *s);

/* ---- pool: objects of one size ---- */

struct cz_pool_slab;

struct cz_pool {
	struct cz_allocator parent;
	size_t size, align;           /* of the objects */
	size_t slot;                  /* bytes per object in a slab */
	void *free_list;              /* objects given back */
	struct cz_pool_slab *slabs;   /* newest first */
	uint8_t *next, *end;          /* never used slots of the newest slab */
	size_t capacity, live;
	uint64_t id;
};

/* A pool of objects of size bytes aligned to align (0: pointer alignment),
 * taken from parent (which must outlive it) a slab at a time, each slab
 * twice the previous one.  name is for profiles (a "pool" there). */
void cz_pool_init(struct cz_pool *p, struct cz_allocator parent, size_t size, size_t align, const char *name);
/* One object, uninitialized.  Caller owns it: valid until cz_pool_put or
 * cz_pool_deinit.  NULL: out of memory. */
void *cz_pool_get(struct cz_pool *p);
void cz_pool_put(struct cz_pool *p, void *obj);
/* The pool as an allocator: blocks of at most size bytes and align; it
 * refuses (NULL) bigger ones. */
struct cz_allocator cz_pool_allocator(struct cz_pool *p);
/* Gives every slab back to the parent: every object is then invalid. */
void cz_pool_deinit(struct cz_pool *p);

/* ---- debug: catches leaks, double and invalid frees, overruns ---- */

struct cz_debug_options {
	/* Frames kept per allocation and free: 0 keeps none (no capture at
	 * all, the cheapest), at most 64.  CZ_DEBUG_DEFAULTS and a NULL opts
	 * give 16. */
	int stack_depth;
	size_t memory_limit;  /* bytes live at once before out of memory; 0 = none */
	int single_threaded;  /* no mutex: only for an allocator one thread uses */
	int no_poison;        /* do not fill freed memory (and shrunk tails) with 0xDD */
	int no_canary;        /* no guard bytes after each block */
	/* Freed blocks wait in a quarantine before they go back to the
	 * parent, so their addresses are not handed out again: a double free
	 * through a stale pointer is still a double free, a write after free
	 * is found when the block leaves (its poison changed), and the whole
	 * pages of a freed block of a page or more are made inaccessible
	 * (mprotect), so a read or write after free stops the program there,
	 * reported (allocation, free and access stacks) before it dies.
	 * quarantine_bytes bounds the bytes held (oldest leave first);
	 * never_reuse holds every freed block until deinit. */
	size_t quarantine_bytes;
	int never_reuse;
	/* Forget a freed block's stacks once it is back with the parent: a
	 * later double free is then an invalid free.  By default they are
	 * kept until the parent hands the address out again. */
	int no_retain_metadata;
	int abort_on_error;   /* abort() after reporting the first problem (a leak included) */
	FILE *report;         /* where problems are written (default stderr) */
	const char *name;     /* for profiles (default "debug") */
};

#define CZ_DEBUG_DEFAULT_DEPTH 16
/* The defaults; designated initializers after it override, e.g.
 *   struct cz_debug_options o = { CZ_DEBUG_DEFAULTS, .never_reuse = 1 }; */
#define CZ_DEBUG_DEFAULTS .stack_depth = CZ_DEBUG_DEFAULT_DEPTH

struct cz_debug_state;

struct cz_debug {
	struct cz_allocator parent;
	struct cz_debug_state *s;  /* private */
	uint64_t id;
};

/* A debug allocator over parent (which must outlive it); opts NULL for
 * the defaults (thread-safe, 16 frames, poison, canaries, metadata of
 * freed blocks kept, no quarantine).  Returns 0, -1 if out of memory.
 * Each problem is reported as it happens: a line starting "czalloc: "
 * naming it, then the stacks that matter (allocation, first free, the
 * call that found it), innermost frame first, as "    #N  0xADDR
 * function (file:line)" (function+0xOFF (module) without debug
 * information); frames are named when the report is written, never in
 * the allocation path.  Blocks are valid until freed or cz_debug_deinit.
 * Canaries: each block is followed by 16 guard bytes, checked when it is
 * freed or resized and at deinit. */
int cz_debug_init(struct cz_debug *d, struct cz_allocator parent, const struct cz_debug_options *opts);
struct cz_allocator cz_debug_allocator(struct cz_debug *d);
/* Blocks live now, bytes live now, problems seen (double, invalid and
 * wrong-length frees, resizes after free, overruns, writes after free). */
size_t cz_debug_live_blocks(const struct cz_debug *d);
size_t cz_debug_live_bytes(const struct cz_debug *d);
size_t cz_debug_problems(const struct cz_debug *d);
/* Allocations and resizes refused by the memory limit (each reported). */
size_t cz_debug_refusals(const struct cz_debug *d);
/* Bytes it holds from its parent now: live blocks and their canaries, and
 * the quarantine. */
size_t cz_debug_footprint(const struct cz_debug *d);
/* Empties the quarantine (checking each block), reports every block still
 * live with its allocation stack, and returns how many there were (0: no
 * leak).  Leaked blocks go back to the parent, except under `czprof
 * record`: there they stay allocated, so that the profile shows them as
 * leaks with their allocation stacks.  Every block it handed out is then
 * invalid. */
size_t cz_debug_deinit(struct cz_debug *d);

/* ---- failing: tests error paths ---- */

enum cz_fail_mode {
	CZ_FAIL_NTH,          /* only the allocation number fail_index (0-based) fails */
	CZ_FAIL_FROM,         /* it and every later one fail */
};

#define CZ_FAIL_STACK 16

struct cz_failing {
	struct cz_allocator parent;
	size_t fail_index;
	enum cz_fail_mode mode;
	size_t allocations, frees, failures; /* counted, including failed ones */
	size_t resizes;
	uint64_t id;
	/* where the first induced failure happened, innermost first */
	void *fail_stack[CZ_FAIL_STACK];
	int fail_stack_len;
};

/* Allocations go to parent except the failing ones (NULL, counted in
 * failures; the first one's stack kept in fail_stack).  Resizes in place
 * never fail; a block that must move to grow is a new allocation
 * (cz_realloc's copy), counted and failed like one.  Blocks are the
 * parent's: valid until freed through f.  fail_index SIZE_MAX: nothing
 * fails. */
void cz_failing_init(struct cz_failing *f, struct cz_allocator parent, size_t fail_index,
		     enum cz_fail_mode mode);
struct cz_allocator cz_failing_allocator(struct cz_failing *f);
/* Ends the failing allocator in profiles (it holds nothing itself). */
void cz_failing_deinit(struct cz_failing *f);

/* ---- testing: the debug allocator set up for unit tests ---- */

/* A process-wide, thread-safe debug allocator over libc, reporting to
 * stderr.  Blocks are valid until freed or the next cz_testing_check. */
struct cz_allocator cz_testing_allocator(void);
/* Ends a test: reports leaks since the last call and returns their number
 * (a test fails when it is non-zero), then starts afresh. */
size_t cz_testing_check(void);

/*
 * The failure sweep, as Zig's std.testing.checkAllAllocationFailures:
 * runs fn once to count its allocations, then once for each k from 0
 * (allocations are numbered from 0 everywhere, as cz_failing_init's index)
 * with allocation k failing, each run on a fresh debug allocator.  fn
 * returns 0 for success and anything else for an error; it must free what
 * it allocated either way.  A run is bad when it leaks, frees wrongly,
 * crashes (with fork_each), or returns 0 although an allocation failed
 * (the out-of-memory error was swallowed).  Each bad run is reported with
 * k, what went wrong, and the stack of the induced failure.  Returns the
 * number of bad runs.
 */
struct cz_check_options {
	FILE *report;          /* default stderr; with fork_each, a real file (children write to it) */
	int sticky;            /* allocation k and every later one fail (Zig's FailingAllocator) */
	int fork_each;         /* each run in a child process: a crash is reported with its k */
	int allow_recovery;    /* a success after a failed allocation is fine (fn has a fallback) */
};
size_t cz_check_allocation_failures_opts(int (*fn)(struct cz_allocator a, void *ctx), void *ctx,
					 const struct cz_check_options *opts);
/* The sweep with opts { .report = report }: only allocation k fails. */
size_t cz_check_allocation_failures(int (*fn)(struct cz_allocator a, void *ctx), void *ctx, FILE *report);

#endif
