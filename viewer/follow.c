/*
 * follow.c - see follow.h.  Pending runs sit in a binary min-heap keyed by
 * the time of their next event; ties go frees first, then file order, as
 * FORMAT.md orders events.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "viewer/follow.h"

/* how far ahead in a run follow_apply prefetches: about the events applied
 * while one cache miss is served */
#define PREFETCH_AHEAD 8

struct run {
	struct live_event *ev;
	size_t n, pos, cap;
	uint64_t seq; /* file order */
};

struct follower {
	char *path;
	struct czt_reader *reader;
	struct live_model *model;
	struct names *names;
	int state;
	char error[256];

	struct run **heap;
	size_t n_heap, cap_heap;
	struct run *spare; /* a finished run kept, so that its memory is reused
			    * warm rather than mapped fresh for every chunk */
	uint64_t seq, newest, pending, lost;
	struct czt_record rec; /* large: kept here rather than on the stack */
};

int follow_open(struct follower **out, const char *path, struct live_model *model,
		struct names *names)
{
	struct stat st;
	if (stat(path, &st))
		return -1;
	if (!S_ISREG(st.st_mode)) {
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		return -1;
	}
	struct follower *f = calloc(1, sizeof(*f));
	if (!f || !(f->path = strdup(path))) {
		free(f);
		errno = ENOMEM;
		return -1;
	}
	f->model = model;
	f->names = names;
	f->error[0] = 0;
	*out = f;
	return 0;
}

void follow_close(struct follower *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n_heap; i++) {
		free(f->heap[i]->ev);
		free(f->heap[i]);
	}
	free(f->heap);
	if (f->spare) {
		free(f->spare->ev);
		free(f->spare);
	}
	czt_reader_free(f->reader);
	free(f->path);
	free(f);
}

static int is_alloc(const struct live_event *e)
{
	return e->type != CZT_REC_FREE && e->type != CZT_REC_CZ_FREE;
}

static int run_before(const struct run *a, const struct run *b)
{
	const struct live_event *x = &a->ev[a->pos], *y = &b->ev[b->pos];
	if (x->time != y->time)
		return x->time < y->time;
	if (is_alloc(x) != is_alloc(y))
		return !is_alloc(x);
	return a->seq < b->seq;
}

static void sift_down(struct follower *f, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < f->n_heap && run_before(f->heap[l], f->heap[m]))
			m = l;
		if (r < f->n_heap && run_before(f->heap[r], f->heap[m]))
			m = r;
		if (m == i)
			return;
		struct run *t = f->heap[i];
		f->heap[i] = f->heap[m];
		f->heap[m] = t;
		i = m;
	}
}

static int push_run(struct follower *f, struct run *r)
{
	if (f->n_heap == f->cap_heap) {
		size_t cap = f->cap_heap ? f->cap_heap * 2 : 64;
		struct run **h = realloc(f->heap, cap * sizeof(*h));
		if (!h)
			return -1;
		f->heap = h;
		f->cap_heap = cap;
	}
	size_t i = f->n_heap++;
	f->heap[i] = r;
	while (i && run_before(f->heap[i], f->heap[(i - 1) / 2])) {
		struct run *t = f->heap[i];
		f->heap[i] = f->heap[(i - 1) / 2];
		f->heap[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
	return 0;
}

/* A run that is done: kept as the spare, or freed. */
static void retire_run(struct follower *f, struct run *r)
{
	if (!f->spare) {
		f->spare = r;
		return;
	}
	free(r->ev);
	free(r);
}

void follow_apply(struct follower *f, uint64_t limit)
{
	while (f->n_heap) {
		struct run *r = f->heap[0];
		const struct live_event *e = &r->ev[r->pos];
		if (e->time > limit)
			return;
		if (r->pos + PREFETCH_AHEAD < r->n)
			live_prefetch(f->model, &r->ev[r->pos + PREFETCH_AHEAD]);
		live_apply(f->model, e);
		f->pending--;
		if (++r->pos == r->n) {
			f->heap[0] = f->heap[--f->n_heap];
			retire_run(f, r);
		}
		if (f->n_heap)
			sift_down(f, 0);
	}
}

static void damaged(struct follower *f, int rc)
{
	f->state = FOLLOW_DAMAGED;
	snprintf(f->error, sizeof(f->error), "%s at byte %llu", czt_errstr(rc),
		 (unsigned long long)(f->reader ? czt_reader_offset(f->reader) : 0));
}

/* The event fields of a decoded record; 0 when it is not an event. */
static int to_event(const struct czt_record *r, struct live_event *e)
{
	memset(e, 0, sizeof(*e));
	e->time = r->time;
	e->tid = (uint32_t)r->tid;
	e->type = r->type;
	if (r->type == CZT_REC_PROCESS_END) {
		e->size = r->how;
		e->addr = r->value;
		return 1;
	}
	if (!czt_rec_is_event(r->type))
		return 0;
	e->addr = r->addr;
	e->old_addr = r->old_addr;
	e->size = r->size;
	e->stack = r->stack;
	e->allocator = r->allocator;
	switch (r->type) {
	case CZT_REC_CZ_NEW:
		e->size = r->kind;
		e->old_addr = r->parent;
		e->addr = r->name;
		break;
	case CZT_REC_CZ_RESET:
	case CZT_REC_CZ_CAPACITY:
		e->size = r->value;
		break;
	}
	return 1;
}

/* Reads the current chunk's records: events into one run, the rest applied
 * at once.  Returns 0 or a CZT_ERR_*. */
static int read_chunk(struct follower *f)
{
	struct run *run = f->spare ? f->spare : calloc(1, sizeof(*run));
	f->spare = NULL;
	if (!run)
		return CZT_ERR_NOMEM;
	run->n = run->pos = 0;
	run->seq = f->seq++;
	int rc;
	struct czt_record *r = &f->rec;
	while ((rc = czt_reader_next_record(f->reader, r)) == CZT_OK) {
		struct live_event e;
		if (r->type == CZT_REC_PROCESS_END && r->how == CZT_END_EXEC) {
			/* the old image is over: everything before it first */
			follow_apply(f, UINT64_MAX);
			live_exec(f->model, r->time);
			names_exec(f->names);
			continue;
		}
		if (to_event(r, &e)) {
			if (run->n == run->cap) {
				size_t c = run->cap ? run->cap * 2 : 1024;
				struct live_event *v = realloc(run->ev, c * sizeof(*v));
				if (!v) {
					rc = CZT_ERR_NOMEM;
					break;
				}
				run->ev = v;
				run->cap = c;
			}
			run->ev[run->n++] = e;
			if (e.time > f->newest)
				f->newest = e.time;
			continue;
		}
		switch (r->type) {
		case CZT_REC_THREAD_START:
			live_thread_start(f->model, r->tid, r->name);
			break;
		case CZT_REC_THREAD_END:
			live_thread_end(f->model, r->tid);
			break;
		case CZT_REC_LOST:
			f->lost += r->value;
			break;
		case CZT_REC_SCAN_REGION:
		case CZT_REC_SCAN_WORDS:
		case CZT_REC_SCAN_CONTEXT:
		case CZT_REC_SCAN_VTABLES:
		case CZT_REC_SCAN_END:
			/* the scan at exit judges the blocks live when it began:
			 * every event written before it first */
			if (!f->model->scan && !f->model->kinds_known)
				follow_apply(f, UINT64_MAX);
			live_scan_record(f->model, r);
			break;
		default:
			names_record(f->names, r);
		}
	}
	if (rc == CZT_EOF)
		rc = CZT_OK;
	if (run->n && !rc) {
		f->pending += run->n;
		if (push_run(f, run))
			rc = CZT_ERR_NOMEM;
		else
			return CZT_OK;
	}
	retire_run(f, run);
	return rc;
}

int follow_poll(struct follower *f, uint64_t until, uint64_t max_bytes)
{
	if (f->state == FOLLOW_COMPLETE || f->state == FOLLOW_DAMAGED)
		return f->state;
	if (!f->reader) {
		int rc = czt_reader_open(&f->reader, f->path);
		if (rc == CZT_ERR_TRUNCATED)
			return f->state; /* header not written yet */
		if (rc == CZT_ERR_MAGIC) {
			struct stat st;
			if (!stat(f->path, &st) && st.st_size == 0)
				return f->state; /* created, nothing written yet */
		}
		if (rc) {
			f->reader = NULL;
			if (rc == CZT_ERR_IO)
				snprintf(f->error, sizeof(f->error), "%s", strerror(errno));
			else
				snprintf(f->error, sizeof(f->error), "%s", czt_errstr(rc));
			f->state = FOLLOW_DAMAGED;
			return f->state;
		}
		f->state = FOLLOW_READING;
	}
	uint64_t start = czt_reader_offset(f->reader);
	while (f->newest <= until && czt_reader_offset(f->reader) - start < max_bytes) {
		struct czt_chunk c;
		int rc = czt_reader_next_chunk(f->reader, &c);
		if (rc == CZT_EOF || rc == CZT_ERR_TRUNCATED)
			break; /* more may come: try again on the next poll */
		if (rc) {
			damaged(f, rc);
			break;
		}
		if (c.type == CZT_CHUNK_FOOTER)
			f->state = FOLLOW_COMPLETE;
		rc = read_chunk(f);
		if (rc) {
			damaged(f, rc);
			break;
		}
	}
	return f->state;
}

uint64_t follow_newest(const struct follower *f)
{
	return f->newest;
}

uint64_t follow_pending(const struct follower *f)
{
	return f->pending;
}

uint64_t follow_bytes(const struct follower *f)
{
	return f->reader ? czt_reader_offset(f->reader) : 0;
}

uint64_t follow_lost(const struct follower *f)
{
	return f->lost;
}

const struct czt_header *follow_header(const struct follower *f)
{
	return f->reader ? czt_reader_header(f->reader) : NULL;
}

const char *follow_error(const struct follower *f)
{
	return f->error;
}
