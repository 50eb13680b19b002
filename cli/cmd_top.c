/*
 * cmd_top.c - `czprof top`: which trace to watch (a program to record, a
 * trace named on the command line, or the newest trace being written here)
 * and its options; the viewer (viewer/top.c) does the rest.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/report.h"
#include "cli/util.h"
#include "format/czt.h"
#include "lib/symbols/sym_site.h"
#include "viewer/top.h"

static const char usage[] =
	"usage: czprof top [OPTIONS] [--] PROG [ARGS...]   record PROG and watch it\n"
	"       czprof top [OPTIONS] -p PID                attach to a running process and\n"
	"                                                  watch it (q detaches)\n"
	"       czprof top [OPTIONS] TRACE                 follow or replay a trace\n"
	"       czprof top [OPTIONS]                       follow the newest trace being\n"
	"                                                  written in this folder\n\n"
	"A live view of a program's heap: live bytes and blocks, the peak, rates, a\n"
	"chart of live bytes over time and the call sites holding memory.  Keys: arrows\n"
	"select, enter shows a stack, s sort, / filter, c t a l sites/threads/arenas/\n"
	"leaks, space pause, ? help, q quit (a program started by top is interrupted).\n"
	"Beside a call site, \u25b2 / \u25bc (+ / - without UTF-8) mark live bytes that grew /\n"
	"shrank since the last refresh.\n\n"
	"  -o, --output FILE   trace file when recording (default czprof.PROG.PID.czt);\n"
	"                      the program's output goes to FILE.out\n"
	"  -b, --batch N       print N text snapshots, one per interval, and exit\n"
	"  -d, --interval MS   refresh interval in milliseconds (default 500)\n"
	"      --speed X       replay speed of a finished trace (default 1; 0 = show\n"
	"                      the end at once)\n"
	"  -w, --width N       line width of --batch output (default $COLUMNS or 120)\n"
	"      --view V        first view: sites (default), threads, arenas, leaks\n"
	"      --sort K        sites by: bytes (live bytes, default), blocks, allocs, rate\n"
	"      --alloc-fn NAME treat function NAME (or a glob: 'x*alloc') as part of the\n"
	"                      allocator, so sites name its callers; repeatable;\n"
	"                      CZPROF_ALLOC_FNS=a,b:c adds to them\n";

/* Index of name in list (NULL-terminated), or -1. */
static int pick(const char *name, const char *const *list)
{
	for (int i = 0; name && list[i]; i++)
		if (!strcmp(name, list[i]))
			return i;
	return -1;
}

/* Does path start with the trace magic? */
static int looks_like_trace(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	char magic[CZT_MAGIC_LEN];
	int yes = read(fd, magic, sizeof(magic)) == (ssize_t)sizeof(magic) &&
		  !memcmp(magic, CZT_MAGIC, CZT_MAGIC_LEN);
	close(fd);
	return yes;
}

/* The newest *.czt in the current folder whose program still runs. */
static int newest_live_trace(char *out, size_t cap)
{
	DIR *d = opendir(".");
	if (!d)
		return cli_error("cannot read the current folder: %s", strerror(errno));
	struct dirent *e;
	time_t best = 0;
	long best_ns = -1;
	out[0] = 0;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (len < 5 || strcmp(e->d_name + len - 4, ".czt"))
			continue;
		struct stat st;
		if (stat(e->d_name, &st) || !S_ISREG(st.st_mode))
			continue;
		struct czt_reader *r;
		if (czt_reader_open(&r, e->d_name))
			continue;
		pid_t pid = (pid_t)czt_reader_header(r)->pid;
		czt_reader_free(r);
		if (kill(pid, 0) && errno != EPERM)
			continue; /* finished: only replayed when named */
		if (st.st_mtim.tv_sec > best ||
		    (st.st_mtim.tv_sec == best && st.st_mtim.tv_nsec > best_ns)) {
			best = st.st_mtim.tv_sec;
			best_ns = st.st_mtim.tv_nsec;
			snprintf(out, cap, "%s", e->d_name);
		}
	}
	closedir(d);
	if (!out[0])
		return cli_error("no trace is being written in this folder (run 'czprof record "
				"PROG' in another terminal, or name a trace or a program)");
	return 0;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* Starts `czprof record -o trace -- argv...` (attach: `czprof record -o
 * trace argv...`, the options of record -p) in its own process group, its
 * input from /dev/null and its output to log, so the screen stays ours. */
static pid_t start_record(const char *trace, const char *log, char **argv, int argc, int attach)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0) {
		cli_error("cannot find my own path: %s", strerror(errno));
		return -1;
	}
	self[n] = 0;
	int out = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0) {
		cli_error("cannot create '%s': %s", log, strerror(errno));
		return -1;
	}
	char **args = calloc((size_t)argc + 6, sizeof(*args));
	if (!args) {
		close(out);
		return -1;
	}
	int k = 0;
	args[k++] = "czprof";
	args[k++] = "record";
	args[k++] = "-o";
	args[k++] = (char *)trace;
	if (!attach)
		args[k++] = "--";
	for (int i = 0; i < argc; i++)
		args[k++] = argv[i];
	pid_t pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		int in = open("/dev/null", O_RDONLY);
		if (in >= 0)
			dup2(in, STDIN_FILENO);
		dup2(out, STDOUT_FILENO);
		dup2(out, STDERR_FILENO);
		signal(SIGINT, SIG_DFL);
		execv(self, args);
		_exit(127);
	}
	if (pid > 0)
		setpgid(pid, pid); /* also here: no race with the first kill */
	else
		cli_error("cannot start the program: %s", strerror(errno));
	free(args);
	close(out);
	return pid;
}

static int parse_int(const char *opt, const char *v, int lo, int hi, int *out)
{
	char *end;
	long x = v ? strtol(v, &end, 10) : 0;
	if (!v || *end || end == v || x < lo || x > hi)
		return cli_error("%s needs a number from %d to %d", opt, lo, hi);
	*out = (int)x;
	return 0;
}

/* Follows trace while `czprof record` (pid writer) writes it; on failure
 * shows the first lines of record's log, where its own error is (a
 * missing program, a refused attach).  what names the log. */
static int watch_record(struct top_opts *o, const char *trace, pid_t writer, const char *log,
			const char *what)
{
	o->trace = trace;
	o->writer = writer;
	o->speed = 0;
	int rc = top_run(o);
	if (rc) {
		FILE *f = fopen(log, "r");
		char line[1024];
		for (int n = 0; f && n < 20 && fgets(line, sizeof(line), f); n++)
			fputs(line, stderr);
		if (f)
			fclose(f);
	}
	fprintf(stderr, "czprof: trace %s, %s %s\n", trace, what, log);
	return rc;
}

/* `czprof top -p PID`: `czprof record -p PID` writes the trace and top
 * follows it; quitting interrupts record, which detaches. */
static int watch_pid(struct top_opts *o, const char *pid, const char *output)
{
	char trace[PATH_MAX], log[PATH_MAX + 8];
	if (output)
		snprintf(trace, sizeof(trace), "%s", output);
	else
		snprintf(trace, sizeof(trace), "czprof.attach.%s.%d.czt", pid, (int)getpid());
	snprintf(log, sizeof(log), "%s.out", trace);
	char *args[] = { "-p", (char *)pid };
	pid_t rec = start_record(trace, log, args, 2, 1);
	return rec < 0 ? 1 : watch_record(o, trace, rec, log, "record's messages");
}

int cmd_top(int argc, char **argv)
{
	struct top_opts o = { .interval_ms = 500, .speed = 1, .width = 120, .site_rules = report_site_rules() };
	const char *output = NULL;
	const char *cols = getenv("COLUMNS");
	if (cols && atoi(cols) >= 40 && atoi(cols) <= 1000)
		o.width = atoi(cols);
	int i = 1, dashdash = 0;
	const char *attach_pid = NULL;
	for (; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (cli_is_help(a)) {
			fputs(usage, stdout);
			return 0;
		} else if (!strcmp(a, "--")) {
			dashdash = 1;
			i++;
			break;
		} else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
			if (!v)
				return cli_error("%s needs a file name", a), 2;
			output = v;
			i++;
		} else if (!strcmp(a, "-p") || !strcmp(a, "--pid")) {
			char *end;
			long p = v ? strtol(v, &end, 10) : 0;
			if (!v || *end || p <= 0 || p > INT_MAX)
				return cli_error("%s takes a process id", a), 2;
			attach_pid = v;
			i++;
		} else if (!strcmp(a, "-b") || !strcmp(a, "--batch")) {
			if (parse_int(a, v, 1, 1000000, &o.batch))
				return 2;
			i++;
		} else if (!strcmp(a, "-d") || !strcmp(a, "--interval")) {
			if (parse_int(a, v, 10, 60000, &o.interval_ms))
				return 2;
			i++;
		} else if (!strcmp(a, "-w") || !strcmp(a, "--width")) {
			if (parse_int(a, v, 40, 1000, &o.width))
				return 2;
			i++;
		} else if (!strcmp(a, "--view")) {
			static const char *const views[] = { "sites", "threads", "arenas", "leaks", NULL };
			if ((o.view = pick(v, views)) < 0)
				return cli_error("--view needs one of: sites, threads, arenas, leaks"), 2;
			i++;
		} else if (!strcmp(a, "--sort")) {
			static const char *const keys[] = { "bytes", "blocks", "allocs", "rate", NULL };
			if ((o.sort = pick(v, keys)) < 0)
				return cli_error("--sort needs one of: bytes, blocks, allocs, rate"), 2;
			i++;
		} else if (!strcmp(a, "--alloc-fn") || !strncmp(a, "--alloc-fn=", 11)) {
			const char *name = a[10] == '=' ? a + 11 : v;
			if (!name || !*name)
				return cli_error("--alloc-fn takes a function name or a pattern"), 2;
			if (!o.site_rules || sym_site_rules_add(report_site_rules(), name))
				return cli_error("out of memory"), 1;
			if (a[10] != '=')
				i++;
		} else if (!strcmp(a, "--speed")) {
			char *end;
			o.speed = v ? strtod(v, &end) : -1;
			if (!v || *end || end == v || o.speed < 0 || o.speed > 1e6)
				return cli_error("--speed needs a number >= 0 (0: show the end at once)"), 2;
			i++;
		} else if (a[0] == '-' && a[1]) {
			return cli_error("unknown option '%s' (see 'czprof top --help')", a), 2;
		} else {
			break;
		}
	}
	/* before a program is started or a file created */
	if (top_check_terminal(&o))
		return 1;
	char trace[PATH_MAX], log[PATH_MAX + 8];
	if (attach_pid) {
		if (i < argc)
			return cli_error("-p attaches to a running process; it takes no program or trace"), 2;
		return watch_pid(&o, attach_pid, output);
	}
	if (i >= argc) {
		if (dashdash)
			return cli_error("no program after '--' (see 'czprof top --help')"), 2;
		if (newest_live_trace(trace, sizeof(trace)))
			return 1;
		o.trace = trace;
		return top_run(&o);
	}
	if (!dashdash && i + 1 == argc && !output && looks_like_trace(argv[i])) {
		o.trace = argv[i];
		return top_run(&o);
	}
	if (!dashdash && i + 1 == argc && strlen(argv[i]) > 4 &&
	    !strcmp(argv[i] + strlen(argv[i]) - 4, ".czt")) {
		if (access(argv[i], F_OK))
			return cli_error("'%s': %s", argv[i], strerror(errno)), 1;
		return cli_error("'%s' is not a czprof trace", argv[i]), 1;
	}
	/* a program: record it, and watch the trace as it grows */
	if (output)
		snprintf(trace, sizeof(trace), "%s", output);
	else
		snprintf(trace, sizeof(trace), "czprof.%s.%d.czt", base_name(argv[i]), (int)getpid());
	snprintf(log, sizeof(log), "%s.out", trace);
	pid_t pid = start_record(trace, log, argv + i, argc - i, 0);
	return pid < 0 ? 1 : watch_record(&o, trace, pid, log, "program output");
}
