/*
 * prefault.h - maps the pages of growing arrays ahead of their use, on a
 * thread of its own.
 *
 * The loader fills arrays of hundreds of MiB front to back.  Each new page
 * costs the kernel a fault and a clear, and on a virtual machine whose
 * host took its memory back, each clear also faults in the host: there a
 * load spent a third of its pairing thread's time in clear_page.  The
 * pairing is the long pole of a load whose rows wait for long-lived
 * blocks, while the other core idles.  So a helper thread asks the kernel
 * (MADV_POPULATE_WRITE) for the pages a little ahead of where the arrays
 * are filled, and the filling finds them mapped.  The work is the same;
 * it moves off the critical path.
 *
 * Only address space that stays put while watched can be watched (an
 * array about to move is released first): the helper touches nothing the
 * caller has not told it about.  The second half, below, goes further
 * for arrays read for the last time behind their filling: their pages are
 * reused instead of mapped.
 */
#ifndef CZ_PREFAULT_H
#define CZ_PREFAULT_H

#include <stddef.h>

#define PREFAULT_REGIONS 4

/* How far ahead of the filling pages are mapped: several chunks' events,
 * so that a burst finds them ready, and little enough that the pages a
 * load never reaches cost nothing much. */
#define PREFAULT_AHEAD (16u << 20)

struct prefault;

/* Starts the helper, or returns NULL when it cannot (no thread, no
 * memory): then the arrays just fault as they fill.  Caller owns the
 * result and ends it with prefault_stop. */
struct prefault *prefault_start(void);

/* Watches [base, base + len): returns its number, or -1 when pf is NULL or
 * every slot is taken.  The range must stay mapped until prefault_release
 * or prefault_stop. */
int prefault_watch(struct prefault *pf, void *base, size_t len);

/* Region k is filled up to offset used (bytes from base): the helper maps
 * a little ahead of it.  Cheap; any thread; pf may be NULL, k -1. */
void prefault_used(struct prefault *pf, int k, size_t used);

/* Stops watching region k, once a step on it under way is over, and
 * returns how far from its base pages were mapped: the caller may then
 * remap the rest.  0 when pf is NULL or k -1. */
size_t prefault_release(struct prefault *pf, int k);

/* Stops the helper and frees pf (NULL: nothing). */
void prefault_stop(struct prefault *pf);

/*
 * Reusing drained pages.  An array that is filled at its back while its
 * front is read for the last time (the loader's rows and events, once the
 * inserts have passed them) need not take fresh pages at all: the huge
 * pages behind the reading are moved (mremap) to where the filling goes
 * next, holding stale bytes the filling overwrites.  The front is left
 * unmapped: nothing may read it again.
 */
#define PREFAULT_HUGE (2u << 20)

struct prefault_reuse {
	unsigned char *base; /* PREFAULT_HUGE aligned */
	size_t len;          /* a multiple of PREFAULT_HUGE */
	size_t back;         /* the pages below are settled: mapped, or left to fault */
	size_t front;        /* the pages below were moved away */
	struct prefault *pf; /* the helper watching the range, until the first move */
	int *pf_k;           /* its region number (set to -1 then) */
	int off;             /* a move failed: the rest faults as usual */
	size_t moved;        /* bytes moved, for --times */
};

/* Starts reusing for [base, base + len), of which filled bytes are
 * written; pf, *pf_k: the helper watching it, or NULL. */
void prefault_reuse_init(struct prefault_reuse *u, void *base, size_t len, size_t filled,
			 struct prefault *pf, int *pf_k);

/* The filling is about to write below upto: 1 when pages must be settled
 * first (prefault_reuse). */
static inline int prefault_reuse_due(const struct prefault_reuse *u, size_t upto)
{
	return upto > u->back;
}

/* Settles the pages below upto, moving there the pages wholly below
 * drained (nothing reads there any more, nor will) when there are any.
 * The caller is the only one writing at or past the back. */
void prefault_reuse(struct prefault_reuse *u, size_t upto, size_t drained);

#endif
