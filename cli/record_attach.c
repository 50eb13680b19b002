/*
 * record_attach.c - `czprof record -p PID` from attach to detach
 * (record_attach.h); cmd_record.c parses the options and completes the
 * trace afterwards as it does for a program it started.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/attach.h"
#include "cli/record_attach.h"
#include "cli/record_symtab.h"
#include "cli/util.h"

static volatile sig_atomic_t stop_asked;

static void on_stop(int sig)
{
	(void)sig;
	stop_asked = 1;
}

/* Whether the process has ended (gone, or a zombie its parent has not
 * reaped yet). */
static int ended(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	const char *p = strrchr(buf, ')'); /* the name may hold anything */
	return !p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X';
}

static double secs_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

int record_attach(const struct attach_target *t, const char *lib, const char *trace,
		  double duration, struct record_attach *out)
{
	memset(out, 0, sizeof(*out));
	/* the process opens the trace itself, as its own user */
	if (geteuid() == 0 && t->uid != 0 && chown(trace, t->uid, t->gid))
		return cli_error("cannot give '%s' to uid %u: %s", trace, (unsigned)t->uid, strerror(errno));
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	static const int stops[] = { SIGINT, SIGTERM, SIGHUP };
	for (size_t k = 0; k < sizeof(stops) / sizeof(stops[0]); k++)
		sigaction(stops[k], &sa, NULL);
	struct attach_times tm;
	if (attach_start(t, lib, trace, &tm))
		return -1;
	out->attach_ms = tm.total;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	out->follow = symtab_follow(trace);
	while (!stop_asked && !(duration > 0 && secs_since(&t0) >= duration)) {
		if (ended(t->pid)) {
			out->ended = 1;
			break;
		}
		struct timespec d = { 0, 20 * 1000000 };
		nanosleep(&d, NULL);
	}
	out->secs = secs_since(&t0);
	if (out->ended)
		return 0;
	if (attach_stop(t, lib, &tm)) {
		/* the program may have ended in between */
		if (!ended(t->pid))
			return -1;
		out->ended = 1;
		return 0;
	}
	out->detach_ms = tm.total;
	return 0;
}
