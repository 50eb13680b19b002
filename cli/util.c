/* util.c - see util.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/progress.h"
#include "cli/util.h"
#include "format/czt.h"
#include "format/printable.h"
#include "lib/base/size.h"

int cli_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	progress_erase_now(); /* a load's progress line, if one is drawn */
	fputs("czprof: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return -1;
}

void cli_warning(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	progress_erase_now();
	fputs("czprof: warning: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

const char *cli_human_size(uint64_t bytes, char *buf)
{
	return size_text(bytes, buf, 32, SIZE_ONE_DECIMAL);
}

const char *cli_human_time(uint64_t ns, char *buf)
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

int cli_is_help(const char *arg)
{
	return !strcmp(arg, "-h") || !strcmp(arg, "--help");
}

char *cli_one_line(char *s)
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

char *cli_lost_text(char *buf, size_t cap, uint64_t n, uint64_t why, uint64_t err)
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

int cli_parse_size(const char *s, uint64_t *out)
{
	static const struct { const char *suffix; double scale; } units[] = {
		{ "", 1 }, { "B", 1 },
		{ "K", 1024.0 }, { "KiB", 1024.0 }, { "KB", 1e3 },
		{ "M", 1048576.0 }, { "MiB", 1048576.0 }, { "MB", 1e6 },
		{ "G", 1073741824.0 }, { "GiB", 1073741824.0 }, { "GB", 1e9 },
		{ "T", 1099511627776.0 }, { "TiB", 1099511627776.0 }, { "TB", 1e12 },
	};
	if (!s || !((*s >= '0' && *s <= '9') || *s == '.'))
		return -1; /* no sign, no blank, no "inf" */
	char *end;
	double v = strtod(s, &end);
	if (end == s)
		return -1;
	for (size_t k = 0; k < sizeof(units) / sizeof(units[0]); k++) {
		if (strcasecmp(end, units[k].suffix) || (k > 1 && strcmp(end + 1, units[k].suffix + 1)))
			continue;
		double bytes = v * units[k].scale;
		if (!(bytes >= 0) || bytes >= 18446744073709551616.0)
			return -1;
		*out = (uint64_t)(bytes + 0.5);
		return 0;
	}
	return -1;
}

int cli_parse_count(const char *s, uint64_t *out)
{
	if (!s || !*s || strlen(s) > 19)
		return -1;
	uint64_t v = 0;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*out = v;
	return 0;
}
