/*
 * attach.c - ptrace: stopping a running process's threads, making one of
 * them call a function of the process, and letting them all go on as
 * they were (attach.h).  x86_64 only.
 *
 * Why only one thread is kept stopped during the call: the call (dlopen,
 * the recorder's start) takes locks (malloc's arenas, the loader's).  A
 * thread stopped while holding one would make the call wait forever, so
 * the other threads run on while it is made; the chosen thread itself is
 * first moved out of the C library and the loader (single-stepped) unless
 * it is blocked in a system call, where it holds none of their locks.
 *
 * System calls: a thread interrupted in a blocking call stops with
 * rax = -ERESTART* and orig_rax = the call.  The injected call runs with
 * orig_rax = -1, so the kernel does not touch it; when every register is
 * put back, the kernel sees the interrupted call again on the way out of
 * the stop and restarts it (rip moved back over the syscall instruction),
 * as it does after a signal whose handler did not run.
 */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/attach.h"
#include "cli/util.h"
#include "lib/base/grow.h"

#if !defined(__x86_64__)
int attach_start(const struct attach_target *t, const char *lib, const char *trace,
		 struct attach_times *tm)
{
	(void)lib, (void)trace, (void)tm;
	return cli_error("cannot attach to pid %d: czprof attaches on x86_64 only", (int)t->pid);
}

int attach_stop(const struct attach_target *t, const char *lib, struct attach_times *tm)
{
	(void)lib, (void)tm;
	return cli_error("cannot attach to pid %d: czprof attaches on x86_64 only", (int)t->pid);
}
#else

/* the recorder's answers (lib/recorder/rec.h, REC_ATTACH_*) */
enum { STARTED = 0, BUSY = 1, PRELOADED = 2, FAILED = 3 };

#define RTLD_NOW_ 2
#define RTLD_DLOPEN_ 0x80000000u /* glibc's __libc_dlopen_mode wants it */
#define MAX_STEPS 2000000        /* single steps to leave the C library */
#define XSTATE_MAX 16384

struct task {
	pid_t tid;
	int sig; /* a signal that arrived while stopped: delivered at detach */
};

struct session {
	const struct attach_target *t;
	struct task *tasks;
	int n;
	size_t cap;
	struct task *chosen;
	struct user_regs_struct regs; /* the chosen thread's, as it was */
	uint8_t xstate[XSTATE_MAX];   /* its FPU/SSE/AVX state */
	size_t xstate_len;            /* 0: saved through PTRACE_GETFPREGS */
	struct user_fpregs_struct fp;
	struct timespec t0;
};

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* Waits for tid's next stop or end, up to timeout_ms (< 0: for ever).
 * Returns 0 with *st set, 1 on timeout, -1 when tid is not ours. */
static int wait_task(pid_t tid, int *st, int timeout_ms)
{
	if (timeout_ms < 0) {
		while (waitpid(tid, st, __WALL) < 0)
			if (errno != EINTR)
				return -1;
		return 0;
	}
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int spins = 0;; spins++) {
		pid_t r = waitpid(tid, st, __WALL | WNOHANG);
		if (r == tid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -1;
		if (ms_since(&t0) > timeout_ms)
			return 1;
		if (spins > 200) { /* a single step comes back at once; a call takes longer */
			struct timespec d = { 0, 200000 };
			nanosleep(&d, NULL);
		}
	}
}

static int is_event_stop(int st)
{
	return (st >> 16) == PTRACE_EVENT_STOP;
}

/* Keeps the first real signal seen in a stop, for delivery at detach. */
static void keep_signal(struct task *k, int st)
{
	int sig = WSTOPSIG(st);
	if (!is_event_stop(st) && sig != SIGTRAP && !k->sig)
		k->sig = sig;
}

static void detach_task(struct task *k)
{
	ptrace(PTRACE_DETACH, k->tid, NULL, (void *)(long)k->sig);
}

static void release_all(struct session *s)
{
	for (int i = 0; i < s->n; i++)
		detach_task(&s->tasks[i]);
	s->n = 0;
}

static int has_task(const struct session *s, pid_t tid)
{
	for (int i = 0; i < s->n; i++)
		if (s->tasks[i].tid == tid)
			return 1;
	return 0;
}

/* Seizes and stops one thread.  1: stopped, 0: it is gone, -1: refused. */
static int stop_task(struct session *s, pid_t tid)
{
	if (ptrace(PTRACE_SEIZE, tid, NULL, NULL)) {
		if (errno == ESRCH)
			return 0;
		if (errno == EPERM)
			return attach_proc_eperm(s->t->pid);
		return cli_error("cannot attach to pid %d: ptrace: %s", (int)s->t->pid, strerror(errno));
	}
	if (array_grow((void **)&s->tasks, &s->cap, (size_t)s->n, sizeof(*s->tasks))) {
		ptrace(PTRACE_DETACH, tid, NULL, NULL);
		return cli_error("out of memory");
	}
	struct task *k = &s->tasks[s->n];
	*k = (struct task){ tid, 0 };
	int st;
	if (ptrace(PTRACE_INTERRUPT, tid, NULL, NULL) || wait_task(tid, &st, -1))
		return 0; /* exited meanwhile */
	if (WIFEXITED(st) || WIFSIGNALED(st))
		return 0;
	keep_signal(k, st);
	s->n++;
	return 1;
}

/* Stops every thread, again and again until no new one appears. */
static int stop_all(struct session *s)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", (int)s->t->pid);
	for (int round = 0; round < 1000; round++) {
		DIR *d = opendir(path);
		if (!d) {
			release_all(s);
			return cli_error("no process with pid %d", (int)s->t->pid);
		}
		int added = 0;
		struct dirent *e;
		while ((e = readdir(d))) {
			pid_t tid = (pid_t)atoi(e->d_name);
			if (tid <= 0 || has_task(s, tid))
				continue;
			int r = stop_task(s, tid);
			if (r < 0) {
				closedir(d);
				release_all(s);
				return -1;
			}
			added += r;
		}
		closedir(d);
		if (!added)
			return s->n ? 0 : cli_error("no process with pid %d", (int)s->t->pid);
	}
	release_all(s);
	return cli_error("cannot attach to pid %d: it keeps making threads", (int)s->t->pid);
}

/* Stopped inside a blocking system call (read, sleep, a futex wait): it
 * holds no lock of the C library's, and the call restarts when it goes on. */
static int in_blocking_call(const struct user_regs_struct *r)
{
	long ax = (long)r->rax;
	return (long)r->orig_rax >= 0 &&
	       (ax == -512 || ax == -513 || ax == -514 || ax == -516 || ax == -EINTR);
}

static int is_safe(const struct attach_runtime *rt, const struct user_regs_struct *r)
{
	return in_blocking_call(r) || !attach_runtime_has(rt, r->rip);
}

/* Lets the chosen thread run for a moment and stops it again, until it
 * stops at a safe point: cheaper than single steps through a long stretch
 * of the runtime (a recording thread spends most of its time in the
 * recorder, which may checksum a 256 KiB chunk).  0, or -1 when the
 * process ended. */
static int resample(struct session *s, const struct attach_runtime *rt)
{
	struct task *k = s->chosen;
	for (int tries = 0; tries < 200 && !is_safe(rt, &s->regs); tries++) {
		int st;
		if (ptrace(PTRACE_CONT, k->tid, NULL, NULL))
			return -1;
		struct timespec d = { 0, 200000 };
		nanosleep(&d, NULL);
		ptrace(PTRACE_INTERRUPT, k->tid, NULL, NULL);
		for (;;) { /* a signal's stop may come first: the interrupt's follows */
			if (wait_task(k->tid, &st, -1) || WIFEXITED(st) || WIFSIGNALED(st))
				return -1;
			if (is_event_stop(st))
				break;
			keep_signal(k, st);
			if (ptrace(PTRACE_CONT, k->tid, NULL, NULL))
				return -1;
		}
		if (ptrace(PTRACE_GETREGS, k->tid, NULL, &s->regs))
			return -1;
	}
	return 0;
}

/* Moves the chosen thread outside the runtime's code (or into a blocking
 * system call), the other threads running meanwhile: by stopping it again
 * elsewhere, then by single steps. */
static int make_safe(struct session *s, const struct attach_runtime *rt)
{
	struct task *k = s->chosen;
	if (resample(s, rt))
		return cli_error("pid %d ended while czprof attached to it", (int)s->t->pid);
	for (long step = 0; !is_safe(rt, &s->regs); step++) {
		if (step == MAX_STEPS)
			return cli_error("cannot attach to pid %d: its thread %d stayed inside the C "
					"library for %d steps", (int)s->t->pid, (int)k->tid, MAX_STEPS);
		int st, w;
		if (ptrace(PTRACE_SINGLESTEP, k->tid, NULL, NULL))
			return cli_error("cannot attach to pid %d: ptrace: %s", (int)s->t->pid, strerror(errno));
		w = wait_task(k->tid, &st, 100);
		if (w == 1) { /* blocked in a system call: stop it there */
			ptrace(PTRACE_INTERRUPT, k->tid, NULL, NULL);
			w = wait_task(k->tid, &st, -1);
		}
		if (w || WIFEXITED(st) || WIFSIGNALED(st))
			return cli_error("pid %d ended while czprof attached to it", (int)s->t->pid);
		keep_signal(k, st);
		if (ptrace(PTRACE_GETREGS, k->tid, NULL, &s->regs))
			return cli_error("cannot attach to pid %d: ptrace: %s", (int)s->t->pid, strerror(errno));
	}
	return 0;
}

/* Stops the process, picks the thread that makes the calls, lets the
 * others go, and saves the chosen one's registers. */
static int session_open(struct session *s, const struct attach_target *t)
{
	memset(s, 0, sizeof(*s));
	s->t = t;
	clock_gettime(CLOCK_MONOTONIC, &s->t0);
	if (stop_all(s))
		return -1;
	struct attach_runtime rt;
	attach_proc_runtime(t->pid, &rt);
	/* the main thread when it is at a safe point, else any that is,
	 * else the main thread, moved to one */
	int pick = -1, main_i = 0;
	for (int i = 0; i < s->n; i++) {
		struct user_regs_struct r;
		if (ptrace(PTRACE_GETREGS, s->tasks[i].tid, NULL, &r))
			continue;
		if (s->tasks[i].tid == t->pid)
			main_i = i;
		if (is_safe(&rt, &r) && (pick < 0 || s->tasks[i].tid == t->pid))
			pick = i;
	}
	if (pick < 0)
		pick = main_i;
	struct task chosen = s->tasks[pick];
	for (int i = 0; i < s->n; i++)
		if (i != pick)
			detach_task(&s->tasks[i]);
	s->tasks[0] = chosen;
	s->n = 1;
	s->chosen = &s->tasks[0];
	if (ptrace(PTRACE_GETREGS, chosen.tid, NULL, &s->regs)) {
		release_all(s);
		return cli_error("cannot attach to pid %d: ptrace: %s", (int)t->pid, strerror(errno));
	}
	if (make_safe(s, &rt)) {
		ptrace(PTRACE_SETREGS, chosen.tid, NULL, &s->regs);
		release_all(s);
		return -1;
	}
	struct iovec iov = { s->xstate, sizeof(s->xstate) };
	if (!ptrace(PTRACE_GETREGSET, chosen.tid, (void *)NT_X86_XSTATE, &iov)) {
		s->xstate_len = iov.iov_len;
	} else if (ptrace(PTRACE_GETFPREGS, chosen.tid, NULL, &s->fp)) {
		release_all(s);
		return cli_error("cannot attach to pid %d: ptrace: %s", (int)t->pid, strerror(errno));
	}
	return 0;
}

/* Puts the chosen thread's registers back and lets it go. */
static void session_close(struct session *s, struct attach_times *tm)
{
	pid_t tid = s->chosen->tid;
	ptrace(PTRACE_SETREGS, tid, NULL, &s->regs);
	if (s->xstate_len) {
		struct iovec iov = { s->xstate, s->xstate_len };
		ptrace(PTRACE_SETREGSET, tid, (void *)NT_X86_XSTATE, &iov);
	} else {
		ptrace(PTRACE_SETFPREGS, tid, NULL, &s->fp);
	}
	release_all(s);
	free(s->tasks);
	if (tm)
		tm->total = tm->stopped = ms_since(&s->t0);
}

static int write_mem(pid_t pid, uint64_t addr, const void *buf, size_t len)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = pwrite(fd, buf, len, (off_t)addr);
	close(fd);
	return n == (ssize_t)len ? 0 : -1;
}

/* Makes the chosen thread call fn(str, a1) (str copied below its stack
 * pointer; NULL passes 0) and return to address 0, where the fault stops
 * it again.  *ret: the call's rax. */
static int remote_call(struct session *s, uint64_t fn, const char *str, uint64_t a1, uint64_t *ret)
{
	pid_t tid = s->chosen->tid, pid = s->t->pid;
	struct user_regs_struct r = s->regs;
	/* below the red zone (128 bytes) with room to spare */
	uint64_t sp = s->regs.rsp - 4096, arg0 = 0;
	if (str) {
		size_t len = strlen(str) + 1;
		sp -= len;
		arg0 = sp;
		if (write_mem(pid, arg0, str, len))
			return cli_error("cannot write to pid %d's memory: %s", (int)pid, strerror(errno));
	}
	sp = (sp & ~(uint64_t)15) - 8; /* as after a call: rsp + 8 aligned to 16 */
	uint64_t zero = 0;
	if (write_mem(pid, sp, &zero, sizeof(zero)))
		return cli_error("cannot write to pid %d's memory: %s", (int)pid, strerror(errno));
	r.rsp = sp;
	r.rip = fn;
	r.rdi = arg0;
	r.rsi = a1;
	r.rax = 0;
	r.orig_rax = (unsigned long long)-1; /* no system call to restart */
	if (ptrace(PTRACE_SETREGS, tid, NULL, &r) || ptrace(PTRACE_CONT, tid, NULL, NULL))
		return cli_error("cannot attach to pid %d: ptrace: %s", (int)pid, strerror(errno));
	for (;;) {
		int st;
		if (wait_task(tid, &st, -1) || WIFEXITED(st) || WIFSIGNALED(st))
			return cli_error("pid %d ended while czprof attached to it", (int)pid);
		if (!is_event_stop(st) && WSTOPSIG(st) == SIGSEGV) {
			struct user_regs_struct out;
			if (ptrace(PTRACE_GETREGS, tid, NULL, &out))
				return cli_error("cannot attach to pid %d: ptrace: %s", (int)pid, strerror(errno));
			if (out.rip == 0) {
				*ret = out.rax;
				return 0;
			}
			return cli_error("pid %d faulted at 0x%llx inside a call czprof made; its "
					"registers are put back", (int)pid, (unsigned long long)out.rip);
		}
		keep_signal(s->chosen, st);
		if (ptrace(PTRACE_CONT, tid, NULL, NULL))
			return cli_error("cannot attach to pid %d: ptrace: %s", (int)pid, strerror(errno));
	}
}

/* The recorder's entry point name in the process, loading the library
 * first when asked and needed.  0 when found (*fn set). */
static int find_entry(struct session *s, const char *lib, const char *name, int load, uint64_t *fn)
{
	pid_t pid = s->t->pid;
	char path[PATH_MAX], libc[PATH_MAX];
	uint64_t base;
	if (attach_proc_module(pid, NULL, lib, path, sizeof(path), &base)) {
		if (!load)
			return cli_error("pid %d has no recorder loaded: nothing to detach", (int)pid);
		/* an older recorder would start recording on its own as it loads */
		if (!attach_elf_symbol(lib, 0, name))
			return cli_error("cannot attach to pid %d: %s has no %s (a recorder older than this "
					"czprof?)", (int)pid, lib, name);
		if (attach_proc_module(pid, "libc.so", NULL, libc, sizeof(libc), &base))
			return cli_error("cannot attach to pid %d: no libc.so in its memory", (int)pid);
		/* glibc 2.34 and later have dlopen in libc itself; before, only
		 * its private __libc_dlopen_mode is there without libdl */
		uint64_t open_fn = attach_elf_symbol(libc, base, "dlopen"), mode = RTLD_NOW_;
		if (!open_fn) {
			open_fn = attach_elf_symbol(libc, base, "__libc_dlopen_mode");
			mode = RTLD_NOW_ | RTLD_DLOPEN_;
		}
		if (!open_fn)
			return cli_error("cannot attach to pid %d: no dlopen in its C library %s",
					(int)pid, libc);
		uint64_t handle;
		if (remote_call(s, open_fn, lib, mode, &handle))
			return -1;
		if (!handle || attach_proc_module(pid, NULL, lib, path, sizeof(path), &base))
			return cli_error("pid %d could not load the recorder %s", (int)pid, lib);
	}
	*fn = attach_elf_symbol(path, base, name);
	if (!*fn)
		return cli_error("the recorder loaded in pid %d (%s) has no %s: it is older than this "
				"czprof", (int)pid, path, name);
	return 0;
}

int attach_start(const struct attach_target *t, const char *lib, const char *trace,
		 struct attach_times *tm)
{
	struct session s;
	if (session_open(&s, t))
		return -1;
	uint64_t fn, rc = FAILED;
	int err = find_entry(&s, lib, "czprof_attach_start", 1, &fn) ||
		  remote_call(&s, fn, trace, (uint64_t)getpid(), &rc);
	session_close(&s, tm);
	if (err)
		return -1;
	switch ((int)rc) {
	case STARTED:
		return 0;
	case BUSY:
		return cli_error("cannot attach to pid %d (%s): another czprof is recording it already",
				(int)t->pid, t->comm);
	case PRELOADED:
		return cli_error("cannot attach to pid %d (%s): it runs under the preloaded recorder "
				"(czprof record) already", (int)t->pid, t->comm);
	}
	return cli_error("the recorder in pid %d (%s) could not start writing '%s'", (int)t->pid,
			t->comm, trace);
}

int attach_stop(const struct attach_target *t, const char *lib, struct attach_times *tm)
{
	struct session s;
	if (session_open(&s, t))
		return -1;
	uint64_t fn, n;
	int err = find_entry(&s, lib, "czprof_attach_stop", 0, &fn) || remote_call(&s, fn, NULL, 0, &n);
	session_close(&s, tm);
	return err ? -1 : 0;
}
#endif
