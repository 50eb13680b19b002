/*
 * test_rec_spare.c - when the flusher writes the column form
 * (lib/rec_spare.c): while the rest of the process leaves a core over,
 * with some slack both ways so that a program at the edge does not make
 * it flip at every look; and the measuring side answers at all.
 */
#include <time.h>

#include "lib/rec_spare.c"
#include "tests/unit.h"

TEST(decides_by_the_core_left_over)
{
	CHECK(rec_spare_decide(1.0, 2.0, 1));   /* churn on two cores */
	CHECK(rec_spare_decide(0.1, 1.0, 1));   /* an idle program on one */
	CHECK(!rec_spare_decide(2.0, 2.0, 1));  /* two busy threads on two cores */
	CHECK(!rec_spare_decide(0.95, 1.0, 1)); /* one busy thread on one core */
	CHECK(rec_spare_decide(6.0, 8.0, 0));
}

TEST(slack_keeps_the_answer_near_the_edge)
{
	/* 1.4 cores busy of 2: stays on when on, stays off when off */
	CHECK(rec_spare_decide(1.4, 2.0, 1));
	CHECK(!rec_spare_decide(1.4, 2.0, 0));
	CHECK(!rec_spare_decide(1.6, 2.0, 1));
	CHECK(rec_spare_decide(1.1, 2.0, 0));
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
	int on = rec_spare_update(&s, mono_ns());
	if (s.cpus >= 2.0)
		CHECK(on);
}

int main(void)
{
	RUN(decides_by_the_core_left_over);
	RUN(slack_keeps_the_answer_near_the_edge);
	RUN(own_time_is_not_counted);
	return unit_done();
}
