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
 * Only address space reserved beforehand (and never moved) can be
 * watched: the helper touches nothing the caller has not told it about.
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
 * every slot is taken.  The range must stay mapped until prefault_stop. */
int prefault_watch(struct prefault *pf, void *base, size_t len);

/* Region k is filled up to offset used (bytes from base): the helper maps
 * a little ahead of it.  Cheap; any thread; pf may be NULL, k -1. */
void prefault_used(struct prefault *pf, int k, size_t used);

/* Stops the helper and frees pf (NULL: nothing). */
void prefault_stop(struct prefault *pf);

#endif
