/*
 * rec_life.c - the process's life as the recorder sees it: the start (the
 * first intercepted call, or an attach), fork (the child's own trace),
 * fatal signals and exit (every buffer written, synchronously), and
 * attach and detach (czprof record -p).  What each of them does to the
 * threads' buffers, the trace and the flusher is theirs (rec_core.c,
 * rec_trace.c, rec_flusher.c); here is only when and in which order.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "lib/recorder/rec_core.h"

/* This image records because czprof attached to it (rec_attach_begin):
 * never whole, and its image record says so. */
int attached;
static char attach_out[4096];

/* ---- fork ---- */

static void before_fork(void)
{
	mutex_take(&list_lock);
	mutex_take(&g_lock);
}

static void after_fork_parent(void)
{
	mutex_drop(&g_lock);
	mutex_drop(&list_lock);
}

static void after_fork_child(void)
{
	threads_after_fork();
	flusher_after_fork();
	trace_after_fork();
	if (!rec_active || !rec_settings.follow_fork || !rec_settings.output) {
		rec_active = 0;
		return;
	}
	nodes_reset_locked(); /* the caches go with self: thread_new clears them */
	rec_modules_forget();
	trace_forked = 1;
	if (create_child_trace(rec_settings.output)) {
		rec_active = 0;
		return;
	}
	rec_modules_scan(emit_module);
	start_flusher();
}

/* ---- fatal signals and exit ---- */

static const int fatal_signals[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };

static void on_fatal(int sig)
{
	rec_guard = 1;
	rec_fail_crash(); /* czprof faults: where it crashed (rec_fail.c) */
	if (rec_active) {
		/* uncompressed: the fault may be inside a compressor */
		int was_flusher = tl_pack == PACK_FLUSHER;
		tl_pack = PACK_NONE;
		flush_threads(0, was_flusher);
		if (!tl_held && pthread_mutex_trylock(&g_lock) == 0) {
			czt_enc_process_end(&meta, rec_now(), CZT_END_SIGNAL, (uint64_t)sig);
			meta_flush_locked();
			pthread_mutex_unlock(&g_lock);
		}
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static void install_fatal_handlers(void)
{
	for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++) {
		struct sigaction old;
		if (sigaction(fatal_signals[i], NULL, &old) || old.sa_handler != SIG_DFL)
			continue; /* the program handles it already */
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_fatal;
		sa.sa_flags = SA_NODEFER | SA_RESETHAND;
		sigaction(fatal_signals[i], &sa, NULL);
	}
}

void rec_flush_all(void)
{
	if (!rec_active)
		return;
	int was = rec_guard, pack = tl_pack;
	rec_guard = 1;
	tl_pack = PACK_LOCKED; /* the image ends: compressing here costs once */
	flush_threads(1, 0);
	tl_pack = pack;
	rec_guard = was;
}

__attribute__((destructor(101))) static void rec_stop(void)
{
	if (!rec_active)
		return;
	rec_guard = 1;
	tl_pack = PACK_LOCKED; /* at exit the compression may as well be done here */
	flush_threads(1, 0);
	rec_scan_exit();
	tl_pack = PACK_NONE;
	write_stack_check();
	/* Frees after this point (other destructors, libc's own exit work)
	 * are written one chunk per event. */
	flush_always = 1;
	rec_guard = 0;
}

/* ---- start ---- */

/* libunwind opens a pipe the first time it unwinds (to test addresses it
 * is unsure of), on the lowest free descriptors, and when a read from it
 * fails it closes those numbers and opens another.  In a program that
 * closed every descriptor and opened files since, that read would take a
 * byte from the program's file, or the close would close it (a program
 * doing closefrom(3) then writing a file lost its second write, 1 run in
 * 12).  So libunwind is made to start here, with every free descriptor
 * below REC_FD_LOW held by a placeholder: its pipe lands at REC_FD_LOW or
 * above, like the trace's own descriptor.  About 2,000 system calls, once
 * per process image (under 1 ms). */
static void unwinder_start_high(void)
{
	static int held[REC_FD_LOW];
	int n = 0, fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && fd < REC_FD_LOW - 2)
		held[n++] = fd;
	else if (fd >= 0)
		close(fd);
	/* copies of the first: no path lookup each */
	while (n > 0 && n < REC_FD_LOW && (fd = fcntl(held[0], F_DUPFD_CLOEXEC, 0)) >= 0) {
		if (fd >= REC_FD_LOW - 2) { /* the pipe's two go just above */
			close(fd);
			break;
		}
		held[n++] = fd;
	}
	if (fd < 0) /* RLIMIT_NOFILE below REC_FD_LOW: the two highest for the pipe */
		for (int k = 0; k < 2 && n > 0; k++)
			close(held[--n]);
	void *ip;
	rec_backtrace(&ip, 1);
	while (n > 0)
		close(held[--n]);
}

/* The process's threads, from /proc/self/status; 0 when unknown. */
static int threads_now(void)
{
	static char st[4096];
	size_t n = read_file("/proc/self/status", st, sizeof(st) - 1);
	st[n] = 0;
	const char *p = strstr(st, "\nThreads:");
	int v = 0;
	if (p)
		for (p += 9; *p == ' ' || *p == '\t'; p++)
			;
	while (p && *p >= '0' && *p <= '9')
		v = v * 10 + (*p++ - '0');
	return v;
}

/* Set once rec_start has done all it does: an attach after a detach only
 * opens a new trace (attach_restart). */
static int core_ready;

/* An attach records to the file czprof created, as the root process, with
 * none of the settings meant for a program started under the recorder:
 * the environment was the program's own long before czprof came. */
static void attach_settings(void)
{
	rec_settings.output = attach_out;
	rec_settings.root_pid = getpid();
	rec_settings.follow_fork = 0;
	rec_settings.token = NULL;
	rec_settings.clock_os = 1; /* threads already run: no lone owner of the counter */
	rec_settings.check_stacks = NULL;
	rec_settings.fail_at = rec_settings.fail_from = 0;
	rec_settings.fail_crash = NULL;
	rec_fail_setup();
}

static void rec_start(void)
{
	rec_guard = 1;
	rec_settings_load();
	if (attached)
		attach_settings();
	flush_ns = (uint64_t)rec_settings.flush_ms * 1000000u;
	if (meta_start())
		goto out;
	packers_start();
	rec_early_close(); /* the image record lists what it holds */
	if (open_trace())
		goto out;
	rec_self_range(&self_start, &self_end);
	unwinder_start_high();
	threads_start();
	mutex_take(&g_lock);
	if (nodes_grow_locked() == 0)
		rec_modules_scan(emit_module);
	mutex_drop(&g_lock);
	asym_setup(); /* before any thread records */
	pthread_atfork(before_fork, after_fork_parent, after_fork_child);
	if (!attached) /* an attach leaves the program's signal dispositions alone */
		install_fatal_handlers();
	if (attached && threads_now() == 1)
		self_flush = 1;
	else
		start_flusher();
	core_ready = 1;
	__atomic_store_n(&rec_active, 1, __ATOMIC_RELEASE);
	/* The flusher may already sleep: it read rec_active as 0 and waits
	 * with no timeout, as after a detach, and a program that allocates
	 * a little and then idles would never kick it (its trace stayed a
	 * bare header).  The kick makes it look again, or makes its first
	 * wait return at once. */
	kick_flusher();
out:
	rec_guard = 0;
}

int rec_started;

int rec_begin(void)
{
	/* libc sets environ in its own constructor, the first to run: before
	 * it (ld.so's own early allocations, if any) the settings cannot be
	 * read yet, so those calls pass unrecorded and the next one tries */
	extern char **environ;
	if (rec_guard || !environ)
		return 0;
	int expected = 0;
	if (!__atomic_compare_exchange_n(&rec_started, &expected, 1, 0, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE))
		return __atomic_load_n(&rec_active, __ATOMIC_ACQUIRE);
	rec_start();
	return rec_active;
}

/* A later attach: the threads, the stack tree and the flusher are there
 * from the first; a new trace starts with what it needs to stand alone. */
static void attach_restart(void)
{
	threads_restart();
	mutex_take(&g_lock);
	trace_restart();
	flush_always = 0;
	rec_modules_forget();
	mutex_drop(&g_lock);
	if (open_trace())
		return;
	mutex_take(&g_lock);
	nodes_emit_all_locked();
	rec_modules_scan(emit_module);
	mutex_drop(&g_lock);
	__atomic_store_n(&rec_active, 1, __ATOMIC_RELEASE);
	kick_flusher();
}

int rec_attach_claim(void)
{
	if (__atomic_load_n(&rec_active, __ATOMIC_ACQUIRE))
		return attached ? REC_ATTACH_BUSY : REC_ATTACH_PRELOADED;
	if (__atomic_load_n(&rec_started, __ATOMIC_ACQUIRE) && !attached)
		return REC_ATTACH_PRELOADED;
	attached = 1;
	/* from here an intercepted call never starts the recorder on its own */
	__atomic_store_n(&rec_started, 1, __ATOMIC_RELEASE);
	return 0;
}

int rec_attach_begin(const char *path)
{
	size_t n = strlen(path);
	if (!attached || n >= sizeof(attach_out))
		return REC_ATTACH_FAILED;
	int guard = rec_guard;
	rec_guard = 1;
	memcpy(attach_out, path, n + 1);
	if (!core_ready)
		rec_start();
	else
		attach_restart();
	rec_guard = guard;
	return __atomic_load_n(&rec_active, __ATOMIC_ACQUIRE) ? 0 : REC_ATTACH_FAILED;
}

void rec_attach_end(void)
{
	if (!attached || !__atomic_load_n(&rec_active, __ATOMIC_ACQUIRE))
		return;
	int guard = rec_guard, pack = tl_pack;
	rec_guard = 1;
	__atomic_store_n(&rec_active, 0, __ATOMIC_SEQ_CST);
	tl_pack = PACK_LOCKED;
	flush_threads(1, 0);
	tl_pack = pack;
	mutex_take(&g_lock);
	/* the window's end, on the recorder's clock */
	meta_room_locked(32);
	czt_enc_process_end(&meta, rec_now(), CZT_END_DETACH, 0);
	meta_flush_locked();
	trace_close();
	mutex_drop(&g_lock);
	rec_guard = guard;
}
