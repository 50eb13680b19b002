/*
 * rec_spare.c - whether the flusher writes EVENTS chunks in column form.
 *
 * The column form (format/czt_model.h) makes traces 2-3 times smaller than
 * one zstd frame per chunk, but costs the flusher some 35 ns of CPU per
 * event against 7-14.  On a core the program does not use that is free;
 * when the program's own threads keep every core busy, each of those
 * nanoseconds is taken from them (a two-thread program on two cores
 * recorded 13-17% slower with columns, 4-5% with frames).  So a few times
 * a second the flusher looks at how many cores' worth of CPU the rest of
 * the process used, and writes columns while a core is left over, or,
 * with none over, while they take only a few per cent of what the program
 * spends itself: a program doing real work between its allocations keeps
 * the smaller trace.
 */
#include <sched.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <unistd.h>

#include "lib/recorder/rec.h"

#define LOOK_NS 50000000ull /* how often the flusher looks */

/* The flusher's CPU per payload byte in column form until it has measured
 * its own: 35 ns per event of about 7 bytes on the machine these figures
 * come from. */
#define COLUMN_NS_GUESS 5.0

/* Bytes a look needs to measure the column form's cost by. */
#define MEASURE_BYTES 65536

int rec_spare_decide(double program_cores, double cpus, double cost, int was_on)
{
	double spare = cpus - program_cores;
	/* some slack both ways, so that a program near the edge does not
	 * flip at every look; compression as a whole should cost a
	 * recording under 5%, and frames take part of that */
	if (was_on ? spare >= 0.5 : spare >= 0.8)
		return 1;
	return was_on ? cost < 0.03 : cost < 0.02;
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
	s->bytes = 0;
	s->column_ns = COLUMN_NS_GUESS;
}

void rec_spare_packed(struct rec_spare *s, size_t len)
{
	s->bytes += len;
}

int rec_spare_look(struct rec_spare *s, uint64_t now_ns, uint64_t self_us, uint64_t own_us)
{
	/* the flusher's own time is what columns spend, not a load */
	double own_ns = (double)(own_us - s->own_us) * 1000.0;
	double program_ns = (double)(self_us - s->self_us) * 1000.0 - own_ns;
	double cores = program_ns / (double)(now_ns - s->wall_ns);
	/* columns were on all this while (the answer changes only here):
	 * what they cost per byte, everything else the flusher did included */
	if (s->on && s->bytes >= MEASURE_BYTES)
		s->column_ns = (s->column_ns + own_ns / (double)s->bytes) / 2;
	double column_ns = s->column_ns * (double)s->bytes;
	double cost = !s->bytes ? 0.0 : program_ns > 0 ? column_ns / program_ns : 1.0;
	s->on = rec_spare_decide(cores, s->cpus, cost, s->on);
	s->wall_ns = now_ns;
	s->self_us = self_us;
	s->own_us = own_us;
	s->bytes = 0;
	return s->on;
}

int rec_spare_update(struct rec_spare *s, uint64_t now_ns)
{
	if (now_ns - s->wall_ns < LOOK_NS)
		return s->on;
	return rec_spare_look(s, now_ns, cpu_us(RUSAGE_SELF), cpu_us(RUSAGE_THREAD));
}
