/*
 * test_czdebug.c - the debug allocator's checks beyond leaks: double frees
 * after the address was reused and after thousands of other frees, writes
 * past the end (canaries at free, resize and deinit), writes after free
 * (the quarantine's poison check, and pages made inaccessible), frees with
 * the wrong length, abort_on_error, stack_depth 0, and reports naming
 * file:line.  Each report is read back from its stream.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/include/cz_alloc.h"
#include "tests/unit.h"

static char report[65536];

static FILE *report_open(void)
{
	memset(report, 0, sizeof(report));
	return fmemopen(report, sizeof(report) - 1, "w");
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

/* The function of the first frame line after the title "  TITLE at:" in
 * text, "" if none. */
static const char *frame_after(const char *text, const char *title)
{
	static char fn[128];
	char head[64];
	snprintf(head, sizeof(head), "\n  %s at:\n", title);
	const char *p = strstr(text, head);
	fn[0] = 0;
	if (p && (p = strstr(p, "    #0  0x")) && (p = strchr(p + 10, ' ')))
		sscanf(p + 1, "%127[^+ \n]", fn);
	return fn;
}

/* Named functions whose names and lines the reports must show; the
 * barrier keeps each call from becoming a jump that leaves no frame. */
#define KEEP_FRAME() __asm__ volatile("" ::: "memory")
void *czd_alloc(struct cz_allocator a, size_t len);
void czd_free(struct cz_allocator a, void *p, size_t len);
void czd_free_again(struct cz_allocator a, void *p, size_t len);
void *czd_grow(struct cz_allocator a, void *p, size_t len, size_t new_len);

__attribute__((noinline)) void *czd_alloc(struct cz_allocator a, size_t len)
{
	void *p = cz_alloc(a, len, 8);
	KEEP_FRAME();
	return p;
}

__attribute__((noinline)) void czd_free(struct cz_allocator a, void *p, size_t len)
{
	cz_free(a, p, len, 8);
	KEEP_FRAME();
}

__attribute__((noinline)) void czd_free_again(struct cz_allocator a, void *p, size_t len)
{
	cz_free(a, p, len, 8);
	KEEP_FRAME();
}

__attribute__((noinline)) void *czd_grow(struct cz_allocator a, void *p, size_t len, size_t new_len)
{
	void *q = cz_realloc(a, p, len, new_len, 8);
	KEEP_FRAME();
	return q;
}

static int three_stacks(const char *title_line)
{
	const char *df = section(title_line);
	return !strcmp(frame_after(df, "allocated"), "czd_alloc") && !strcmp(frame_after(df, "first freed"), "czd_free") &&
	       !strcmp(frame_after(df, "freed again"), "czd_free_again");
}

TEST(double_free_after_reuse_with_never_reuse)
{
	FILE *rf = report_open();
	struct cz_debug_options o = { CZ_DEBUG_DEFAULTS, .never_reuse = 1, .report = rf };
	struct cz_debug d;
	CHECK(cz_debug_init(&d, cz_c_allocator(), &o) == 0);
	struct cz_allocator a = cz_debug_allocator(&d);
	char *p = czd_alloc(a, 48);
	czd_free(a, p, 48);
	/* the next block of that size: malloc alone would hand p out again,
	 * and the stale pointer's free would free it */
	char *q = czd_alloc(a, 48);
	CHECK(q != p);
	czd_free_again(a, p, 48);
	CHECK_EQ_U(cz_debug_problems(&d), 1);
	CHECK_EQ_U(cz_debug_live_blocks(&d), 1); /* q is untouched */
	cz_free(a, q, 48, 8);
	CHECK_EQ_U(cz_debug_deinit(&d), 0);
	fclose(rf);
	char want[128];
	snprintf(want, sizeof(want), "czalloc: double free of 48 bytes at %p\n", (void *)p);
	CHECK(!strncmp(section("czalloc: double free"), want, strlen(want)));
	CHECK(three_stacks("czalloc: double free"));
	/* file:line, through the project's libdw symbolizer (which does not
	 * read clang 14's DWARF 5 line tables: czprof's reports show clang
	 * builds' frames without lines too) */
#ifndef __clang__
	CHECK(strstr(section("czalloc: double free"), " czd_alloc (test_czdebug.c:") != NULL);
#endif
}

TEST(double_free_after_many_frees)
{
	FILE *rf = report_open();
	struct cz_debug_options o = { CZ_DEBUG_DEFAULTS, .report = rf };
	struct cz_debug d;
	CHECK(cz_debug_init(&d, cz_c_allocator(), &o) == 0);
	struct cz_allocator a = cz_debug_allocator(&d);
	char *p = czd_alloc(a, 48);
	czd_free(a, p, 48);
	/* 2,000 frees of blocks of another size (which malloc never serves
	 * from p's chunk): the old allocator's ring of 1,024 forgot p */
	for (int i = 0; i < 2000; i++)
		cz_free(a, cz_alloc(a, 1000 + (size_t)i % 7, 8), 1000 + (size_t)i % 7, 8);
	czd_free_again(a, p, 48);
	CHECK_EQ_U(cz_debug_problems(&d), 1);
	CHECK_EQ_U(cz_debug_deinit(&d), 0);
	fclose(rf);
	CHECK(three_stacks("czalloc: double free of 48 bytes"));
	CHECK(strstr(report, "invalid free") == NULL);
}

TEST(no_retain_metadata_forgets)
{
	FILE *rf = report_open();
	struct cz_debug_options o = { CZ_DEBUG_DEFAULTS, .no_retain_metadata = 1, .report = rf };
	struct cz_debug d;
	CHECK(cz_debug_init(&d, cz_c_allocator(), &o) == 0);
	struct cz_allocator a = cz_debug_allocator(&d);
	char *p = czd_alloc(a, 48);
	czd_free(a, p, 48);
	czd_free_again(a, p, 48);
	CHECK_EQ_U(cz_debug_problems(&d), 1);
	CHECK_EQ_U(cz_debug_deinit(&d), 0);
	fclose(rf);
	CHECK(strstr(report, "czalloc: invalid free of 48 bytes") != NULL);
}

/* Writes n bytes past the end of a len-byte block, then does what finds
 * it: 0 free, 1 grow, 2 deinit (leaked).  Returns the problems counted. */
static size_t overrun(size_t len, size_t n, int found_by)
{
	FILE *rf = report_open();
	struct cz_debug_options o = { CZ_DEBUG_DEFAULTS, .report = rf };
	struct cz_debug d;
	if (cz_debug_init(&d, cz_c_allocator(), &o))
		return 0;
	struct cz_allocator a = cz_debug_allocator(&d);
	char *p = czd_alloc(a, len);
	memset(p, 'x', len + n);
	if (found_by == 0)
		czd_free(a, p, len);
	else if (found_by == 1)
		cz_free(a, czd_grow(a, p, len, 4 * len), 4 * len, 8);
	size_t problems = cz_debug_problems(&d);
	cz_debug_deinit(&d);
	fclose(rf);
	return problems + (found_by == 2 && strstr(report, "czalloc: write past the end"));
}

TEST(canaries_catch_writes_past_the_end)
{
	/* +1, +4 and +16 bytes, found by the free, with both stacks */
	size_t by[] = { 1, 4, 16 };
	for (int i = 0; i < 3; i++) {
		CHECK_EQ_U(overrun(10, by[i], 0), 1);
		char want[160];
		snprintf(want, sizeof(want),
			 "czalloc: write past the end of the block of 10 bytes at 0x");
		CHECK(!strncmp(section("czalloc: write past the end"), want, strlen(want)));
		snprintf(want, sizeof(want), ": %zu of the 16 bytes after it changed (up to +%zu)\n", by[i], by[i]);
		CHECK(strstr(section("czalloc: write past the end"), want) != NULL);
		CHECK_STR(frame_after(section("czalloc: write past the end"), "allocated"), "czd_alloc");
		CHECK_STR(frame_after(section("czalloc: write past the end"), "freed"), "czd_free");
	}
	/* found by a resize, and by deinit for a block never freed */
	CHECK_EQ_U(overrun(10, 4, 1), 1);
	CHECK_STR(frame_after(section("czalloc: write past the end"), "resized"), "czd_grow");
	CHECK_EQ_U(overrun(10, 2, 2), 1);
	CHECK(strstr(section("czalloc: write past the end"), "\n  checked at deinit at:\n") != NULL);
	/* and nothing when the program stays inside its block */
	CHECK_EQ_U(overrun(10, 0, 0), 0);
}

TEST(quarantine_finds_writes_after_free)
{
	FILE *rf = report_open();
	struct cz_debug_options o = { CZ_DEBUG_DEFAULTS, .quarantine_bytes = 100, .report = rf };
	struct cz_debug d;
	CHECK(cz_debug_init(&d, cz_c_allocator(), &o) == 0);
	struct cz_allocator a = cz_debug_allocator(&d);
	char *p = czd_alloc(a, 32), *q = czd_alloc(a, 80);
	czd_free(a, p, 32);
	CHECK_EQ_U(cz_debug_footprint(&d), 32 + 16 + 80 + 16); /* p waits in the quarantine */
	p[5] = 1; /* a write after free */
	czd_free(a, q, 80); /* 112 bytes held > 100: p leaves, checked */
	CHECK_EQ_U(cz_debug_problems(&d), 1);
	CHECK_EQ_U(cz_debug_footprint(&d), 80 + 16);
	CHECK_EQ_U(cz_debug_deinit(&d), 0);
	fclose(rf);
	char want[160];
	snprintf(want, sizeof(want),
		 "czalloc: write after free: byte 5 of the block of 32 bytes at %p changed while it was freed", (void *)p);
	CHECK(!strncmp(section("czalloc: write after free"), want, strlen(want)));
	CHECK_STR(frame_after(section("czalloc: write after free"), "allocated"), "czd_alloc");
	CHECK_STR(frame_after(section("czalloc: write after free"), "freed"), "czd_free");
}

/* Runs fn in a child; returns the signal that ended it (0: exited). */
static int child_signal(void (*fn)(void))
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		fn();
		_exit(0);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	return WIFSIGNALED(st) ? WTERMSIG(st) : 0;
}

static FILE *uaf_report;
void czd_use_after_free(char *p);

__attribute__((noinline)) void czd_use_after_free(char *p)
{
	((volatile char *)p)[4096 + 100] = 1; /* on a whole page of the freed block */
	KEEP_FRAME();
}

static void write_to_freed_page(void)
{
	signal(SIGSEGV, SIG_DFL); /* the sanitizers' handler would exit instead */
	struct cz_debug_options o = { CZ_DEBUG_DEFAULTS, .never_reuse = 1, .report = uaf_report };
	struct cz_debug d;
	if (cz_debug_init(&d, cz_c_allocator(), &o))
		_exit(2);
	struct cz_allocator a = cz_debug_allocator(&d);
	char *p = czd_alloc(a, 3 * 4096);
	czd_free(a, p, 3 * 4096);
	czd_use_after_free(p);
}

static void double_free_aborts(void)
{
	struct cz_debug_options o = { CZ_DEBUG_DEFAULTS, .abort_on_error = 1, .report = fopen("/dev/null", "w") };
	struct cz_debug d;
	if (cz_debug_init(&d, cz_c_allocator(), &o))
		_exit(2);
	struct cz_allocator a = cz_debug_allocator(&d);
	void *p = cz_alloc(a, 8, 8);
	cz_free(a, p, 8, 8);
	cz_free(a, p, 8, 8);
}

TEST(freed_pages_are_inaccessible_and_abort_on_error)
{
	uaf_report = tmpfile();
	CHECK_EQ_U(child_signal(write_to_freed_page), SIGSEGV);
	/* the block the access fell into, with its stacks and the access's */
	rewind(uaf_report);
	memset(report, 0, sizeof(report));
	CHECK(fread(report, 1, sizeof(report) - 1, uaf_report) > 0);
	fclose(uaf_report);
	CHECK(!strncmp(report, "czalloc: use after free: byte 4196 of the block of 12288 bytes at 0x", 68));
	CHECK_STR(frame_after(report, "allocated"), "czd_alloc");
	CHECK_STR(frame_after(report, "freed"), "czd_free");
	CHECK_STR(frame_after(report, "accessed"), "czd_use_after_free");
	CHECK_EQ_U(child_signal(double_free_aborts), SIGABRT);
}

TEST(stack_depth_zero_captures_nothing)
{
	FILE *rf = report_open();
	struct cz_debug_options o = { .report = rf }; /* stack_depth 0 */
	struct cz_debug d;
	CHECK(cz_debug_init(&d, cz_c_allocator(), &o) == 0);
	struct cz_allocator a = cz_debug_allocator(&d);
	void *p = czd_alloc(a, 8);
	czd_free(a, p, 8);
	czd_free_again(a, p, 8);
	czd_alloc(a, 24);
	CHECK_EQ_U(cz_debug_deinit(&d), 1);
	fclose(rf);
	/* the problems are still found, with no frames */
	CHECK(strstr(report, "czalloc: double free of 8 bytes") != NULL);
	CHECK(strstr(report, "    #0") == NULL);
	CHECK(strstr(report, "czalloc: 1 block (24 bytes) leaked") != NULL);
}

int main(void)
{
	RUN(double_free_after_reuse_with_never_reuse);
	RUN(double_free_after_many_frees);
	RUN(no_retain_metadata_forgets);
	RUN(canaries_catch_writes_past_the_end);
	RUN(quarantine_finds_writes_after_free);
	RUN(freed_pages_are_inaccessible_and_abort_on_error);
	RUN(stack_depth_zero_captures_nothing);
	return unit_done();
}
