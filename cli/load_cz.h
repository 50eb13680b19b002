/*
 * load_cz.h - the part of `czprof load` that turns allocator-library events
 * (CZT_REC_CZ_*) into the allocators / cz_blocks tables (cli/SCHEMA.md).
 * The loader (cli/load.c) calls these in its single streaming pass, in
 * file order.
 */
#ifndef CZ_LOAD_CZ_H
#define CZ_LOAD_CZ_H

#include <sqlite3.h>
#include "format/czt.h"

struct cz_loader;

/* Creates the tables (inside the loader's open transaction) and prepares
 * statements.  Caller owns *out; cz_loader_end frees it.  Returns 0 or -1
 * (with the sqlite error available from db). */
int cz_loader_begin(struct cz_loader **out, sqlite3 *db);

/* One record in file order: CZT_REC_CZ_* records are buffered and applied
 * in the global order of FORMAT.md; a STRING may name an allocator; a
 * PROCESS_END of an exec ends the old image's blocks.  Other types are
 * ignored.  Returns 0 or -1 (out of memory). */
int cz_loader_record(struct cz_loader *l, const struct czt_record *rec);

/* Writes per-allocator totals, indexes, and frees l.  end_time is the
 * trace's last event time (for "never destroyed").  Returns 0 or -1. */
int cz_loader_end(struct cz_loader *l, uint64_t end_time);

/* Frees l without writing anything (a failed load). */
void cz_loader_free(struct cz_loader *l);

#endif
