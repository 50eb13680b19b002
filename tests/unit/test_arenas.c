/*
 * test_arenas.c - the allocators' model (lib/analysis/arenas.c) as the
 * engine drives it: records fed in file order come out in the global
 * order (time, releases first, file order), each allocator's figures are
 * exact, every block ends once and by what ended it, and the memory held
 * follows the open blocks, not the records.
 */
#include <stdlib.h>

#include "lib/analysis/engine.h"
#include "tests/unit.h"

/* The blocks that ended, as the callback was told. */
struct ended {
	uint64_t allocator, addr, size, made, time, n;
	unsigned how;
};

static struct ended ends[64];
static size_t n_ends;

static int on_ended(void *ctx, const struct an_allocator *a, const struct an_cz_block *b, uint64_t time,
		    unsigned how)
{
	(void)ctx;
	if (n_ends < 64)
		ends[n_ends] = (struct ended){ a->id, b->addr, b->size, b->time, time, b->n, how };
	n_ends++;
	return 0;
}

/* The allocators destroyed, as the callback was told. */
static struct an_allocator gone[4];
static size_t n_gone;

static int on_destroyed(void *ctx, const struct an_allocator *a)
{
	(void)ctx;
	if (n_gone < 4)
		gone[n_gone] = *a;
	n_gone++;
	return 0;
}

static struct an_engine en;

/* The merge waits lag ns (AN_LAG_ALL: until the end). */
static void begin_lag(uint64_t lag)
{
	n_ends = n_gone = 0;
	struct an_options o = { .merge_lag = lag, .cz_ended = on_ended, .cz_destroyed = on_destroyed };
	CHECK(an_engine_init(&en, &o) == 0);
}

static void begin(void)
{
	begin_lag(AN_LAG_ALL);
}

/* One record of its own chunk (so file order), as the decoder gives it. */
static void feed(unsigned type, uint64_t tid, uint64_t time, uint64_t allocator, uint64_t addr, uint64_t n)
{
	struct czt_record r;
	memset(&r, 0, sizeof(r));
	r.type = type;
	r.tid = tid;
	r.time = time;
	r.allocator = allocator;
	r.addr = addr;
	r.size = n;
	r.value = n;
	an_engine_chunk(&en);
	CHECK(an_engine_record(&en, &r, 0) == 0);
	CHECK(an_engine_chunk_end(&en) == 0);
}

static void feed_new(uint64_t tid, uint64_t time, uint64_t allocator, uint64_t kind, uint64_t parent,
		     uint64_t stack)
{
	struct czt_record r;
	memset(&r, 0, sizeof(r));
	r.type = CZT_REC_CZ_NEW;
	r.tid = tid;
	r.time = time;
	r.allocator = allocator;
	r.kind = kind;
	r.parent = parent;
	r.name = ((uint64_t)1 << 32) + allocator;
	r.stack = stack;
	an_engine_chunk(&en);
	CHECK(an_engine_record(&en, &r, 0) == 0);
}

static void feed_resize(uint64_t tid, uint64_t time, uint64_t allocator, uint64_t from, uint64_t to,
			uint64_t size)
{
	struct czt_record r;
	memset(&r, 0, sizeof(r));
	r.type = CZT_REC_CZ_RESIZE;
	r.tid = tid;
	r.time = time;
	r.allocator = allocator;
	r.old_addr = from;
	r.addr = to;
	r.size = size;
	an_engine_chunk(&en);
	CHECK(an_engine_record(&en, &r, 0) == 0);
}

static const struct an_allocator *allocator(uint64_t id)
{
	for (size_t i = 0; i < en.cz.n_a; i++)
		if (en.cz.a[i].in_use && en.cz.a[i].id == id)
			return &en.cz.a[i];
	return NULL;
}

static int count_open(void *ctx, const struct an_allocator *a, const struct an_cz_block *b)
{
	(void)a;
	(void)b;
	(*(size_t *)ctx)++;
	return 0;
}

static size_t open_blocks(void)
{
	size_t n = 0;
	CHECK(an_arenas_open(&en.cz, count_open, &n) == 0);
	return n;
}

/* Two threads' chunks alternate in the file, their times interleaved;
 * on equal times the release comes first whatever thread it is on and
 * wherever its chunk is, and within one thread the file order holds. */
TEST(threads_interleave_releases_first)
{
	begin();
	/* thread 1 makes the arena and a block at 0x100 at t=10 */
	feed_new(1, 1, 1, 3, 0, 7);
	feed(CZT_REC_CZ_ALLOC, 1, 10, 1, 0x100, 16);
	/* thread 2, earlier in the file than thread 1's free of the same
	 * nanosecond: a block at 0x100 at t=20, after that free (else it
	 * would end thread 1's block as reused) */
	feed(CZT_REC_CZ_ALLOC, 2, 20, 1, 0x100, 32);
	/* thread 1: the free at t=20, a block at 0x200 at t=30 */
	feed(CZT_REC_CZ_FREE, 1, 20, 1, 0x100, 0);
	feed(CZT_REC_CZ_ALLOC, 1, 30, 1, 0x200, 64);
	/* thread 2, later in the file: its free at t=30 comes before thread
	 * 1's allocation of t=30 (else the peak would be 32 + 64); at t=40
	 * an allocation and a free of one address, in file order */
	feed(CZT_REC_CZ_FREE, 2, 30, 1, 0x100, 0);
	feed(CZT_REC_CZ_ALLOC, 2, 40, 1, 0x300, 8);
	feed(CZT_REC_CZ_FREE, 2, 40, 1, 0x300, 0);
	CHECK(an_engine_finish(&en) == 0);
	CHECK_EQ_U(n_ends, 3);
	/* 16 B made at 10, freed at 20; 32 B made at 20 (block 2, after the
	 * free), freed at 30; 8 B made and freed at 40 */
	CHECK_EQ_U(ends[0].size, 16);
	CHECK_EQ_U(ends[0].time, 20);
	CHECK_EQ_U(ends[0].how, AN_CZ_FREE);
	CHECK_EQ_U(ends[1].size, 32);
	CHECK_EQ_U(ends[1].made, 20);
	CHECK_EQ_U(ends[1].time, 30);
	CHECK_EQ_U(ends[1].n, 2);
	CHECK_EQ_U(ends[1].how, AN_CZ_FREE);
	CHECK_EQ_U(ends[2].size, 8);
	CHECK_EQ_U(ends[2].n, 4); /* 0x200 (t=30) was block 3 */
	const struct an_allocator *a = allocator(1);
	CHECK(a != NULL);
	if (a) {
		CHECK_EQ_U(a->kind, 3);
		CHECK_STR(an_allocator_kind_name(a->kind), "arena");
		CHECK_EQ_U(a->name, ((uint64_t)1 << 32) + 1);
		CHECK_EQ_U(a->stack, 7);
		CHECK_EQ_U(a->created, 1);
		CHECK_EQ_U(a->allocations, 4);
		CHECK_EQ_U(a->bytes_requested, 16 + 32 + 64 + 8);
		CHECK_EQ_U(a->live_blocks, 1);
		CHECK_EQ_U(a->live_bytes, 64);
		/* at t=40: 64 + 8 */
		CHECK_EQ_U(a->peak_bytes, 72);
		CHECK(!a->is_destroyed);
	}
	CHECK_EQ_U(open_blocks(), 1);
	/* allocator records are not heap events */
	CHECK_EQ_U(en.events, 0);
	CHECK_EQ_U(en.allocs, 0);
	an_engine_release(&en);
}

/* A reset ends every open block of its allocator (not another's), keeps
 * the capacity it says; a destroy ends the rest, drops the capacity, and
 * hands the allocator over before it is forgotten: its slot is the next
 * allocator's. */
TEST(reset_and_destroy)
{
	/* records in time order: each chunk's end hands out what is older */
	begin_lag(0);
	feed_new(1, 1, 1, 3, 0, 0);
	feed_new(1, 2, 2, 4, 0, 0);
	feed(CZT_REC_CZ_CAPACITY, 1, 3, 1, 0, 4096);
	for (uint64_t i = 0; i < 5; i++)
		feed(CZT_REC_CZ_ALLOC, 1, 10 + i, 1, 0x1000 + 0x100 * i, 100 + i);
	feed(CZT_REC_CZ_ALLOC, 1, 16, 2, 0x9000, 50);
	feed(CZT_REC_CZ_CAPACITY, 1, 17, 1, 0, 8192);
	feed(CZT_REC_CZ_RESET, 1, 20, 1, 0, 4096);
	feed(CZT_REC_CZ_ALLOC, 1, 21, 1, 0x1000, 7); /* hands the reset out */
	CHECK_EQ_U(n_ends, 5);
	for (size_t i = 0; i < n_ends && i < 5; i++) {
		CHECK_EQ_U(ends[i].how, AN_CZ_RESET);
		CHECK_EQ_U(ends[i].time, 20);
		CHECK_EQ_U(ends[i].allocator, 1);
	}
	const struct an_allocator *a = allocator(1), *b = allocator(2);
	CHECK(a && b);
	if (!a || !b) {
		an_engine_release(&en);
		return;
	}
	CHECK_EQ_U(a->resets, 1);
	CHECK_EQ_U(a->live_blocks, 0);
	CHECK_EQ_U(a->peak_bytes, 100 + 101 + 102 + 103 + 104);
	CHECK_EQ_U(a->capacity, 4096);
	CHECK_EQ_U(a->peak_capacity, 8192);
	CHECK_EQ_U(b->live_blocks, 1);
	/* after the reset, two more; then the destroy ends them */
	feed(CZT_REC_CZ_ALLOC, 1, 22, 1, 0x1100, 9);
	feed(CZT_REC_CZ_DESTROY, 1, 30, 1, 0, 0);
	feed_new(1, 40, 3, 3, 2, 0);
	CHECK(an_engine_finish(&en) == 0);
	CHECK(allocator(1) == NULL);
	CHECK_EQ_U(n_gone, 1);
	a = &gone[0];
	b = allocator(2);
	CHECK_EQ_U(n_ends, 7);
	CHECK_EQ_U(ends[5].how, AN_CZ_DESTROY);
	CHECK_EQ_U(ends[6].how, AN_CZ_DESTROY);
	CHECK_EQ_U(ends[5].size + ends[6].size, 16);
	CHECK(a->is_destroyed);
	CHECK_EQ_U(a->destroyed, 30);
	CHECK_EQ_U(a->capacity, 0);
	CHECK_EQ_U(a->peak_capacity, 8192);
	CHECK_EQ_U(a->allocations, 7);
	CHECK_EQ_U(a->bytes_requested, 510 + 16);
	CHECK_EQ_U(a->live_blocks, 0);
	CHECK_EQ_U(a->live_bytes, 0);
	CHECK_EQ_U(b->live_blocks, 1); /* the other allocator's block is open */
	CHECK_EQ_U(b->live_bytes, 50);
	CHECK_EQ_U(open_blocks(), 1);
	/* allocator 3 took allocator 1's slot */
	CHECK_EQ_U(en.cz.n_a, 2);
	CHECK_EQ_U(en.cz.live, 2);
	CHECK(allocator(3) == &en.cz.a[0]);
	CHECK_EQ_U(allocator(3)->parent, 2);
	an_engine_release(&en);
}

/* A resize ends the old block and opens the new one without counting an
 * allocation; growth is requested too.  An allocation over an open block
 * ends it as reused. */
TEST(resize_and_reuse)
{
	begin();
	feed(CZT_REC_CZ_ALLOC, 1, 1, 5, 0x100, 10);
	feed_resize(1, 2, 5, 0x100, 0x200, 25); /* grows by 15 */
	feed_resize(1, 3, 5, 0x200, 0x200, 5);  /* shrinks in place */
	feed(CZT_REC_CZ_ALLOC, 1, 4, 5, 0x200, 40); /* its free was never told */
	CHECK(an_engine_finish(&en) == 0);
	CHECK_EQ_U(n_ends, 3);
	CHECK_EQ_U(ends[0].how, AN_CZ_RESIZE);
	CHECK_EQ_U(ends[0].size, 10);
	CHECK_EQ_U(ends[1].how, AN_CZ_RESIZE);
	CHECK_EQ_U(ends[1].size, 25);
	CHECK_EQ_U(ends[1].addr, 0x200);
	CHECK_EQ_U(ends[2].how, AN_CZ_REUSE);
	CHECK_EQ_U(ends[2].size, 5);
	CHECK_EQ_U(ends[2].time, 4);
	CHECK_STR(an_cz_end_name(ends[2].how), "reuse");
	const struct an_allocator *a = allocator(5);
	CHECK(a != NULL);
	if (a) {
		CHECK_EQ_U(a->allocations, 2);
		CHECK_EQ_U(a->bytes_requested, 10 + 15 + 40);
		CHECK_EQ_U(a->live_blocks, 1);
		CHECK_EQ_U(a->live_bytes, 40);
		CHECK_EQ_U(a->peak_bytes, 40);
		CHECK_EQ_U(a->created, 0); /* no CZ_NEW seen */
	}
	an_engine_release(&en);
}

/* An exec ends every open block of the old image at its time; the new
 * image's ids are shifted, so its allocator 1 is another one. */
TEST(exec_ends_the_old_image)
{
	begin();
	feed_new(1, 1, 1, 3, 0, 9);
	feed(CZT_REC_CZ_ALLOC, 1, 2, 1, 0x100, 10);
	feed(CZT_REC_CZ_ALLOC, 1, 3, 1, 0x200, 20);
	feed(CZT_REC_CZ_FREE, 1, 4, 1, 0x100, 0);
	struct czt_record r;
	memset(&r, 0, sizeof(r));
	r.type = CZT_REC_PROCESS_END;
	r.how = CZT_END_EXEC;
	r.time = 50;
	an_engine_chunk(&en);
	CHECK(an_engine_record(&en, &r, 0) == 0);
	feed_new(1, 60, 1, 5, 0, 9);
	feed(CZT_REC_CZ_ALLOC, 1, 61, 1, 0x100, 64);
	CHECK(an_engine_finish(&en) == 0);
	CHECK_EQ_U(n_ends, 2);
	CHECK_EQ_U(ends[1].how, AN_CZ_EXEC);
	CHECK_EQ_U(ends[1].time, 50);
	CHECK_EQ_U(ends[1].size, 20);
	const uint64_t shifted = ((uint64_t)1 << AN_IMAGE_SHIFT) + 1;
	CHECK_EQ_U(en.cz.n_a, 2);
	const struct an_allocator *old = allocator(1), *now = allocator(shifted);
	CHECK(old && now);
	if (old && now) {
		CHECK_EQ_U(old->live_blocks, 0);
		CHECK_EQ_U(old->allocations, 2);
		CHECK_EQ_U(old->peak_bytes, 30);
		CHECK_EQ_U(now->kind, 5);
		CHECK_EQ_U(now->stack, shifted + 8); /* stack 9 of the second image */
		CHECK_EQ_U(now->name, ((uint64_t)1 << 32) + shifted);
		CHECK_EQ_U(now->live_bytes, 64);
	}
	CHECK_EQ_U(open_blocks(), 1);
	an_engine_release(&en);
}

/* A million records through a merge that waits 1000 ns: the blocks'
 * pool and the staged records stay the size of what is open and waiting. */
TEST(memory_follows_open_blocks)
{
	n_ends = 0;
	struct an_options o = { .merge_lag = 1000, .cz_ended = on_ended };
	CHECK(an_engine_init(&en, &o) == 0);
	uint64_t t = 1;
	for (int i = 0; i < 500000; i++) {
		if (i % 100 == 0)
			an_engine_chunk(&en);
		struct czt_record r;
		memset(&r, 0, sizeof(r));
		r.type = CZT_REC_CZ_ALLOC;
		r.tid = 1;
		r.time = t++;
		r.allocator = 1 + (uint64_t)(i % 3);
		r.addr = 0x1000 + 16 * (uint64_t)(i % 7);
		r.size = 16;
		CHECK(an_engine_record(&en, &r, 0) == 0);
		r.type = CZT_REC_CZ_FREE;
		r.time = t++;
		CHECK(an_engine_record(&en, &r, 0) == 0);
		if (i % 100 == 99)
			CHECK(an_engine_chunk_end(&en) == 0);
	}
	CHECK(an_engine_finish(&en) == 0);
	CHECK_EQ_U(n_ends, 500000);
	CHECK_EQ_U(en.cz.blocks, 500000);
	CHECK_EQ_U(en.cz.n_b, 1);   /* one block open at a time: one entry */
	CHECK(en.cz.n_st <= 1300);  /* the lag and a chunk: 1200 records */
	CHECK_EQ_U(en.cz.n_a, 3);
	an_engine_release(&en);
}

/* An arena per request: ten thousand made and destroyed, one at a time,
 * hold one allocator slot. */
TEST(memory_follows_live_allocators)
{
	begin_lag(0);
	uint64_t t = 1;
	for (uint64_t id = 1; id <= 10000; id++) {
		feed_new(1, t++, id, 3, 0, 0);
		feed(CZT_REC_CZ_ALLOC, 1, t++, id, 0x100, 8);
		feed(CZT_REC_CZ_DESTROY, 1, t++, id, 0, 0);
	}
	CHECK(an_engine_finish(&en) == 0);
	CHECK_EQ_U(n_gone, 10000);
	CHECK_EQ_U(n_ends, 10000);
	CHECK_EQ_U(en.cz.n_a, 1);
	CHECK_EQ_U(en.cz.live, 0);
	CHECK_EQ_U(en.cz.ids.map.used, 0);
	an_engine_release(&en);
}

int main(void)
{
	RUN(threads_interleave_releases_first);
	RUN(reset_and_destroy);
	RUN(resize_and_reuse);
	RUN(exec_ends_the_old_image);
	RUN(memory_follows_open_blocks);
	RUN(memory_follows_live_allocators);
	return unit_done();
}
