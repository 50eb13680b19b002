/*
 * arenas.h - the one model of libczalloc's allocators (arenas, fixed
 * buffers, pools, debug allocators...) as a trace tells of them through
 * its CZT_REC_CZ_* records: each allocator's figures, and its blocks while
 * they are open.
 *
 * The engine (engine.h) drives it: a CZ record is staged when it is read
 * (an_arenas_stage copies what the merge's 32-byte event cannot hold) and
 * applied when the merge hands its event out in the global order of
 * FORMAT.md (an_arenas_apply).  Its memory follows the live allocators,
 * their open blocks and the records the merge holds: never the number of
 * records.  A block that ends is handed to the `ended` callback and
 * forgotten, and so is an allocator once destroyed (`destroyed`); the
 * allocators and blocks still there at the end are what the array `a` and
 * an_arenas_open give.
 *
 * Ids: allocator, string and stack ids of an image after an exec are
 * shifted by AN_IMAGE_SHIFT (engine.h) times the images before it, as the
 * engine shifts stack ids; an exec ends every open block of the old image.
 *
 * Everything here belongs to one thread.  No output: callers report.
 */
#ifndef CZPROF_LIB_ANALYSIS_ARENAS_H
#define CZPROF_LIB_ANALYSIS_ARENAS_H

#include <stddef.h>
#include <stdint.h>

#include "format/czt.h"
#include "lib/analysis/idmap.h"

/* How an allocator block ended (cz_blocks.ended_by): a debug allocator's
 * destroy ends only the blocks it reported as leaked, which reports tell
 * apart from the blocks an arena's destroy releases on purpose. */
enum an_cz_end {
	AN_CZ_FREE,    /* its allocator freed it */
	AN_CZ_RESIZE,  /* a resize moved or resized it: a new block follows */
	AN_CZ_REUSE,   /* a block was made at its address: its free was never told */
	AN_CZ_RESET,   /* its allocator was reset */
	AN_CZ_DESTROY, /* its allocator was destroyed */
	AN_CZ_EXEC,    /* the program exec'd */
};

/* "free", "resize", "reuse", "reset", "destroy", "exec". */
const char *an_cz_end_name(unsigned how);

/* The allocator kind's name ("arena", "fixed", "pool"...; "?" unknown):
 * the numbers libczalloc's CZT_REC_CZ_NEW records carry. */
const char *an_allocator_kind_name(uint64_t kind);

/* One allocator, from the first record that names it until its destroy.
 * The figures are those after the records applied so far. */
struct an_allocator {
	int in_use;          /* this slot of an_arenas.a holds an allocator */
	uint64_t id;         /* image-shifted */
	uint64_t parent;     /* the allocator it takes memory from (id), 0: none */
	uint64_t kind;       /* libczalloc's number; an_allocator_kind_name */
	uint64_t name;       /* string id (image-shifted), 0: none */
	uint64_t stack;      /* stack node id (image-shifted) it was made at, 0: none */
	uint64_t created;    /* its CZ_NEW's time (0: not seen) */
	uint64_t destroyed;  /* its CZ_DESTROY's time, when is_destroyed */
	int is_destroyed;
	uint64_t allocations;     /* blocks made (a resize makes none) */
	uint64_t bytes_requested; /* their sizes, and what resizes grew them by */
	uint64_t live_blocks, live_bytes; /* open now */
	uint64_t peak_bytes;      /* the most live_bytes ever was */
	uint64_t capacity;        /* memory it holds now (CZ_RESET, CZ_CAPACITY; 0 once destroyed) */
	uint64_t peak_capacity;
	uint64_t resets;
	size_t open_head;         /* its newest open block: index + 1 (the model's own) */
	size_t next_free;         /* a free slot: the next one's index + 1 (the model's own) */
};

/* One allocator block while it is open. */
struct an_cz_block {
	uint64_t addr, size, time; /* time: made at */
	uint64_t stack;            /* stack node id (image-shifted), 0: none */
	uint64_t n;                /* from 1: the order blocks were made in */
	uint32_t allocator;        /* index into an_arenas.a */
	size_t prev, next;         /* its allocator's open blocks: index + 1 (the model's own) */
};

/* Called with each block as it ends, at time, how (enum an_cz_end); a
 * is its allocator.  Both are the model's, valid during the call only.  A
 * non-zero return stops the call that applied the record and is returned
 * by it. */
typedef int (*an_cz_ended_fn)(void *ctx, const struct an_allocator *a, const struct an_cz_block *b,
			      uint64_t time, unsigned how);

union an_cz_slot;   /* arenas.c */
union an_cz_staged; /* arenas.c */

/* Called with an allocator once its destroy is applied (its blocks have
 * ended), before it is forgotten: a is valid during the call only.  A
 * non-zero return as an_cz_ended_fn's. */
typedef int (*an_cz_destroyed_fn)(void *ctx, const struct an_allocator *a);

struct an_arenas {
	/* ---- results: the allocators not destroyed, in a[i] with in_use set
	 * (a destroyed one's slot is free, or another's since) ---- */
	struct an_allocator *a;
	size_t n_a;       /* slots */
	size_t live;      /* slots in use */
	uint64_t blocks;  /* blocks made (n of the latest) */

	/* ---- the model's own ---- */
	an_cz_ended_fn ended;         /* or NULL */
	an_cz_destroyed_fn destroyed; /* or NULL */
	void *ctx;                    /* both callbacks' */
	size_t cap_a, free_a;         /* free_a: index + 1 of a free slot, 0: none */
	struct idmap ids;          /* allocator id -> index into a */
	union an_cz_slot *b;       /* open blocks, free entries chained */
	size_t n_b, cap_b, free_b; /* free_b: index + 1 of a free entry, 0: none */
	struct { uint64_t addr; uint32_t allocator; uint32_t block; } *open; /* (allocator, addr) -> block + 1 */
	size_t open_cap, open_used;
	union an_cz_staged *st;    /* staged records, free entries chained */
	size_t n_st, cap_st, free_st;
};

/* Zero-initialised is empty; set ended, destroyed and ctx to be told of
 * ended blocks and destroyed allocators.  an_arenas_release frees what it
 * holds and empties it. */
void an_arenas_release(struct an_arenas *z);

/* Copies CZ record r (CZT_REC_CZ_ALLOC..CZT_REC_CZ_CAPACITY) read in the
 * image whose ids are shifted by img, until it is applied; *slot names it.
 * 0, or -1 out of memory. */
int an_arenas_stage(struct an_arenas *z, const struct czt_record *r, uint64_t img, uint32_t *slot);

/* Applies the record staged in slot at time, in the global order, and
 * forgets it.  0, -1 out of memory, or a callback's non-zero return. */
int an_arenas_apply(struct an_arenas *z, uint32_t slot, uint64_t time);

/* An exec at time: every open block ends (AN_CZ_EXEC); the old image's
 * allocators stay, as they were.  0 or the ended callback's return. */
int an_arenas_exec(struct an_arenas *z, uint64_t time);

/* Calls fn with each open block and its allocator (valid during the call),
 * in the order they were made.  0, -1 out of memory, or fn's non-zero
 * return. */
int an_arenas_open(const struct an_arenas *z,
		   int (*fn)(void *ctx, const struct an_allocator *a, const struct an_cz_block *b), void *ctx);

#endif
