/*
 * czt_scan.h - the lists of a SCAN chunk (FORMAT.md, "Scan chunks"): what
 * the recorder found in the process's memory at exit, from which the
 * analysis tells leaked blocks from blocks still in use.
 *
 * A list is a run of entries, each a zigzag varint of the change in its
 * address counted in 8-byte words, then (WORDS and CONTEXT lists) a zigzag
 * varint of the change in its value; both start from 0 in every list.
 * Addresses are 8-byte aligned.  Nothing here allocates or prints.
 */
#ifndef CZT_SCAN_H
#define CZT_SCAN_H

#include <stdint.h>

#include "format/czt.h"

/* What a region's words are (SCAN_REGION.kind). */
enum czt_scan_kind {
	CZT_SCAN_ROOT = 0, /* static data, stacks, TLS, the program's own mappings:
			    * a word found here outside any heap block is a root */
	CZT_SCAN_HEAP = 1, /* the allocator's own memory: a word here outside a live
			    * block is stale (a freed chunk) or the allocator's */
};

/* Most bytes of one list; an entry takes at most CZT_SCAN_ENTRY_MAX. */
#define CZT_SCAN_LIST_MAX 65536
#define CZT_SCAN_ENTRY_MAX 20

struct czt_scan_cursor {
	uint64_t where, value; /* the last entry's */
};

/* Appends an entry at p (room for CZT_SCAN_ENTRY_MAX bytes) and returns
 * the end; with_value 0 for VTABLES lists. */
static inline uint8_t *czt_scan_put(uint8_t *p, struct czt_scan_cursor *c, uint64_t where,
				    uint64_t value, int with_value)
{
	p = czt_put_varint(p, czt_zigzag((int64_t)(where - c->where) / 8));
	c->where = where;
	if (with_value) {
		p = czt_put_varint(p, czt_zigzag((int64_t)(value - c->value)));
		c->value = value;
	}
	return p;
}

struct czt_scan_reader {
	const uint8_t *p, *end;
	struct czt_scan_cursor c;
	int with_value;
};

/* Reads the list [list, list+len) of a record of the given type
 * (CZT_REC_SCAN_WORDS, _CONTEXT or _VTABLES); the bytes must outlive it. */
void czt_scan_reader_init(struct czt_scan_reader *r, unsigned type, const uint8_t *list,
			  size_t len);

/* The next entry: CZT_OK with *where (and *value, 0 in VTABLES lists)
 * set, CZT_EOF at the end, or CZT_ERR_CORRUPT. */
int czt_scan_next(struct czt_scan_reader *r, uint64_t *where, uint64_t *value);

#endif
