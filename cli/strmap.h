/*
 * strmap.h - interning strings to dense indexes (0, 1, 2... in order of
 * first sight): frame names for flame graphs, string tables for exports.
 */
#ifndef CZPROF_CLI_STRMAP_H
#define CZPROF_CLI_STRMAP_H

#include <stddef.h>

struct strmap {
	char **str;     /* str[i] is the string of index i; owned */
	size_t n, cap;
	size_t *slot;   /* open addressing: index + 1, 0 empty */
	size_t slots;
};

/* The index of s, adding a copy when new; -1 when out of memory. */
long strmap_intern(struct strmap *m, const char *s);

void strmap_free(struct strmap *m);

#endif
