/*
 * cmd_faults.c - `czprof faults`: makes each allocation call site of a
 * program fail in turn and reports what the program did about it.  A
 * reference run under the recorder lists the allocation calls and their
 * call sites; then one run per site (or per call, --every) fails one call
 * (faults_run.c runs and judges each, in parallel worker processes), and
 * the report gives each site its worst outcome.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/faults.h"
#include "cli/runprog.h"
#include "lib/base/strmap.h"
#include "cli/suppress.h"
#include "cli/tracedb.h"
#include "cli/util.h"
#include "lib/analysis/idmap.h"

static const char usage[] =
	"usage: czprof faults [OPTIONS] [--] PROG [ARGS...]\n\n"
	"Runs PROG once under the recorder, then once per allocation call site with\n"
	"that site's first allocation made to fail (NULL with errno ENOMEM; operator\n"
	"new then throws std::bad_alloc), and says what PROG did about each:\n"
	"  crashed           killed by a signal (an unchecked result, an uncaught bad_alloc)\n"
	"  hung              still running after --timeout\n"
	"  leaked            blocks lost (definitely or indirectly) that the reference\n"
	"                    run did not lose: a leak on the error path\n"
	"  swallowed         the reference run's exit status, without an error message:\n"
	"                    the failure went unnoticed (output compared as --compare says)\n"
	"  handled           another exit status, or an error message on stderr\n"
	"  not reproducible  the calls before the failing one differ from the reference\n"
	"                    run's (threads, time): the run says nothing\n"
	"Sites are listed worst first, one line each.\n\n"
	"  --every              fail every allocation call in turn, not each site's first\n"
	"  --sites N            at most N call sites, spread over the run\n"
	"  --from               sticky: every call from the chosen one on fails\n"
	"  -j, --jobs N         runs at once (default: the number of processors)\n"
	"  --timeout SECONDS    a run that takes longer is killed: hung (default 10)\n"
	"  --stdin FILE         every run reads FILE (default: nothing, /dev/null)\n"
	"  --compare WHAT       what an exit-0 run must print to count as the same:\n"
	"                       stdout (default), output (stdout and stderr), none\n"
	"  --error-pattern RE   stderr lines that report an error (extended regex, any\n"
	"                       case; default 'memory|alloc|error|fail')\n"
	"  --suppressions FILE  call sites not to fail ('leak:PATTERN' lines, as\n"
	"                       'czprof leaks' reads them): xmalloc that aborts by design\n"
	"  --json               machine-readable output\n"
	"  --fail               exit 1 when a site crashed, hung or leaked\n";

struct site {
	char name[REPORT_NAME_MAX];
	char fn[16], file[512];
	long line;
	uint64_t first_k, stack;
	size_t index;           /* in the order of first allocation */
	int suppressed, runs, counts[FO_N];
	int worst;              /* enum fault_outcome, FO_N before any run */
	uint64_t worst_k;
	struct fault_result res; /* the worst run's */
};

struct run {
	uint64_t k;
	size_t site;
	int outcome, exit_code, signal;
	pid_t worker;
};

struct faults {
	struct fault_ref ref;
	struct site *sites;
	size_t n_sites, cap_sites;
	size_t *site_of;        /* [1..n_calls]: the site of call k */
	struct run *runs;
	size_t n_runs;
	int every, from, max_sites, jobs, json, fail;
	struct suppressions supp;
};

static int parse_int(const char *v, long lo, long hi, long *out)
{
	char *end;
	long n = v ? strtol(v, &end, 10) : 0;
	if (!v || !*v || *end || n < lo || n > hi)
		return -1;
	*out = n;
	return 0;
}

/* Options up to PROG; returns the index of PROG, or -1 (printed; *rc set). */
static int parse_args(struct faults *F, int argc, char **argv, int *rc)
{
	long v;
	int i;
	*rc = 2;
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--")) {
			i++;
			break;
		} else if (cli_is_help(a)) {
			fputs(usage, stdout);
			*rc = 0;
			return -1;
		} else if (!strcmp(a, "--every")) {
			F->every = 1;
		} else if (!strcmp(a, "--from")) {
			F->from = 1;
		} else if (!strcmp(a, "--json")) {
			F->json = 1;
		} else if (!strcmp(a, "--fail")) {
			F->fail = 1;
		} else if (!strcmp(a, "--sites")) {
			if (parse_int(val, 1, 1000000, &v))
				return cli_error("faults: --sites takes a number of sites");
			F->max_sites = (int)v, i++;
		} else if (!strcmp(a, "-j") || !strcmp(a, "--jobs") || !strncmp(a, "-j", 2)) {
			int glued = a[2] && a[1] == 'j'; /* -j4 */
			if (parse_int(glued ? a + 2 : val, 1, 1024, &v))
				return cli_error("faults: -j takes a number from 1 to 1024");
			F->jobs = (int)v, i += !glued;
		} else if (!strcmp(a, "--timeout")) {
			char *end;
			double s = val ? strtod(val, &end) : 0;
			if (!val || *end || !(s > 0 && s <= 86400))
				return cli_error("faults: --timeout takes seconds (0.5, 10...)");
			F->ref.timeout_ms = (int)(s * 1000), i++;
		} else if (!strcmp(a, "--stdin")) {
			if (!val || access(val, R_OK))
				return cli_error("faults: --stdin needs a readable file");
			F->ref.stdin_path = val, i++;
		} else if (!strcmp(a, "--compare")) {
			static const char *const what[] = { [FC_STDOUT] = "stdout", [FC_OUTPUT] = "output",
							    [FC_NONE] = "none" };
			int found = -1;
			for (int k = 0; k < 3 && val; k++)
				if (!strcmp(val, what[k]))
					found = k;
			if (found < 0)
				return cli_error("faults: --compare takes stdout, output or none");
			F->ref.compare = found, i++;
		} else if (!strcmp(a, "--error-pattern")) {
			if (!val)
				return cli_error("faults: --error-pattern needs a regular expression");
			F->ref.error_pattern = val, i++;
		} else if (!strcmp(a, "--suppressions")) {
			if (!val || suppressions_load(&F->supp, val))
				return val ? -1 : cli_error("faults: --suppressions needs a file");
			i++;
		} else {
			return cli_error("faults: unknown option '%s' (see 'czprof faults --help')", a);
		}
	}
	if (i == argc) {
		fputs(usage, stderr);
		return -1;
	}
	*rc = 1;
	return i;
}

static int suppressed(const struct suppressions *s, const struct report_frame *fr, int n)
{
	for (size_t k = 0; k < s->n; k++)
		for (int i = 0; i < n; i++)
			if ((fr[i].function[0] && suppression_match(s->pattern[k], fr[i].function)) ||
			    (fr[i].file[0] && suppression_match(s->pattern[k], fr[i].file)) ||
			    (fr[i].module[0] && suppression_match(s->pattern[k], fr[i].module)))
				return 1;
	return 0;
}

/* A new site for call k from stack: its name, and its frame's file and line. */
static int add_site(struct faults *F, struct report_ctx *c, uint64_t k, uint64_t stack, const char *fn,
		    const char *name)
{
	if (array_reserve((void **)&F->sites, &F->cap_sites, F->n_sites, sizeof(struct site)))
		return -1;
	struct site *s = &F->sites[F->n_sites++];
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	snprintf(s->fn, sizeof(s->fn), "%s", fn);
	s->first_k = k;
	s->stack = stack;
	s->index = F->n_sites - 1;
	s->worst = FO_N;
	struct report_frame fr[32];
	int n = report_stack(c, stack, fr, 32);
	for (int i = 0; i < n; i++)
		if (!fr[i].is_allocator) {
			snprintf(s->file, sizeof(s->file), "%s", fr[i].file);
			s->line = report_frame_line(&fr[i]);
			break;
		}
	s->suppressed = suppressed(&F->supp, fr, n);
	return 0;
}

/* The reference run's calls (call k = row k of allocations), their sites,
 * and the blocks it lost. */
static int read_reference(struct faults *F, sqlite3 *db)
{
	struct report_ctx *c = report_ctx_new(db);
	if (!c)
		return -1;
	struct idmap by_stack = { 0 };
	struct strmap by_name = { 0 };
	size_t *of_name = NULL, cap_names = 0; /* name index -> site */
	int rc = -1;
	F->ref.n_calls = (uint64_t)report_meta_int(db, "allocations");
	F->ref.stack = calloc(F->ref.n_calls + 2, sizeof(uint64_t));
	F->site_of = calloc(F->ref.n_calls + 2, sizeof(size_t));
	sqlite3_stmt *s = NULL;
	struct stack_keys keys = { 0 };
	if (!F->ref.stack || !F->site_of || stack_keys_load(db, &keys) ||
	    sqlite3_prepare_v2(db, "SELECT stack, fn FROM allocations ORDER BY id", -1, &s, NULL))
		goto out;
	uint64_t k = 0;
	char name[REPORT_NAME_MAX];
	while (sqlite3_step(s) == SQLITE_ROW && k < F->ref.n_calls) {
		uint64_t stack = (uint64_t)sqlite3_column_int64(s, 0);
		F->ref.stack[++k] = stack_keys_get(&keys, stack);
		long site = idmap_get(&by_stack, stack);
		if (site < 0) {
			report_site(c, stack, name);
			long ni = strmap_intern(&by_name, name);
			if (ni < 0 || array_reserve((void **)&of_name, &cap_names, (size_t)ni, sizeof(size_t)))
				goto out;
			if (!of_name[ni]) { /* a new name: a new site */
				const char *fn = (const char *)sqlite3_column_text(s, 1);
				if (add_site(F, c, k, stack, fn ? fn : "?", name))
					goto out;
				of_name[ni] = F->n_sites; /* + 1: 0 is "none yet" */
			}
			site = (long)of_name[ni] - 1;
			if (idmap_put(&by_stack, stack, (uint32_t)site))
				goto out;
		}
		F->site_of[k] = (size_t)site;
	}
	F->ref.n_calls = k;
	rc = fault_lost_sites(db, c, &F->ref.lost);
out:
	if (rc)
		cli_error("faults: cannot read the reference run's database");
	sqlite3_finalize(s);
	stack_keys_free(&keys);
	idmap_clear(&by_stack);
	strmap_free(&by_name);
	free(of_name);
	report_ctx_free(c);
	return rc;
}

static int add_run(struct faults *F, uint64_t k, size_t *cap)
{
	if (array_reserve((void **)&F->runs, cap, F->n_runs, sizeof(struct run)))
		return -1;
	F->runs[F->n_runs++] = (struct run){ .k = k, .site = F->site_of[k], .outcome = FO_N };
	return 0;
}

/* One run per site (its first call), per call with --every; --sites N
 * keeps N sites spread evenly over the order they first allocate in. */
static int plan(struct faults *F)
{
	size_t cap = 0, live = 0;
	for (size_t i = 0; i < F->n_sites; i++)
		live += !F->sites[i].suppressed;
	size_t step_num = F->max_sites && (size_t)F->max_sites < live ? live : 0, seen = 0;
	char *chosen = calloc(F->n_sites + 1, 1);
	if (!chosen)
		return -1;
	for (size_t i = 0; i < F->n_sites; i++) {
		if (F->sites[i].suppressed)
			continue;
		/* site number seen of live is chosen when it starts a new 1/N-th */
		chosen[i] = !step_num || (seen * (size_t)F->max_sites) / live !=
						 ((seen + 1) * (size_t)F->max_sites) / live;
		seen++;
	}
	int rc = 0;
	for (uint64_t k = 1; k <= F->ref.n_calls && !rc; k++) {
		struct site *s = &F->sites[F->site_of[k]];
		if (chosen[F->site_of[k]] && (F->every || s->first_k == k))
			rc = add_run(F, k, &cap);
	}
	free(chosen);
	return rc;
}

/* ---- running: a worker process per run, at most jobs at once ---- */

static volatile sig_atomic_t stopped; /* ^C or a kill: the signal */

static void on_stop(int sig)
{
	stopped = sig;
}

static pid_t start_worker(struct faults *F, size_t r)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	/* a worker dies with czprof, and its run with it (faults_run.c) */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	char path[PATH_MAX];
	unsigned id = (unsigned)r + 1;
	fault_path(&F->ref, id, "log", path);
	if (!freopen(path, "w", stderr))
		_exit(2);
	struct fault_result res;
	if (fault_run(&F->ref, id, F->runs[r].k, F->from, &res))
		_exit(1);
	fault_path(&F->ref, id, "res", path);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(&res, sizeof(res), 1, f) != 1 || fclose(f))
		_exit(1);
	_exit(0);
}

/* Reads a finished worker's result into its run and site. */
static void collect(struct faults *F, size_t r, int status)
{
	struct run *run = &F->runs[r];
	struct fault_result res;
	char path[PATH_MAX];
	unsigned id = (unsigned)r + 1;
	fault_path(&F->ref, id, "res", path);
	FILE *f = fopen(path, "rb");
	if (!f || fread(&res, sizeof(res), 1, f) != 1 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		/* the run's trace could not be read: its log says why */
		memset(&res, 0, sizeof(res));
		res.outcome = FO_UNREPRODUCIBLE;
		res.exit_code = res.signal = -1;
		char log[PATH_MAX];
		fault_path(&F->ref, id, "log", log);
		FILE *l = fopen(log, "r");
		char line[200] = "";
		if (l && fgets(line, sizeof(line), l))
			line[strcspn(line, "\n")] = 0;
		if (l)
			fclose(l);
		snprintf(res.detail, sizeof(res.detail), "the run could not be read: %s", line);
	}
	if (f)
		fclose(f);
	unlink(path);
	fault_path(&F->ref, id, "log", path);
	unlink(path);
	run->outcome = res.outcome;
	run->exit_code = res.exit_code;
	run->signal = res.signal;
	struct site *s = &F->sites[run->site];
	s->runs++;
	s->counts[res.outcome]++;
	/* the worst run, the earliest call among equals: the same report
	 * whatever order parallel runs end in */
	if (res.outcome < s->worst || (res.outcome == s->worst && run->k < s->worst_k)) {
		s->worst = res.outcome;
		s->worst_k = run->k;
		s->res = res;
	}
}

static int run_all(struct faults *F)
{
	size_t next = 0, done = 0, active = 0;
	int progress = isatty(2) && !F->json;
	while (done < F->n_runs && !stopped) {
		while (active < (size_t)F->jobs && next < F->n_runs) {
			pid_t pid = start_worker(F, next);
			if (pid < 0)
				return cli_error("fork: %s", strerror(errno));
			F->runs[next++].worker = pid;
			active++;
		}
		int status;
		pid_t pid = wait(&status);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			return cli_error("wait: %s", strerror(errno));
		}
		for (size_t r = 0; r < next; r++)
			if (F->runs[r].worker == pid) {
				F->runs[r].worker = 0;
				collect(F, r, status);
				active--;
				done++;
				break;
			}
		if (progress)
			fprintf(stderr, "\rczprof faults: %zu/%zu runs", done, F->n_runs);
	}
	if (progress)
		fprintf(stderr, "\r\033[K");
	if (stopped) { /* the workers take their runs with them */
		for (size_t r = 0; r < next; r++)
			if (F->runs[r].worker > 0)
				kill(F->runs[r].worker, SIGKILL);
		while (wait(NULL) > 0 || errno == EINTR)
			;
		return cli_error("faults: stopped by signal %d after %zu of %zu runs", (int)stopped, done, F->n_runs);
	}
	return 0;
}

/* ---- the report ---- */

static int by_worst(const void *a, const void *b)
{
	const struct site *x = a, *y = b;
	if (x->worst != y->worst)
		return x->worst < y->worst ? -1 : 1;
	return strcmp(x->name, y->name);
}

static const char *verdict(const struct site *s)
{
	if (s->worst == FO_CRASHED) /* a bad address: the result was used unchecked */
		return s->res.signal == SIGSEGV || s->res.signal == SIGBUS ? "unchecked" : "crashes";
	static const char *const v[FO_N + 1] = {
		[FO_HUNG] = "hangs", [FO_LEAKED] = "leaks on its error path",
		[FO_SWALLOWED] = "swallowed", [FO_UNREPRODUCIBLE] = "not reproducible",
		[FO_HANDLED] = "handled", [FO_N] = "not run",
	};
	return v[s->worst];
}

/* "malloc at FILE:LINE" or "malloc in SITE" when the site has no line. */
static void site_label(const struct site *s, char *buf, size_t cap)
{
	if (s->file[0] && s->line)
		snprintf(buf, cap, "%s at %s:%ld", s->fn, s->file, s->line);
	else
		snprintf(buf, cap, "%s in %.900s", s->fn, s->name);
}

static void print_text(struct faults *F, double secs)
{
	char label[1200], size[32];
	printf("czprof faults: %s: %llu allocation calls from %zu call sites, exit %d without failures;\n"
	       "%zu runs in %.1f s (%.1f runs/s)\n\n",
	       F->ref.argv[0], (unsigned long long)F->ref.n_calls, F->n_sites, F->ref.exit_code, F->n_runs, secs,
	       secs > 0 ? (double)F->n_runs / secs : 0.0);
	size_t n_supp = 0;
	for (size_t i = 0; i < F->n_sites; i++) {
		struct site *s = &F->sites[i];
		n_supp += s->suppressed;
		if (!s->runs)
			continue;
		site_label(s, label, sizeof(label));
		printf("%-16s %s — %s: %s", fault_outcome_name[s->worst], label, verdict(s), s->res.detail);
		if (s->runs > 1) {
			printf(" (%d runs:", s->runs);
			for (int o = 0; o < FO_N; o++)
				if (s->counts[o])
					printf(" %d %s", s->counts[o], fault_outcome_name[o]);
			printf(")");
		}
		printf("\n");
		for (int l = 0; l < s->res.n_leaks; l++) {
			printf("    lost %s in %llu block%s, allocated at\n",
			       cli_human_size(s->res.leaks[l].bytes, size), (unsigned long long)s->res.leaks[l].blocks,
			       s->res.leaks[l].blocks == 1 ? "" : "s");
			for (int f = 0; f < s->res.leaks[l].n_frames && f < 4; f++)
				printf("      #%d %s\n", f, s->res.leaks[l].frames[f]);
		}
	}
	if (n_supp)
		printf("suppressed: %zu call site%s not failed (--suppressions)\n", n_supp, n_supp == 1 ? "" : "s");
}

static void print_json(struct faults *F, double secs)
{
	printf("{\"program\": [");
	for (int i = 0; F->ref.argv[i]; i++) {
		printf("%s", i ? ", " : "");
		report_json_string(stdout, F->ref.argv[i]);
	}
	printf("], \"reference\": {\"exit\": %d, \"allocation_calls\": %llu, \"sites\": %zu}, "
	       "\"runs\": %zu, \"seconds\": %.3f, \"from\": %s, \"sites\": [",
	       F->ref.exit_code, (unsigned long long)F->ref.n_calls, F->n_sites, F->n_runs, secs,
	       F->from ? "true" : "false");
	int first = 1;
	for (size_t i = 0; i < F->n_sites; i++) {
		struct site *s = &F->sites[i];
		if (!s->runs)
			continue;
		printf("%s{\"site\": ", first ? "" : ", ");
		first = 0;
		report_json_string(stdout, s->name);
		printf(", \"fn\": ");
		report_json_string(stdout, s->fn);
		printf(", \"file\": ");
		if (s->file[0])
			report_json_string(stdout, s->file);
		else
			printf("null");
		printf(", \"line\": %ld, \"outcome\": \"%s\", \"detail\": ", s->line, fault_outcome_name[s->worst]);
		report_json_string(stdout, s->res.detail);
		printf(", \"runs\": [");
		int rf = 1;
		for (size_t r = 0; r < F->n_runs; r++) {
			struct run *run = &F->runs[r];
			if (run->site != i)
				continue;
			printf("%s{\"call\": %llu, \"outcome\": \"%s\", \"exit\": ", rf ? "" : ", ",
			       (unsigned long long)run->k, fault_outcome_name[run->outcome]);
			rf = 0;
			if (run->exit_code >= 0)
				printf("%d", run->exit_code);
			else
				printf("null");
			printf(", \"signal\": ");
			if (run->signal > 0)
				printf("\"SIG%s\"}", sigabbrev_np(run->signal) ? sigabbrev_np(run->signal) : "?");
			else
				printf("null}");
		}
		printf("], \"crash_stack\": ");
		if (s->res.n_crash) {
			printf("[");
			for (int f = 0; f < s->res.n_crash; f++) {
				printf("%s", f ? ", " : "");
				report_json_string(stdout, s->res.crash[f]);
			}
			printf("]");
		} else {
			printf("null");
		}
		printf(", \"leak_stacks\": [");
		for (int l = 0; l < s->res.n_leaks; l++) {
			printf("%s{\"bytes\": %llu, \"blocks\": %llu, \"frames\": [", l ? ", " : "",
			       (unsigned long long)s->res.leaks[l].bytes, (unsigned long long)s->res.leaks[l].blocks);
			for (int f = 0; f < s->res.leaks[l].n_frames; f++) {
				printf("%s", f ? ", " : "");
				report_json_string(stdout, s->res.leaks[l].frames[f]);
			}
			printf("]}");
		}
		printf("]}");
	}
	printf("], \"suppressed\": [");
	first = 1;
	for (size_t i = 0; i < F->n_sites; i++)
		if (F->sites[i].suppressed) {
			printf("%s", first ? "" : ", ");
			first = 0;
			report_json_string(stdout, F->sites[i].name);
		}
	printf("]}\n");
}

/* The scratch folder and what runs left in it (all of it ours: mkdtemp). */
static void remove_dir(const char *dir)
{
	char path[PATH_MAX + 300];
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (!strncmp(e->d_name, "run-", 4)) {
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			unlink(path);
		}
	if (d)
		closedir(d);
	rmdir(dir);
}

int cmd_faults(int argc, char **argv)
{
	struct faults F;
	memset(&F, 0, sizeof(F));
	F.ref.timeout_ms = 10000;
	F.ref.error_pattern = "memory|alloc|error|fail";
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	F.jobs = cores > 0 ? (int)cores : 1;
	int rc;
	int at = parse_args(&F, argc, argv, &rc);
	if (at < 0) {
		suppressions_free(&F.supp);
		return rc;
	}
	char lib[PATH_MAX], prog[PATH_MAX], dir[PATH_MAX];
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%s/czprof-faults.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	rc = 1;
	if (runprog_find_library(lib, sizeof(lib)))
		goto out_supp;
	if (runprog_find_program(argv[at], prog, sizeof(prog))) {
		rc = 127;
		goto out_supp;
	}
	if (runprog_is_static(prog)) {
		cli_error("'%s' is statically linked: czprof records through LD_PRELOAD", argv[at]);
		goto out_supp;
	}
	if (!mkdtemp(dir)) {
		cli_error("cannot create a scratch folder in %s: %s", tmp && *tmp ? tmp : "/tmp", strerror(errno));
		goto out_supp;
	}
	F.ref.dir = dir;
	F.ref.lib = lib;
	F.ref.prog = prog;
	F.ref.argv = argv + at;

	/* ^C: stop the runs and remove the scratch folder (no SA_RESTART:
	 * the wait for workers returns) */
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct fault_result res0;
	char trace[PATH_MAX];
	if (fault_run(&F.ref, 0, 0, 0, &res0))
		goto out;
	if (res0.outcome == FO_HUNG || res0.signal >= 0) {
		cli_error("faults: '%s' %s with no failure made: nothing to compare with", argv[at],
			 res0.signal >= 0 ? "is killed by a signal" : "does not end within the timeout");
		goto out;
	}
	F.ref.exit_code = res0.exit_code;
	fault_path(&F.ref, 0, "czt", trace);
	sqlite3 *db = tracedb_open(trace);
	if (!db || read_reference(&F, db)) {
		sqlite3_close(db);
		goto out;
	}
	sqlite3_close(db);
	if (plan(&F) || run_all(&F))
		goto out;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	qsort(F.sites, F.n_sites, sizeof(*F.sites), by_worst);
	/* runs name their site by index: re-point them after the sort */
	size_t *moved = calloc(F.n_sites + 1, sizeof(size_t));
	if (!moved)
		goto out;
	for (size_t i = 0; i < F.n_sites; i++)
		moved[F.sites[i].index] = i;
	for (size_t r = 0; r < F.n_runs; r++)
		F.runs[r].site = moved[F.runs[r].site];
	free(moved);
	if (F.json)
		print_json(&F, secs);
	else
		print_text(&F, secs);
	rc = 0;
	if (F.fail)
		for (size_t i = 0; i < F.n_sites; i++)
			if (F.sites[i].runs && F.sites[i].worst <= FO_LEAKED)
				rc = 1;
out:
	remove_dir(dir);
out_supp:
	suppressions_free(&F.supp);
	free(F.sites);
	free(F.site_of);
	free(F.runs);
	free(F.ref.stack);
	free(F.ref.lost.v);
	return rc;
}
