/*
 * test_prefault.c - the page helper (cli/prefault.c): it maps the pages
 * of a watched range up to PREFAULT_AHEAD past the fill level it is told,
 * no further, and leaves what is in them alone; reusing moves the huge
 * pages wholly behind the draining to where the filling goes, and only
 * those.
 */
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "cli/prefault.h"
#include "tests/unit.h"

#define MIB (1u << 20)
#define LEN (64 * MIB)

/* Whether the page at p is in memory. */
static int resident(const char *p)
{
	unsigned char v = 0;
	long page = sysconf(_SC_PAGESIZE);
	return mincore((void *)((uintptr_t)p & ~(uintptr_t)(page - 1)), 1, &v) == 0 && (v & 1);
}

/* Waits up to 5 s for the page at p to be mapped. */
static int comes_in(const char *p)
{
	for (int i = 0; i < 500; i++) {
		if (resident(p))
			return 1;
		struct timespec ts = { 0, 10000000 };
		nanosleep(&ts, NULL);
	}
	return 0;
}

TEST(maps_ahead_of_the_fill)
{
	char *base = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(base != MAP_FAILED);
	if (base == MAP_FAILED)
		return;
	base[0] = 'x'; /* the filling has begun */
	struct prefault *pf = prefault_start();
	CHECK(pf != NULL);
	int k = prefault_watch(pf, base, LEN);
	CHECK(k >= 0);
	prefault_used(pf, k, 1);
	CHECK(comes_in(base + PREFAULT_AHEAD - 1));
	/* the helper maps whole steps up to the lead, never past it */
	CHECK(!resident(base + PREFAULT_AHEAD + 2 * MIB));
	prefault_used(pf, k, 32 * MIB);
	CHECK(comes_in(base + 32 * MIB + PREFAULT_AHEAD - 1));
	CHECK(!resident(base + 32 * MIB + PREFAULT_AHEAD + 2 * MIB));
	/* told of the end, it maps up to the end and stops there */
	prefault_used(pf, k, LEN - MIB);
	CHECK(comes_in(base + LEN - 1));
	prefault_stop(pf);
	CHECK(base[0] == 'x');
	CHECK(base[LEN / 2] == 0);
	munmap(base, LEN);
}

TEST(slots_and_no_helper)
{
	static char area[PREFAULT_REGIONS + 1][1 << 17]; /* a whole page or more, whatever the page size */
	struct prefault *pf = prefault_start();
	CHECK(pf != NULL);
	for (int i = 0; i < PREFAULT_REGIONS; i++)
		CHECK(prefault_watch(pf, area[i], sizeof(area[i])) == i);
	CHECK(prefault_watch(pf, area[PREFAULT_REGIONS], sizeof(area[0])) == -1); /* full */
	prefault_stop(pf);
	pf = prefault_start();
	CHECK(prefault_watch(pf, NULL, sizeof(area[0])) == -1);
	CHECK(prefault_watch(pf, area[0] + 1, 100) == -1); /* not one whole page */
	prefault_stop(pf);
	/* without a helper everything is a no-op */
	CHECK(prefault_watch(NULL, area[0], sizeof(area[0])) == -1);
	prefault_used(NULL, 0, 1);
	prefault_used(NULL, -1, 1);
	prefault_stop(NULL);
}

/* A range of n huge pages, aligned to them. */
static unsigned char *huge_aligned(size_t n)
{
	size_t len = (n + 1) * PREFAULT_HUGE;
	unsigned char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	return (unsigned char *)(((uintptr_t)p + PREFAULT_HUGE - 1) & ~(uintptr_t)(PREFAULT_HUGE - 1));
}

static int mapped(const unsigned char *p)
{
	unsigned char v;
	return mincore((void *)p, 1, &v) == 0;
}

TEST(reuse_moves_drained_pages)
{
	unsigned char *a = huge_aligned(8);
	CHECK(a != NULL);
	if (!a)
		return;
	size_t H = PREFAULT_HUGE;
	struct prefault_reuse u;
	/* two huge pages written, their first bytes telling which */
	a[0] = 'A';
	a[H] = 'B';
	a[2 * H - 1] = 'b';
	prefault_reuse_init(&u, a, 8 * H, 2 * H, NULL, NULL);
	CHECK(!prefault_reuse_due(&u, 2 * H));
	CHECK(prefault_reuse_due(&u, 2 * H + 1));
	/* nothing drained: the next page is left to fault */
	prefault_reuse(&u, 2 * H + 1, H - 1);
	CHECK_EQ_U(u.back, 3 * H);
	CHECK_EQ_U(u.moved, 0);
	CHECK(a[2 * H] == 0);
	a[2 * H] = 'C';
	/* the first page drained: it becomes the fourth, stale bytes and all */
	prefault_reuse(&u, 3 * H + 1, H + 10);
	CHECK_EQ_U(u.moved, H);
	CHECK(a[3 * H] == 'A');
	/* its place is held: a mapping made now does not land in the range
	 * (freeing the range would unmap it) */
	CHECK(mapped(a) && !resident((const char *)a));
	void *m = mmap(a, H, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(m != MAP_FAILED && (m < (void *)a || m >= (void *)(a + 8 * H)));
	if (m != MAP_FAILED)
		munmap(m, H);
	CHECK(a[H] == 'B'); /* the others stay where they were */
	CHECK(a[2 * H] == 'C');
	/* two pages at once, only one of them drained */
	prefault_reuse(&u, 5 * H + 1, 2 * H);
	CHECK_EQ_U(u.back, 6 * H);
	CHECK_EQ_U(u.moved, 2 * H);
	CHECK(a[4 * H] == 'B' && a[5 * H - 1] == 'b');
	CHECK(a[5 * H] == 0);
	/* never past the range */
	prefault_reuse(&u, 100 * H, 8 * H);
	CHECK_EQ_U(u.back, 8 * H);
	munmap(a, 8 * H);
}

TEST(reuse_takes_over_from_the_helper)
{
	unsigned char *a = huge_aligned(16);
	CHECK(a != NULL);
	if (!a)
		return;
	size_t H = PREFAULT_HUGE;
	struct prefault *pf = prefault_start();
	int k = prefault_watch(pf, a, 16 * H);
	CHECK(k >= 0);
	a[0] = 'A';
	prefault_used(pf, k, 1);
	CHECK(comes_in((const char *)a + PREFAULT_AHEAD - 1));
	struct prefault_reuse u;
	prefault_reuse_init(&u, a, 16 * H, 1, pf, &k);
	/* the first move releases the helper; the pages it mapped are kept */
	prefault_reuse(&u, H + 1, H);
	CHECK(k == -1);
	CHECK(u.back >= PREFAULT_AHEAD);
	CHECK_EQ_U(u.moved, 0);
	prefault_reuse(&u, u.back + 1, H);
	CHECK_EQ_U(u.moved, H);
	CHECK(a[u.back - H] == 'A');
	prefault_stop(pf);
	munmap(a + H, 15 * H);
}

int main(void)
{
	RUN(maps_ahead_of_the_fill);
	RUN(slots_and_no_helper);
	RUN(reuse_moves_drained_pages);
	RUN(reuse_takes_over_from_the_helper);
	return unit_done();
}
