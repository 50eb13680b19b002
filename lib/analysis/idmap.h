/*
 * idmap.h - a growable map from 64-bit ids to array indexes (open
 * addressing, backward-shift deletion), and the array growth that goes with it.  The
 * live model, the name cache and the allocators' model (arenas.h) index their
 * arrays with these.
 */
#ifndef CZPROF_LIB_ANALYSIS_IDMAP_H
#define CZPROF_LIB_ANALYSIS_IDMAP_H

#include <stddef.h>
#include <stdint.h>

struct idmap {
	uint64_t *keys;
	uint32_t *vals; /* index + 1; 0 = empty slot */
	size_t cap, used;
};

/* Index stored for key, or -1. */
long idmap_get(const struct idmap *m, uint64_t key);

/* Stores key -> index (replacing an existing value).  Returns 0, or -1
 * when out of memory (the map is unchanged). */
int idmap_put(struct idmap *m, uint64_t key, uint32_t index);

/* Forgets key, if it is there. */
void idmap_del(struct idmap *m, uint64_t key);

/* Frees the map's memory and empties it. */
void idmap_clear(struct idmap *m);

/* Makes room for element n of the array *v (doubling, from 64), zeroing
 * the new elements: the one growth loop of the analysis and the CLI.  Returns 0, or -1 when out of memory (*v unchanged). */
int array_reserve(void **v, size_t *cap, size_t n, size_t elem);

/* The same without zeroing: for arrays filled front to back, whose pages
 * are then touched only as they fill. */
int array_grow(void **v, size_t *cap, size_t n, size_t elem);

static inline size_t idmap_hash(uint64_t key, size_t cap)
{
	return (size_t)((key * 0x9E3779B97F4A7C15ull) >> 29) & (cap - 1);
}

#endif
