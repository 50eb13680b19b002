/*
 * top_phases - a program with phases `czprof top` tests watch:
 *   1. grow_cache: 64 blocks of 64 KiB stay live (4,194,304 B: the peak)
 *      and churn: 1,000 malloc/free pairs of 32 B
 *   2. drop_cache: all 64 blocks freed
 *   3. leak_some: 10 blocks of 1,000 B never freed (10,000 B)
 * With a folder argument, each phase waits for DIR/goN to exist, so a test
 * decides when the program moves on; DIR/atN is created when phase N is
 * done.  Without one, phases are 300 ms apart.  Nothing else allocates.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static void *cache[64];
static const char *dir;

static void pause_for(int phase)
{
	char path[4096];
	if (!dir) {
		struct timespec ts = { 0, 300 * 1000000L };
		nanosleep(&ts, NULL);
		return;
	}
	snprintf(path, sizeof(path), "%s/at%d", dir, phase);
	close(open(path, O_WRONLY | O_CREAT, 0600));
	snprintf(path, sizeof(path), "%s/go%d", dir, phase);
	while (access(path, F_OK)) {
		struct timespec ts = { 0, 10 * 1000000L };
		nanosleep(&ts, NULL);
	}
}

static void grow_cache(void)
{
	for (int i = 0; i < 64; i++)
		cache[i] = malloc(65536);
}

static void churn(void)
{
	for (int i = 0; i < 1000; i++)
		free(malloc(32));
}

static void drop_cache(void)
{
	for (int i = 0; i < 64; i++) /* no dangling pointer: malloc reuses the addresses */
		free(cache[i]), cache[i] = NULL;
}

static void leak_some(void)
{
	for (int i = 0; i < 10; i++)
		if (!malloc(1000))
			abort();
}

int main(int argc, char **argv)
{
	dir = argc > 1 ? argv[1] : NULL;
	pause_for(0);
	grow_cache();
	churn();
	pause_for(1);
	drop_cache();
	pause_for(2);
	leak_some();
	pause_for(3);
	return 0;
}
