/*
 * rel_stress - many threads on few cores: 16 workers make N allocations
 * each (argument, default 1,000,000) of 1..64 bytes; every 4th block is
 * handed to a shared pool and freed by whichever thread takes it next, so
 * addresses are freed on other threads and reused everywhere.  Then 200
 * short-lived threads are started one after another, 1,000 malloc/free
 * pairs each.  Everything is freed but exactly 10 blocks of 48 B per
 * worker (leak_some): 160 blocks, 7,680 B.
 *   allocations: 16 * N + 160 + 200 * 1000
 */
#include <pthread.h>
#include <stdlib.h>

#define WORKERS 16
#define POOL 4096

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static void *pool[POOL];
static size_t pool_n;
static long per_thread = 1000000;

/* Puts p in the pool, or frees one already there when it is full. */
static void hand_over(void *p)
{
	void *victim = NULL;
	pthread_mutex_lock(&pool_lock);
	if (pool_n < POOL)
		pool[pool_n++] = p;
	else
		victim = p;
	void *other = pool_n > POOL / 2 ? pool[--pool_n] : NULL;
	pthread_mutex_unlock(&pool_lock);
	free(victim);
	free(other);
}

static void leak_some(void)
{
	for (int i = 0; i < 10; i++)
		if (!malloc(48))
			abort();
}

static void *worker(void *arg)
{
	(void)arg;
	void *keep[8] = { 0 };
	for (long i = 0; i < per_thread; i++) {
		void *p = malloc((size_t)(i % 64) + 1);
		if (!p)
			abort();
		if (i % 4 == 0) {
			hand_over(p);
		} else {
			free(keep[i % 8]);
			keep[i % 8] = p;
		}
	}
	for (int k = 0; k < 8; k++)
		free(keep[k]);
	leak_some();
	return NULL;
}

static void *short_lived(void *arg)
{
	(void)arg;
	for (int i = 0; i < 1000; i++)
		free(malloc(32));
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc > 1)
		per_thread = atol(argv[1]);
	pthread_t t[WORKERS];
	for (int i = 0; i < WORKERS; i++)
		if (pthread_create(&t[i], NULL, worker, NULL))
			return 1;
	for (int i = 0; i < WORKERS; i++)
		pthread_join(t[i], NULL);
	while (pool_n)
		free(pool[--pool_n]);
	for (int i = 0; i < 200; i++) {
		pthread_t s;
		if (pthread_create(&s, NULL, short_lived, NULL) || pthread_join(s, NULL))
			return 1;
	}
	return 0;
}
