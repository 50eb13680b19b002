/*
 * live_cz.h - the allocator library's allocators in the live model
 * (CZT_REC_CZ_*): each allocator's live blocks and bytes, allocations,
 * capacity, resets.  Their blocks are not heap blocks: the memory they
 * carve up already came from malloc or mmap.
 *
 * Applied as read (file order), not merged with the heap's events.
 */
#ifndef CZ_LIVE_CZ_H
#define CZ_LIVE_CZ_H

#include "viewer/live.h"

struct live_cz;

/* NULL when out of memory; freed with live_cz_free. */
struct live_cz *live_cz_new(void);
void live_cz_free(struct live_cz *cz);

/* One CZT_REC_CZ_* record into m's allocators. */
void live_cz_record(struct live_model *m, const struct czt_record *r);

#endif
