/*
 * test_prefault.c - the page helper (cli/prefault.c): it maps the pages
 * of a watched range up to PREFAULT_AHEAD past the fill level it is told,
 * no further, and leaves what is in them alone.
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

int main(void)
{
	RUN(maps_ahead_of_the_fill);
	RUN(slots_and_no_helper);
	return unit_done();
}
