/*
 * test_kept.c - a thread's EVENTS chunks kept as records until the merge
 * reaches them (an_engine_keep): the engine gives exactly what reading
 * every chunk at once gives, while what it holds as events stays near a
 * chunk a thread however long the merge waits (an idle thread makes it
 * wait its whole lag); a kept chunk found damaged when its turn comes
 * ends the read there, as a damaged chunk read at once does, the chunks
 * after it still kept left unread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/analysis/feed.h"
#include "tests/unit.h"

#define ROUNDS 100
#define PER_CHUNK 500           /* events of a worker's chunk */
#define STEP 2000               /* ns between a worker's events: a chunk is 1 ms */
#define LAG (20u * 1000000u)    /* the merge's lag: 20 chunks of each worker */
#define MAIN_BLOCK 0xa0000

static uint8_t *file;
static size_t file_len, cap = 8u << 20;
static size_t damaged_end; /* the damaged chunk's end, 0: none */

static void put_chunk(struct czt_enc *e)
{
	file_len += czt_enc_finish(e);
}

static void chunk(struct czt_enc *e, unsigned type, uint64_t tid, uint64_t base)
{
	czt_enc_init(e, file + file_len, cap - file_len, type, tid, base);
}

/* A worker's chunk of round r: it allocates and frees in turn on a time
 * grid the other worker shares (equal times across threads), one block
 * always live across the chunk boundary; damaged: an unknown core record
 * after its first 100 events. */
static void worker_chunk(uint64_t tid, int r, int damaged)
{
	struct czt_enc e;
	uint64_t t0 = 1000000 + (uint64_t)r * PER_CHUNK * STEP;
	chunk(&e, CZT_CHUNK_EVENTS, tid, r ? t0 - STEP : 1000);
	for (int i = 0; i < PER_CHUNK; i++) {
		uint64_t t = t0 + (uint64_t)i * STEP, slot = (uint64_t)(r * PER_CHUNK + i) / 2;
		uint64_t addr = tid << 32 | slot << 6;
		if (i % 2 == 0)
			czt_enc_alloc(&e, CZT_REC_MALLOC, t, addr, 16 + (slot % 7) * 16, tid);
		else
			czt_enc_free(&e, t, addr);
		if (damaged && i == 100)
			*e.pos++ = 0x3f;
	}
	put_chunk(&e);
	if (damaged)
		damaged_end = file_len;
}

/* Main starts, allocates one block and idles until the workers are done;
 * the workers' chunks reach the file up to a round late, worker 3's
 * behind worker 2's.  damage_round: a round whose worker-2 chunk is
 * damaged, -1 none. */
static void build(int damage_round)
{
	struct czt_header h = { .major = CZT_VERSION_MAJOR, .minor = CZT_VERSION_MINOR, .pid = 9, .ppid = 1,
				.clock = 1 };
	file_len = czt_header_encode(file, cap, &h);
	damaged_end = 0;
	struct czt_enc e;
	chunk(&e, CZT_CHUNK_META, 0, 0);
	for (uint64_t tid = 1; tid <= 3; tid++)
		CHECK(czt_enc_thread_start(&e, 100, tid, 0) == CZT_OK);
	put_chunk(&e);
	chunk(&e, CZT_CHUNK_EVENTS, 1, 100);
	czt_enc_alloc(&e, CZT_REC_MALLOC, 200, MAIN_BLOCK, 1000, 1);
	put_chunk(&e);
	for (int r = 0; r < ROUNDS; r++) {
		worker_chunk(2, r, r == damage_round);
		if (r)
			worker_chunk(3, r - 1, 0);
	}
	worker_chunk(3, ROUNDS - 1, 0);
	uint64_t end = 1000000 + (uint64_t)ROUNDS * PER_CHUNK * STEP;
	chunk(&e, CZT_CHUNK_EVENTS, 1, 200);
	czt_enc_free(&e, end, MAIN_BLOCK);
	put_chunk(&e);
	chunk(&e, CZT_CHUNK_META, 0, 0);
	CHECK(czt_enc_process_end(&e, end + 1, CZT_END_EXIT, 0) == CZT_OK);
	put_chunk(&e);
}

/* What a load writes from the blocks' ends, folded into one number. */
static uint64_t digest;

static int on_ended(void *ctx, const struct an_block *b, const struct an_end *e)
{
	(void)ctx;
	uint64_t f[] = { b->id, b->seq, b->addr, b->size, b->time, b->thread, e->seq, e->time, e->how,
			 e->thread, e->temporary };
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		digest = (digest ^ f[i]) * 0x100000001b3ull;
	return 0;
}

struct run {
	uint64_t digest, allocs, frees, unmatched, peak_bytes, peak_seq, leaked;
	uint64_t max_held;  /* the most events the merge held after a chunk */
	size_t max_kept;    /* the most bytes kept chunks took */
	int end_rc;
	uint64_t end_at;
};

static struct run load(int at_once, int live, uint64_t lag)
{
	struct run out = { 0 };
	struct czt_reader *r;
	CHECK(czt_reader_open_mem(&r, file, file_len) == CZT_OK);
	if (!r)
		return out;
	struct an_engine en;
	struct an_options o = { .merge_lag = lag, .threads_seen = 1, .live = live, .ended = on_ended };
	CHECK(an_engine_init(&en, &o) == 0);
	struct an_feed f;
	an_feed_init(&f, r, NULL, NULL);
	f.at_once = at_once;
	digest = 0xcbf29ce484222325ull;
	while (!f.done) {
		CHECK(an_feed_chunk(&en, &f) == 0);
		if (en.merge.held > out.max_held)
			out.max_held = en.merge.held;
		if (en.kept_bytes > out.max_kept)
			out.max_kept = en.kept_bytes;
	}
	out = (struct run){ digest, en.allocs, en.frees_paired, en.unmatched, en.peak_bytes, en.peak_seq,
			    en.leaked_blocks, out.max_held, out.max_kept, f.end_rc, f.end_at };
	an_engine_release(&en);
	czt_reader_free(r);
	return out;
}

/* Kept chunks against chunks read at once, against a merge that waits
 * for the end, and in a live engine. */
TEST(kept_chunks_give_the_same_heap)
{
	build(-1);
	struct run kept = load(0, 0, LAG), now = load(1, 0, LAG), whole = load(0, 0, AN_LAG_ALL);
	CHECK_EQ_U(kept.end_rc, CZT_EOF);
	/* 2 workers x 100 rounds x 250 blocks, and main's */
	CHECK_EQ_U(kept.allocs, 2 * ROUNDS * PER_CHUNK / 2 + 1);
	CHECK_EQ_U(kept.frees, kept.allocs);
	CHECK_EQ_U(kept.unmatched, 0);
	CHECK_EQ_U(kept.leaked, 0);
	/* main's block, and both workers' largest blocks at once (the
	 * workers' grids share times and sizes) */
	CHECK_EQ_U(kept.peak_bytes, 1000 + 2 * (16 + 6 * 16));
	CHECK_EQ_U(kept.digest, now.digest);
	CHECK_EQ_U(kept.peak_seq, now.peak_seq);
	CHECK_EQ_U(kept.allocs, now.allocs);
	CHECK_EQ_U(whole.digest, now.digest);
	CHECK_EQ_U(whole.peak_seq, now.peak_seq);
	/* `czprof top`'s engine keeps them too */
	struct run live = load(0, 1, LAG);
	CHECK_EQ_U(live.digest, now.digest);
	CHECK(live.max_held <= 3 * PER_CHUNK);
}

/* Main idles, so the merge waits its whole lag: 20 ms, 20 chunks of each
 * worker.  Read at once those are events; kept, they are records, and
 * the events held stay within about a chunk of each worker. */
TEST(idle_thread_holds_records_not_events)
{
	build(-1);
	struct run kept = load(0, 0, LAG), now = load(1, 0, LAG), whole = load(0, 0, AN_LAG_ALL);
	printf("  held: %llu events read at once, %llu kept (%zu bytes kept), %llu waiting for the end\n",
	       (unsigned long long)now.max_held, (unsigned long long)kept.max_held, kept.max_kept,
	       (unsigned long long)whole.max_held);
	CHECK(now.max_held > 15 * 2 * PER_CHUNK);
	CHECK(kept.max_held <= 3 * PER_CHUNK);
	CHECK(kept.max_kept > 0);
	/* the end reads the kept chunks one at a time */
	CHECK(whole.max_held <= 3 * PER_CHUNK);
}

/* A worker-2 chunk damaged after its first 100 events: read at once, the
 * load stops there; kept, it stops when the chunk's turn comes, at the
 * same place in the file, having counted what the chunk held up to the
 * damage. */
TEST(damaged_kept_chunk_ends_the_read)
{
	build(40);
	struct run kept = load(0, 0, LAG), now = load(1, 0, LAG);
	CHECK(damaged_end > 0);
	CHECK_EQ_U(now.end_rc, CZT_ERR_CORRUPT);
	CHECK_EQ_U(kept.end_rc, CZT_ERR_CORRUPT);
	CHECK_EQ_U(now.end_at, damaged_end);
	CHECK_EQ_U(kept.end_at, damaged_end);
	/* read at once: worker 2's rounds 0-39 and 51 of round 40, worker
	 * 3's rounds 0-38, and main's block */
	CHECK_EQ_U(now.allocs, 40 * 250 + 51 + 39 * 250 + 1);
	/* kept: so do the chunks after it that were read into events before
	 * its turn came (those still kept are let go): a round or two of
	 * each worker at most */
	printf("  allocations counted: %llu read at once, %llu kept\n", (unsigned long long)now.allocs,
	       (unsigned long long)kept.allocs);
	CHECK(kept.allocs >= now.allocs && kept.allocs <= now.allocs + 2 * 2 * 250);
}

/* A thread per task, one after another, each allocating and freeing a
 * few blocks: the load visits only the threads with something kept or
 * queued, not every thread that ever ran, and gives the exact heap. */
TEST(thread_per_task)
{
	enum { TASKS = 3000, BLOCKS = 5, GAP = 1000000 /* ns between tasks */ };
	struct czt_header h = { .major = CZT_VERSION_MAJOR, .minor = CZT_VERSION_MINOR, .pid = 9, .ppid = 1,
				.clock = 1 };
	file_len = czt_header_encode(file, cap, &h);
	for (uint64_t i = 0; i < TASKS; i++) {
		uint64_t tid = 100 + i, t0 = 1000 + i * GAP;
		struct czt_enc e;
		chunk(&e, CZT_CHUNK_META, 0, 0);
		CHECK(czt_enc_thread_start(&e, t0, tid, 0) == CZT_OK);
		put_chunk(&e);
		chunk(&e, CZT_CHUNK_EVENTS, tid, t0);
		for (uint64_t j = 0; j < BLOCKS; j++)
			czt_enc_alloc(&e, CZT_REC_MALLOC, t0 + 10 + j, 0x100000 + j * 64, 8 + j, 1);
		for (uint64_t j = 0; j < BLOCKS; j++)
			czt_enc_free(&e, t0 + 100 + j, 0x100000 + j * 64);
		put_chunk(&e);
		chunk(&e, CZT_CHUNK_META, 0, 0);
		CHECK(czt_enc_thread_end(&e, t0 + 200, tid) == CZT_OK);
		put_chunk(&e);
	}
	struct czt_reader *r;
	CHECK(czt_reader_open_mem(&r, file, file_len) == CZT_OK);
	if (!r)
		return;
	struct an_engine en;
	struct an_options o = { .merge_lag = AN_MERGE_LAG_NS, .threads_seen = 1 };
	CHECK(an_engine_init(&en, &o) == 0);
	struct an_feed f;
	an_feed_init(&f, r, NULL, NULL);
	size_t max_busy = 0, max_kept = 0;
	while (!f.done) {
		CHECK(an_feed_chunk(&en, &f) == 0);
		if (en.merge.n_busy > max_busy)
			max_busy = en.merge.n_busy;
		if (en.n_kept_threads > max_kept)
			max_kept = en.n_kept_threads;
	}
	CHECK_EQ_U(f.end_rc, CZT_EOF);
	CHECK_EQ_U(en.n_threads, TASKS);
	CHECK_EQ_U(en.allocs, TASKS * BLOCKS);
	CHECK_EQ_U(en.frees_paired, TASKS * BLOCKS);
	CHECK_EQ_U(en.unmatched, 0);
	CHECK_EQ_U(en.peak_bytes, 8 + 9 + 10 + 11 + 12);
	/* ended threads keep the merge at its lag, 200 tasks: what it holds
	 * is theirs, not the 3000's */
	printf("  at most %zu threads with chunks kept, %zu sequences queued\n", max_kept, max_busy);
	CHECK(max_kept <= 210);
	CHECK(max_busy <= 4);
	an_engine_release(&en);
	czt_reader_free(r);
}

int main(void)
{
	file = malloc(cap);
	if (!file)
		return 1;
	RUN(kept_chunks_give_the_same_heap);
	RUN(idle_thread_holds_records_not_events);
	RUN(damaged_kept_chunk_ends_the_read);
	RUN(thread_per_task);
	free(file);
	return unit_done();
}
