/*
 * test_rec_clock.c - event times (lib/recorder/rec_clock.c): while one thread
 * records, its times follow the OS clock (through the time-stamp counter
 * when the CPU has an invariant one), rounded down to the tick, and never
 * go back; once a second thread records, every later time is above every
 * earlier one.
 */
#include <pthread.h>
#include <stdlib.h>

#include "lib/recorder/rec_clock.c"
#include "tests/unit.h"

static uint64_t since_start(void)
{
	return rec_clock_mono() - start_mono;
}

/* Reads for ms milliseconds; checks each time against the OS clock read
 * around it, within slack_ns, and (alone) that it is on the tick. */
static void follow(int ms, uint64_t slack_ns, uint64_t *last)
{
	int alone = rec_clock_alone();
	uint64_t end = since_start() + (uint64_t)ms * 1000000u;
	int bad = 0;
	for (uint64_t before = since_start(); before < end; before = since_start()) {
		uint64_t t = rec_now();
		uint64_t after = since_start() + gap;
		if (t < *last)
			bad |= 1;
		if (t + slack_ns < before + gap || t > after + slack_ns)
			bad |= 2;
		if (alone && t % TICK_NS)
			bad |= 4;
		*last = t;
	}
	CHECK_EQ_U(bad, 0);
}

static uint64_t seen_by_second;

static void *second_thread(void *arg)
{
	(void)arg;
	rec_clock_claim();
	seen_by_second = rec_now();
	return NULL;
}

static void one_then_two(int use_counter)
{
	rec_clock_start(rec_clock_mono(), use_counter);
	rec_clock_claim();
	CHECK(owner);
	CHECK(rec_clock_alone());
	uint64_t last = 0;
	follow(30, 200000, &last);
	if (use_counter && invariant_counter()) {
		CHECK(counter_ok);
		CHECK(fit.mult != 0); /* the counter was fitted and used */
	}
	pthread_t t;
	CHECK(pthread_create(&t, NULL, second_thread, NULL) == 0);
	pthread_join(t, NULL);
	CHECK(shared);
	CHECK(!rec_clock_alone());
	CHECK(seen_by_second > last);
	CHECK_EQ_U(gap, counter_allowed ? GAP_NS : 0);
	uint64_t now = rec_now();
	CHECK(now > last);
	follow(5, 200000, &now);
}

TEST(counter_then_shared)
{
	one_then_two(1);
}

TEST(os_clock_only)
{
	one_then_two(0);
	CHECK(!counter_allowed);
	CHECK(fit.mult == 0);
}

int main(void)
{
	RUN(counter_then_shared);
	RUN(os_clock_only);
	return unit_done();
}
