/*
 * live_script.h - scripted records for the live model's tests
 * (test_live.c, test_view.c): each record is a chunk of its own, and the
 * model is told at once that nothing older can come, so that a script
 * written in time order is applied as it goes.
 */
#ifndef CZ_TESTS_LIVE_SCRIPT_H
#define CZ_TESTS_LIVE_SCRIPT_H

#include "format/czt.h"
#include "viewer/live.h"

/* A chunk begins, one record of it (to the model, then to its engine, as
 * lib/analysis/feed.c hands them), the chunk ends. */
static inline void script_chunk(struct live_model *m)
{
	an_engine_chunk(&m->en);
}

static inline void script_record(struct live_model *m, const struct czt_record *r)
{
	live_record(m, r);
	if (an_engine_record(&m->en, r, 1))
		m->oom = 1;
}

static inline void script_chunk_end(struct live_model *m)
{
	if (an_engine_chunk_end(&m->en))
		m->oom = 1;
}

static inline void script_feed(struct live_model *m, const struct czt_record *r)
{
	script_chunk(m);
	script_record(m, r);
	script_chunk_end(m);
	live_settle(m, r->time);
}

/* An allocation (type CZT_REC_MALLOC...; addr 0: failed) or a free. */
static inline void script_ev(struct live_model *m, unsigned type, uint64_t time, uint64_t tid,
			     uint64_t addr, uint64_t size, uint64_t stack)
{
	struct czt_record r = { .type = type, .time = time, .tid = tid, .addr = addr, .size = size,
				.stack = stack };
	script_feed(m, &r);
}

/* realloc(old, size) = addr (old 0: realloc(NULL); addr 0: failed or, with
 * size 0, a free). */
static inline void script_realloc(struct live_model *m, uint64_t time, uint64_t tid, uint64_t old,
				  uint64_t addr, uint64_t size, uint64_t stack)
{
	struct czt_record r = { .type = CZT_REC_REALLOC, .time = time, .time_free = time, .tid = tid,
				.old_addr = old, .addr = addr, .size = size, .stack = stack };
	script_feed(m, &r);
}

/* The process ends (how: CZT_END_*). */
static inline void script_end(struct live_model *m, uint64_t time, uint64_t how, uint64_t value)
{
	struct czt_record r = { .type = CZT_REC_PROCESS_END, .time = time, .how = how, .value = value };
	script_feed(m, &r);
}

/* The figures of the stack whose node id is id (image-shifted), NULL
 * when the engine has no such stack. */
static inline const struct an_stack_total *script_stack(const struct live_model *m, uint64_t id)
{
	for (size_t k = 0; k < m->en.n_stacks; k++)
		if (m->en.stacks[k] == id)
			return &m->en.totals[k];
	return NULL;
}

#endif
