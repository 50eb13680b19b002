/*
 * rec_unwind.c - stack capture.  The only file of the recorder that
 * includes libunwind.h.
 *
 * Two ways: libunwind's unw_backtrace (DWARF CFI with its fast trace
 * cache; an unw_step loop would cost two sigprocmask calls per frame), and
 * with CZPROF_UNWIND=fp a walk of the frame-pointer chain, several times
 * cheaper but only complete through code built with -fno-omit-frame-pointer
 * (the recorder itself is).  The walk never reads outside the thread's
 * stack, so code without frame pointers only cuts the stack short.
 */
#include <pthread.h>
#include <stdint.h>

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "lib/recorder/rec.h"

static __thread uintptr_t stack_lo, stack_hi;

/* The calling thread's stack, once per thread (pthread_getattr_np may
 * allocate: callers run under rec_guard, so that passes straight through). */
static int stack_bounds(void)
{
	if (REC_LIKELY(stack_hi))
		return 0;
	pthread_attr_t attr;
	void *addr;
	size_t size;
	if (pthread_getattr_np(pthread_self(), &attr))
		return -1;
	int rc = pthread_attr_getstack(&attr, &addr, &size);
	pthread_attr_destroy(&attr);
	if (rc)
		return -1;
	stack_lo = (uintptr_t)addr;
	stack_hi = (uintptr_t)addr + size;
	return 0;
}

int rec_thread_stack(uintptr_t *lo, uintptr_t *hi)
{
	if (stack_bounds())
		return -1;
	*lo = stack_lo;
	*hi = stack_hi;
	return 0;
}

/* A frame record is { saved frame pointer, return address }.  Returns
 * whether the one at fp lies on the thread's stack, so it can be read. */
static int record_readable(const uintptr_t *fp)
{
	uintptr_t at = (uintptr_t)fp;
	return at >= stack_lo && at + 2 * sizeof(uintptr_t) <= stack_hi &&
	       !(at & (sizeof(uintptr_t) - 1));
}

/* The caller's frame record, or NULL: the chain only goes up the stack. */
static const uintptr_t *outer_record(const uintptr_t *fp)
{
	const uintptr_t *next = (const uintptr_t *)fp[0];
	return next > fp ? next : NULL;
}

/* Walks the frame-pointer chain from the frame record fp: one return
 * address per record, at most max. */
static int walk_chain(const uintptr_t *fp, void **ips, int max)
{
	int n = 0;
	for (; fp && n < max; fp = outer_record(fp)) {
		if (!record_readable(fp) || fp[1] < 4096)
			break;
		ips[n++] = (void *)fp[1];
	}
	return n;
}

__attribute__((noinline)) static int backtrace_fp(void **ips, int max)
{
	if (stack_bounds())
		return 0;
	return walk_chain(__builtin_frame_address(0), ips, max);
}

int rec_backtrace_chain(const uintptr_t *slot0, void **ips, int max)
{
	if (stack_bounds())
		return 0;
	return walk_chain(slot0 - 1, ips, max);
}

/* rec_caller_slot past the entry point's own frame (a recorder function
 * that called another before the entry point's caller was reached). */
__attribute__((noinline)) static const uintptr_t *caller_slot_walk(const uintptr_t *fp,
								    uintptr_t self_lo,
								    uintptr_t self_hi,
								    uintptr_t *stack_top)
{
	if (stack_bounds())
		return NULL;
	/* the recorder's own frames all keep frame pointers */
	for (int steps = 0; fp && steps < 32; steps++, fp = outer_record(fp)) {
		if (!record_readable(fp))
			return NULL;
		if (fp[1] < self_lo || fp[1] >= self_hi) {
			*stack_top = stack_hi;
			return fp + 1;
		}
	}
	return NULL;
}

const uintptr_t *rec_caller_slot(const void *frame, uintptr_t self_lo, uintptr_t self_hi,
				 uintptr_t *stack_top)
{
	/* usually the entry point was called by the program: one step, and
	 * nothing kept in registers across a call */
	const uintptr_t *fp = frame;
	if (REC_LIKELY(stack_hi) && REC_LIKELY(record_readable(fp)) &&
	    REC_LIKELY(fp[1] < self_lo || fp[1] >= self_hi)) {
		*stack_top = stack_hi;
		return fp + 1;
	}
	return caller_slot_walk(fp, self_lo, self_hi, stack_top);
}

int rec_backtrace(void **ips, int max)
{
	if (rec_settings.unwind_fp)
		return backtrace_fp(ips, max);
	int n = unw_backtrace(ips, max);
	return n < 0 ? 0 : n;
}

int rec_frame_above(uintptr_t fn_lo, uintptr_t fn_hi, uintptr_t *sp, uintptr_t *regs, int *n_regs)
{
#if !defined(__x86_64__)
	(void)fn_lo; (void)fn_hi; (void)sp; (void)regs; (void)n_regs;
	return -1;
#else
	static const int saved[] = { UNW_X86_64_RBX, UNW_X86_64_RBP, UNW_X86_64_R12,
				     UNW_X86_64_R13, UNW_X86_64_R14, UNW_X86_64_R15 };
	unw_context_t ctx;
	unw_cursor_t c;
	if (unw_getcontext(&ctx) || unw_init_local(&c, &ctx))
		return -1;
	int in_fn = 0;
	/* a slow walk (sigprocmask per frame), once at exit */
	for (int depth = 0; depth < 256 && unw_step(&c) > 0; depth++) {
		unw_word_t ip;
		if (unw_get_reg(&c, UNW_REG_IP, &ip))
			return -1;
		if (ip > fn_lo && ip <= fn_hi) {
			in_fn = 1; /* a return address into fn: this frame is fn's */
			continue;
		}
		if (!in_fn)
			continue;
		/* the first frame above fn's: its registers as at the call */
		unw_word_t v;
		if (unw_get_reg(&c, UNW_REG_SP, &v))
			return -1;
		*sp = (uintptr_t)v;
		int n = 0;
		for (size_t i = 0; i < sizeof(saved) / sizeof(saved[0]) && n < *n_regs; i++)
			if (!unw_get_reg(&c, saved[i], &v))
				regs[n++] = (uintptr_t)v;
		*n_regs = n;
		return 0;
	}
	return -1;
#endif
}
