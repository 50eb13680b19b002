/*
 * test_czhelpers.c - libczalloc's helpers and smaller allocators:
 * overflow-checked array growth, cz_sprintf, blocks made by helpers that
 * name the program's call, the stack-fallback allocator, the pool of one
 * object size, and the deinit of fixed buffers and failing allocators.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/include/cz_alloc.h"
#include "tests/unit.h"

static char report[16384];

static FILE *report_open(void)
{
	memset(report, 0, sizeof(report));
	return fmemopen(report, sizeof(report) - 1, "w");
}

/* The function named by the first frame line of the report. */
static const char *frame0(void)
{
	static char fn[128];
	const char *p = strstr(report, "    #0  0x");
	fn[0] = 0;
	if (p && (p = strchr(p + 10, ' ')))
		sscanf(p + 1, "%127[^+ \n]", fn);
	return fn;
}

#define KEEP_FRAME() __asm__ volatile("" ::: "memory")
char *czh_name(struct cz_allocator a);
char *czh_label(struct cz_allocator a);

__attribute__((noinline)) char *czh_name(struct cz_allocator a)
{
	char *s = cz_strdup(a, "leaked");
	KEEP_FRAME();
	return s;
}

__attribute__((noinline)) char *czh_label(struct cz_allocator a)
{
	char *s = cz_sprintf(a, "%s-%d", "row", 42);
	KEEP_FRAME();
	return s;
}

TEST(arrays_grow_checked)
{
	struct cz_allocator c = cz_c_allocator();
	int *v = cz_create_array(c, int, 4);
	CHECK(v != NULL);
	for (int i = 0; i < 4; i++)
		v[i] = i * 10;
	v = cz_grow_array(c, v, 4, 1000);
	CHECK(v && v[3] == 30);
	CHECK(cz_realloc_array(c, v, 1000, SIZE_MAX / 2, sizeof(int), alignof(int)) == NULL); /* overflow */
	CHECK(v[3] == 30); /* untouched */
	cz_free_array(c, v, 1000, sizeof(int), alignof(int));
}

TEST(helpers_name_the_programs_call)
{
	/* a leak through cz_strdup or cz_sprintf starts at the caller, never
	 * at cz_dup or another library frame */
	FILE *rf = report_open();
	struct cz_debug_options o = { CZ_DEBUG_DEFAULTS, .report = rf };
	struct cz_debug d;
	CHECK(cz_debug_init(&d, cz_c_allocator(), &o) == 0);
	struct cz_allocator a = cz_debug_allocator(&d);
	czh_name(a);
	CHECK_EQ_U(cz_debug_deinit(&d), 1);
	fclose(rf);
	CHECK(strstr(report, "czalloc: leak: 7 bytes") != NULL);
	CHECK_STR(frame0(), "czh_name");

	rf = report_open();
	o.report = rf;
	CHECK(cz_debug_init(&d, cz_c_allocator(), &o) == 0);
	a = cz_debug_allocator(&d);
	char *s = czh_label(a);
	CHECK_STR(s, "row-42");
	CHECK_EQ_U(cz_debug_live_bytes(&d), 7); /* exactly the string and its NUL */
	CHECK_EQ_U(cz_debug_deinit(&d), 1);
	fclose(rf);
	CHECK_STR(frame0(), "czh_label");
}

TEST(stack_fallback)
{
	char buf[64];
	struct cz_debug d;
	CHECK(cz_debug_init(&d, cz_c_allocator(), NULL) == 0);
	struct cz_stack_fallback s;
	cz_stack_fallback_init(&s, buf, sizeof(buf), cz_debug_allocator(&d), NULL);
	struct cz_allocator a = cz_stack_fallback_allocator(&s);
	char *x = cz_alloc(a, 40, 8), *y = cz_alloc(a, 40, 8);
	CHECK(x >= buf && x < buf + sizeof(buf)); /* fits */
	CHECK(y && (y < buf || y >= buf + sizeof(buf))); /* does not: the parent's */
	CHECK_EQ_U(cz_debug_live_blocks(&d), 1);
	x = cz_realloc(a, x, 40, 200, 8); /* outgrows the buffer: moved to the parent */
	CHECK(x && (x < buf || x >= buf + sizeof(buf)));
	CHECK_EQ_U(cz_debug_live_blocks(&d), 2);
	cz_free(a, x, 200, 8);
	cz_free(a, y, 40, 8);
	cz_stack_fallback_deinit(&s);
	CHECK_EQ_U(cz_debug_problems(&d), 0);
	CHECK_EQ_U(cz_debug_deinit(&d), 0);
}

TEST(pool_of_one_size)
{
	struct cz_debug d;
	CHECK(cz_debug_init(&d, cz_c_allocator(), NULL) == 0);
	struct cz_pool p;
	struct point { double x, y, z; };
	cz_pool_init(&p, cz_debug_allocator(&d), sizeof(struct point), alignof(struct point), "points");
	struct point *v[40];
	for (int i = 0; i < 40; i++) {
		v[i] = cz_pool_get(&p);
		CHECK(v[i] != NULL);
		v[i]->x = i;
	}
	/* 40 objects of 24 bytes: slabs of 16 and 32 slots from the parent */
	CHECK_EQ_U(p.live, 40);
	CHECK_EQ_U(cz_debug_live_blocks(&d), 2);
	CHECK(v[39]->x == 39 && v[0]->x == 0);
	cz_pool_put(&p, v[7]);
	CHECK(cz_pool_get(&p) == v[7]); /* the freed object comes back first */
	/* as an allocator: objects up to its size, nothing bigger */
	struct cz_allocator a = cz_pool_allocator(&p);
	void *q = cz_alloc(a, 16, 8);
	CHECK(q != NULL);
	CHECK(cz_alloc(a, 25, 8) == NULL);
	cz_free(a, q, 16, 8);
	CHECK_EQ_U(p.live, 40);
	cz_pool_deinit(&p); /* every slab back to the parent */
	CHECK_EQ_U(cz_debug_deinit(&d), 0);
}

TEST(deinit_of_fixed_and_failing)
{
	char buf[32];
	struct cz_fixed f;
	cz_fixed_init(&f, buf, sizeof(buf), NULL);
	CHECK(cz_alloc(cz_fixed_allocator(&f), 8, 8) != NULL);
	cz_fixed_deinit(&f);
	CHECK(f.buf == NULL && f.used == 0);
	struct cz_failing fl;
	cz_failing_init(&fl, cz_c_allocator(), SIZE_MAX, CZ_FAIL_NTH);
	cz_failing_deinit(&fl);
	/* outside the recorder an allocator has no id */
	CHECK_EQ_U(cz_allocator_id(cz_fixed_allocator(&f)), 0);
}

int main(void)
{
	RUN(arrays_grow_checked);
	RUN(helpers_name_the_programs_call);
	RUN(stack_fallback);
	RUN(pool_of_one_size);
	RUN(deinit_of_fixed_and_failing);
	return unit_done();
}
