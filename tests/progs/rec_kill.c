/* rec_kill - allocates blocks of 64 B in a loop, never freeing, writing
 * the count it made so far to the file in argv[1] (rewritten every 1000
 * allocations), until it is killed. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0600);
	char line[32];
	struct timespec pause = { 0, 1000000 };
	/* a safety net: a test that fails to kill it must not leave it
	 * running (and allocating) for ever */
	alarm(30);
	for (unsigned long n = 1;; n++) {
		((volatile char *)malloc(64))[0] = 1;
		if (n % 1000 == 0) {
			int len = snprintf(line, sizeof(line), "%lu\n", n);
			pwrite(fd, line, (size_t)len, 0);
			nanosleep(&pause, NULL);
		}
	}
}
