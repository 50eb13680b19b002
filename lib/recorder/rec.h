/*
 * rec.h - internals of libczprof.so, the preload recorder.  Nothing here is
 * exported: the library's only public symbols are the interposed functions
 * and czprof_get_hooks (lib/recorder/rec_exports.map).
 *
 * Rules for every file of the recorder: never call the program's malloc
 * (internal memory comes from mmap), never print, never change what the
 * program sees except through the trace file.
 */
#ifndef CZ_REC_H
#define CZ_REC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "format/czt.h"

#define REC_LIKELY(x) __builtin_expect(!!(x), 1)
#define REC_UNLIKELY(x) __builtin_expect(!!(x), 0)
/* for the few small steps of every event, which the compiler may
 * otherwise leave as calls */
#define REC_INLINE static inline __attribute__((always_inline))

/* ---- settings (rec_settings.c) ---- */
struct rec_settings {
	const char *output;   /* CZPROF_OUTPUT */
	pid_t root_pid;       /* CZPROF_ROOT_PID */
	int follow_fork;      /* CZPROF_FOLLOW_FORK */
	int depth;            /* CZPROF_DEPTH */
	int flush_ms;         /* CZPROF_FLUSH_MS */
	size_t buffer_bytes;  /* CZPROF_BUFFER_KB * 1024 */
	int unwind_fp;        /* CZPROF_UNWIND=fp: walk frame pointers */
	int clock_os;         /* CZPROF_CLOCK=os: never the time-stamp counter */
	const char *check_stacks; /* CZPROF_CHECK_STACKS: unwind cached stacks too,
				     write "checked N differed M" to this file at exit */
	int compress;         /* CZPROF_COMPRESS: zstd-compress EVENTS and META chunks */
	int compress_level;   /* CZPROF_COMPRESS_LEVEL: the zstd level */
	int columns;          /* CZPROF_COLUMNS: EVENTS chunks in column form when compressed:
			       * 0 never, 1 always, 2 (auto) as rec_spare.c decides */
	int membarrier;       /* CZPROF_MEMBARRIER=0: owners take a locked instruction */
	int free_stacks;      /* CZPROF_FREE_STACKS=1: frees carry their stack */
	int scan;             /* CZPROF_SCAN=0: no pointer scan at exit (no leak kinds) */
	const char *token;    /* REC_TOKEN_VAR: the trace an earlier image of the
			       * process wrote (rec_exec_token) */
	uint64_t fail_at;     /* CZPROF_FAIL_AT: fail this allocation call (from 1), 0: none */
	uint64_t fail_from;   /* CZPROF_FAIL_FROM: fail every call from this one on, 0: none */
	const char *fail_crash; /* CZPROF_FAIL_CRASH: where a fatal signal's stack is written */
};
extern struct rec_settings rec_settings;
void rec_settings_load(void);

/* ---- fault injection (rec_fail.c) ---- */

/* Non-zero while some allocation call may still be made to fail: the only
 * thing an allocation reads when none is (one predictable branch). */
extern int rec_fail_armed;
/* Arms from the settings; after rec_settings_load. */
void rec_fail_setup(void);
/* In the fatal-signal handler: writes the crash's stack to CZPROF_FAIL_CRASH. */
void rec_fail_crash(void);
/* Counts one allocation call the recorder records; 1: fail it. */
int rec_fail_now(void);
/* Should this recorded allocation call fail? */
#define REC_FAIL_HERE() (REC_UNLIKELY(__atomic_load_n(&rec_fail_armed, __ATOMIC_RELAXED)) && rec_fail_now())

/* ---- the recorder core (rec_core.c, rec_trace.c, rec_life.c) ---- */

/* Non-zero while events are recorded.  Read on every call. */
extern int rec_active;

/* The per-thread recursion guard: set while the recorder itself runs so
 * that allocations made by libunwind, dlsym or libc on its behalf pass
 * straight through.  REC_GUARD_NEW: set by a C++ operator new around the
 * real one (rec_cxx.c); the malloc it makes passes through, and drops the
 * guard when it fails, so that the new-handler's allocations are recorded
 * and a bad_alloc thrown through the wrapper leaves no guard behind. */
extern __thread int rec_guard;
#define REC_GUARD_NEW 2
/* Set by a C++ operator new that fault injection fails (rec_cxx.c): the
 * allocation the real operator makes under REC_GUARD_NEW returns NULL
 * (rec_interpose.c), and clears it. */
extern __thread int rec_new_fail;

/* Recording is on and we are not inside the recorder already.  Before the
 * recorder has started, the test of rec_started starts it (rec_begin,
 * below); after, it costs a load and a branch on the calls that are not
 * recorded only. */
#define RECORDING()                                                           \
	((REC_LIKELY(__atomic_load_n(&rec_active, __ATOMIC_RELAXED)) ||       \
	  (REC_UNLIKELY(!__atomic_load_n(&rec_started, __ATOMIC_RELAXED)) && rec_begin())) && \
	 !rec_guard)

/* Exported from libczprof.so (and listed in lib/recorder/rec_exports.map). */
#define EXPORT __attribute__((visibility("default")))

/* ---- event times (rec_clock.c) ---- */
/* Nanoseconds since the trace started; never decreasing on one thread,
 * and while only one thread records, a multiple of 32 (rec_clock.c).
 * Any thread, any time after rec_clock_start. */
uint64_t rec_now(void);
/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t rec_clock_mono(void);
/* The trace started at mono (CLOCK_MONOTONIC ns); use_counter: the CPU's
 * time-stamp counter may stand in for the OS clock while one thread
 * records.  Called before any event, and again in a forked child. */
void rec_clock_start(uint64_t mono, int use_counter);
/* The calling thread is about to record its first event. */
void rec_clock_claim(void);
/* 1 while the calling thread is the only one that has recorded: no
 * other thread's event can need ordering against its own. */
int rec_clock_alone(void);
/* The events.  frame: the interposed entry point's frame record
 * (__builtin_frame_address(0)), where the search for the program's
 * innermost frame starts. */
void rec_event_alloc(unsigned type, uint64_t t, const void *p, size_t size, const void *frame);
/* op: CZT_OP_* of the call (CZT_OP_C for free()); frame as above, for
 * the free's stack when CZPROF_FREE_STACKS asks for it. */
void rec_event_free(unsigned op, uint64_t t, const void *p, const void *frame);
/* An allocation by the C++ operator op (CZT_OP_NEW...): a CALL record,
 * then a malloc record. */
void rec_event_new(unsigned op, uint64_t t, const void *p, size_t size, const void *frame);
void rec_event_realloc(unsigned type, uint64_t t_free, uint64_t t, const void *old,
		       const void *p, size_t size, const void *frame);
/* An allocator-library record (type CZT_REC_CZ_*); with a frame, the
 * caller's stack is captured into r->stack. */
void rec_event_cz(struct czt_record *r, const void *frame);
/* Interns s as a STRING record (META); returns its id. */
uint64_t rec_intern_string(const char *s);
/* Re-reads the module map after dlopen/dlclose. */
void rec_modules_changed(void);

/* ---- module map (rec_modules.c) ---- */
/* Emits MODULE_LOAD / MODULE_UNLOAD for what changed since the last call
 * through emit (called with the recorder's global lock held). */
typedef void (*rec_module_emit)(int loaded, uint64_t id, uint64_t bias, uint64_t start,
				uint64_t end, const char *path, const uint8_t *bid,
				size_t bid_len);
void rec_modules_scan(rec_module_emit emit);
void rec_modules_forget(void); /* after fork: re-announce everything */
/* The address range of libczprof.so itself, to skip its frames. */
void rec_self_range(uint64_t *start, uint64_t *end);

/* ---- unwinding (rec_unwind.c: the only file including libunwind.h) ---- */
int rec_backtrace(void **ips, int max);
/* CZPROF_UNWIND=fp: the frame-pointer walk from the frame record whose
 * return address is at slot0 (from rec_caller_slot), at most max frames. */
int rec_backtrace_chain(const uintptr_t *slot0, void **ips, int max);
/* The stack slot that holds the return address from the recorder into the
 * program (the innermost frame that is not in [self_lo, self_hi)), found
 * through the recorder's own frame pointers from frame, the frame record of
 * the recorder's entry point (its __builtin_frame_address(0)); *stack_top
 * is set to the end of the thread's stack.  NULL when it cannot be found (a
 * signal stack, a thread whose stack is unknown). */
const uintptr_t *rec_caller_slot(const void *frame, uintptr_t self_lo, uintptr_t self_hi,
				 uintptr_t *stack_top);

/* The calling thread's stack [*lo, *hi).  Returns 0, or -1 when unknown. */
int rec_thread_stack(uintptr_t *lo, uintptr_t *hi);

/* At exit: the stack pointer and callee-saved registers (at most *n_regs,
 * *n_regs set to how many) of the frame that called the function whose
 * code is [fn_lo, fn_hi] (exit), found by unwinding from the caller.
 * Returns 0, or -1 when no frame of that function is on the stack.  Slow:
 * once per process. */
int rec_frame_above(uintptr_t fn_lo, uintptr_t fn_hi, uintptr_t *sp, uintptr_t *regs, int *n_regs);

/* ---- frame sizes from the unwind tables (rec_cfi.c) ---- */
#define REC_CFI_OUTERMOST 1u
/* For ret, a return address into some function: the distance in bytes
 * from the slot holding ret to the slot holding that function's own return
 * address, when the unwind tables fix it at that call site (the frame
 * address is the stack pointer plus a constant); REC_CFI_OUTERMOST when
 * the function is the outermost frame (its return address is undefined:
 * _start, a thread's start); 0 otherwise (a frame found through the frame
 * pointer, whose size may vary; a signal frame; no unwind tables). */
uint32_t rec_cfi_frame_size(uintptr_t ret);

/* ---- the stack-layout cache (rec_layout.c) ---- */
/* Per-thread memory of where the return addresses of stacks seen before
 * were, so that a repeated stack is checked instead of unwound.  The
 * caller owns the memory (rec_layouts_size() bytes, zeroed or cleared). */
struct rec_layouts;
size_t rec_layouts_size(void);
void rec_layouts_clear(struct rec_layouts *c);
/* The node of the stack whose innermost return address is at slot0, when
 * it is a stack seen before and unchanged; 0 otherwise. */
uint32_t rec_layouts_find(struct rec_layouts *c, const uintptr_t *slot0);
/* Remembers the stack ips[0..n) (ips[0] the return address at slot0) as
 * node, when the unwind tables fix where each of its return addresses
 * lies; cut: n frames are a prefix of a deeper stack. */
void rec_layouts_add(struct rec_layouts *c, const uintptr_t *slot0, uintptr_t stack_hi,
		     void *const *ips, int n, int cut, uint32_t node);

/* The same for CZPROF_UNWIND=fp: stacks found by rec_backtrace_chain from
 * slot0, checked by comparing the frame records the walk read. */
uint32_t rec_layouts_find_chain(struct rec_layouts *c, const uintptr_t *slot0);
void rec_layouts_add_chain(struct rec_layouts *c, const uintptr_t *slot0, uintptr_t stack_hi,
			   void *const *ips, int n, int cut, uint32_t node);

/* ---- spare CPU for the column form (rec_spare.c) ---- */
struct rec_spare {
	double cpus;        /* the cores the process may run on */
	int on;             /* the last answer */
	uint64_t wall_ns, self_us, own_us; /* at the last look */
	uint64_t bytes;     /* EVENTS payload bytes packed since then */
	double column_ns;   /* the flusher's CPU per payload byte in column form */
};
/* Starts looking; the calling thread is the one whose own CPU time is not
 * counted as the program's (the flusher). */
void rec_spare_init(struct rec_spare *s, uint64_t now_ns);
/* The flusher packed an EVENTS payload of len bytes (in either form). */
void rec_spare_packed(struct rec_spare *s, size_t len);
/* Whether to write the column form: looks again when 50 ms have passed
 * since the last look, otherwise repeats its last answer. */
int rec_spare_update(struct rec_spare *s, uint64_t now_ns);
/* The look itself, given the process's and the flusher's CPU time (us)
 * now: rec_spare_update without the clocks, for tests. */
int rec_spare_look(struct rec_spare *s, uint64_t now_ns, uint64_t self_us, uint64_t own_us);
/* The rule: program_cores of cpus in use; cost what the column form takes
 * (or would take) of the CPU time the program itself spends; was_on the
 * last answer. */
int rec_spare_decide(double program_cores, double cpus, double cost, int was_on);

/* ---- chunk compression (rec_zstd.c: the only file including zstd.h) ---- */
/* A zstd compression context that never allocates (its workspace comes from
 * rec_mmap), for inputs of up to max_src bytes at the given level.  One
 * user at a time.  NULL when the memory cannot be had. */
struct rec_zstd;
struct rec_zstd *rec_zstd_new(int level, size_t max_src);
/* Compresses src[0..len), len <= max_src, into one zstd frame at dst (room
 * for cap bytes).  Returns the frame's length, or 0 when it does not fit in
 * cap (so cap = len - 1 asks for "only if smaller") or anything failed. */
size_t rec_zstd_compress(struct rec_zstd *z, void *dst, size_t cap, const void *src, size_t len);
/* The same with matches looked for sparsely: for the streams of a column
 * chunk (format/czt_model.h), mostly literals, and for the flusher's frames
 * while it leaves columns out for the program's sake (about half the time
 * on events, about 1% more bytes). */
size_t rec_zstd_compress_sparse(struct rec_zstd *z, void *dst, size_t cap, const void *src,
				size_t len);
/* Makes the context usable again when it may have been caught in the middle
 * of a compression (in a forked child).  z may be NULL. */
void rec_zstd_reset(struct rec_zstd *z);

/* ---- the trace file (rec_trace.c); the recorder's memory: rec_mmap.h ---- */
/* Writes one chunk of the given type whose payload_len payload bytes
 * follow CZT_CHUNK_HEADER_LEN bytes of room at chunk (compressed when
 * compression is on), after any pending META records.  Takes g_lock. */
void rec_write_chunk(uint8_t *chunk, size_t payload_len, unsigned type);

/* ---- the pointer scan at exit (rec_scan.c) ---- */
/* The recorder's own memory [p, p+len), left out of the scan; forget
 * before unmapping it.  Any thread. */
void rec_own_note(void *p, size_t len);
void rec_own_forget(void *p);
/* The calling thread ends: its stack, which glibc may keep for a later
 * thread, holds only stale data unless a live thread runs on it. */
void rec_scan_thread_exit(void);
/* Scans the process's memory for pointers into the heap and writes SCAN
 * chunks; once, at exit or _exit (CZPROF_SCAN=0: never). */
void rec_scan_exit(void);

/* ---- blocks the program got before recording began (rec_interpose.c) ---- */
#define REC_EARLY_MAX 64
struct rec_early {
	uintptr_t addr[REC_EARLY_MAX];
	size_t size[REC_EARLY_MAX];
	int n;        /* entries used */
	int overflow; /* more were live than fit: the list is not all of them */
	int late;     /* the program's malloc is not this library's (rec_interpose.c) */
};
/* Filled while rec_active is 0 and read by rec_start (one thread: before
 * recording starts the process has not made threads of its own through
 * anything the recorder knows of; a race only makes the list less exact). */
extern struct rec_early rec_early;
/* Recording begins (rec_start, before the trace's image record): the list
 * is final, and whether the program's malloc is ours is known. */
void rec_early_close(void);

/* ---- attach to a running process (rec_life.c, rec_attach.c) ---- */
/* What rec_attach_begin and czprof_attach_start return besides 0; czprof
 * (cli/attach.c) names each. */
enum {
	REC_ATTACH_BUSY = 1,      /* attached already: another czprof records it */
	REC_ATTACH_PRELOADED = 2, /* the program runs under the preloaded recorder */
	REC_ATTACH_FAILED = 3,    /* the trace could not be opened or memory had */
};
/* Claims the process for an attach: 0, or REC_ATTACH_BUSY/PRELOADED.
 * After it, the wrappers pass calls through until rec_attach_begin. */
int rec_attach_claim(void);
/* Starts recording to path (a file czprof created, empty) after a claim:
 * the first time the whole recorder starts, later a new trace only.  0,
 * or REC_ATTACH_FAILED. */
int rec_attach_begin(const char *path);
/* Stops recording: every buffer is written and the trace closed.  Calls
 * already inside a wrapper finish unrecorded. */
void rec_attach_end(void);
/* Non-zero while the GOT entries are redirected (rec_attach.c). */
extern int rec_attach_hooked;
/* After a dlopen while attached: redirects the new modules' entries too. */
void rec_attach_rehook(void);

/* The functions an attach redirects (rec_interpose.c): each name a module
 * may import, and this library's own definition of it. */
struct rec_hook {
	const char *name;
	void *fn;
};
extern const struct rec_hook rec_hooks[];
extern const size_t rec_n_hooks;
/* Looks the real functions up as the program itself finds them, for a
 * library loaded late (RTLD_NEXT means nothing to a local object). */
void rec_interpose_resolve_default(void);

#endif

/* The environment variable that carries a process's trace across exec. */
#define REC_TOKEN_VAR "CZPROF_TRACE"
/* "CZPROF_TRACE=PID:DEV:INO:PATH", naming the trace this image writes, for
 * the environment of an image it execs; NULL when it records nothing.
 * Valid until the next fork. */
const char *rec_exec_token(void);

/* Writes every buffered event now (before _exit and exec, which skip the
 * exit flush). */
void rec_flush_all(void);

/* Starts recording, once per process image: from the first intercepted call
 * (another library's constructor may allocate before libczprof's own runs)
 * or from the library constructor, whichever comes first.  Returns whether
 * events are recorded now.  A call made while another thread is starting
 * the recorder returns 0 at once (it is not recorded): waiting could
 * deadlock on a lock the starting thread needs (ld.so's, in a dlopen). */
int rec_begin(void);
/* Non-zero once rec_begin has run (whether or not it could record). */
extern int rec_started;
