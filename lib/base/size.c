/*
 * size.c - see size.h.
 */
#include <stdio.h>

#include "lib/base/size.h"

char *size_text(uint64_t bytes, char *buf, size_t cap, enum size_digits digits)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	if (bytes < 1024) {
		snprintf(buf, cap, "%llu B", (unsigned long long)bytes);
		return buf;
	}
	double v = (double)bytes / 1024;
	int u = 0;
	while (v >= 1024 && u < 3) {
		v /= 1024;
		u++;
	}
	if (digits == SIZE_ONE_DECIMAL)
		snprintf(buf, cap, "%.1f %s", v, units[u]);
	else
		snprintf(buf, cap, v < 10 ? "%.2f %s" : v < 100 ? "%.1f %s" : "%.0f %s", v, units[u]);
	return buf;
}
