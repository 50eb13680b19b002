/*
 * model.c - the column form of EVENTS chunks (czt_model.h, FORMAT.md
 * "Column chunks").
 *
 * Both directions walk the records with the same table of field kinds and
 * keep the same model state (the chunk's allocations, the recently freed
 * blocks of each size class, where the last allocation ended, the last
 * size of each stack), updated in the same order, so the splitter and the
 * joiner cannot disagree.  Fields are copied as the bytes they were written
 * with; a value the joiner computes from the model is re-encoded, and the
 * splitter uses the model only where re-encoding gives back the very same
 * bytes (the writer's varint was minimal), so the join is exact for any
 * well-formed payload.
 *
 * The splitter runs on the recorder's flusher thread for every event and
 * the joiner in every load, so both are written for speed: the layouts are
 * a table, the common records (allocations and frees) take the same field
 * functions as the rest but inlined into a path of their own.
 */
#include <string.h>

#include "format/czt.h"
#include "format/czt_layout.h"
#include "format/czt_model.h"

/* ---- record layouts ---- */

/*
 * The layouts are czt_layout.h's; each field letter has a kind there (its
 * `column`), in record order:
 *   T  a time delta (dt or dt_free)           -> TIMES, or FTIMES in a free
 *   S  a size                                 -> SIZES, or left out (hint)
 *   K  a stack id                             -> STACKS
 *   M  any other varint                       -> MISC
 *   A  the address of a block that now exists -> HINTS (+ ADDRS)
 *   R  the address of an existing block       -> REFS (+ FADDRS)
 *   B  both: a block resized in place         -> as R, then remembered as A
 */
#define MAX_FIELDS CZT_MAX_CORE_FIELDS
struct layout {
	char kinds[MAX_FIELDS + 1]; /* "": not a core record */
	int8_t a, s, k;             /* positions of A, S and K, -1 when absent */
};

/* Works out type's kinds from its letters into *l. */
static void layout_make(unsigned type, struct layout *l)
{
	const struct czt_layout *c = czt_core_layout(type);
	unsigned i = 0;
	l->a = l->s = l->k = -1;
	for (; c && i < c->nfields; i++) {
		char kind = czt_fields[(unsigned char)c->fields[i]].column;
		l->kinds[i] = kind;
		if (kind == 'A')
			l->a = (int8_t)i;
		else if (kind == 'S')
			l->s = (int8_t)i;
		else if (kind == 'K')
			l->k = (int8_t)i;
	}
	l->kinds[i] = 0;
}

/* The fewest payload bytes of a record that remembers an address (kinds
 * TASK and TBSK: five one-byte fields): bounds the list of allocations. */
#define MIN_REMEMBERING_RECORD 5

/* The stream (the first of CZT_PLANES for a varint column) of a plain field
 * other than a time (time_stream). */
static enum czt_stream stream_of(char kind)
{
	switch (kind) {
	case 'S': return CZT_S_SIZES;
	case 'K': return CZT_S_STACKS;
	default: return CZT_S_MISC;
	}
}

static int is_free(unsigned type)
{
	return type == CZT_REC_FREE || type == CZT_REC_CZ_FREE;
}

/* ---- model state ---- */

/* Size classes: 16-byte steps below 1000 bytes (glibc's chunk sizes, and
 * the small classes of most allocators are multiples of 16), then one
 * class per power of two. */
#define SMALL_CLASSES 64
#define CLASSES (SMALL_CLASSES + 55)
#define FREED_DEPTH 16 /* recently freed blocks kept per class: a power of 2 */

/* An allocation's hint: bit 0 set when its size is the last size its stack
 * asked for (and is left out); the rest says where its address comes from.
 * HINT_FREED + j: the j-th most recently freed block of its size class. */
enum { HINT_VERBATIM, HINT_AFTER_LAST, HINT_FREED };

/* The size the last allocation from a stack asked for: call sites mostly
 * allocate the same few sizes.  Direct-mapped; a collision is a miss. */
#define STACK_SIZES 4096

struct block {
	uint64_t addr, size;
};

struct stack_size {
	uint64_t stack, size;
	uint32_t gen;
};

/* A class's recently freed blocks: a ring, the most recent at head - 1. */
struct freed {
	uint64_t addr[FREED_DEPTH];
	uint32_t head, n;
};

struct model {
	/* each core type's kinds, worked out from czt_layouts once per
	 * scratch (the scratch comes zeroed): the join reads them per record */
	int layouts_made;
	struct layout layouts[0x40];
	uint32_t gen;        /* bumped per chunk: tells this chunk's stack sizes from older ones */
	uint32_t mask;       /* table slots - 1 */
	size_t list_cap;
	struct block *list;  /* blocks allocated in this chunk, in order */
	uint32_t *table;     /* splitter only: list position + 1 of an address, 0 = none */
	size_t n;            /* blocks in list */
	uint64_t addr;       /* the payload's running address */
	uint64_t last_end;   /* where the last allocation ended, as block_span counts */
	uint64_t last_dt[2]; /* the last dt of the frees' and the others' time columns */
	struct freed freed[CLASSES];
	struct stack_size stack_sizes[STACK_SIZES];
};

static size_t list_cap_for(size_t max_raw)
{
	return max_raw / MIN_REMEMBERING_RECORD + 2;
}

/* The splitter's index of the list is a cache: an address it has lost
 * (pushed out by others hashing near it) is written as a delta instead of
 * a reference, which costs bytes, never correctness.  A slot per 16 bytes
 * of payload: a chunk allocates a block per 12 bytes or more, and most
 * blocks a chunk frees were allocated shortly before.  Slots hold only
 * list positions (the list has the address), so that the table stays in
 * a core's second-level cache: it is probed at random. */
#define TABLE_PROBES 8

static size_t table_slots_for(size_t max_raw)
{
	size_t n = 1024;
	while (n < max_raw / 16)
		n *= 2;
	return n;
}

size_t czt_model_scratch_bytes(size_t max_raw)
{
	return sizeof(struct model) + list_cap_for(max_raw) * sizeof(struct block) +
	       table_slots_for(max_raw) * sizeof(uint32_t);
}

/* Lays the scratch out and starts a chunk.  The stack sizes survive
 * between chunks: the generation tells this chunk's entries from older
 * ones, so they are cleared only when first used or when the generations
 * wrap.  The splitter's table is cleared for each chunk. */
static struct model *model_start(void *mem, size_t max_raw, int with_table)
{
	struct model *m = mem;
	if (!m->layouts_made) {
		for (unsigned t = 0; t < 0x40; t++)
			layout_make(t, &m->layouts[t]);
		m->layouts_made = 1;
	}
	m->list_cap = list_cap_for(max_raw);
	m->list = (struct block *)(m + 1);
	m->n = 0;
	m->addr = m->last_end = 0;
	m->last_dt[0] = m->last_dt[1] = 0;
	for (unsigned c = 0; c < CLASSES; c++)
		m->freed[c].n = 0;
	if (++m->gen == 0) {
		memset(m->stack_sizes, 0, sizeof(m->stack_sizes));
		m->gen = 1;
	}
	m->table = NULL;
	if (with_table) {
		size_t slots = table_slots_for(max_raw);
		m->table = (uint32_t *)(m->list + m->list_cap);
		m->mask = (uint32_t)slots - 1;
		memset(m->table, 0, slots * sizeof(uint32_t));
	}
	return m;
}

/* The kinds of core type `type`, or NULL when it is not one. */
static inline const struct layout *layout_of(const struct model *m, unsigned type)
{
	return type < 0x40 && m->layouts[type].kinds[0] ? &m->layouts[type] : NULL;
}

static inline unsigned size_class(uint64_t size)
{
	if (size < 16 * SMALL_CLASSES - 24)
		return (unsigned)((size + 23) >> 4); /* glibc's chunk size / 16 */
	return SMALL_CLASSES - 10 + (unsigned)(64 - __builtin_clzll(size)); /* 64-118 */
}

/* Where an allocator that carves blocks one after another puts the next
 * one: glibc's chunks have an 8-byte header and 16-byte steps (at least 32
 * bytes); allocators without headers land a few bytes off, still close. */
static inline uint64_t block_span(uint64_t size)
{
	uint64_t span = (size + 8 + 15) & ~(uint64_t)15;
	return span < 32 ? 32 : span;
}

static inline uint32_t slot_of(uint64_t addr, uint32_t mask)
{
	return (uint32_t)((addr >> 3) * 0x9E3779B97F4A7C15ull >> 40) & mask;
}

/* Appends a block to the list (and, for the splitter, to the table). */
static inline int remember(struct model *m, uint64_t addr, uint64_t size)
{
	if (m->n == m->list_cap)
		return -1;
	m->list[m->n++] = (struct block){ addr, size };
	if (!m->table)
		return 0;
	uint32_t home = slot_of(addr, m->mask), i = home;
	for (unsigned probe = 0; probe < TABLE_PROBES; probe++, i = (i + 1) & m->mask) {
		uint32_t at = m->table[i];
		if (!at || m->list[at - 1].addr == addr)
			break;
	}
	if (m->table[i] && m->list[m->table[i] - 1].addr != addr)
		i = home; /* full around here: the home slot's block is forgotten */
	m->table[i] = (uint32_t)m->n;
	return 0;
}

/* The list position + 1 of addr's latest remembering, or 0. */
static inline size_t recall(const struct model *m, uint64_t addr)
{
	uint32_t i = slot_of(addr, m->mask);
	for (unsigned probe = 0; probe < TABLE_PROBES; probe++, i = (i + 1) & m->mask) {
		uint32_t at = m->table[i];
		if (!at)
			return 0;
		if (m->list[at - 1].addr == addr)
			return at;
	}
	return 0;
}

static inline uint64_t *freed_at(struct freed *f, unsigned j)
{
	return &f->addr[(f->head - 1 - j) & (FREED_DEPTH - 1)];
}

static inline void freed_push(struct freed *f, uint64_t addr)
{
	f->addr[f->head++ & (FREED_DEPTH - 1)] = addr;
	if (f->n < FREED_DEPTH)
		f->n++;
}

/* Where addr is in f (0 = the most recently freed), or -1. */
static inline int freed_find(struct freed *f, uint64_t addr)
{
	for (unsigned j = 0; j < f->n; j++)
		if (*freed_at(f, j) == addr)
			return (int)j;
	return -1;
}

/* Takes the j-th most recent block out: the more recent ones move down. */
static inline void freed_drop(struct freed *f, unsigned j)
{
	for (; j > 0; j--)
		*freed_at(f, j) = *freed_at(f, j - 1);
	f->head--;
	f->n--;
}

static inline int stack_size_get(const struct model *m, uint64_t stack, uint64_t *size)
{
	const struct stack_size *e = &m->stack_sizes[stack & (STACK_SIZES - 1)];
	if (e->gen != m->gen || e->stack != stack)
		return 0;
	*size = e->size;
	return 1;
}

static inline void stack_size_set(struct model *m, uint64_t stack, uint64_t size)
{
	m->stack_sizes[stack & (STACK_SIZES - 1)] = (struct stack_size){ stack, size, m->gen };
}

/*
 * What resolving an address field does to the model, in both directions
 * alike; a is the field's address, k the back-reference an R or B field
 * used (0: none), j where an A field's address is in its class's freed
 * list (-1: unknown, looked up here; -2: known not to be there).
 */
static inline void model_old_block(struct model *m, uint64_t a, uint64_t k)
{
	m->addr = a;
	if (k) { /* only a referenced block's size is known to both sides */
		const struct block *b = &m->list[m->n - k];
		freed_push(&m->freed[size_class(b->size)], b->addr);
	}
}

static inline int model_new_block(struct model *m, uint64_t a, uint64_t size, int j)
{
	struct freed *f = &m->freed[size_class(size)];
	if (j == -1)
		j = freed_find(f, a);
	if (j >= 0)
		freed_drop(f, (unsigned)j);
	m->addr = a;
	m->last_end = a + block_span(size);
	return remember(m, a, size);
}

/*
 * Times: a program's events come in rhythms (allocate a node, then its
 * key; free a value, then the entry that held it), so the time since the
 * previous event depends on what the previous gap was.  Each time column is
 * split by the size of the column's previous dt; the stream of a dt is
 * time_stream's, and time_seen moves the context on.
 */
static inline enum czt_stream time_stream(const uint64_t last_dt[2], unsigned type)
{
	int f = is_free(type);
	unsigned ctx = last_dt[f] >= 128;
	return (f ? CZT_S_FTIMES : CZT_S_TIMES) + ctx * CZT_PLANES;
}

static inline void time_seen(uint64_t last_dt[2], unsigned type, uint64_t dt)
{
	last_dt[is_free(type)] = dt;
}

/* ---- varints ---- */

static inline size_t varint_size(uint64_t v)
{
	size_t n = 1;
	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

struct rd { const uint8_t *p, *end; };
struct wr { uint8_t *p, *end; };

/* A varint as the payload spells it: its bytes and value. */
struct field {
	uint8_t b[10];
	uint8_t n;
	uint64_t v;
};

static inline void field_set(struct field *f, uint64_t v)
{
	f->v = v;
	f->n = (uint8_t)(czt_put_varint(f->b, v) - f->b);
}

/* Reads a varint whose byte i comes from stream r[min(i, planes - 1)]: a
 * plain stream (planes = 1) or the planes of a varint column.  -1 when a
 * stream runs out or the varint passes 10 bytes. */
static inline int field_take(struct rd *r, unsigned planes, struct field *f)
{
	if (r->p < r->end && *r->p < 0x80) { /* the common one-byte case */
		f->v = f->b[0] = *r->p++;
		f->n = 1;
		return 0;
	}
	uint64_t v = 0;
	for (unsigned i = 0; i < 10; i++) {
		struct rd *s = &r[i < planes - 1 ? i : planes - 1];
		if (s->p == s->end)
			return -1;
		uint8_t b = *s->p++;
		f->b[i] = b;
		v |= (uint64_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80)) {
			f->n = (uint8_t)(i + 1);
			f->v = v;
			return 0;
		}
	}
	return -1;
}

static inline int field_read(struct rd *r, struct field *f)
{
	return field_take(r, 1, f);
}

static inline int field_gather(struct rd *r, struct field *f)
{
	return field_take(r, CZT_PLANES, f);
}

/* The splitter reads a varint where it lies in the payload: a span. */
struct span {
	const uint8_t *p;
	unsigned n;
	uint64_t v;
};

/* Reads a varint from r into x.  -1 when it runs past r or 10 bytes. */
static inline int span_read(struct rd *r, struct span *x)
{
	const uint8_t *p = r->p;
	x->p = p;
	if (p < r->end && *p < 0x80) { /* the common one-byte case */
		x->v = *p;
		x->n = 1;
		r->p = p + 1;
		return 0;
	}
	uint64_t v = 0;
	for (unsigned i = 0; i < 10 && p + i < r->end; i++) {
		v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
		if (!(p[i] & 0x80)) {
			x->n = i + 1;
			x->v = v;
			r->p = p + i + 1;
			return 0;
		}
	}
	return -1;
}

/* Spreads n varint bytes over the planes of a varint column at w.  The
 * splitter's streams are sized for the worst case (czt_model_split_bytes),
 * so nothing is checked. */
static inline void spread(struct wr *w, const uint8_t *b, unsigned n)
{
	*w[0].p++ = b[0];
	for (unsigned i = 1; i < n; i++)
		*w[i < CZT_PLANES - 1 ? i : CZT_PLANES - 1].p++ = b[i];
}

static inline void span_spread(struct wr *w, const struct span *x)
{
	spread(w, x->p, x->n);
}

/* Spreads the minimal varint of v. */
static inline void spread_u(struct wr *w, uint64_t v)
{
	uint8_t b[10];
	spread(w, b, (unsigned)(czt_put_varint(b, v) - b));
}

static inline void span_put(struct wr *w, const struct span *x)
{
	memcpy(w->p, x->p, x->n);
	w->p += x->n;
}

static inline void put_u(struct wr *w, uint64_t v)
{
	w->p = czt_put_varint(w->p, v);
}

static inline int is_varint_column(enum czt_stream s)
{
	return s >= CZT_S_TIMES;
}

/* ---- split ---- */

size_t czt_model_streams_max(size_t raw_len)
{
	/* Per record, the streams take its bytes, less an address's, plus a
	 * hint and up to 10 bytes of re-encoded address for an allocation (5
	 * bytes or more), and a reference of up to 4 bytes for the address of
	 * an existing block (list positions stay below 2^28): never 4 times
	 * the record's bytes. */
	return 4 * raw_len + 16;
}

size_t czt_model_split_bytes(size_t raw_len)
{
	return CZT_STREAMS * czt_model_streams_max(raw_len);
}

struct splitter {
	struct model *m;
	struct wr w[CZT_STREAMS];
};

static inline void split_plain(struct splitter *sp, char kind, unsigned type,
			       const struct span *x)
{
	enum czt_stream s = kind == 'T' ? time_stream(sp->m->last_dt, type) : stream_of(kind);
	if (kind == 'T')
		time_seen(sp->m->last_dt, type, x->v);
	if (is_varint_column(s))
		span_spread(&sp->w[s], x);
	else
		span_put(&sp->w[s], x);
}

/* An A field x of an allocation of size; same: its size is left out. */
static inline int split_new_block(struct splitter *sp, const struct span *x, uint64_t size,
				  unsigned same)
{
	struct model *m = sp->m;
	uint64_t a = m->addr + (uint64_t)czt_unzigzag(x->v);
	/* the model may stand in for these bytes only if the joiner's
	 * re-encoding gives them back */
	int minimal = varint_size(x->v) == x->n;
	int j = minimal ? freed_find(&m->freed[size_class(size)], a) : -1;
	if (j >= 0) {
		put_u(&sp->w[CZT_S_HINTS], (HINT_FREED + (unsigned)j) << 1 | same);
	} else if (minimal) {
		put_u(&sp->w[CZT_S_HINTS], HINT_AFTER_LAST << 1 | same);
		spread_u(&sp->w[CZT_S_ADDRS], czt_zigzag((int64_t)(a - m->last_end)));
	} else {
		put_u(&sp->w[CZT_S_HINTS], HINT_VERBATIM << 1 | same);
		span_spread(&sp->w[CZT_S_ADDRS], x);
	}
	return model_new_block(m, a, size, j >= 0 || !minimal ? j : -2);
}

/* An R or B field x. */
static inline int split_old_block(struct splitter *sp, const struct span *x, char kind,
				  uint64_t size)
{
	struct model *m = sp->m;
	uint64_t a = m->addr + (uint64_t)czt_unzigzag(x->v);
	size_t at = varint_size(x->v) == x->n ? recall(m, a) : 0;
	uint64_t k = at ? m->n + 1 - at : 0;
	put_u(&sp->w[CZT_S_REFS], k);
	if (!k)
		span_spread(&sp->w[CZT_S_FADDRS], x);
	model_old_block(m, a, kind == 'R' ? k : 0);
	return kind == 'B' ? remember(m, a, size) : 0;
}

/* Whether an allocation's size (field s) may be left out: its stack asked
 * for it last, and the joiner's re-encoding gives its bytes back. */
static inline unsigned size_is_known(const struct model *m, const struct span *s,
				     const struct span *k)
{
	uint64_t last;
	return stack_size_get(m, k->v, &last) && last == s->v && varint_size(s->v) == s->n;
}

static int split_record(struct splitter *sp, struct rd *r, unsigned type)
{
	const struct layout *l = layout_of(sp->m, type);
	if (!l)
		return -1;
	struct span fl[MAX_FIELDS];
	const char *kinds = l->kinds;
	for (unsigned i = 0; kinds[i]; i++)
		if (span_read(r, &fl[i]))
			return -1;
	uint64_t size = l->s >= 0 ? fl[l->s].v : 0;
	unsigned same = l->a >= 0 ? size_is_known(sp->m, &fl[l->s], &fl[l->k]) : 0;
	for (unsigned i = 0; kinds[i]; i++) {
		char kind = kinds[i];
		int rc = 0;
		if (kind == 'A')
			rc = split_new_block(sp, &fl[i], size, same);
		else if (kind == 'R' || kind == 'B')
			rc = split_old_block(sp, &fl[i], kind, size);
		else if (!(same && (int)i == l->s))
			split_plain(sp, kind, type, &fl[i]);
		if (rc)
			return -1;
	}
	if (l->a >= 0)
		stack_size_set(sp->m, fl[l->k].v, size);
	return 0;
}

int czt_model_split(const uint8_t *src, size_t len, void *mem, void *scratch, size_t max_raw,
		    struct czt_streams *out)
{
	if (len > max_raw)
		return -1;
	struct splitter sp = { .m = model_start(scratch, max_raw, 1) };
	uint8_t *at = mem;
	size_t cap = czt_model_streams_max(max_raw);
	for (int s = 0; s < CZT_STREAMS; s++, at += cap)
		sp.w[s] = (struct wr){ out->s[s] = at, at + cap };
	struct rd r = { src, src + len };
	struct span x, y;
	if (span_read(&r, &x) || span_read(&r, &y)) /* tid, base_time */
		return -1;
	span_put(&sp.w[CZT_S_MISC], &x);
	span_put(&sp.w[CZT_S_MISC], &y);
	while (r.p < r.end) {
		unsigned type = *r.p++;
		*sp.w[CZT_S_OPS].p++ = (uint8_t)type;
		int rc = 0;
		if (type == CZT_REC_MALLOC) { /* the usual records, inlined */
			struct span t, a, s, k;
			if (span_read(&r, &t) || span_read(&r, &a) || span_read(&r, &s) ||
			    span_read(&r, &k))
				return -1;
			unsigned same = size_is_known(sp.m, &s, &k);
			split_plain(&sp, 'T', type, &t);
			rc = split_new_block(&sp, &a, s.v, same);
			if (!same)
				span_spread(&sp.w[CZT_S_SIZES], &s);
			span_spread(&sp.w[CZT_S_STACKS], &k);
			stack_size_set(sp.m, k.v, s.v);
		} else if (type == CZT_REC_FREE) {
			if (span_read(&r, &x) || span_read(&r, &y))
				return -1;
			split_plain(&sp, 'T', type, &x);
			rc = split_old_block(&sp, &y, 'R', 0);
		} else if (type >= 0x40) { /* length-prefixed: whole into MISC */
			if (span_read(&r, &x) || x.v > (uint64_t)(r.end - r.p))
				return -1;
			span_put(&sp.w[CZT_S_MISC], &x);
			memcpy(sp.w[CZT_S_MISC].p, r.p, x.v);
			sp.w[CZT_S_MISC].p += x.v;
			r.p += x.v;
		} else {
			rc = split_record(&sp, &r, type);
		}
		if (rc)
			return -1;
	}
	for (int s = 0; s < CZT_STREAMS; s++)
		out->len[s] = (size_t)(sp.w[s].p - out->s[s]);
	return 0;
}

/* ---- join ---- */

struct joiner {
	struct model *m;
	struct rd r[CZT_STREAMS];
	struct wr w;
};

static inline int take_u(struct rd *r, uint64_t *v)
{
	struct field f;
	if (field_read(r, &f))
		return -1;
	*v = f.v;
	return 0;
}

static inline int emit(struct wr *w, const void *p, size_t n)
{
	if (n > (size_t)(w->end - w->p))
		return -1;
	memcpy(w->p, p, n);
	w->p += n;
	return 0;
}

static inline int emit_field(struct wr *w, const struct field *f)
{
	return emit(w, f->b, f->n);
}

static inline int join_plain(struct joiner *jn, char kind, unsigned type, struct field *f)
{
	enum czt_stream s = kind == 'T' ? time_stream(jn->m->last_dt, type) : stream_of(kind);
	if (is_varint_column(s) ? field_gather(&jn->r[s], f) : field_read(&jn->r[s], f))
		return -1;
	if (kind == 'T')
		time_seen(jn->m->last_dt, type, f->v);
	return 0;
}

/* The hint of an A field, with its ADDRS delta when it has one; *same from
 * the hint's low bit. */
static inline int join_hint(struct joiner *jn, uint64_t *hint, struct field *f, unsigned *same)
{
	uint64_t h;
	if (take_u(&jn->r[CZT_S_HINTS], &h))
		return -1;
	*same = (unsigned)(h & 1);
	*hint = h >> 1;
	return *hint <= HINT_AFTER_LAST ? field_gather(&jn->r[CZT_S_ADDRS], f) : 0;
}

/* Resolves an A field of an allocation of size: f becomes its payload
 * bytes. */
static inline int join_new_block(struct joiner *jn, uint64_t hint, struct field *f, uint64_t size)
{
	struct model *m = jn->m;
	uint64_t a;
	if (hint == HINT_VERBATIM) {
		a = m->addr + (uint64_t)czt_unzigzag(f->v);
	} else {
		if (hint == HINT_AFTER_LAST) {
			a = m->last_end + (uint64_t)czt_unzigzag(f->v);
		} else {
			struct freed *fr = &m->freed[size_class(size)];
			if (hint - HINT_FREED >= fr->n)
				return -1;
			/* the newest entry of that address leaves the ring,
			 * which is this one as the recorder writes it */
			a = *freed_at(fr, (unsigned)(hint - HINT_FREED));
		}
		field_set(f, czt_zigzag((int64_t)(a - m->addr)));
	}
	return model_new_block(m, a, size, -1);
}

/* Reads an R or B field's reference, with its FADDRS delta when it has none. */
static inline int join_ref(struct joiner *jn, uint64_t *k, struct field *f)
{
	if (take_u(&jn->r[CZT_S_REFS], k))
		return -1;
	return *k ? 0 : field_gather(&jn->r[CZT_S_FADDRS], f);
}

/* Resolves an R or B field: f becomes its payload bytes. */
static inline int join_old_block(struct joiner *jn, uint64_t k, struct field *f, char kind,
				 uint64_t size)
{
	struct model *m = jn->m;
	uint64_t a;
	if (k) {
		if (k > m->n)
			return -1;
		a = m->list[m->n - k].addr;
		field_set(f, czt_zigzag((int64_t)(a - m->addr)));
	} else {
		a = m->addr + (uint64_t)czt_unzigzag(f->v);
	}
	model_old_block(m, a, kind == 'R' ? k : 0);
	return kind == 'B' ? remember(m, a, size) : 0;
}

/* The size of an allocation whose hint says its stack's last size. */
static inline int join_known_size(struct joiner *jn, const struct field *k, struct field *s)
{
	uint64_t last;
	if (!stack_size_get(jn->m, k->v, &last))
		return -1;
	field_set(s, last);
	return 0;
}

static int join_record(struct joiner *jn, unsigned type)
{
	const struct layout *l = layout_of(jn->m, type);
	if (!l)
		return -1;
	const char *kinds = l->kinds;
	struct field fl[MAX_FIELDS];
	uint64_t code[MAX_FIELDS], size = 0;
	unsigned same = 0;
	/* every field's input first: an address needs the size after it */
	for (unsigned i = 0; kinds[i]; i++) {
		char kind = kinds[i];
		int rc;
		if (kind == 'A')
			rc = join_hint(jn, &code[i], &fl[i], &same);
		else if (kind == 'R' || kind == 'B')
			rc = join_ref(jn, &code[i], &fl[i]);
		else if (same && (int)i == l->s)
			rc = 0; /* from the stack, once it is read */
		else
			rc = join_plain(jn, kind, type, &fl[i]);
		if (rc)
			return -1;
		if ((int)i == l->s && !same)
			size = fl[i].v;
	}
	if (same) {
		if (join_known_size(jn, &fl[l->k], &fl[l->s]))
			return -1;
		size = fl[l->s].v;
	}
	for (unsigned i = 0; kinds[i]; i++) {
		char kind = kinds[i];
		int rc = 0;
		if (kind == 'A')
			rc = join_new_block(jn, code[i], &fl[i], size);
		else if (kind == 'R' || kind == 'B')
			rc = join_old_block(jn, code[i], &fl[i], kind, size);
		if (rc)
			return -1;
	}
	if (l->a >= 0)
		stack_size_set(jn->m, fl[l->k].v, size);
	for (unsigned i = 0; kinds[i]; i++)
		if (emit_field(&jn->w, &fl[i]))
			return -1;
	return 0;
}

int czt_model_join(const struct czt_streams *in, uint8_t *dst, size_t raw_len, void *scratch,
		   size_t max_raw)
{
	if (raw_len > max_raw)
		return -1;
	struct joiner jn = { .m = model_start(scratch, max_raw, 0), .w = { dst, dst + raw_len } };
	for (int s = 0; s < CZT_STREAMS; s++)
		jn.r[s] = (struct rd){ in->s[s], in->s[s] + in->len[s] };
	struct rd *misc = &jn.r[CZT_S_MISC], *ops = &jn.r[CZT_S_OPS];
	struct field x, y;
	if (field_read(misc, &x) || field_read(misc, &y) || emit_field(&jn.w, &x) ||
	    emit_field(&jn.w, &y))
		return -1;
	while (ops->p < ops->end) {
		uint8_t type = *ops->p++;
		if (emit(&jn.w, &type, 1))
			return -1;
		int rc;
		if (type == CZT_REC_MALLOC) { /* the usual records, inlined */
			struct field t, a, s, k;
			uint64_t hint;
			unsigned same;
			rc = join_plain(&jn, 'T', type, &t) || join_hint(&jn, &hint, &a, &same) ||
			     field_gather(&jn.r[CZT_S_STACKS], &k) ||
			     (same ? join_known_size(&jn, &k, &s) : field_gather(&jn.r[CZT_S_SIZES], &s)) ||
			     join_new_block(&jn, hint, &a, s.v);
			if (!rc) {
				stack_size_set(jn.m, k.v, s.v);
				rc = emit_field(&jn.w, &t) || emit_field(&jn.w, &a) ||
				     emit_field(&jn.w, &s) || emit_field(&jn.w, &k);
			}
		} else if (type == CZT_REC_FREE) {
			uint64_t k;
			rc = join_plain(&jn, 'T', type, &x) || join_ref(&jn, &k, &y) ||
			     join_old_block(&jn, k, &y, 'R', 0) || emit_field(&jn.w, &x) ||
			     emit_field(&jn.w, &y);
		} else if (type >= 0x40) {
			rc = field_read(misc, &x) || x.v > (uint64_t)(misc->end - misc->p) ||
			     emit_field(&jn.w, &x) || emit(&jn.w, misc->p, x.v);
			if (!rc)
				misc->p += x.v;
		} else {
			rc = join_record(&jn, type);
		}
		if (rc)
			return -1;
	}
	for (int s = 0; s < CZT_STREAMS; s++)
		if (jn.r[s].p != jn.r[s].end)
			return -1;
	return jn.w.p == jn.w.end ? 0 : -1;
}

/* ---- scan ---- */

int czt_model_scan(const struct czt_streams *in, uint64_t base_time, uint64_t *events,
		   uint64_t *end_time)
{
	struct rd r[CZT_STREAMS];
	for (int s = 0; s < CZT_STREAMS; s++)
		r[s] = (struct rd){ in->s[s], in->s[s] + in->len[s] };
	struct rd *ops = &r[CZT_S_OPS];
	uint64_t n = 0, t = base_time, last_dt[2] = { 0, 0 };
	while (ops->p < ops->end) {
		unsigned type = *ops->p++;
		if (type >= 0x40)
			continue;
		const struct czt_layout *l = czt_core_layout(type);
		if (!l)
			return -1;
		/* the first T is the record's dt; a second one, dt_free, only
		 * moves the column's context on */
		for (unsigned i = 0; czt_fields[(unsigned char)l->fields[i]].column == 'T'; i++) {
			struct field f;
			if (field_gather(&r[time_stream(last_dt, type)], &f))
				return -1;
			time_seen(last_dt, type, f.v);
			if (i == 0)
				t += f.v;
		}
		n++;
	}
	*events += n;
	if (n && t > *end_time)
		*end_time = t;
	return 0;
}

/* ---- the stored payload's table ---- */

size_t czt_columns_header_put(uint8_t *dst, const size_t raw_len[CZT_STREAMS],
			      const size_t stored_len[CZT_STREAMS])
{
	uint8_t *p = czt_put_varint(dst, CZT_STREAMS);
	for (int s = 0; s < CZT_STREAMS; s++) {
		p = czt_put_varint(p, raw_len[s]);
		p = czt_put_varint(p, stored_len[s]);
	}
	return (size_t)(p - dst);
}

int czt_columns_header_get(const uint8_t **p, const uint8_t *end, size_t chunk_raw,
			   size_t raw_len[CZT_STREAMS], size_t stored_len[CZT_STREAMS])
{
	struct rd r = { *p, end };
	uint64_t n, total = 0, total_raw = 0;
	if (take_u(&r, &n) || n != CZT_STREAMS)
		return -1;
	for (int s = 0; s < CZT_STREAMS; s++) {
		uint64_t raw, stored;
		if (take_u(&r, &raw) || take_u(&r, &stored) || raw > CZT_CHUNK_MAX_RAW * 4 ||
		    stored > raw)
			return -1;
		raw_len[s] = (size_t)raw;
		stored_len[s] = (size_t)stored;
		total += stored;
		total_raw += raw;
	}
	if (total != (uint64_t)(end - r.p) || total_raw > czt_model_streams_max(chunk_raw))
		return -1;
	*p = r.p;
	return 0;
}
