/*
 * load_rows.h - the loader's in-memory events and rows (cli/load.c builds
 * them) and the statement that copies the rows into the `allocations`
 * table (cli/load_rows.c).
 *
 * A big trace holds tens of millions of events, so events and rows are
 * kept small: memory traffic and page faults, not arithmetic, set the
 * pace of a load.  An event's position in the event array is its file
 * order; a row names its events instead of copying their fields.
 */
#ifndef CZ_LOAD_ROWS_H
#define CZ_LOAD_ROWS_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "format/czt.h"

struct load_ev {
	uint64_t time, addr, size;
	uint32_t stack;         /* index into the stack table (0: no stack) */
	uint32_t tid : 24;      /* index into the thread table */
	uint32_t fn : 5;        /* an allocation: CZT_REC_* of the call, or
				 * LOAD_FN_NEW/LOAD_FN_NEW_ARRAY; a free: bit 0
				 * set once the pairing found the block it ended
				 * (then size is that block's size), bits 1-2
				 * the releasing family (LOAD_FAM_*, delete and
				 * delete[]) */
	uint32_t kind : 2;      /* EV_* */
	uint32_t realloc : 1;   /* the free part of a realloc, or its allocation
				 * part when a free part came just before it */
};

#define LOAD_MAX_THREADS (1u << 24)

enum { EV_ALLOC, EV_FREE, EV_EXEC /* every live block is gone */ };

#define NO_EV UINT32_MAX

/* Whether x, at file position xi, comes before y, at yi, in the global
 * order of FORMAT.md: time, then frees (anything but an allocation)
 * first, then file order. */
static inline int load_ev_before(const struct load_ev *x, uint32_t xi, const struct load_ev *y,
				 uint32_t yi)
{
	if (x->time != y->time)
		return x->time < y->time;
	if ((x->kind != EV_ALLOC) != (y->kind != EV_ALLOC))
		return x->kind != EV_ALLOC;
	return xi < yi;
}

/* A row carries what the allocations table needs of its free, copied by
 * the pairing when it meets the free: the inserts then read rows in order
 * and never jump to a free event far down the event array. */
struct load_row {
	uint64_t free_time;
	uint32_t ev;           /* the allocation event */
	uint32_t alloc_seq;
	uint32_t free_seq;     /* NO_EV while live, ROW_EARLY once inserted live
				* (see below); stored last */
	uint32_t realloc_from; /* row index + 1 of the block it replaced, 0 none */
	uint32_t free_tid : 24; /* thread table index that ended it */
	uint32_t temporary : 1;
	uint32_t stack;        /* its event's stack, at hand when the row ends */
};

struct load_thread {
	uint64_t tid, start, end, allocs, bytes;
	int64_t last_alloc;    /* row index of its latest allocation */
	uint32_t realloc_row;  /* row index + 1 closed by its latest realloc's free part */
};

/*
 * The rows are inserted while the pairing pass still makes them: the
 * pairing thread publishes each new row by raising rows_ready, and ends a
 * row by storing its free_seq last; both with release stores, read here
 * with acquire loads.  A row goes into the database once it has ended or
 * the pairing is done (then a row still live is a leak).  The row array
 * is sized for every allocation event before the pairing starts, so it
 * never moves.
 *
 * A block that lives long would hold every row after it back, and with
 * them the memory of the whole trace: a program's first blocks are often
 * never freed.  So a row still live when the pairing is early_lead
 * (LOAD_EARLY_LEAD) rows further, with nearly all rows after it final,
 * goes in early, as live: the inserts swap its free_seq from NO_EV to
 * ROW_EARLY and copy what the pairing needs of it to early[] (its row and
 * event may be reused behind the inserts).  The pairing swaps free_seq
 * too when it ends an old row, so exactly one side sees the other's
 * mark; an early row it ends later goes on its list of late frees,
 * written into the table with UPDATEs at the end.  At most early_cap rows
 * go in early; then the inserts wait as before.
 */
#define ROW_EARLY (UINT32_MAX - 1)
#define LOAD_EARLY_LEAD (64u << 10)

struct load_early {
	uint32_t row;   /* row index */
	uint32_t tid;   /* its allocation's thread table index */
	uint32_t stack; /* its allocation's stack table index */
	uint64_t size;  /* its allocation's size */
};

struct load_rows {
	const struct load_ev *evs;
	const uint64_t *stacks; /* stack node id by stack table index */
	struct load_row *rows;  /* the inserts write only free_seq (ROW_EARLY) */
	const struct load_thread *threads;
	size_t rows_ready;      /* rows made so far (atomic) */
	size_t drained;         /* rows below this are in the database and read
				 * no more, nor are their events (atomic; written
				 * here every few thousand rows) */
	struct load_early *early; /* rows inserted early, by row; early_cap of room */
	size_t early_cap;
	size_t n_early;         /* entries of early published (atomic) */
	size_t early_lead;      /* LOAD_EARLY_LEAD (tests set less) */
	int done;               /* the pairing made every row (atomic) */
	int stop;               /* the rows are not wanted: end now (atomic) */
};

/* The fn of a block made by the C++ operators (numbers no record type
 * has below 32). */
#define LOAD_FN_NEW 8
#define LOAD_FN_NEW_ARRAY 9
#define LOAD_FREE_MATCHED 1u  /* a free's fn: it ended a block */
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

/* The family (LOAD_FAM_* of load_errors.h) of an allocation's fn. */
static inline unsigned load_fn_family(unsigned fn)
{
	return fn == LOAD_FN_NEW ? 1u : fn == LOAD_FN_NEW_ARRAY ? 2u : 0u;
}

/* Publishing, for the pairing pass. */
static inline void load_rows_made(struct load_rows *src, size_t n)
{
	__atomic_store_n(&src->rows_ready, n, __ATOMIC_RELEASE);
}

/* Ends row r at order position seq; its other free fields are set. */
static inline void load_row_ended(struct load_row *r, uint32_t seq)
{
	__atomic_store_n(&r->free_seq, seq, __ATOMIC_RELEASE);
}

/* Ends a row the inserts may have taken early (see above); returns
 * whether they had: then the table has it as live. */
static inline int load_row_ended_old(struct load_row *r, uint32_t seq)
{
	return __atomic_exchange_n(&r->free_seq, seq, __ATOMIC_ACQ_REL) == ROW_EARLY;
}

/* The inserts' side: takes a live row early, unless it has just ended. */
static inline int load_row_take_early(struct load_row *r)
{
	uint32_t live = NO_EV;
	return __atomic_compare_exchange_n(&r->free_seq, &live, ROW_EARLY, 0, __ATOMIC_ACQ_REL,
					   __ATOMIC_ACQUIRE);
}

static inline int load_row_freed(const struct load_row *r)
{
	return r->free_seq < ROW_EARLY;
}

/* The pairing's view: the entry of row r if the inserts took it early,
 * or NULL.  Only rows early_lead behind the newest may be there. */
static inline const struct load_early *load_rows_early(const struct load_rows *src, uint32_t r)
{
	size_t n = __atomic_load_n(&src->n_early, __ATOMIC_ACQUIRE), lo = 0, hi = n;
	while (lo < hi) { /* entries come in row order */
		size_t mid = lo + (hi - lo) / 2;
		if (src->early[mid].row < r)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && src->early[lo].row == r ? &src->early[lo] : NULL;
}

static inline void load_rows_done(struct load_rows *src)
{
	__atomic_store_n(&src->done, 1, __ATOMIC_RELEASE);
}

static inline void load_rows_stop(struct load_rows *src)
{
	__atomic_store_n(&src->stop, 1, __ATOMIC_RELEASE);
}

/* Appends every row of src to db's empty `allocations` table, ids 1..n in
 * order, inside the caller's transaction, waiting for rows that are not
 * final yet (see above), and telling how far it got in src->drained.
 * src must stay valid until this returns.  Returns 0, or -1 after
 * reporting the database error. */
int load_rows_insert(sqlite3 *db, struct load_rows *src);

#endif
