/*
 * cz_debug_table.h - the debug allocator's records of blocks, by address:
 * an open-addressing table (backward-shift deletion) whose memory comes
 * from mmap, never from the program's heap, so that a profile of a program
 * using the debug allocator shows only the program's blocks.  One table
 * holds the live blocks, another the freed ones whose metadata is kept.
 * Not installed; not thread-safe (the allocator's lock covers it).
 */
#ifndef CZ_DEBUG_TABLE_H
#define CZ_DEBUG_TABLE_H

#include <stddef.h>
#include <stdint.h>

struct cz__rec {
	uintptr_t addr;   /* 0: an empty slot */
	size_t len, align;
	int n_alloc, n_free;
	int held;         /* freed and waiting in the quarantine */
	void **stacks;    /* n_alloc allocation frames, then n_free free frames */
};

struct cz__table {
	struct cz__rec *r;
	void **frames;    /* slots per record, owned by the table */
	size_t cap, used, slots;
};

/* An empty table whose records keep up to slots frames (0: none). */
void cz__table_init(struct cz__table *t, size_t slots);
/* Gives its memory back; the table is then empty. */
void cz__table_release(struct cz__table *t);
/* The record of addr, or NULL.  Valid until the next add or remove. */
struct cz__rec *cz__table_find(struct cz__table *t, uintptr_t addr);
/* Makes room for one more record; 0, or -1 when out of memory. */
int cz__table_reserve(struct cz__table *t);
/* A new record for addr (not in the table) with no frames; needs a
 * reserve first.  Valid until the next add or remove. */
struct cz__rec *cz__table_add(struct cz__table *t, uintptr_t addr);
void cz__table_remove(struct cz__table *t, struct cz__rec *r);

#endif
