/*
 * strmap.c - see strmap.h.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/base/grow.h"
#include "lib/base/hash.h"
#include "lib/base/strmap.h"

static int grow(struct strmap *m)
{
	size_t slots = m->slots ? m->slots * 2 : 1024;
	size_t *v = calloc(slots, sizeof(*v));
	if (!v)
		return -1;
	for (size_t i = 0; i < m->n; i++) {
		size_t k = hash_str(m->str[i]) & (slots - 1);
		while (v[k])
			k = (k + 1) & (slots - 1);
		v[k] = i + 1;
	}
	free(m->slot);
	m->slot = v;
	m->slots = slots;
	return 0;
}

long strmap_intern(struct strmap *m, const char *s)
{
	if ((m->n + 1) * 2 > m->slots && grow(m))
		return -1;
	size_t k = hash_str(s) & (m->slots - 1);
	for (; m->slot[k]; k = (k + 1) & (m->slots - 1))
		if (!strcmp(m->str[m->slot[k] - 1], s))
			return (long)m->slot[k] - 1;
	if (array_grow((void **)&m->str, &m->cap, m->n, sizeof(*m->str)))
		return -1;
	if (!(m->str[m->n] = strdup(s)))
		return -1;
	m->slot[k] = ++m->n;
	return (long)m->n - 1;
}

void strmap_free(struct strmap *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->str[i]);
	free(m->str);
	free(m->slot);
	memset(m, 0, sizeof(*m));
}
