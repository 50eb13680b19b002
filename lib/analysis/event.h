/*
 * event.h - an allocation event as the analysis engine handles it
 * (engine.h), and the order rule of FORMAT.md over such events.
 *
 * A big trace holds hundreds of millions of events, but the engine holds
 * only those its merge waits for (merge.h): a few hundred milliseconds of
 * the run.  An event is kept to 32 bytes all the same, since the merge
 * copies every one of them twice.
 */
#ifndef CZPROF_LIB_ANALYSIS_EVENT_H
#define CZPROF_LIB_ANALYSIS_EVENT_H

#include <stdint.h>

#include "format/czt.h"

struct load_ev {
	uint64_t time, addr, size;
	uint32_t stack;         /* index into the engine's stack table (0: no stack) */
	uint32_t tid : 24;      /* index into the engine's thread table */
	uint32_t fn : 5;        /* an allocation: CZT_REC_* of the call, or
				 * LOAD_FN_NEW/LOAD_FN_NEW_ARRAY; a free: bits 1-2
				 * the releasing family (LOAD_FAM_*, delete and
				 * delete[]) */
	uint32_t kind : 2;      /* EV_* */
	uint32_t realloc : 1;   /* the free part of a realloc, or its allocation
				 * part when a free part came just before it */
};

#define LOAD_MAX_THREADS (1u << 24)

enum {
	EV_ALLOC,
	EV_FREE,
	EV_EXEC, /* every live block is gone */
	EV_CZ,   /* an allocator-library record (arenas.h): addr is the
		  * index of its staged copy, fn its CZT_REC_CZ_* type less
		  * CZT_REC_CZ_ALLOC */
};

/* Whether e releases: on equal times releases come first.  An allocator
 * record releases when it is a free, a reset or a destroy. */
static inline int load_ev_releases(const struct load_ev *e)
{
	if (e->kind == EV_CZ) {
		unsigned type = CZT_REC_CZ_ALLOC + e->fn;
		return type == CZT_REC_CZ_FREE || type == CZT_REC_CZ_RESET || type == CZT_REC_CZ_DESTROY;
	}
	return e->kind != EV_ALLOC;
}

/*
 * Whether x, at file position xi, comes before y, at yi, in the global
 * order of FORMAT.md: time, then releases (load_ev_releases) first,
 * then file order.  The one place this rule is written: the merge
 * (merge.h) orders by it.
 */
static inline int load_ev_before(const struct load_ev *x, uint32_t xi, const struct load_ev *y,
				 uint32_t yi)
{
	if (x->time != y->time)
		return x->time < y->time;
	int rx = load_ev_releases(x), ry = load_ev_releases(y);
	if (rx != ry)
		return rx;
	return xi < yi;
}

/* The fn of a block made by the C++ operators (numbers no record type
 * has below 32). */
#define LOAD_FN_NEW 8
#define LOAD_FN_NEW_ARRAY 9

#define LOAD_FREE_FAMILY(fn) (((fn) >> 1) & 3u)

/* The `fn` column's text for a CZT_REC_* allocation type or LOAD_FN_*. */
static inline const char *load_fn_name(unsigned type)
{
	if (type == LOAD_FN_NEW)
		return "operator new";
	if (type == LOAD_FN_NEW_ARRAY)
		return "operator new[]";
	const char *name = czt_rec_name(type);
	return name ? name : "?";
}

/* The family (LOAD_FAM_* of errors.h) of an allocation's fn. */
static inline unsigned load_fn_family(unsigned fn)
{
	return fn == LOAD_FN_NEW ? 1u : fn == LOAD_FN_NEW_ARRAY ? 2u : 0u;
}

#endif
