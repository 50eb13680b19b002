/*
 * records.c - records become events (engine.h): a trace's allocation,
 * free, realloc, allocator-library and exec records turn into the
 * engine's 32-byte events (a realloc into its free part and its
 * allocation part), with the thread and the stack as indexes of the
 * engine's tables, and go to the merge, each thread's heap events and its
 * allocator records in sequences of their own.  Thread, process and
 * image records and what heap errors need are taken here too.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/analysis/engine.h"

/* ---- tables of threads and stacks ---- */

/* Threads by tid through a hash map: a crafted trace naming a new thread
 * in every tiny chunk must not make this quadratic.  Out of memory or of
 * thread numbers, the events count under the first thread; -1 when there
 * is none yet (out of memory). */
static long thread_index(struct an_engine *en, uint64_t tid, uint64_t time)
{
	if (en->n_threads && en->threads[en->last_thread].tid == tid)
		return en->last_thread;
	long i = idmap_get(&en->thread_ids, tid);
	if (i >= 0)
		return en->last_thread = (uint32_t)i;
	if (en->n_threads >= LOAD_MAX_THREADS ||
	    array_reserve((void **)&en->threads, &en->cap_threads, en->n_threads, sizeof(*en->threads)) ||
	    idmap_put(&en->thread_ids, tid, (uint32_t)en->n_threads))
		return en->n_threads ? 0 : -1;
	en->threads[en->n_threads] = (struct an_thread){ .tid = tid, .start = time, .end = time };
	return en->last_thread = (uint32_t)en->n_threads++;
}

/* The stack index of stack node id (0 for 0), or -1 when out of memory. */
static long stack_index(struct an_engine *en, uint64_t id)
{
	if (id == en->last_stack_id)
		return en->last_stack;
	long i = id ? idmap_get(&en->stack_ids, id) : 0;
	if (i < 0) {
		size_t cap = en->cap_stacks;
		if (en->n_stacks >= UINT32_MAX ||
		    array_grow((void **)&en->stacks, &en->cap_stacks, en->n_stacks, sizeof(*en->stacks)))
			return -1;
		if (cap != en->cap_stacks) {
			struct an_stack_total *t = realloc(en->totals, en->cap_stacks * sizeof(*t));
			if (!t)
				return -1;
			memset(t + cap, 0, (en->cap_stacks - cap) * sizeof(*t));
			en->totals = t;
		}
		if (idmap_put(&en->stack_ids, id, (uint32_t)en->n_stacks))
			return -1;
		i = (long)en->n_stacks;
		en->stacks[en->n_stacks++] = id;
	}
	en->last_stack_id = id;
	en->last_stack = (uint32_t)i;
	return i;
}

/* ---- records to events ---- */

static int push(struct an_engine *en, const struct load_ev *e)
{
	en->events += e->kind != EV_CZ;
	if (e->kind != EV_EXEC && e->time > en->threads[e->tid].latest)
		en->threads[e->tid].latest = e->time;
	/* sequences: the exec markers, then per thread its heap events and
	 * its allocator records */
	size_t k = e->kind == EV_EXEC ? 0 : 2 * (size_t)e->tid + 1 + (e->kind == EV_CZ);
	int rc = merge_push(&en->merge, k, e, en->chunks);
	if (rc == MERGE_LATE && en->o.live) {
		en->late++;
		return an_engine_pair_now(en, e);
	}
	return rc == MERGE_LATE ? AN_LATE : rc;
}

int an_engine_record(struct an_engine *en, const struct czt_record *r, int image_flags)
{
	uint64_t img = en->image << AN_IMAGE_SHIFT;
	if (r->type < CZT_REC_STACK_NODE && r->time > en->end_time)
		en->end_time = r->time;
	struct load_ev e = { 0 };
	switch (r->type) {
	case CZT_REC_MALLOC: case CZT_REC_CALLOC: case CZT_REC_POSIX_MEMALIGN:
	case CZT_REC_ALIGNED_ALLOC: case CZT_REC_MEMALIGN: case CZT_REC_VALLOC:
	case CZT_REC_PVALLOC: {
		if (!r->addr) {
			en->failed++;
			return 0;
		}
		long st = stack_index(en, r->stack ? r->stack + img : 0), t = thread_index(en, r->tid, r->time);
		if (st < 0 || t < 0)
			return -1;
		unsigned fam = r->op & CZT_OP_FAMILY;
		e = (struct load_ev){ .time = r->time, .addr = r->addr, .size = r->size, .stack = (uint32_t)st,
				      .fn = fam == CZT_OP_NEW ? LOAD_FN_NEW :
					    fam == CZT_OP_NEW_ARRAY ? LOAD_FN_NEW_ARRAY : r->type & 31,
				      .tid = (uint32_t)t, .kind = EV_ALLOC };
		return push(en, &e);
	}
	case CZT_REC_FREE: {
		/* a free's stack: recorded with CZPROF_FREE_STACKS */
		long st = stack_index(en, r->stack ? r->stack + img : 0), t = thread_index(en, r->tid, r->time);
		if (st < 0 || t < 0)
			return -1;
		unsigned fam = r->op & CZT_OP_FAMILY;
		e = (struct load_ev){ .time = r->time, .addr = r->addr, .kind = EV_FREE, .stack = (uint32_t)st,
				      .fn = (fam == 3 ? 0 : fam) << 1, .tid = (uint32_t)t };
		en->frees++;
		return push(en, &e);
	}
	case CZT_REC_REALLOC: case CZT_REC_REALLOCARRAY: {
		long t = thread_index(en, r->tid, r->time);
		if (t < 0)
			return -1;
		uint32_t tid = (uint32_t)t;
		if (r->addr == 0 && r->size > 0) { /* failed: the old block stays */
			en->failed++;
			return 0;
		}
		long st = stack_index(en, r->stack ? r->stack + img : 0);
		if (st < 0)
			return -1;
		if (r->old_addr) { /* its stack is the realloc's, for heap errors */
			e = (struct load_ev){ .time = r->time_free, .addr = r->old_addr, .kind = EV_FREE,
					      .stack = (uint32_t)st, .tid = tid, .realloc = 1 };
			en->frees++;
			int rc = push(en, &e);
			if (rc)
				return rc;
		}
		if (!r->addr)
			return 0; /* realloc(p, 0): a free */
		e = (struct load_ev){ .time = r->time, .addr = r->addr, .size = r->size, .stack = (uint32_t)st,
				      .fn = r->type & 31, .tid = tid, .kind = EV_ALLOC, .realloc = r->old_addr != 0 };
		return push(en, &e);
	}
	case CZT_REC_THREAD_START: case CZT_REC_THREAD_END: {
		long t = thread_index(en, r->tid, r->time);
		if (t < 0)
			return -1;
		if (!en->threads[t].latest)
			en->threads[t].latest = r->time;
		if (r->type == CZT_REC_THREAD_END) {
			en->threads[t].end = r->time;
			en->threads[t].ended = 1;
		} else { /* a tid the system gave again starts over */
			en->threads[t].ended = 0;
			if (r->name)
				en->threads[t].name = r->name + img;
		}
		return 0;
	}
	case CZT_REC_CZ_ALLOC: case CZT_REC_CZ_FREE: case CZT_REC_CZ_RESIZE: case CZT_REC_CZ_NEW:
	case CZT_REC_CZ_RESET: case CZT_REC_CZ_DESTROY: case CZT_REC_CZ_CAPACITY: {
		long t = thread_index(en, r->tid, r->time);
		uint32_t slot;
		en->cz_records++;
		if (t < 0 || an_arenas_stage(&en->cz, r, img, &slot))
			return -1;
		e = (struct load_ev){ .time = r->time, .addr = slot, .kind = EV_CZ, .tid = (uint32_t)t,
				      .fn = (r->type - CZT_REC_CZ_ALLOC) & 31 };
		return push(en, &e);
	}
	case CZT_REC_PROCESS_END:
		if (r->how == CZT_END_EXEC) {
			/* every block of the old image is gone */
			e = (struct load_ev){ .time = r->time, .kind = EV_EXEC };
			en->image++;
			return push(en, &e);
		}
		if (r->time > en->end_time)
			en->end_time = r->time;
		return 0;
	case CZT_REC_IMAGE:
		/* 3.4: also says whether recording saw the image whole (a 3.3
		 * record, an exec's, says nothing of it) */
		return image_flags ? load_errors_image(&en->errs, en->image, (r->value & CZT_IMAGE_WHOLE) != 0) : 0;
	case CZT_REC_EARLY_BLOCK:
		return load_errors_early(&en->errs, en->image, r->addr);
	default:
		return 0;
	}
}

/* ---- chunks kept to be read later ---- */

struct an_kept {
	struct an_kept *next;
	struct czt_held *h;
	uint64_t first;   /* no event of it is older */
	uint64_t end_at;  /* where it ends in the file */
	uint64_t image;   /* the image it was read in */
	uint32_t chunk;   /* its number in the file */
	int image_flags;
};

int an_engine_keep(struct an_engine *en, struct czt_reader *r, const struct czt_chunk *c,
		   int image_flags, uint64_t end_at)
{
	long t = thread_index(en, c->tid, c->base_time);
	struct an_kept *k = malloc(sizeof(*k));
	struct czt_held *h;
	if (t < 0 || !k ||
	    array_reserve((void **)&en->kept_threads, &en->cap_kept_threads, en->n_kept_threads,
			  sizeof(*en->kept_threads)) ||
	    czt_reader_hold(r, &h)) {
		free(k);
		return -1;
	}
	/* its first event is its earliest: a thread's events come in
	 * order (FORMAT.md), a realloc's free part before its allocation;
	 * the chunk's base time is the thread's previous event, which may
	 * be long before (an idle thread) */
	struct czt_record rec;
	uint64_t first = c->base_time;
	if (czt_held_peek(h, &rec) == CZT_OK && rec.type < CZT_REC_STACK_NODE)
		first = rec.time_free < rec.time ? rec.time_free : rec.time;
	*k = (struct an_kept){ .h = h, .first = first, .end_at = end_at, .image = en->image,
			       .chunk = en->chunks, .image_flags = image_flags };
	struct an_thread *th = &en->threads[t];
	if (th->kept_last) {
		th->kept_last->next = k;
	} else {
		th->kept = k;
		en->kept_threads[en->n_kept_threads++] = (uint32_t)t;
	}
	th->kept_last = k;
	en->kept_bytes += czt_held_bytes(k->h);
	/* how late it came counts now, as its events' would have */
	merge_note(&en->merge, first);
	if (first > th->latest)
		th->latest = first;
	return 0;
}

static void free_list(struct an_engine *en, struct an_kept *k)
{
	for (struct an_kept *next; k; k = next) {
		next = k->next;
		en->kept_bytes -= czt_held_bytes(k->h);
		czt_held_free(k->h);
		free(k);
	}
}

/* Takes the threads whose lists are empty off en->kept_threads. */
static void unlist_empty(struct an_engine *en)
{
	for (size_t i = 0; i < en->n_kept_threads;)
		if (en->threads[en->kept_threads[i]].kept)
			i++;
		else
			en->kept_threads[i] = en->kept_threads[--en->n_kept_threads];
}

/* Lets every kept chunk after chunk number chunk go unread. */
static void drop_after(struct an_engine *en, uint32_t chunk)
{
	for (size_t i = 0; i < en->n_kept_threads; i++) {
		struct an_thread *th = &en->threads[en->kept_threads[i]];
		struct an_kept **at = &th->kept, *last = NULL;
		while (*at && (*at)->chunk <= chunk) {
			last = *at;
			at = &last->next;
		}
		free_list(en, *at);
		*at = NULL;
		th->kept_last = last;
	}
	unlist_empty(en);
}

/* Feeds k's records to the engine as if they were read now, in the image
 * and at the place in the file where k was. */
static int read_one(struct an_engine *en, struct an_kept *k)
{
	uint64_t image = en->image;
	uint32_t chunks = en->chunks;
	en->image = k->image;
	en->chunks = k->chunk;
	en->merge.quiet = 1; /* counted by an_engine_keep */
	struct czt_record rec;
	int rc, ret = 0;
	while (!ret && (rc = czt_held_next_record(k->h, &rec)) == CZT_OK)
		ret = an_engine_record(en, &rec, k->image_flags);
	en->merge.quiet = 0;
	en->image = image + (en->image - k->image); /* an exec inside: a crafted trace */
	en->chunks = chunks;
	if (!ret && rc != CZT_EOF && !en->kept_rc) {
		/* what it held up to the damage counts, as when a chunk is
		 * read at once; so do the chunks after it that were read
		 * already, but not those still kept */
		en->kept_rc = rc;
		en->kept_end_at = k->end_at;
		drop_after(en, k->chunk);
	}
	return ret;
}

/* Reads thread t's oldest kept chunk and lets it go. */
static int read_first(struct an_engine *en, size_t t)
{
	struct an_kept *k = en->threads[t].kept;
	en->threads[t].kept = k->next;
	if (!k->next) {
		en->threads[t].kept_last = NULL;
		unlist_empty(en);
	}
	k->next = NULL;
	int rc = read_one(en, k);
	free_list(en, k);
	return rc;
}

/* The thread whose first kept chunk starts first, SIZE_MAX: none. */
static size_t earliest(const struct an_engine *en)
{
	size_t first = SIZE_MAX;
	for (size_t i = 0; i < en->n_kept_threads; i++) {
		size_t t = en->kept_threads[i];
		if (first == SIZE_MAX || en->threads[t].kept->first < en->threads[first].kept->first)
			first = t;
	}
	return first;
}

uint64_t an_kept_first(const struct an_engine *en)
{
	size_t t = earliest(en);
	return t == SIZE_MAX ? UINT64_MAX : en->threads[t].kept->first;
}

int an_kept_read_earliest(struct an_engine *en, uint64_t *rest)
{
	size_t t = earliest(en);
	int rc = t == SIZE_MAX ? 0 : read_first(en, t);
	*rest = an_kept_first(en);
	return rc;
}

void an_kept_release(struct an_engine *en)
{
	for (size_t i = 0; i < en->n_kept_threads; i++)
		free_list(en, en->threads[en->kept_threads[i]].kept);
	free(en->kept_threads);
}
