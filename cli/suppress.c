/*
 * suppress.c - see suppress.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/suppress.h"
#include "cli/util.h"
#include "lib/base/grow.h"

#define MAX_FILE (4u << 20)

static int add(struct suppressions *s, const char *p, size_t len)
{
	if (array_grow((void **)&s->pattern, &s->cap, s->n, sizeof(*s->pattern)))
		return -1;
	if (!(s->pattern[s->n] = strndup(p, len)))
		return -1;
	s->n++;
	return 0;
}

int suppressions_parse(struct suppressions *s, const char *text, size_t len, char *err,
		       size_t errcap)
{
	size_t lineno = 0;
	for (size_t at = 0; at < len;) {
		const char *line = text + at;
		const char *nl = memchr(line, '\n', len - at);
		size_t n = nl ? (size_t)(nl - line) : len - at;
		at += n + (nl ? 1 : 0);
		lineno++;
		while (n && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
			n--;
		while (n && (*line == ' ' || *line == '\t')) {
			line++;
			n--;
		}
		if (!n || *line == '#')
			continue;
		if (n <= 5 || memcmp(line, "leak:", 5) || memchr(line, 0, n)) {
			snprintf(err, errcap, "%zu: expected 'leak:PATTERN'", lineno);
			return -1;
		}
		if (add(s, line + 5, n - 5)) {
			snprintf(err, errcap, "%zu: out of memory", lineno);
			return -1;
		}
	}
	return 0;
}

int suppressions_load(struct suppressions *s, const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return cli_error("'%s': cannot read suppressions: %s", path, strerror(errno));
	char *buf = malloc(MAX_FILE);
	size_t len = buf ? fread(buf, 1, MAX_FILE, f) : 0;
	int too_big = buf && len == MAX_FILE;
	fclose(f);
	if (!buf)
		return cli_error("out of memory");
	if (too_big) {
		free(buf);
		return cli_error("'%s': suppression file larger than 4 MiB", path);
	}
	char err[128];
	int rc = suppressions_parse(s, buf, len, err, sizeof(err));
	free(buf);
	return rc ? cli_error("%s:%s", path, err) : 0;
}

void suppressions_free(struct suppressions *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->pattern[i]);
	free(s->pattern);
	s->pattern = NULL;
	s->n = 0;
}

/* Does p (up to pend) match text at its very start, '*' spanning runs?
 * Iterative with one backtrack point: linear enough for long names. */
static int match_here(const char *p, const char *pend, const char *t, int to_end)
{
	const char *star = NULL, *star_t = NULL;
	for (;;) {
		if (p < pend && *p == '*') {
			star = ++p;
			star_t = t;
			continue;
		}
		if (p == pend) {
			if (!to_end || !*t)
				return 1;
		} else if (*t && *p == *t) {
			p++;
			t++;
			continue;
		}
		if (!star || !*star_t)
			return 0;
		p = star;
		t = ++star_t;
	}
}

int suppression_match(const char *pattern, const char *text)
{
	const char *p = pattern, *pend = pattern + strlen(pattern);
	int at_start = 0, to_end = 0;
	if (*p == '^') {
		at_start = 1;
		p++;
	}
	if (pend > p && pend[-1] == '$') {
		to_end = 1;
		pend--;
	}
	if (at_start)
		return match_here(p, pend, text, to_end);
	for (const char *t = text;; t++) {
		if (match_here(p, pend, t, to_end))
			return 1;
		if (!*t)
			return 0;
	}
}
