/* rec_fds MODE FILE - a program that takes every descriptor above 2,
 * the trace's among them: MODE "close" closes them all (closefrom) and
 * then writes FILE, which gets the lowest number; MODE "dup2" puts
 * /dev/null in place of each (up to 4,096).  Either way it makes 100
 * allocations of 11 bytes before and 100 of 22 after, all leaked, and
 * pauses 300 ms twice so that the recorder writes while FILE is open.
 * FILE must end up holding exactly "program data\nmore data\n". */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void allocate(size_t size)
{
	for (int i = 0; i < 100; i++) {
		volatile char *p = malloc(size);
		p[0] = 1;
	}
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	allocate(11);
	if (!strcmp(argv[1], "close")) {
		closefrom(3);
	} else {
		int null = open("/dev/null", O_RDWR);
		long max = sysconf(_SC_OPEN_MAX);
		for (int fd = 3; fd < (max < 4096 ? max : 4096); fd++)
			if (fd != null)
				dup2(null, fd);
	}
	int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, "program data\n", 13) != 13)
		return 1;
	usleep(300000);
	allocate(22);
	usleep(300000);
	if (write(fd, "more data\n", 10) != 10)
		return 1;
	return close(fd);
}
