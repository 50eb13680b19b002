/*
 * follow.h - reads a trace while it grows and feeds its records, in file
 * order and a chunk at a time, to the live model (live.h), whose engine
 * puts the threads' events in the global order and applies them once no
 * chunk still to come can precede them.  Definitions (stack nodes,
 * strings, modules, symbols) go to the names as soon as they are read.
 */
#ifndef CZPROF_VIEWER_FOLLOW_H
#define CZPROF_VIEWER_FOLLOW_H

#include <stdint.h>

#include "format/czt.h"
#include "viewer/live.h"
#include "viewer/names.h"

struct follower;

enum follow_state {
	FOLLOW_WAITING = 0, /* no header yet (the recorder just started) */
	FOLLOW_READING = 1,
	FOLLOW_COMPLETE = 2,/* the footer was read: nothing more will come */
	FOLLOW_DAMAGED = 3, /* a bad chunk: what came before it is kept */
};

/* Opens path for following; the file may not have a header yet.  Caller
 * owns *out (follow_close).  model and names must outlive it.  Returns 0,
 * or -1 with errno set when the file cannot be opened at all. */
int follow_open(struct follower **out, const char *path, struct live_model *model,
		struct names *names);
void follow_close(struct follower *f);

/*
 * Reads chunks appended since the last call, without waiting, until the
 * newest event read is later than until (UINT64_MAX: read all there is) or
 * about max_bytes were read.  Returns the state.  A trace that is not a
 * trace, of a newer version or damaged gives FOLLOW_DAMAGED with
 * follow_error() saying why and where.
 */
int follow_poll(struct follower *f, uint64_t until, uint64_t max_bytes);

/* Time of the newest event read (not necessarily applied). */
uint64_t follow_newest(const struct follower *f);

/* Whole bytes read so far. */
uint64_t follow_bytes(const struct follower *f);

/* Events the recorder reported lost (LOST records). */
uint64_t follow_lost(const struct follower *f);

/* The header, NULL while FOLLOW_WAITING. */
const struct czt_header *follow_header(const struct follower *f);

/* Why the trace is FOLLOW_DAMAGED ("" otherwise). */
const char *follow_error(const struct follower *f);

#endif
