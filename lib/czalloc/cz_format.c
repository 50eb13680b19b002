/*
 * cz_format.c - cz_sprintf: a formatted string allocated exactly, from any
 * allocator (Zig's allocPrint).  vsnprintf measures, then writes.
 */
#include <stdarg.h>

#include "lib/czalloc/cz_internal.h"

char *cz_sprintf(struct cz_allocator a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	/* the caller's return address: the block is the program's, made here */
	char *s = a.vt->alloc(a.ctx, (size_t)n + 1, 1, CZ_RET_ADDR);
	if (!s)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}
