/* fault_vary - allocates from another line on every run but the first:
 * argv[1] is a file it appends a byte to, and its first allocation comes
 * from line A once the file is not empty, line B while it is.  So every
 * run after the reference one differs before its second allocation, which
 * `czprof faults` must call not reproducible. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	int fd = open(argv[1], O_RDWR | O_CREAT | O_APPEND, 0600);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) || write(fd, "x", 1) != 1)
		return 2;
	close(fd);
	char *a;
	if (st.st_size)
		a = malloc(8); /* SITE vary_a */
	else
		a = malloc(8); /* SITE vary_b */
	char *b = malloc(16); /* SITE vary_second */
	free(b);
	free(a);
	return 0;
}
