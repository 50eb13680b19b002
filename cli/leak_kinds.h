/*
 * leak_kinds.h - the leak kinds as reports show them: memcheck's four
 * totals from the database (cli/load_kinds.c put them there), one summary
 * line in text and an object in JSON, and the --kinds option.  Every
 * report that says "leaked" means definitely plus indirectly lost when the
 * kinds are known, every block never freed when they are not.
 */
#ifndef CZPROF_CLI_LEAK_KINDS_H
#define CZPROF_CLI_LEAK_KINDS_H

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/analysis/kinds.h"

struct leak_kinds {
	int known;                            /* the trace holds a whole scan */
	uint64_t bytes[LK_REACHABLE + 1];     /* by enum lk_kind */
	uint64_t blocks[LK_REACHABLE + 1];
};

/* Reads the totals; k->known 0 for a trace without a scan. */
void leak_kinds_read(sqlite3 *db, struct leak_kinds *k);

/* "leak summary: definitely lost 8.0 KiB in 1 block, indirectly lost ...",
 * or the line saying the kinds are unknown (why, a killed program or a cut
 * trace, the report's header says: report_status). */
void leak_kinds_print(FILE *f, const struct leak_kinds *k);

/* "\"leak_kinds\": \"scanned\", \"kinds\": {...}" (no braces around it);
 * "kinds": null when unknown. */
void leak_kinds_json(FILE *f, const struct leak_kinds *k);

/* Parses "definite,indirect,possible,reachable" or "all" into a mask of
 * 1 << enum lk_kind.  Returns 0, or -1 after printing an error. */
int leak_kinds_parse(const char *s, unsigned *mask);

#define LEAK_KINDS_LOST ((1u << LK_DEFINITE) | (1u << LK_INDIRECT))

#endif
