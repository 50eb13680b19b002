/*
 * grow.h - the one way an array grows: doubling, from 64 elements.  Every
 * growable array of the CLI, the viewer and the analysis goes through it.
 */
#ifndef CZPROF_LIB_BASE_GROW_H
#define CZPROF_LIB_BASE_GROW_H

#include <stddef.h>

/* Makes room for element n of the array *v of *cap elements of elem bytes
 * (realloc: *v may move), without zeroing: for arrays filled front to
 * back.  Returns 0, or -1 when out of memory (*v and *cap unchanged). */
int array_grow(void **v, size_t *cap, size_t n, size_t elem);

/* The same, zeroing the new elements. */
int array_reserve(void **v, size_t *cap, size_t n, size_t elem);

#endif
