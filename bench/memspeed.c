/* memspeed - how fast this machine hands out fresh memory: maps 256 MiB,
 * touches every page once and prints GB/s.  Not a benchmark of czprof:
 * make bench prints it beside the load times, which depend on it (on a
 * VM whose host reclaimed memory, first touches can be ten times slower).
 * Usage: memspeed [MIB]. */
#include <stdio.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "bench/common.h"

int main(int argc, char **argv)
{
	size_t len = (size_t)bench_arg(argc, argv, 256) << 20;
	long page = sysconf(_SC_PAGESIZE);
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	volatile char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == (volatile char *)MAP_FAILED) {
		perror("memspeed: mmap");
		return 1;
	}
	for (size_t i = 0; i < len; i += (size_t)page)
		p[i] = 1;
	clock_gettime(CLOCK_MONOTONIC, &b);
	double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	printf("%.2f\n", (double)len / s / 1e9);
	return 0;
}
