/*
 * errors.h - heap errors found by the engine's pairing (engine.h): frees of addresses never allocated, double frees,
 * reallocs of freed blocks, and blocks released by the wrong family
 * (new/free, new[]/delete, malloc/delete).  cli/load_errors.h writes them
 * into the `heap_errors` table (SCHEMA.md).
 *
 * The pairing keeps a freed block's address in its map until the address
 * is allocated again, with a load_freed record (engine.h): what a second
 * release needs to say about the first.  Memory therefore grows with the
 * addresses freed and not reused, not with the number of events.
 *
 * When a free of an unknown address is an error: only in an image the
 * recorder saw whole (the flags of its image record, FORMAT.md), at an address
 * that is not one of the blocks the image held before recording began
 * (its early-block records), and only if no event was lost (then every
 * such error, double frees included, is left out: the lost events may
 * be the allocations).  Anything else (an older trace, a forked child,
 * a recorder started late) may free blocks it never saw allocated.
 *
 * One thread at a time: the pairing fills it, its caller reads it after.
 */
#ifndef CZPROF_LIB_ANALYSIS_ERRORS_H
#define CZPROF_LIB_ANALYSIS_ERRORS_H

#include <stddef.h>
#include <stdint.h>

/* Who made a block (and, the same numbers, who released it): the
 * CZT_OP_* family bits. */
enum { LOAD_FAM_C = 0, LOAD_FAM_NEW = 1, LOAD_FAM_NEW_ARRAY = 2 };

/* The releasing call, as the table names it. */
enum load_call { LOAD_CALL_FREE, LOAD_CALL_DELETE, LOAD_CALL_DELETE_ARRAY, LOAD_CALL_REALLOC };

enum load_error_kind {
	LOAD_ERR_INVALID_FREE = 1, /* an address never allocated */
	LOAD_ERR_DOUBLE_FREE,      /* a block released twice */
	LOAD_ERR_REALLOC_FREED,    /* realloc of a block already released */
	LOAD_ERR_MISMATCH,         /* released by another family than made it */
};

#define LOAD_NO_STACK UINT32_MAX /* a stack index that is not known */

/* A block released once, while its address is not allocated again: one
 * per such address, so kept to 32 bytes. */
struct load_freed {
	uint64_t time, size;
	uint32_t thread;                  /* thread table index (engine.h) */
	uint32_t alloc_stack, stack;      /* stack table indexes (stack 0: not recorded) */
	uint8_t alloc_family, call;       /* LOAD_FAM_*, enum load_call */
};

struct load_error {
	uint64_t addr, time, size;    /* size: the block's, 0 unknown */
	uint64_t tid;                 /* the bad call's thread (kernel tid) */
	uint32_t stack;               /* the bad call's (0: not recorded) */
	uint8_t kind, call;
	uint8_t has_alloc, alloc_family;
	uint32_t alloc_stack;
	uint8_t alloc_fn;             /* the allocation's fn (load_fn_name), 0 unknown */
	uint8_t has_free, free_call;  /* the first release, for a second one */
	uint64_t free_time, free_tid; /* free_tid: kernel tid */
	uint32_t free_stack;
};

#define LOAD_ERRORS_MAX 100000 /* kept; more are counted only */

struct load_errors {
	struct load_error *errs;
	size_t n_errs, cap_errs;
	uint64_t more;          /* errors beyond LOAD_ERRORS_MAX */
	uint8_t *whole;         /* by image: seen whole from its start */
	size_t cap_whole;
	struct early_addr { uint64_t img, addr; } *early;
	size_t n_early, cap_early;
	int any_start;          /* an image record with flags (3.4) was read */
};

/* What the trace says of image img (engine.h: exec count): whole or not,
 * and a block it held before recording began.  0, or -1 out of memory. */
int load_errors_image(struct load_errors *x, uint64_t img, int whole);
int load_errors_early(struct load_errors *x, uint64_t img, uint64_t addr);

/* Whether an unknown address freed in image img is an error (see above). */
int load_errors_unknown_is_error(const struct load_errors *x, uint64_t img, uint64_t addr);


/* Adds an error; 0, or -1 out of memory. */
int load_errors_add(struct load_errors *x, const struct load_error *e);


void load_errors_release(struct load_errors *x);

/* The table's text for a family's allocation, a call, a kind. */
const char *load_family_alloc_name(unsigned family);
const char *load_call_name(unsigned call);
const char *load_error_kind_name(unsigned kind);

#endif
