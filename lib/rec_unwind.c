/*
 * rec_unwind.c - stack capture.  The only file of the recorder that
 * includes libunwind.h.  unw_backtrace walks with libunwind's fast trace
 * cache; an unw_step loop would cost two sigprocmask calls per frame.
 */
#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "lib/rec.h"

int rec_backtrace(void **ips, int max)
{
	int n = unw_backtrace(ips, max);
	return n < 0 ? 0 : n;
}
