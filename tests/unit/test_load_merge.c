/*
 * test_load_merge.c - the streaming merge (cli/load_merge.c): whatever the
 * order sequences' events arrive in and however often they are handed
 * out, what comes out is the global order (time, frees first, file
 * order) that sorting everything at the end gives; an event older than
 * what was handed out is refused.
 */
#include <stdlib.h>

#include "lib/analysis/merge.h"
#include "tests/unit.h"

#define N 50000
#define SEQS 5

struct item {
	struct load_ev e;
	uint32_t seq;
};

static struct item out[N];
static size_t n_out;

static int sink(void *ctx, const struct load_ev *e, size_t n)
{
	(void)ctx;
	for (size_t i = 0; i < n; i++, n_out++)
		if (n_out < N)
			out[n_out].e = e[i];
	return 0;
}

static int by_order(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	return load_ev_before(&x->e, x->seq, &y->e, y->seq) ? -1 : 1;
}

static uint64_t rng = 88172645463325252ull;

/* Events of SEQS sequences, each in time order, equal times and frees
 * across them, arriving in chunks of random length from random sequences; the
 * merge hands out what is older than the newest time less lag after
 * every chunk, everything at the end. */
TEST(gives_the_sorted_order)
{
	static struct item all[N];
	uint64_t clock[SEQS] = { 0 };
	size_t left[SEQS], made = 0;
	for (int k = 0; k < SEQS; k++)
		left[k] = N / SEQS;
	struct load_merge m = { 0 };
	n_out = 0;
	const uint64_t lag = 300;
	int late = 0;
	while (made < N) {
		int k = (int)(unit_rand(&rng) % SEQS);
		size_t chunk = 1 + unit_rand(&rng) % 300;
		for (size_t i = 0; i < chunk && left[k]; i++, left[k]--) {
			/* small steps: equal times across sequences are common
			 * (within one, the file order would decide, not a sort) */
			clock[k] += 1 + unit_rand(&rng) % 3;
			struct load_ev e = { .time = clock[k], .addr = made, .tid = (uint32_t)k,
					     .kind = unit_rand(&rng) % 2 ? EV_FREE : EV_ALLOC };
			all[made] = (struct item){ e, (uint32_t)made };
			int rc = merge_push(&m, (size_t)k, &e, (uint32_t)made);
			late += rc == MERGE_LATE;
			made++;
		}
		/* a sequence behind the others by more than the lag would be
		 * late: keep them within it, as the recorder's flushes do */
		uint64_t lo = UINT64_MAX;
		for (int j = 0; j < SEQS; j++)
			if (left[j] && clock[j] < lo)
				lo = clock[j];
		if (lo != UINT64_MAX && m.newest > lo + lag / 2)
			continue;
		CHECK(merge_out(&m, m.newest > lag ? m.newest - lag : 0, 0, sink, NULL) == 0);
	}
	CHECK(merge_out(&m, 0, 1, sink, NULL) == 0);
	CHECK_EQ_U(late, 0);
	CHECK_EQ_U(n_out, N);
	CHECK_EQ_U(m.held, 0);
	qsort(all, N, sizeof(all[0]), by_order);
	size_t bad = 0;
	for (size_t i = 0; i < N && i < n_out; i++)
		bad += out[i].e.addr != all[i].e.addr;
	CHECK_EQ_U(bad, 0);
	merge_free(&m);
}

/* Handed out below a time, the merge refuses older events, keeps newer
 * ones, and does not hand out what is not older than the limit. */
TEST(refuses_late_events)
{
	struct load_merge m = { 0 };
	struct load_ev a = { .time = 100, .addr = 1 }, b = { .time = 200, .addr = 2 },
		       c = { .time = 150, .addr = 3 }, d = { .time = 149, .addr = 4 };
	CHECK(merge_push(&m, 0, &a, 0) == 0);
	CHECK(merge_push(&m, 1, &b, 1) == 0);
	n_out = 0;
	CHECK(merge_out(&m, 150, 0, sink, NULL) == 0);
	CHECK_EQ_U(n_out, 1);
	CHECK_EQ_U(out[0].e.addr, 1);
	CHECK(merge_push(&m, 2, &c, 2) == 0);         /* not older than the limit */
	CHECK(merge_push(&m, 2, &d, 3) == MERGE_LATE); /* older: refused */
	CHECK_EQ_U(m.held, 2);
	CHECK(merge_out(&m, 0, 1, sink, NULL) == 0);
	CHECK_EQ_U(n_out, 3);
	CHECK_EQ_U(out[1].e.addr, 3);
	CHECK_EQ_U(out[2].e.addr, 2);
	merge_free(&m);
}

/* On equal times a free comes before an allocation, and otherwise the
 * file order decides, whichever sequence they are in. */
TEST(breaks_ties_as_the_format_says)
{
	struct load_merge m = { 0 };
	struct load_ev a1 = { .time = 7, .addr = 1, .kind = EV_ALLOC },
		       f2 = { .time = 7, .addr = 2, .kind = EV_FREE },
		       a3 = { .time = 7, .addr = 3, .kind = EV_ALLOC };
	CHECK(merge_push(&m, 3, &a1, 10) == 0);
	CHECK(merge_push(&m, 1, &a3, 12) == 0);
	CHECK(merge_push(&m, 2, &f2, 11) == 0);
	n_out = 0;
	CHECK(merge_out(&m, 8, 0, sink, NULL) == 0);
	CHECK_EQ_U(n_out, 3);
	CHECK_EQ_U(out[0].e.addr, 2);
	CHECK_EQ_U(out[1].e.addr, 1);
	CHECK_EQ_U(out[2].e.addr, 3);
	merge_free(&m);
}

/* An event at the limit stays: one at the same time may still come and
 * go before it (a free before an allocation). */
TEST(keeps_events_at_the_limit)
{
	struct load_merge m = { 0 };
	struct load_ev a = { .time = 150, .addr = 1, .kind = EV_ALLOC },
		       f = { .time = 150, .addr = 2, .kind = EV_FREE };
	CHECK(merge_push(&m, 0, &a, 0) == 0);
	n_out = 0;
	CHECK(merge_out(&m, 150, 0, sink, NULL) == 0);
	CHECK_EQ_U(n_out, 0);
	CHECK(merge_push(&m, 1, &f, 1) == 0);
	CHECK(merge_out(&m, 151, 0, sink, NULL) == 0);
	CHECK_EQ_U(n_out, 2);
	CHECK_EQ_U(out[0].e.addr, 2);
	CHECK_EQ_U(out[1].e.addr, 1);
	merge_free(&m);
}

/* merge_push queues most events inline (same run, room in the block) and
 * the rest through merge_push_slow: both keep newest and latest (unless
 * quiet), and the queue stays in order across its 64 KiB blocks (2048
 * events) and runs. */
TEST(inline_and_slow_pushes_agree)
{
	struct load_merge m = { 0 };
	n_out = 0;
	/* sequence 0: 5000 events of chunk 1, then 10 of chunk 2 */
	for (uint64_t i = 0; i < 5010; i++) {
		struct load_ev e = { .time = 1000 + 2 * i, .addr = i, .kind = EV_ALLOC };
		CHECK(merge_push(&m, 0, &e, i < 5000 ? 1 : 2) == 0);
	}
	CHECK_EQ_U(m.newest, 1000 + 2 * 5009);
	CHECK_EQ_U(m.latest, 0);
	CHECK_EQ_U(m.held, 5010);
	/* sequence 1 comes 700 behind, then 30 behind, in one run: only
	 * the first sets latest, the inline push not lowering it */
	struct load_ev a = { .time = m.newest - 700, .addr = 9000, .tid = 1 };
	struct load_ev b = { .time = m.newest - 30, .addr = 9001, .tid = 1 };
	CHECK(merge_push(&m, 1, &a, 3) == 0);
	CHECK(merge_push(&m, 1, &b, 3) == 0);
	CHECK_EQ_U(m.latest, 700);
	/* quiet: counted already, latest stays though sequence 2 comes 900
	 * behind (twice: slow, then inline) */
	m.quiet = 1;
	struct load_ev c = { .time = m.newest - 900, .addr = 9002, .tid = 2 };
	struct load_ev d = { .time = m.newest + 5, .addr = 9003, .tid = 1 };
	CHECK(merge_push(&m, 2, &c, 4) == 0);
	CHECK(merge_push(&m, 2, &c, 4) == 0);
	CHECK(merge_push(&m, 1, &d, 3) == 0);
	CHECK_EQ_U(m.latest, 700);
	CHECK_EQ_U(m.newest, 1000 + 2 * 5009 + 5);
	m.quiet = 0;
	CHECK(merge_out(&m, 0, 1, sink, NULL) == 0);
	CHECK_EQ_U(n_out, 5015);
	size_t bad = 0;
	for (size_t i = 1; i < n_out && i < N; i++)
		bad += out[i].e.time < out[i - 1].e.time;
	CHECK_EQ_U(bad, 0);
	/* sequence 0's events in their order, the last of chunk 2 last */
	uint64_t prev = 0, n0 = 0;
	for (size_t i = 0; i < n_out && i < N; i++)
		if (out[i].e.tid == 0) {
			bad += n0 && out[i].e.addr != prev + 1;
			prev = out[i].e.addr;
			n0++;
		}
	CHECK_EQ_U(bad, 0);
	CHECK_EQ_U(n0, 5010);
	CHECK_EQ_U(out[n_out - 1].e.addr, 9003);
	/* handed out: an older event is late, inline or not */
	struct load_ev late = { .time = 10, .addr = 1 };
	CHECK(merge_push(&m, 0, &late, 2) == MERGE_LATE);
	CHECK(merge_push(&m, 5, &late, 9) == MERGE_LATE);
	merge_free(&m);
}

int main(void)
{
	RUN(gives_the_sorted_order);
	RUN(refuses_late_events);
	RUN(keeps_events_at_the_limit);
	RUN(breaks_ties_as_the_format_says);
	RUN(inline_and_slow_pushes_agree);
	return unit_done();
}
