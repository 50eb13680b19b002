/* rec_busy - the recorder's buffers taken by others while their threads
 * record.  No stdio (numbers are written with write()).
 *
 *   rec_busy exit FILE   3 threads make malloc/free pairs without pause;
 *                        once each has made 20000, main writes how many
 *                        pairs all have made to FILE and calls exit(0)
 *                        while they go on: the exit flush must wait for
 *                        each thread's event in progress and keep them all
 *   rec_busy idle N      3 threads make N bursts of 50 pairs with pauses
 *                        of 0-2 ms between, so the flusher hands over
 *                        chunks of threads that are about to record again;
 *                        joined, then a normal exit: 3*N*50 pairs
 *   rec_busy signal      30 children in turn allocate until a timer
 *                        signal's handler calls _exit(0), some in the
 *                        middle of an event: the flush from _exit must give
 *                        up on that buffer instead of waiting for itself
 *                        (exit status 3: a child hung)
 *   rec_busy fork        3 threads allocate while main forks; the child
 *                        makes 100 blocks (freed) and exits; main stops the
 *                        threads and exits
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define THREADS 3

static long pairs[THREADS];
static int stop;
static long bursts;

static void put_number(int fd, long v)
{
	char buf[24];
	int n = 0;
	char digits[24];
	do
		digits[n++] = (char)('0' + v % 10);
	while (v /= 10);
	for (int i = 0; i < n; i++)
		buf[i] = digits[n - 1 - i];
	buf[n++] = '\n';
	ssize_t ignored = write(fd, buf, (size_t)n);
	(void)ignored;
}

/* base 5000: sizes libc does not use for itself */
static void one_pair(unsigned *seed, size_t base)
{
	*seed = *seed * 1103515245u + 12345u;
	char *p = malloc(base + (*seed >> 16) % 200);
	p[0] = 1;
	__asm__ volatile("" ::"r"(p) : "memory");
	free(p);
}

static void *churn(void *arg)
{
	int id = (int)(long)arg;
	unsigned seed = (unsigned)id + 1;
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		one_pair(&seed, 5000);
		/* counted once the pair is recorded: it must be in the trace */
		__atomic_store_n(&pairs[id], pairs[id] + 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

static void *idle(void *arg)
{
	int id = (int)(long)arg;
	unsigned seed = (unsigned)id + 7;
	for (long b = 0; b < bursts; b++) {
		for (int i = 0; i < 50; i++)
			one_pair(&seed, 5000);
		seed = seed * 1103515245u + 12345u;
		struct timespec ts = { 0, (long)((seed >> 8) % 2000) * 1000 };
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static long total(void)
{
	long n = 0;
	for (int i = 0; i < THREADS; i++)
		n += __atomic_load_n(&pairs[i], __ATOMIC_ACQUIRE);
	return n;
}

static void start(pthread_t *t, void *(*fn)(void *))
{
	for (long i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, fn, (void *)i);
}

static int ticks;

static void on_alarm(int sig)
{
	(void)sig;
	if (++ticks >= 5)
		_exit(0);
}

int main(int argc, char **argv)
{
	pthread_t t[THREADS];
	const char *mode = argc > 1 ? argv[1] : "";
	if (!strcmp(mode, "exit") && argc > 2) {
		start(t, churn);
		for (;;) {
			int all = 1;
			for (int i = 0; i < THREADS; i++)
				if (__atomic_load_n(&pairs[i], __ATOMIC_ACQUIRE) < 20000)
					all = 0;
			if (all)
				break;
			usleep(1000);
		}
		long n = total();
		int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0600);
		put_number(fd, n);
		close(fd);
		exit(0); /* the threads are still allocating */
	}
	if (!strcmp(mode, "idle") && argc > 2) {
		bursts = atol(argv[2]);
		start(t, idle);
		for (int i = 0; i < THREADS; i++)
			pthread_join(t[i], NULL);
		return 0;
	}
	if (!strcmp(mode, "signal")) {
		/* an event is a small part of each pair: 30 children, each
		 * ended by a signal at a random point, so that some are
		 * ended mid-event */
		for (int child = 0; child < 30; child++) {
			pid_t pid = fork();
			if (pid == 0) {
				struct sigaction sa;
				memset(&sa, 0, sizeof(sa));
				sa.sa_handler = on_alarm;
				sigaction(SIGALRM, &sa, NULL);
				struct itimerval it = { { 0, 997 }, { 0, 997 } };
				setitimer(ITIMER_REAL, &it, NULL);
				unsigned seed = 3;
				for (;;) /* small blocks: most of the time goes to recording */
					one_pair(&seed, 16);
			}
			int status = 0;
			for (int waited = 0; waitpid(pid, &status, WNOHANG) == 0; waited++) {
				if (waited == 3000) { /* 3 s: it hangs */
					kill(pid, SIGKILL);
					waitpid(pid, &status, 0);
					return 3;
				}
				usleep(1000);
			}
			if (!WIFEXITED(status) || WEXITSTATUS(status))
				return 4;
		}
		return 0;
	}
	if (!strcmp(mode, "fork")) {
		start(t, churn);
		while (total() < 30000)
			usleep(1000);
		pid_t pid = fork();
		if (pid == 0) {
			void *keep[100];
			for (int i = 0; i < 100; i++)
				keep[i] = malloc(1000);
			for (int i = 0; i < 100; i++)
				free(keep[i]);
			exit(0);
		}
		int status = 1;
		waitpid(pid, &status, 0);
		__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
		for (int i = 0; i < THREADS; i++)
			pthread_join(t[i], NULL);
		return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
	}
	return 2;
}
