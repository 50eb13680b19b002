/*
 * cmd_leaks.c - `czprof leaks`: blocks lost when the program ended, as
 * memcheck classifies them (cli/leak_kinds.h), grouped by kind and by the
 * call site that allocated them, biggest first, with the distinct stacks
 * under each site.  Known one-time allocations of libc and libstdc++ and
 * the user's suppressions are listed separately as suppressed, never
 * dropped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/by_allocator.h"
#include "cli/leak_kinds.h"
#include "cli/render/sarif.h"
#include "cli/report.h"
#include "cli/suppress.h"
#include "cli/tracedb.h"
#include "cli/util.h"
#include "lib/base/grow.h"

static const char usage[] =
	"usage: czprof leaks [OPTIONS] TRACE\n\n"
	"Blocks lost when the program ended, grouped by the call site that allocated\n"
	"them (the first frame outside the allocator), biggest first.  As memcheck\n"
	"does, from a scan of the program's memory at exit: definitely lost (no\n"
	"pointer to the block is left), indirectly lost (only lost blocks point to\n"
	"it), possibly lost (only pointers into its middle), still reachable.\n\n"
	"  --kinds LIST           kinds listed: definite,indirect,possible,reachable\n"
	"                         or all (default definite,indirect, as LeakSanitizer)\n"
	"  --json                 machine-readable output\n"
	"  -n, --limit N          show at most N sites (default 20; 0 = all)\n"
	"  --depth N              frames shown per stack (default 8)\n"
	"  --full-stacks          show every distinct stack of a site, not only the biggest\n"
	"  --suppressions FILE    LeakSanitizer-style file: 'leak:PATTERN' lines ('*' any\n"
	"                         run, '^'/'$' anchors); a leak is suppressed when a\n"
	"                         frame's function, file or module\n"
	"                         matches PATTERN (repeatable)\n"
	"  --no-default-suppressions   do not suppress libc's and libstdc++'s one-time\n"
	"                         allocations (stdio buffers, the exception pool)\n"
	"  --fail                 exit 1 when unsuppressed blocks definitely or\n"
	"                         indirectly lost remain, or when the trace is\n"
	"                         incomplete (cut, events lost, killed) (for CI);\n"
	"                         without a scan (a killed program), any block\n"
	"                         never freed\n"
	"  --by allocator         libczalloc blocks never freed, by allocator (arenas\n"
	"                         never destroyed, pools never cleared, a debug\n"
	"                         allocator's leaks), allocators made at one place\n"
	"                         in one row, with where their blocks were allocated\n"
	"  --each                 with --by allocator: one row per allocator\n"
	"  --format sarif         SARIF 2.1.0 for code-scanning views: one result per\n"
	"                         leaking site, at its file and line, with its stack\n" REPORT_USAGE_ALLOC_FN REPORT_USAGE_DB;

/* One-time allocations of the C and C++ runtimes, never freed by design. */
static const char *builtin_suppressions[] = {
	"_IO_file_doallocate", /* stdio buffers */
	"pool::pool",          /* libstdc++'s emergency exception pool */
	"_dl_",                /* the dynamic loader's own data */
	"__libc_setlocale",
	"__gconv_open",
	NULL,
};

struct stack_leak {
	uint64_t stack, bytes, blocks, indirect;
	enum lk_kind kind;
};

struct site {
	char name[REPORT_NAME_MAX];
	enum lk_kind kind;
	uint64_t bytes, blocks, indirect;
	struct stack_leak *stacks;
	size_t n_stacks, cap_stacks;
	const char *suppressed_by; /* pattern, or NULL */
};

/* The first pattern matching any frame of the stack, or NULL. */
static const char *suppressed(struct report_ctx *c, uint64_t stack, const struct suppressions *user,
			      int builtin)
{
	struct report_frame fr[64];
	int n = report_stack(c, stack, fr, 64);
	for (int i = 0; i < n; i++) {
		for (size_t k = 0; k < user->n; k++)
			if ((fr[i].function[0] && suppression_match(user->pattern[k], fr[i].function)) ||
			    (fr[i].file[0] && suppression_match(user->pattern[k], fr[i].file)) ||
			    (fr[i].module[0] && suppression_match(user->pattern[k], fr[i].module)))
				return user->pattern[k];
		for (int k = 0; builtin && builtin_suppressions[k]; k++)
			if (fr[i].function[0] && strstr(fr[i].function, builtin_suppressions[k]))
				return builtin_suppressions[k];
	}
	return NULL;
}

static int by_bytes(const void *a, const void *b)
{
	const struct site *x = a, *y = b;
	if (x->bytes + x->indirect != y->bytes + y->indirect)
		return x->bytes + x->indirect < y->bytes + y->indirect ? 1 : -1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int stack_by_bytes(const void *a, const void *b)
{
	const struct stack_leak *x = a, *y = b;
	return x->bytes < y->bytes ? 1 : x->bytes > y->bytes ? -1 : (x->stack > y->stack) - (x->stack < y->stack);
}

static void print_stack_text(struct report_ctx *c, const struct stack_leak *s, int depth)
{
	struct report_frame fr[256];
	int n = report_stack(c, s->stack, fr, depth < 256 ? depth : 256);
	char size[32];
	printf("      %s in %llu block%s:\n", cli_human_size(s->bytes, size), (unsigned long long)s->blocks,
	       s->blocks == 1 ? "" : "s");
	for (int i = 0; i < n; i++)
		printf("        #%-2d %s\n", i, fr[i].name);
}

static void print_stack_json(struct report_ctx *c, const struct stack_leak *s, int depth)
{
	struct report_frame fr[256];
	int n = report_stack(c, s->stack, fr, depth < 256 ? depth : 256);
	printf("{\"kind\": \"%s\", \"bytes\": %llu, \"blocks\": %llu, \"indirect_bytes\": %llu, \"frames\": [",
	       lk_kind_name(s->kind), (unsigned long long)s->bytes, (unsigned long long)s->blocks,
	       (unsigned long long)s->indirect);
	for (int i = 0; i < n; i++) {
		printf(i ? ", " : "");
		report_json_string(stdout, fr[i].name);
	}
	printf("]}");
}

struct leaks_args {
	int fail, builtin, sarif, by_allocator, each;
	unsigned kinds; /* 1 << enum lk_kind */
	struct suppressions user;
};

static int leaks_option(void *ctx, int argc, char **argv, int *i)
{
	struct leaks_args *a = ctx;
	const char *arg = argv[*i];
	if (!strcmp(arg, "--fail"))
		a->fail = 1;
	else if (!strcmp(arg, "--kinds")) {
		if (++*i == argc)
			return cli_error("leaks: --kinds needs a list: definite,indirect,possible,reachable or all");
		if (leak_kinds_parse(argv[*i], &a->kinds))
			return -1;
	}
	else if (!strcmp(arg, "--by")) {
		if (++*i == argc || strcmp(argv[*i], "allocator"))
			return cli_error("leaks: --by takes allocator (sites are the default)");
		a->by_allocator = 1;
	} else if (!strcmp(arg, "--each"))
		a->each = 1; else if (!strcmp(arg, "--format")) {
		if (++*i == argc || strcmp(argv[*i], "sarif"))
			return cli_error("leaks: --format takes sarif (--json gives czprof's own JSON)");
		a->sarif = 1;
	}
	else if (!strcmp(arg, "--no-default-suppressions"))
		a->builtin = 0;
	else if (!strcmp(arg, "--suppressions")) {
		if (++*i == argc)
			return cli_error("leaks: --suppressions needs a file");
		if (suppressions_load(&a->user, argv[*i]))
			return -1;
	} else
		return 0;
	return 1;
}

int cmd_leaks(int argc, char **argv)
{
	struct leaks_args la = { .builtin = 1, .kinds = LEAK_KINDS_LOST };
	struct report_opts o;
	int pr = report_parse(argc, argv, usage, REPORT_OPT_JSON | REPORT_OPT_LIMIT | REPORT_OPT_DEPTH | REPORT_OPT_SITES,
			      leaks_option, &la, &o);
	if (pr) {
		suppressions_free(&la.user);
		return pr == REPORT_ARGS_HELP ? 0 : 2;
	}
	const char *trace = o.trace;
	int json = o.json, limit = o.limit, depth = o.depth, full = o.full_stacks;
	int fail = la.fail, builtin = la.builtin, ret = 1;
	struct suppressions user = la.user;
	sqlite3 *db = tracedb_open(trace);
	if (!db)
		return 1;
	if (la.by_allocator) {
		suppressions_free(&user);
		int st = by_allocator_report(db, "leaks", trace, BY_ALLOC_AT_EXIT, json, limit, la.each);
		sqlite3_close(db);
		return st;
	}
	struct report_ctx *c = report_ctx_new(db);
	struct site *sites = NULL;
	size_t n_sites = 0, cap_sites = 0;
	sqlite3_stmt *q = NULL;
	struct leak_kinds lk;
	leak_kinds_read(db, &lk);
	if (!c || sqlite3_prepare_v2(db,
				     "SELECT stack, SUM(size), COUNT(*), SUM(COALESCE(indirect_bytes, 0)),"
				     " COALESCE(kind, 'unknown') FROM leaks GROUP BY stack, kind", -1,
				     &q, NULL)) {
		cli_error("database: %s", sqlite3_errmsg(db));
		goto out;
	}
	while (sqlite3_step(q) == SQLITE_ROW) {
		struct stack_leak s = { (uint64_t)sqlite3_column_int64(q, 0),
					(uint64_t)sqlite3_column_int64(q, 1),
					(uint64_t)sqlite3_column_int64(q, 2),
					(uint64_t)sqlite3_column_int64(q, 3),
					lk_kind_parse((const char *)sqlite3_column_text(q, 4)) };
		/* without a scan every block never freed is listed */
		if (lk.known && !(la.kinds & (1u << s.kind)))
			continue;
		char name[REPORT_NAME_MAX];
		report_site(c, s.stack, name);
		const char *sup = suppressed(c, s.stack, &user, builtin);
		struct site *st = NULL;
		for (size_t k = 0; k < n_sites; k++)
			if (!strcmp(sites[k].name, name) && sites[k].kind == s.kind &&
			    sites[k].suppressed_by == sup) {
				st = &sites[k];
				break;
			}
		if (!st) {
			if (array_grow((void **)&sites, &cap_sites, n_sites, sizeof(*sites)))
				goto out;
			st = &sites[n_sites++];
			memset(st, 0, sizeof(*st));
			snprintf(st->name, sizeof(st->name), "%s", name);
			st->kind = s.kind;
			st->suppressed_by = sup;
		}
		if (array_grow((void **)&st->stacks, &st->cap_stacks, st->n_stacks, sizeof(*st->stacks)))
			goto out;
		st->stacks[st->n_stacks++] = s;
		st->bytes += s.bytes;
		st->blocks += s.blocks;
		st->indirect += s.indirect;
	}
	if (n_sites)
		qsort(sites, n_sites, sizeof(*sites), by_bytes);
	uint64_t bytes = 0, blocks = 0, sup_bytes = 0, sup_blocks = 0, failing = 0;
	size_t n_real = 0, n_sup = 0;
	for (size_t k = 0; k < n_sites; k++) {
		qsort(sites[k].stacks, sites[k].n_stacks, sizeof(struct stack_leak), stack_by_bytes);
		if (sites[k].suppressed_by) {
			sup_bytes += sites[k].bytes;
			sup_blocks += sites[k].blocks;
			n_sup++;
		} else {
			bytes += sites[k].bytes;
			blocks += sites[k].blocks;
			if (!lk.known || (LEAK_KINDS_LOST & (1u << sites[k].kind)))
				failing += sites[k].blocks;
			n_real++;
		}
	}

	if (la.sarif) {
		struct sarif_leak *v = calloc(n_real ? n_real : 1, sizeof(*v));
		size_t k2 = 0;
		for (size_t k = 0; v && k < n_sites; k++)
			if (!sites[k].suppressed_by && (!limit || k2 < (size_t)limit))
				v[k2++] = (struct sarif_leak){ sites[k].stacks[0].stack, sites[k].bytes,
							       sites[k].blocks, (int)sites[k].n_stacks };
		if (!v)
			goto out;
		sarif_leaks(stdout, c, trace, v, k2, depth);
		free(v);
	} else if (json) {
		report_json_open(stdout, db, trace);
		printf(", ");
		leak_kinds_json(stdout, &lk);
		printf(", \"listed\": [");
		for (int k = LK_DEFINITE, n = 0; k <= LK_REACHABLE; k++)
			if (lk.known ? (la.kinds & (1u << k)) : k == LK_DEFINITE)
				printf("%s\"%s\"", n++ ? ", " : "", lk.known ? lk_kind_name((enum lk_kind)k) : "unknown");
		printf("], \"leaked_bytes\": %llu, \"leaked_blocks\": %llu, \"sites\": [",
		       (unsigned long long)bytes, (unsigned long long)blocks);
		for (int pass = 0; pass < 2; pass++) {
			if (pass)
				printf("], \"suppressed_bytes\": %llu, \"suppressed_blocks\": %llu, \"suppressed\": [",
				       (unsigned long long)sup_bytes, (unsigned long long)sup_blocks);
			size_t shown = 0;
			for (size_t k = 0; k < n_sites; k++) {
				struct site *s = &sites[k];
				if (!s->suppressed_by != !pass || (limit && shown >= (size_t)limit))
					continue;
				printf(shown++ ? ", " : "");
				printf("{\"site\": ");
				report_json_string(stdout, s->name);
				printf(", \"kind\": \"%s\", \"bytes\": %llu, \"blocks\": %llu, \"indirect_bytes\": %llu, "
				       "\"n_stacks\": %zu, ", lk_kind_name(s->kind), (unsigned long long)s->bytes,
				       (unsigned long long)s->blocks, (unsigned long long)s->indirect, s->n_stacks);
				if (pass) {
					printf("\"suppressed_by\": ");
					report_json_string(stdout, s->suppressed_by);
					printf(", ");
				}
				printf("\"stacks\": [");
				/* JSON is for machines: every stack, always */
				for (size_t j = 0; j < s->n_stacks; j++) {
					printf(j ? ", " : "");
					print_stack_json(c, &s->stacks[j], depth);
				}
				printf("]}");
			}
		}
		printf("]}\n");
	} else {
		report_header(db, "leaks", trace);
		char size[32], ind[32];
		if (n_real) {
			printf("\n%12s %8s  %-9s  %s\n", "BYTES", "BLOCKS", "KIND", "ALLOCATED AT");
			size_t shown = 0;
			for (size_t k = 0; k < n_sites; k++) {
				struct site *s = &sites[k];
				if (s->suppressed_by || (limit && shown >= (size_t)limit))
					continue;
				shown++;
				printf("%12s %8llu  %-9s  %s", cli_human_size(s->bytes, size),
				       (unsigned long long)s->blocks, lk.known ? lk_kind_name(s->kind) : "-", s->name);
				if (s->indirect)
					printf("  (+%s indirect)", cli_human_size(s->indirect, ind));
				printf("\n");
				for (size_t j = 0; j < s->n_stacks && (full || j < 1); j++)
					print_stack_text(c, &s->stacks[j], depth);
				if (!full && s->n_stacks > 1)
					printf("      (%zu more stacks; --full-stacks shows them)\n", s->n_stacks - 1);
			}
			if (shown < n_real)
				printf("  ... %zu more sites (-n 0 shows all)\n", n_real - shown);
		}
		printf("\n");
		leak_kinds_print(stdout, &lk);
		printf("%s in %llu block%s %s from %zu site%s\n", cli_human_size(bytes, size),
		       (unsigned long long)blocks, blocks == 1 ? "" : "s",
		       !lk.known || la.kinds == LEAK_KINDS_LOST ? "leaked" : "listed", n_real,
		       n_real == 1 ? "" : "s");
		if (n_sup) {
			printf("suppressed: %s in %llu block%s from %zu site%s\n",
			       cli_human_size(sup_bytes, size), (unsigned long long)sup_blocks,
			       sup_blocks == 1 ? "" : "s", n_sup, n_sup == 1 ? "" : "s");
			for (size_t k = 0; k < n_sites; k++)
				if (sites[k].suppressed_by)
					printf("%12s %8llu  %s  [%s]\n", cli_human_size(sites[k].bytes, size),
					       (unsigned long long)sites[k].blocks, sites[k].name,
					       sites[k].suppressed_by);
		}
	}
	/* an incomplete trace cannot vouch for "no leaks" (its warnings are
	 * at the top of the report) */
	struct report_status status;
	report_status(db, &status);
	if (fail && !status.complete)
		cli_error("leaks: --fail: the trace is incomplete: %s", status.n ? status.warning[0] : "?");
	ret = fail && (failing || !status.complete) ? 1 : 0;
out:
	for (size_t k = 0; k < n_sites; k++)
		free(sites[k].stacks);
	free(sites);
	suppressions_free(&user);
	sqlite3_finalize(q);
	report_ctx_free(c);
	sqlite3_close(db);
	return ret;
}
