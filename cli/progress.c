/* progress.c - see progress.h. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/progress.h"

#include <stdlib.h>

/* the first second draws nothing: a load that short needs no line
 * (CZPROF_PROGRESS_AFTER_MS: tests, whose loads are shorter) */
#define PROGRESS_AFTER_NS 1000000000ull

static struct {
	int active;           /* stderr is a terminal and a load runs */
	uint64_t start_ns, after_ns;
	int shown;            /* percent on screen, -1 for none */
	char name[48];        /* what the line names: the trace's base name */
} p;

/* shown is read by a signal handler: a drawn line must be erased then */
static volatile sig_atomic_t drawn;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void progress_begin(const char *trace_path, int on)
{
	p.active = on && isatty(STDERR_FILENO);
	p.start_ns = now_ns();
	const char *after = getenv("CZPROF_PROGRESS_AFTER_MS");
	p.after_ns = after && *after ? strtoull(after, NULL, 10) * 1000000ull : PROGRESS_AFTER_NS;
	p.shown = -1;
	/* the base name, cut short: a line longer than the terminal wraps,
	 * and \r could not redraw it in place */
	const char *base = strrchr(trace_path, '/');
	base = base && base[1] ? base + 1 : trace_path;
	size_t n = strlen(base);
	if (n < sizeof(p.name))
		snprintf(p.name, sizeof(p.name), "%s", base);
	else
		snprintf(p.name, sizeof(p.name), "...%s", base + n - (sizeof(p.name) - 4));
}

static void put(const char *s, size_t n)
{
	/* one write: the line is never half drawn beside other output */
	while (n) {
		ssize_t w = write(STDERR_FILENO, s, n);
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

void load_progress(uint64_t done, uint64_t total)
{
	if (!p.active || !total)
		return;
	if (!drawn && now_ns() - p.start_ns < p.after_ns)
		return;
	/* all read: what is left (indexes, the summary line the loader
	 * prints) goes on a clean line */
	if (done >= total) {
		progress_erase_now();
		p.active = 0;
		return;
	}
	int pct = (int)(done * 100 / total);
	if (pct == p.shown)
		return;
	p.shown = pct;
	char line[128];
	int n = snprintf(line, sizeof(line), "\rczprof: loading %s: %d%%\033[K", p.name, pct);
	if (n > 0)
		put(line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
	drawn = 1;
}

void progress_erase_now(void)
{
	static const char erase[] = "\r\033[K";
	if (drawn)
		put(erase, sizeof(erase) - 1);
	drawn = 0;
}

void progress_end(void)
{
	progress_erase_now();
	p.active = 0;
	p.shown = -1;
}
