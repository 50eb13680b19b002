/* rec_asfill - allocates 1 MiB blocks until malloc fails and prints how
 * many it got: under `ulimit -v`, what the recorder leaves of the
 * program's address space.  No stdio. */
#include <stdlib.h>
#include <unistd.h>

int main(void)
{
	long n = 0;
	while (malloc(1 << 20))
		n++;
	char b[24];
	int k = sizeof(b);
	b[--k] = '\n';
	do
		b[--k] = (char)('0' + n % 10);
	while (n /= 10);
	return write(1, b + k, sizeof(b) - (size_t)k) < 0;
}
