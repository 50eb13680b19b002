/* rec_exec - every exec variant hands the trace on: rec_exec VARIANT [N]
 * makes 3 allocations (of 100 + N bytes, leaked), then execs itself with
 * N + 1 through VARIANT while N < 2; the last image (N = 2) makes one of
 * 7 bytes and exits.  So a whole chain leaves 2 x 3 + 1 = 7 allocations
 * (3 of 100 bytes, 3 of 101, 1 of 7) and 2 exec markers in one trace.
 * Exit status 4: the last image saw the variable that carries the trace
 * across exec (the recorder removes it).
 * VARIANT: execl execle execlp execv execve execvp execvpe fexecve
 * execveat.  No stdio: its buffers would add allocations. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	int n = argc > 2 ? atoi(argv[2]) : 0;
	if (n >= 2) {
		volatile char *p = malloc(7);
		p[0] = 1;
		return getenv("CZPROF_TRACE") ? 4 : 0; /* the recorder's own variable is gone */
	}
	for (int i = 0; i < 3; i++) {
		volatile char *p = malloc(100 + (size_t)n);
		p[0] = 1;
	}
	char next[16] = { (char)('1' + n), 0 };
	const char *v = argv[1], *self = "/proc/self/exe";
	char *args[] = { argv[0], argv[1], next, NULL };
	if (!strcmp(v, "execl"))
		execl(self, argv[0], v, next, (char *)NULL);
	else if (!strcmp(v, "execle"))
		execle(self, argv[0], v, next, (char *)NULL, environ);
	else if (!strcmp(v, "execlp"))
		execlp(argv[0], argv[0], v, next, (char *)NULL); /* argv[0] found on PATH */
	else if (!strcmp(v, "execv"))
		execv(self, args);
	else if (!strcmp(v, "execve"))
		execve(self, args, environ);
	else if (!strcmp(v, "execvp"))
		execvp(argv[0], args);
	else if (!strcmp(v, "execvpe"))
		execvpe(argv[0], args, environ);
	else if (!strcmp(v, "fexecve")) {
		int fd = open(self, O_RDONLY | O_CLOEXEC);
		fexecve(fd, args, environ);
	} else if (!strcmp(v, "execveat"))
		execveat(AT_FDCWD, self, args, environ, 0);
	return 3; /* the exec failed */
}
