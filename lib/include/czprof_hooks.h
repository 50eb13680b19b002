/*
 * czprof_hooks.h - the contract between the preload recorder (libczprof.so)
 * and code that reports allocator-level events: libczalloc and the pool
 * annotation macros (czprof_annotate.h).
 *
 * The recorder exports one function, czprof_get_hooks, returning a table
 * valid for the life of the process.  Users of the table look it up once
 * with dlsym(RTLD_DEFAULT, CZPROF_HOOKS_SYMBOL); when the recorder is not
 * loaded the lookup yields NULL and every event costs one predictable
 * branch on that NULL pointer.
 *
 * Every hook is async-signal-unsafe, thread-safe, and never allocates from
 * the program's heap.  The recorder captures the caller's stack itself.
 */
#ifndef CZPROF_HOOKS_H
#define CZPROF_HOOKS_H

#include <stddef.h>
#include <stdint.h>

#define CZPROF_HOOKS_SYMBOL "czprof_get_hooks"
#define CZPROF_HOOKS_VERSION 2 /* 2 added quiet */

/* Allocator kinds, as stored in the trace (CZT_REC_CZ_NEW.kind). */
enum czprof_allocator_kind {
	CZPROF_KIND_C = 1,       /* libc malloc */
	CZPROF_KIND_PAGE = 2,    /* mmap pages */
	CZPROF_KIND_ARENA = 3,   /* batch lifetime */
	CZPROF_KIND_FIXED = 4,   /* caller's buffer */
	CZPROF_KIND_DEBUG = 5,
	CZPROF_KIND_FAILING = 6,
	CZPROF_KIND_TESTING = 7,
	CZPROF_KIND_POOL = 8,    /* a program's own pool, via annotations */
};

struct czprof_hooks {
	unsigned version; /* CZPROF_HOOKS_VERSION */
	/* Announces an allocator; returns its id (> 0), unique in the process.
	 * parent is the id of the allocator it draws from, 0 for none.  name
	 * is copied. */
	uint64_t (*allocator_new)(unsigned kind, uint64_t parent, const char *name);
	/* A block of size bytes handed out by allocator. */
	void (*alloc)(uint64_t allocator, const void *p, size_t size);
	/* The block p given back to allocator. */
	void (*free)(uint64_t allocator, const void *p);
	/* The block old became new_p (maybe the same) with size bytes. */
	void (*resize)(uint64_t allocator, const void *old, const void *new_p, size_t size);
	/* All blocks of allocator released at once; capacity_kept bytes are
	 * still held from its parent. */
	void (*reset)(uint64_t allocator, size_t capacity_kept);
	/* allocator now holds capacity bytes from its parent (it grew/shrank). */
	void (*capacity)(uint64_t allocator, size_t capacity);
	/* allocator is gone; every block it handed out is released. */
	void (*destroy)(uint64_t allocator);
	/* Version 2.  While on, the calling thread's heap calls are not
	 * recorded: for work that is no part of the program's profile (the
	 * debug allocator naming its report's frames with libdw).  The caller
	 * frees, while quiet, everything it allocated while quiet. */
	void (*quiet)(int on);
};

/* Exported by libczprof.so. */
const struct czprof_hooks *czprof_get_hooks(void);

#endif
