/*
 * rec_spare.c - whether the program leaves the recorder a core to spare.
 *
 * The column form of EVENTS chunks (format/czt_model.h) makes traces 2-3
 * times smaller than one zstd frame per chunk, but costs the flusher some
 * 35 ns of CPU per event against 10.  On a core the program does not use
 * that is free; when the program's own threads keep every core busy, each
 * of those nanoseconds is taken from them (a two-thread program on two
 * cores recorded 15% slower with columns, 5% with frames).  So the flusher
 * looks, a few times a second, at how many cores' worth of CPU the rest of
 * the process used, and writes columns only while a core is left over.
 */
#include <sched.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <unistd.h>

#include "lib/rec.h"

#define LOOK_NS 50000000ull /* how often the flusher looks */

int rec_spare_decide(double program_cores, double cpus, int was_on)
{
	double spare = cpus - program_cores;
	/* some slack both ways, so that a program near the edge does not
	 * flip at every look */
	return was_on ? spare >= 0.5 : spare >= 0.8;
}

static uint64_t cpu_us(int who)
{
	struct rusage ru;
	if (getrusage(who, &ru))
		return 0;
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000u +
	       (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

void rec_spare_init(struct rec_spare *s, uint64_t now_ns)
{
	cpu_set_t set;
	long n = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set)
							       : sysconf(_SC_NPROCESSORS_ONLN);
	s->cpus = n > 0 ? (double)n : 1.0;
	s->on = 1;
	s->wall_ns = now_ns;
	s->self_us = cpu_us(RUSAGE_SELF);
	s->own_us = cpu_us(RUSAGE_THREAD);
}

int rec_spare_update(struct rec_spare *s, uint64_t now_ns)
{
	if (now_ns - s->wall_ns < LOOK_NS)
		return s->on;
	uint64_t self = cpu_us(RUSAGE_SELF), own = cpu_us(RUSAGE_THREAD);
	/* the flusher's own time is what columns would spend, not a load */
	double used = (double)((self - s->self_us) - (own - s->own_us));
	double cores = used * 1000.0 / (double)(now_ns - s->wall_ns);
	s->on = rec_spare_decide(cores, s->cpus, s->on);
	s->wall_ns = now_ns;
	s->self_us = self;
	s->own_us = own;
	return s->on;
}
