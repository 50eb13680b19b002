/*
 * attach_loop: a program for `czprof record -p` to attach to while it
 * allocates, and detach from, again and again.  Whatever czprof does, its
 * output must be the same as when it runs alone: each block is filled with
 * a pattern and checked before it is freed (a wrong free or a block handed
 * out twice shows as errors), and the checksum comes from a fixed amount of
 * work done after the run, so it does not depend on how long it ran.
 *
 *   attach_loop loop CTL      one thread allocating until CTL/stop exists
 *   attach_loop threads CTL   8 threads doing the same
 *   attach_loop pipe          reads lines from stdin (blocked in read most
 *                             of the time), one block per line, until EOF
 *   attach_loop plugin CTL LIB  waits for CTL/go, then dlopens LIB
 *                             (librec_plugin.so), calls it and dlcloses
 *                             it, writes CTL/done and waits for CTL/stop
 *
 * It writes CTL/ready once running.  Every block comes from make_block
 * (its malloc is the known call site); a ring of RING blocks per thread
 * stays live, so a window always ends with blocks "leaked" in it.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RING 64
#define THREADS 8

static const char *ctl;

static unsigned char *make_block(size_t n, unsigned seed)
{
	unsigned char *p = malloc(n); /* the known call site */
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(seed + i);
	return p;
}

/* 1 when the block still holds its pattern. */
static int check_block(const unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != (unsigned char)(seed + i))
			return 0;
	return 1;
}

static int stop_now(void)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/stop", ctl);
	/* also when the folder is gone: a test that failed half-way and
	 * removed its scratch folder leaves nothing running */
	return access(path, F_OK) == 0 || access(ctl, F_OK) != 0;
}

static void touch(const char *name)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", ctl, name);
	FILE *f = fopen(path, "w");
	if (f)
		fclose(f);
}

/* Allocates and frees until told to stop; returns the errors found. */
static void *churn(void *arg)
{
	unsigned id = (unsigned)(uintptr_t)arg;
	unsigned char *ring[RING] = { 0 };
	size_t size[RING] = { 0 };
	unsigned seed[RING] = { 0 };
	uintptr_t errors = 0;
	for (unsigned i = 0; !(i % 256 == 0 && stop_now()); i++) {
		unsigned k = i % RING;
		if (ring[k]) {
			errors += !check_block(ring[k], size[k], seed[k]);
			free(ring[k]);
		}
		size[k] = 16 + (i * 7 + id) % 200;
		seed[k] = i ^ id;
		ring[k] = make_block(size[k], seed[k]);
		if (i % 64 == 0) {
			struct timespec d = { 0, 100000 };
			nanosleep(&d, NULL);
		}
	}
	for (unsigned k = 0; k < RING; k++)
		if (ring[k]) {
			errors += !check_block(ring[k], size[k], seed[k]);
			free(ring[k]);
		}
	return (void *)errors;
}

/* The fixed work the checksum comes from. */
static uint64_t final_sum(void)
{
	uint64_t sum = 0;
	for (unsigned i = 0; i < 1000; i++) {
		size_t n = 1 + i % 97;
		unsigned char *p = make_block(n, i);
		for (size_t j = 0; j < n; j++)
			sum = sum * 31 + p[j];
		free(p);
	}
	return sum;
}

static int run_pipe(void)
{
	uint64_t sum = 0, lines = 0;
	char buf[256];
	size_t len = 0;
	ssize_t n;
	/* byte by byte: every read may block */
	while ((n = read(0, buf + len, 1)) > 0) {
		if (buf[len] == '\n' || len == sizeof(buf) - 2) {
			unsigned char *p = make_block(len + 1, 0);
			memcpy(p, buf, len);
			p[len] = 0;
			for (size_t j = 0; j < len; j++)
				sum = sum * 31 + p[j];
			printf("%s\n", (char *)p);
			fflush(stdout);
			free(p);
			lines++;
			len = 0;
		} else {
			len++;
		}
	}
	if (n < 0) {
		perror("read");
		return 1;
	}
	printf("lines=%llu checksum=%llu final=%llu\n", (unsigned long long)lines,
	       (unsigned long long)sum, (unsigned long long)final_sum());
	return 0;
}

static int exists(const char *name)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", ctl, name);
	return access(path, F_OK) == 0;
}

/* A module loaded after the attach: its calls must be recorded too. */
static int run_plugin(const char *lib)
{
	struct timespec d = { 0, 10 * 1000000 };
	touch("ready");
	while (!exists("go") && !stop_now())
		nanosleep(&d, NULL);
	void *h = dlopen(lib, RTLD_NOW);
	void (*churn_fn)(void) = h ? (void (*)(void))dlsym(h, "plugin_churn") : NULL;
	void (*leak_fn)(void) = h ? (void (*)(void))dlsym(h, "plugin_leak") : NULL;
	if (!churn_fn || !leak_fn)
		return 3;
	churn_fn();
	leak_fn();
	dlclose(h);
	touch("done");
	while (!stop_now())
		nanosleep(&d, NULL);
	printf("plugin ran\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "pipe"))
		return run_pipe();
	if (argc < 3) {
		fprintf(stderr, "usage: attach_loop loop|threads CTL | attach_loop pipe\n");
		return 2;
	}
	ctl = argv[2];
	if (!strcmp(argv[1], "plugin"))
		return argc > 3 ? run_plugin(argv[3]) : 2;
	uintptr_t errors = 0;
	touch("ready");
	if (!strcmp(argv[1], "threads")) {
		pthread_t t[THREADS];
		for (unsigned i = 0; i < THREADS; i++)
			pthread_create(&t[i], NULL, churn, (void *)(uintptr_t)(i + 1));
		for (unsigned i = 0; i < THREADS; i++) {
			void *e;
			pthread_join(t[i], &e);
			errors += (uintptr_t)e;
		}
	} else {
		errors = (uintptr_t)churn(0);
	}
	printf("errors=%llu checksum=%llu\n", (unsigned long long)errors, (unsigned long long)final_sum());
	return errors ? 1 : 0;
}
