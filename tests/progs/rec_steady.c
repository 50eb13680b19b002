/* rec_steady SECONDS - a long-running program whose recorder must not
 * grow: 4,096 live blocks replaced at random from 2 call sites, in bursts
 * of different lengths (so the recorder's chunks come in many lengths)
 * with a 60 ms pause after each.  Prints two figures: its resident memory
 * (KiB) after the first second, and how much it grew (KiB) from then to
 * the end.  Natively the growth is 0. */
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static void *slot[4096];

__attribute__((noinline)) static void *site_a(size_t n) { return malloc(n); }
__attribute__((noinline)) static void *site_b(size_t n) { return malloc(n); }

static long rss_kib(void)
{
	char b[128];
	int fd = open("/proc/self/statm", O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, b, sizeof(b) - 1);
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return -1;
	b[n] = 0;
	char *p = b;
	strtol(p, &p, 10); /* size, then resident pages */
	return strtol(p, NULL, 10) * (sysconf(_SC_PAGESIZE) / 1024);
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void put_num(long v)
{
	char b[24];
	int k = sizeof(b);
	b[--k] = ' ';
	if (v < 0) { /* growth may be negative */
		write(1, "-", 1);
		v = -v;
	}
	do
		b[--k] = (char)('0' + v % 10);
	while (v /= 10);
	write(1, b + k, sizeof(b) - (size_t)k);
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 4, t0 = now();
	unsigned x = 1;
	long first = -1;
	for (unsigned burst = 0; now() - t0 < secs; burst++) {
		unsigned n = 500 + burst * 7919 % 40000;
		for (unsigned i = 0; i < n; i++) {
			x = x * 1103515245 + 12345;
			unsigned k = (x >> 8) & 4095;
			free(slot[k]);
			size_t size = 16 + (x >> 20) % 200;
			slot[k] = x & 1 ? site_a(size) : site_b(size);
		}
		usleep(60000);
		if (first < 0 && now() - t0 >= 1)
			first = rss_kib();
	}
	put_num(first);
	put_num(rss_kib() - first);
	write(1, "\n", 1);
	return 0;
}
