/*
 * kinds.c - memcheck's leak classification over the scan's pointer graph
 * (kinds.h).  The words the scan found become edges: from the block that
 * holds the word, or from the roots when the word lies outside every live
 * block in memory that is not the allocator's.  Then, as memcheck does:
 *   1. mark from the roots: a pointer to a block's start (or one a
 *      heuristic accepts) from a root or a reachable block makes it
 *      reachable; any other pointer to an unmarked block makes it possible,
 *      and what a possible block points to is possible at best;
 *   2. every block still unmarked, in address order, leads a clique: it is
 *      definitely lost, and each unmarked block reached from it is
 *      indirectly lost and its bytes counted to the leader (a leader
 *      reached later joins the later clique, so a cycle has one leader).
 */
#include <stdlib.h>
#include <string.h>

#include "format/czt.h"
#include "format/czt_scan.h"
#include "lib/analysis/kinds.h"
#include "lib/base/grow.h"

struct edge {
	uint32_t from; /* block index (sorted order); UINT32_MAX: a root */
	uint32_t to;
	uint64_t value;
};

struct pair {
	uint64_t where, value;
};

struct lk_scan {
	struct lk_block *b; /* sorted by address */
	uint32_t *orig;     /* b[i] is the caller's block orig[i] */
	size_t n;
	uint64_t scan_time;
	struct lk_result *res; /* by the caller's index */
	uint64_t *size_of;     /* by the caller's index */
	unsigned kind;         /* the current region's */
	struct edge *e;
	size_t n_e, cap_e;
	struct pair *ctx;
	size_t n_ctx, cap_ctx;
	uint64_t *vt;
	size_t n_vt, cap_vt;
	int failed;
	ptrdiff_t last_holder; /* the holder of the last word, -1 none */
};

const char *lk_kind_name(enum lk_kind k)
{
	switch (k) {
	case LK_DEFINITE: return "definite";
	case LK_INDIRECT: return "indirect";
	case LK_POSSIBLE: return "possible";
	case LK_REACHABLE: return "reachable";
	default: return "unknown";
	}
}

enum lk_kind lk_kind_parse(const char *s)
{
	for (int k = LK_DEFINITE; k <= LK_REACHABLE; k++)
		if (!strcmp(s, lk_kind_name((enum lk_kind)k)))
			return (enum lk_kind)k;
	return LK_UNKNOWN;
}

const char *lk_heuristic_name(enum lk_heuristic h)
{
	switch (h) {
	case LK_H_STDSTRING: return "stdstring";
	case LK_H_LENGTH64: return "length64";
	case LK_H_NEWARRAY: return "newarray";
	case LK_H_MULTIPLE_INHERITANCE: return "multipleinheritance";
	default: return NULL;
	}
}

static const struct lk_block *sort_base;
static int by_addr(const void *x, const void *y)
{
	const struct lk_block *a = &sort_base[*(const uint32_t *)x], *b = &sort_base[*(const uint32_t *)y];
	return a->addr < b->addr ? -1 : a->addr > b->addr;
}

struct lk_scan *lk_new(const struct lk_block *blocks, size_t n)
{
	struct lk_scan *s = calloc(1, sizeof(*s));
	if (!s || n >= UINT32_MAX)
		goto fail;
	s->n = n;
	s->b = malloc((n ? n : 1) * sizeof(*s->b));
	s->orig = malloc((n ? n : 1) * sizeof(*s->orig));
	s->res = calloc(n ? n : 1, sizeof(*s->res));
	s->size_of = malloc((n ? n : 1) * sizeof(*s->size_of));
	if (!s->b || !s->orig || !s->res || !s->size_of)
		goto fail;
	for (size_t i = 0; i < n; i++)
		s->size_of[i] = blocks[i].size;
	s->last_holder = -1;
	for (size_t i = 0; i < n; i++)
		s->orig[i] = (uint32_t)i;
	sort_base = blocks;
	if (n)
		qsort(s->orig, n, sizeof(*s->orig), by_addr);
	for (size_t i = 0; i < n; i++)
		s->b[i] = blocks[s->orig[i]];
	return s;
fail:
	lk_free(s);
	return NULL;
}

void lk_free(struct lk_scan *s)
{
	if (!s)
		return;
	free(s->b);
	free(s->orig);
	free(s->res);
	free(s->size_of);
	free(s->e);
	free(s->ctx);
	free(s->vt);
	free(s);
}

/* The block whose start is the greatest at or below a, or -1. */
static ptrdiff_t floor_block(const struct lk_scan *s, uint64_t a)
{
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (s->b[mid].addr <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (ptrdiff_t)lo - 1;
}

/* The block a pointer with this value points into (its start, or inside
 * it; a zero-sized block only by its start), or -1. */
static ptrdiff_t pointee(const struct lk_scan *s, uint64_t v)
{
	ptrdiff_t i = floor_block(s, v);
	/* several zero-sized blocks cannot share an address, but a zero-sized
	 * block may start where the previous block ends */
	if (i < 0)
		return -1;
	const struct lk_block *b = &s->b[i];
	if (v - b->addr < b->size || v == b->addr)
		return i;
	return -1;
}

/* The block whose bytes hold the word at where, or -1. */
static ptrdiff_t holder(const struct lk_scan *s, uint64_t where)
{
	ptrdiff_t i = floor_block(s, where);
	if (i < 0 || where - s->b[i].addr >= s->b[i].size)
		return -1;
	return i;
}

int lk_region(struct lk_scan *s, uint64_t lo, uint64_t hi, unsigned kind)
{
	(void)lo;
	(void)hi;
	s->kind = kind;
	return 0;
}

/* Where glibc's malloc puts the header of the chunk after a block of this
 * size: a block whose size is not a multiple of 16 may use the first bytes
 * of that header, so a pointer malloc keeps to the next chunk (its top
 * chunk, a free chunk in a bin; in libc's own data) points inside the
 * block.  memcheck, whose allocator is its own, never sees those. */
static uint64_t next_chunk_at(uint64_t size)
{
	uint64_t chunk = (size + 8 + 15) & ~(uint64_t)15;
	return (chunk < 32 ? 32 : chunk) - 16;
}

int lk_word(struct lk_scan *s, uint64_t where, uint64_t value)
{
	ptrdiff_t to = pointee(s, value);
	if (to < 0)
		return 0;
	/* words come in address order: most lie in the block the last did */
	ptrdiff_t from = s->last_holder;
	if (from < 0 || where - s->b[from].addr >= s->b[from].size)
		from = s->last_holder = holder(s, where);
	if (from < 0 && s->kind != 0)
		return 0; /* the allocator's memory: stale, or its own */
	if (from < 0 && value != s->b[to].addr && value - s->b[to].addr == next_chunk_at(s->b[to].size))
		return 0; /* malloc's own pointer to the next chunk */
	struct edge e = { from < 0 ? UINT32_MAX : (uint32_t)from, (uint32_t)to, value };
	if (s->n_e && !memcmp(&s->e[s->n_e - 1], &e, sizeof(e)))
		return 0; /* the same pointer again: it changes nothing */
	if (array_grow((void **)&s->e, &s->cap_e, s->n_e, sizeof(*s->e)))
		return s->failed = -1;
	s->e[s->n_e++] = e;
	return 0;
}

int lk_context(struct lk_scan *s, uint64_t where, uint64_t value)
{
	if (array_grow((void **)&s->ctx, &s->cap_ctx, s->n_ctx, sizeof(*s->ctx)))
		return s->failed = -1;
	s->ctx[s->n_ctx++] = (struct pair){ where, value };
	return 0;
}

int lk_vtable(struct lk_scan *s, uint64_t where)
{
	if (array_grow((void **)&s->vt, &s->cap_vt, s->n_vt, sizeof(*s->vt)))
		return s->failed = -1;
	s->vt[s->n_vt++] = where;
	return 0;
}

int lk_feed(struct lk_scan *s, const struct czt_record *r)
{
	if (r->type == CZT_REC_SCAN_REGION)
		return lk_region(s, r->start, r->end, (unsigned)r->how);
	if (r->type != CZT_REC_SCAN_WORDS && r->type != CZT_REC_SCAN_CONTEXT &&
	    r->type != CZT_REC_SCAN_VTABLES)
		return 0;
	struct czt_scan_reader rd;
	czt_scan_reader_init(&rd, r->type, r->str, r->str_len);
	uint64_t where, value;
	int rc;
	while ((rc = czt_scan_next(&rd, &where, &value)) == CZT_OK) {
		int err = r->type == CZT_REC_SCAN_WORDS ? lk_word(s, where, value)
			  : r->type == CZT_REC_SCAN_CONTEXT ? lk_context(s, where, value)
							    : lk_vtable(s, where);
		if (err)
			return -1;
	}
	return rc == CZT_EOF ? 0 : 1;
}

static int pair_cmp(const void *x, const void *y)
{
	const struct pair *a = x, *b = y;
	return a->where < b->where ? -1 : a->where > b->where;
}

static int u64_cmp(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return a < b ? -1 : a > b;
}

static int edge_cmp(const void *x, const void *y)
{
	const struct edge *a = x, *b = y;
	return a->from < b->from ? -1 : a->from > b->from;
}

/* The word the scan saw at where, for the heuristics. */
static int context(const struct lk_scan *s, uint64_t where, uint64_t *value)
{
	struct pair key = { where, 0 };
	if (!s->n_ctx)
		return 0;
	const struct pair *p = bsearch(&key, s->ctx, s->n_ctx, sizeof(*s->ctx), pair_cmp);
	if (!p)
		return 0;
	*value = p->value;
	return 1;
}

static int is_vtable_at(const struct lk_scan *s, uint64_t where)
{
	return s->n_vt && bsearch(&where, s->vt, s->n_vt, sizeof(*s->vt), u64_cmp) != NULL;
}

/* memcheck's heuristics, in its order, for an interior pointer v into b. */
static enum lk_heuristic heuristic(const struct lk_scan *s, const struct lk_block *b, uint64_t v)
{
	uint64_t len, cap, n;
	/* std::string of the old ABI: length, capacity, refcount, chars, NUL */
	if (v == b->addr + 24 && context(s, b->addr + 8, &cap) && 24 + cap + 1 == b->size &&
	    context(s, b->addr, &len) && len <= cap)
		return LK_H_STDSTRING;
	if (v == b->addr + 8 && context(s, b->addr, &n)) {
		if (n > 0 && b->size - 8 == n)
			return LK_H_LENGTH64; /* e.g. sqlite's own allocation size */
		if (n > 0 && (b->size - 8) % n == 0)
			return LK_H_NEWARRAY; /* new[] of objects with destructors */
	}
	if (!(v & 7) && is_vtable_at(s, v) && is_vtable_at(s, b->addr))
		return LK_H_MULTIPLE_INHERITANCE;
	return LK_H_NONE;
}

/* Marking state, per block in address order. */
enum { UNREACHED, POSSIBLE, REACHABLE, INDIRECT };

struct marker {
	struct lk_scan *s;
	unsigned char *state, *pending;
	enum lk_heuristic *heur;
	uint32_t *stack;
	size_t top;
	size_t *first; /* edges of block i: e[first[i] .. first[i+1]) */
	uint64_t *indirect;
	uint32_t *clique_of;
};

static void push(struct marker *m, uint32_t i)
{
	if (!m->pending[i]) {
		m->pending[i] = 1;
		m->stack[m->top++] = i;
	}
}

/* memcheck's lc_push_without_clique_if_a_chunk_ptr */
static void reach(struct marker *m, uint32_t to, uint64_t value, int prior_definite)
{
	const struct lk_block *b = &m->s->b[to];
	if (m->state[to] == REACHABLE) {
		if (value == b->addr)
			m->heur[to] = LK_H_NONE; /* reached by its start after all */
		return;
	}
	int via_start = value == b->addr;
	if (!via_start) {
		m->heur[to] = heuristic(m->s, b, value);
		via_start = m->heur[to] != LK_H_NONE;
	}
	if (via_start && prior_definite) {
		m->state[to] = REACHABLE;
		push(m, to);
	} else if (m->state[to] == UNREACHED) {
		m->state[to] = POSSIBLE;
		push(m, to);
	}
}

static void mark(struct marker *m, int clique)
{
	const struct lk_scan *s = m->s;
	while (m->top) {
		uint32_t i = m->stack[--m->top];
		m->pending[i] = 0;
		int prior_definite = m->state[i] != POSSIBLE;
		for (size_t k = m->first[i]; k < m->first[i + 1]; k++) {
			uint32_t to = s->e[k].to;
			if (clique < 0) {
				reach(m, to, s->e[k].value, prior_definite);
			} else if (m->state[to] == UNREACHED && to != (uint32_t)clique) {
				push(m, to);
				m->indirect[clique] += s->b[to].size + m->indirect[to];
				m->indirect[to] = 0;
				m->state[to] = INDIRECT;
				m->clique_of[to] = (uint32_t)clique;
			}
		}
	}
}

int lk_classify(struct lk_scan *s, uint64_t scan_time)
{
	s->scan_time = scan_time;
	if (s->failed)
		return -1;
	size_t n = s->n;
	if (s->n_ctx)
		qsort(s->ctx, s->n_ctx, sizeof(*s->ctx), pair_cmp);
	if (s->n_vt)
		qsort(s->vt, s->n_vt, sizeof(*s->vt), u64_cmp);
	/* edges by the block holding them; the roots (UINT32_MAX) last */
	if (s->n_e)
		qsort(s->e, s->n_e, sizeof(*s->e), edge_cmp);
	struct marker m = { .s = s };
	m.state = calloc(n + 1, 1);
	m.pending = calloc(n + 1, 1);
	m.heur = calloc(n + 1, sizeof(*m.heur));
	m.stack = malloc((n + 1) * sizeof(*m.stack));
	m.first = malloc((n + 2) * sizeof(*m.first));
	m.indirect = calloc(n + 1, sizeof(*m.indirect));
	m.clique_of = calloc(n + 1, sizeof(*m.clique_of));
	int rc = -1;
	if (!m.state || !m.pending || !m.heur || !m.stack || !m.first || !m.indirect || !m.clique_of)
		goto out;
	size_t k = 0;
	for (size_t i = 0; i <= n; i++) {
		m.first[i] = k;
		while (k < s->n_e && s->e[k].from == i)
			k++;
	}
	m.first[n + 1] = k;
	size_t roots = k; /* s->e[roots ..] come from the roots */
	/* blocks allocated while the scan ran (other threads go on) cannot be
	 * judged: the scan may have passed the pointer to them already */
	for (size_t i = 0; i < n; i++)
		if (s->b[i].time >= s->scan_time) {
			m.state[i] = REACHABLE;
			push(&m, (uint32_t)i);
		}
	for (size_t e = roots; e < s->n_e; e++)
		reach(&m, s->e[e].to, s->e[e].value, 1);
	mark(&m, -1);
	for (size_t i = 0; i < n; i++)
		if (m.state[i] == UNREACHED) {
			push(&m, (uint32_t)i);
			mark(&m, (int)i);
		}
	for (size_t i = 0; i < n; i++) {
		struct lk_result *r = &s->res[s->orig[i]];
		switch (m.state[i]) {
		case UNREACHED:
			r->kind = LK_DEFINITE;
			r->indirect_bytes = m.indirect[i];
			break;
		case INDIRECT: {
			/* a leader that joined a later clique passes its members on */
			uint32_t l = m.clique_of[i];
			while (m.state[l] == INDIRECT)
				l = m.clique_of[l];
			r->kind = LK_INDIRECT;
			r->leader = s->orig[l];
			break;
		}
		case POSSIBLE: r->kind = LK_POSSIBLE; break;
		default:
			r->kind = LK_REACHABLE;
			r->heuristic = m.heur[i];
			break;
		}
	}
	rc = 0;
out:
	free(m.state);
	free(m.pending);
	free(m.heur);
	free(m.stack);
	free(m.first);
	free(m.indirect);
	free(m.clique_of);
	return rc;
}

const struct lk_result *lk_result(const struct lk_scan *s, size_t i)
{
	return &s->res[i];
}

uint64_t lk_block_size(const struct lk_scan *s, size_t i)
{
	return s->size_of[i];
}
