/*
 * hmap.h - the general hash table: 64-bit keys to 64-bit values, open
 * addressing with linear probing, at most half full, and deletion by
 * backward shift (no tombstones: a lookup never walks past a freed slot).
 * A zeroed struct hmap is an empty map.  Not for the analysis engine's
 * block map, whose slots and prefetching are its own (lib/analysis/engine.c).
 */
#ifndef CZPROF_LIB_BASE_HMAP_H
#define CZPROF_LIB_BASE_HMAP_H

#include <stddef.h>
#include <stdint.h>

#include "lib/base/hash.h"

struct hmap {
	uint64_t *keys;
	uint64_t *vals; /* value + 1; 0 = empty slot */
	size_t cap, used;
};

/* The slot holding key, or the empty slot where it would go (cap > 0). */
static inline size_t hmap_slot(const struct hmap *m, uint64_t key)
{
	size_t i = hash_slot(key, m->cap);
	while (m->vals[i] && m->keys[i] != key)
		i = (i + 1) & (m->cap - 1);
	return i;
}

/* Finds key: returns 1 and sets *val (when val is not NULL), or 0.
 * Inline: the analysis looks up a stack or a thread for most events. */
static inline int hmap_get(const struct hmap *m, uint64_t key, uint64_t *val)
{
	if (!m->cap)
		return 0;
	size_t i = hmap_slot(m, key);
	if (!m->vals[i])
		return 0;
	if (val)
		*val = m->vals[i] - 1;
	return 1;
}

/* Stores key -> val (val < UINT64_MAX), replacing an existing value.
 * Returns 0, or -1 when out of memory (the map is unchanged). */
int hmap_put(struct hmap *m, uint64_t key, uint64_t val);

/* Removes key; returns 1 when it was there, else 0.  The entries after it
 * in its run move back, so every other key stays reachable. */
int hmap_del(struct hmap *m, uint64_t key);

/* Frees the map's memory and empties it. */
void hmap_clear(struct hmap *m);

#endif
