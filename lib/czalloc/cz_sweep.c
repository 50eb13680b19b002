/*
 * cz_sweep.c - the failure sweep (cz_check_allocation_failures): runs a
 * function once per allocation it makes, failing each in turn (or each and
 * all after it), on a fresh debug allocator every time, and reports the
 * runs whose error path leaks, frees wrongly, crashes or swallows the
 * failure.  With fork_each, every run is a child process whose figures
 * come back through a pipe, and whose crash is reported by the child
 * itself (k, the crash's stack, the induced failure's) before it dies.
 */
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/czalloc/cz_internal.h"
#include "lib/czalloc/cz_stack.h"

struct run {
	size_t allocations; /* made by fn, the failed one included */
	size_t failures;    /* induced */
	size_t leaks;       /* blocks still live at the end */
	size_t problems;    /* double, invalid and wrong-length frees, overruns */
	int rc;             /* what fn returned */
	int signal;         /* the child died of it (fork_each), 0 if not */
	int exited;         /* the child exited with this status before reporting, 0 if not */
	uintptr_t floor;    /* where its stacks stop (cz__stack_floor) */
	void *fail_stack[CZ_FAIL_STACK];
	int fail_stack_len;
};

typedef int (*sweep_fn)(struct cz_allocator a, void *ctx);

/* ---- a crash in a child ---- */

/* What the child's crash report names; set before fn runs. */
static FILE *crash_out;
static size_t crash_k;
static const struct cz_failing *crash_failing;

static void cz__on_crash(int sig)
{
	void *now[CZ__MAX_DEPTH];
	int n = cz__capture(now, 32, 0);
	/* a dying child: the report may allocate, which is the best it can do */
	fprintf(crash_out, "czalloc: with allocation #%zu failing the function crashed (signal %d, %s) at:\n", crash_k,
		sig, strsignal(sig));
	cz__print_stack(crash_out, now, n);
	if (crash_failing && crash_failing->fail_stack_len) {
		fprintf(crash_out, "  the induced failure at:\n");
		cz__print_stack(crash_out, crash_failing->fail_stack, crash_failing->fail_stack_len);
	}
	fflush(crash_out);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void catch_crashes(void)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL };
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], cz__on_crash);
}

/* ---- one run ---- */

/* One run of fn with allocation k failing (SIZE_MAX: none), in this
 * process.  Returns 0, or -1 if the debug allocator could not start. */
__attribute__((noinline)) static int cz__run_here(sweep_fn fn, void *ctx, FILE *out, size_t k, int sticky,
						  struct run *r)
{
	/* reports of this run, and the induced failure's printed later,
	 * stop at fn's caller */
	struct cz_debug_options o = { CZ_DEBUG_DEFAULTS, .report = out, .name = "failure check" };
	struct cz_debug d;
	struct cz_failing f;
	if (cz_debug_init(&d, cz_c_allocator(), &o))
		return -1;
	cz__stack_floor = (uintptr_t)__builtin_return_address(0);
	cz_failing_init(&f, cz_debug_allocator(&d), k, sticky ? CZ_FAIL_FROM : CZ_FAIL_NTH);
	crash_failing = &f;
	r->rc = fn(cz_failing_allocator(&f), ctx);
	crash_failing = NULL;
	r->allocations = f.allocations;
	r->failures = f.failures;
	r->problems = cz_debug_problems(&d);
	r->leaks = cz_debug_deinit(&d);
	r->signal = r->exited = 0;
	r->fail_stack_len = f.fail_stack_len;
	memcpy(r->fail_stack, f.fail_stack, sizeof(r->fail_stack));
	cz__stack_floor = 0;
	r->floor = (uintptr_t)__builtin_return_address(0);
	return 0;
}

/* The same in a child process; a crash comes back as r->signal. */
static int cz__run_in_child(sweep_fn fn, void *ctx, FILE *out, size_t k, int sticky, struct run *r)
{
	int p[2];
	fflush(NULL);
	if (pipe(p))
		return -1;
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		crash_out = out;
		crash_k = k;
		catch_crashes();
		struct run cr;
		int rc = cz__run_here(fn, ctx, out, k, sticky, &cr);
		fflush(NULL);
		if (!rc && write(p[1], &cr, sizeof(cr)) != (ssize_t)sizeof(cr))
			rc = -1;
		_exit(rc ? 1 : 0);
	}
	close(p[1]);
	memset(r, 0, sizeof(*r));
	ssize_t got = read(p[0], r, sizeof(*r));
	close(p[0]);
	int st = 0;
	waitpid(pid, &st, 0);
	if (WIFSIGNALED(st)) {
		memset(r, 0, sizeof(*r));
		r->signal = WTERMSIG(st);
		return 0;
	}
	if (got != (ssize_t)sizeof(*r) && WIFEXITED(st) && WEXITSTATUS(st)) {
		/* fn (or a sanitizer in it) ended the process: a bad run too */
		memset(r, 0, sizeof(*r));
		r->exited = WEXITSTATUS(st);
		return 0;
	}
	return got == (ssize_t)sizeof(*r) && WIFEXITED(st) ? 0 : -1;
}

/* ---- the sweep ---- */

size_t cz_check_allocation_failures_opts(sweep_fn fn, void *ctx, const struct cz_check_options *opts)
{
	struct cz_check_options o = opts ? *opts : (struct cz_check_options){ 0 };
	FILE *out = o.report ? o.report : stderr;
	int (*run)(sweep_fn, void *, FILE *, size_t, int, struct run *) = o.fork_each ? cz__run_in_child : cz__run_here;
	struct run all, r;
	size_t bad = 0;
	/* first, how many allocations a run where nothing fails makes */
	if (run(fn, ctx, out, SIZE_MAX, 0, &all))
		goto oom;
	if (all.signal || all.exited || all.leaks || all.problems) {
		fprintf(out, "czalloc: the run where no allocation fails %s\n",
			all.signal ? "crashes" : all.exited ? "exits" : "leaks or frees wrongly");
		bad++;
	}
	const char *mode = o.sticky ? " and every one after it" : "";
	for (size_t k = 0; k < all.allocations; k++) {
		if (run(fn, ctx, out, k, o.sticky, &r))
			goto oom;
		int swallowed = !r.signal && !r.exited && r.rc == 0 && r.failures && !o.allow_recovery;
		if (!r.signal && !r.exited && !r.leaks && !r.problems && !swallowed)
			continue;
		bad++;
		if (r.signal) { /* the child reported its stacks */
			fprintf(out, "czalloc: with allocation #%zu of %zu (from 0) failing%s: crashed (signal %d)\n", k,
				all.allocations, mode, r.signal);
			continue;
		}
		if (r.exited) {
			fprintf(out, "czalloc: with allocation #%zu of %zu (from 0) failing%s: the process exited "
				     "(status %d) before the function returned\n", k, all.allocations, mode, r.exited);
			continue;
		}
		fprintf(out, "czalloc: with allocation #%zu of %zu (from 0) failing%s the function returned %d", k,
			all.allocations, mode, r.rc);
		if (swallowed)
			fprintf(out, " (success) although the allocation failed: the out-of-memory error was swallowed");
		if (r.leaks || r.problems)
			fprintf(out, "%s %zu block%s leaked, %zu wrong free%s", swallowed ? ";" : ":", r.leaks,
				r.leaks == 1 ? "" : "s", r.problems, r.problems == 1 ? "" : "s");
		fprintf(out, "\n  the induced failure at:\n");
		cz__stack_floor = r.floor;
		cz__print_stack(out, r.fail_stack, r.fail_stack_len);
		cz__stack_floor = 0;
		cz__stack_release();
	}
	fflush(out);
	return bad;
oom:
	fprintf(out, "czalloc: out of memory (or no child process) for the failure sweep\n");
	fflush(out);
	return bad + 1;
}

size_t cz_check_allocation_failures(sweep_fn fn, void *ctx, FILE *report)
{
	struct cz_check_options o = { .report = report };
	return cz_check_allocation_failures_opts(fn, ctx, &o);
}
