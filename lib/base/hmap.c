/*
 * hmap.c - see hmap.h.
 */
#include <stdlib.h>

#include "lib/base/hash.h"
#include "lib/base/hmap.h"

static int grow(struct hmap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 64;
	struct hmap n = { calloc(cap, sizeof(uint64_t)), calloc(cap, sizeof(uint64_t)), cap, m->used };
	if (!n.keys || !n.vals) {
		free(n.keys);
		free(n.vals);
		return -1;
	}
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->vals[i])
			continue;
		size_t j = hmap_slot(&n, m->keys[i]);
		n.keys[j] = m->keys[i];
		n.vals[j] = m->vals[i];
	}
	free(m->keys);
	free(m->vals);
	*m = n;
	return 0;
}

int hmap_put(struct hmap *m, uint64_t key, uint64_t val)
{
	/* keep the load under 1/2 so probes stay short */
	if ((m->used + 1) * 2 > m->cap && grow(m))
		return -1;
	size_t i = hmap_slot(m, key);
	if (!m->vals[i])
		m->used++;
	m->keys[i] = key;
	m->vals[i] = val + 1;
	return 0;
}

int hmap_del(struct hmap *m, uint64_t key)
{
	if (!m->cap)
		return 0;
	size_t mask = m->cap - 1, hole = hmap_slot(m, key);
	if (!m->vals[hole])
		return 0;
	/* Backward shift: an entry after the hole moves into it unless its
	 * home lies cyclically in (hole, here], where it is reachable still. */
	for (size_t i = (hole + 1) & mask; m->vals[i]; i = (i + 1) & mask) {
		size_t home = hash_slot(m->keys[i], m->cap);
		if (((i - home) & mask) >= ((i - hole) & mask)) {
			m->keys[hole] = m->keys[i];
			m->vals[hole] = m->vals[i];
			hole = i;
		}
	}
	m->vals[hole] = 0;
	m->used--;
	return 1;
}

void hmap_clear(struct hmap *m)
{
	free(m->keys);
	free(m->vals);
	*m = (struct hmap){ 0 };
}
