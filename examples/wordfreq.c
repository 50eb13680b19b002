/*
 * wordfreq - a program in the allocator-injection style, meant to be
 * copied: the library part (wordfreq_*) allocates only through the
 * allocator it is given and says who owns what; main chooses the
 * allocators (a debug allocator that checks everything, an arena per
 * input for scratch, a fixed buffer on the stack for the report line);
 * `wordfreq --test` proves every error path clean with the failure sweep.
 *
 *   wordfreq [TEXT...]   counts the words of each TEXT (default: a sample)
 *   wordfreq --test      the sweep over wordfreq_count; exits 1 on a bad run
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "lib/include/cz_alloc.h"

/* ---- the library part: takes an allocator, owns nothing global ---- */

struct word {
	char *text; /* owned by the table */
	size_t count;
};

struct wordfreq {
	struct cz_allocator a; /* where every block of the table comes from */
	struct word *words;
	size_t n, cap;
};

static void wordfreq_init(struct wordfreq *w, struct cz_allocator a)
{
	memset(w, 0, sizeof(*w));
	w->a = a;
}

/* Frees every block of the table. */
static void wordfreq_deinit(struct wordfreq *w)
{
	for (size_t i = 0; i < w->n; i++)
		cz_free_str(w->a, w->words[i].text);
	cz_free_array(w->a, w->words, w->cap, sizeof(*w->words), alignof(struct word));
	w->n = w->cap = 0;
}

/* Counts one word (len bytes at s).  Returns 0, or -1 when out of memory
 * (the table is unchanged). */
static int wordfreq_add(struct wordfreq *w, const char *s, size_t len, struct cz_allocator scratch)
{
	/* the lowercase copy is scratch: the caller's arena ends it */
	char *low = cz_alloc(scratch, len + 1, 1);
	if (!low)
		return -1;
	for (size_t i = 0; i < len; i++)
		low[i] = (char)tolower((unsigned char)s[i]);
	low[len] = 0;
	for (size_t i = 0; i < w->n; i++)
		if (!strcmp(w->words[i].text, low)) {
			w->words[i].count++;
			return 0;
		}
	if (w->n == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 8;
		struct word *v = cz_grow_array(w->a, w->words, w->cap, cap);
		if (!v)
			return -1;
		w->words = v;
		w->cap = cap;
	}
	char *text = cz_strdup(w->a, low);
	if (!text)
		return -1;
	w->words[w->n++] = (struct word){ text, 1 };
	return 0;
}

/* Counts the words of text into w, with scratch memory from an arena over
 * w's allocator that ends before it returns.  Returns 0 or -1 (out of
 * memory: what was counted so far stays in w). */
static int wordfreq_count(struct wordfreq *w, const char *text)
{
	struct cz_arena scratch;
	cz_arena_init(&scratch, w->a, "wordfreq scratch");
	int rc = 0;
	for (const char *p = text; *p && !rc;) {
		while (*p && !isalpha((unsigned char)*p))
			p++;
		const char *start = p;
		while (isalpha((unsigned char)*p))
			p++;
		if (p > start)
			rc = wordfreq_add(w, start, (size_t)(p - start), cz_arena_allocator(&scratch));
	}
	cz_arena_deinit(&scratch);
	return rc;
}

/* ---- the program: chooses the allocators ---- */

/* The function the sweep runs: it owns its table, so it frees it on every
 * path, and returns wordfreq_count's result. */
static int count_sample(struct cz_allocator a, void *text)
{
	struct wordfreq w;
	wordfreq_init(&w, a);
	int rc = wordfreq_count(&w, text);
	wordfreq_deinit(&w);
	return rc;
}

static const char sample[] = "the cat and the hat and the bat";

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--test")) {
		struct cz_check_options o = { .sticky = 1 };
		size_t bad = cz_check_allocation_failures_opts(count_sample, (void *)sample, &o);
		printf("wordfreq: %zu bad run%s of the failure sweep\n", bad, bad == 1 ? "" : "s");
		return bad ? 1 : 0;
	}
	struct cz_debug debug; /* in a release build: cz_c_allocator() alone */
	if (cz_debug_init(&debug, cz_c_allocator(), NULL))
		return 1;
	struct wordfreq w;
	wordfreq_init(&w, cz_debug_allocator(&debug));
	int rc = 0;
	for (int i = 1; i < argc && !rc; i++)
		rc = wordfreq_count(&w, argv[i]);
	if (argc < 2)
		rc = wordfreq_count(&w, sample);
	char line[256]; /* the report line: no heap at all */
	struct cz_fixed f;
	cz_fixed_init(&f, line, sizeof(line), "report line");
	for (size_t i = 0; i < w.n && !rc; i++) {
		char *s = cz_sprintf(cz_fixed_allocator(&f), "%s=%zu", w.words[i].text, w.words[i].count);
		if (s)
			printf("%s%s", i ? " " : "", s);
		cz_fixed_reset(&f);
	}
	printf("\n");
	cz_fixed_deinit(&f);
	wordfreq_deinit(&w);
	size_t leaks = cz_debug_deinit(&debug);
	if (rc)
		fprintf(stderr, "wordfreq: out of memory\n");
	return rc || leaks ? 1 : 0;
}
