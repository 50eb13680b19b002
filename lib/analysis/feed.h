/*
 * feed.h - reading a trace into the engine, a chunk at a time: the one
 * loop over a trace's chunks and records that `czprof load` (cli/load.c)
 * and the `allocations` table (cli/alloc_vtab.c) both run.  A trace cut or
 * damaged part-way is read up to the damage, as every report reads it.
 */
#ifndef CZPROF_LIB_ANALYSIS_FEED_H
#define CZPROF_LIB_ANALYSIS_FEED_H

#include <stdint.h>

#include "format/czt.h"
#include "lib/analysis/engine.h"

/* Called with each record before the engine takes it, with the chunk it
 * came from; a non-zero return stops the feed and is returned.  The
 * records of EVENTS chunks are kept for the engine to read later
 * (an_engine_keep) and not passed, unless at_once is set. */
typedef int (*an_record_fn)(void *ctx, const struct czt_chunk *c, const struct czt_record *r);

struct an_feed {
	struct czt_reader *r; /* the caller's; read from where it stands */
	an_record_fn each;    /* or NULL */
	void *ctx;
	int at_once;          /* read each EVENTS chunk's records when the file
			       * reaches them instead of keeping them
			       * (an_engine_keep): the same results with more
			       * memory, for tests to compare the two */
	int growing;          /* the trace is read while it is written (`czprof
			       * top`): at the end of what is written so far, or
			       * at a chunk not written whole yet, an_feed_chunk
			       * reads nothing (chunk_type -1) and reads it at a
			       * later call, instead of taking it for the end */
	/* set by an_feed_chunk */
	int chunk_type;       /* the CZT_CHUNK_* the last call read, -1: none */
	int image_flags;      /* the header's (an_engine_record's argument) */
	uint64_t n_records;   /* records read, a kept chunk counting as one */
	int done;             /* the trace is read and the engine finished */
	int end_rc;           /* then: CZT_EOF, or the reader's error where the trace is cut */
	uint64_t end_at;      /* and the offset the trace is read up to (a
			       * damaged chunk's end) */
};

/* Sets f up to read r from its first chunk.  each and ctx as above. */
void an_feed_init(struct an_feed *f, struct czt_reader *r, an_record_fn each, void *ctx);

/* Reads the next chunk into en: each record to f->each, then to the
 * engine, and the chunk's end hands out what the merge may.  At the end
 * of the trace (or at damage) it finishes the engine (an_engine_finish)
 * and sets f->done.  Returns 0, or the first non-zero return of f->each
 * or of the engine (-1 out of memory, AN_LATE, an ended callback's). */
int an_feed_chunk(struct an_engine *en, struct an_feed *f);

#endif
