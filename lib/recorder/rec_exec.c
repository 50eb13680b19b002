/*
 * rec_exec.c - the ways a process ends its image without running
 * destructors: _exit, _Exit and every exec variant.  Each writes what is
 * buffered first (rec_flush_all).  An exec also hands the new image the
 * identity of the trace this process writes (rec_exec_token), so that the
 * new image continues that file and never adopts one somebody else
 * created under the same name (rec_trace.c, open_trace).
 *
 * glibc's own variants call execve internally, not through the PLT, so
 * each entry point a program can call is wrapped here: execve, execv,
 * execvp, execvpe, execl, execle, execlp, fexecve, execveat.  (system,
 * popen and posix_spawn exec in a new process, which starts its own trace.)
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/recorder/rec.h"
#include "lib/recorder/rec_mmap.h"

#define EXPORT __attribute__((visibility("default")))

extern char **environ;

static void (*real__exit)(int) __attribute__((noreturn));
static int (*real_execve)(const char *, char *const[], char *const[]);
static int (*real_execvpe)(const char *, char *const[], char *const[]);
static int (*real_fexecve)(int, char *const[], char *const[]);
static int (*real_execveat)(int, const char *, char *const[], char *const[], int);

#define REAL(name) (real_##name ? real_##name : (*(void **)&real_##name = dlsym(RTLD_NEXT, #name), real_##name))

EXPORT void _exit(int status)
{
	rec_flush_all();
	rec_scan_exit();
	REAL(_exit)(status);
}

EXPORT void _Exit(int status)
{
	_exit(status);
}

/* The environment the new image gets: env with the trace's token in place
 * of any older one.  Room for the copy is at out (cap pointers) or, for a
 * larger environment, mapped (never unmapped: the exec replaces the image,
 * and a failed exec is rare).  env itself when there is no token. */
static char *const *with_token(char *const *env, char **out, size_t cap)
{
	const char *token = rec_exec_token();
	if (!token)
		return env;
	size_t n = 0;
	while (env && env[n])
		n++;
	if (n + 2 > cap) {
		out = rec_mmap((n + 2) * sizeof(char *));
		if (!out)
			return env;
	}
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (strncmp(env[i], REC_TOKEN_VAR "=", sizeof(REC_TOKEN_VAR)))
			out[k++] = env[i];
	out[k++] = (char *)token;
	out[k] = NULL;
	return out;
}

#define ENV_ROOM 512

EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	char *room[ENV_ROOM];
	rec_flush_all();
	return REAL(execve)(path, argv, with_token(envp, room, ENV_ROOM));
}

EXPORT int execv(const char *path, char *const argv[])
{
	return execve(path, argv, environ);
}

EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	char *room[ENV_ROOM];
	rec_flush_all();
	return REAL(execvpe)(file, argv, with_token(envp, room, ENV_ROOM));
}

EXPORT int execvp(const char *file, char *const argv[])
{
	return execvpe(file, argv, environ);
}

EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	char *room[ENV_ROOM];
	rec_flush_all();
	return REAL(fexecve)(fd, argv, with_token(envp, room, ENV_ROOM));
}

EXPORT int execveat(int dirfd, const char *path, char *const argv[], char *const envp[], int flags)
{
	char *room[ENV_ROOM];
	rec_flush_all();
	return REAL(execveat)(dirfd, path, argv, with_token(envp, room, ENV_ROOM), flags);
}

/* The list forms: the arguments after arg0 up to the NULL, into an array
 * on the stack; execle's environment follows the NULL. */
#define ARGV_FROM_LIST(arg0, argv, envp_out)                                  \
	size_t argc_ = 1;                                                     \
	va_list ap_;                                                          \
	va_start(ap_, arg0);                                                  \
	while (va_arg(ap_, const char *))                                     \
		argc_++;                                                      \
	va_end(ap_);                                                          \
	const char *argv[argc_ + 1];                                          \
	argv[0] = arg0;                                                       \
	va_start(ap_, arg0);                                                  \
	for (size_t i_ = 1; i_ <= argc_; i_++)                                \
		argv[i_] = va_arg(ap_, const char *);                         \
	envp_out;                                                             \
	va_end(ap_)

EXPORT int execl(const char *path, const char *arg, ...)
{
	ARGV_FROM_LIST(arg, argv, (void)0);
	return execve(path, (char *const *)argv, environ);
}

EXPORT int execlp(const char *file, const char *arg, ...)
{
	ARGV_FROM_LIST(arg, argv, (void)0);
	return execvpe(file, (char *const *)argv, environ);
}

EXPORT int execle(const char *path, const char *arg, ...)
{
	char *const *envp;
	ARGV_FROM_LIST(arg, argv, envp = va_arg(ap_, char *const *));
	return execve(path, (char *const *)argv, envp);
}
