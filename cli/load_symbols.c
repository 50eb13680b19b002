/* load_symbols.c - see load_symbols.h. */
#include <stdlib.h>
#include <string.h>

#include "cli/load_symbols.h"
#include "cli/util.h"
#include "format/czt.h"
#include "format/printable.h"

/* Binds s (NULL: NULL) as column col, printable. */
static void bind_name(sqlite3_stmt *st, int col, const char *s)
{
	char *safe = s ? czt_printable_dup(s, strlen(s), CZT_PRINT_ESCAPE) : NULL;
	if (safe)
		sqlite3_bind_text(st, col, safe, -1, free);
	else
		sqlite3_bind_null(st, col);
}

int load_symbols_from_disk(sqlite3 *db, struct sym_resolver *sym, unsigned long *resolved)
{
	sqlite3_stmt *q = NULL, *ins = NULL;
	int rc = -1, step = SQLITE_DONE;
	*resolved = 0;
	if (sqlite3_prepare_v2(db, "SELECT DISTINCT ip FROM stack_nodes", -1, &q, NULL) ||
	    sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO frames VALUES(?,?,?,?,?,?)", -1, &ins, NULL))
		goto out;
	struct sym_frame f[CZT_MAX_INLINE_FRAMES];
	while ((step = sqlite3_step(q)) == SQLITE_ROW) {
		uint64_t ip = (uint64_t)sqlite3_column_int64(q, 0), module = 0;
		int n = sym_lookup(sym, ip, f, CZT_MAX_INLINE_FRAMES, &module);
		*resolved += n > 0 && f[0].function;
		for (int i = 0; i < n; i++) {
			sqlite3_bind_int64(ins, 1, (sqlite3_int64)ip);
			sqlite3_bind_int(ins, 2, i);
			bind_name(ins, 3, f[i].function);
			bind_name(ins, 4, f[i].file);
			sqlite3_bind_int64(ins, 5, f[i].line);
			sqlite3_bind_int64(ins, 6, (sqlite3_int64)module);
			step = sqlite3_step(ins);
			sqlite3_reset(ins);
			if (step != SQLITE_DONE)
				goto out;
		}
	}
	if (step == SQLITE_DONE)
		rc = 0;
out:
	if (rc)
		cli_error("database: %s", sqlite3_errmsg(db));
	sqlite3_finalize(q);
	sqlite3_finalize(ins);
	return rc;
}
