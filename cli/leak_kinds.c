/*
 * leak_kinds.c - the leak kinds in reports (leak_kinds.h).
 */
#include <stdlib.h>
#include <string.h>

#include "cli/leak_kinds.h"
#include "cli/report.h"
#include "cli/util.h"
#include "cli/tracedb.h"

static const char *const lost_names[] = { "", "definitely lost", "indirectly lost", "possibly lost",
					  "still reachable" };

void leak_kinds_read(sqlite3 *db, struct leak_kinds *k)
{
	memset(k, 0, sizeof(*k));
	char *how = tracedb_meta_text(db, "leak_kinds");
	k->known = how && !strcmp(how, "scanned");
	free(how);
	char key[64];
	for (int i = LK_DEFINITE; k->known && i <= LK_REACHABLE; i++) {
		snprintf(key, sizeof(key), "%s_bytes", lk_kind_name((enum lk_kind)i));
		k->bytes[i] = (uint64_t)report_meta_int(db, key);
		snprintf(key, sizeof(key), "%s_blocks", lk_kind_name((enum lk_kind)i));
		k->blocks[i] = (uint64_t)report_meta_int(db, key);
	}
}

void leak_kinds_print(FILE *f, const struct leak_kinds *k)
{
	if (!k->known) {
		/* why (a killed program, a cut trace) is said first, by the
		 * report's header (report_status) */
		fprintf(f, "leak kinds unknown: memory was not scanned at exit; every block never "
			   "freed counts as leaked\n");
		return;
	}
	fprintf(f, "leak summary:");
	for (int i = LK_DEFINITE; i <= LK_REACHABLE; i++) {
		char size[32];
		fprintf(f, "%s %s %s in %llu block%s", i == LK_DEFINITE ? "" : ",", lost_names[i],
			cli_human_size(k->bytes[i], size), (unsigned long long)k->blocks[i],
			k->blocks[i] == 1 ? "" : "s");
	}
	fprintf(f, "\n");
}

void leak_kinds_json(FILE *f, const struct leak_kinds *k)
{
	fprintf(f, "\"leak_kinds\": \"%s\", \"kinds\": ", k->known ? "scanned" : "unknown");
	if (!k->known) {
		fprintf(f, "null");
		return;
	}
	fprintf(f, "{");
	for (int i = LK_DEFINITE; i <= LK_REACHABLE; i++)
		fprintf(f, "%s\"%s\": {\"bytes\": %llu, \"blocks\": %llu}", i == LK_DEFINITE ? "" : ", ",
			lk_kind_name((enum lk_kind)i), (unsigned long long)k->bytes[i],
			(unsigned long long)k->blocks[i]);
	fprintf(f, "}");
}

int leak_kinds_parse(const char *s, unsigned *mask)
{
	*mask = 0;
	if (!strcmp(s, "all")) {
		*mask = (1u << LK_DEFINITE) | (1u << LK_INDIRECT) | (1u << LK_POSSIBLE) | (1u << LK_REACHABLE);
		return 0;
	}
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", s);
	for (char *save = NULL, *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		enum lk_kind k = lk_kind_parse(w);
		if (k == LK_UNKNOWN)
			return cli_error("--kinds: '%s' is not a leak kind (definite, indirect, possible, "
					"reachable or all)", w);
		*mask |= 1u << k;
	}
	if (!*mask)
		return cli_error("--kinds needs at least one of definite, indirect, possible, reachable");
	return 0;
}
