/*
 * test_view.c - the text layout of `czprof top` (viewer/view.c) on a
 * scripted model: figures once the program has ended, the stack shown for
 * the site Enter was pressed on, the peak marker beside the axis labels,
 * and the help explaining the trend marks.
 */
#include <stdlib.h>

#include "czt.h"
#include "tests/live_script.h"
#include "tests/unit.h"
#include "viewer/live.h"
#include "viewer/names.h"
#include "viewer/view.h"

#define MS 1000000ull

static void ev(struct live_model *m, unsigned type, uint64_t time, uint64_t addr, uint64_t size,
	       uint64_t stack)
{
	script_ev(m, type, time, 1, addr, size, stack);
}

static void end(struct live_model *m, uint64_t time)
{
	script_end(m, time, CZT_END_EXIT, 0);
}

/* Stacks 1 and 2: one frame each, at 0x401000 and 0x402000 (in no module,
 * so their sites are named by address). */
static struct names *two_sites(void)
{
	struct names *n = NULL;
	CHECK(names_new(&n) == 0);
	for (uint64_t id = 1; id <= 2; id++) {
		struct czt_record r = { .type = CZT_REC_STACK_NODE, .id = id, .ip = 0x400000 + id * 0x1000 };
		names_record(n, &r);
	}
	return n;
}

static struct view_line lines[128];

/* Renders and returns the first line containing s, or NULL. */
static const char *find(struct view *v, struct live_model *m, struct names *n, const struct view_info *in,
			int width, int height, const char *s, int *at)
{
	int k = view_render(v, m, n, in, width, height, lines, 128);
	for (int i = 0; i < k; i++)
		if (strstr(lines[i].text, s)) {
			if (at)
				*at = i;
			return lines[i].text;
		}
	return NULL;
}

TEST(rates_stop_when_the_program_ends)
{
	struct live_model *m = NULL;
	struct names *n = two_sites();
	CHECK(live_model_new(&m) == 0);
	struct view v;
	view_init(&v, 0);
	struct view_info in = { .command = "prog", .pid = 7, .status = "recording" };
	ev(m, CZT_REC_MALLOC, 1 * MS, 0x1000, 10, 1);
	view_tick(&v, m, n);
	/* 100 allocations and 50 frees in the next 100 ms: 1000/s and 500/s */
	for (uint64_t i = 0; i < 100; i++)
		ev(m, CZT_REC_MALLOC, 2 * MS + i * MS, 0x10000 + i * 16, 8, 2);
	for (uint64_t i = 0; i < 50; i++)
		ev(m, CZT_REC_FREE, 60 * MS + i * MS / 2, 0x10000 + i * 16, 0, 0);
	ev(m, CZT_REC_MALLOC, 101 * MS, 0x2000, 10, 1);
	view_tick(&v, m, n);
	CHECK_EQ_U(v.rate_allocs, 1010);
	CHECK_EQ_U(v.rate_frees, 500);
	CHECK(find(&v, m, n, &in, 100, 0, "allocs 1.0k/s  frees 500/s", NULL));
	/* allocating up to its exit, in the same interval: the screen says
	 * "exited", and nothing allocates any more, at once and after */
	for (uint64_t i = 0; i < 100; i++)
		ev(m, CZT_REC_MALLOC, 102 * MS + i * MS, 0x20000 + i * 16, 8, 2);
	end(m, 201 * MS);
	view_tick(&v, m, n);
	CHECK_EQ_U(v.rate_allocs, 0);
	CHECK_EQ_U(v.rate_frees, 0);
	view_tick(&v, m, n);
	in.status = "exited 0";
	CHECK(find(&v, m, n, &in, 100, 0, "allocs 0/s  frees 0/s", NULL));
	CHECK_EQ_U(v.n_sites, 2);
	for (size_t i = 0; i < v.n_sites; i++)
		CHECK(v.sites[i].rate == 0);
	view_free(&v);
	names_free(n);
	live_model_free(m);
}

TEST(rates_are_zero_when_no_time_passed)
{
	/* a replay stopped on a quiet stretch: the clock shows no new event */
	struct live_model *m = NULL;
	struct names *n = two_sites();
	CHECK(live_model_new(&m) == 0);
	struct view v;
	view_init(&v, 0);
	ev(m, CZT_REC_MALLOC, 1 * MS, 0x1000, 10, 1);
	view_tick(&v, m, n);
	ev(m, CZT_REC_MALLOC, 501 * MS, 0x2000, 10, 1);
	view_tick(&v, m, n);
	CHECK_EQ_U(v.rate_allocs, 2);
	view_tick(&v, m, n);
	CHECK_EQ_U(v.rate_allocs, 0);
	view_free(&v);
	names_free(n);
	live_model_free(m);
}

/* The first row of the threads table. */
static const char *thread_row(struct view *v, struct live_model *m, struct names *n,
			      const struct view_info *in)
{
	int at = -1;
	if (!find(v, m, n, in, 120, 0, "ALLOCATED", &at))
		return NULL;
	return lines[at + 1].text;
}

TEST(threads_end_with_the_program)
{
	struct live_model *m = NULL;
	struct names *n = two_sites();
	CHECK(live_model_new(&m) == 0);
	struct view v;
	view_init(&v, 0);
	v.mode = VIEW_THREADS;
	ev(m, CZT_REC_MALLOC, 1 * MS, 0x1000, 10, 1);
	view_tick(&v, m, n);
	struct view_info in = { .command = "prog", .pid = 7, .status = "recording" };
	const char *row = thread_row(&v, m, n, &in);
	CHECK(row && strstr(row, " live "));
	/* the trace ended without a footer (killed): the caller says so */
	in.over = 1;
	row = thread_row(&v, m, n, &in);
	CHECK(row && strstr(row, " ended ") && !strstr(row, " live "));
	/* the program's end record says so by itself */
	in.over = 0;
	end(m, 2 * MS);
	view_tick(&v, m, n);
	row = thread_row(&v, m, n, &in);
	CHECK(row && strstr(row, " ended ") && !strstr(row, " live "));
	view_free(&v);
	names_free(n);
	live_model_free(m);
}

TEST(enter_opens_the_selected_site)
{
	struct live_model *m = NULL;
	struct names *n = two_sites();
	CHECK(live_model_new(&m) == 0);
	struct view v;
	view_init(&v, 0);
	ev(m, CZT_REC_MALLOC, 1 * MS, 0x1000, 300, 1); /* site 0x401000 first: more bytes */
	ev(m, CZT_REC_MALLOC, 2 * MS, 0x2000, 100, 2);
	view_tick(&v, m, n);
	struct view_info in = { .command = "prog", .pid = 7, .status = "recording" };
	int row1 = -1, row2 = -1, stack = -1;
	/* Enter on the first row: its stack under it */
	view_toggle_stack(&v, n);
	CHECK(find(&v, m, n, &in, 100, 40, "0x401000", &row1));
	CHECK(find(&v, m, n, &in, 100, 40, "stack holding 300 B", &stack));
	CHECK_EQ_U(stack, row1 + 1);
	/* down: the stack stays with its site */
	v.selected = 1;
	CHECK(find(&v, m, n, &in, 100, 40, "stack holding 300 B", &stack));
	CHECK_EQ_U(stack, row1 + 1);
	/* Enter on the second row opens that one (it used to close the first) */
	view_toggle_stack(&v, n);
	CHECK(find(&v, m, n, &in, 100, 40, "0x402000", &row2));
	CHECK(find(&v, m, n, &in, 100, 40, "stack holding 100 B", &stack));
	CHECK_EQ_U(stack, row2 + 1);
	CHECK(!find(&v, m, n, &in, 100, 40, "stack holding 300 B", NULL));
	/* Enter again on the open one closes it */
	view_toggle_stack(&v, n);
	CHECK(!find(&v, m, n, &in, 100, 40, "stack holding", NULL));
	/* the threads table has no stacks */
	v.mode = VIEW_THREADS;
	view_toggle_stack(&v, n);
	CHECK_EQ_U(v.open_site, 0);
	view_free(&v);
	names_free(n);
	live_model_free(m);
}

/* The column of the first '#' on the chart's top row, or -1. */
static int top_column(int k)
{
	for (int i = 0; i < k; i++)
		if (lines[i].attr & VIEW_CHART) {
			const char *p = strchr(lines[i].text, '#');
			return p ? (int)(p - lines[i].text) : -1;
		}
	return -1;
}

TEST(peak_marker_keeps_the_axis_labels)
{
	struct view_info in = { .command = "prog", .pid = 7, .status = "exited 0" };
	for (int late = 0; late < 2; late++) {
		/* 1 KiB live all along; the peak, 65 KiB with a 64 KiB block, at
		 * 40 ms (the end) or at 1 ms (the start) */
		struct live_model *m = NULL;
		struct names *n = two_sites();
		CHECK(live_model_new(&m) == 0);
		struct view v;
		view_init(&v, 0);
		ev(m, CZT_REC_MALLOC, 1 * MS, 0x1000, 1024, 1);
		ev(m, CZT_REC_MALLOC, (late ? 40 : 1) * MS, 0x2000, 65536, 2);
		if (!late)
			ev(m, CZT_REC_FREE, 2 * MS, 0x2000, 0, 0);
		ev(m, CZT_REC_MALLOC, 40 * MS, 0x3000, 16, 1);
		end(m, 40 * MS);
		view_tick(&v, m, n);
		int k = view_render(&v, m, n, &in, 100, 0, lines, 128);
		int axis = -1, mark = -1;
		for (int i = 0; i < k; i++) {
			if (axis < 0 && (lines[i].attr & VIEW_CHART) && strstr(lines[i].text, "41 ms"))
				axis = i;
			if (strchr(lines[i].text, '^'))
				mark = i;
		}
		CHECK(axis >= 0);
		if (axis < 0 || mark < 0) {
			CHECK(mark >= 0);
			continue;
		}
		/* the labels whole: "0" under the first column, the time at the end */
		CHECK(!strncmp(lines[axis].text, "          0 ", 12));
		size_t len = strlen(lines[axis].text);
		CHECK(len >= 6 && !strcmp(lines[axis].text + len - 6, " 41 ms"));
		/* the marker names the peak and points at its column */
		CHECK(strstr(lines[mark].text, "peak 65.0 KiB") != NULL);
		CHECK_EQ_U(strchr(lines[mark].text, '^') - lines[mark].text, top_column(k));
		CHECK_EQ_U(mark, late ? axis + 1 : axis); /* near the end: a line of its own */
		view_free(&v);
		names_free(n);
		live_model_free(m);
	}
}

TEST(help_explains_the_trend_marks)
{
	struct live_model *m = NULL;
	struct names *n = two_sites();
	CHECK(live_model_new(&m) == 0);
	struct view_info in = { .command = "prog", .pid = 7, .status = "recording" };
	for (int utf8 = 0; utf8 < 2; utf8++) {
		struct view v;
		view_init(&v, utf8);
		view_tick(&v, m, n);
		v.help = 1;
		const char *l = find(&v, m, n, &in, 100, 40, "live bytes grew / shrank", NULL);
		CHECK(l && strstr(l, utf8 ? "\xe2\x96\xb2 \xe2\x96\xbc" : "+ -"));
		view_free(&v);
	}
	names_free(n);
	live_model_free(m);
}

int main(void)
{
	RUN(rates_stop_when_the_program_ends);
	RUN(rates_are_zero_when_no_time_passed);
	RUN(threads_end_with_the_program);
	RUN(enter_opens_the_selected_site);
	RUN(peak_marker_keeps_the_axis_labels);
	RUN(help_explains_the_trend_marks);
	return unit_done();
}
