/*
 * cz_testing.c - allocators for tests: the testing allocator (one
 * process-wide debug allocator, checked and restarted at the end of each
 * test).  The failure sweep is cz_sweep.c.
 */
#include <pthread.h>

#include "lib/czalloc/cz_internal.h"

/* ---- the testing allocator ---- */

static struct cz_debug testing;
static pthread_mutex_t testing_lock = PTHREAD_MUTEX_INITIALIZER;

static void cz__testing_start(void)
{
	struct cz_debug_options o = { CZ_DEBUG_DEFAULTS, .name = "testing" };
	cz__debug_init(&testing, cz_c_allocator(), &o, CZPROF_KIND_TESTING);
}

struct cz_allocator cz_testing_allocator(void)
{
	pthread_mutex_lock(&testing_lock);
	if (!testing.s)
		cz__testing_start();
	pthread_mutex_unlock(&testing_lock);
	return cz_debug_allocator(&testing);
}

size_t cz_testing_check(void)
{
	pthread_mutex_lock(&testing_lock);
	size_t bad = 0;
	if (testing.s)
		bad = cz_debug_problems(&testing) + cz_debug_deinit(&testing);
	cz__testing_start(); /* handles given out before stay usable */
	pthread_mutex_unlock(&testing_lock);
	return bad;
}
