/* rec_threads - 4 threads, each allocating 20000 blocks of 48 B; every
 * block is freed by the next thread (cross-thread frees) through a
 * lock-protected queue, so freed addresses are reused across threads.
 * Leaks nothing.  No stdio. */
#include <pthread.h>
#include <stdlib.h>

#define THREADS 4
#define PER_THREAD 20000
#define QCAP 256

struct queue {
	pthread_mutex_t lock;
	void *items[QCAP];
	unsigned head, tail;
};

static struct queue queues[THREADS];
static int done_producing[THREADS];

static int pop_and_free(struct queue *q)
{
	pthread_mutex_lock(&q->lock);
	int n = 0;
	while (q->tail != q->head) {
		free(q->items[q->tail++ % QCAP]);
		n++;
	}
	pthread_mutex_unlock(&q->lock);
	return n;
}

static void *run(void *arg)
{
	int id = (int)(long)arg;
	struct queue *out = &queues[(id + 1) % THREADS], *in = &queues[id];
	int freed = 0;
	for (int i = 0; i < PER_THREAD; i++) {
		void *p = malloc(48);
		for (;;) {
			pthread_mutex_lock(&out->lock);
			if (out->head - out->tail < QCAP) {
				out->items[out->head++ % QCAP] = p;
				pthread_mutex_unlock(&out->lock);
				break;
			}
			pthread_mutex_unlock(&out->lock);
			freed += pop_and_free(in);
		}
		freed += pop_and_free(in);
	}
	__atomic_store_n(&done_producing[id], 1, __ATOMIC_RELEASE);
	int prev = (id + THREADS - 1) % THREADS;
	while (freed < PER_THREAD) {
		freed += pop_and_free(in);
		if (__atomic_load_n(&done_producing[prev], __ATOMIC_ACQUIRE) && freed >= PER_THREAD)
			break;
	}
	return NULL;
}

int main(void)
{
	pthread_t t[THREADS];
	for (int i = 0; i < THREADS; i++)
		pthread_mutex_init(&queues[i].lock, NULL);
	for (long i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, run, (void *)i);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	return 0;
}
