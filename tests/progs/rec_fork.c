/* rec_fork - the parent allocates 3 blocks of 100 B (leaked) and forks;
 * the child allocates 5 blocks of 200 B (leaked) and exits with 0; the
 * parent waits.  No stdio. */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	for (int i = 0; i < 3; i++)
		((volatile char *)malloc(100))[0] = 1;
	pid_t pid = fork();
	if (pid == 0) {
		for (int i = 0; i < 5; i++)
			((volatile char *)malloc(200))[0] = 1;
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
