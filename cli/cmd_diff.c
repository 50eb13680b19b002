/*
 * cmd_diff.c - `czprof diff BASE NEW`: what changed between two runs, per
 * call site.  Sites are matched by function and file (not by address or
 * line, which move between builds); the figures compared are leaked bytes,
 * bytes live at the peak and allocation calls.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/report.h"
#include "lib/base/strmap.h"
#include "cli/tracedb.h"
#include "cli/util.h"
#include "lib/base/grow.h"

static const char usage[] =
	"usage: czprof diff [--json] [-n N] [--fail-on-growth BYTES] BASE.czt NEW.czt\n\n"
	"Compares two traces call site by call site (matched by function and file):\n"
	"change in leaked bytes, in bytes live at the peak and in allocation calls,\n"
	"biggest change first, then the totals.\n\n"
	"  --json                  machine-readable output\n"
	"  -n, --limit N           show at most N sites (default 20; 0 = all)\n"
	"  --fail-on-growth BYTES  exit 1 when leaked bytes or the peak grew by more\n"
	"                          than BYTES (for CI)\n" REPORT_USAGE_ALLOC_FN;

struct dsite {
	char key[REPORT_NAME_MAX];
	int64_t leaked[2], peak[2], allocs[2];
};

struct dtable {
	struct dsite *v;     /* v[i] is the site interned as i in keys */
	size_t n, cap;
	struct strmap keys;
};

/* The site called key, added with zero figures when new; NULL when out of
 * memory. */
static struct dsite *find(struct dtable *t, const char *key)
{
	long i = strmap_intern(&t->keys, key);
	if (i < 0)
		return NULL;
	if ((size_t)i < t->n)
		return &t->v[i];
	if (array_grow((void **)&t->v, &t->cap, t->n, sizeof(*t->v)))
		return NULL;
	struct dsite *s = &t->v[t->n++];
	memset(s, 0, sizeof(*s));
	snprintf(s->key, sizeof(s->key), "%s", key);
	return s;
}

static void dtable_release(struct dtable *t)
{
	free(t->v);
	strmap_free(&t->keys);
}

/* "function (file)": the call site without its line, or the frame's name
 * when it has no symbol. */
static void site_key(struct report_ctx *c, uint64_t stack, char *key)
{
	struct report_frame fr[64];
	int n = report_stack(c, stack, fr, 64);
	int i = report_site_index(fr, n);
	if (!n)
		snprintf(key, REPORT_NAME_MAX, "(no stack)");
	else if (fr[i].function[0] && fr[i].file[0])
		snprintf(key, REPORT_NAME_MAX, "%s (%s)", fr[i].function, fr[i].file);
	else
		snprintf(key, REPORT_NAME_MAX, "%s", fr[i].name);
}

static int add_trace(struct dtable *t, const char *trace, int side, int64_t *peak_total,
		     struct report_status *st)
{
	sqlite3 *db = tracedb_open(trace);
	if (!db)
		return -1;
	struct report_ctx *c = report_ctx_new(db);
	sqlite3_stmt *q = NULL;
	int rc = -1;
	if (!c || sqlite3_prepare_v2(db, "SELECT stack, leaked_bytes, peak_bytes, allocations FROM stack_totals",
				     -1, &q, NULL))
		goto out;
	char key[REPORT_NAME_MAX];
	while (sqlite3_step(q) == SQLITE_ROW) {
		site_key(c, (uint64_t)sqlite3_column_int64(q, 0), key);
		struct dsite *s = find(t, key);
		if (!s)
			goto out;
		s->leaked[side] += sqlite3_column_int64(q, 1);
		s->peak[side] += sqlite3_column_int64(q, 2);
		s->allocs[side] += sqlite3_column_int64(q, 3);
	}
	*peak_total = report_meta_int(db, "peak_bytes");
	report_status(db, st);
	rc = 0;
out:
	if (rc)
		cli_error("'%s': cannot read its call sites", trace);
	sqlite3_finalize(q);
	report_ctx_free(c);
	sqlite3_close(db);
	return rc;
}

static int64_t mag(int64_t v)
{
	return v < 0 ? -v : v;
}

static int by_change(const void *a, const void *b)
{
	const struct dsite *x = a, *y = b;
	int64_t cx = mag(x->leaked[1] - x->leaked[0]) > mag(x->peak[1] - x->peak[0])
			     ? mag(x->leaked[1] - x->leaked[0]) : mag(x->peak[1] - x->peak[0]);
	int64_t cy = mag(y->leaked[1] - y->leaked[0]) > mag(y->peak[1] - y->peak[0])
			     ? mag(y->leaked[1] - y->leaked[0]) : mag(y->peak[1] - y->peak[0]);
	if (cx != cy)
		return cx < cy ? 1 : -1;
	int64_t ax = mag(x->allocs[1] - x->allocs[0]), ay = mag(y->allocs[1] - y->allocs[0]);
	if (ax != ay)
		return ax < ay ? 1 : -1;
	return strcmp(x->key, y->key);
}

/* "+1.5 KiB", "-512 B", "0 B" */
static const char *signed_size(int64_t v, char *buf)
{
	char h[32];
	if (!v)
		return strcpy(buf, "0 B");
	snprintf(buf, 40, "%c%s", v < 0 ? '-' : '+', cli_human_size((uint64_t)mag(v), h));
	return buf;
}

struct diff_args {
	int64_t fail_on;
	const char *base;
};

static int diff_option(void *ctx, int argc, char **argv, int *i)
{
	struct diff_args *a = ctx;
	if (!strcmp(argv[*i], "--db") || !strncmp(argv[*i], "--db=", 5))
		return cli_error("diff: --db names one trace's database and diff reads two: each is"
				" read from where 'czprof load' puts it");
	if (!strcmp(argv[*i], "--fail-on-growth")) {
		char *end;
		long long v = *i + 1 < argc ? strtoll(argv[*i + 1], &end, 10) : -1;
		if (*i + 1 >= argc || *end || v < 0)
			return cli_error("diff: --fail-on-growth takes a number of bytes");
		a->fail_on = v;
		++*i;
		return 1;
	}
	/* the first plain argument is BASE; report_parse takes NEW as TRACE */
	if (argv[*i][0] != '-' && !a->base) {
		a->base = argv[*i];
		return 1;
	}
	return 0;
}

int cmd_diff(int argc, char **argv)
{
	struct diff_args a = { .fail_on = -1 };
	struct report_opts o;
	int plain = 0, help = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-n") || !strcmp(argv[i], "--limit") || !strcmp(argv[i], "--fail-on-growth") ||
		    !strcmp(argv[i], "--alloc-fn") || !strcmp(argv[i], "--db"))
			i++;
		else if (cli_is_help(argv[i]))
			help = 1;
		else if (argv[i][0] != '-' || !argv[i][1])
			plain++;
	}
	if (plain != 2 && !help)
		return cli_error("diff: needs two traces, BASE and NEW (see 'czprof diff --help')"), 2;
	int pr = report_parse(argc, argv, usage, REPORT_OPT_JSON | REPORT_OPT_LIMIT | REPORT_OPT_SITES, diff_option, &a, &o);
	if (pr)
		return pr == REPORT_ARGS_HELP ? 0 : 2;
	struct dtable t = { 0 };
	int64_t peak[2] = { 0, 0 };
	struct report_status st[2];
	if (add_trace(&t, a.base, 0, &peak[0], &st[0]) || add_trace(&t, o.trace, 1, &peak[1], &st[1])) {
		dtable_release(&t);
		return 1;
	}
	if (t.n > 1)
		qsort(t.v, t.n, sizeof(*t.v), by_change);
	int64_t leaked[2] = { 0, 0 }, allocs[2] = { 0, 0 };
	for (size_t i = 0; i < t.n; i++)
		for (int k = 0; k < 2; k++) {
			leaked[k] += t.v[i].leaked[k];
			allocs[k] += t.v[i].allocs[k];
		}
	size_t shown = 0;
	char b1[48], b2[48], h1[32], h2[32];
	if (o.json) {
		printf("{\"base\": ");
		report_json_string(stdout, a.base);
		printf(", \"new\": ");
		report_json_string(stdout, o.trace);
		/* complete when both are; each warning names its trace */
		printf(", \"complete\": %s, \"warnings\": [", st[0].complete && st[1].complete ? "true" : "false");
		for (int k = 0, w = 0; k < 2; k++)
			for (int i = 0; i < st[k].n; i++) {
				char line[sizeof(st[k].warning[i]) + 16];
				snprintf(line, sizeof(line), "%s: %s", k ? "new" : "base", st[k].warning[i]);
				printf(w++ ? ", " : "");
				report_json_string(stdout, line);
			}
		printf("]");
		printf(", \"leaked_bytes\": [%lld, %lld], \"peak_bytes\": [%lld, %lld], \"allocations\": [%lld, %lld], \"sites\": [",
		       (long long)leaked[0], (long long)leaked[1], (long long)peak[0], (long long)peak[1],
		       (long long)allocs[0], (long long)allocs[1]);
	} else {
		printf("czprof diff: %s -> %s\n", a.base, o.trace);
		for (int k = 0; k < 2; k++)
			for (int i = 0; i < st[k].n; i++)
				printf("warning: %s: %s\n", k ? o.trace : a.base, st[k].warning[i]);
		printf("\n%12s %12s %12s  %s\n", "LEAKED", "PEAK", "ALLOCS", "CALL SITE");
	}
	for (size_t i = 0; i < t.n && (!o.limit || shown < (size_t)o.limit); i++) {
		const struct dsite *s = &t.v[i];
		int64_t dl = s->leaked[1] - s->leaked[0], dp = s->peak[1] - s->peak[0], da = s->allocs[1] - s->allocs[0];
		if (!dl && !dp && !da)
			continue;
		if (o.json) {
			printf("%s{\"site\": ", shown ? ", " : "");
			report_json_string(stdout, s->key);
			printf(", \"leaked_bytes\": [%lld, %lld], \"peak_bytes\": [%lld, %lld], \"allocations\": [%lld, %lld]}",
			       (long long)s->leaked[0], (long long)s->leaked[1], (long long)s->peak[0],
			       (long long)s->peak[1], (long long)s->allocs[0], (long long)s->allocs[1]);
		} else {
			printf("%12s %12s %+12lld  %s%s\n", signed_size(dl, b1), signed_size(dp, b2), (long long)da,
			       s->key, !s->allocs[0] ? "  (new)" : !s->allocs[1] ? "  (gone)" : "");
		}
		shown++;
	}
	int grew = a.fail_on >= 0 && (leaked[1] - leaked[0] > a.fail_on || peak[1] - peak[0] > a.fail_on);
	if (o.json) {
		printf("], \"grew\": %s}\n", grew ? "true" : "false");
	} else {
		if (!shown)
			printf("%38s  (no call site changed)\n", "");
		printf("\nleaked %s (%s -> ", signed_size(leaked[1] - leaked[0], b1), cli_human_size((uint64_t)leaked[0], h1));
		printf("%s), peak %s (", cli_human_size((uint64_t)leaked[1], h2), signed_size(peak[1] - peak[0], b2));
		printf("%s -> ", cli_human_size((uint64_t)peak[0], h1));
		printf("%s), allocations %+lld\n", cli_human_size((uint64_t)peak[1], h2),
		       (long long)(allocs[1] - allocs[0]));
		if (grew)
			printf("growth beyond %lld B: failing\n", (long long)a.fail_on);
	}
	dtable_release(&t);
	return grew ? 1 : 0;
}
