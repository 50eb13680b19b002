/*
 * rec_fail.c - fault injection for `czprof faults`: makes chosen
 * allocation calls fail as they would when memory runs out (NULL and errno
 * ENOMEM; libstdc++'s operator new then throws std::bad_alloc).
 *
 * Calls are counted from 1 in the order the recorder sees them, counting
 * only calls it records (never its own, nor those made before it started),
 * and only calls that make a block: every malloc, calloc, posix_memalign,
 * aligned_alloc, memalign, valloc and pvalloc, and realloc/reallocarray
 * unless they free (size 0 with a block).  So call k is the k-th row of the
 * reference run's `allocations` table (ids from 1) when the program does
 * the same thing twice.
 *
 *   CZPROF_FAIL_AT=k     fail call k only
 *   CZPROF_FAIL_FROM=k   fail call k and every one after it (sticky)
 *
 * A failed call is recorded like any failed call: an allocation record with
 * address 0 and its stack (FORMAT.md), so the trace names it.
 *
 *   CZPROF_FAIL_CRASH=path  on a fatal signal, the stack where it struck is
 *                        written there (raw return addresses, 8 bytes each,
 *                        innermost first), for `czprof faults` to name
 */
#include <fcntl.h>
#include <unistd.h>

#include "lib/recorder/rec.h"

int rec_fail_armed;
static uint64_t calls;

void rec_fail_setup(void)
{
	rec_fail_armed = rec_settings.fail_at || rec_settings.fail_from;
}

void rec_fail_crash(void)
{
	if (!rec_settings.fail_crash)
		return;
	void *ips[64];
	int n = rec_backtrace(ips, 64);
	int fd = open(rec_settings.fail_crash, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	if (n > 0 && write(fd, ips, (size_t)n * sizeof(ips[0])) < 0)
		n = 0; /* nothing more to do about it while crashing */
	close(fd);
}

int rec_fail_now(void)
{
	uint64_t k = __atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED);
	if (rec_settings.fail_from && k >= rec_settings.fail_from)
		return 1;
	if (k == rec_settings.fail_at) {
		if (!rec_settings.fail_from) /* nothing more to fail: back to one branch */
			__atomic_store_n(&rec_fail_armed, 0, __ATOMIC_RELAXED);
		return 1;
	}
	return 0;
}
