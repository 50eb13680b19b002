/*
 * test_live.c - the live model behind `czprof top` driven by scripted
 * events (exact live bytes and blocks per stack, thread and allocator;
 * frees of blocks allocated before following started; cross-thread frees
 * and address reuse; realloc; exec; the timeline), the follower merging
 * out-of-order thread chunks of a growing file, and the text layout.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "czt.h"
#include "tests/unit.h"
#include "viewer/follow.h"
#include "lib/analysis/idmap.h"
#include "viewer/live.h"
#include "viewer/names.h"
#include "viewer/view.h"

static struct live_model *model(void)
{
	struct live_model *m = NULL;
	CHECK(live_model_new(&m) == 0);
	return m;
}

static void ev(struct live_model *m, unsigned type, uint64_t time, uint32_t tid, uint64_t addr,
	       uint64_t size, uint64_t stack)
{
	struct live_event e = { .time = time, .addr = addr, .size = size, .stack = stack,
				.tid = tid, .type = type };
	live_apply(m, &e);
}

static void re(struct live_model *m, uint64_t time, uint32_t tid, uint64_t old, uint64_t addr,
	       uint64_t size, uint64_t stack)
{
	struct live_event e = { .time = time, .addr = addr, .old_addr = old, .size = size,
				.stack = stack, .tid = tid, .type = CZT_REC_REALLOC };
	live_apply(m, &e);
}

static const struct live_stack *stack_of(struct live_model *m, uint64_t id)
{
	for (size_t i = 0; i < m->n_stacks; i++)
		if (m->stacks[i].id == id)
			return &m->stacks[i];
	return NULL;
}

TEST(model_pairs_by_address)
{
	struct live_model *m = model();
	ev(m, CZT_REC_MALLOC, 10, 1, 0x1000, 100, 5);
	ev(m, CZT_REC_MALLOC, 20, 1, 0x2000, 200, 5);
	ev(m, CZT_REC_CALLOC, 30, 1, 0x3000, 300, 6);
	ev(m, CZT_REC_FREE, 40, 1, 0x2000, 0, 0);
	CHECK_EQ_U(m->live_bytes, 400);
	CHECK_EQ_U(m->live_blocks, 2);
	CHECK_EQ_U(m->peak_bytes, 600);
	CHECK_EQ_U(m->peak_blocks, 3);
	CHECK_EQ_U(m->peak_time, 30);
	CHECK_EQ_U(m->allocs, 3);
	CHECK_EQ_U(m->frees, 1);
	CHECK_EQ_U(stack_of(m, 5)->live_bytes, 100);
	CHECK_EQ_U(stack_of(m, 5)->live_blocks, 1);
	CHECK_EQ_U(stack_of(m, 5)->allocs, 2);
	CHECK_EQ_U(stack_of(m, 5)->bytes_allocated, 300);
	CHECK_EQ_U(stack_of(m, 6)->live_bytes, 300);
	/* free(NULL) and failed allocations change nothing live */
	ev(m, CZT_REC_FREE, 50, 1, 0, 0, 0);
	ev(m, CZT_REC_MALLOC, 60, 1, 0, 1 << 30, 5);
	CHECK_EQ_U(m->failed, 1);
	CHECK_EQ_U(m->live_bytes, 400);
	CHECK_EQ_U(m->frees, 1);
	live_model_free(m);
}

TEST(model_free_of_block_from_before_following)
{
	struct live_model *m = model();
	ev(m, CZT_REC_FREE, 5, 1, 0xdead0, 0, 0);
	ev(m, CZT_REC_MALLOC, 6, 1, 0x100, 64, 1);
	ev(m, CZT_REC_FREE, 7, 1, 0xbeef0, 0, 0);
	CHECK_EQ_U(m->unmatched_frees, 2);
	CHECK_EQ_U(m->live_bytes, 64);
	CHECK_EQ_U(m->live_blocks, 1);
	live_model_free(m);
}

TEST(model_cross_thread_frees_and_reuse)
{
	struct live_model *m = model();
	/* thread 1 allocates, thread 2 frees, thread 2 gets the address again */
	ev(m, CZT_REC_MALLOC, 10, 1, 0x5000, 48, 1);
	ev(m, CZT_REC_FREE, 20, 2, 0x5000, 0, 0);
	ev(m, CZT_REC_MALLOC, 30, 2, 0x5000, 80, 2);
	CHECK_EQ_U(m->live_bytes, 80);
	CHECK_EQ_U(m->unmatched_frees, 0);
	struct live_thread *t1 = live_find_thread(m, 1), *t2 = live_find_thread(m, 2);
	CHECK(t1 && t2);
	if (t1 && t2) {
		CHECK_EQ_U(t1->allocs, 1);
		CHECK_EQ_U(t1->frees, 0);
		CHECK_EQ_U(t1->live_bytes, 0); /* its block was freed by thread 2 */
		CHECK_EQ_U(t2->frees, 1);
		CHECK_EQ_U(t2->live_bytes, 80);
	}
	CHECK_EQ_U(stack_of(m, 1)->live_blocks, 0);
	CHECK_EQ_U(stack_of(m, 2)->live_blocks, 1);
	/* an allocation at a live address: its free was never seen */
	ev(m, CZT_REC_MALLOC, 40, 1, 0x5000, 16, 1);
	CHECK_EQ_U(m->live_bytes, 16);
	CHECK_EQ_U(m->live_blocks, 1);
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
	CHECK_EQ_U(m->live_blocks, 50000);
	CHECK_EQ_U(m->live_bytes, want);
	CHECK_EQ_U(m->unmatched_frees, 0);
	uint64_t sum = 0;
	for (size_t i = 0; i < m->n_stacks; i++)
		sum += m->stacks[i].live_bytes;
	CHECK_EQ_U(sum, want);
	live_model_free(m);
}

TEST(model_realloc)
{
	struct live_model *m = model();
	re(m, 10, 1, 0, 0x100, 50, 3);       /* realloc(NULL, 50) */
	re(m, 20, 1, 0x100, 0x200, 500, 4);  /* moved */
	CHECK_EQ_U(m->live_bytes, 500);
	CHECK_EQ_U(m->live_blocks, 1);
	CHECK_EQ_U(stack_of(m, 3)->live_blocks, 0);
	CHECK_EQ_U(stack_of(m, 4)->live_bytes, 500);
	re(m, 30, 1, 0x200, 0, 1ull << 40, 4); /* failed: the old block stays */
	CHECK_EQ_U(m->live_bytes, 500);
	CHECK_EQ_U(m->failed, 1);
	re(m, 40, 1, 0x200, 0, 0, 4);          /* realloc(p, 0): freed */
	CHECK_EQ_U(m->live_bytes, 0);
	CHECK_EQ_U(m->live_blocks, 0);
	live_model_free(m);
}

TEST(model_exec_and_end)
{
	struct live_model *m = model();
	ev(m, CZT_REC_MALLOC, 10, 1, 0x100, 70, 1);
	live_exec(m, 20);
	CHECK_EQ_U(m->live_bytes, 0);
	CHECK_EQ_U(m->n_stacks, 0);
	CHECK(!m->ended);
	ev(m, CZT_REC_MALLOC, 30, 1, 0x100, 30, 1);
	CHECK_EQ_U(m->live_bytes, 30);
	CHECK_EQ_U(stack_of(m, 1)->allocs, 1); /* a new stack 1 */
	CHECK_EQ_U(m->peak_bytes, 70);
	struct live_event end = { .time = 40, .type = CZT_REC_PROCESS_END, .size = CZT_END_SIGNAL, .addr = 9 };
	live_apply(m, &end);
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
	CHECK_EQ_U(m->bucket_ns, LIVE_FIRST_BUCKET_NS);
	CHECK_EQ_U(m->n_buckets, 6);
	CHECK_EQ_U(m->timeline[0], 1000);
	CHECK_EQ_U(m->timeline[1], 1000); /* carried forward */
	CHECK_EQ_U(m->timeline[2], 4000);
	CHECK_EQ_U(m->timeline[3], 1000);
	CHECK_EQ_U(m->timeline[4], 1000);
	CHECK_EQ_U(m->timeline[5], 1000); /* the highest level in the bucket */
	/* far later: buckets merge, keeping maxima, and stay bounded */
	ev(m, CZT_REC_MALLOC, 10000000000ull, 1, 0x300, 7, 1);
	CHECK(m->n_buckets <= LIVE_BUCKETS);
	CHECK(m->bucket_ns > LIVE_FIRST_BUCKET_NS);
	CHECK_EQ_U(m->timeline[0], 4000);
	CHECK_EQ_U(m->timeline[m->n_buckets - 1], 7);
	live_advance(m, 20000000000ull);
	CHECK_EQ_U(m->now, 20000000000ull);
	CHECK_EQ_U(m->timeline[m->n_buckets - 1], 7);
	live_model_free(m);
}

TEST(model_allocators)
{
	struct live_model *m = model();
	struct live_event e = { .time = 1, .type = CZT_REC_CZ_NEW, .allocator = 3, .size = 3,
				.old_addr = 1, .addr = 77 };
	live_apply(m, &e);
	for (int i = 0; i < 4; i++) {
		struct live_event a = { .time = 2, .type = CZT_REC_CZ_ALLOC, .allocator = 3,
					.addr = 0x1000 + (uint64_t)i * 64, .size = 64 };
		live_apply(m, &a);
	}
	struct live_event c = { .time = 3, .type = CZT_REC_CZ_CAPACITY, .allocator = 3, .size = 4096 };
	live_apply(m, &c);
	struct live_event f = { .time = 4, .type = CZT_REC_CZ_FREE, .allocator = 3, .addr = 0x1000 };
	live_apply(m, &f);
	struct live_allocator *a = live_find_allocator(m, 3);
	CHECK(a != NULL);
	if (!a)
		return;
	CHECK_EQ_U(a->kind, 3);
	CHECK_EQ_U(a->parent, 1);
	CHECK_EQ_U(a->name, 77);
	CHECK_EQ_U(a->allocs, 4);
	CHECK_EQ_U(a->bytes_requested, 256);
	CHECK_EQ_U(a->live_bytes, 192);
	CHECK_EQ_U(a->live_blocks, 3);
	CHECK_EQ_U(a->capacity, 4096);
	struct live_event r = { .time = 5, .type = CZT_REC_CZ_RESET, .allocator = 3, .size = 1024 };
	live_apply(m, &r);
	CHECK_EQ_U(a->live_bytes, 0);
	CHECK_EQ_U(a->resets, 1);
	CHECK_EQ_U(a->capacity, 1024);
	CHECK_EQ_U(a->peak_capacity, 4096);
	struct live_event d = { .time = 6, .type = CZT_REC_CZ_DESTROY, .allocator = 3 };
	live_apply(m, &d);
	CHECK(a->is_destroyed);
	CHECK_EQ_U(a->destroyed, 6);
	/* allocator blocks are not heap blocks */
	CHECK_EQ_U(m->live_bytes, 0);
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
	CHECK_EQ_U(follow_pending(f), 2);
	follow_apply(f, 150); /* nothing of thread 2 is that old */
	CHECK_EQ_U(m->allocs, 0);
	write_file(path, before_cut + 10);
	CHECK_EQ_U(follow_poll(f, UINT64_MAX, 1 << 20), FOLLOW_READING);
	CHECK_EQ_U(follow_pending(f), 4);
	follow_apply(f, UINT64_MAX);
	CHECK_EQ_U(m->unmatched_frees, 0); /* the free found thread 1's block */
	CHECK_EQ_U(m->live_bytes, 74);
	CHECK_EQ_U(m->live_blocks, 2);
	CHECK_EQ_U(m->peak_bytes, 1000);
	write_file(path, len);
	follow_poll(f, UINT64_MAX, 1 << 20);
	follow_apply(f, UINT64_MAX);
	CHECK_EQ_U(m->live_bytes, 79);
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
	RUN(follow_merges_thread_chunks_by_time);
	RUN(follow_reports_a_damaged_trace);
	return unit_done();
}
