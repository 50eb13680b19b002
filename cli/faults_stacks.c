/* faults_stacks.c - stack keys (faults.h): stacks compared across runs. */
#include <stdlib.h>
#include <string.h>

#include "cli/faults.h"
#include "lib/base/hash.h"

struct module {
	uint64_t name, bias, start, end;
};

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
	return h * 0xff51afd7ed558ccdull;
}

int stack_keys_load(sqlite3 *db, struct stack_keys *k)
{
	memset(k, 0, sizeof(*k));
	struct module *mods = NULL;
	size_t n_mods = 0, cap_mods = 0, cap_par = 0, cap_ip = 0;
	uint64_t *parent = NULL, *ip = NULL;
	sqlite3_stmt *s = NULL;
	int rc = -1;
	if (sqlite3_prepare_v2(db, "SELECT path, bias, start, end FROM modules", -1, &s, NULL))
		goto out;
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (array_reserve((void **)&mods, &cap_mods, n_mods, sizeof(*mods)))
			goto out;
		const char *path = (const char *)sqlite3_column_text(s, 0);
		mods[n_mods++] = (struct module){ hash_str(path ? path : ""),
						  (uint64_t)sqlite3_column_int64(s, 1),
						  (uint64_t)sqlite3_column_int64(s, 2),
						  (uint64_t)sqlite3_column_int64(s, 3) };
	}
	sqlite3_finalize(s);
	if (sqlite3_prepare_v2(db, "SELECT id, parent, ip FROM stack_nodes ORDER BY id", -1, &s, NULL))
		goto out;
	while (sqlite3_step(s) == SQLITE_ROW) {
		size_t i = k->n;
		if (array_reserve((void **)&k->key, &k->cap, i, sizeof(uint64_t)) ||
		    array_reserve((void **)&parent, &cap_par, i, sizeof(uint64_t)) ||
		    array_reserve((void **)&ip, &cap_ip, i, sizeof(uint64_t)) ||
		    idmap_put(&k->map, (uint64_t)sqlite3_column_int64(s, 0), (uint32_t)i))
			goto out;
		parent[i] = (uint64_t)sqlite3_column_int64(s, 1);
		ip[i] = (uint64_t)sqlite3_column_int64(s, 2);
		k->n++;
	}
	/* a node's key is its parent's mixed with its own frame; 0 = not yet */
	for (size_t i = 0; i < k->n; i++) {
		size_t at = i, steps = 0;
		while (!k->key[at]) {
			long p = parent[at] ? idmap_get(&k->map, parent[at]) : -1;
			if (p >= 0 && !k->key[p] && ++steps > k->n)
				p = -1; /* a cycle in a damaged database: cut it */
			if (p >= 0 && !k->key[p] && (size_t)p != at) {
				at = (size_t)p; /* the parent first, then come back */
				continue;
			}
			uint64_t frame = ip[at], name = 0;
			for (size_t m = 0; m < n_mods; m++)
				if (ip[at] >= mods[m].start && ip[at] < mods[m].end) {
					frame = ip[at] - mods[m].bias;
					name = mods[m].name;
					break;
				}
			k->key[at] = mix(mix(p >= 0 ? k->key[p] : 1, name), frame) | 1;
			at = i;
		}
	}
	rc = 0;
out:
	sqlite3_finalize(s);
	free(mods);
	free(parent);
	free(ip);
	if (rc)
		stack_keys_free(k);
	return rc;
}

uint64_t stack_keys_get(const struct stack_keys *k, uint64_t stack)
{
	long i = idmap_get(&k->map, stack);
	return i < 0 ? 0 : k->key[i];
}

void stack_keys_free(struct stack_keys *k)
{
	idmap_clear(&k->map);
	free(k->key);
	memset(k, 0, sizeof(*k));
}
