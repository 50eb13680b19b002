/* threads - churn on 2 threads at once; about 1 block in 64 is handed to
 * the other thread, which frees it.  Usage: threads [PAIRS_PER_THREAD]. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include "bench/common.h"

#define RING 256
#define MAILBOX 1024
struct worker {
	void *ring[RING];
	void *mail[MAILBOX]; /* blocks the other thread gives us to free */
	unsigned head, tail;
	pthread_mutex_t lock;
	struct worker *other;
	uint64_t rng, sum;
	long n;
};

__attribute__((noinline)) static void recurse(struct worker *w, int depth, unsigned i, size_t sz)
{
	if (depth > 0) {
		recurse(w, depth - 1, i, sz);
		__asm__ volatile("" ::: "memory");
		return;
	}
	void *p = w->ring[i];
	if (p && (sz & 63) == 0) { /* give it away */
		struct worker *o = w->other;
		pthread_mutex_lock(&o->lock);
		if (o->head - o->tail < MAILBOX) {
			o->mail[o->head++ % MAILBOX] = p;
			p = NULL;
		}
		pthread_mutex_unlock(&o->lock);
	}
	free(p);
	w->ring[i] = malloc(sz);
	w->sum += bench_touch(w->ring[i], sz);
}

static void *run(void *arg)
{
	struct worker *w = arg;
	for (long k = 0; k < w->n; k++) {
		w->rng ^= w->rng << 13; w->rng ^= w->rng >> 7; w->rng ^= w->rng << 17;
		uint64_t r = w->rng;
		recurse(w, 10 + (int)((r >> 9) % 11), (unsigned)(k % RING), 16 + (r & 511) % 497);
		if ((k & 255) == 0) {
			pthread_mutex_lock(&w->lock);
			while (w->tail != w->head)
				free(w->mail[w->tail++ % MAILBOX]);
			pthread_mutex_unlock(&w->lock);
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	long n = bench_arg(argc, argv, 2500000);
	static struct worker w[2];
	for (int i = 0; i < 2; i++) {
		pthread_mutex_init(&w[i].lock, NULL);
		w[i].other = &w[1 - i];
		w[i].rng = 0x12345678u + (uint64_t)i * 0x9E3779B9u;
		w[i].n = n;
	}
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, run, &w[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	uint64_t sum = 0;
	for (int i = 0; i < 2; i++) {
		for (int k = 0; k < RING; k++)
			free(w[i].ring[k]);
		while (w[i].tail != w[i].head)
			free(w[i].mail[w[i].tail++ % MAILBOX]);
		sum += w[i].sum;
	}
	printf("threads %ld checksum %llu\n", n, (unsigned long long)sum);
	return 0;
}
