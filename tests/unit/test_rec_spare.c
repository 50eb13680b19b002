/*
 * test_rec_spare.c - when the flusher writes the column form
 * (lib/recorder/rec_spare.c): while the rest of the process leaves a core over, or
 * with none over while columns cost the program only a few per cent, with
 * some slack both ways so that a program at the edge does not make it flip
 * at every look; the cost is measured from the flusher's own time; and the
 * measuring side answers at all.
 */
#include <time.h>

#include "lib/recorder/rec_spare.c"
#include "tests/unit.h"

TEST(decides_by_the_core_left_over)
{
	CHECK(rec_spare_decide(1.0, 2.0, 0.5, 1));   /* churn on two cores */
	CHECK(rec_spare_decide(0.1, 1.0, 0.5, 1));   /* an idle program on one */
	CHECK(!rec_spare_decide(2.0, 2.0, 0.15, 1)); /* two busy threads on two cores */
	CHECK(!rec_spare_decide(0.95, 1.0, 0.2, 1)); /* one busy thread on one core */
	CHECK(rec_spare_decide(6.0, 8.0, 0.5, 0));
}

TEST(slack_keeps_the_answer_near_the_edge)
{
	/* 1.4 cores busy of 2: stays on when on, stays off when off */
	CHECK(rec_spare_decide(1.4, 2.0, 0.1, 1));
	CHECK(!rec_spare_decide(1.4, 2.0, 0.1, 0));
	CHECK(!rec_spare_decide(1.6, 2.0, 0.1, 1));
	CHECK(rec_spare_decide(1.1, 2.0, 0.1, 0));
	/* no core over: 2.5% of the program's time stays on, is not taken up */
	CHECK(rec_spare_decide(2.0, 2.0, 0.025, 1));
	CHECK(!rec_spare_decide(2.0, 2.0, 0.025, 0));
	CHECK(rec_spare_decide(2.0, 2.0, 0.01, 0));
	CHECK(!rec_spare_decide(2.0, 2.0, 0.035, 1));
}

/* A look over 50 ms of made-up readings: the program used program_ms of
 * CPU, the flusher own_ms, and it packed bytes. */
static int look(struct rec_spare *s, double program_ms, double own_ms, uint64_t bytes)
{
	uint64_t now = s->wall_ns + 50000000u;
	uint64_t own = s->own_us + (uint64_t)(own_ms * 1000);
	uint64_t self = s->self_us + (uint64_t)(program_ms * 1000) + (own - s->own_us);
	rec_spare_packed(s, bytes);
	return rec_spare_look(s, now, self, own);
}

static void start(struct rec_spare *s, double cpus)
{
	*s = (struct rec_spare){ 0 };
	rec_spare_init(s, 1000000000u);
	s->cpus = cpus;
	s->self_us = s->own_us = 0;
}

/* Two threads keep two cores busy: columns cost them 10 ms of 95 (the
 * two-thread bench) and go off; they stay off though the program's share
 * does not change, the measured cost being remembered. */
TEST(columns_go_off_where_they_cost_the_program)
{
	struct rec_spare s;
	start(&s, 2.0);
	CHECK(!look(&s, 95, 10, 2500000));
	CHECK(s.column_ns > 4.0 && s.column_ns < 4.6); /* (5 + 4) / 2 */
	CHECK(!look(&s, 97, 3, 2500000));
	CHECK(s.column_ns > 4.0 && s.column_ns < 4.6); /* frames measure nothing */
	/* the program calms down: a core is over again */
	CHECK(look(&s, 40, 1, 500000));
}

/* A program that keeps every core busy but allocates seldom: columns
 * take 1% of its time, so the smaller trace is kept. */
TEST(columns_stay_on_where_they_cost_little)
{
	struct rec_spare s;
	start(&s, 2.0);
	CHECK(look(&s, 99, 1, 200000));
	CHECK(look(&s, 99, 1, 200000));
	/* a one-core machine, an idle moment: no bytes, no cost */
	start(&s, 1.0);
	CHECK(look(&s, 50, 0, 0));
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The measuring thread's own CPU time is not the program's: a thread that
 * only spins by itself still finds a core to spare on any machine.  On a
 * single-core machine that check cannot hold, and only the count is. */
TEST(own_time_is_not_counted)
{
	struct rec_spare s;
	uint64_t t0 = mono_ns();
	rec_spare_init(&s, t0);
	CHECK(s.cpus >= 1.0);
	CHECK(rec_spare_update(&s, t0 + 1000) == 1); /* too soon: the last answer */
	volatile uint64_t x = 0;
	while (mono_ns() - t0 < 120000000ull)
		x += 1;
	(void)x;
	int on = rec_spare_update(&s, mono_ns());
	if (s.cpus >= 2.0)
		CHECK(on);
}

int main(void)
{
	RUN(decides_by_the_core_left_over);
	RUN(slack_keeps_the_answer_near_the_edge);
	RUN(columns_go_off_where_they_cost_the_program);
	RUN(columns_stay_on_where_they_cost_little);
	RUN(own_time_is_not_counted);
	return unit_done();
}
