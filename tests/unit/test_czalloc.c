/*
 * test_czalloc.c - the allocator library: the helpers, libc and page
 * allocators, the arena (reset modes, in-place resize), the fixed buffer
 * (out of memory, the latest block), the debug allocator's reports (leak,
 * double free, invalid free, wrong length, memory limit, poisoning), the
 * failing allocator, the testing allocator and the checker that fails
 * each allocation in turn.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/cz_alloc.h"
#include "tests/unit.h"

/* What a debug allocator reported, read back from its stream. */
static char report[65536];

static FILE *report_open(void)
{
	memset(report, 0, sizeof(report));
	return fmemopen(report, sizeof(report) - 1, "w");
}

TEST(helpers_on_libc)
{
	struct cz_allocator c = cz_c_allocator();
	int *v = cz_create_array(c, int, 100);
	CHECK(v != NULL);
	for (int i = 0; i < 100; i++)
		v[i] = i;
	v = cz_realloc(c, v, 100 * sizeof(int), 1000 * sizeof(int), alignof(int));
	CHECK(v != NULL && v[99] == 99);
	cz_free_array(c, v, 1000, sizeof(int), alignof(int));
	CHECK(cz_alloc_array(c, SIZE_MAX / 2, 4, 4) == NULL); /* overflow */
	char *s = cz_strdup(c, "czprof");
	CHECK_STR(s, "czprof");
	cz_free_str(c, s);
	void *big = cz_alloc(c, 100, 4096);
	CHECK(big && ((uintptr_t)big & 4095) == 0);
	cz_free(c, big, 100, 4096);
	void *z = cz_alloc(c, 0, 8);
	CHECK(z != NULL);
	cz_free(c, z, 0, 8);
	struct point { double x, y; } *p = cz_create(c, struct point);
	CHECK(p != NULL);
	p->x = 1;
	cz_destroy(c, p);
}

TEST(pages)
{
	struct cz_allocator pg = cz_page_allocator();
	char *p = cz_alloc(pg, 10000, 16);
	CHECK(p && ((uintptr_t)p & 4095) == 0);
	memset(p, 7, 10000);
	p = cz_realloc(pg, p, 10000, 100000, 16);
	CHECK(p && p[9999] == 7);
	CHECK(cz_realloc(pg, p, 100000, 5000, 16) == p); /* shrinks in place */
	cz_free(pg, p, 5000, 16);
}

TEST(arena_blocks_and_reset)
{
	struct cz_arena arena;
	struct cz_debug d;
	CHECK(cz_debug_init(&d, cz_c_allocator(), NULL) == 0);
	cz_arena_init(&arena, cz_debug_allocator(&d), "test arena");
	struct cz_allocator a = cz_arena_allocator(&arena);
	char *x = cz_alloc(a, 100, 1);
	char *y = cz_alloc(a, 100, 64);
	CHECK(x && y && ((uintptr_t)y & 63) == 0 && y >= x + 100);
	CHECK_EQ_U(arena.requested, 200);
	/* the latest block grows in place; an older one cannot */
	CHECK(cz_realloc(a, y, 100, 300, 64) == y);
	CHECK(cz_realloc(a, x, 100, 50, 1) == x); /* shrinking always works */
	char *x2 = cz_realloc(a, x, 50, 400, 1);
	CHECK(x2 && x2 != x);
	/* many blocks: new chunks, each at least twice the last */
	for (int i = 0; i < 1000; i++)
		CHECK(cz_alloc(a, 100, 8) != NULL);
	size_t cap = arena.capacity;
	CHECK(cap >= 100000);
	CHECK(cz_debug_live_blocks(&d) > 1);
	cz_arena_reset(&arena, CZ_RESET_RETAIN);
	CHECK_EQ_U(cz_debug_live_blocks(&d), 1); /* one chunk kept */
	CHECK(arena.capacity > 0 && arena.capacity < cap);
	CHECK_EQ_U(arena.requested, 0);
	CHECK(cz_alloc(a, 1000, 8) != NULL);
	CHECK_EQ_U(cz_debug_live_blocks(&d), 1); /* served from the kept chunk */
	cz_arena_reset(&arena, CZ_RESET_FREE_ALL);
	CHECK_EQ_U(cz_debug_live_blocks(&d), 0);
	CHECK_EQ_U(arena.capacity, 0);
	CHECK(cz_alloc(a, 10, 1) != NULL);
	cz_arena_deinit(&arena);
	CHECK_EQ_U(cz_debug_deinit(&d), 0); /* the arena gave everything back */
}

TEST(fixed_buffer)
{
	static char buf[256];
	struct cz_fixed f;
	cz_fixed_init(&f, buf, sizeof(buf), "stack buffer");
	struct cz_allocator a = cz_fixed_allocator(&f);
	char *p = cz_alloc(a, 100, 1);
	CHECK(p == buf);
	char *q = cz_alloc(a, 100, 16);
	CHECK(q && ((uintptr_t)q & 15) == 0);
	CHECK(cz_alloc(a, 100, 1) == NULL); /* full: out of memory, cleanly */
	CHECK(cz_realloc(a, q, 100, 140, 16) == q); /* the latest block grows in place */
	CHECK(cz_realloc(a, q, 140, 1000, 16) == NULL); /* beyond the buffer: refused */
	cz_free(a, q, 140, 16);
	CHECK(cz_alloc(a, 100, 16) == q); /* its space came back */
	cz_fixed_reset(&f);
	CHECK(cz_alloc(a, 256, 1) == buf);
	CHECK(cz_alloc(a, 1, 1) == NULL);
}

/* ---- one conformance suite, run against every allocator ---- */

static void conformance(struct cz_allocator a, const char *who, size_t max_align)
{
	int bad = 0;
	for (size_t align = 1; align <= max_align; align *= 2) {
		static const size_t sizes[] = { 1, 7, 64, 1000, 5000 };
		for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
			unsigned char *p = cz_alloc(a, sizes[k], align);
			if (!p || ((uintptr_t)p & (align - 1))) {
				printf("  %s: alloc(%zu, align %zu) gave %p\n", who, sizes[k], align, (void *)p);
				bad = 1;
				continue;
			}
			memset(p, (int)k + 1, sizes[k]);
			/* grow, then shrink: the bytes survive either way */
			unsigned char *q = cz_realloc(a, p, sizes[k], sizes[k] * 3, align);
			if (!q || ((uintptr_t)q & (align - 1)) || q[0] != k + 1 || q[sizes[k] - 1] != k + 1) {
				printf("  %s: realloc up of %zu (align %zu) lost data\n", who, sizes[k], align);
				bad = 1;
				if (!q)
					q = p;
			}
			unsigned char *r = cz_realloc(a, q, q == p ? sizes[k] : sizes[k] * 3, sizes[k], align);
			if (!r || r[sizes[k] - 1] != k + 1) {
				printf("  %s: realloc down of %zu (align %zu) lost data\n", who, sizes[k], align);
				bad = 1;
				r = r ? r : q;
			}
			cz_free(a, r, sizes[k], align);
		}
	}
	void *z = cz_alloc(a, 0, 16); /* zero size: a unique pointer, freeable */
	CHECK(z != NULL);
	cz_free(a, z, 0, 16);
	CHECK(cz_alloc_array(a, SIZE_MAX / 8 + 1, 16, 8) == NULL); /* overflow: refused, not wrapped */
	CHECK(cz_alloc_array(a, 0, 16, 8) != NULL);
	void *big = cz_alloc(a, 3 << 20, 16); /* large: served, or out of memory cleanly */
	if (big)
		memset(big, 1, 3 << 20);
	cz_free(a, big, 3 << 20, 16);
	CHECK(!bad);
	(void)who;
}

TEST(conformance_all_allocators)
{
	conformance(cz_c_allocator(), "libc", 4096);
	conformance(cz_page_allocator(), "pages", 4096);
	struct cz_arena arena;
	cz_arena_init(&arena, cz_c_allocator(), "conformance");
	conformance(cz_arena_allocator(&arena), "arena", 4096);
	cz_arena_deinit(&arena);
	static unsigned char buf[1 << 20];
	struct cz_fixed f;
	cz_fixed_init(&f, buf, sizeof(buf), NULL);
	conformance(cz_fixed_allocator(&f), "fixed", 4096);
	struct cz_debug d;
	CHECK(cz_debug_init(&d, cz_c_allocator(), NULL) == 0);
	conformance(cz_debug_allocator(&d), "debug", 4096);
	CHECK_EQ_U(cz_debug_problems(&d), 0);
	CHECK_EQ_U(cz_debug_deinit(&d), 0);
	struct cz_failing fl;
	cz_failing_init(&fl, cz_c_allocator(), SIZE_MAX, CZ_FAIL_NTH);
	conformance(cz_failing_allocator(&fl), "failing (never)", 4096);
	CHECK(fl.allocations > 0 && fl.failures == 0);
	conformance(cz_testing_allocator(), "testing", 4096);
	CHECK_EQ_U(cz_testing_check(), 0);
}

/* Named functions (the test binary exports them with -rdynamic) whose
 * names the debug allocator's stacks must show; the barrier after each
 * call keeps the compiler from turning it into a jump that leaves no
 * frame. */
#define KEEP_FRAME() __asm__ volatile("" ::: "memory")
void czt_leaky_helper(struct cz_allocator a);
void czt_first_free(struct cz_allocator a, void *p);
void czt_second_free(struct cz_allocator a, void *p);
void *czt_make_block(struct cz_allocator a);

__attribute__((noinline)) void czt_leaky_helper(struct cz_allocator a)
{
	if (!cz_alloc(a, 24, 8))
		abort();
	KEEP_FRAME();
}

__attribute__((noinline)) void *czt_make_block(struct cz_allocator a)
{
	void *p = cz_alloc(a, 32, 8);
	KEEP_FRAME();
	return p;
}

__attribute__((noinline)) void czt_first_free(struct cz_allocator a, void *p)
{
	cz_free(a, p, 32, 8);
	KEEP_FRAME();
}

__attribute__((noinline)) void czt_second_free(struct cz_allocator a, void *p)
{
	cz_free(a, p, 32, 8);
	KEEP_FRAME();
}

/* The lines of the report from the one starting with head, up to the next
 * "czalloc:" line. */
static const char *section(const char *head)
{
	static char out[8192];
	const char *p = strstr(report, head);
	if (!p)
		return "";
	const char *end = strstr(p + 1, "czalloc:");
	size_t n = end ? (size_t)(end - p) : strlen(p);
	snprintf(out, sizeof(out), "%.*s", (int)n, p);
	return out;
}

TEST(debug_stacks_name_the_functions)
{
	FILE *rf = report_open();
	struct cz_debug_options o = { .report = rf };
	struct cz_debug d;
	CHECK(cz_debug_init(&d, cz_c_allocator(), &o) == 0);
	struct cz_allocator a = cz_debug_allocator(&d);
	void *p = czt_make_block(a);
	czt_first_free(a, p);
	czt_second_free(a, p);
	czt_leaky_helper(a);
	CHECK_EQ_U(cz_debug_deinit(&d), 1);
	fclose(rf);
	const char *df = section("czalloc: double free of 32 bytes");
	const char *alloc = strstr(df, "allocated at:"), *first = strstr(df, "first freed at:"),
		   *again = strstr(df, "freed again at:");
	CHECK(alloc && first && again && alloc < first && first < again);
	if (alloc && first && again) {
		/* each stack's innermost program frame is the right function */
		CHECK(strstr(alloc, "#0  0x") && strstr(alloc, "czt_make_block+") &&
		      strstr(alloc, "czt_make_block+") < first);
		CHECK(strstr(first, "czt_first_free+") && strstr(first, "czt_first_free+") < again);
		CHECK(strstr(again, "czt_second_free+") != NULL);
	}
	const char *leak = section("czalloc: leak: 24 bytes");
	CHECK(strstr(leak, "#0 ") && strstr(leak, "czt_leaky_helper+"));
}

TEST(debug_reports_leaks_with_stacks)
{
	FILE *rf = report_open();
	struct cz_debug_options o = { .report = rf };
	struct cz_debug d;
	CHECK(cz_debug_init(&d, cz_c_allocator(), &o) == 0);
	struct cz_allocator a = cz_debug_allocator(&d);
	void *keep = cz_alloc(a, 24, 8);
	void *gone = cz_alloc(a, 8, 8);
	cz_free(a, gone, 8, 8);
	CHECK_EQ_U(cz_debug_live_blocks(&d), 1);
	CHECK_EQ_U(cz_debug_live_bytes(&d), 24);
	CHECK_EQ_U(cz_debug_deinit(&d), 1);
	fclose(rf);
	CHECK(strstr(report, "czalloc: leak: 24 bytes at") != NULL);
	/* the stack: this program's frames (module+offset without -rdynamic) */
	CHECK(strstr(report, "    #0  0x") != NULL && strstr(report, "test_czalloc") != NULL);
	CHECK(strstr(report, "1 block (24 bytes) leaked") != NULL);
	(void)keep;
}

TEST(debug_double_and_invalid_free)
{
	FILE *rf = report_open();
	struct cz_debug_options o = { .report = rf };
	struct cz_debug d;
	CHECK(cz_debug_init(&d, cz_c_allocator(), &o) == 0);
	struct cz_allocator a = cz_debug_allocator(&d);
	char *p = cz_alloc(a, 32, 8);
	memset(p, 1, 32);
	cz_free(a, p, 32, 8);
	cz_free(a, p, 32, 8); /* again: reported, not passed on */
	int local;
	cz_free(a, &local, sizeof(local), alignof(int));
	char *q = cz_alloc(a, 16, 8);
	cz_free(a, q, 8, 8); /* wrong length */
	CHECK_EQ_U(cz_debug_problems(&d), 3);
	CHECK_EQ_U(cz_debug_deinit(&d), 0);
	fclose(rf);
	CHECK(strstr(report, "czalloc: double free of 32 bytes at") != NULL);
	CHECK(strstr(report, "  allocated at:") && strstr(report, "  first freed at:") &&
	      strstr(report, "  freed again at:"));
	CHECK(strstr(report, "which this allocator did not hand out") != NULL);
	CHECK(strstr(report, "freed as 8 bytes") != NULL);
}

TEST(debug_poison_and_limit)
{
	struct cz_debug_options o = { .memory_limit = 1000 };
	struct cz_debug d;
	CHECK(cz_debug_init(&d, cz_c_allocator(), &o) == 0);
	struct cz_allocator a = cz_debug_allocator(&d);
	void *p = cz_alloc(a, 600, 8);
	CHECK(p != NULL);
	CHECK(cz_alloc(a, 600, 8) == NULL); /* 1,200 > 1,000 */
	void *q = cz_alloc(a, 400, 8);
	CHECK(q != NULL);
	CHECK(cz_alloc(a, 1, 1) == NULL);
	cz_free(a, q, 400, 8);
	CHECK(cz_realloc(a, p, 600, 1001, 8) == NULL); /* growing past it fails too */
	cz_free(a, p, 600, 8);
	CHECK_EQ_U(cz_debug_deinit(&d), 0);

	/* freed memory is filled with 0xDD before it goes back; seen through
	 * a fixed buffer that keeps its bytes */
	static unsigned char buf[64];
	struct cz_fixed f;
	cz_fixed_init(&f, buf, sizeof(buf), NULL);
	CHECK(cz_debug_init(&d, cz_fixed_allocator(&f), NULL) == 0);
	a = cz_debug_allocator(&d);
	unsigned char *b = cz_alloc(a, 16, 1);
	memset(b, 0x11, 16);
	cz_free(a, b, 16, 1);
	CHECK(buf[0] == 0xDD && buf[15] == 0xDD);
	CHECK_EQ_U(cz_debug_deinit(&d), 0);
}

TEST(failing_allocator)
{
	struct cz_failing f;
	cz_failing_init(&f, cz_c_allocator(), 2, CZ_FAIL_NTH);
	struct cz_allocator a = cz_failing_allocator(&f);
	void *p0 = cz_alloc(a, 8, 8), *p1 = cz_alloc(a, 8, 8), *p2 = cz_alloc(a, 8, 8), *p3 = cz_alloc(a, 8, 8);
	CHECK(p0 && p1 && !p2 && p3);
	CHECK_EQ_U(f.allocations, 4);
	CHECK_EQ_U(f.failures, 1);
	cz_free(a, p0, 8, 8);
	cz_free(a, p1, 8, 8);
	cz_free(a, p3, 8, 8);
	CHECK_EQ_U(f.frees, 3);
	cz_failing_init(&f, cz_c_allocator(), 1, CZ_FAIL_FROM);
	a = cz_failing_allocator(&f);
	p0 = cz_alloc(a, 8, 8);
	CHECK(p0 && !cz_alloc(a, 8, 8) && !cz_alloc(a, 8, 8));
	CHECK_EQ_U(f.failures, 2);
	cz_free(a, p0, 8, 8);
}

TEST(testing_allocator)
{
	struct cz_allocator t = cz_testing_allocator();
	void *p = cz_alloc(t, 10, 1);
	cz_free(t, p, 10, 1);
	CHECK_EQ_U(cz_testing_check(), 0);
	/* a test that leaks is caught (the report goes to stderr) */
	fflush(stdout);
	CHECK(cz_alloc(t, 10, 1) != NULL);
	CHECK_EQ_U(cz_testing_check(), 1);
	CHECK_EQ_U(cz_testing_check(), 0); /* and the next test starts clean */
}

/* A list builder with a forgotten cleanup on one error path. */
struct node {
	struct node *next;
	char *name;
};

static int build(struct cz_allocator a, void *ctx)
{
	int leaky = *(int *)ctx;
	struct node *head = NULL;
	int rc = 0;
	for (int i = 0; i < 3 && !rc; i++) {
		struct node *n = cz_create(a, struct node);
		if (!n) {
			rc = -1;
			break;
		}
		n->name = cz_strdup(a, "node");
		if (!n->name) {
			if (!leaky)
				cz_destroy(a, n);
			rc = -1;
			break;
		}
		n->next = head;
		head = n;
	}
	while (head) { /* this function owns the list: it always frees it */
		struct node *next = head->next;
		cz_free_str(a, head->name);
		cz_destroy(a, head);
		head = next;
	}
	return rc;
}

TEST(every_allocation_failing_in_turn)
{
	int leaky = 0;
	FILE *rf = report_open();
	CHECK_EQ_U(cz_check_allocation_failures(build, &leaky, rf), 0);
	leaky = 1;
	/* the strdup of each of the 3 nodes fails once: 3 runs leak a node */
	CHECK_EQ_U(cz_check_allocation_failures(build, &leaky, rf), 3);
	fclose(rf);
	CHECK(strstr(report, "with allocation 2 of 6 failing (the function returned -1): 1 block leaked") != NULL);
	CHECK(strstr(report, "czalloc: leak: 16 bytes at") != NULL);
}

int main(void)
{
	RUN(helpers_on_libc);
	RUN(pages);
	RUN(arena_blocks_and_reset);
	RUN(fixed_buffer);
	RUN(conformance_all_allocators);
	RUN(debug_stacks_name_the_functions);
	RUN(debug_reports_leaks_with_stacks);
	RUN(debug_double_and_invalid_free);
	RUN(debug_poison_and_limit);
	RUN(failing_allocator);
	RUN(testing_allocator);
	RUN(every_allocation_failing_in_turn);
	return unit_done();
}
