/*
 * load_cz.h - the part of `czprof load` that writes libczalloc's
 * allocators (lib/analysis/arenas.h, kept by the engine) into the
 * allocators and cz_blocks tables (cli/SCHEMA.md): a cz_blocks row as each
 * block ends, an allocators row as each allocator is destroyed, the rest at
 * the end.  The loader (cli/load.c) calls these in
 * its single streaming pass.
 */
#ifndef CZ_LOAD_CZ_H
#define CZ_LOAD_CZ_H

#include <sqlite3.h>
#include "format/czt.h"
#include "lib/analysis/arenas.h"

struct cz_loader;

/* cz_loader_ended's return when a row could not be written: the error is
 * the database's (sqlite3_errmsg).  Not -1 (out of memory) nor AN_LATE. */
#define CZ_LOADER_DB_ERROR 2

/* Creates the tables (inside the loader's open transaction) and prepares
 * statements.  Caller owns *out; cz_loader_end frees it.  Returns 0 or -1
 * (with the sqlite error available from db). */
int cz_loader_begin(struct cz_loader **out, sqlite3 *db);

/* One record in file order: a STRING may name an allocator; a
 * PROCESS_END of an exec starts the next image's string ids.  Other types
 * are ignored.  Returns 0 or -1 (out of memory). */
int cz_loader_record(struct cz_loader *l, const struct czt_record *rec);

/* The engine's an_cz_ended_fn (ctx: the struct cz_loader): writes the
 * block's row.  0 or CZ_LOADER_DB_ERROR. */
int cz_loader_ended(void *ctx, const struct an_allocator *a, const struct an_cz_block *b, uint64_t time,
		    unsigned how);

/* The engine's an_cz_destroyed_fn (ctx: the struct cz_loader): writes
 * the allocator's row.  0 or CZ_LOADER_DB_ERROR. */
int cz_loader_destroyed(void *ctx, const struct an_allocator *a);

/* Writes a row per allocator still in z and per block still open, the
 * index, and frees l.  Returns 0, or -1 after reporting the error. */
int cz_loader_end(struct cz_loader *l, const struct an_arenas *z);

/* Frees l without writing anything (a failed load). */
void cz_loader_free(struct cz_loader *l);

#endif
