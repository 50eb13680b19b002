/*
 * kinds.h - memcheck's leak kinds for the blocks live when a program
 * ended, from the recorder's pointer scan (FORMAT.md, "Scan chunks").
 *
 *   still reachable  a chain of pointers to blocks' starts leads to it from
 *                    a root (static data, a stack, a register, TLS, memory
 *                    the program mapped itself)
 *   possibly lost    only chains that use a pointer into its interior do
 *   indirectly lost  only pointers from lost blocks lead to it
 *   definitely lost  no pointer leads to it
 *
 * The rules are memcheck's (valgrind's manual, "Looking for memory leaks"),
 * cycles and its default heuristics included: an interior pointer to a
 * std::string's characters (stdstring), past a length (length64) or an
 * element count (newarray), or to a second base of a C++ object
 * (multipleinheritance) counts as a pointer to the start.
 *
 * Pure computation on what the caller feeds it: no SQLite, no I/O.  Not
 * thread-safe; one classification per lk_scan.
 */
#ifndef CZPROF_LIB_ANALYSIS_KINDS_H
#define CZPROF_LIB_ANALYSIS_KINDS_H

#include <stddef.h>
#include <stdint.h>

enum lk_kind {
	LK_UNKNOWN = 0, /* not classified (no scan) */
	LK_DEFINITE = 1,
	LK_INDIRECT = 2,
	LK_POSSIBLE = 3,
	LK_REACHABLE = 4,
};

enum lk_heuristic {
	LK_H_NONE = 0,
	LK_H_STDSTRING,
	LK_H_LENGTH64,
	LK_H_NEWARRAY,
	LK_H_MULTIPLE_INHERITANCE,
};

/* "definite", "indirect", "possible", "reachable" (LK_UNKNOWN: "unknown") */
const char *lk_kind_name(enum lk_kind k);
/* memcheck's names: "stdstring", "length64"...; NULL for LK_H_NONE */
const char *lk_heuristic_name(enum lk_heuristic h);
/* The kind named by s (as lk_kind_name gives it), or LK_UNKNOWN. */
enum lk_kind lk_kind_parse(const char *s);

struct lk_block {
	uint64_t addr, size;
	uint64_t time; /* when it was allocated: blocks newer than the scan are
			* never judged lost (still reachable) */
};

struct lk_result {
	enum lk_kind kind;
	enum lk_heuristic heuristic; /* reachable only through this heuristic */
	uint64_t indirect_bytes;     /* definite: the bytes indirectly lost through it */
	size_t leader;               /* indirect: the index of the definitely lost block
				      * whose loss took it along */
};

struct lk_scan;

/* A classification of blocks[0..n) (any order; copied).  Returns NULL
 * when out of memory.  Caller frees it with lk_free. */
struct lk_scan *lk_new(const struct lk_block *blocks, size_t n);
void lk_free(struct lk_scan *s);

/* What the scan found, in the order of the trace: a region, then the
 * words found in it.  kind: czt_scan_kind (0 root, 1 allocator memory).
 * Each returns 0, or -1 when out of memory. */
int lk_region(struct lk_scan *s, uint64_t lo, uint64_t hi, unsigned kind);
int lk_word(struct lk_scan *s, uint64_t where, uint64_t value);
int lk_context(struct lk_scan *s, uint64_t where, uint64_t value);
int lk_vtable(struct lk_scan *s, uint64_t where);

/* Feeds one record of a SCAN chunk (format/czt.h: CZT_REC_SCAN_REGION,
 * _WORDS, _CONTEXT, _VTABLES; others are ignored) through the four calls
 * above.  Returns 0, 1 when a list is damaged (the scan then cannot be
 * trusted), or -1 when out of memory. */
struct czt_record;
int lk_feed(struct lk_scan *s, const struct czt_record *r);

/* Classifies every block; scan_time: when the scan began.  Returns 0, or
 * -1 when out of memory.  Then
 * lk_result(s, i) is block i's (i as given to lk_new), valid until
 * lk_free. */
int lk_classify(struct lk_scan *s, uint64_t scan_time);
const struct lk_result *lk_result(const struct lk_scan *s, size_t i);
/* Block i's size, as given to lk_new. */
uint64_t lk_block_size(const struct lk_scan *s, size_t i);

#endif
