/* rec_clock - event times across the recorder's switch from one recording
 * thread to two (lib/recorder/rec_clock.c): 100 blocks of 111 bytes, a 200 ms
 * sleep, 100 blocks of 222 bytes, then a thread that frees the 111-byte
 * blocks and allocates 100 blocks of 333 bytes, which main frees after
 * joining it; main frees the 222-byte blocks last.  Prints nothing. */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

static void *first[100], *made[100];

static void *worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < 100; i++) {
		free(first[i]);
		made[i] = malloc(333);
	}
	return NULL;
}

int main(void)
{
	void *second[100];
	for (int i = 0; i < 100; i++)
		first[i] = malloc(111);
	struct timespec pause = { 0, 200 * 1000 * 1000 };
	while (nanosleep(&pause, &pause))
		;
	for (int i = 0; i < 100; i++)
		second[i] = malloc(222);
	pthread_t t;
	if (pthread_create(&t, NULL, worker, NULL) || pthread_join(t, NULL))
		return 1;
	for (int i = 0; i < 100; i++)
		free(made[i]);
	for (int i = 0; i < 100; i++)
		free(second[i]);
	return 0;
}
