/*
 * test_czsweep.c - the failure sweep (cz_check_allocation_failures):
 * swallowed out-of-memory errors, the sticky mode, runs in child processes
 * that survive a crash, the induced failure's stack in every report, and
 * one index base shared with cz_failing_init.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/include/cz_alloc.h"
#include "tests/unit.h"

static char report[65536];

/* A real file: with fork_each the children write to it too. */
static FILE *rf;

static void report_open(void)
{
	rf = tmpfile();
}

static void report_close(void)
{
	fflush(rf);
	rewind(rf);
	size_t n = fread(report, 1, sizeof(report) - 1, rf);
	report[n] = 0;
	fclose(rf);
}

/* The function of the first frame line after "  the induced failure at:". */
static const char *induced_frame(const char *text)
{
	static char fn[128];
	const char *p = text ? strstr(text, "\n  the induced failure at:\n") : NULL;
	fn[0] = 0;
	if (p && (p = strstr(p, "    #0  0x")) && (p = strchr(p + 10, ' ')))
		sscanf(p + 1, "%127[^+ \n]", fn);
	return fn;
}

#define KEEP_FRAME() __asm__ volatile("" ::: "memory")
void *czs_cache_entry(struct cz_allocator a);
int czs_parse(struct cz_allocator a, void *ctx);
int czs_fallback(struct cz_allocator a, void *ctx);
int czs_crashy(struct cz_allocator a, void *ctx);

__attribute__((noinline)) void *czs_cache_entry(struct cz_allocator a)
{
	void *p = cz_alloc(a, 64, 8);
	KEEP_FRAME();
	return p;
}

/* Three allocations; when the second (a cache entry) fails, it goes on and
 * reports success: the out-of-memory error is swallowed. */
__attribute__((noinline)) int czs_parse(struct cz_allocator a, void *ctx)
{
	(void)ctx;
	char *buf = cz_alloc(a, 32, 8);
	if (!buf)
		return -1;
	void *cache = czs_cache_entry(a);
	char *out = cz_alloc(a, 16, 8);
	int rc = out ? 0 : -1;
	cz_free(a, out, 16, 8);
	cz_free(a, cache, 64, 8);
	cz_free(a, buf, 32, 8);
	KEEP_FRAME();
	return rc;
}

TEST(swallowed_failure_is_found)
{
	report_open();
	struct cz_check_options o = { .report = rf };
	CHECK_EQ_U(cz_check_allocation_failures_opts(czs_parse, NULL, &o), 1);
	report_close();
	/* k counted from 0, as cz_failing_init's index */
	CHECK(strstr(report, "czalloc: with allocation #1 of 3 (from 0) failing the function returned 0 (success) "
			     "although the allocation failed: the out-of-memory error was swallowed\n") != NULL);
	CHECK_STR(induced_frame(report), "czs_cache_entry");
	/* a function with a deliberate fallback can say so */
	report_open();
	o = (struct cz_check_options){ .report = rf, .allow_recovery = 1 };
	CHECK_EQ_U(cz_check_allocation_failures_opts(czs_parse, NULL, &o), 0);
	report_close();
	/* and the index is the one cz_failing_init takes */
	struct cz_failing f;
	cz_failing_init(&f, cz_c_allocator(), 1, CZ_FAIL_NTH);
	CHECK_EQ_U(czs_parse(cz_failing_allocator(&f), NULL), 0);
	CHECK_EQ_U(f.failures, 1);
	CHECK_EQ_U(f.fail_stack_len > 0, 1);
}

/* A big buffer, else a small one; only when both fail does the error path
 * forget the header it allocated first. */
__attribute__((noinline)) int czs_fallback(struct cz_allocator a, void *ctx)
{
	(void)ctx;
	char *head = cz_alloc(a, 8, 8);
	if (!head)
		return -1;
	size_t len = 4096;
	char *buf = cz_alloc(a, len, 8);
	if (!buf) {
		len = 64;
		buf = cz_alloc(a, len, 8);
	}
	if (!buf)
		return -1; /* leaks head */
	cz_free(a, buf, len, 8);
	cz_free(a, head, 8, 8);
	KEEP_FRAME();
	return 0;
}

TEST(sticky_mode_reaches_the_second_failure)
{
	/* failing one allocation at a time, the fallback always works */
	report_open();
	struct cz_check_options o = { .report = rf, .allow_recovery = 1 };
	CHECK_EQ_U(cz_check_allocation_failures_opts(czs_fallback, NULL, &o), 0);
	report_close();
	/* failing everything from k on, k = 1 fails both buffers */
	report_open();
	o.report = rf;
	o.sticky = 1;
	CHECK_EQ_U(cz_check_allocation_failures_opts(czs_fallback, NULL, &o), 1);
	report_close();
	CHECK(strstr(report, "czalloc: with allocation #1 of 2 (from 0) failing and every one after it the function "
			     "returned -1: 1 block leaked, 0 wrong frees\n") != NULL);
	CHECK_STR(induced_frame(report), "czs_fallback");
	CHECK(strstr(report, "czalloc: leak: 8 bytes at") != NULL);
}

/* Its error path dereferences the NULL it got. */
__attribute__((noinline)) int czs_crashy(struct cz_allocator a, void *ctx)
{
	(void)ctx;
	char *x = cz_alloc(a, 16, 8), *y = cz_alloc(a, 16, 8);
	if (!x) {
		cz_free(a, y, 16, 8);
		return -1;
	}
	*(volatile char *)y = 1; /* y NULL when allocation #1 failed */
	cz_free(a, y, 16, 8);
	cz_free(a, x, 16, 8);
	KEEP_FRAME();
	return 0;
}

TEST(fork_each_survives_a_crash)
{
	report_open();
	struct cz_check_options o = { .report = rf, .fork_each = 1 };
	CHECK_EQ_U(cz_check_allocation_failures_opts(czs_crashy, NULL, &o), 1);
	report_close();
#ifdef __SANITIZE_ADDRESS__
	/* the sanitizers stop the child on the null store before the signal:
	 * an exit, named with its k */
	CHECK(strstr(report, "czalloc: with allocation #1 of 2 (from 0) failing: the process exited (status 1) "
			     "before the function returned\n") != NULL);
	return;
#endif
	/* the child names k, the crash's stack and the induced failure's */
	const char *c = strstr(report, "czalloc: with allocation #1 failing the function crashed (signal 11, ");
	CHECK(c != NULL);
	CHECK(c && strstr(c, " czs_crashy") != NULL);
	CHECK_STR(induced_frame(c), "czs_crashy");
	/* and the sweep went on to its summary line */
	CHECK(strstr(report, "czalloc: with allocation #1 of 2 (from 0) failing: crashed (signal 11)\n") != NULL);
}

int main(void)
{
	RUN(swallowed_failure_is_found);
	RUN(sticky_mode_reaches_the_second_failure);
	RUN(fork_each_survives_a_crash);
	return unit_done();
}
