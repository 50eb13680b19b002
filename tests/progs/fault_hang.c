/* fault_hang - waits forever when its one allocation fails (a retry loop
 * gone wrong): `czprof faults --timeout` calls it hung. */
#include <stdlib.h>
#include <unistd.h>

int main(void)
{
	char *p = malloc(40); /* SITE hung */
	if (!p)
		for (;;)
			pause();
	free(p);
	return 0;
}
