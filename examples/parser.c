/*
 * parser - parses "name=value" pairs separated by ';' into a sorted list.
 * The scratch work (tokens, the unsorted array) lives in an arena that is
 * thrown away at the end; only the result is allocated from the caller's
 * allocator, and the caller frees it.  Run under a debug allocator, so a
 * forgotten free would be reported.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/include/cz_alloc.h"

struct pair {
	char *name, *value;
};

struct pairs {
	struct pair *v;
	size_t n;
};

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct pair *)a)->name, ((const struct pair *)b)->name);
}

/* Parses text; the result is allocated from out_alloc and owned by the
 * caller (free it with pairs_free).  Returns 0, or -1 (out of memory, or a
 * pair without '='). */
static int parse_pairs(struct cz_allocator out_alloc, const char *text, struct pairs *out)
{
	struct cz_arena scratch;
	cz_arena_init(&scratch, out_alloc, "parser scratch");
	struct cz_allocator tmp = cz_arena_allocator(&scratch);
	int rc = -1;
	char *copy = cz_strdup(tmp, text);
	size_t cap = 4, n = 0;
	struct pair *v = cz_create_array(tmp, struct pair, cap);
	if (!copy || !v)
		goto out;
	for (char *save, *tok = strtok_r(copy, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
		char *eq = strchr(tok, '=');
		if (!eq)
			goto out;
		*eq = 0;
		if (n == cap) {
			struct pair *nv = cz_realloc(tmp, v, cap * sizeof(*v), 2 * cap * sizeof(*v), alignof(struct pair));
			if (!nv)
				goto out;
			v = nv;
			cap *= 2;
		}
		v[n++] = (struct pair){ tok, eq + 1 };
	}
	qsort(v, n, sizeof(*v), by_name);
	/* the result: one array and its strings, from the caller's allocator */
	out->v = cz_create_array(out_alloc, struct pair, n);
	out->n = 0;
	if (n && !out->v)
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct pair *p = &out->v[out->n];
		p->name = cz_strdup(out_alloc, v[i].name);
		p->value = p->name ? cz_strdup(out_alloc, v[i].value) : NULL;
		if (!p->value) {
			cz_free_str(out_alloc, p->name);
			goto out;
		}
		out->n++;
	}
	rc = 0;
out:
	if (rc && out->v) { /* on failure the caller gets nothing to free */
		for (size_t i = 0; i < out->n; i++) {
			cz_free_str(out_alloc, out->v[i].name);
			cz_free_str(out_alloc, out->v[i].value);
		}
		cz_free_array(out_alloc, out->v, n, sizeof(struct pair), alignof(struct pair));
		out->v = NULL;
		out->n = 0;
	}
	cz_arena_deinit(&scratch);
	return rc;
}

static void pairs_free(struct cz_allocator a, struct pairs *p)
{
	for (size_t i = 0; i < p->n; i++) {
		cz_free_str(a, p->v[i].name);
		cz_free_str(a, p->v[i].value);
	}
	cz_free_array(a, p->v, p->n, sizeof(struct pair), alignof(struct pair));
}

int main(int argc, char **argv)
{
	const char *text = argc > 1 ? argv[1] : "zeta=26;alpha=1;mu=12;beta=2;omega=24;gamma=3";
	struct cz_debug debug;
	if (cz_debug_init(&debug, cz_c_allocator(), NULL))
		return 1;
	struct cz_allocator a = cz_debug_allocator(&debug);
	struct pairs p = { 0 };
	if (parse_pairs(a, text, &p)) {
		fprintf(stderr, "parser: cannot parse '%s'\n", text);
		cz_debug_deinit(&debug);
		return 1;
	}
	for (size_t i = 0; i < p.n; i++)
		printf("%s = %s\n", p.v[i].name, p.v[i].value);
	pairs_free(a, &p);
	return cz_debug_deinit(&debug) ? 1 : 0;
}
