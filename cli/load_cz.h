/*
 * load_cz.h - the part of `czprof load` that writes libczalloc's
 * allocators (lib/analysis/arenas.h, kept by the engine) into the
 * allocators and cz_blocks tables (cli/SCHEMA.md): a cz_blocks row as each
 * block ends, an allocators row as each allocator is destroyed, the rest at
 * the end.  The loader (cli/load.c) calls these in
 * its single streaming pass.
 */
#ifndef CZPROF_CLI_LOAD_CZ_H
#define CZPROF_CLI_LOAD_CZ_H

#include <sqlite3.h>
#include "format/czt.h"
#include "lib/analysis/arenas.h"

struct load_cz;

/* load_cz_ended's return when a row could not be written: the error is
 * the database's (sqlite3_errmsg).  Not -1 (out of memory) nor AN_LATE. */
#define LOAD_CZ_DB_ERROR 2

/* Creates the tables (inside the loader's open transaction) and prepares
 * statements.  Caller owns *out; load_cz_end frees it.  Returns 0 or -1
 * (with the sqlite error available from db). */
int load_cz_begin(struct load_cz **out, sqlite3 *db);

/* One record in file order: a STRING may name an allocator; a
 * PROCESS_END of an exec starts the next image's string ids.  Other types
 * are ignored.  Returns 0 or -1 (out of memory). */
int load_cz_record(struct load_cz *l, const struct czt_record *rec);

/* The engine's an_cz_ended_fn (ctx: the struct load_cz): writes the
 * block's row.  0 or LOAD_CZ_DB_ERROR. */
int load_cz_ended(void *ctx, const struct an_allocator *a, const struct an_cz_block *b, uint64_t time,
		    unsigned how);

/* The engine's an_cz_destroyed_fn (ctx: the struct load_cz): writes
 * the allocator's row.  0 or LOAD_CZ_DB_ERROR. */
int load_cz_destroyed(void *ctx, const struct an_allocator *a);

/* Writes a row per allocator still in z and per block still open, the
 * index, and frees l.  Returns 0, or -1 after reporting the error. */
int load_cz_end(struct load_cz *l, const struct an_arenas *z);

/* Frees l without writing anything (a failed load). */
void load_cz_free(struct load_cz *l);

#endif
