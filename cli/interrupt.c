/* interrupt.c - see interrupt.h. */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/interrupt.h"
#include "cli/progress.h"

static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
#define N_SIGS (sizeof(sigs) / sizeof(sigs[0]))
static const char *const suffixes[] = { "", "-journal", "-wal", "-shm" };
#define N_FILES (sizeof(suffixes) / sizeof(suffixes[0]))

/* the names are made when arming: a handler may call unlink, not snprintf */
static char files[N_FILES][PATH_MAX + 16];
static struct sigaction before[N_SIGS];
static volatile sig_atomic_t armed;

static void on_signal(int sig)
{
	if (armed)
		for (size_t i = 0; i < N_FILES; i++)
			unlink(files[i]);
	progress_erase_now();
	/* die of the signal itself, as if never caught: the parent's shell
	 * sees 128 + sig */
	signal(sig, SIG_DFL);
	raise(sig);
}

int interrupt_arm(const char *path)
{
	if (strlen(path) >= PATH_MAX)
		return -1;
	for (size_t i = 0; i < N_FILES; i++)
		snprintf(files[i], sizeof(files[i]), "%s%s", path, suffixes[i]);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < N_SIGS; i++)
		sigaddset(&sa.sa_mask, sigs[i]); /* one handler runs, not two */
	armed = 1;
	for (size_t i = 0; i < N_SIGS; i++) {
		sigaction(sigs[i], NULL, &before[i]);
		if (before[i].sa_handler != SIG_IGN)
			sigaction(sigs[i], &sa, NULL);
	}
	return 0;
}

void interrupt_disarm(void)
{
	for (size_t i = 0; i < N_SIGS; i++)
		if (before[i].sa_handler != SIG_IGN)
			sigaction(sigs[i], &before[i], NULL);
	armed = 0;
}
