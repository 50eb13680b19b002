/*
 * rec.h - internals of libczprof.so, the preload recorder.  Nothing here is
 * exported: the library's only public symbols are the interposed functions
 * and czprof_get_hooks (lib/rec_exports.map).
 *
 * Rules for every file of the recorder: never call the program's malloc
 * (internal memory comes from mmap), never print, never change what the
 * program sees except through the trace file.
 */
#ifndef CZ_REC_H
#define CZ_REC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "format/czt.h"

#define REC_LIKELY(x) __builtin_expect(!!(x), 1)
#define REC_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* ---- settings (rec_settings.c) ---- */
struct rec_settings {
	const char *output;   /* CZPROF_OUTPUT */
	pid_t root_pid;       /* CZPROF_ROOT_PID */
	int follow_fork;      /* CZPROF_FOLLOW_FORK */
	int depth;            /* CZPROF_DEPTH */
	int flush_ms;         /* CZPROF_FLUSH_MS */
	size_t buffer_bytes;  /* CZPROF_BUFFER_KB * 1024 */
	int unwind_fp;        /* CZPROF_UNWIND=fp: walk frame pointers */
};
extern struct rec_settings rec_settings;
void rec_settings_load(void);

/* ---- the recorder core (rec_core.c) ---- */

/* Non-zero while events are recorded.  Read on every call. */
extern int rec_active;

/* The per-thread recursion guard: set while the recorder itself runs so
 * that allocations made by libunwind, dlsym or libc on its behalf pass
 * straight through. */
extern __thread int rec_guard;

uint64_t rec_now(void);
void rec_event_alloc(unsigned type, uint64_t t, const void *p, size_t size);
void rec_event_free(uint64_t t, const void *p);
void rec_event_realloc(unsigned type, uint64_t t_free, uint64_t t, const void *old,
		       const void *p, size_t size);
/* An allocator-library record (type CZT_REC_CZ_*); want_stack captures the
 * caller's stack into r->stack. */
void rec_event_cz(struct czt_record *r, int want_stack);
/* Interns s as a STRING record (META); returns its id. */
uint64_t rec_intern_string(const char *s);
/* Re-reads the module map after dlopen/dlclose. */
void rec_modules_changed(void);

/* ---- module map (rec_modules.c) ---- */
/* Emits MODULE_LOAD / MODULE_UNLOAD for what changed since the last call
 * through emit (called with the recorder's global lock held). */
typedef void (*rec_module_emit)(int loaded, uint64_t id, uint64_t bias, uint64_t start,
				uint64_t end, const char *path, const uint8_t *bid,
				size_t bid_len);
void rec_modules_scan(rec_module_emit emit);
void rec_modules_forget(void); /* after fork: re-announce everything */
/* The address range of libczprof.so itself, to skip its frames. */
void rec_self_range(uint64_t *start, uint64_t *end);

/* ---- unwinding (rec_unwind.c: the only file including libunwind.h) ---- */
int rec_backtrace(void **ips, int max);

/* ---- internal memory (rec_core.c) ---- */
void *rec_mmap(size_t len);

#endif

/* Writes every buffered event now (before _exit and exec, which skip the
 * exit flush). */
void rec_flush_all(void);

/* Called once, from the library constructor (rec_interpose.c). */
void rec_start(void);
