/*
 * cz_testing.c - allocators for tests: the testing allocator (one
 * process-wide debug allocator, checked and restarted at the end of each
 * test) and the checker that runs a function once per allocation it makes,
 * failing each in turn, on a fresh debug allocator every time.
 */
#include <pthread.h>

#include "lib/cz_internal.h"

/* ---- the testing allocator ---- */

static struct cz_debug testing;
static pthread_mutex_t testing_lock = PTHREAD_MUTEX_INITIALIZER;

static void cz__testing_start(void)
{
	struct cz_debug_options o = { CZ_DEBUG_DEFAULTS, .name = "testing" };
	cz__debug_init(&testing, cz_c_allocator(), &o, CZPROF_KIND_TESTING);
}

struct cz_allocator cz_testing_allocator(void)
{
	pthread_mutex_lock(&testing_lock);
	if (!testing.s)
		cz__testing_start();
	pthread_mutex_unlock(&testing_lock);
	return cz_debug_allocator(&testing);
}

size_t cz_testing_check(void)
{
	pthread_mutex_lock(&testing_lock);
	size_t bad = 0;
	if (testing.s)
		bad = cz_debug_problems(&testing) + cz_debug_deinit(&testing);
	cz__testing_start(); /* handles given out before stay usable */
	pthread_mutex_unlock(&testing_lock);
	return bad;
}

/* ---- every allocation failing in turn ---- */

struct run {
	size_t allocations; /* made by fn, the failed one included */
	size_t leaks;       /* blocks still live at the end */
	size_t problems;    /* double, invalid and wrong-length frees */
	int rc;             /* what fn returned */
};

/* One run of fn with allocation fail_index failing (SIZE_MAX: none).
 * Returns 0, or -1 if the debug allocator could not start. */
static int cz__run_once(int (*fn)(struct cz_allocator, void *), void *ctx, FILE *report, size_t fail_index,
		    struct run *r)
{
	struct cz_debug_options o = { CZ_DEBUG_DEFAULTS, .report = report, .name = "failure check" };
	struct cz_debug d;
	struct cz_failing f;
	if (cz_debug_init(&d, cz_c_allocator(), &o))
		return -1;
	cz_failing_init(&f, cz_debug_allocator(&d), fail_index, CZ_FAIL_NTH);
	r->rc = fn(cz_failing_allocator(&f), ctx);
	r->allocations = f.allocations;
	r->problems = cz_debug_problems(&d);
	r->leaks = cz_debug_deinit(&d);
	return 0;
}

size_t cz_check_allocation_failures(int (*fn)(struct cz_allocator a, void *ctx), void *ctx, FILE *report)
{
	FILE *out = report ? report : stderr;
	struct run all, r;
	size_t bad = 0;
	/* first, how many allocations a run where nothing fails makes */
	if (cz__run_once(fn, ctx, out, SIZE_MAX, &all))
		goto oom;
	if (all.leaks || all.problems) {
		fprintf(out, "czalloc: the run where no allocation fails leaks or frees wrongly\n");
		bad++;
	}
	for (size_t i = 0; i < all.allocations; i++) {
		if (cz__run_once(fn, ctx, out, i, &r))
			goto oom;
		if (r.leaks || r.problems) {
			fprintf(out, "czalloc: with allocation %zu of %zu failing (the function returned %d): "
				     "%zu block%s leaked, %zu wrong free%s\n",
				i + 1, all.allocations, r.rc, r.leaks, r.leaks == 1 ? "" : "s", r.problems,
				r.problems == 1 ? "" : "s");
			bad++;
		}
	}
	fflush(out);
	return bad;
oom:
	fprintf(out, "czalloc: out of memory for the debug allocator\n");
	fflush(out);
	return bad + 1;
}
