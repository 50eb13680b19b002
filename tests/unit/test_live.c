/*
 * test_live.c - the live model behind `czprof top` (the analysis engine
 * fed a growing trace) driven by scripted records: exact live bytes and
 * blocks per stack, thread and allocator; frees of blocks allocated before
 * following started; cross-thread frees and address reuse; realloc; exec;
 * the timeline; a quiet program; threads' chunks flushed out of order.
 * Then the follower over a file written piece by piece, and the text
 * layout.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "czt.h"
#include "tests/live_script.h"
#include "tests/unit.h"
#include "viewer/follow.h"
#include "lib/analysis/idmap.h"
#include "viewer/live.h"
#include "viewer/names.h"
#include "viewer/view.h"

#define MS 1000000ull

static struct live_model *model(void)
{
	struct live_model *m = NULL;
	CHECK(live_model_new(&m) == 0);
	return m;
}

#define ev script_ev
#define re script_realloc
#define stack_of script_stack

TEST(model_pairs_by_address)
{
	struct live_model *m = model();
	ev(m, CZT_REC_MALLOC, 10, 1, 0x1000, 100, 5);
	ev(m, CZT_REC_MALLOC, 20, 1, 0x2000, 200, 5);
	ev(m, CZT_REC_CALLOC, 30, 1, 0x3000, 300, 6);
	ev(m, CZT_REC_FREE, 40, 1, 0x2000, 0, 0);
	CHECK_EQ_U(m->en.live, 400);
	CHECK_EQ_U(m->en.blocks, 2);
	CHECK_EQ_U(m->en.peak_bytes, 600);
	CHECK_EQ_U(m->en.peak_blocks, 3);
	CHECK_EQ_U(m->en.peak_time, 30);
	CHECK_EQ_U(m->en.allocs, 3);
	CHECK_EQ_U(m->en.frees_paired, 1);
	CHECK_EQ_U(stack_of(m, 5)->live_bytes, 100);
	CHECK_EQ_U(stack_of(m, 5)->live, 1);
	CHECK_EQ_U(stack_of(m, 5)->allocs, 2);
	CHECK_EQ_U(stack_of(m, 5)->bytes, 300);
	CHECK_EQ_U(stack_of(m, 6)->live_bytes, 300);
	/* free(NULL) and failed allocations change nothing live */
	ev(m, CZT_REC_FREE, 50, 1, 0, 0, 0);
	ev(m, CZT_REC_MALLOC, 60, 1, 0, 1 << 30, 5);
	CHECK_EQ_U(m->en.failed, 1);
	CHECK_EQ_U(m->en.live, 400);
	CHECK_EQ_U(m->en.frees_paired, 1);
	live_model_free(m);
}

TEST(model_free_of_block_from_before_following)
{
	struct live_model *m = model();
	ev(m, CZT_REC_FREE, 5, 1, 0xdead0, 0, 0);
	ev(m, CZT_REC_MALLOC, 6, 1, 0x100, 64, 1);
	ev(m, CZT_REC_FREE, 7, 1, 0xbeef0, 0, 0);
	CHECK_EQ_U(m->en.unmatched, 2);
	CHECK_EQ_U(m->en.live, 64);
	CHECK_EQ_U(m->en.blocks, 1);
	live_model_free(m);
}

TEST(model_cross_thread_frees_and_reuse)
{
	struct live_model *m = model();
	/* thread 1 allocates, thread 2 frees, thread 2 gets the address again */
	ev(m, CZT_REC_MALLOC, 10, 1, 0x5000, 48, 1);
	ev(m, CZT_REC_FREE, 20, 2, 0x5000, 0, 0);
	ev(m, CZT_REC_MALLOC, 30, 2, 0x5000, 80, 2);
	CHECK_EQ_U(m->en.live, 80);
	CHECK_EQ_U(m->en.unmatched, 0);
	const struct an_thread *t1 = live_find_thread(m, 1), *t2 = live_find_thread(m, 2);
	CHECK(t1 && t2);
	if (t1 && t2) {
		CHECK_EQ_U(t1->allocs, 1);
		CHECK_EQ_U(t1->frees, 0);
		CHECK_EQ_U(t1->live_bytes, 0); /* its block was freed by thread 2 */
		CHECK_EQ_U(t2->frees, 1);
		CHECK_EQ_U(t2->live_bytes, 80);
	}
	CHECK_EQ_U(stack_of(m, 1)->live, 0);
	CHECK_EQ_U(stack_of(m, 2)->live, 1);
	/* an allocation at a live address: its free was never seen */
	ev(m, CZT_REC_MALLOC, 40, 1, 0x5000, 16, 1);
	CHECK_EQ_U(m->en.live, 16);
	CHECK_EQ_U(m->en.blocks, 1);
	CHECK_EQ_U(stack_of(m, 2)->live_bytes, 0);
	live_model_free(m);
}

TEST(model_many_blocks_survive_table_growth)
{
	struct live_model *m = model();
	for (uint64_t i = 1; i <= 100000; i++)
		ev(m, CZT_REC_MALLOC, i, 1, i * 16, i % 100 + 1, i % 7);
	for (uint64_t i = 1; i <= 100000; i += 2)
		ev(m, CZT_REC_FREE, 100000 + i, 1, i * 16, 0, 0);
	uint64_t want = 0;
	for (uint64_t i = 2; i <= 100000; i += 2)
		want += i % 100 + 1;
	CHECK_EQ_U(m->en.blocks, 50000);
	CHECK_EQ_U(m->en.live, want);
	CHECK_EQ_U(m->en.unmatched, 0);
	uint64_t sum = 0;
	for (size_t i = 0; i < m->en.n_stacks; i++)
		sum += m->en.totals[i].live_bytes;
	CHECK_EQ_U(sum, want);
	live_model_free(m);
}

TEST(model_realloc)
{
	struct live_model *m = model();
	re(m, 10, 1, 0, 0x100, 50, 3);       /* realloc(NULL, 50) */
	re(m, 20, 1, 0x100, 0x200, 500, 4);  /* moved */
	CHECK_EQ_U(m->en.live, 500);
	CHECK_EQ_U(m->en.blocks, 1);
	CHECK_EQ_U(stack_of(m, 3)->live, 0);
	CHECK_EQ_U(stack_of(m, 4)->live_bytes, 500);
	re(m, 30, 1, 0x200, 0, 1ull << 40, 4); /* failed: the old block stays */
	CHECK_EQ_U(m->en.live, 500);
	CHECK_EQ_U(m->en.failed, 1);
	re(m, 40, 1, 0x200, 0, 0, 4);          /* realloc(p, 0): freed */
	CHECK_EQ_U(m->en.live, 0);
	CHECK_EQ_U(m->en.blocks, 0);
	live_model_free(m);
}

TEST(model_exec_and_end)
{
	struct live_model *m = model();
	ev(m, CZT_REC_MALLOC, 10, 1, 0x100, 70, 1);
	struct czt_record exec = { .type = CZT_REC_PROCESS_END, .time = 20, .how = CZT_END_EXEC };
	script_feed(m, &exec);
	CHECK_EQ_U(m->en.live, 0);
	/* the old image's stack keeps its totals (as a load does) but holds
	 * nothing; the new image's ids are shifted (AN_IMAGE_SHIFT) */
	CHECK_EQ_U(stack_of(m, 1)->live, 0);
	CHECK_EQ_U(stack_of(m, 1)->allocs, 1);
	CHECK(!m->ended);
	ev(m, CZT_REC_MALLOC, 30, 1, 0x100, 30, 1);
	CHECK_EQ_U(m->en.live, 30);
	CHECK_EQ_U(stack_of(m, 1 + (1ull << AN_IMAGE_SHIFT))->allocs, 1); /* a new stack 1 */
	CHECK_EQ_U(m->en.peak_bytes, 70);
	script_end(m, 40, CZT_END_SIGNAL, 9);
	CHECK(m->ended);
	CHECK_EQ_U(m->end_how, CZT_END_SIGNAL);
	CHECK_EQ_U(m->end_value, 9);
	live_model_free(m);
}

TEST(model_timeline)
{
	struct live_model *m = model();
	ev(m, CZT_REC_MALLOC, 500000, 1, 0x100, 1000, 1);     /* bucket 0 */
	ev(m, CZT_REC_MALLOC, 2500000, 1, 0x200, 3000, 1);    /* bucket 2 */
	ev(m, CZT_REC_FREE, 2600000, 1, 0x200, 0, 0);
	ev(m, CZT_REC_FREE, 5200000, 1, 0x100, 0, 0);         /* bucket 5 */
	CHECK_EQ_U(live_bucket_ns(m), MS);
	CHECK_EQ_U(m->en.n_timeline, 6);
	CHECK_EQ_U(live_chart_level(m, 0), 1000);
	CHECK_EQ_U(live_chart_level(m, 1), 1000); /* carried forward */
	CHECK_EQ_U(live_chart_level(m, 2), 4000);
	CHECK_EQ_U(live_chart_level(m, 3), 1000);
	CHECK_EQ_U(live_chart_level(m, 4), 1000);
	CHECK_EQ_U(live_chart_level(m, 5), 1000); /* the highest level in the bucket */
	/* far later: buckets merge, keeping maxima, and stay bounded */
	ev(m, CZT_REC_MALLOC, 10000000000ull, 1, 0x300, 7, 1);
	CHECK(m->en.n_timeline <= AN_TIMELINE_POINTS);
	CHECK(live_bucket_ns(m) > MS);
	CHECK_EQ_U(live_chart_level(m, 0), 4000);
	CHECK_EQ_U(live_chart_level(m, m->en.n_timeline - 1), 7);
	live_settle(m, 20000000000ull);
	CHECK_EQ_U(live_now(m), 20000000000ull);
	CHECK_EQ_U(live_chart_level(m, m->en.n_timeline - 1), 7);
	live_model_free(m);
}

TEST(model_allocators)
{
	struct live_model *m = model();
	struct czt_record e = { .time = 1, .type = CZT_REC_CZ_NEW, .allocator = 3, .kind = 3,
				.parent = 1, .name = 77 };
	script_feed(m, &e);
	for (int i = 0; i < 4; i++) {
		struct czt_record a = { .time = 2, .type = CZT_REC_CZ_ALLOC, .allocator = 3,
					.addr = 0x1000 + (uint64_t)i * 64, .size = 64 };
		script_feed(m, &a);
	}
	struct czt_record c = { .time = 3, .type = CZT_REC_CZ_CAPACITY, .allocator = 3, .value = 4096 };
	script_feed(m, &c);
	struct czt_record f = { .time = 4, .type = CZT_REC_CZ_FREE, .allocator = 3, .addr = 0x1000 };
	script_feed(m, &f);
	const struct an_allocator *a = live_find_allocator(m, 3);
	CHECK(a != NULL);
	if (!a)
		return;
	CHECK_EQ_U(a->kind, 3);
	CHECK_EQ_U(a->parent, 1);
	CHECK_EQ_U(a->name, 77);
	CHECK_EQ_U(a->allocations, 4);
	CHECK_EQ_U(a->bytes_requested, 256);
	CHECK_EQ_U(a->live_bytes, 192);
	CHECK_EQ_U(a->live_blocks, 3);
	CHECK_EQ_U(a->capacity, 4096);
	struct czt_record r = { .time = 5, .type = CZT_REC_CZ_RESET, .allocator = 3, .value = 1024 };
	script_feed(m, &r);
	a = live_find_allocator(m, 3); /* valid until the next record */
	CHECK_EQ_U(a->live_bytes, 0);
	CHECK_EQ_U(a->resets, 1);
	CHECK_EQ_U(a->capacity, 1024);
	CHECK_EQ_U(a->peak_capacity, 4096);
	struct czt_record d = { .time = 6, .type = CZT_REC_CZ_DESTROY, .allocator = 3 };
	script_feed(m, &d);
	/* the engine forgets it; the view keeps its last state */
	a = live_find_allocator(m, 3);
	CHECK(a != NULL);
	if (!a)
		return;
	CHECK(a->is_destroyed);
	CHECK_EQ_U(a->destroyed, 6);
	CHECK_EQ_U(live_n_allocators(m), 1);
	/* allocator blocks are not heap blocks */
	CHECK_EQ_U(m->en.live, 0);
	live_model_free(m);
}

/* A record of thread tid, fed without saying that nothing older can
 * come: the engine applies it when it knows. */
static void in_chunk(struct live_model *m, unsigned type, uint64_t time, uint64_t tid, uint64_t addr,
		     uint64_t size)
{
	struct czt_record r = { .type = type, .time = time, .tid = tid, .addr = addr, .size = size, .stack = 1 };
	script_record(m, &r);
}

TEST(model_quiet_program_moves_on)
{
	struct live_model *m = model();
	script_chunk(m);
	in_chunk(m, CZT_REC_MALLOC, 100 * MS, 1, 0x100, 64);
	in_chunk(m, CZT_REC_MALLOC, 150 * MS, 1, 0x200, 36);
	script_chunk_end(m);
	/* the only thread's latest event is 150 ms: what is older than 10 ms
	 * before it (AN_START_GUARD_NS) is applied, the rest waits */
	CHECK_EQ_U(m->en.allocs, 1);
	CHECK_EQ_U(live_pending(m), 1);
	CHECK_EQ_U(live_now(m), 100 * MS);
	/* the program goes quiet, the file does not grow: the clock says the
	 * writer is past 2 s, and the view moves on */
	live_settle(m, 2000 * MS);
	CHECK_EQ_U(live_pending(m), 0);
	CHECK_EQ_U(m->en.allocs, 2);
	CHECK_EQ_U(m->en.live, 100);
	CHECK_EQ_U(live_now(m), 2000 * MS);
	/* the timeline reaches 2 s at the level the heap stayed at */
	CHECK_EQ_U(m->en.n_timeline, 2001);
	CHECK_EQ_U(live_chart_level(m, 150), 100);
	CHECK_EQ_U(live_chart_level(m, 1999), 100);
	CHECK_EQ_U(live_chart_level(m, 2000), 100);
	CHECK_EQ_U(live_chart_level(m, 99), 0);
	/* an earlier settle changes nothing; the end stops the clock */
	live_settle(m, 1000 * MS);
	CHECK_EQ_U(live_now(m), 2000 * MS);
	script_end(m, 2100 * MS, CZT_END_EXIT, 0);
	live_settle(m, 5000 * MS);
	CHECK_EQ_U(live_now(m), 2100 * MS);
	live_model_free(m);
}

TEST(model_threads_flushed_out_of_order)
{
	struct live_model *m = model();
	/* both threads' start records come first (the recorder writes a
	 * thread's before any chunk that follows its first event); then
	 * thread 2's chunk reaches the file first: it frees, at 200 ms, the
	 * block thread 1 allocated at 100 ms, then allocates at 300 ms */
	script_chunk(m);
	in_chunk(m, CZT_REC_THREAD_START, 90 * MS, 1, 0, 0);
	in_chunk(m, CZT_REC_THREAD_START, 95 * MS, 2, 0, 0);
	script_chunk_end(m);
	script_chunk(m);
	in_chunk(m, CZT_REC_FREE, 200 * MS, 2, 0x7000, 0);
	in_chunk(m, CZT_REC_MALLOC, 300 * MS, 2, 0x8000, 50);
	script_chunk_end(m);
	/* nothing applied: thread 1 may still have events from 90 ms on, and
	 * the lag (200 ms) from the newest event (300 ms) reaches 100 ms */
	CHECK_EQ_U(m->en.frees_paired, 0);
	CHECK_EQ_U(live_pending(m), 2);
	script_chunk(m);
	in_chunk(m, CZT_REC_MALLOC, 100 * MS, 1, 0x7000, 1000);
	in_chunk(m, CZT_REC_MALLOC, 400 * MS, 1, 0x9000, 7);
	script_chunk_end(m);
	live_settle(m, 400 * MS);
	/* in time order: the free found thread 1's block; the peak is 1000
	 * (not 1050: the block was freed before thread 2's allocation) */
	CHECK_EQ_U(m->en.unmatched, 0);
	CHECK_EQ_U(m->en.late, 0);
	CHECK_EQ_U(m->en.live, 57);
	CHECK_EQ_U(m->en.blocks, 2);
	CHECK_EQ_U(m->en.peak_bytes, 1000);
	CHECK_EQ_U(m->en.peak_time, 100 * MS);
	const struct an_thread *t1 = live_find_thread(m, 1), *t2 = live_find_thread(m, 2);
	CHECK(t1 && t2);
	if (t1 && t2) {
		CHECK_EQ_U(t1->live_bytes, 7);
		CHECK_EQ_U(t1->live_blocks, 1);
		CHECK_EQ_U(t1->frees, 0);
		CHECK_EQ_U(t2->live_bytes, 50);
		CHECK_EQ_U(t2->frees, 1);
	}
	/* a chunk later than the merge waited: applied all the same, out of
	 * order (the trace cannot be read again), and counted */
	script_chunk(m);
	in_chunk(m, CZT_REC_FREE, 350 * MS, 3, 0x9000, 0);
	script_chunk_end(m);
	CHECK_EQ_U(m->en.late, 1);
	CHECK_EQ_U(m->en.live, 50);
	live_model_free(m);
}

TEST(model_replay_holds_at_its_clock)
{
	struct live_model *m = model();
	/* a finished trace replayed: the clock is at 15 ms, the whole trace
	 * (to its end at 40 ms) is read at once */
	live_hold(m, 15 * MS);
	script_chunk(m);
	in_chunk(m, CZT_REC_MALLOC, 10 * MS, 1, 0x100, 1);
	in_chunk(m, CZT_REC_MALLOC, 20 * MS, 1, 0x200, 2);
	in_chunk(m, CZT_REC_MALLOC, 30 * MS, 1, 0x300, 4);
	struct czt_record end = { .type = CZT_REC_PROCESS_END, .time = 40 * MS, .how = CZT_END_EXIT };
	script_record(m, &end);
	script_chunk_end(m);
	live_settle(m, 15 * MS);
	CHECK_EQ_U(m->en.live, 1);
	CHECK(!m->ended);
	CHECK_EQ_U(live_now(m), 15 * MS);
	/* the clock moves on: what it passed shows, then the end */
	live_hold(m, 25 * MS);
	live_settle(m, 25 * MS);
	CHECK_EQ_U(m->en.live, 3);
	CHECK(!m->ended);
	live_hold(m, 40 * MS);
	live_settle(m, 40 * MS);
	CHECK_EQ_U(m->en.live, 7);
	CHECK(m->ended);
	CHECK_EQ_U(live_now(m), 40 * MS);
	live_model_free(m);
}

/* ---- the follower over a file written piece by piece ---- */

static uint8_t buf[1 << 16];
static size_t len;
static struct czt_enc enc;

static void chunk_begin(unsigned type, uint64_t tid, uint64_t base)
{
	czt_enc_init(&enc, buf + len, sizeof(buf) - len, type, tid, base);
}

static void chunk_end(void)
{
	len += czt_enc_finish(&enc);
}

static void write_file(const char *path, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0 && write(fd, buf, n) == (ssize_t)n);
	close(fd);
}

TEST(follow_merges_thread_chunks_by_time)
{
	char dir[] = "/tmp/czprof-live.XXXXXX", path[64];
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/t.czt", dir);
	write_file(path, 0); /* created, nothing written yet */

	struct live_model *m = model();
	struct names *n = NULL;
	struct follower *f = NULL;
	CHECK(names_new(&n) == 0);
	CHECK(follow_open(&f, path, m, n) == 0);
	CHECK_EQ_U(follow_poll(f, UINT64_MAX, 1 << 20), FOLLOW_WAITING);

	struct czt_header h = { .major = CZT_VERSION_MAJOR, .minor = CZT_VERSION_MINOR,
				.pid = 42, .clock = 1, .cmdline = "prog", .cmdline_len = 4 };
	len = czt_header_encode(buf, sizeof(buf), &h);
	chunk_begin(CZT_CHUNK_META, 0, 0);
	CHECK(czt_enc_stack_node(&enc, 1, 0, 0x401000) == 0);
	CHECK(czt_enc_stack_node(&enc, 2, 0, 0x402000) == 0);
	chunk_end();
	/* thread 2's chunk reaches the file first, though its free of thread
	 * 1's block happened after thread 1's allocation */
	chunk_begin(CZT_CHUNK_EVENTS, 2, 0);
	czt_enc_free(&enc, 200, 0x7000);
	czt_enc_alloc(&enc, CZT_REC_MALLOC, 300, 0x7000, 64, 2);
	chunk_end();
	size_t half = len;
	chunk_begin(CZT_CHUNK_EVENTS, 1, 0);
	czt_enc_alloc(&enc, CZT_REC_MALLOC, 100, 0x7000, 1000, 1);
	czt_enc_alloc(&enc, CZT_REC_MALLOC, 400, 0x8000, 10, 1);
	chunk_end();
	size_t before_cut = len;
	chunk_begin(CZT_CHUNK_EVENTS, 1, 400);
	czt_enc_alloc(&enc, CZT_REC_MALLOC, 500, 0x9000, 5, 1);
	chunk_end();

	/* the file grows: header and thread 2's chunk, then the rest but the
	 * last chunk cut in half, then everything */
	write_file(path, half);
	CHECK_EQ_U(follow_poll(f, UINT64_MAX, 1 << 20), FOLLOW_READING);
	CHECK(follow_header(f) && follow_header(f)->pid == 42);
	/* nothing of thread 2 is applied: thread 1 is not seen yet */
	CHECK(live_pending(m) != 0);
	CHECK_EQ_U(m->en.allocs + m->en.frees_paired, 0);
	write_file(path, before_cut + 10);
	CHECK_EQ_U(follow_poll(f, UINT64_MAX, 1 << 20), FOLLOW_READING);
	CHECK(live_pending(m) != 0);
	CHECK_EQ_U(m->en.allocs + m->en.frees_paired, 0);
	live_settle(m, 400); /* nothing older can come */
	CHECK_EQ_U(m->en.unmatched, 0); /* the free found thread 1's block */
	CHECK_EQ_U(m->en.live, 74);
	CHECK_EQ_U(m->en.blocks, 2);
	CHECK_EQ_U(m->en.peak_bytes, 1000);
	write_file(path, len);
	follow_poll(f, UINT64_MAX, 1 << 20);
	live_settle(m, 500);
	CHECK_EQ_U(m->en.live, 79);
	CHECK_EQ_U(follow_bytes(f), len);
	CHECK(names_site(n, 1) >= 0);
	CHECK(names_site(n, 99) == -1); /* no such stack (yet) */
	CHECK_STR(names_site_name(n, names_site(n, 2)), "0x402000"); /* in no module */

	/* the view folds stacks into sites and lays them out */
	struct view v;
	view_init(&v, 0);
	view_tick(&v, m, n);
	CHECK_EQ_U(v.n_sites, 2);
	struct view_line lines[64];
	struct view_info in = { .command = "prog", .pid = 42, .status = "running" };
	int k = view_render(&v, m, n, &in, 100, 0, lines, 64);
	CHECK(k > 8);
	CHECK(strstr(lines[0].text, "prog") && strstr(lines[0].text, "pid 42"));
	CHECK(strstr(lines[1].text, "live 79 B (79 B) in 3 blocks"));
	CHECK(strstr(lines[1].text, "peak 1000 B"));
	int found = 0;
	for (int i = 0; i < k; i++)
		if (strstr(lines[i].text, "0x401000") && strstr(lines[i].text, "15 B"))
			found = 1;
	CHECK(found);
	for (int i = 0; i < k; i++)
		CHECK(strlen(lines[i].text) <= 100);
	/* filtering and the leaks view */
	snprintf(v.filter, sizeof(v.filter), "402000");
	CHECK_EQ_U(view_rows(&v, m, n), 1);
	v.filter[0] = 0;
	v.mode = VIEW_THREADS;
	CHECK_EQ_U(view_rows(&v, m, n), 2);
	view_free(&v);

	follow_close(f);
	names_free(n);
	live_model_free(m);
	unlink(path);
	rmdir(dir);
}

TEST(follow_reports_a_damaged_trace)
{
	char dir[] = "/tmp/czprof-live.XXXXXX", path[64];
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/t.czt", dir);
	struct czt_header h = { .major = CZT_VERSION_MAJOR, .minor = CZT_VERSION_MINOR, .pid = 1, .clock = 1 };
	len = czt_header_encode(buf, sizeof(buf), &h);
	chunk_begin(CZT_CHUNK_EVENTS, 1, 0);
	czt_enc_alloc(&enc, CZT_REC_MALLOC, 1, 0x10, 1, 0);
	chunk_end();
	buf[len - 1] ^= 0x40; /* a flipped bit in the payload */
	write_file(path, len);
	struct live_model *m = model();
	struct names *n = NULL;
	struct follower *f = NULL;
	CHECK(names_new(&n) == 0);
	CHECK(follow_open(&f, path, m, n) == 0);
	CHECK_EQ_U(follow_poll(f, UINT64_MAX, 1 << 20), FOLLOW_DAMAGED);
	CHECK(strstr(follow_error(f), "checksum") != NULL);
	follow_close(f);
	write_file(path, 5); /* not a trace */
	memcpy(buf, "hello", 5);
	write_file(path, 5);
	CHECK(follow_open(&f, path, m, n) == 0);
	CHECK_EQ_U(follow_poll(f, UINT64_MAX, 1 << 20), FOLLOW_DAMAGED);
	follow_close(f);
	CHECK(follow_open(&f, "/nonexistent/t.czt", m, n) == -1);
	names_free(n);
	live_model_free(m);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	RUN(model_pairs_by_address);
	RUN(model_free_of_block_from_before_following);
	RUN(model_cross_thread_frees_and_reuse);
	RUN(model_many_blocks_survive_table_growth);
	RUN(model_realloc);
	RUN(model_exec_and_end);
	RUN(model_timeline);
	RUN(model_allocators);
	RUN(model_quiet_program_moves_on);
	RUN(model_threads_flushed_out_of_order);
	RUN(model_replay_holds_at_its_clock);
	RUN(follow_merges_thread_chunks_by_time);
	RUN(follow_reports_a_damaged_trace);
	return unit_done();
}
