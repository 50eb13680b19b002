/*
 * formatter - formats a table into a buffer on the stack: a fixed-buffer
 * allocator serves every string, so the program touches no heap at all;
 * when a row does not fit, the allocator says so (out of memory) and the
 * formatter stops cleanly with what fitted.
 */
#include <stdio.h>
#include <string.h>

#include "lib/include/cz_alloc.h"

/* "name.....value" padded to width, from a; NULL when it does not fit. */
static char *format_row(struct cz_allocator a, const char *name, long value, int width)
{
	char *line = cz_alloc(a, (size_t)width + 1, 1);
	if (!line)
		return NULL;
	char num[32];
	int nl = snprintf(num, sizeof(num), "%ld", value);
	int dots = width - (int)strlen(name) - nl;
	snprintf(line, (size_t)width + 1, "%s%.*s%s", name, dots > 0 ? dots : 0,
		 "........................................................", num);
	return line;
}

int main(void)
{
	static const struct { const char *name; long value; } rows[] = {
		{ "requests", 1204 }, { "errors", 3 }, { "bytes in", 98231 }, { "bytes out", 1843211 },
		{ "p50 latency us", 412 }, { "p99 latency us", 9120 }, { "connections", 17 },
	};
	char buf[160]; /* room for 5 rows of 31 bytes, not 7 */
	struct cz_fixed f;
	cz_fixed_init(&f, buf, sizeof(buf), "formatter buffer");
	struct cz_allocator a = cz_fixed_allocator(&f);
	size_t shown = 0;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *line = format_row(a, rows[i].name, rows[i].value, 30);
		if (!line) {
			printf("(%zu more rows did not fit in %zu bytes)\n", sizeof(rows) / sizeof(rows[0]) - i,
			       sizeof(buf));
			break;
		}
		puts(line);
		shown++;
	}
	cz_fixed_reset(&f);
	return shown == 5 ? 0 : 1;
}
