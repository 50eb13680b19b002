/*
 * cz_threads - allocators crossing threads, with exactly known behaviour:
 *   "shared" arena on libc: a worker thread allocates 10 x 64 B from it in
 *       each of 3 rounds; the main thread resets it (keeping its chunk)
 *       after each round, then destroys it
 *   "handoff" thread-safe debug allocator on libc: the worker allocates
 *       5 x 32 B in each round; the main thread frees them
 * The worker stays alive (blocked) until the process exits, so its events
 * and the main thread's reach the trace in whatever order the buffers are
 * flushed; the profile must be the same either way.
 */
#include <pthread.h>
#include <stdlib.h>

#include "lib/include/cz_alloc.h"

#define ROUNDS 3

static struct cz_arena shared;
static struct cz_debug handoff;
static void *handed[5];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int go, done;

static void *worker(void *arg)
{
	(void)arg;
	struct cz_allocator a = cz_arena_allocator(&shared), d = cz_debug_allocator(&handoff);
	for (int round = 1;; round++) {
		pthread_mutex_lock(&mu);
		while (go < round)
			pthread_cond_wait(&cv, &mu);
		pthread_mutex_unlock(&mu);
		for (int i = 0; i < 10; i++)
			if (!cz_alloc(a, 64, 8))
				abort();
		for (int i = 0; i < 5; i++)
			if (!(handed[i] = cz_alloc(d, 32, 8)))
				abort();
		pthread_mutex_lock(&mu);
		done = round;
		pthread_cond_broadcast(&cv);
		pthread_mutex_unlock(&mu);
	}
	return NULL;
}

int main(void)
{
	struct cz_debug_options o = { CZ_DEBUG_DEFAULTS, .name = "handoff" };
	cz_arena_init(&shared, cz_c_allocator(), "shared");
	if (cz_debug_init(&handoff, cz_c_allocator(), &o))
		return 1;
	pthread_t t;
	if (pthread_create(&t, NULL, worker, NULL))
		return 1;
	for (int round = 1; round <= ROUNDS; round++) {
		pthread_mutex_lock(&mu);
		go = round;
		pthread_cond_broadcast(&cv);
		while (done < round)
			pthread_cond_wait(&cv, &mu);
		pthread_mutex_unlock(&mu);
		cz_arena_reset(&shared, CZ_RESET_RETAIN);
		for (int i = 0; i < 5; i++)
			cz_free(cz_debug_allocator(&handoff), handed[i], 32, 8);
	}
	cz_arena_deinit(&shared);
	size_t leaks = cz_debug_deinit(&handoff);
	return leaks ? 1 : 0; /* the worker is still waiting: its events flush at exit */
}
