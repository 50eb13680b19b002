/*
 * follow.c - see follow.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/analysis/feed.h"
#include "viewer/follow.h"

struct follower {
	char *path;
	struct czt_reader *reader;
	struct live_model *model;
	struct names *names;
	int state;
	char error[256];
	uint64_t lost;
	struct an_feed feed;   /* reads the trace into the model's engine */
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
	czt_reader_free(f->reader);
	free(f->path);
	free(f);
}

static void damaged(struct follower *f, int rc)
{
	f->state = FOLLOW_DAMAGED;
	snprintf(f->error, sizeof(f->error), "%s at byte %llu", czt_errstr(rc),
		 (unsigned long long)(f->reader ? czt_reader_offset(f->reader) : 0));
}

/* Each record, before the engine takes it: definitions to the names, the
 * rest to what the model adds to the engine. */
static int on_record(void *ctx, const struct czt_chunk *c, const struct czt_record *r)
{
	struct follower *f = ctx;
	(void)c;
	switch (r->type) {
	case CZT_REC_STRING: case CZT_REC_STACK_NODE: case CZT_REC_MODULE_LOAD:
	case CZT_REC_MODULE_UNLOAD: case CZT_REC_FRAME:
		names_record(f->names, r);
		break;
	case CZT_REC_LOST:
		f->lost += r->value;
		break;
	case CZT_REC_PROCESS_END:
		if (r->how == CZT_END_EXEC)
			names_exec(f->names); /* the ids that follow are the new image's */
		live_record(f->model, r);
		break;
	default:
		live_record(f->model, r);
	}
	return 0;
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
		an_feed_init(&f->feed, f->reader, on_record, f);
		f->feed.growing = 1;
		f->state = FOLLOW_READING;
	}
	uint64_t start = czt_reader_offset(f->reader);
	while (follow_newest(f) <= until && czt_reader_offset(f->reader) - start < max_bytes) {
		if (an_feed_chunk(&f->model->en, &f->feed))
			f->model->oom = 1; /* late events are applied (o.live): out of memory */
		if (f->feed.done) { /* a bad chunk: what came before it is kept */
			damaged(f, f->feed.end_rc);
			break;
		}
		if (f->feed.chunk_type < 0)
			break; /* more may come: try again on the next poll */
		if (f->feed.chunk_type == CZT_CHUNK_FOOTER)
			f->state = FOLLOW_COMPLETE;
	}
	return f->state;
}

uint64_t follow_newest(const struct follower *f)
{
	return f->model->en.merge.newest;
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
