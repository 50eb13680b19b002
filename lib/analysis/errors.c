/*
 * errors.c - the heap errors the pairing finds
 * (errors.h); the table is cli/load_errors.c's.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/analysis/errors.h"
#include "lib/analysis/idmap.h"


int load_errors_image(struct load_errors *x, uint64_t img, int whole)
{
	x->any_start = 1;
	if (img >= (1u << 20)) /* a crafted trace's exec count: not whole */
		return 0;
	if (array_reserve((void **)&x->whole, &x->cap_whole, (size_t)img, 1))
		return -1;
	x->whole[img] = (uint8_t)!!whole;
	return 0;
}

int load_errors_early(struct load_errors *x, uint64_t img, uint64_t addr)
{
	if (array_reserve((void **)&x->early, &x->cap_early, x->n_early, sizeof(*x->early)))
		return -1;
	x->early[x->n_early++] = (struct early_addr){ img, addr };
	return 0;
}

int load_errors_unknown_is_error(const struct load_errors *x, uint64_t img, uint64_t addr)
{
	if (img >= x->cap_whole || !x->whole[img])
		return 0;
	/* a few per image, looked at only for unknown frees */
	for (size_t i = 0; i < x->n_early; i++)
		if (x->early[i].img == img && x->early[i].addr == addr)
			return 0;
	return 1;
}

int load_errors_add(struct load_errors *x, const struct load_error *e)
{
	if (x->n_errs >= LOAD_ERRORS_MAX) {
		x->more++;
		return 0;
	}
	if (array_reserve((void **)&x->errs, &x->cap_errs, x->n_errs, sizeof(*x->errs)))
		return -1;
	x->errs[x->n_errs++] = *e;
	return 0;
}

const char *load_family_alloc_name(unsigned family)
{
	return family == LOAD_FAM_NEW ? "operator new" :
	       family == LOAD_FAM_NEW_ARRAY ? "operator new[]" : "malloc";
}

const char *load_call_name(unsigned call)
{
	static const char *const names[] = { "free", "operator delete", "operator delete[]", "realloc" };
	return call < 4 ? names[call] : "?";
}

const char *load_error_kind_name(unsigned kind)
{
	switch (kind) {
	case LOAD_ERR_INVALID_FREE: return "invalid-free";
	case LOAD_ERR_DOUBLE_FREE: return "double-free";
	case LOAD_ERR_REALLOC_FREED: return "realloc-freed";
	case LOAD_ERR_MISMATCH: return "mismatch";
	}
	return "?";
}


void load_errors_release(struct load_errors *x)
{
	free(x->errs);
	free(x->whole);
	free(x->early);
	memset(x, 0, sizeof(*x));
}
