/*
 * hold_idle.c - one big block held while the program does nothing: 8 MiB
 * allocated at once, 300 ms of sleep with no allocation at all, then
 * freed, and a small block allocated and freed after.  Over the run the
 * heap holds the 8 MiB from its first moments to nearly its last: a chart
 * of live bytes is full all the way across, never zero in the idle part.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(void)
{
	char *big = malloc(8u << 20);
	if (!big)
		return 1;
	memset(big, 1, 4096);
	struct timespec ts = { 0, 300 * 1000000 };
	nanosleep(&ts, NULL);
	free(big);
	free(malloc(16));
	return 0;
}
