/*
 * test_czalloc.c - the allocator library: the helpers, libc and page
 * allocators, the arena (reset modes, in-place resize), the fixed buffer
 * (out of memory, the latest block), the debug allocator's reports (leak,
 * double free, invalid free, wrong length, memory limit, poisoning), the
 * failing allocator, the testing allocator and the checker that fails
 * each allocation in turn; and the loader of the events they send to the
 * profiler (cli/load_cz.c), fed records in the order a file can hold them.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "cli/load_cz.h"
#include "lib/analysis/engine.h"
#include "lib/include/cz_alloc.h"
#include "lib/include/czprof_hooks.h"
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
	size_t used = f.used;
	CHECK(cz_alloc(a, 100, 1) == NULL); /* full: out of memory, cleanly */
	CHECK_EQ_U(f.used, used);
	CHECK(cz_realloc(a, p, 100, 101, 1) == NULL); /* not the latest: no growing in place, no room to move */
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
void czt_bad_free(struct cz_allocator a, void *p, size_t len);
void *czt_big_alloc(struct cz_allocator a, size_t len);
void czt_resize_freed(struct cz_allocator a, void *p);

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

__attribute__((noinline)) void czt_bad_free(struct cz_allocator a, void *p, size_t len)
{
	cz_free(a, p, len, 8);
	KEEP_FRAME();
}

__attribute__((noinline)) void *czt_big_alloc(struct cz_allocator a, size_t len)
{
	void *p = cz_alloc(a, len, 8);
	KEEP_FRAME();
	return p;
}

/* An in-place resize as the helpers ask it, with the caller's return
 * address. */
__attribute__((noinline)) static int resize_in_place(struct cz_allocator a, void *p, size_t len, size_t new_len)
{
	int ok = a.vt->resize(a.ctx, p, len, 8, new_len, CZ_RET_ADDR);
	KEEP_FRAME();
	return ok;
}

__attribute__((noinline)) void czt_resize_freed(struct cz_allocator a, void *p)
{
	if (resize_in_place(a, p, 32, 16)) /* refused: not a live block */
		abort();
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

/* The function named by the first frame line ("    #0  0xADDR fn+0xOFF
 * (module)") after text, "" if none. */
static const char *frame0(const char *text)
{
	static char fn[128];
	const char *p = text ? strstr(text, "    #0  0x") : NULL;
	fn[0] = 0;
	if (p && (p = strchr(p + 10, ' ')))
		sscanf(p + 1, "%127[^+ \n]", fn);
	return fn;
}

/* How many frame lines the stack after text has. */
static int frames_after(const char *text)
{
	const char *p = strchr(text, '\n');
	int n = 0;
	while (p && !strncmp(p + 1, "    #", 5)) {
		n++;
		p = strchr(p + 1, '\n');
	}
	return n;
}

/* The first line of the section starting with head. */
static const char *line1(const char *head)
{
	static char out[512];
	snprintf(out, sizeof(out), "%s", section(head));
	char *nl = strchr(out, '\n');
	if (nl)
		*nl = 0;
	return out;
}

TEST(debug_double_free_names_three_stacks)
{
	FILE *rf = report_open();
	struct cz_debug_options o = { CZ_DEBUG_DEFAULTS, .report = rf };
	struct cz_debug d;
	CHECK(cz_debug_init(&d, cz_c_allocator(), &o) == 0);
	struct cz_allocator a = cz_debug_allocator(&d);
	void *p = czt_make_block(a);
	czt_first_free(a, p);
	czt_second_free(a, p); /* reported, not passed on to libc */
	CHECK_EQ_U(cz_debug_problems(&d), 1);
	CHECK_EQ_U(cz_debug_deinit(&d), 0);
	fclose(rf);
	char want[128];
	snprintf(want, sizeof(want), "czalloc: double free of 32 bytes at %p", p);
	CHECK_STR(line1("czalloc: double free"), want);
	const char *df = section("czalloc: double free");
	const char *alloc = strstr(df, "\n  allocated at:\n"), *first = strstr(df, "\n  first freed at:\n"),
		   *again = strstr(df, "\n  freed again at:\n");
	CHECK(alloc && first && again && alloc < first && first < again);
	if (alloc && first && again) {
		/* each stack starts at the program's function, not the library's */
		CHECK_STR(frame0(alloc), "czt_make_block");
		CHECK_STR(frame0(first), "czt_first_free");
		CHECK_STR(frame0(again), "czt_second_free");
	}
}

TEST(debug_leak_report)
{
	FILE *rf = report_open();
	struct cz_debug_options o = { CZ_DEBUG_DEFAULTS, .report = rf };
	struct cz_debug d;
	CHECK(cz_debug_init(&d, cz_c_allocator(), &o) == 0);
	struct cz_allocator a = cz_debug_allocator(&d);
	czt_leaky_helper(a);
	void *gone = cz_alloc(a, 8, 8);
	cz_free(a, gone, 8, 8);
	CHECK_EQ_U(cz_debug_live_blocks(&d), 1);
	CHECK_EQ_U(cz_debug_live_bytes(&d), 24);
	CHECK_EQ_U(cz_debug_deinit(&d), 1);
	fclose(rf);
	/* exactly: one leak with its stack, then the total */
	CHECK(!strncmp(report, "czalloc: leak: 24 bytes at 0x", 29));
	CHECK_STR(frame0(section("czalloc: leak: 24 bytes")), "czt_leaky_helper");
	CHECK_STR(line1("czalloc: 1 block"), "czalloc: 1 block (24 bytes) leaked");
	CHECK_EQ_U(strstr(report, "czalloc: 1 block") - report,
		   strlen(section("czalloc: leak: 24 bytes"))); /* nothing in between */
	CHECK_STR(strstr(report, "czalloc: 1 block"), "czalloc: 1 block (24 bytes) leaked\n"); /* nor after */
}

TEST(debug_invalid_and_wrong_length_free)
{
	FILE *rf = report_open();
	struct cz_debug_options o = { CZ_DEBUG_DEFAULTS, .report = rf };
	struct cz_debug d;
	CHECK(cz_debug_init(&d, cz_c_allocator(), &o) == 0);
	struct cz_allocator a = cz_debug_allocator(&d);
	int local;
	czt_bad_free(a, &local, sizeof(local));
	char *q = czt_make_block(a);
	czt_bad_free(a, q, 8); /* 32 bytes freed as 8: reported, freed as 32 */
	void *r = czt_make_block(a);
	cz_free(a, r, 32, 8);
	czt_resize_freed(a, r);
	CHECK_EQ_U(cz_debug_problems(&d), 3);
	CHECK_EQ_U(cz_debug_live_blocks(&d), 0);
	CHECK_EQ_U(cz_debug_deinit(&d), 0);
	fclose(rf);
	char want[200];
	snprintf(want, sizeof(want),
		 "czalloc: invalid free of 4 bytes at %p, which this allocator did not hand out, at:", (void *)&local);
	CHECK_STR(line1("czalloc: invalid free"), want);
	CHECK_STR(frame0(section("czalloc: invalid free")), "czt_bad_free");
	snprintf(want, sizeof(want),
		 "czalloc: block at %p of 32 bytes (align 8) freed as 8 bytes (align 8)", (void *)q);
	CHECK_STR(line1("czalloc: block at"), want);
	/* both stacks: where it was allocated, and the free with the wrong length */
	CHECK_STR(frame0(strstr(section("czalloc: block at"), "\n  allocated at:\n")), "czt_make_block");
	CHECK_STR(frame0(strstr(section("czalloc: block at"), "\n  freed at:\n")), "czt_bad_free");
	snprintf(want, sizeof(want), "czalloc: resize after free of 32 bytes at %p", r);
	CHECK_STR(line1("czalloc: resize after free"), want);
	const char *rs = strstr(section("czalloc: resize after free"), "\n  resized at:\n");
	CHECK_STR(frame0(rs), "czt_resize_freed");
}

TEST(debug_memory_limit)
{
	FILE *rf = report_open();
	struct cz_debug_options o = { CZ_DEBUG_DEFAULTS, .memory_limit = 1000, .report = rf };
	struct cz_debug d;
	CHECK(cz_debug_init(&d, cz_c_allocator(), &o) == 0);
	struct cz_allocator a = cz_debug_allocator(&d);
	void *p = cz_alloc(a, 600, 8);
	CHECK(p != NULL);
	CHECK(czt_big_alloc(a, 600) == NULL); /* 1,200 > 1,000: out of memory */
	void *q = cz_alloc(a, 400, 8);
	CHECK(q != NULL); /* exactly at the limit */
	CHECK(czt_big_alloc(a, 1) == NULL);
	cz_free(a, q, 400, 8);
	CHECK(cz_realloc(a, p, 600, 1001, 8) == NULL); /* growing past it fails too */
	CHECK_EQ_U(cz_debug_live_bytes(&d), 600);      /* and the block is untouched */
	cz_free(a, p, 600, 8);
	CHECK_EQ_U(cz_debug_refusals(&d), 3);
	CHECK_EQ_U(cz_debug_problems(&d), 0); /* running out is not a bug of the program */
	CHECK_EQ_U(cz_debug_deinit(&d), 0);
	fclose(rf);
	CHECK_STR(line1("czalloc: memory limit: 600"), "czalloc: memory limit: 600 more bytes with 600 of 1000 live, refused at:");
	CHECK_STR(frame0(section("czalloc: memory limit: 600")), "czt_big_alloc");
	CHECK_STR(line1("czalloc: memory limit: 1 "), "czalloc: memory limit: 1 more bytes with 1000 of 1000 live, refused at:");
	/* the realloc: in place is refused quietly, the move that follows reports */
	CHECK_STR(line1("czalloc: memory limit: 1001"), "czalloc: memory limit: 1001 more bytes with 600 of 1000 live, refused at:");
	CHECK(strstr(report, "memory limit: 401") == NULL);
}

TEST(debug_poison)
{
	/* freed memory is filled with 0xDD before it goes back, and so is the
	 * tail a shrink gives up; seen through a fixed buffer that keeps its
	 * bytes */
	static unsigned char buf[64];
	struct cz_fixed f;
	struct cz_debug d;
	cz_fixed_init(&f, buf, sizeof(buf), NULL);
	struct cz_debug_options po = { CZ_DEBUG_DEFAULTS, .no_canary = 1 }; /* the tail is not a canary */
	CHECK(cz_debug_init(&d, cz_fixed_allocator(&f), &po) == 0);
	struct cz_allocator a = cz_debug_allocator(&d);
	unsigned char *b = cz_alloc(a, 16, 1);
	memset(b, 0x11, 16);
	CHECK(cz_realloc(a, b, 16, 10, 1) == b);
	CHECK(buf[9] == 0x11 && buf[10] == 0xDD && buf[15] == 0xDD);
	cz_free(a, b, 10, 1);
	CHECK(buf[0] == 0xDD && buf[9] == 0xDD);
	CHECK_EQ_U(cz_debug_deinit(&d), 0);
	/* and not with no_poison */
	struct cz_debug_options o = { CZ_DEBUG_DEFAULTS, .no_poison = 1, .no_canary = 1 };
	cz_fixed_reset(&f);
	CHECK(cz_debug_init(&d, cz_fixed_allocator(&f), &o) == 0);
	a = cz_debug_allocator(&d);
	b = cz_alloc(a, 16, 1);
	memset(b, 0x22, 16);
	cz_free(a, b, 16, 1);
	CHECK(buf[0] == 0x22 && buf[15] == 0x22);
	CHECK_EQ_U(cz_debug_deinit(&d), 0);
}

TEST(debug_stack_depth)
{
	FILE *rf = report_open();
	struct cz_debug_options o = { .report = rf, .stack_depth = 2 };
	struct cz_debug d;
	CHECK(cz_debug_init(&d, cz_c_allocator(), &o) == 0);
	czt_leaky_helper(cz_debug_allocator(&d));
	CHECK_EQ_U(cz_debug_deinit(&d), 1);
	fclose(rf);
	const char *leak = section("czalloc: leak: 24 bytes");
	CHECK_STR(frame0(leak), "czt_leaky_helper");
	CHECK_EQ_U(frames_after(leak), 2);
}

/* Threads sharing one thread-safe debug allocator: every block is
 * accounted for. */
#define T_THREADS 4
#define T_ROUNDS 2000

static void *hammer(void *arg)
{
	struct cz_allocator a = *(struct cz_allocator *)arg;
	void *keep[8] = { 0 };
	for (int i = 0; i < T_ROUNDS; i++) {
		int k = i % 8;
		if (keep[k])
			cz_free(a, keep[k], 16 + (size_t)k, 8);
		keep[k] = cz_alloc(a, 16 + (size_t)k, 8);
		if (!keep[k])
			abort();
	}
	for (int k = 0; k < 8; k++)
		cz_free(a, keep[k], 16 + (size_t)k, 8);
	return NULL;
}

TEST(debug_thread_safe)
{
	struct cz_debug_options o = { CZ_DEBUG_DEFAULTS };
	struct cz_debug d;
	CHECK(cz_debug_init(&d, cz_c_allocator(), &o) == 0);
	struct cz_allocator a = cz_debug_allocator(&d);
	pthread_t t[T_THREADS];
	for (int i = 0; i < T_THREADS; i++)
		CHECK(pthread_create(&t[i], NULL, hammer, &a) == 0);
	for (int i = 0; i < T_THREADS; i++)
		pthread_join(t[i], NULL);
	CHECK_EQ_U(cz_debug_problems(&d), 0);
	CHECK_EQ_U(cz_debug_live_blocks(&d), 0);
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
	CHECK_EQ_U(f.frees, 1);
}

TEST(failing_realloc_is_one_allocation)
{
	/* a growing realloc that must move is exactly one allocation: it
	 * fails when its turn comes, and the block stays as it was */
	struct cz_failing f;
	cz_failing_init(&f, cz_c_allocator(), 1, CZ_FAIL_NTH);
	struct cz_allocator a = cz_failing_allocator(&f);
	char *p = cz_alloc(a, 16, 8);
	CHECK(p != NULL);
	memset(p, 5, 16);
	CHECK(cz_realloc(a, p, 16, 1 << 20, 8) == NULL);
	CHECK_EQ_U(f.allocations, 2);
	CHECK_EQ_U(f.failures, 1);
	char *q = cz_realloc(a, p, 16, 1 << 20, 8); /* the next one succeeds */
	CHECK(q && q[15] == 5);
	CHECK_EQ_U(f.allocations, 3);
	CHECK_EQ_U(f.frees, 1); /* the old block, after the copy */
	CHECK(cz_realloc(a, q, 1 << 20, 8, 8) != NULL); /* shrinking is never an allocation */
	CHECK_EQ_U(f.allocations, 3);
	cz_free(a, q, 8, 8);
	CHECK_EQ_U(f.frees, 2);
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
	CHECK(strstr(report, "with allocation #1 of 6 (from 0) failing the function returned -1: 1 block leaked, 0 wrong frees") != NULL);
	CHECK(strstr(report, "czalloc: leak: 16 bytes at") != NULL);
}


/* ---- the allocator tables (cli/load_cz.c) of the engine's model ---- */

static sqlite3 *ldb;
static struct load_cz *ld;
static struct an_engine ld_en;

/* Records go to the engine as the loader feeds them, each its own chunk
 * (file order); the writer gets the allocator strings. */
static void ld_begin(void)
{
	CHECK(sqlite3_open(":memory:", &ldb) == SQLITE_OK);
	CHECK(load_cz_begin(&ld, ldb) == 0);
	struct an_options o = { .merge_lag = AN_LAG_ALL, .cz_ended = load_cz_ended,
				.cz_destroyed = load_cz_destroyed, .ctx = ld };
	CHECK(an_engine_init(&ld_en, &o) == 0);
}

static int ld_feed(const struct czt_record *r)
{
	an_engine_chunk(&ld_en);
	return load_cz_record(ld, r) || an_engine_record(&ld_en, r, 0) || an_engine_chunk_end(&ld_en);
}

/* A record as the decoder gives it, with what every test record shares. */
static struct czt_record ld_base(unsigned type, uint64_t tid, uint64_t time, uint64_t allocator)
{
	struct czt_record r;
	memset(&r, 0, sizeof(r));
	r.type = type;
	r.tid = tid;
	r.time = time;
	r.allocator = allocator;
	r.kind = CZPROF_KIND_ARENA;
	return r;
}

static void ld_rec(unsigned type, uint64_t tid, uint64_t time, uint64_t allocator, uint64_t addr, uint64_t n)
{
	struct czt_record r = ld_base(type, tid, time, allocator);
	r.addr = addr;
	r.size = n;
	r.value = n;
	CHECK(ld_feed(&r) == 0);
}

static void ld_string(uint64_t id, const char *text)
{
	struct czt_record r;
	memset(&r, 0, sizeof(r));
	r.type = CZT_REC_STRING;
	r.id = id;
	r.str = (const uint8_t *)text;
	r.str_len = strlen(text);
	CHECK(ld_feed(&r) == 0);
}

static void ld_new(uint64_t tid, uint64_t time, uint64_t allocator, uint64_t name)
{
	struct czt_record r = ld_base(CZT_REC_CZ_NEW, tid, time, allocator);
	r.name = name;
	r.stack = 7;
	CHECK(ld_feed(&r) == 0);
}

/* The rows of a query, as "a b c|a b c|..." (NULL as "-"). */
static const char *ld_query(const char *sql)
{
	static char out[1024];
	size_t len = 0;
	sqlite3_stmt *q;
	out[0] = 0;
	if (sqlite3_prepare_v2(ldb, sql, -1, &q, NULL) != SQLITE_OK)
		return sqlite3_errmsg(ldb);
	while (sqlite3_step(q) == SQLITE_ROW && len < sizeof(out) - 64)
		for (int c = 0; c < sqlite3_column_count(q); c++) {
			const char *v = (const char *)sqlite3_column_text(q, c);
			len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s",
						c ? " " : (len ? "|" : ""), v ? v : "-");
		}
	sqlite3_finalize(q);
	return out;
}

static void ld_end(void)
{
	CHECK(an_engine_finish(&ld_en) == 0);
	CHECK(load_cz_end(ld, &ld_en.cz) == 0);
	an_engine_release(&ld_en);
}

TEST(loader_orders_threads_by_time)
{
	ld_begin();
	/* thread 1's chunk comes first in the file, but thread 2 filled the
	 * arena before thread 1 reset it */
	ld_new(1, 1, 1, 0);
	ld_rec(CZT_REC_CZ_CAPACITY, 1, 2, 1, 0, 4096);
	ld_rec(CZT_REC_CZ_RESET, 1, 10, 1, 0, 4096);
	ld_rec(CZT_REC_CZ_DESTROY, 1, 20, 1, 0, 0);
	ld_rec(CZT_REC_CZ_ALLOC, 2, 5, 1, 0x1000, 100);
	ld_rec(CZT_REC_CZ_ALLOC, 2, 6, 1, 0x1070, 50);
	ld_end();
	CHECK_STR(ld_query("SELECT kind, coalesce(name, '-'), stack, created, destroyed, allocations,"
			   " bytes_requested, live_blocks, peak_bytes, peak_capacity, resets, waste FROM allocators"),
		  "arena - 7 1 20 2 150 0 150 4096 1 3946");
	CHECK_STR(ld_query("SELECT addr, size, alloc_time, free_time FROM cz_blocks ORDER BY alloc_time"),
		  "4096 100 5 10|4208 50 6 10");
	sqlite3_close(ldb);
}

TEST(loader_equal_times)
{
	ld_begin();
	/* thread 1 reuses an address thread 2 freed at the same nanosecond:
	 * the free comes first */
	ld_rec(CZT_REC_CZ_ALLOC, 1, 1, 1, 0x2000, 16);
	ld_rec(CZT_REC_CZ_ALLOC, 1, 7, 1, 0x2000, 32);
	ld_rec(CZT_REC_CZ_FREE, 2, 7, 1, 0x2000, 0);
	/* within one thread the file order holds even on equal times */
	ld_rec(CZT_REC_CZ_ALLOC, 3, 9, 2, 0x3000, 8);
	ld_rec(CZT_REC_CZ_FREE, 3, 9, 2, 0x3000, 0);
	ld_end();
	CHECK_STR(ld_query("SELECT allocator, size, alloc_time, coalesce(free_time, '-') FROM cz_blocks"
			   " ORDER BY allocator, alloc_time"),
		  "1 16 1 7|1 32 7 -|2 8 9 9");
	CHECK_STR(ld_query("SELECT id, allocations, live_blocks, live_bytes, peak_bytes FROM allocators ORDER BY id"),
		  "1 2 1 32 32|2 1 0 0 8");
	sqlite3_close(ldb);
}

TEST(loader_resize_reset_and_exec)
{
	ld_begin();
	ld_string((uint64_t)1 << 32, "first");
	ld_new(1, 1, 1, (uint64_t)1 << 32);
	ld_rec(CZT_REC_CZ_ALLOC, 1, 2, 1, 0x100, 10);
	struct czt_record r;
	memset(&r, 0, sizeof(r));
	r.type = CZT_REC_CZ_RESIZE; /* grows: the growth is requested too */
	r.tid = 1;
	r.time = 3;
	r.allocator = 1;
	r.old_addr = 0x100;
	r.addr = 0x200;
	r.size = 25;
	CHECK(ld_feed(&r) == 0);
	ld_rec(CZT_REC_CZ_ALLOC, 1, 4, 1, 0x300, 5);
	/* an exec: the old image's blocks end; ids start again */
	memset(&r, 0, sizeof(r));
	r.type = CZT_REC_PROCESS_END;
	r.how = CZT_END_EXEC;
	r.time = 50;
	CHECK(ld_feed(&r) == 0);
	ld_string((uint64_t)1 << 32, "second");
	ld_new(1, 60, 1, (uint64_t)1 << 32);
	ld_rec(CZT_REC_CZ_ALLOC, 1, 61, 1, 0x100, 64);
	ld_end();
	CHECK_STR(ld_query("SELECT name, allocations, bytes_requested, live_blocks, peak_bytes, stack > 7"
			   " FROM allocators ORDER BY id"),
		  "first 2 30 0 30 0|second 1 64 1 64 1");
	CHECK_STR(ld_query("SELECT size, alloc_time, coalesce(free_time, '-') FROM cz_blocks ORDER BY alloc_time"),
		  "10 2 3|25 3 50|5 4 50|64 61 -");
	/* what ended each: the resize, then the exec; the last is open */
	CHECK_STR(ld_query("SELECT coalesce(ended_by, '-') FROM cz_blocks ORDER BY alloc_time"),
		  "resize|exec|exec|-");
	sqlite3_close(ldb);
}

int main(void)
{
	RUN(helpers_on_libc);
	RUN(pages);
	RUN(arena_blocks_and_reset);
	RUN(fixed_buffer);
	RUN(conformance_all_allocators);
	RUN(debug_double_free_names_three_stacks);
	RUN(debug_leak_report);
	RUN(debug_invalid_and_wrong_length_free);
	RUN(debug_memory_limit);
	RUN(debug_poison);
	RUN(debug_stack_depth);
	RUN(debug_thread_safe);
	RUN(failing_allocator);
	RUN(failing_realloc_is_one_allocation);
	RUN(testing_allocator);
	RUN(every_allocation_failing_in_turn);
	RUN(loader_orders_threads_by_time);
	RUN(loader_equal_times);
	RUN(loader_resize_reset_and_exec);
	return unit_done();
}
