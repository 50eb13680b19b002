/*
 * sym_site.c - which frames are part of the allocator rather than the
 * program.  Shared by the reports and the live viewer so that both name the
 * same call site for the same stack.
 */
#include <string.h>

#include "symbols/sym.h"

const char *sym_basename(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

int sym_is_allocator_frame(const char *function, const char *file, const char *module)
{
	if (file) { /* libczalloc's own files, static functions included */
		static const char *const lib_files[] = { "cz_core.c", "cz_c.c", "cz_page.c", "cz_arena.c",
							 "cz_fixed.c", "cz_debug.c", "cz_failing.c", "cz_testing.c",
							 "cz_hooks.c", NULL };
		const char *b = sym_basename(file);
		for (int i = 0; lib_files[i]; i++)
			if (!strcmp(b, lib_files[i]))
				return 1;
	}
	static const char *const names[] = {
		"malloc", "calloc", "realloc", "reallocarray", "free", "posix_memalign",
		"aligned_alloc", "memalign", "valloc", "pvalloc", "strdup", "strndup",
		"__strdup", "__strndup", NULL
	};
	if (function) {
		for (int i = 0; names[i]; i++)
			if (!strcmp(function, names[i]))
				return 1;
		/* C++ operators, and the allocator library's own functions */
		if (!strncmp(function, "operator new", 12) || !strncmp(function, "operator delete", 15) ||
		    !strncmp(function, "cz_", 3))
			return 1;
	}
	if (!module)
		return 0;
	const char *b = sym_basename(module);
	return !strncmp(b, "libczprof.so", 12) || !strncmp(b, "libc.so", 7) ||
	       !strncmp(b, "libstdc++.so", 12) || !strncmp(b, "ld-linux", 8);
}
