/*
 * test_svg.c - the SVG helpers (escaping, labels cut to a width, axis
 * steps and unit labels) and the flame graph writer on a fold built by
 * hand: exact widths, shares, titles, root at the bottom.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/render/flame_svg.h"
#include "cli/render/fold.h"
#include "cli/render/svg.h"
#include "tests/unit.h"

/* What f wrote, as a string the caller frees. */
struct capture {
	char *text;
	size_t len;
	FILE *f;
};

static void capture_start(struct capture *c)
{
	memset(c, 0, sizeof(*c));
	c->f = open_memstream(&c->text, &c->len);
}

static char *capture_end(struct capture *c)
{
	fclose(c->f);
	return c->text;
}

TEST(escape_special_and_control_characters)
{
	struct capture c;
	capture_start(&c);
	svg_escape(c.f, "a<b> & \"c\"\x01\td");
	char *s = capture_end(&c);
	CHECK_STR(s, "a&lt;b&gt; &amp; &quot;c&quot;\td");
	free(s);
}

TEST(fit_whole_cut_or_nothing)
{
	char buf[64];
	/* 100 px hold (100 - 6) / 6.6 = 14 characters */
	CHECK_STR(svg_fit(buf, sizeof(buf), "main (a.c:12)", 100), "main (a.c:12)");
	CHECK_STR(svg_fit(buf, sizeof(buf), "count_words (demo.c:60)", 100), "count_words ..");
	CHECK_STR(svg_fit(buf, sizeof(buf), "main", 3 * SVG_CHAR_W), "");
	CHECK_STR(svg_fit(buf, sizeof(buf), "", 500), "");
	/* the buffer is the limit: cut there, still marked */
	char small[8];
	CHECK_STR(svg_fit(small, sizeof(small), "abcdefghijkl", 1000), "abcde..");
	CHECK_STR(svg_fit(small, 2, "abcdefghijkl", 1000), "");
}

TEST(fit_counts_characters_not_bytes)
{
	char buf[64];
	/* "é" is two bytes, one character: 14 characters fit whole */
	CHECK_STR(svg_fit(buf, sizeof(buf), "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
					    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 100),
		  "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		  "\xc3\xa9\xc3\xa9");
	/* 4 fit in 35 px: 2 characters and "..", never half of one */
	CHECK_STR(svg_fit(buf, sizeof(buf), "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 35), "\xc3\xa9\xc3\xa9..");
	char small[5]; /* room for 2 bytes and "..": "a" and half an "é" would fit, "a" is kept */
	CHECK_STR(svg_fit(small, sizeof(small), "a\xc3\xa9\xc3\xa9\xc3\xa9", 1000), "a..");
}

TEST(nice_steps)
{
	CHECK(svg_nice_step(100, 5, 10) == 20);
	CHECK(svg_nice_step(17.66, 8, 10) == 5);
	CHECK(svg_nice_step(0.5, 5, 10) == 0.1);
	CHECK(svg_nice_step(3.7, 8, 10) == 0.5);
	CHECK(svg_nice_step(1000, 5, 1024) == 200);
	/* bytes: round KiB and MiB */
	CHECK(svg_nice_step(86.0 * 1024 * 1.08, 5, 1024) == 20 * 1024);
	CHECK(svg_nice_step(4.0 * 1024 * 1024 * 1.08, 5, 1024) == 1024 * 1024);
	CHECK(svg_nice_step(3.0 * 1024 * 1024 * 1024, 5, 1024) == 1024.0 * 1024 * 1024);
}

TEST(bytes_labels)
{
	char buf[32];
	CHECK_STR(svg_bytes_label(0, buf), "0 B");
	CHECK_STR(svg_bytes_label(512, buf), "512 B");
	CHECK_STR(svg_bytes_label(1536, buf), "1.5 KiB");
	CHECK_STR(svg_bytes_label(20 * 1024, buf), "20 KiB");
	CHECK_STR(svg_bytes_label(4.0 * 1024 * 1024, buf), "4 MiB");
	CHECK_STR(svg_bytes_label(1.5 * 1024 * 1024 * 1024, buf), "1.5 GiB");
}

TEST(time_units_and_labels)
{
	const char *name = NULL;
	char buf[32];
	CHECK(svg_time_unit(17660007, &name) == 1e6);
	CHECK_STR(name, "ms");
	CHECK(svg_time_unit(3000000000ull, &name) == 1e9);
	CHECK_STR(name, "s");
	CHECK(svg_time_unit(1999999999ull, &name) == 1e6); /* less than two seconds: ms */
	CHECK(svg_time_unit(5000, &name) == 1e3);
	CHECK_STR(name, "us");
	CHECK(svg_time_unit(1500, &name) == 1);
	CHECK_STR(name, "ns");
	CHECK(svg_time_unit(0, &name) == 1);
	CHECK_STR(svg_time_label(0, 1e6, "ms", buf), "0 ms");
	CHECK_STR(svg_time_label(2.5e6, 1e6, "ms", buf), "2.5 ms");
	CHECK_STR(svg_time_label(17559125, 1e6, "ms", buf), "17.56 ms");
	CHECK_STR(svg_time_label(3e9, 1e9, "s", buf), "3 s");
}

TEST(document_frame)
{
	struct capture c;
	capture_start(&c);
	svg_begin(c.f, 300, 200, "text { fill: #000; }", "#fff");
	svg_end(c.f);
	char *s = capture_end(&c);
	CHECK(!strncmp(s, "<?xml version=\"1.0\"", 19));
	CHECK(strstr(s, "width=\"300\" height=\"200\" viewBox=\"0 0 300 200\"") != NULL);
	CHECK(strstr(s, "xmlns=\"http://www.w3.org/2000/svg\"") != NULL);
	CHECK(strstr(s, "<style>text { fill: #000; }</style>") != NULL);
	CHECK(strstr(s, "fill=\"#fff\"") != NULL);
	CHECK(strlen(s) > 7 && !strcmp(s + strlen(s) - 7, "</svg>\n"));
	free(s);
}

/* A fold as fold_collect makes it: names interned, stacks biggest first. */
static void add_stack(struct fold *f, uint64_t value, int n, const char *const *frames)
{
	struct fold_stack *v = realloc(f->v, (f->n + 1) * sizeof(*v));
	if (!v)
		abort();
	f->v = v;
	struct fold_stack *s = &f->v[f->n++];
	s->stack = f->n;
	s->value = value;
	s->n = n;
	s->frames = malloc((size_t)n * sizeof(char *));
	if (!s->frames)
		abort();
	for (int i = 0; i < n; i++) {
		long k = strmap_intern(&f->names, frames[i]); /* may move names.str */
		s->frames[i] = f->names.str[k];
	}
	f->total += value;
}

/* The numeric attribute name="..." of the first element after the title
 * text t, or -1. */
static double attr_after(const char *svg, const char *t, const char *name)
{
	const char *p = strstr(svg, t);
	char key[32];
	snprintf(key, sizeof(key), " %s=\"", name);
	p = p ? strstr(p, key) : NULL;
	return p ? atof(p + strlen(key)) : -1;
}

TEST(flame_graph_frames_and_widths)
{
	struct fold f = { .metric = FOLD_ALLOCATED };
	static const char *const a[] = { "main (t.c:9)", "parse (t.c:3)" };
	static const char *const b[] = { "main (t.c:10)", "emit<int> (t.c:5)" };
	static const char *const c[] = { "main (t.c:9)", "parse (t.c:4)" };
	add_stack(&f, 3000, 2, a);
	add_stack(&f, 1024, 2, b);
	add_stack(&f, 72, 2, c);
	struct capture cap;
	capture_start(&cap);
	CHECK(flame_svg_write(&f, "czprof flame graph (allocated) - ./t & co", cap.f) == 0);
	char *s = capture_end(&cap);
	CHECK(strstr(s, "<title>all - 4.0 KiB (100.00%)</title>") != NULL);
	CHECK(strstr(s, "<title>main (t.c:9) - 3.0 KiB (75.00%)</title>") != NULL);
	CHECK(strstr(s, "<title>parse (t.c:3) - 2.9 KiB (73.24%)</title>") != NULL);
	CHECK(strstr(s, "<title>parse (t.c:4) - 72 B (1.76%)</title>") != NULL);
	CHECK(strstr(s, "<title>emit&lt;int&gt; (t.c:5) - 1.0 KiB (25.00%)</title>") != NULL);
	CHECK(strstr(s, ">czprof flame graph (allocated) - ./t &amp; co</text>") != NULL);
	/* widths: 1180 px for the whole; the biggest child on the left */
	CHECK(attr_after(s, "<title>all ", "width") == 1180);
	CHECK(attr_after(s, "<title>main (t.c:9) ", "width") == 885);
	CHECK(attr_after(s, "<title>main (t.c:9) ", "x") == 10);
	CHECK(attr_after(s, "<title>main (t.c:10) ", "x") == 895);
	CHECK(attr_after(s, "<title>main (t.c:10) ", "width") == 295);
	/* root at the bottom: a callee is drawn above its caller */
	CHECK(attr_after(s, "<title>all ", "y") > attr_after(s, "<title>main (t.c:9) ", "y"));
	CHECK(attr_after(s, "<title>main (t.c:9) ", "y") > attr_after(s, "<title>parse (t.c:3) ", "y"));
	/* the interactive parts, inline */
	CHECK(strstr(s, "<script type=\"text/ecmascript\"><![CDATA[") != NULL);
	CHECK(strstr(s, "function zoom(") != NULL && strstr(s, "function search(") != NULL);
	CHECK(strlen(s) > 7 && !strcmp(s + strlen(s) - 7, "</svg>\n"));
	free(s);
	fold_free(&f);
}

TEST(flame_graph_labels_fit_their_frames)
{
	struct fold f = { .metric = FOLD_COUNT };
	static const char *const wide[] = { "a_rather_long_function_name_that_is_wide (file.c:1)" };
	static const char *const thin[] = { "thin_function_name (file.c:2)" };
	add_stack(&f, 990, 1, wide);
	add_stack(&f, 10, 1, thin); /* 11.8 px: no room for a label */
	struct capture cap;
	capture_start(&cap);
	CHECK(flame_svg_write(&f, "t", cap.f) == 0);
	char *s = capture_end(&cap);
	CHECK(strstr(s, "<title>thin_function_name (file.c:2) - 10 (1.00%)</title>") != NULL);
	const char *t = strstr(s, "<title>thin_function_name");
	CHECK(t && strstr(t, "\"></text></g>") != NULL);
	CHECK(strstr(s, ">a_rather_long_function_name_that_is_wide (file.c:1)</text>") != NULL);
	free(s);
	fold_free(&f);
}

TEST(flame_graph_of_nothing)
{
	struct fold f = { .metric = FOLD_LEAKED };
	struct capture cap;
	capture_start(&cap);
	CHECK(flame_svg_write(&f, "t", cap.f) == 0);
	char *s = capture_end(&cap);
	CHECK(strstr(s, ">nothing to draw: no stack has any leaked bytes</text>") != NULL);
	CHECK(strstr(s, "<g class=\"f\"") == NULL);
	CHECK(strlen(s) > 7 && !strcmp(s + strlen(s) - 7, "</svg>\n"));
	free(s);
	fold_free(&f);
}

int main(void)
{
	RUN(escape_special_and_control_characters);
	RUN(fit_whole_cut_or_nothing);
	RUN(fit_counts_characters_not_bytes);
	RUN(nice_steps);
	RUN(bytes_labels);
	RUN(time_units_and_labels);
	RUN(document_frame);
	RUN(flame_graph_frames_and_widths);
	RUN(flame_graph_labels_fit_their_frames);
	RUN(flame_graph_of_nothing);
	return unit_done();
}
