/*
 * feed.c - see feed.h.
 */
#include "lib/analysis/feed.h"

void an_feed_init(struct an_feed *f, struct czt_reader *r, an_record_fn each, void *ctx)
{
	const struct czt_header *h = czt_reader_header(r);
	*f = (struct an_feed){ .r = r, .each = each, .ctx = ctx,
			       /* IMAGE records carry flags from format 3.4 on */
			       .image_flags = h->major > 3 || (h->major == 3 && h->minor >= 4) };
}

int an_feed_chunk(struct an_engine *en, struct an_feed *f)
{
	if (f->done)
		return 0;
	struct czt_chunk c = { 0 };
	struct czt_record rec;
	int rc = czt_reader_next_chunk(f->r, &c), ret;
	f->chunk_type = rc == CZT_OK ? (int)c.type : -1;
	if (f->growing && (rc == CZT_EOF || rc == CZT_ERR_TRUNCATED))
		return 0; /* more may come: read on at the next call */
	if (rc == CZT_OK) {
		an_engine_chunk(en);
		/* a thread's events wait in the merge: as records, a quarter
		 * of their size */
		if (c.type == CZT_CHUNK_EVENTS && !f->at_once) {
			if ((ret = an_engine_keep(en, f->r, &c, f->image_flags, czt_reader_offset(f->r))))
				return ret;
			f->n_records++;
			rc = CZT_EOF;
		}
		while (rc == CZT_OK && (rc = czt_reader_next_record(f->r, &rec)) == CZT_OK) {
			f->n_records++;
			if ((f->each && (ret = f->each(f->ctx, &c, &rec))) ||
			    (ret = an_engine_record(en, &rec, f->image_flags)))
				return ret;
		}
		/* a chunk cut in the middle: what it held up to the cut counts */
		if ((ret = an_engine_chunk_end(en)))
			return ret;
		if (rc == CZT_EOF && !en->kept_rc)
			return 0; /* the chunk is read: more may follow */
	}
	f->done = 1;
	ret = an_engine_finish(en); /* reads the chunks still kept */
	f->end_rc = rc;
	f->end_at = czt_reader_offset(f->r);
	if (en->kept_rc) { /* a kept chunk was damaged: the first damage in the file */
		f->end_rc = en->kept_rc;
		f->end_at = en->kept_end_at;
	}
	return ret;
}
