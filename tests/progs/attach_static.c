/* attach_static: a statically linked program, which `czprof record -p`
 * must refuse (no libc.so to load the recorder through).  Sleeps for the
 * seconds given (default 30). */
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int secs = argc > 1 ? atoi(argv[1]) : 30;
	for (int i = 0; i < secs * 10; i++)
		usleep(100000);
	return 0;
}
