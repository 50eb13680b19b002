/*
 * readahead.c - czt_reader_read_ahead: a second thread reads the chunks
 * ahead of the caller.  Reading a chunk (pread, CRC, zstd, the join of a
 * column chunk) is a fifth of a load; on a machine with a core to spare it
 * happens there, one or two chunks ahead, while the caller decodes the
 * records of the chunk before.
 *
 * A ring of SLOTS payload buffers: the caller holds one (its record cursor
 * points into it until its next czt_reader_next_chunk), the worker fills
 * the others in file order.  Each buffer grows to the largest payload put
 * in it, at most CZT_CHUNK_MAX_RAW.  The worker stops after a chunk it
 * could not read, or the end; the reader then goes on by itself.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>

#include "format/czt.h"
#include "format/readahead.h"

#define SLOTS 3 /* the caller's chunk and two ahead */

struct slot {
	struct czt_fetched f;
	uint8_t *buf;
	size_t cap;
};

struct czt_ahead {
	struct czt_reader *w; /* the worker's twin reader */
	pthread_t thread;
	pthread_mutex_t lock; /* guards what follows */
	pthread_cond_t filled, freed;
	struct slot slot[SLOTS];
	unsigned next;   /* the slot the caller takes next */
	unsigned ready;  /* slots read, from next on, not taken yet */
	int held;        /* the caller holds the slot before next */
	int stop;        /* the worker is to end */
	int ended;       /* it has: no more slots will be read */
	int joined;
};

static void *work(void *arg)
{
	struct czt_ahead *a = arg;
	pthread_mutex_lock(&a->lock);
	for (;;) {
		while (!a->stop && a->ready + (unsigned)a->held == SLOTS)
			pthread_cond_wait(&a->freed, &a->lock);
		if (a->stop)
			break;
		struct slot *s = &a->slot[(a->next + a->ready) % SLOTS];
		pthread_mutex_unlock(&a->lock);
		czt__fetch(a->w, &s->f, &s->buf, &s->cap);
		pthread_mutex_lock(&a->lock);
		a->ready++;
		pthread_cond_signal(&a->filled);
		if (s->f.rc)
			break; /* the end, or where the caller's reader takes over */
	}
	a->ended = 1;
	pthread_cond_signal(&a->filled);
	pthread_mutex_unlock(&a->lock);
	return NULL;
}

static const struct czt_fetched *take(struct czt_ahead *a)
{
	pthread_mutex_lock(&a->lock);
	if (a->held) {
		a->held = 0;
		pthread_cond_signal(&a->freed);
	}
	while (!a->ready && !a->ended)
		pthread_cond_wait(&a->filled, &a->lock);
	const struct czt_fetched *f = NULL;
	if (a->ready) {
		f = &a->slot[a->next].f;
		a->next = (a->next + 1) % SLOTS;
		a->ready--;
		a->held = 1;
	}
	pthread_mutex_unlock(&a->lock);
	return f;
}

static void stop(struct czt_ahead *a)
{
	if (a->joined)
		return;
	pthread_mutex_lock(&a->lock);
	a->stop = 1;
	pthread_cond_signal(&a->freed);
	pthread_mutex_unlock(&a->lock);
	pthread_join(a->thread, NULL);
	a->joined = 1;
}

static void ahead_free(struct czt_ahead *a)
{
	stop(a);
	for (int i = 0; i < SLOTS; i++)
		free(a->slot[i].buf);
	czt__twin_free(a->w);
	pthread_cond_destroy(&a->filled);
	pthread_cond_destroy(&a->freed);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

static const struct czt_ahead_ops ops = { .take = take, .stop = stop, .free = ahead_free };

/* The CPUs this process may run on (many if the set is too large to ask). */
static int cpus(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set))
		return errno == EINVAL ? CPU_SETSIZE : 1;
	return CPU_COUNT(&set);
}

int czt_reader_read_ahead(struct czt_reader *r)
{
	int may = czt__may_read_ahead(r);
	if (may <= 0)
		return may;
	if (cpus() < 2)
		return -1; /* a thread would only take turns with the caller */
	struct czt_ahead *a = calloc(1, sizeof(*a));
	if (!a)
		return -1;
	a->w = czt__twin_new(r);
	if (!a->w || pthread_mutex_init(&a->lock, NULL)) {
		czt__twin_free(a->w);
		free(a);
		return -1;
	}
	pthread_cond_init(&a->filled, NULL);
	pthread_cond_init(&a->freed, NULL);
	/* signals stay the caller's: the worker blocks them all */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int e = pthread_create(&a->thread, NULL, work, a);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e) {
		a->joined = 1;
		ahead_free(a);
		return -1;
	}
	czt__attach(r, a, &ops);
	return 0;
}
