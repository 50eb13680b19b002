/*
 * phases: malloc/free pairs in timed phases, for measuring a program that
 * czprof attaches to and detaches from while it runs (`czprof record -p`):
 * each phase prints its nanoseconds per pair, so the phases before, during
 * and after an attach compare on one run.
 *
 *   phases [PHASES] [PAIRS]   (default 12 phases of 2,000,000 pairs)
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
	int phases = argc > 1 ? atoi(argv[1]) : 12;
	long pairs = argc > 2 ? atol(argv[2]) : 2000000;
	void *keep[64] = { 0 };
	unsigned long sum = 0;
	for (int ph = 0; ph < phases; ph++) {
		double t0 = now_ns();
		for (long i = 0; i < pairs; i++) {
			unsigned k = (unsigned)i % 64;
			free(keep[k]);
			keep[k] = malloc(16 + (size_t)(i % 200));
			sum += (unsigned long)(keep[k] != NULL);
		}
		printf("phase %d %.1f ns/pair\n", ph, (now_ns() - t0) / (double)pairs);
		fflush(stdout);
	}
	for (int k = 0; k < 64; k++)
		free(keep[k]);
	return sum == (unsigned long)phases * (unsigned long)pairs ? 0 : 1;
}
