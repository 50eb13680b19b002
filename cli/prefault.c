/*
 * prefault.c - pages mapped ahead of growing arrays (prefault.h).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cli/prefault.h"

/* Pages are asked for a huge page at a time (the loader's arrays take
 * them), so that the filling thread can catch up with a step under way
 * only by a little. */
#define HUGE PREFAULT_HUGE

struct region {
	uintptr_t done, end; /* mapped up to done; the range ends at end */
	uintptr_t base;      /* 0: a free slot */
	size_t used;         /* the caller's fill level, in bytes from base */
};

struct prefault {
	pthread_t th;
	pthread_mutex_t lock;
	pthread_cond_t wake; /* the helper waits here for work */
	pthread_cond_t idle; /* prefault_release waits here for a step to end */
	struct region r[PREFAULT_REGIONS];
	int busy;            /* the region mapped outside the lock now, or -1 */
	int stop, waiting;
	uintptr_t page;
};

/* The region that most needs pages, with [*from, *to) to map; -1: none. */
static int pick(struct prefault *pf, uintptr_t *from, uintptr_t *to)
{
	int best = -1;
	size_t best_lead = SIZE_MAX;
	for (int k = 0; k < PREFAULT_REGIONS; k++) {
		struct region *r = &pf->r[k];
		if (!r->base)
			continue;
		/* madvise takes whole pages */
		uintptr_t want = (r->base + r->used + PREFAULT_AHEAD) & ~(pf->page - 1);
		if (want > r->end)
			want = r->end;
		uintptr_t at = r->base + r->used;
		size_t lead = r->done > at ? r->done - at : 0;
		if (r->done < want && lead < best_lead) {
			best = k;
			best_lead = lead;
			*from = r->done;
			uintptr_t step = (r->done + HUGE) & ~(uintptr_t)(HUGE - 1);
			*to = step < want ? step : want;
		}
	}
	return best;
}

static void *run(void *arg)
{
	struct prefault *pf = arg;
	pthread_mutex_lock(&pf->lock);
	while (!pf->stop) {
		uintptr_t from, to;
		int k = pick(pf, &from, &to);
		if (k < 0) {
			pf->waiting = 1;
			pthread_cond_wait(&pf->wake, &pf->lock);
			pf->waiting = 0;
			continue;
		}
		pf->r[k].done = to;
		pf->busy = k;
		pthread_mutex_unlock(&pf->lock);
		/* a kernel before 5.14 does not know the advice: then the
		 * region is left to fault as it fills, as without a helper */
		int failed = madvise((void *)from, to - from, MADV_POPULATE_WRITE) != 0;
		pthread_mutex_lock(&pf->lock);
		pf->busy = -1;
		pthread_cond_broadcast(&pf->idle);
		if (failed)
			pf->r[k].done = pf->r[k].end;
	}
	pthread_mutex_unlock(&pf->lock);
	return NULL;
}

struct prefault *prefault_start(void)
{
	struct prefault *pf = calloc(1, sizeof(*pf));
	if (!pf)
		return NULL;
	pf->page = (uintptr_t)sysconf(_SC_PAGESIZE);
	pf->busy = -1;
	pthread_mutex_init(&pf->lock, NULL);
	pthread_cond_init(&pf->wake, NULL);
	pthread_cond_init(&pf->idle, NULL);
	if (pthread_create(&pf->th, NULL, run, pf)) {
		pthread_mutex_destroy(&pf->lock);
		pthread_cond_destroy(&pf->wake);
		pthread_cond_destroy(&pf->idle);
		free(pf);
		return NULL;
	}
	return pf;
}

int prefault_watch(struct prefault *pf, void *base, size_t len)
{
	if (!pf)
		return -1;
	uintptr_t lo = ((uintptr_t)base + pf->page - 1) & ~(pf->page - 1);
	uintptr_t hi = ((uintptr_t)base + len) & ~(pf->page - 1);
	if (!base || hi <= lo)
		return -1;
	pthread_mutex_lock(&pf->lock);
	int k = 0;
	while (k < PREFAULT_REGIONS && pf->r[k].base)
		k++;
	if (k < PREFAULT_REGIONS)
		pf->r[k] = (struct region){ .done = lo, .end = hi, .base = (uintptr_t)base };
	pthread_mutex_unlock(&pf->lock);
	return k < PREFAULT_REGIONS ? k : -1;
}

size_t prefault_release(struct prefault *pf, int k)
{
	if (!pf || k < 0)
		return 0;
	pthread_mutex_lock(&pf->lock);
	while (pf->busy == k)
		pthread_cond_wait(&pf->idle, &pf->lock);
	struct region *r = &pf->r[k];
	size_t done = r->base ? r->done - r->base : 0;
	r->base = 0;
	pthread_mutex_unlock(&pf->lock);
	return done;
}

void prefault_used(struct prefault *pf, int k, size_t used)
{
	if (!pf || k < 0)
		return;
	pthread_mutex_lock(&pf->lock);
	pf->r[k].used = used; /* a released slot ignores it */
	if (pf->waiting)
		pthread_cond_signal(&pf->wake);
	pthread_mutex_unlock(&pf->lock);
}

void prefault_stop(struct prefault *pf)
{
	if (!pf)
		return;
	pthread_mutex_lock(&pf->lock);
	pf->stop = 1;
	pthread_cond_signal(&pf->wake);
	pthread_mutex_unlock(&pf->lock);
	pthread_join(pf->th, NULL);
	pthread_mutex_destroy(&pf->lock);
	pthread_cond_destroy(&pf->wake);
	pthread_cond_destroy(&pf->idle);
	free(pf);
}

void prefault_reuse_init(struct prefault_reuse *u, void *base, size_t len, size_t filled,
			 struct prefault *pf, int *pf_k)
{
	*u = (struct prefault_reuse){ .base = base, .len = len & ~(size_t)(HUGE - 1),
				      .back = (filled + HUGE - 1) & ~(size_t)(HUGE - 1),
				      .pf = pf && pf_k && *pf_k >= 0 ? pf : NULL, .pf_k = pf_k };
}

void prefault_reuse(struct prefault_reuse *u, size_t upto, size_t drained)
{
	size_t dead = drained & ~(size_t)(HUGE - 1);
	while (u->back < upto && u->back < u->len) {
		if (!u->off && u->front + HUGE <= dead) {
			if (u->pf) { /* from now on the pages come from the front */
				size_t done = prefault_release(u->pf, *u->pf_k);
				*u->pf_k = -1;
				u->pf = NULL;
				done = (done + HUGE - 1) & ~(size_t)(HUGE - 1);
				if (done > u->back) {
					u->back = done;
					continue;
				}
			}
			/* the page leaves a hole, which stays reserved: a
			 * mapping the process makes meanwhile (a big malloc)
			 * could land there and be unmapped with the range */
			if (mremap(u->base + u->front, HUGE, HUGE, MREMAP_MAYMOVE | MREMAP_FIXED,
				   u->base + u->back) == MAP_FAILED) {
				u->off = 1;
			} else {
				if (mmap(u->base + u->front, HUGE, PROT_NONE,
					 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0) == MAP_FAILED)
					u->off = 1;
				u->front += HUGE;
				u->moved += HUGE;
			}
		}
		u->back += HUGE;
	}
}
