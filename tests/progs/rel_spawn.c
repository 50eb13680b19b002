/*
 * rel_spawn - starts other processes every way a program can: system(),
 * posix_spawn, vfork+exec, fork+exec, and fork without exec; its own
 * allocations are exactly known.
 *   parent: parent_leak leaks 3 x 100 B
 *   "child" (spawned/exec'd copies of itself): child_leak leaks 7 x 10 B
 *   fork without exec: the forked copy leaks 5 x 1000 B in fork_leak
 */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void child_leak(void)
{
	for (int i = 0; i < 7; i++)
		if (!malloc(10))
			abort();
}

static void parent_leak(void)
{
	for (int i = 0; i < 3; i++)
		if (!malloc(100))
			abort();
}

static void fork_leak(void)
{
	for (int i = 0; i < 5; i++)
		if (!malloc(1000))
			abort();
}

static int status_of(pid_t pid)
{
	int st = -1;
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "child")) {
		child_leak();
		return 0;
	}
	parent_leak();
	int rc = system("exit 3");
	if (!WIFEXITED(rc) || WEXITSTATUS(rc) != 3)
		return 10;

	char *child_args[] = { argv[0], "child", NULL };
	pid_t pid;
	if (posix_spawn(&pid, argv[0], NULL, NULL, child_args, environ) || status_of(pid))
		return 11;

	pid = vfork();
	if (pid == 0) {
		execv(argv[0], child_args);
		_exit(127);
	}
	if (status_of(pid))
		return 12;

	pid = fork();
	if (pid == 0) {
		execv(argv[0], child_args);
		_exit(127);
	}
	if (status_of(pid))
		return 13;

	pid = fork();
	if (pid == 0) { /* no exec: the same image goes on in the child */
		fork_leak();
		exit(0);
	}
	if (status_of(pid))
		return 14;
	return 0;
}
