/*
 * demo.c - the program `make demo` records: a word-frequency cache that
 * forgets to free one of its tables, so that leaks, peak and stats all have
 * something to say.  Plain malloc/free: no changes are needed for czprof.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct word {
	struct word *next;
	char *text;
	unsigned count;
};

static struct word *lookup(struct word **table, size_t n, const char *text)
{
	size_t h = 5381;
	for (const char *p = text; *p; p++)
		h = h * 33 + (unsigned char)*p;
	struct word **slot = &table[h % n];
	for (struct word *w = *slot; w; w = w->next)
		if (!strcmp(w->text, text))
			return w;
	struct word *w = malloc(sizeof(*w));
	w->text = strdup(text);
	w->count = 0;
	w->next = *slot;
	*slot = w;
	return w;
}

static void free_table(struct word **table, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (struct word *w = table[i], *next; w; w = next) {
			next = w->next;
			free(w->text);
			free(w);
		}
	free(table);
}

static char *make_text(unsigned seed, size_t words)
{
	static const char *vocab[] = { "heap", "stack", "arena", "leak", "peak", "free",
				       "malloc", "trace", "pool", "page" };
	char *text = malloc(words * 8 + 1), *p = text;
	for (size_t i = 0; i < words; i++) {
		seed = seed * 1103515245 + 12345;
		p += sprintf(p, "%s%u ", vocab[(seed >> 16) % 10], (seed >> 8) % 50);
	}
	return text;
}

static unsigned count_words(char *text, struct word **table, size_t n)
{
	unsigned distinct = 0;
	for (char *tok = strtok(text, " "); tok; tok = strtok(NULL, " "))
		distinct += lookup(table, n, tok)->count++ == 0;
	return distinct;
}

int main(void)
{
	size_t n = 1024;
	struct word **kept = calloc(n, sizeof(*kept));
	unsigned total = 0;
	for (unsigned round = 0; round < 20; round++) {
		struct word **scratch = calloc(n, sizeof(*scratch));
		char *text = make_text(round, 2000);
		total += count_words(text, scratch, n);
		free(text);
		free_table(scratch, n);
	}
	char *text = make_text(7, 5000);
	total += count_words(text, kept, n);
	free(text);
	/* forgot: free_table(kept, n) */
	printf("demo: counted %u distinct words over 21 texts\n", total);
	return 0;
}
