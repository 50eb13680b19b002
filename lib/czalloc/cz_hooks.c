/*
 * cz_hooks.c - finds the profiler's hook table once, before main: when
 * libczprof.so is preloaded it exports czprof_get_hooks; otherwise the
 * table stays NULL and every hook is one untaken branch.
 */
#include <dlfcn.h>

#include "lib/czalloc/cz_internal.h"

const struct czprof_hooks *cz__hooks;

__attribute__((constructor)) static void cz_find_hooks(void)
{
	const struct czprof_hooks *(*get)(void);
	*(void **)&get = dlsym(RTLD_DEFAULT, CZPROF_HOOKS_SYMBOL);
	const struct czprof_hooks *h = get ? get() : NULL;
	if (h && h->version >= 1) /* quiet, of version 2, is looked at where used */
		cz__hooks = h;
}

uint64_t cz__id_of(struct cz_allocator a)
{
	if (a.vt == &cz__arena_vt)
		return ((struct cz_arena *)a.ctx)->id;
	if (a.vt == &cz__fixed_vt)
		return ((struct cz_fixed *)a.ctx)->id;
	if (a.vt == &cz__debug_vt)
		return ((struct cz_debug *)a.ctx)->id;
	if (a.vt == &cz__failing_vt)
		return ((struct cz_failing *)a.ctx)->id;
	if (a.vt == &cz__pool_vt)
		return ((struct cz_pool *)a.ctx)->id;
	if (a.vt == &cz__fallback_vt) /* its own blocks are the fixed buffer's */
		return ((struct cz_stack_fallback *)a.ctx)->fixed.id;
	if (a.vt == &cz__c_vt || a.vt == &cz__page_vt)
		return a.ctx ? *(uint64_t *)a.ctx : 0;
	return 0;
}

uint64_t cz_allocator_id(struct cz_allocator a)
{
	return cz__id_of(a);
}
