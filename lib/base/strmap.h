/*
 * strmap.h - the interner: strings to dense indexes (0, 1, 2... in order
 * of first sight), each string kept once.  Frame names for flame graphs,
 * string tables for exports, the symbol table `czprof record` appends.
 * A zeroed struct strmap is empty.
 */
#ifndef CZPROF_LIB_BASE_STRMAP_H
#define CZPROF_LIB_BASE_STRMAP_H

#include <stddef.h>

struct strmap {
	char **str;     /* str[i] is the string of index i; owned */
	size_t n, cap;
	size_t *slot;   /* open addressing: index + 1, 0 empty */
	size_t slots;
};

/* The index of s, adding a copy when new (then the index is the old n);
 * -1 when out of memory.  The same string always gets the same index. */
long strmap_intern(struct strmap *m, const char *s);

/* Frees every string and the map's memory, and empties it. */
void strmap_free(struct strmap *m);

#endif
