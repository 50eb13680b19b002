/*
 * faults_run.c - one run of `czprof faults`: the program under the
 * recorder with one allocation call made to fail, waited for (killed past
 * the timeout), its trace finished and loaded, and the run judged against
 * the reference run (faults.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/faults.h"
#include "cli/record_symtab.h"
#include "cli/runprog.h"
#include "cli/tracedb.h"
#include "cli/util.h"
#include "format/czt.h"
#include "lib/symbols/sym.h"
#include "lib/symbols/sym_site.h"

const char *const fault_outcome_name[FO_N] = {
	[FO_CRASHED] = "crashed",   [FO_HUNG] = "hung",
	[FO_LEAKED] = "leaked",     [FO_SWALLOWED] = "swallowed",
	[FO_UNREPRODUCIBLE] = "not reproducible", [FO_HANDLED] = "handled",
};

void fault_path(const struct fault_ref *ref, unsigned id, const char *suffix, char *buf)
{
	snprintf(buf, PATH_MAX, "%s/run-%u.%s", ref->dir, id, suffix);
}

static void child(const struct fault_ref *ref, unsigned id, uint64_t k, int from)
{
	char path[PATH_MAX], num[32];
	setpgid(0, 0); /* a hung program is killed with all it started */
	/* and no run outlives czprof stopped by ^C, out of the terminal's
	 * process group as it is */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	int in = open(ref->stdin_path ? ref->stdin_path : "/dev/null", O_RDONLY);
	fault_path(ref, id, "out", path);
	int out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	fault_path(ref, id, "err", path);
	int err = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (in < 0 || out < 0 || err < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
		_exit(127);
	runprog_preload(ref->lib);
	fault_path(ref, id, "czt", path);
	setenv("CZPROF_OUTPUT", path, 1);
	fault_path(ref, id, "crash", path);
	setenv("CZPROF_FAIL_CRASH", path, 1);
	setenv("CZPROF_FOLLOW_FORK", "0", 1);
	unsetenv("CZPROF_FAIL_AT");
	unsetenv("CZPROF_FAIL_FROM");
	if (k) {
		snprintf(num, sizeof(num), "%llu", (unsigned long long)k);
		setenv(from ? "CZPROF_FAIL_FROM" : "CZPROF_FAIL_AT", num, 1);
	}
	execv(ref->prog, ref->argv);
	_exit(127);
}

/* Waits for pid, killing its process group past timeout_ms.  Returns 1
 * when it was killed for the timeout, 0 when it ended, -1 on error. */
static int wait_for(pid_t pid, int timeout_ms, int *status)
{
	struct timespec t0, now, nap = { 0, 200000 };
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		pid_t w = waitpid(pid, status, WNOHANG);
		if (w == pid)
			return 0;
		if (w < 0 && errno != EINTR)
			return -1;
		clock_gettime(CLOCK_MONOTONIC, &now);
		long ms = (now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000;
		if (ms > timeout_ms) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			while (waitpid(pid, status, 0) < 0 && errno == EINTR)
				;
			return 1;
		}
		nanosleep(&nap, NULL);
		if (nap.tv_nsec < 5000000) /* short runs end in well under a ms */
			nap.tv_nsec *= 2;
	}
}

/* The first len bytes (at most) of a file, NUL-terminated; caller frees. */
static char *read_head(const char *path, size_t max)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = malloc(max + 1);
	size_t n = buf ? fread(buf, 1, max, f) : 0;
	fclose(f);
	if (buf)
		buf[n] = 0;
	return buf;
}

static int same_file(const char *a, const char *b)
{
	FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
	int same = fa && fb;
	while (same) {
		int ca = getc(fa), cb = getc(fb);
		if (ca != cb)
			same = 0;
		if (ca == EOF || cb == EOF)
			break;
	}
	if (fa)
		fclose(fa);
	if (fb)
		fclose(fb);
	return same;
}

static int same_output(const struct fault_ref *ref, unsigned id)
{
	char a[PATH_MAX], b[PATH_MAX];
	if (ref->compare == FC_NONE)
		return 1;
	fault_path(ref, 0, "out", a);
	fault_path(ref, id, "out", b);
	if (!same_file(a, b))
		return 0;
	if (ref->compare == FC_STDOUT)
		return 1;
	fault_path(ref, 0, "err", a);
	fault_path(ref, id, "err", b);
	return same_file(a, b);
}

/* The first line of the run's stderr that matches the error pattern and
 * that the reference run did not print, into line (cap bytes).  0 if none. */
static int says_error(const struct fault_ref *ref, unsigned id, char *line, size_t cap)
{
	regex_t re;
	if (!ref->error_pattern || regcomp(&re, ref->error_pattern, REG_EXTENDED | REG_ICASE | REG_NOSUB))
		return 0;
	char path[PATH_MAX];
	fault_path(ref, 0, "err", path);
	char *old = read_head(path, 1 << 16);
	fault_path(ref, id, "err", path);
	char *text = read_head(path, 1 << 16);
	int found = 0;
	for (char *p = text, *nl; p && *p && !found; p = nl ? nl + 1 : p + strlen(p)) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = 0;
		if (!regexec(&re, p, 0, NULL, 0) && !(old && strstr(old, p))) {
			snprintf(line, cap, "%s", p);
			found = 1;
		}
	}
	free(old);
	free(text);
	regfree(&re);
	return found;
}

int fault_lost_sites(sqlite3 *db, struct report_ctx *c, struct site_table *t)
{
	sqlite3_stmt *s;
	/* kind is NULL for every block never freed when there is no scan */
	if (sqlite3_prepare_v2(db, "SELECT stack, COUNT(*), SUM(size) FROM leaks WHERE kind IS NULL OR "
				   "kind IN ('definite', 'indirect') GROUP BY stack", -1, &s, NULL))
		return -1;
	char name[REPORT_NAME_MAX];
	while (sqlite3_step(s) == SQLITE_ROW) {
		report_site(c, (uint64_t)sqlite3_column_int64(s, 0), name);
		site_table_add(t, name, (uint64_t)sqlite3_column_int64(s, 1), (uint64_t)sqlite3_column_int64(s, 2));
	}
	sqlite3_finalize(s);
	return 0;
}

static int64_t lost_blocks(sqlite3 *db)
{
	sqlite3_stmt *s;
	int64_t n = 0;
	if (sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM leaks WHERE kind IS NULL OR kind IN ('definite', 'indirect')",
			       -1, &s, NULL))
		return 0;
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}

static uint64_t ref_lost(const struct fault_ref *ref, const char *name)
{
	for (size_t i = 0; i < ref->lost.n; i++)
		if (!strcmp(ref->lost.v[i].name, name))
			return ref->lost.v[i].count;
	return 0;
}

/* Blocks lost at sites where the reference run lost fewer: the leaks of
 * the error path, each with the stack of one of its blocks. */
static void new_leaks(const struct fault_ref *ref, sqlite3 *db, struct fault_result *res)
{
	struct report_ctx *c = report_ctx_new(db);
	if (!c)
		return;
	struct site_table t = { 0 };
	fault_lost_sites(db, c, &t);
	site_table_sort(&t, 1);
	for (size_t i = 0; i < t.n && res->n_leaks < FAULT_LEAKS_MAX; i++) {
		uint64_t before = ref_lost(ref, t.v[i].name);
		if (t.v[i].count <= before)
			continue;
		int n = res->n_leaks++;
		res->leaks[n].blocks = t.v[i].count - before;
		res->leaks[n].bytes = t.v[i].bytes; /* all of the site's: sizes may differ */
		/* one stack of the site, for the report */
		sqlite3_stmt *s;
		if (sqlite3_prepare_v2(db, "SELECT DISTINCT stack FROM leaks WHERE kind IS NULL OR "
					   "kind IN ('definite', 'indirect')", -1, &s, NULL))
			continue;
		char name[REPORT_NAME_MAX];
		while (sqlite3_step(s) == SQLITE_ROW) {
			uint64_t st = (uint64_t)sqlite3_column_int64(s, 0);
			report_site(c, st, name);
			if (strcmp(name, t.v[i].name))
				continue;
			struct report_frame fr[FAULT_FRAMES_MAX];
			int nf = report_stack(c, st, fr, FAULT_FRAMES_MAX);
			for (int f = 0; f < nf; f++)
				snprintf(res->leaks[n].frames[f], sizeof(res->leaks[n].frames[f]), "%.255s", fr[f].name);
			res->leaks[n].n_frames = nf;
			break;
		}
		sqlite3_finalize(s);
	}
	free(t.v);
	report_ctx_free(c);
}

/* The stack of the run's first failed allocation call (the one made to
 * fail: the loader keeps no row for a failed call, the trace has its
 * record).  Returns 0 with *stack set, -1 when there is none. */
static int failed_call_stack(const char *trace, uint64_t *stack)
{
	struct czt_reader *r;
	if (czt_reader_open(&r, trace))
		return -1;
	struct czt_chunk c;
	struct czt_record rec;
	uint64_t best = UINT64_MAX;
	while (czt_reader_next_chunk(r, &c) == CZT_OK) {
		if (c.type != CZT_CHUNK_EVENTS)
			continue;
		while (czt_reader_next_record(r, &rec) == CZT_OK) {
			int alloc = rec.type >= CZT_REC_MALLOC && rec.type <= CZT_REC_PVALLOC;
			int resize = (rec.type == CZT_REC_REALLOC || rec.type == CZT_REC_REALLOCARRAY) && rec.size;
			if ((alloc || resize) && !rec.addr && rec.time < best) {
				best = rec.time;
				*stack = rec.stack;
			}
		}
	}
	czt_reader_free(r);
	return best == UINT64_MAX ? -1 : 0;
}

/* The stack the recorder's fatal-signal handler wrote (rec_fail.c), named
 * with the modules of the run's database: the recorder's own frames and
 * the signal trampoline left out.  Fills res->crash; *at gets the index of
 * the first frame that is the program's (-1 when none is). */
static void crash_stack(const struct fault_ref *ref, unsigned id, sqlite3 *db, struct fault_result *res, int *at)
{
	char path[PATH_MAX];
	uint64_t ips[64];
	*at = -1;
	fault_path(ref, id, "crash", path);
	FILE *f = fopen(path, "rb");
	size_t n = f ? fread(ips, sizeof(ips[0]), 64, f) : 0;
	if (f)
		fclose(f);
	struct sym_resolver *r;
	sqlite3_stmt *s;
	if (!n || sym_resolver_new(&r))
		return;
	char (*mod)[256] = calloc(64, 256); /* module paths by id, the first 64 */
	uint64_t bias[64] = { 0 };
	if (mod && !sqlite3_prepare_v2(db, "SELECT id, path, bias, start, end FROM modules", -1, &s, NULL)) {
		while (sqlite3_step(s) == SQLITE_ROW) {
			uint64_t mid = (uint64_t)sqlite3_column_int64(s, 0);
			const char *mpath = (const char *)sqlite3_column_text(s, 1);
			/* the run has just ended: its files are the ones it ran */
			sym_add_module(r, mid, mpath ? mpath : "", (uint64_t)sqlite3_column_int64(s, 2),
				       (uint64_t)sqlite3_column_int64(s, 3), (uint64_t)sqlite3_column_int64(s, 4),
				       NULL, 0);
			if (mid < 64) {
				snprintf(mod[mid], 256, "%s", mpath ? mpath : "");
				bias[mid] = (uint64_t)sqlite3_column_int64(s, 2);
			}
		}
		sqlite3_finalize(s);
	}
	int in_handler = 1;
	for (size_t i = 0; mod && i < n && res->n_crash < FAULT_CRASH_MAX; i++) {
		struct sym_frame fr[4];
		uint64_t mid = 0;
		int nf = sym_lookup(r, ips[i], fr, 4, &mid);
		const char *mpath = mid < 64 ? mod[mid] : "";
		/* the handler's frames, then the signal trampoline */
		if (strstr(mpath, "libczprof"))
			continue;
		if (in_handler) {
			in_handler = 0;
			continue;
		}
		char *out = res->crash[res->n_crash];
		if (nf && fr[0].function && fr[0].file)
			snprintf(out, 256, "%.120s (%.120s:%u)", fr[0].function, fr[0].file, fr[0].line);
		else if (nf && fr[0].function)
			snprintf(out, 256, "%.120s (%.120s)", fr[0].function, sym_basename(mpath));
		else
			snprintf(out, 256, "%.200s+0x%llx", *mpath ? sym_basename(mpath) : "?",
				 (unsigned long long)(ips[i] - (mid < 64 ? bias[mid] : 0)));
		if (*at < 0 && !(nf ? sym_is_allocator_frame(report_site_rules(), fr[0].function, fr[0].file, mpath)
				    : sym_is_allocator_unnamed(report_site_rules(), out, mpath)))
			*at = res->n_crash;
		res->n_crash++;
	}
	free(mod);
	sym_resolver_free(r);
}

/* Were calls 1..k-1 made from the same stacks as in the reference run,
 * and did call k happen (and fail)?  0 when not, with why in res. */
static int reproduced(const struct fault_ref *ref, sqlite3 *db, const char *trace, uint64_t k,
		      struct fault_result *res)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, "SELECT stack FROM allocations WHERE id < ? ORDER BY id", -1, &s, NULL))
		return 0;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)k);
	struct stack_keys keys;
	if (stack_keys_load(db, &keys)) {
		sqlite3_finalize(s);
		return 0;
	}
	uint64_t n = 0;
	int same = 1;
	while (same && sqlite3_step(s) == SQLITE_ROW) {
		n++;
		if (n > ref->n_calls || stack_keys_get(&keys, (uint64_t)sqlite3_column_int64(s, 0)) != ref->stack[n]) {
			snprintf(res->detail, sizeof(res->detail),
				 "allocation call %llu came from another stack than in the reference run",
				 (unsigned long long)n);
			same = 0;
		}
	}
	sqlite3_finalize(s);
	uint64_t failed = 0;
	int have_failed = !failed_call_stack(trace, &failed);
	if (same && have_failed && stack_keys_get(&keys, failed) != ref->stack[k]) {
		snprintf(res->detail, sizeof(res->detail),
			 "the failed call came from another stack than call %llu of the reference run",
			 (unsigned long long)k);
		same = 0;
	}
	stack_keys_free(&keys);
	if (same && n + 1 < k) {
		snprintf(res->detail, sizeof(res->detail), "the program made only %llu allocation calls",
			 (unsigned long long)n);
		same = 0;
	}
	if (same && !have_failed) {
		snprintf(res->detail, sizeof(res->detail), "allocation call %llu was never made",
			 (unsigned long long)k);
		same = 0;
	}
	return same;
}

static void remove_run(const struct fault_ref *ref, unsigned id)
{
	static const char *const suffixes[] = { "czt", "czt.db", "out", "err", "crash" };
	char path[PATH_MAX];
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		fault_path(ref, id, suffixes[i], path);
		unlink(path);
	}
}

int fault_run(const struct fault_ref *ref, unsigned id, uint64_t k, int from, struct fault_result *res)
{
	memset(res, 0, sizeof(*res));
	res->exit_code = res->signal = -1;
	char trace[PATH_MAX];
	fault_path(ref, id, "czt", trace);
	unlink(trace);
	pid_t pid = fork();
	if (pid < 0)
		return cli_error("fork: %s", strerror(errno));
	if (pid == 0)
		child(ref, id, k, from);
	int status = 0;
	int late = wait_for(pid, ref->timeout_ms, &status);
	if (late < 0)
		return cli_error("waitpid: %s", strerror(errno));
	if (late) {
		res->outcome = FO_HUNG;
		snprintf(res->detail, sizeof(res->detail), "killed after %d ms", ref->timeout_ms);
		if (k)
			remove_run(ref, id);
		return 0;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && !k)
		return cli_error("cannot run '%s'", ref->argv[0]);
	unsigned how = WIFSIGNALED(status) ? CZT_END_SIGNAL : CZT_END_EXIT;
	uint64_t value = WIFSIGNALED(status) ? (uint64_t)WTERMSIG(status) : (uint64_t)WEXITSTATUS(status);
	struct symtab_result sres;
	struct stat st;
	if (stat(trace, &st) || st.st_size == 0)
		return cli_error("nothing was recorded by '%s'", ref->argv[0]);
	/* The reference run is finished as `record` would (symbol table,
	 * footer); a run's trace is loaded as it is, its frames unnamed:
	 * naming them from the modules on disk is most of a load's time, and
	 * only a run that loses blocks needs names. */
	if (!k && symtab_finish_trace(trace, how, value, NULL, &sres))
		return -1;
	tracedb_name_frames(!k);
	sqlite3 *db = tracedb_open(trace);
	if (!db)
		return -1;
	if (WIFSIGNALED(status))
		res->signal = WTERMSIG(status);
	else
		res->exit_code = WEXITSTATUS(status);
	if (!k) {
		sqlite3_close(db);
		return 0;
	}
	char line[200];
	if (!reproduced(ref, db, trace, k, res)) {
		res->outcome = FO_UNREPRODUCIBLE;
	} else if (res->signal >= 0) {
		res->outcome = FO_CRASHED;
		const char *abbrev = sigabbrev_np(res->signal);
		char path[PATH_MAX];
		fault_path(ref, id, "err", path);
		char *err = read_head(path, 1 << 16);
		/* libstdc++'s terminate handler names the exception */
		int bad_alloc = err && strstr(err, "std::bad_alloc");
		free(err);
		int at;
		crash_stack(ref, id, db, res, &at);
		snprintf(res->detail, sizeof(res->detail), "SIG%s%s%.200s%s", abbrev ? abbrev : "?",
			 at >= 0 ? " in " : "", at >= 0 ? res->crash[at] : "",
			 bad_alloc ? " (std::bad_alloc not caught)" : "");
	} else {
		if (lost_blocks(db)) { /* again, naming the frames */
			char db_path[PATH_MAX];
			sqlite3_close(db);
			tracedb_name_frames(1);
			if (tracedb_path(trace, db_path, sizeof(db_path)) || tracedb_load(trace, db_path, 0) ||
			    !(db = tracedb_open(trace)))
				return -1;
			new_leaks(ref, db, res);
		}
		int same = same_output(ref, id);
		if (res->exit_code != ref->exit_code)
			snprintf(res->detail, sizeof(res->detail), "exit %d", res->exit_code);
		else if (says_error(ref, id, line, sizeof(line)))
			snprintf(res->detail, sizeof(res->detail), "exit %d, said \"%s\"", res->exit_code, line);
		else
			snprintf(res->detail, sizeof(res->detail), "exit %d, %s output", res->exit_code,
				 ref->compare == FC_NONE ? "unchecked" : same ? "same" : "different");
		if (res->n_leaks)
			res->outcome = FO_LEAKED;
		else if (res->exit_code != ref->exit_code || strstr(res->detail, "said"))
			res->outcome = FO_HANDLED;
		else
			res->outcome = FO_SWALLOWED;
	}
	sqlite3_close(db);
	remove_run(ref, id);
	return 0;
}
