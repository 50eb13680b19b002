/*
 * load_results.c - what the analysis engine found, into the database
 * once the trace is read (load_internal.h): per-stack, per-function and
 * per-size totals, the timeline, the threads, the blocks live at exit,
 * and the meta facts every report reads.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli/load_internal.h"
#include "cli/util.h"
#include "format/printable.h"

/* One row of integers into s, a prepared INSERT of n columns. */
static void put_ints(sqlite3_stmt *s, const uint64_t *v, int n)
{
	for (int c = 0; c < n; c++)
		sqlite3_bind_int64(s, c + 1, (sqlite3_int64)v[c]);
	sqlite3_step(s);
	sqlite3_reset(s);
}

static int write_totals(struct loader *l)
{
	const struct an_engine *en = &l->en;
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(l->db, "INSERT INTO stack_totals VALUES(?,?,?,?,?,?,?,?,?)", -1, &s, NULL))
		return -1;
	for (size_t k = 0; k < en->n_stacks; k++) {
		const struct an_stack_total *t = &en->totals[k];
		uint64_t v[] = { en->stacks[k], t->allocs, t->bytes, t->temp, t->temp_bytes,
				 t->live, t->live_bytes, t->peak_blocks, t->peak_bytes };
		if (t->allocs)
			put_ints(s, v, 9);
	}
	sqlite3_finalize(s);
	if (sqlite3_prepare_v2(l->db, "INSERT INTO fn_totals VALUES(?,?,?)", -1, &s, NULL))
		return -1;
	for (unsigned f = 0; f < 32; f++) {
		if (!en->fn_calls[f])
			continue;
		sqlite3_bind_text(s, 1, load_fn_name(f), -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, (sqlite3_int64)en->fn_calls[f]);
		sqlite3_bind_int64(s, 3, (sqlite3_int64)en->fn_bytes[f]);
		sqlite3_step(s);
		sqlite3_reset(s);
	}
	sqlite3_finalize(s);
	if (sqlite3_prepare_v2(l->db, "INSERT INTO size_histogram VALUES(?,?,?)", -1, &s, NULL))
		return -1;
	for (int b = 0; b < 65; b++) {
		/* sizes of bit length b */
		uint64_t v[] = { b ? (uint64_t)1 << (b - 1) : 0,
				 b == 0 ? 0 : b == 64 ? UINT64_MAX : ((uint64_t)1 << b) - 1, en->hist[b] };
		if (en->hist[b])
			put_ints(s, v, 3);
	}
	sqlite3_finalize(s);
	if (sqlite3_prepare_v2(l->db, "INSERT INTO timeline VALUES(?,?,?,?)", -1, &s, NULL))
		return -1;
	for (size_t i = 0; i < en->n_timeline; i++) {
		const struct an_point *p = &en->timeline[i];
		put_ints(s, (const uint64_t[]){ p->time, p->seq, p->bytes, p->blocks }, 4);
	}
	sqlite3_finalize(s);
	if (sqlite3_prepare_v2(l->db, "INSERT OR REPLACE INTO threads VALUES(?,?,?,?,?)", -1, &s, NULL))
		return -1;
	for (size_t i = 0; i < en->n_threads; i++) {
		const struct an_thread *t = &en->threads[i];
		put_ints(s, (const uint64_t[]){ t->tid, t->start, t->end, t->allocs, t->bytes }, 5);
	}
	sqlite3_finalize(s);
	return 0;
}

/* One row of exit_blocks. */
static int put_exit_block(void *ctx, const struct an_block *b)
{
	struct loader *l = ctx;
	sqlite3_stmt *s = l->ins_node; /* the statement of write_exit_blocks */
	const struct an_engine *en = &l->en;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)b->id);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)b->addr);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)b->size);
	sqlite3_bind_text(s, 4, load_fn_name(b->fn), -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)b->time);
	sqlite3_bind_int64(s, 6, (sqlite3_int64)b->seq);
	sqlite3_bind_int64(s, 7, (sqlite3_int64)en->stacks[b->stack]);
	sqlite3_bind_int64(s, 8, (sqlite3_int64)en->threads[b->thread].tid);
	if (b->realloc_from)
		sqlite3_bind_int64(s, 9, (sqlite3_int64)b->realloc_from);
	else
		sqlite3_bind_null(s, 9);
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : 1;
}

static int write_exit_blocks(struct loader *l)
{
	sqlite3_stmt *keep = l->ins_node;
	if (sqlite3_prepare_v2(l->db, "INSERT INTO exit_blocks(id, addr, size, fn, alloc_time, alloc_seq,"
				      " stack, tid, realloc_from, temporary) VALUES(?,?,?,?,?,?,?,?,?,0)",
			       -1, &l->ins_node, NULL)) {
		l->ins_node = keep;
		return -1;
	}
	int rc = an_engine_live(&l->en, put_exit_block, l);
	sqlite3_finalize(l->ins_node);
	l->ins_node = keep;
	return rc ? -1 : 0;
}

static int write_meta(struct loader *l, const struct czt_header *h, const char *trace_path,
		      const struct stat *st, const char *cut_reason, uint64_t cut_at)
{
	const struct an_engine *en = &l->en;
	/* the NULs between arguments, and newlines or ESC in them, become
	 * spaces: every report prints it on one line */
	char *cmd = czt_printable_dup(h->cmdline, h->cmdline_len, CZT_PRINT_SPACE);
	char *exe = czt_printable_dup(h->exe, h->exe_len, CZT_PRINT_ESCAPE);
	/* after an exec the trace is the last image's: it is named, and the
	 * first kept (reports say "A, then exec'd B") */
	META_I("execs", en->image);
	if (en->image && l->image_cmdline) {
		if (cmd)
			META_T("first_cmdline", cmd);
		META_T("cmdline", l->image_cmdline);
		META_T("exe", l->image_exe);
	} else {
		META_NULL("first_cmdline");
		if (cmd)
			META_T("cmdline", cmd);
		if (exe)
			META_T("exe", exe);
	}
	free(cmd);
	free(exe);
	META_T("trace_path", trace_path);
	META_T("trace_key", l->trace_key);
	META_I("trace_size", st->st_size);
	META_I("trace_mtime_ns", (uint64_t)st->st_mtim.tv_sec * 1000000000u + (uint64_t)st->st_mtim.tv_nsec);
	META_I("pid", h->pid);
	META_I("ppid", h->ppid);
	META_I("start_realtime_ns", h->start_realtime_ns);
	META_I("duration_ns", en->end_time);
	/* attached: the window is [start_realtime_ns, + duration_ns], its
	 * unmatched frees the blocks allocated before it (reports say so) */
	META_I("attached", l->attached);
	if (l->end_how == CZT_END_EXIT || l->end_how == CZT_END_SIGNAL || l->end_how == CZT_END_DETACH) {
		META_T("end_how", l->end_how == CZT_END_EXIT ? "exit" :
				  l->end_how == CZT_END_SIGNAL ? "signal" : "detach");
		META_I("end_value", l->end_value);
	} else {
		META_NULL("end_how");
		META_NULL("end_value");
	}
	if (cut_reason) {
		META_I("truncated_at", cut_at);
		META_T("cut_reason", cut_reason);
	} else {
		META_NULL("truncated_at");
		META_NULL("cut_reason");
	}
	/* complete: every event of the run is in the trace.  Not so when it
	 * is cut, when events were lost, when it has no footer (czprof record
	 * did not finish it: it or the program was killed, or the program
	 * still runs), or when the program was killed by a signal the
	 * recorder never saw (SIGKILL): its last buffers were not written.
	 * Reports say why from these keys (report_warnings). */
	int killed_unseen = l->end_how == CZT_END_SIGNAL && !l->recorder_end;
	META_I("has_footer", l->has_footer);
	META_I("recorder_end", l->recorder_end);
	META_I("complete", !cut_reason && !l->lost && l->has_footer && !killed_unseen);
	META_I("events", en->events);
	META_I("allocations", en->allocs);
	META_I("frees", en->frees);
	META_I("unmatched_frees", en->unmatched);
	META_I("address_conflicts", en->conflicts);
	META_I("failed_allocs", en->failed);
	META_I("lost_events", l->lost);
	if (l->lost) { /* what and why, for the reports' warning */
		char text[256];
		META_T("lost_text", cli_lost_text(text, sizeof(text), l->lost, l->lost_why, l->lost_err));
	} else {
		META_NULL("lost_text");
	}
	META_I("cz_events", en->cz_records);
	META_I("peak_bytes", en->peak_bytes);
	META_I("peak_blocks", en->peak_blocks);
	META_I("peak_time", en->peak_time);
	META_I("peak_seq", en->peak_seq);
	META_I("total_bytes", en->total_bytes);
	META_I("leaked_bytes", en->leaked_bytes);
	META_I("leaked_blocks", en->leaked_blocks);
	META_I("format_version", h->major);
	return 0;
}

int load_write_results(struct loader *l, const struct czt_header *h, const char *trace_path,
		       const struct stat *st, const char *cut_reason, uint64_t cut_at)
{
	return write_totals(l) || write_exit_blocks(l) || write_meta(l, h, trace_path, st, cut_reason, cut_at)
		       ? -1
		       : 0;
}
