/*
 * cmd_record.c - `czprof record`: runs a program with the recorder
 * preloaded, waits for it, then makes the trace self-contained (symbol
 * table and footer, record_symtab.c).  The program keeps its stdin, stdout
 * and stderr; czprof exits with the program's status.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/budgets.h"
#include "cli/commands.h"
#include "cli/dbpath.h"
#include "cli/record_attach.h"
#include "cli/record_symtab.h"
#include "cli/runprog.h"
#include "cli/util.h"
#include "format/czt.h"

static const char usage[] =
	"usage: czprof record [-o FILE] [-f] [--follow-fork] [--depth N] [--unwind fp|dwarf]\n"
	"                     [--compress|--no-compress] [--no-scan] [--free-stacks]\n"
	"                     [--] PROG [ARGS...]\n"
	"       czprof record -p PID [-o FILE] [-f] [--duration S]\n\n"
	"Runs PROG with the czprof recorder preloaded and writes every allocation and\n"
	"free, with its stack, to a trace (default: czprof.PROG.PID.czt).  PROG keeps its\n"
	"terminal; czprof exits with PROG's exit status (128+N if killed by signal N).\n\n"
	"  -o, --output FILE   write the trace to FILE\n"
	"  -f, --force         replace FILE if it exists\n"
	"      --follow-fork   also record forked and exec'd children, each to\n"
	"                      NAME.PID.czt beside the trace\n"
	"      --depth N       keep at most N stack frames per event (default 64)\n"
	"      --unwind fp     follow frame pointers instead of DWARF unwind tables:\n"
	"                      much cheaper, complete only for code built with\n"
	"                      -fno-omit-frame-pointer (default: dwarf)\n"
	"      --compress      compress the trace's chunks on the recorder's own\n"
	"                      thread (the default): events split into columns\n"
	"                      before zstd while the program leaves a core to spare\n"
	"                      or they cost it under 3%, a trace 2.5-8x smaller;\n"
	"                      one zstd frame per chunk otherwise, 1.3-4x\n"
	"                      (CZPROF_COLUMNS=1/0: always/never columns)\n"
	"      --no-compress   store them uncompressed (CZPROF_COMPRESS=0)\n"
	"      --free-stacks   record the stack of every free and delete too, for\n"
	"                      `czprof errors` (where a block was first freed, where\n"
	"                      a bad free was); costs about as much as the\n"
	"                      allocations' stacks (CZPROF_FREE_STACKS=1)\n"
	"      --no-scan       do not scan the program's memory for pointers when it\n"
	"                      exits (CZPROF_SCAN=0): leaks then cannot tell lost\n"
	"                      blocks from blocks still reachable\n\n"
	"Budgets, checked on the trace once written as 'czprof check' does (printed on\n"
	"stderr; exit 1 when one is exceeded and PROG itself exited 0):\n"
	"      --max-peak SIZE, --max-leaked SIZE, --max-allocs N, --max-temporary N,\n"
	"      --max-errors N, --junit FILE\n"
	"      --db PATH       the database they are read from (default TRACE.db)\n\n"
	"PROG must be dynamically linked: the recorder is loaded with LD_PRELOAD.\n\n"
	"With -p, czprof attaches to the running process PID instead (ptrace; x86_64,\n"
	"dynamically linked), records until Ctrl-C, --duration or the program's end,\n"
	"then detaches and leaves it running (default trace: czprof.NAME.PID.czt).\n"
	"  -p, --pid PID       attach to PID\n"
	"      --duration S    detach after S seconds\n";

static pid_t child;

/* Signals sent to czprof by another process go on to the program; those
 * from the terminal already reach it, since it shares the process group. */
static void forward(int sig, siginfo_t *info, void *ctx)
{
	(void)ctx;
	if (child > 0 && (!info || info->si_code == SI_USER || info->si_code == SI_QUEUE))
		kill(child, sig);
}

/* Makes path absolute (its folder must exist). */
static int absolute(const char *path, char *out, size_t cap)
{
	if (path[0] == '/') {
		snprintf(out, cap, "%s", path);
		return 0;
	}
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof(cwd)))
		return cli_error("cannot read the current folder: %s", strerror(errno));
	if (strlen(cwd) + strlen(path) + 2 > cap)
		return cli_error("'%s': path too long", path);
	memcpy(out, cwd, strlen(cwd));
	out[strlen(cwd)] = '/';
	strcpy(out + strlen(cwd) + 1, path);
	return 0;
}

/* Creates the trace file, empty, refusing to replace one unless forced
 * and never following a symlink. */
static int create_trace(const char *path, int force)
{
	if (force && unlink(path) && errno != ENOENT)
		return cli_error("cannot replace '%s': %s", path, strerror(errno));
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		if (errno == EEXIST)
			return cli_error("'%s' exists; use -f to replace it", path);
		return cli_error("cannot create '%s': %s", path, strerror(errno));
	}
	close(fd);
	return 0;
}

/* Whether path, matched by PREFIX.*.czt (prefix_len bytes), is the trace
 * of a process of this run: named PREFIX.PID.czt or PREFIX.PID.N.czt (the
 * recorder's names, lib/recorder/rec_trace.c), a regular file of our own with a
 * header naming that pid, started after this run began (since_ns, wall
 * clock).  Anything else in the folder, an older run's or another user's
 * file, is left alone. */
static int is_child_trace(const char *path, size_t prefix_len, uint64_t since_ns)
{
	const char *p = path + prefix_len + 1;
	char *end;
	if (*p < '0' || *p > '9')
		return 0;
	unsigned long long pid = strtoull(p, &end, 10);
	if (*end == '.' && end[1] >= '0' && end[1] <= '9')
		strtoull(end + 1, &end, 10);
	if (strcmp(end, ".czt"))
		return 0;
	struct stat st;
	if (lstat(path, &st) || !S_ISREG(st.st_mode) || st.st_uid != geteuid() || st.st_size == 0)
		return 0;
	struct czt_reader *r;
	if (czt_reader_open(&r, path))
		return 0;
	const struct czt_header *h = czt_reader_header(r);
	int ours = h->pid == pid && h->start_realtime_ns >= since_ns;
	czt_reader_free(r);
	return ours;
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void finish_one(const char *path, unsigned how, uint64_t value, double secs, int quiet,
		       struct symtab_scan *follow)
{
	struct stat st;
	if (stat(path, &st) || st.st_size == 0) {
		cli_error("nothing was recorded to '%s' (the program may be statically linked, "
			 "setuid, or it exec'd one that is)", path);
		symtab_follow_cancel(follow);
		unlink(path);
		return;
	}
	struct symtab_result res;
	int failed = symtab_finish_trace(path, how, value, follow, &res);
	if (res.lost) { /* children's too, and when the footer could not be written */
		char text[256];
		cli_warning("'%s': %s", path, cli_lost_text(text, sizeof(text), res.lost, res.lost_why,
							     res.lost_err));
	}
	if (failed || quiet)
		return;
	char size[32];
	fprintf(stderr, "czprof: recorded %llu events, %llu stack nodes, %s in %.2f s -> %s\n",
		(unsigned long long)res.events, (unsigned long long)res.stack_nodes,
		cli_human_size(res.size, size), secs, path);
	if (res.cut)
		cli_warning("the recorder was stopped inside a write; the trace keeps every whole chunk");
}

/* `czprof record -p PID`: attach, record, detach (record_attach.c), then
 * complete the trace as for a program czprof started. */
static int record_pid(pid_t pid, const char *output, int force, double duration)
{
	struct attach_target t;
	char lib[PATH_MAX], trace[PATH_MAX];
	if (attach_proc_check(pid, &t) || runprog_find_library(lib, sizeof(lib)))
		return 1;
	char name[PATH_MAX];
	if (!output) {
		snprintf(name, sizeof(name), "czprof.%s.%d.czt", t.comm[0] ? t.comm : "prog", (int)pid);
		output = name;
	}
	if (absolute(output, trace, sizeof(trace)) || create_trace(trace, force))
		return 1;
	struct record_attach ra;
	if (record_attach(&t, lib, trace, duration, &ra)) {
		symtab_follow_cancel(ra.follow);
		struct stat st;
		if (!stat(trace, &st) && st.st_size == 0)
			unlink(trace);
		return 1;
	}
	finish_one(trace, CZT_END_DETACH, 0, ra.secs, 0, ra.follow);
	if (ra.ended)
		fprintf(stderr, "czprof: pid %d ended while attached (attach %.1f ms)\n", (int)pid,
			ra.attach_ms);
	else
		fprintf(stderr, "czprof: attach %.1f ms, detach %.1f ms; pid %d runs on\n", ra.attach_ms,
			ra.detach_ms, (int)pid);
	return 0;
}

int cmd_record(int argc, char **argv)
{
	const char *output = NULL, *db = NULL;
	int force = 0, follow = 0, depth = 0, fp = 0, free_stacks = 0, i;
	int compress = -1; /* -1: the recorder's default or CZPROF_COMPRESS */
	int no_scan = 0;   /* CZPROF_SCAN=0; else the recorder's default or CZPROF_SCAN */
	struct budgets budgets = { 0 };
	long attach_pid = 0;
	double duration = 0;
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--")) {
			i++;
			break;
		} else if (cli_is_help(a)) {
			fputs(usage, stdout);
			return 0;
		} else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
			if (++i == argc)
				return cli_error("record: %s needs a file name", a), 2;
			output = argv[i];
		} else if (!strncmp(a, "--output=", 9)) {
			output = a + 9;
		} else if (!strcmp(a, "--db") || !strncmp(a, "--db=", 5)) {
			db = a[4] == '=' ? a + 5 : ++i < argc ? argv[i] : NULL;
			if (!db || !*db)
				return cli_error("record: --db needs a file name"), 2;
		} else if (!strcmp(a, "-p") || !strcmp(a, "--pid")) {
			char *end;
			attach_pid = ++i < argc ? strtol(argv[i], &end, 10) : 0;
			if (i == argc || *end || end == argv[i] || attach_pid <= 0 || attach_pid > INT_MAX)
				return cli_error("record: %s takes a process id", a), 2;
		} else if (!strcmp(a, "--duration")) {
			char *end;
			duration = ++i < argc ? strtod(argv[i], &end) : 0;
			if (i == argc || *end || end == argv[i] || !(duration > 0) || duration > 1e9)
				return cli_error("record: --duration takes a number of seconds > 0"), 2;
		} else if (!strcmp(a, "-f") || !strcmp(a, "--force")) {
			force = 1;
		} else if (!strcmp(a, "--follow-fork")) {
			follow = 1;
		} else if (!strcmp(a, "--compress")) {
			compress = 1;
		} else if (!strcmp(a, "--no-compress")) {
			compress = 0;
		} else if (!strcmp(a, "--free-stacks")) {
			free_stacks = 1;
		} else if (!strcmp(a, "--no-scan")) {
			no_scan = 1;
		} else if (!strcmp(a, "--depth") || !strncmp(a, "--depth=", 8)) {
			const char *v = a[7] == '=' ? a + 8 : (++i < argc ? argv[i] : NULL);
			char *end;
			long d = v ? strtol(v, &end, 10) : 0;
			if (!v || *end || d < 1 || d > 256)
				return cli_error("record: --depth takes a number from 1 to 256"), 2;
			depth = (int)d;
		} else if (!strcmp(a, "--unwind") || !strncmp(a, "--unwind=", 9)) {
			const char *v = a[8] == '=' ? a + 9 : (++i < argc ? argv[i] : NULL);
			if (!v || (strcmp(v, "fp") && strcmp(v, "dwarf")))
				return cli_error("record: --unwind takes 'fp' or 'dwarf'"), 2;
			fp = !strcmp(v, "fp");
		} else {
			int taken = budgets_option(&budgets, argc, argv, &i);
			if (taken < 0)
				return 2;
			if (!taken)
				return cli_error("record: unknown option '%s' (see 'czprof record --help')", a), 2;
		}
	}
	if (attach_pid) {
		if (i != argc)
			return cli_error("record: -p attaches to a running process; it takes no program"), 2;
		/* the recorder's settings come from the environment of a program
		 * czprof starts; an attach has none to give */
		if (follow || depth || fp || compress >= 0 || free_stacks || no_scan || budgets_any(&budgets))
			return cli_error("record: with -p only -o, -f and --duration apply"), 2;
		return record_pid((pid_t)attach_pid, output, force, duration);
	}
	if (duration)
		return cli_error("record: --duration goes with -p"), 2;
	if (i == argc) {
		fputs(usage, stderr);
		return 2;
	}
	char **prog_argv = argv + i;
	char lib[PATH_MAX], prog[PATH_MAX], trace[PATH_MAX];
	if (runprog_find_library(lib, sizeof(lib)))
		return 1;
	if (runprog_find_program(prog_argv[0], prog, sizeof(prog)))
		return 127;
	if (runprog_is_static(prog)) {
		cli_error("'%s' is statically linked: czprof records through LD_PRELOAD, which a "
			 "static program never loads", prog_argv[0]);
		return 1;
	}
	if (output && (absolute(output, trace, sizeof(trace)) || create_trace(trace, force)))
		return 1;

	/* The child waits on this pipe until the parent has created the
	 * default-named trace (its name holds the child's pid). */
	int gate[2];
	if (pipe2(gate, O_CLOEXEC))
		return cli_error("pipe: %s", strerror(errno)), 1;
	struct timespec t0, started;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	clock_gettime(CLOCK_REALTIME, &started);
	child = fork();
	if (child < 0)
		return cli_error("fork: %s", strerror(errno)), 1;
	if (child == 0) {
		close(gate[1]);
		char go;
		if (read(gate[0], &go, 1) != 1)
			_exit(127);
		close(gate[0]);
		char pid[24], dep[16];
		snprintf(pid, sizeof(pid), "%d", (int)getpid());
		runprog_preload(lib);
		setenv("CZPROF_FOLLOW_FORK", follow ? "1" : "0", 1);
		setenv("CZPROF_UNWIND", fp ? "fp" : "dwarf", 1);
		if (depth) {
			snprintf(dep, sizeof(dep), "%d", depth);
			setenv("CZPROF_DEPTH", dep, 1);
		}
		if (compress >= 0)
			setenv("CZPROF_COMPRESS", compress ? "1" : "0", 1);
		if (free_stacks)
			setenv("CZPROF_FREE_STACKS", "1", 1);
		if (no_scan)
			setenv("CZPROF_SCAN", "0", 1);
		if (!output) {
			char name[PATH_MAX];
			char *base = strrchr(prog_argv[0], '/');
			snprintf(name, sizeof(name), "czprof.%s.%s.czt", base ? base + 1 : prog_argv[0], pid);
			absolute(name, trace, sizeof(trace));
		}
		setenv("CZPROF_OUTPUT", trace, 1);
		execv(prog, prog_argv);
		cli_error("cannot run '%s': %s", prog_argv[0], strerror(errno));
		_exit(127);
	}
	close(gate[0]);
	if (!output) {
		char name[PATH_MAX];
		char *base = strrchr(prog_argv[0], '/');
		snprintf(name, sizeof(name), "czprof.%s.%d.czt", base ? base + 1 : prog_argv[0], (int)child);
		if (absolute(name, trace, sizeof(trace)) || create_trace(trace, force)) {
			kill(child, SIGKILL);
			waitpid(child, NULL, 0);
			return 1;
		}
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = forward;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
	for (size_t k = 0; k < sizeof(forwarded) / sizeof(forwarded[0]); k++)
		sigaction(forwarded[k], &sa, NULL);
	if (write(gate[1], "g", 1) != 1)
		cli_warning("could not start the program");
	close(gate[1]);
	/* read the trace while the program runs: what is left at its end is
	 * its tail and the symbols (NULL: all of it is read at the end) */
	struct symtab_scan *follower = symtab_follow(trace);

	int status = 0;
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR) {
			symtab_follow_cancel(follower);
			return cli_error("waitpid: %s", strerror(errno)), 1;
		}
	double secs = seconds_since(&t0);
	unsigned how = WIFSIGNALED(status) ? CZT_END_SIGNAL : CZT_END_EXIT;
	uint64_t value = WIFSIGNALED(status) ? (uint64_t)WTERMSIG(status) : (uint64_t)WEXITSTATUS(status);
	int rc = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
	if (WIFEXITED(status) && rc == 127 && access(trace, F_OK) == 0) {
		struct stat st;
		if (!stat(trace, &st) && st.st_size == 0) { /* exec failed: said so already */
			symtab_follow_cancel(follower);
			unlink(trace);
			return 127;
		}
	}

	finish_one(trace, how, value, secs, 0, follower);
	if (follow) {
		/* children's traces: TRACE minus .czt, then .PID.czt (glob
		 * escapes: the trace's own name may hold * or ?) */
		char pattern[2 * PATH_MAX + 16];
		size_t n = strlen(trace), len = 0;
		if (n > 4 && !strcmp(trace + n - 4, ".czt"))
			n -= 4;
		for (size_t j = 0; j < n; j++) {
			if (strchr("*?[\\", trace[j]))
				pattern[len++] = '\\';
			pattern[len++] = trace[j];
		}
		strcpy(pattern + len, ".*.czt");
		uint64_t since = (uint64_t)started.tv_sec * 1000000000u + (uint64_t)started.tv_nsec;
		glob_t g;
		if (glob(pattern, 0, NULL, &g) == 0) {
			for (size_t k = 0; k < g.gl_pathc; k++) {
				if (!is_child_trace(g.gl_pathv[k], n, since))
					continue;
				/* the children's own exit statuses are not known here */
				finish_one(g.gl_pathv[k], CZT_END_EXIT, 0, secs, 1, NULL);
				fprintf(stderr, "czprof: child trace %s\n", g.gl_pathv[k]);
			}
			globfree(&g);
		}
	}
	if (WIFSIGNALED(status))
		fprintf(stderr, "czprof: the program was killed by signal %d (%s)\n", WTERMSIG(status),
			strsignal(WTERMSIG(status)));
	if (budgets_any(&budgets)) {
		if (db)
			dbpath_choose(trace, db);
		int br = budgets_check(trace, &budgets, stderr, 0, 0);
		if (br && rc == 0)
			rc = br;
	}
	return rc;
}
