/*
 * idmap.c - see idmap.h.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/analysis/idmap.h"

long idmap_get(const struct idmap *m, uint64_t key)
{
	if (!m->cap)
		return -1;
	for (size_t i = idmap_hash(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
		if (!m->vals[i])
			return -1;
		if (m->keys[i] == key)
			return (long)m->vals[i] - 1;
	}
}

static int grow(struct idmap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 64;
	uint64_t *keys = calloc(cap, sizeof(*keys));
	uint32_t *vals = calloc(cap, sizeof(*vals));
	if (!keys || !vals) {
		free(keys);
		free(vals);
		return -1;
	}
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->vals[i])
			continue;
		size_t j = idmap_hash(m->keys[i], cap);
		while (vals[j])
			j = (j + 1) & (cap - 1);
		keys[j] = m->keys[i];
		vals[j] = m->vals[i];
	}
	free(m->keys);
	free(m->vals);
	m->keys = keys;
	m->vals = vals;
	m->cap = cap;
	return 0;
}

void idmap_del(struct idmap *m, uint64_t key)
{
	if (!m->cap)
		return;
	size_t mask = m->cap - 1, i = idmap_hash(key, m->cap);
	while (m->vals[i] && m->keys[i] != key)
		i = (i + 1) & mask;
	if (!m->vals[i])
		return;
	/* backward shift: move up each later entry that probed past i */
	for (size_t j = (i + 1) & mask; m->vals[j]; j = (j + 1) & mask) {
		size_t home = idmap_hash(m->keys[j], m->cap);
		if (((j - home) & mask) >= ((j - i) & mask)) {
			m->keys[i] = m->keys[j];
			m->vals[i] = m->vals[j];
			i = j;
		}
	}
	m->vals[i] = 0;
	m->used--;
}

int idmap_put(struct idmap *m, uint64_t key, uint32_t index)
{
	/* keep the load under 1/2 so probes stay short */
	if ((m->used + 1) * 2 > m->cap && grow(m))
		return -1;
	size_t i = idmap_hash(key, m->cap);
	while (m->vals[i] && m->keys[i] != key)
		i = (i + 1) & (m->cap - 1);
	if (!m->vals[i])
		m->used++;
	m->keys[i] = key;
	m->vals[i] = index + 1;
	return 0;
}

void idmap_clear(struct idmap *m)
{
	free(m->keys);
	free(m->vals);
	m->keys = NULL;
	m->vals = NULL;
	m->cap = m->used = 0;
}

int array_grow(void **v, size_t *cap, size_t n, size_t elem)
{
	if (n < *cap)
		return 0;
	size_t c = *cap ? *cap * 2 : 64;
	while (c <= n)
		c *= 2;
	void *p = realloc(*v, c * elem);
	if (!p)
		return -1;
	*v = p;
	*cap = c;
	return 0;
}

int array_reserve(void **v, size_t *cap, size_t n, size_t elem)
{
	size_t old = *cap;
	if (array_grow(v, cap, n, elem))
		return -1;
	memset((char *)*v + old * elem, 0, (*cap - old) * elem);
	return 0;
}
