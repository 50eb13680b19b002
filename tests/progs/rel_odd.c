/*
 * rel_odd - allocations where programs rarely look: in a constructor,
 * a destructor, an atexit handler and a signal handler; malloc_usable_size;
 * leaving through exit(), _exit() ("_exit" argument) or abort() ("abort").
 *   exit:  leaks ctor_alloc 11 B, handler_alloc 19 B, atexit_alloc 13 B
 *          (main's 23 B block is freed by the destructor)
 *   _exit, abort: leaks ctor_alloc 11 B, handler_alloc 19 B, main_alloc 23 B
 */
#include <malloc.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *from_main;

__attribute__((constructor)) static void ctor_alloc(void)
{
	if (!malloc(11))
		abort();
}

__attribute__((destructor)) static void dtor_free(void)
{
	free(from_main);
}

static void atexit_alloc(void)
{
	if (!malloc(13))
		abort();
}

static void handler_alloc(int sig)
{
	(void)sig;
	free(malloc(17)); /* not async-signal-safe, and programs do it anyway */
	if (!malloc(19))
		abort();
}

static void *main_alloc(void)
{
	return malloc(23);
}

int main(int argc, char **argv)
{
	atexit(atexit_alloc);
	signal(SIGUSR1, handler_alloc);
	raise(SIGUSR1);
	from_main = main_alloc();
	if (!from_main || malloc_usable_size(from_main) < 23)
		return 2;
	memset(from_main, 1, malloc_usable_size(from_main));
	if (argc > 1 && !strcmp(argv[1], "_exit"))
		_exit(0);
	if (argc > 1 && !strcmp(argv[1], "abort"))
		abort();
	return 0;
}
