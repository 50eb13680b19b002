/*
 * idmap.h - ids (stack nodes, threads, allocators, strings) to indexes of
 * the arrays that hold what is known of them: the base's hash table
 * (lib/base/hmap.h) with 32-bit indexes.  The live model, the name cache,
 * the engine and the loaders index their arrays with it.  A zeroed struct
 * idmap is empty.
 */
#ifndef CZPROF_LIB_ANALYSIS_IDMAP_H
#define CZPROF_LIB_ANALYSIS_IDMAP_H

#include <stddef.h>
#include <stdint.h>

#include "lib/base/grow.h" /* array_grow and array_reserve, which go with it */
#include "lib/base/hmap.h"

struct idmap {
	struct hmap map;
};

/* Index stored for key, or -1. */
static inline long idmap_get(const struct idmap *m, uint64_t key)
{
	uint64_t v;
	return hmap_get(&m->map, key, &v) ? (long)v : -1;
}

/* Stores key -> index (replacing an existing value).  Returns 0, or -1
 * when out of memory (the map is unchanged). */
static inline int idmap_put(struct idmap *m, uint64_t key, uint32_t index)
{
	return hmap_put(&m->map, key, index);
}

/* Forgets key, if it is there. */
static inline void idmap_del(struct idmap *m, uint64_t key)
{
	hmap_del(&m->map, key);
}

/* Frees the map's memory and empties it. */
static inline void idmap_clear(struct idmap *m)
{
	hmap_clear(&m->map);
}

#endif
