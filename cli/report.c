/*
 * report.c - see report.h.  Frames are looked up per ip and cached, since
 * every stack of a report shares most of its frames.
 */
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "cli/dbpath.h"
#include "cli/report.h"
#include "cli/tracedb.h"
#include "cli/util.h"
#include "lib/symbols/sym.h"
#include "lib/symbols/sym_site.h"
#include "lib/base/grow.h"

/* inlined frames per address: as many as a FRAME record holds (32, see
 * format/czt.h), since an optimised C++ allocation inlines a chain of
 * library calls into the user's function and the site is the outermost */
#define MAX_INLINE 32
#define SITE_MAX_FRAMES 256

struct ip_entry {
	uint64_t ip;
	int n;
	struct report_frame *frames;
	struct ip_entry *next;
};

struct report_ctx {
	sqlite3 *db;
	sqlite3_stmt *node, *frames, *module;
	const struct sym_site_rules *rules; /* report_site_rules() when made */
	struct report_frame *site_frames;   /* report_site's, SITE_MAX_FRAMES */
	struct ip_entry *buckets[4096];
};

/* The process's call-site rules: CZPROF_ALLOC_FNS, then every --alloc-fn
 * report_parse reads.  A command runs one report, so one set serves every
 * report_ctx it makes (fold.c and the exporters make their own). */
static struct sym_site_rules *site_rules;

static void free_site_rules(void)
{
	sym_site_rules_free(site_rules);
	site_rules = NULL;
}

struct sym_site_rules *report_site_rules(void)
{
	if (site_rules)
		return site_rules;
	if (sym_site_rules_new(&site_rules))
		return NULL;
	atexit(free_site_rules);
	if (sym_site_rules_add_list(site_rules, getenv("CZPROF_ALLOC_FNS"))) {
		cli_error("out of memory");
		exit(1);
	}
	return site_rules;
}

struct report_ctx *report_ctx_new(sqlite3 *db)
{
	struct report_ctx *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->db = db;
	c->rules = report_site_rules();
	if (sqlite3_prepare_v2(db, "SELECT parent, ip FROM stack_nodes WHERE id = ?", -1, &c->node, NULL) ||
	    sqlite3_prepare_v2(db, "SELECT function, file, line FROM frames WHERE ip = ? ORDER BY idx",
			       -1, &c->frames, NULL) ||
	    sqlite3_prepare_v2(db,
			       "SELECT path, bias FROM modules WHERE start < ?1 AND end >= ?1"
			       " ORDER BY id DESC LIMIT 1", -1, &c->module, NULL)) {
		cli_error("database: %s", sqlite3_errmsg(db));
		report_ctx_free(c);
		return NULL;
	}
	return c;
}

void report_ctx_free(struct report_ctx *c)
{
	if (!c)
		return;
	sqlite3_finalize(c->node);
	sqlite3_finalize(c->frames);
	sqlite3_finalize(c->module);
	free(c->site_frames);
	for (size_t i = 0; i < 4096; i++)
		while (c->buckets[i]) {
			struct ip_entry *e = c->buckets[i];
			c->buckets[i] = e->next;
			free(e->frames);
			free(e);
		}
	free(c);
}

static struct ip_entry *lookup_ip(struct report_ctx *c, uint64_t ip)
{
	size_t b = (size_t)((ip * 0x9E3779B97F4A7C15ull) >> 52);
	for (struct ip_entry *e = c->buckets[b]; e; e = e->next)
		if (e->ip == ip)
			return e;
	struct ip_entry *e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->ip = ip;
	size_t cap = 2; /* most addresses have one or two frames */
	e->frames = calloc(cap, sizeof(*e->frames));
	if (!e->frames) {
		free(e);
		return NULL;
	}
	char module[512] = "";
	uint64_t bias = 0;
	sqlite3_bind_int64(c->module, 1, (sqlite3_int64)ip);
	if (sqlite3_step(c->module) == SQLITE_ROW) {
		const char *p = (const char *)sqlite3_column_text(c->module, 0);
		snprintf(module, sizeof(module), "%s", p ? p : "");
		bias = (uint64_t)sqlite3_column_int64(c->module, 1);
	}
	sqlite3_reset(c->module);
	sqlite3_bind_int64(c->frames, 1, (sqlite3_int64)ip);
	while (e->n < MAX_INLINE && sqlite3_step(c->frames) == SQLITE_ROW) {
		const char *fn = (const char *)sqlite3_column_text(c->frames, 0);
		const char *file = (const char *)sqlite3_column_text(c->frames, 1);
		int line = sqlite3_column_int(c->frames, 2);
		if (!fn)
			continue;
		if (array_grow((void **)&e->frames, &cap, (size_t)e->n, sizeof(*e->frames)))
			break;
		struct report_frame *f = &e->frames[e->n];
		snprintf(f->function, sizeof(f->function), "%s", fn);
		snprintf(f->file, sizeof(f->file), "%s", file ? file : "");
		snprintf(f->module, sizeof(f->module), "%s", module);
		sym_frame_name(f->name, sizeof(f->name), fn, file, line > 0 ? (unsigned)line : 0, module);
		f->is_allocator = sym_is_allocator_frame(c->rules, fn, file, module);
		e->n++;
	}
	sqlite3_reset(c->frames);
	if (e->n == 0) { /* no symbol: module+offset, never a guess */
		struct report_frame *f = &e->frames[0];
		snprintf(f->module, sizeof(f->module), "%s", module);
		sym_unnamed_frame(f->name, sizeof(f->name), module, bias, ip);
		f->is_allocator = sym_is_allocator_unnamed(c->rules, f->name, module);
		e->n = 1;
	}
	e->next = c->buckets[b];
	c->buckets[b] = e;
	return e;
}

int report_stack(struct report_ctx *c, uint64_t stack, struct report_frame *frames, int max)
{
	int n = 0;
	for (int guard = 0; stack && n < max && guard < 1024; guard++) {
		sqlite3_bind_int64(c->node, 1, (sqlite3_int64)stack);
		if (sqlite3_step(c->node) != SQLITE_ROW) {
			sqlite3_reset(c->node);
			break;
		}
		uint64_t parent = (uint64_t)sqlite3_column_int64(c->node, 0);
		uint64_t ip = (uint64_t)sqlite3_column_int64(c->node, 1);
		sqlite3_reset(c->node);
		struct ip_entry *e = lookup_ip(c, ip);
		for (int i = 0; e && i < e->n && n < max; i++)
			frames[n++] = e->frames[i];
		stack = parent;
	}
	return n;
}

long report_frame_line(const struct report_frame *f)
{
	if (!f->file[0])
		return 0;
	const char *end = strrchr(f->name, ')'), *colon = strrchr(f->name, ':');
	return end && colon && colon < end ? strtol(colon + 1, NULL, 10) : 0;
}

int report_site_index(const struct report_frame *frames, int n)
{
	unsigned char is_alloc[SITE_MAX_FRAMES];
	int k = n < SITE_MAX_FRAMES ? n : SITE_MAX_FRAMES;
	for (int i = 0; i < k; i++)
		is_alloc[i] = (unsigned char)frames[i].is_allocator;
	return sym_site_index(is_alloc, k);
}

void report_site(struct report_ctx *c, uint64_t stack, char *buf)
{
	if (!c->site_frames)
		c->site_frames = calloc(SITE_MAX_FRAMES, sizeof(*c->site_frames));
	int n = c->site_frames ? report_stack(c, stack, c->site_frames, SITE_MAX_FRAMES) : 0;
	snprintf(buf, REPORT_NAME_MAX, "%s", n ? c->site_frames[report_site_index(c->site_frames, n)].name
					      : "(no stack)");
}

void report_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

int64_t report_meta_int(sqlite3 *db, const char *key)
{
	char *t = tracedb_meta_text(db, key);
	int64_t v = t ? strtoll(t, NULL, 10) : 0;
	free(t);
	return v;
}

void report_timeline(sqlite3 *db, uint64_t duration, int cols, double *level)
{
	unsigned char *seen = calloc((size_t)cols, 1);
	for (int k = 0; k < cols; k++)
		level[k] = 0;
	sqlite3_stmt *q;
	if (!seen || sqlite3_prepare_v2(db, "SELECT time, live_bytes FROM timeline", -1, &q, NULL)) {
		free(seen);
		return;
	}
	while (sqlite3_step(q) == SQLITE_ROW) {
		uint64_t t = (uint64_t)sqlite3_column_int64(q, 0);
		size_t k = duration ? (size_t)((double)t / (double)duration * (cols - 1)) : 0;
		if (k >= (size_t)cols)
			k = (size_t)cols - 1;
		double v = (double)sqlite3_column_int64(q, 1);
		if (!seen[k] || v > level[k])
			level[k] = v;
		seen[k] = 1;
	}
	sqlite3_finalize(q);
	/* no event in a column: the heap stayed as it was */
	for (int k = 1; k < cols; k++)
		if (!seen[k])
			level[k] = level[k - 1];
	free(seen);
}

/* A command line this long (a linker's, say) would bury the report's
 * first line: the header shows its start; the meta table's `cmdline`
 * keeps it whole. */
#define HEADER_CMD_MAX 120

/* The command line cmd (NULL: "?") as the header shows it, into buf
 * (HEADER_CMD_MAX + 1 bytes at least). */
static const char *header_cmd(const char *cmd, char *buf)
{
	if (!cmd)
		return "?";
	int len = (int)strlen(cmd);
	const char *more = "";
	if (len > HEADER_CMD_MAX) {
		len = HEADER_CMD_MAX - 3;
		while (len > 0 && ((unsigned char)cmd[len] & 0xC0) == 0x80)
			len--; /* not inside a UTF-8 character */
		more = "...";
	}
	snprintf(buf, HEADER_CMD_MAX + 1, "%.*s%s", len, cmd, more);
	return buf;
}

void report_header(sqlite3 *db, const char *report, const char *trace)
{
	/* an argument may hold a newline (sh -c 'a<newline>b'): the header
	 * stays one line */
	char *cmd = cli_one_line(tracedb_meta_text(db, "cmdline"));
	char *first = cli_one_line(tracedb_meta_text(db, "first_cmdline"));
	int64_t execs = report_meta_int(db, "execs");
	char a[HEADER_CMD_MAX + 1], b[HEADER_CMD_MAX + 1];
	printf("czprof %s: ", report);
	/* the process ran another program: both named, the first first */
	if (first && execs == 1)
		printf("%s, then exec'd %s", header_cmd(first, a), header_cmd(cmd, b));
	else if (first && execs > 1)
		printf("%s, then %lld execs, the last %s", header_cmd(first, a), (long long)execs,
		       header_cmd(cmd, b));
	else
		printf("%s", header_cmd(cmd, a));
	printf(" (pid %lld), trace %s\n", (long long)report_meta_int(db, "pid"), trace);
	free(cmd);
	free(first);
	char window[256];
	uint64_t w0, w1;
	if (report_window(db, window, sizeof(window), &w0, &w1))
		printf("%s\n", window);
	struct report_status st;
	report_status(db, &st);
	for (int i = 0; i < st.n; i++)
		printf("warning: %s\n", st.warning[i]);
}

void report_status(sqlite3 *db, struct report_status *st)
{
	memset(st, 0, sizeof(*st));
	st->complete = report_meta_int(db, "complete") != 0;
	char *cut = tracedb_meta_text(db, "cut_reason"), *how = tracedb_meta_text(db, "end_how");
	int64_t lost = report_meta_int(db, "lost_events");
	if (cut)
		snprintf(st->warning[st->n++], sizeof(st->warning[0]),
			 "the trace was cut at byte %lld (%s): figures cover what was recorded before",
			 (long long)report_meta_int(db, "truncated_at"), cut);
	else if (!report_meta_int(db, "has_footer"))
		snprintf(st->warning[st->n++], sizeof(st->warning[0]),
			 "the trace has no footer: the recording did not finish (the program or czprof record"
			 " was killed, or the program still runs); blocks live at its end count as leaks");
	char *lost_text = tracedb_meta_text(db, "lost_text"); /* says why (cli_lost_text) */
	if (lost > 0 && lost_text)
		snprintf(st->warning[st->n++], sizeof(st->warning[0]), "%s: figures miss them", lost_text);
	else if (lost > 0)
		snprintf(st->warning[st->n++], sizeof(st->warning[0]),
			 "%lld events were lost (the recorder could not write them): figures miss them",
			 (long long)lost);
	free(lost_text);
	if (how && !strcmp(how, "signal")) {
		int sig = (int)report_meta_int(db, "end_value");
		snprintf(st->warning[st->n++], sizeof(st->warning[0]),
			 "the program was killed by signal %d (%s)%s; blocks live then are listed as leaks", sig,
			 strsignal(sig),
			 report_meta_int(db, "recorder_end") ? ""
				 : " before the recorder could write its last events, which are missing");
	}
	int64_t mismatched = report_meta_int(db, "symbol_mismatches");
	char *symbols = tracedb_meta_text(db, "symbols");
	if (mismatched > 0 && st->n < REPORT_WARNINGS_MAX)
		snprintf(st->warning[st->n++], sizeof(st->warning[0]),
			 "the trace has no symbol table, and %lld of its modules on this machine are not the"
			 " recorded ones (another build-id): their frames show as addresses", (long long)mismatched);
	else if (symbols && !strcmp(symbols, "disk") && st->n < REPORT_WARNINGS_MAX)
		snprintf(st->warning[st->n++], sizeof(st->warning[0]),
			 "the trace has no symbol table: names come from its modules on this machine"
			 " (their build-ids match the recorded ones)");
	free(symbols);
	/* whatever the keys say, a warning means figures may miss something:
	 * only a complete trace says nothing */
	if (!st->complete && !st->n)
		snprintf(st->warning[st->n++], sizeof(st->warning[0]), "the trace is incomplete");
	free(cut);
	free(how);
}

int report_window(sqlite3 *db, char *buf, size_t cap, uint64_t *start_ns, uint64_t *end_ns)
{
	buf[0] = 0;
	if (report_meta_int(db, "attached") <= 0)
		return 0;
	*start_ns = (uint64_t)report_meta_int(db, "start_realtime_ns");
	*end_ns = *start_ns + (uint64_t)report_meta_int(db, "duration_ns");
	char from[16], to[16];
	time_t t0 = (time_t)(*start_ns / 1000000000u), t1 = (time_t)(*end_ns / 1000000000u);
	struct tm tm;
	strftime(from, sizeof(from), "%H:%M:%S", localtime_r(&t0, &tm));
	strftime(to, sizeof(to), "%H:%M:%S", localtime_r(&t1, &tm));
	double secs = (double)(*end_ns - *start_ns) / 1e9;
	snprintf(buf, cap, "recorded from %s to %s, %.*f s, attached: leaked means allocated in "
		 "the window and still live at its end", from, to, secs < 10 ? 1 : 0, secs);
	return 1;
}

void report_json_open(FILE *f, sqlite3 *db, const char *trace)
{
	fputs("{\"trace\": ", f);
	report_json_string(f, trace);
	fputs(", ", f);
	report_json_status(f, db);
}

void report_json_status(FILE *f, sqlite3 *db)
{
	struct report_status st;
	report_status(db, &st);
	fprintf(f, "\"complete\": %s, \"warnings\": [", st.complete ? "true" : "false");
	for (int i = 0; i < st.n; i++) {
		fputs(i ? ", " : "", f);
		report_json_string(f, st.warning[i]);
	}
	fputc(']', f);
	char window[256];
	uint64_t w0, w1;
	if (report_window(db, window, sizeof(window), &w0, &w1)) {
		fprintf(f, ", \"window\": {\"attached\": true, \"start_ns\": %llu, \"end_ns\": %llu, "
			"\"text\": ", (unsigned long long)w0, (unsigned long long)w1);
		report_json_string(f, window);
		fputc('}', f);
	}
}

int report_parse(int argc, char **argv, const char *usage, unsigned allowed,
		 report_extra_fn extra, void *ctx, struct report_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->limit = 20;
	o->depth = 8;
	const char *db = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage, stdout);
			return REPORT_ARGS_HELP;
		}
		int rc = extra ? extra(ctx, argc, argv, &i) : 0;
		if (rc < 0)
			return REPORT_ARGS_ERROR;
		if (rc > 0)
			continue;
		if (!strcmp(a, "--db") || !strncmp(a, "--db=", 5)) {
			/* every report reads a trace: every report takes it */
			db = a[4] == '=' ? a + 5 : i + 1 < argc ? argv[++i] : NULL;
			if (!db || !*db) {
				cli_error("%s: --db needs a file name", argv[0]);
				return REPORT_ARGS_ERROR;
			}
		} else if ((allowed & REPORT_OPT_JSON) && !strcmp(a, "--json")) {
			o->json = 1;
		} else if ((allowed & REPORT_OPT_SITES) &&
			   (!strcmp(a, "--alloc-fn") || !strncmp(a, "--alloc-fn=", 11))) {
			const char *name = a[10] == '=' ? a + 11 : i + 1 < argc ? argv[++i] : NULL;
			struct sym_site_rules *r = report_site_rules();
			if (!name || !*name) {
				cli_error("%s: --alloc-fn takes a function name or a pattern", argv[0]);
				return REPORT_ARGS_ERROR;
			}
			if (!r || sym_site_rules_add(r, name)) {
				cli_error("out of memory");
				return REPORT_ARGS_ERROR;
			}
		} else if ((allowed & REPORT_OPT_DEPTH) && !strcmp(a, "--full-stacks")) {
			o->full_stacks = 1;
		} else if (((allowed & REPORT_OPT_LIMIT) && (!strcmp(a, "-n") || !strcmp(a, "--limit"))) ||
			   ((allowed & REPORT_OPT_DEPTH) && !strcmp(a, "--depth"))) {
			char *end;
			long v = i + 1 < argc ? strtol(argv[i + 1], &end, 10) : -1;
			if (i + 1 >= argc || *end || v < 0 || v > 1000000) {
				cli_error("%s: %s takes a number", argv[0], a);
				return REPORT_ARGS_ERROR;
			}
			i++;
			if (!strcmp(a, "--depth"))
				o->depth = (int)v;
			else
				o->limit = (int)v;
		} else if (a[0] == '-' && a[1]) {
			cli_error("%s: unknown option '%s' (see 'czprof %s --help')", argv[0], a, argv[0]);
			return REPORT_ARGS_ERROR;
		} else if (!o->trace) {
			o->trace = a;
		} else {
			cli_error("%s: unexpected argument '%s'", argv[0], a);
			return REPORT_ARGS_ERROR;
		}
	}
	if (!o->trace) {
		fputs(usage, stderr);
		return REPORT_ARGS_ERROR;
	}
	if (db)
		dbpath_choose(o->trace, db);
	return REPORT_ARGS_OK;
}

int site_table_add(struct site_table *t, const char *name, uint64_t count, uint64_t bytes)
{
	size_t k;
	for (k = 0; k < t->n && strcmp(t->v[k].name, name); k++)
		;
	if (k == t->n) {
		if (array_grow((void **)&t->v, &t->cap, t->n, sizeof(*t->v)))
			return -1;
		memset(&t->v[k], 0, sizeof(*t->v));
		snprintf(t->v[k].name, sizeof(t->v[k].name), "%s", name);
		t->n++;
	}
	t->v[k].count += count;
	t->v[k].bytes += bytes;
	return 0;
}

static int cmp_bytes(const void *a, const void *b)
{
	const struct site_sum *x = a, *y = b;
	if (x->bytes != y->bytes)
		return x->bytes < y->bytes ? 1 : -1;
	return strcmp(x->name, y->name);
}

static int cmp_count(const void *a, const void *b)
{
	const struct site_sum *x = a, *y = b;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return strcmp(x->name, y->name);
}

void site_table_sort(struct site_table *t, int by_bytes)
{
	if (t->n)
		qsort(t->v, t->n, sizeof(*t->v), by_bytes ? cmp_bytes : cmp_count);
}

void site_table_json(const struct site_table *t, size_t n, const char *count_key, int by_bytes)
{
	printf("[");
	for (size_t k = 0; k < n; k++) {
		unsigned long long count = t->v[k].count, bytes = t->v[k].bytes;
		printf(k ? ", {\"site\": " : "{\"site\": ");
		report_json_string(stdout, t->v[k].name);
		if (by_bytes)
			printf(", \"bytes\": %llu, \"%s\": %llu}", bytes, count_key, count);
		else
			printf(", \"%s\": %llu, \"bytes\": %llu}", count_key, count, bytes);
	}
	printf("]");
}
