/*
 * rec_layout.c - the stack-layout cache: most allocations are made from a
 * stack that was seen before, so instead of unwinding it again (DWARF
 * unwinding costs ~8 ns per frame, ~200 ns for a 25-deep stack) the
 * recorder checks that it is still there.
 *
 * Every frame of a stack keeps its return address in a slot on the thread's
 * stack.  Once a stack has been unwound, the cache remembers where those
 * slots were (offsets from the innermost one) and what they held.  Next
 * time an allocation is made with the innermost slot at the same address
 * holding the same return address, reading the remembered slots and finding
 * the same return addresses proves the same call chain, by induction from
 * the innermost frame: a return address fixes the function and the call
 * site in it, the unwind tables fix that function's frame size at that
 * call site, so the next slot is where it was last time, and its value
 * fixes the next function.
 *
 * That holds only for frames whose size the unwind tables fix (the frame
 * address is the stack pointer plus a constant: rec_cfi.c).  A frame that
 * is found through the frame pointer may change size between calls
 * (alloca, variable-length arrays, over-aligned locals); a stack through
 * one could then be reached with the innermost slot at the same address
 * along another path, leaving the remembered slots holding the same values
 * (a function pointer called from one place, reaching the varying frame
 * directly or through one more function whose frame the growth makes up
 * for).  Such stacks, and any the tables do not describe, are never
 * remembered: they are unwound every time.  CZPROF_CHECK_STACKS makes the
 * recorder unwind the remembered stacks too and count disagreements;
 * tests/progs/rec_shapes.c is built to find them.
 */
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "lib/recorder/rec.h"

#define SETS 128
#define WAYS 16
#define FRAMES 64              /* deeper stacks are unwound every time */
#define MAX_SPAN (512 * 1024)  /* bytes from the innermost slot to the outermost */
#define SIZES 1024             /* frame sizes remembered per thread */

struct layout_key {
	uintptr_t slot0; /* address of the innermost return address; 0 = empty */
	uintptr_t ret0;  /* the return address found there */
};

struct layout {
	uint32_t node;           /* the stack node these frames intern to */
	uint16_t n;              /* frames, innermost first */
	uint16_t hint;           /* the frame that told it apart last time, 0: none yet */
	union {
		struct {         /* frames sized by the unwind tables */
			uint16_t off[FRAMES]; /* slot of frame k, in words above slot0 */
			uintptr_t ip[FRAMES]; /* the return address it held */
		} cfi;
		struct {         /* a frame-pointer chain (CZPROF_UNWIND=fp) */
			/* where the walk ended on a record whose return
			 * address is below 4096 (which is read again), or NULL */
			const uintptr_t *end_ret;
			/* frame record k: { saved frame pointer, return
			 * address }, record 0 lies just below slot0;
			 * aligned for 16-byte compares */
			uintptr_t rec[FRAMES][2] __attribute__((aligned(16)));
		} chain;
	};
};

struct frame_size {
	uintptr_t ret;  /* 0: empty */
	uint32_t bytes; /* rec_cfi_frame_size(ret) */
};

struct rec_layouts {
	struct layout_key key[SETS][WAYS]; /* kept apart: a set's keys are two cache lines */
	uint8_t victim[SETS];
	struct layout way[SETS][WAYS];
	struct frame_size sizes[SIZES];
};

size_t rec_layouts_size(void)
{
	return sizeof(struct rec_layouts);
}

void rec_layouts_clear(struct rec_layouts *c)
{
	memset(c->key, 0, sizeof(c->key));
	memset(c->sizes, 0, sizeof(c->sizes));
}

/* rec_cfi_frame_size, remembered: reading the tables costs ~0.3 us */
static uint32_t frame_size(struct rec_layouts *c, uintptr_t ret)
{
	struct frame_size *f = &c->sizes[(ret * 0x9E3779B97F4A7C15ull) >> 54 & (SIZES - 1)];
	if (f->ret != ret) {
		f->bytes = rec_cfi_frame_size(ret);
		f->ret = ret;
	}
	return f->bytes;
}

static unsigned set_of(uintptr_t slot0, uintptr_t ret0)
{
	uint64_t h = ((uint64_t)slot0 >> 3) * 0x9E3779B97F4A7C15ull ^ (uint64_t)ret0 * 0xC2B2AE3D27D4EB4Full;
	return (unsigned)(h >> 57) & (SETS - 1);
}

/* Frame i of l is still on the stack at slot0. */
static inline int cfi_holds(const struct layout *l, const uintptr_t *slot0, unsigned i)
{
	return slot0[l->cfi.off[i]] == l->cfi.ip[i];
}

/* Every frame of l from 1 on is still on the stack at slot0 (frame 0 is
 * the key).  Almost every call is a hit, so the frames are compared
 * without a branch each: the differences are or-ed together, two frames a
 * step, and looked at once.  Every slot lies on this thread's stack (see
 * below), so reading past a difference is harmless. */
static inline int cfi_all_hold(const struct layout *l, const uintptr_t *slot0)
{
	const uint16_t *off = l->cfi.off;
	const uintptr_t *ip = l->cfi.ip;
	uintptr_t diff = 0, diff2 = 0;
	unsigned i = 1, n = l->n;
	for (; i + 1 < n; i += 2) {
		diff |= slot0[off[i]] ^ ip[i];
		diff2 |= slot0[off[i + 1]] ^ ip[i + 1];
	}
	if (i < n)
		diff |= slot0[off[i]] ^ ip[i];
	return !(diff | diff2);
}

/* Frame record *p of a layout still holds what it held; it lies where the
 * record before it points, which is checked in its turn. */
static inline int record_holds(const uintptr_t (*p)[2])
{
	const uintptr_t *r = (const uintptr_t *)p[-1][0];
	return !((r[0] ^ p[0][0]) | (r[1] ^ p[0][1]));
}

/* Records 1 to n-1 of l all hold (record 0 is checked with the key), as
 * cfi_all_hold: without a branch per record. */
static inline int chain_all_hold(const struct layout *l)
{
	const uintptr_t (*rec)[2] = l->chain.rec;
	unsigned i = 1, n = l->n;
#if defined(__SSE2__)
	/* one 16-byte compare a record: equal 32-bit lanes stay all ones */
	__m128i same = _mm_set1_epi32(-1), same2 = same;
	for (; i + 1 < n; i += 2) {
		__m128i a = _mm_loadu_si128((const __m128i *)rec[i - 1][0]);
		__m128i b = _mm_loadu_si128((const __m128i *)rec[i][0]);
		same = _mm_and_si128(same, _mm_cmpeq_epi32(a, _mm_load_si128((const __m128i *)rec[i])));
		same2 = _mm_and_si128(same2, _mm_cmpeq_epi32(b, _mm_load_si128((const __m128i *)rec[i + 1])));
	}
	if (i < n) {
		__m128i a = _mm_loadu_si128((const __m128i *)rec[i - 1][0]);
		same = _mm_and_si128(same, _mm_cmpeq_epi32(a, _mm_load_si128((const __m128i *)rec[i])));
	}
	return _mm_movemask_epi8(_mm_and_si128(same, same2)) == 0xffff;
#else
	uintptr_t diff = 0;
	for (; i < n; i++) {
		const uintptr_t *r = (const uintptr_t *)rec[i - 1][0];
		diff |= (r[0] ^ rec[i][0]) | (r[1] ^ rec[i][1]);
	}
	return !diff;
#endif
}

/* The frame that tells l apart from what is on the stack now: the
 * outermost that differs (walks that start outermost reject it there
 * first), 0 if none does. */
static __attribute__((noinline)) uint16_t outermost_change(const struct layout *l,
							    const uintptr_t *slot0, int chain)
{
	for (unsigned i = l->n - 1; i > 0; i--)
		if (chain ? !record_holds(l->chain.rec + i) : !cfi_holds(l, slot0, i))
			return (uint16_t)i;
	return 0;
}

/*
 * Candidates for slot0 are the layouts stored under the same innermost slot
 * and return address; stacks sharing their innermost frame differ further
 * out (in the callers of a common function), so each candidate is first
 * checked at the frame where it last failed (its hint), then whole.  A
 * wrong candidate then usually costs one compare.  Every slot was checked
 * to lie on this thread's stack when the layout was added, and the cache
 * dies with the thread, so the frames can be read in any order.  Ways fill
 * in order and are only emptied all at once: the first empty one ends the
 * search.
 *
 * One walker serves both kinds of layout (chain: CZPROF_UNWIND=fp, see
 * rec_layouts_add_chain); it is inlined into each entry point with chain
 * a constant.
 */
static inline __attribute__((always_inline)) uint32_t find(struct rec_layouts *c,
							   const uintptr_t *slot0, int chain)
{
	uintptr_t s0 = (uintptr_t)slot0, r0 = *slot0;
	unsigned set = set_of(s0, r0);
	const struct layout_key *k = c->key[set], *kend = k + WAYS;
	struct layout *l = c->way[set];
	for (; k < kend && k->slot0; k++, l++) {
		if (k->slot0 != s0 || k->ret0 != r0)
			continue;
		if (chain) {
			/* record 0 (its return address is the key) and the
			 * hint first */
			if (slot0[-1] != l->chain.rec[0][0] ||
			    (l->hint && !record_holds(l->chain.rec + l->hint)))
				continue;
			if (l->chain.end_ret && *l->chain.end_ret >= 4096)
				continue;
			if (REC_LIKELY(chain_all_hold(l)))
				return l->node;
		} else {
			if (l->hint && !cfi_holds(l, slot0, l->hint))
				continue;
			if (REC_LIKELY(cfi_all_hold(l, slot0)))
				return l->node;
		}
		l->hint = outermost_change(l, slot0, chain);
	}
	return 0;
}

uint32_t rec_layouts_find(struct rec_layouts *c, const uintptr_t *slot0)
{
	return find(c, slot0, 0);
}

/* The way to store a new layout for (slot0, its return address) in: an
 * empty one, else each in turn. */
static struct layout *claim(struct rec_layouts *c, const uintptr_t *slot0)
{
	unsigned set = set_of((uintptr_t)slot0, *slot0);
	unsigned w = c->victim[set]++ % WAYS;
	for (unsigned i = 0; i < WAYS; i++)
		if (!c->key[set][i].slot0) {
			w = i;
			break;
		}
	c->key[set][w].slot0 = (uintptr_t)slot0;
	c->key[set][w].ret0 = *slot0;
	return &c->way[set][w];
}

void rec_layouts_add(struct rec_layouts *c, const uintptr_t *slot0, uintptr_t stack_hi,
		     void *const *ips, int n, int cut, uint32_t node)
{
	if (n <= 0 || n > FRAMES || !node || (uintptr_t)ips[0] != *slot0)
		return;
	struct layout l;
	l.node = node;
	l.n = (uint16_t)n;
	l.hint = 0;
	l.cfi.off[0] = 0;
	l.cfi.ip[0] = *slot0;
	uintptr_t limit = (uintptr_t)slot0 + MAX_SPAN;
	if (limit > stack_hi)
		limit = stack_hi;
	const uintptr_t *p = slot0;
	for (int k = 1; k < n; k++) {
		uint32_t bytes = frame_size(c, (uintptr_t)ips[k - 1]);
		if (bytes < sizeof(uintptr_t))
			return; /* a frame of varying or unknown size */
		p = (const uintptr_t *)((uintptr_t)p + bytes);
		if ((uintptr_t)(p + 1) > limit || *p != (uintptr_t)ips[k])
			return; /* not where the tables say: leave it to the unwinder */
		l.cfi.off[k] = (uint16_t)(p - slot0);
		l.cfi.ip[k] = (uintptr_t)ips[k];
	}
	/* the unwinder stopped because the tables say so, not for a reason
	 * that could change from call to call */
	if (!cut && frame_size(c, (uintptr_t)ips[n - 1]) != REC_CFI_OUTERMOST)
		return;
	struct layout *to = claim(c, slot0);
	memcpy(to, &l, offsetof(struct layout, cfi.off) + (size_t)n * sizeof(l.cfi.off[0]));
	memcpy(to->cfi.ip, l.cfi.ip, (size_t)n * sizeof(l.cfi.ip[0]));
}

/*
 * A frame-pointer walk (CZPROF_UNWIND=fp) reads nothing but the frame
 * records it visits: starting from the same record, it gives the same
 * frames as long as those records hold what they held, and it ends for the
 * same reason.  So the cache keeps the records themselves and compares
 * them; no unwind tables are involved.  Every address it reads was a
 * record the walk found on this thread's stack, so reading it again is
 * safe however the stack changed since.
 */
uint32_t rec_layouts_find_chain(struct rec_layouts *c, const uintptr_t *slot0)
{
	return find(c, slot0, 1);
}

void rec_layouts_add_chain(struct rec_layouts *c, const uintptr_t *slot0, uintptr_t stack_hi,
			   void *const *ips, int n, int cut, uint32_t node)
{
	if (n <= 0 || n > FRAMES || !node)
		return;
	struct layout l;
	l.node = node;
	l.n = (uint16_t)n;
	l.hint = 0;
	l.chain.end_ret = NULL;
	const uintptr_t *r = slot0 - 1;
	for (int k = 0;; k++) {
		if (r[1] != (uintptr_t)ips[k])
			return; /* not the walk's frames: leave it to the walk */
		l.chain.rec[k][0] = r[0];
		l.chain.rec[k][1] = r[1];
		if (k == n - 1)
			break;
		const uintptr_t *next = (const uintptr_t *)r[0];
		if (next <= r)
			return;
		r = next;
	}
	/* why the walk ended: the depth limit, or the saved frame pointer of
	 * the last record (compared above: pointing down the stack, off it or
	 * misaligned), or a readable record after it whose return address is
	 * too small to be one (read again on each hit) */
	const uintptr_t *next = (const uintptr_t *)r[0];
	uintptr_t at = (uintptr_t)next;
	if (!cut && next > r && at + 2 * sizeof(uintptr_t) <= stack_hi &&
	    !(at & (sizeof(uintptr_t) - 1))) {
		if (next[1] >= 4096)
			return; /* the walk would have gone on */
		l.chain.end_ret = next + 1;
	}
	memcpy(claim(c, slot0), &l, offsetof(struct layout, chain.rec) + (size_t)n * sizeof(l.chain.rec[0]));
}
