/* util.c - see util.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/util.h"
#include "format/czt.h"
#include "format/printable.h"

int cz_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("czprof: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return -1;
}

void cz_warning(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("czprof: warning: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

const char *cz_human_size(uint64_t bytes, char *buf)
{
	static const char *units[] = { "KiB", "MiB", "GiB", "TiB" };
	if (bytes < 1024) {
		snprintf(buf, 32, "%llu B", (unsigned long long)bytes);
		return buf;
	}
	double v = (double)bytes / 1024;
	int u = 0;
	while (v >= 1024 && u < 3) {
		v /= 1024;
		u++;
	}
	snprintf(buf, 32, "%.1f %s", v, units[u]);
	return buf;
}

const char *cz_human_time(uint64_t ns, char *buf)
{
	if (ns < 1000)
		snprintf(buf, 32, "%llu ns", (unsigned long long)ns);
	else if (ns < 1000000)
		snprintf(buf, 32, "%.1f us", (double)ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, 32, "%.1f ms", (double)ns / 1e6);
	else
		snprintf(buf, 32, "%.2f s", (double)ns / 1e9);
	return buf;
}

int cz_is_help(const char *arg)
{
	return !strcmp(arg, "-h") || !strcmp(arg, "--help");
}

char *cz_one_line(char *s)
{
	if (!s)
		return s;
	size_t len = strlen(s);
	char *safe = czt_printable_dup(s, len, CZT_PRINT_SPACE);
	if (safe) /* never longer: a character becomes itself or one space */
		memcpy(s, safe, strlen(safe) + 1);
	else
		s[0] = 0;
	free(safe);
	return s;
}

char *cz_lost_text(char *buf, size_t cap, uint64_t n, uint64_t why, uint64_t err)
{
	const char *cause;
	char errtext[128];
	if (why == CZT_LOST_WRITE && err == ENOSPC)
		cause = "the disk was full (ENOSPC)";
	else if (why == CZT_LOST_WRITE && err) {
		snprintf(errtext, sizeof(errtext), "a write to the trace failed (%s)", strerror((int)err));
		cause = errtext;
	} else if (why == CZT_LOST_WRITE)
		cause = "a write to the trace failed";
	else if (why == CZT_LOST_CLOSED)
		cause = "the program closed the trace's descriptor";
	else
		cause = "the recorder could not write them";
	snprintf(buf, cap, "%" PRIu64 " events lost: %s; the trace is incomplete", n, cause);
	return buf;
}
