/*
 * sym_site.c - see sym_site.h.
 */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/symbols/sym.h"
#include "lib/symbols/sym_site.h"

struct sym_site_rules {
	char **pattern;
	size_t n;
};

const char *sym_basename(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

int sym_site_rules_new(struct sym_site_rules **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -1;
}

void sym_site_rules_free(struct sym_site_rules *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		free(r->pattern[i]);
	free(r->pattern);
	free(r);
}

static int add_n(struct sym_site_rules *r, const char *s, size_t len)
{
	char **v = realloc(r->pattern, (r->n + 1) * sizeof(*v));
	if (!v)
		return -1;
	r->pattern = v;
	char *copy = strndup(s, len);
	if (!copy)
		return -1;
	r->pattern[r->n++] = copy;
	return 0;
}

int sym_site_rules_add(struct sym_site_rules *r, const char *pattern)
{
	return !pattern || !*pattern ? -1 : add_n(r, pattern, strlen(pattern));
}

int sym_site_rules_add_list(struct sym_site_rules *r, const char *list)
{
	while (list && *list) {
		size_t len = strcspn(list, ",:");
		/* "ns::f" holds colons that do not separate: a C++ pattern is
		 * written whole, so '::' never splits */
		while (list[len] == ':' && list[len + 1] == ':')
			len += 2 + strcspn(list + len + 2, ",:");
		if (len && add_n(r, list, len))
			return -1;
		list += len;
		if (*list)
			list++;
	}
	return 0;
}

size_t sym_site_rules_count(const struct sym_site_rules *r)
{
	return r ? r->n : 0;
}

/*
 * The qualified name inside a demangled function name: [*start, *end)
 * without a template function's return type ("std::string f<int>(int)"
 * gives "f<int>") and without the parameters.  A C name is all of it.
 */
static void qualified_name(const char *fn, size_t *start, size_t *end)
{
	size_t s = 0, i = 0;
	int depth = 0;
	for (; fn[i]; i++) {
		char ch = fn[i];
		if (depth == 0 && !strncmp(fn + i, "operator", 8) && (i == 0 || fn[i - 1] == ':' || fn[i - 1] == ' ')) {
			/* operator(), operator<, operator new: the name runs to
			 * the parameters */
			i += 8;
			if (fn[i] == '(' && fn[i + 1] == ')')
				i += 2;
			while (fn[i] && fn[i] != '(')
				i++;
			break;
		}
		if (ch == '<' || ch == '[' || ch == '{') {
			depth++;
		} else if ((ch == '>' || ch == ']' || ch == '}') && depth > 0) {
			depth--;
		} else if (ch == '(') {
			if (depth == 0 && !strncmp(fn + i, "(anonymous namespace)", 21)) {
				i += 20;
				continue;
			}
			if (depth == 0)
				break;
			depth++;
		} else if (ch == ')' && depth > 0) {
			depth--;
		} else if (ch == ' ' && depth == 0) {
			s = i + 1;
		}
	}
	*start = s < i ? s : 0;
	*end = i;
}

/* C++ standard-library code: what it allocates, it allocates for the
 * caller (a container, a string, a shared_ptr's control block). */
static int is_std_frame(const char *fn, size_t start)
{
	static const char *const spaces[] = { "std::", "__gnu_cxx::", "__cxxabiv1::", NULL };
	for (int i = 0; spaces[i]; i++)
		if (!strncmp(fn + start, spaces[i], strlen(spaces[i])))
			return 1;
	return 0;
}

static int matches_user_rule(const struct sym_site_rules *r, const char *fn, size_t start, size_t end)
{
	if (!r || !r->n)
		return 0;
	char q[1024];
	size_t len = end - start < sizeof(q) - 1 ? end - start : sizeof(q) - 1;
	memcpy(q, fn + start, len);
	q[len] = 0;
	for (size_t i = 0; i < r->n; i++)
		if (!fnmatch(r->pattern[i], fn, 0) || !fnmatch(r->pattern[i], q, 0))
			return 1;
	return 0;
}

/* libczalloc's source files (lib/czalloc/cz_*.c and the internal header whose
 * inline functions they share), for the frames of a static copy. */
static const char *const czalloc_files[] = {
	"cz_core.c", "cz_c.c", "cz_page.c", "cz_arena.c", "cz_fixed.c", "cz_debug.c",
	"cz_failing.c", "cz_testing.c", "cz_hooks.c", "cz_internal.h", "cz_stack.c",
	"cz_debug_table.c", "cz_sym_dw.c", "cz_sweep.c", "cz_format.c", "cz_fallback.c", "cz_pool.c",
	"sym_dw.c", NULL
};

/* Every function libczalloc defines, static ones included, for a static
 * copy without debug information (only the ELF symbol table names its
 * frames).  tests/unit/test_site.c checks this against the archive. */
static const char *const czalloc_functions[] = {
	"arena_alloc", "arena_free", "cz__remap_never", "arena_resize", "capture",
	"cz__c_alloc", "cz__c_announce", "cz__c_free", "cz__c_remap", "cz__c_resize",
	"cz__debug_init", "cz__id_of", "cz__page_alloc", "cz__page_free", "cz__page_remap",
	"cz__page_resize", "cz__page_start", "cz__on_alloc", "cz__announce",
	"cz_alloc", "cz_alloc_array", "cz_arena_allocator", "cz_arena_deinit", "cz_arena_init",
	"cz_arena_reset", "cz_c_allocator", "cz_check_allocation_failures", "cz_debug_allocator",
	"cz_debug_deinit", "cz_debug_init", "cz_debug_live_blocks", "cz_debug_live_bytes",
	"cz_debug_problems", "cz_debug_refusals", "cz_dup", "cz_failing_allocator",
	"cz_failing_init", "cz_find_hooks", "cz_fixed_allocator", "cz_fixed_init",
	"cz_fixed_reset", "cz_free", "cz_free_array", "cz_free_str", "cz_page_allocator",
	"cz_realloc", "cz_strdup", "cz_testing_allocator", "cz_testing_check", "debug_alloc",
	"debug_find", "debug_free", "debug_resize", "failing_alloc", "failing_free",
	"failing_remap", "failing_resize", "fixed_alloc", "fixed_free", "fixed_remap",
	"fixed_resize", "over_limit", "print_stack", "report_unknown",
	"alloc_at", "check_canary", "cz_debug_footprint", "cz__stack_release", "can_quiet", "quiet", "give_back", "q_drain", "cz__table_add",
	"cz__table_find", "cz__table_init", "cz__table_release", "cz__table_remove", "cz__table_reserve",
	"cz__add_module", "cz__capture", "cz__print_stack", "cz_check_allocation_failures_opts",
	"cz__on_crash", "cz__run_here", "cz__run_in_child", "catch_crashes", "cz_realloc_array",
	"realloc_at", "dup_at", "cz_failing_deinit", "cz_fixed_deinit", "cz_allocator_id",
	"cz_stack_fallback_allocator", "cz_stack_fallback_deinit", "cz_stack_fallback_init",
	"fallback_alloc", "fallback_free", "fallback_remap", "fallback_resize", "cz_sprintf",
	"cz_pool_allocator", "cz_pool_deinit", "cz_pool_get", "cz_pool_init", "cz_pool_put", "get_at",
	"on_segv", "guard", "unguard", "held_at", "add_slab", "pool_alloc", "pool_free", "pool_resize",
	/* the symbolizer the debug allocator's reports use (lib/symbols/sym_dw.c) */
	"keep_demangled", "sym_add_module", "sym_build_id_mismatches", "sym_lookup",
	"sym_resolver_free", "sym_resolver_new", NULL
};

static int in_list(const char *const *list, const char *s)
{
	for (int i = 0; list[i]; i++)
		if (!strcmp(s, list[i]))
			return 1;
	return 0;
}

/* A function name as the symbol table gives it: the compiler's clones of a
 * function (name.cold, name.part.0, name.isra.0, name.constprop.0) are
 * that function.  C names hold no '.'. */
static int in_function_list(const char *const *list, const char *s)
{
	size_t len = strcspn(s, ".");
	for (int i = 0; list[i]; i++)
		if (!strncmp(s, list[i], len) && !list[i][len])
			return 1;
	return 0;
}

static int is_czalloc_frame(const char *function, const char *file, const char *module)
{
	if (module && !strncmp(sym_basename(module), "libczalloc.so", 13))
		return 1;
	if (file)
		return in_list(czalloc_files, sym_basename(file));
	return function && in_function_list(czalloc_functions, function);
}

int sym_is_czalloc_frame(const char *function, const char *file, const char *module)
{
	return is_czalloc_frame(function, file, module);
}

int sym_is_allocator_frame(const struct sym_site_rules *rules, const char *function,
			   const char *file, const char *module)
{
	static const char *const libc_names[] = {
		"malloc", "calloc", "realloc", "reallocarray", "free", "posix_memalign",
		"aligned_alloc", "memalign", "valloc", "pvalloc", "strdup", "strndup",
		"__strdup", "__strndup", NULL
	};
	if (is_czalloc_frame(function, file, module))
		return 1;
	if (function) {
		if (in_list(libc_names, function))
			return 1;
		if (!strncmp(function, "operator new", 12) || !strncmp(function, "operator delete", 15))
			return 1;
		size_t start, end;
		qualified_name(function, &start, &end);
		if (is_std_frame(function, start) || matches_user_rule(rules, function, start, end))
			return 1;
	}
	if (!module)
		return 0;
	const char *b = sym_basename(module);
	return !strncmp(b, "libczprof.so", 12) || !strncmp(b, "libc.so", 7) ||
	       !strncmp(b, "libstdc++.so", 12) || !strncmp(b, "ld-linux", 8);
}

int sym_is_allocator_unnamed(const struct sym_site_rules *rules, const char *name, const char *module)
{
	if (module && *module && sym_is_allocator_frame(NULL, NULL, NULL, module))
		return 1;
	return name && matches_user_rule(rules, name, 0, strlen(name));
}

int sym_site_index(const unsigned char *is_allocator, int n)
{
	for (int i = 0; i < n; i++)
		if (!is_allocator[i])
			return i;
	return 0;
}

void sym_frame_name(char *buf, size_t size, const char *function, const char *file,
		    unsigned line, const char *module)
{
	if (file && *file && line)
		snprintf(buf, size, "%s (%s:%u)", function, file, line);
	else
		snprintf(buf, size, "%s (%s)", function, sym_basename(module ? module : ""));
}

void sym_unnamed_frame(char *buf, size_t size, const char *module, uint64_t bias, uint64_t ip)
{
	if (module && *module)
		snprintf(buf, size, "%s+0x%llx", sym_basename(module), (unsigned long long)(ip - bias));
	else
		snprintf(buf, size, "0x%llx", (unsigned long long)ip);
}
