/*
 * rec_clock.c - event times: nanoseconds since the trace started.
 *
 * Every event is stamped, so the clock is on the hottest path.  The OS
 * clock (CLOCK_MONOTONIC through the vDSO) costs 20-40 ns a read in a
 * virtual machine, as much as all the rest of recording a realloc.  The
 * CPU's time-stamp counter costs ~10 ns, but the order of events across
 * threads rests on their times (format/FORMAT.md: a free is stamped before
 * the real free, an allocation after the real call, so a block's reuse on
 * another thread sorts after its free), and counters of different CPUs are
 * not guaranteed to agree.
 *
 * So the counter is read only while one thread records: that thread (the
 * owner) converts it to the OS clock's nanoseconds by a line fitted to OS
 * clock readings taken at least every millisecond, and checks every fit
 * against the clock it predicts.  The first time a second thread records,
 * every thread, the owner included, goes back to the OS clock, shifted
 * forward by GAP: any time the owner stamped before is below any time
 * stamped after, as long as the fitted line stays within GAP of the clock.
 * A fit that strays by a quarter of GAP (an unsynchronised counter, a
 * migration between CPUs that disagree) ends the counter's use for good.
 * CZPROF_CLOCK=os never uses it.
 *
 * While one thread records, its times are also rounded down to TICK_NS.
 * Nothing orders them against another thread's yet, and the loader keeps
 * a thread's file order whatever its times; a stamp is itself 20-40 ns
 * into the interposed call, so finer digits say nothing about the event,
 * but they are random, and they were the largest part of a compressed
 * single-threaded trace's times (2.41 -> 2.19 bytes per event on the
 * hash-table bench, 2.07 -> 1.83 on churn).  Rounding down keeps every
 * time at or below the true one: a later thread's times, above the true
 * ones (plus GAP after the counter), still sort after them.
 */
#include <string.h>
#include <time.h>

#include "lib/recorder/rec.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <x86intrin.h>
#endif

#define GAP_NS 1000000u      /* the shift of the OS clock after the switch */
#define SYNC_NS 1000000u     /* the longest the owner extrapolates */
#define FIT_MIN_NS 1000000u  /* the shortest baseline a slope is fitted on */
#define TICK_NS 32u          /* the grain of a lone thread's times: a power of 2 */

static uint64_t start_mono;     /* the OS clock at the trace's start */
static uint64_t gap;            /* 0, then GAP_NS once shared */
static int shared;              /* a second thread records: OS clock for all */
static int counter_ok;          /* an invariant time-stamp counter, not refused */
static int claimed;             /* a thread owns the counter */
static int counter_allowed;     /* counter_ok as it was at the start */
static __thread int owner;      /* this thread may read the counter */

/* The owner's fit; only the owner touches it. */
static struct {
	uint64_t base_tsc, base_ns; /* the first reading: the slope's baseline */
	uint64_t tsc, ns;           /* the last OS clock reading */
	uint64_t mult;              /* ns per tick, 32.32 fixed point; 0: not fitted yet */
	uint64_t sync_ticks;        /* ticks between OS clock readings */
	uint64_t last;              /* the last time returned */
} fit;

uint64_t rec_clock_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t os_now(void)
{
	return rec_clock_mono() - start_mono + __atomic_load_n(&gap, __ATOMIC_RELAXED);
}

#if defined(__x86_64__)
static int invariant_counter(void)
{
	unsigned a, b, c, d;
	if (!__get_cpuid(0x80000000u, &a, &b, &c, &d) || a < 0x80000007u)
		return 0;
	__get_cpuid(0x80000007u, &a, &b, &c, &d);
	return (d >> 8) & 1;
}

static uint64_t read_counter(void)
{
	return __rdtsc();
}
#else
static int invariant_counter(void)
{
	return 0;
}

static uint64_t read_counter(void)
{
	return 0;
}
#endif

void rec_clock_start(uint64_t mono, int use_counter)
{
	start_mono = mono;
	memset(&fit, 0, sizeof(fit));
	counter_ok = counter_allowed = use_counter && invariant_counter();
	/* a forked child starts again with its one thread */
	owner = 0;
	claimed = 0;
	gap = 0;
	shared = 0;
}

void rec_clock_claim(void)
{
	if (__atomic_load_n(&shared, __ATOMIC_RELAXED))
		return;
	/* the first recording thread owns the counter; any later one shares */
	if (!__atomic_exchange_n(&claimed, 1, __ATOMIC_ACQ_REL)) {
		owner = 1;
		return;
	}
	/* the owner may be stamping with the counter right now: shift
	 * whenever it could have */
	if (counter_allowed)
		__atomic_store_n(&gap, GAP_NS, __ATOMIC_RELAXED);
	__atomic_store_n(&shared, 1, __ATOMIC_RELEASE);
}

int rec_clock_alone(void)
{
	return owner && !__atomic_load_n(&shared, __ATOMIC_ACQUIRE);
}

/* The owner's times while alone: on the tick, never going back. */
static uint64_t monotonic(uint64_t t)
{
	t &= ~(uint64_t)(TICK_NS - 1);
	if (t < fit.last)
		t = fit.last;
	fit.last = t;
	return t;
}

/* The owner's slow path: an OS clock reading, a new fit, a check of the old. */
static __attribute__((noinline)) uint64_t owner_sync(void)
{
	uint64_t ns = os_now();
	uint64_t tsc = read_counter();
	if (!fit.base_tsc) {
		fit.base_tsc = tsc;
		fit.base_ns = ns;
	} else if (tsc > fit.base_tsc && ns - fit.base_ns >= FIT_MIN_NS) {
		if (fit.mult) {
			double predicted = (double)fit.ns + (double)(int64_t)(tsc - fit.tsc) *
				(double)fit.mult / 4294967296.0;
			double err = predicted - (double)ns;
			if (err > GAP_NS / 4 || err < -(double)(GAP_NS / 4)) {
				counter_ok = 0; /* this counter cannot be trusted */
				return monotonic(ns);
			}
		}
		double per_tick = (double)(ns - fit.base_ns) / (double)(tsc - fit.base_tsc);
		fit.mult = (uint64_t)(per_tick * 4294967296.0);
		fit.sync_ticks = fit.mult ? ((uint64_t)SYNC_NS << 32) / fit.mult : 0;
	}
	fit.tsc = tsc;
	fit.ns = ns;
	return monotonic(ns);
}

uint64_t rec_now(void)
{
	if (!rec_clock_alone())
		return os_now();
	if (counter_ok) {
		uint64_t ticks = read_counter() - fit.tsc;
		if (REC_LIKELY(ticks < fit.sync_ticks))
			return monotonic(fit.ns + ((ticks * fit.mult) >> 32));
		return owner_sync();
	}
	/* through monotonic too: a counter refused on a bad fit may have
	 * run a little ahead of the clock */
	return monotonic(os_now());
}
