/* rec_shapes - allocations through stack shapes that could fool a recorder
 * which remembers stacks instead of unwinding them every time: frames whose
 * size varies from call to call (alloca, variable-length arrays, locals
 * aligned beyond the stack's alignment), recursion to varying depths, the
 * same leaf reached from different callers, allocations in a signal
 * handler, a function pointer called from one call site reaching the same
 * varying frame directly or through one more function (a frame that grows
 * by as much as the extra function's frame leaves every other return
 * address where it was).  The calls alternate so that stale return addresses of one path
 * are left on the stack where the other path's frames lie.
 *
 * Every block's size names the path that made it:
 *   1001 via_big -> dyn_alloca     1002 via_small -> dyn_alloca
 *   1003 via_big -> dyn_vla        1004 via_small -> dyn_vla
 *   1005 dispatch -> dyn_alloca    1006 dispatch -> hop -> dyn_alloca
 *   2000+d  d+1 frames of aligned_down (a 64-byte aligned local at the bottom)
 *   3000+d  d+1 frames of down
 *   4001 sig_a -> handler          4002 sig_b -> handler
 * Built with -O2, without frame pointers and without sibling calls (see
 * tests/module.mk) so that most frames have a fixed size known only from
 * the unwind tables.  Prints nothing; every block is freed. */
#include <alloca.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#if defined(__clang__)
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE __attribute__((noinline, noclone)) /* no constant-propagated copies */
#endif

static void *volatile sink;
static volatile size_t sig_tag;

/* makes the compiler keep p's memory, and the frame holding it */
static inline void keep(void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

NOINLINE static void leaf(size_t size)
{
	void *p = malloc(size);
	sink = p;
	free(p);
}

/* left uninitialised on purpose: whatever the last call left there stays */
NOINLINE static void dyn_alloca(size_t n, size_t tag)
{
	char *b = alloca(n);
	keep(b);
	leaf(tag);
	keep(b);
}

NOINLINE static void dyn_vla(size_t n, size_t tag)
{
	char b[n];
	keep(b);
	leaf(tag);
	keep(b);
}

NOINLINE static void via_big(size_t n)
{
	char pad[96];
	pad[0] = 1;
	dyn_alloca(n, 1001);
	dyn_vla(n, 1003);
	keep(pad);
}

NOINLINE static void via_small(size_t n)
{
	char pad[16];
	pad[0] = 1;
	dyn_alloca(n, 1002);
	dyn_vla(n, 1004);
	keep(pad);
}

NOINLINE static void hop(size_t n, size_t tag)
{
	char pad[32];
	pad[0] = 1;
	dyn_alloca(n, tag);
	keep(pad);
}

NOINLINE static void dispatch(void (*fn)(size_t, size_t), size_t n, size_t tag)
{
	fn(n, tag);
	keep(&n);
}

static const struct {
	void (*fn)(size_t, size_t);
	size_t tag;
} routes[] = { { dyn_alloca, 1005 }, { hop, 1006 } };
static volatile int route_count = 2; /* the loop stays a loop */

NOINLINE static void aligned_down(int d, size_t tag)
{
	if (d > 0) {
		aligned_down(d - 1, tag);
		keep(&tag);
		return;
	}
	_Alignas(64) char b[64];
	b[0] = 1;
	leaf(tag);
	keep(b);
}

NOINLINE static void down(int d, size_t tag)
{
	if (d > 0)
		down(d - 1, tag);
	else
		leaf(tag);
	keep(&tag);
}

static void handler(int sig)
{
	(void)sig;
	leaf(sig_tag);
}

NOINLINE static void sig_a(void)
{
	sig_tag = 4001;
	raise(SIGUSR1);
	keep((void *)&sig_tag);
}

NOINLINE static void sig_b(void)
{
	char pad[48];
	pad[0] = 1;
	sig_tag = 4002;
	raise(SIGUSR1);
	keep(pad);
}

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sigaction(SIGUSR1, &sa, NULL);
	for (int round = 0; round < 20; round++) {
		for (size_t n = 0; n <= 256; n += 8) {
			via_big(n);
			via_small(n);
			via_small(256 - n);
		}
		for (int d = 0; d < 16; d++) {
			down(d, 3000 + (size_t)d);
			aligned_down(d, 2000 + (size_t)d);
			down(15 - d, 3000 + (size_t)(15 - d));
			aligned_down(15 - d, 2000 + (size_t)(15 - d));
		}
		/* one call site of dispatch for both routes; the direct one
		 * first and largest first: a smaller frame lies in memory the
		 * larger one never wrote, the recorder's own leftovers stay
		 * below */
		for (int r = 0; r < route_count; r++)
			for (size_t i = 0; i <= 512; i += 16)
				dispatch(routes[r].fn, r ? i : 512 - i, routes[r].tag);
		sig_a();
		sig_b();
	}
	return 0;
}
