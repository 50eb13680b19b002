/*
 * rec_cxx.c - the C++ allocation operators, interposed so that a block
 * says whether operator new, operator new[] or malloc made it, and a
 * release whether delete, delete[] or free ended it (`czprof errors` finds
 * new/free and new[]/delete mismatches from it).
 *
 * Written in C, by their mangled names, so that libczprof.so needs no C++
 * runtime: each wrapper forwards to the next definition (libstdc++'s,
 * found with dlsym(RTLD_NEXT) at its first call) and records around it.
 * The real operator new then calls malloc, which passes through under the
 * guard (REC_GUARD_NEW, rec.h) so that the block is recorded once, as
 * new.  The real one keeps all of its behaviour: the new-handler loop, and
 * std::bad_alloc thrown through this frame (the guard is already down
 * then: the malloc that failed dropped it).  A program that defines its
 * own operators is found before this library and never comes here.
 *
 * Cost: the same as malloc's path plus one call (the real operator) and
 * the malloc wrapper's pass-through.
 */
#include <dlfcn.h>
#include <stdlib.h>

#include "lib/recorder/rec.h"

/* std::align_val_t and std::nothrow_t as the ABI passes them. */
typedef size_t align_val;
typedef const void *nothrow_ref;

/* The next definition of a mangled name, looked up at the first call.
 * dlsym may allocate: under the guard, so those are not recorded. */
static void *next_fn(void **slot, const char *name)
{
	void *f = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
	if (REC_LIKELY(f != NULL))
		return f;
	int was = rec_guard;
	rec_guard = 1;
	f = dlsym(RTLD_NEXT, name);
	rec_guard = was;
	if (!f)
		abort(); /* called, yet no C++ runtime after us: nothing to forward to */
	__atomic_store_n(slot, f, __ATOMIC_RELEASE);
	return f;
}

#define NEXT(type, name)                                                  \
	static void *next_##name;                                         \
	__typeof__(type) real = (__typeof__(type))next_fn(&next_##name, #name)

/* Records the block p made by op: under the guard, unless the real
 * operator's malloc failed and dropped it (then, if a new-handler made
 * room and the retry worked, that malloc was recorded as plain malloc:
 * it is recorded again as a release and an allocation by op, so that its
 * family is right). */
static void *new_done(unsigned op, void *p, size_t n, const void *frame)
{
	int dropped = rec_guard != REC_GUARD_NEW;
	rec_guard = 1;
	if (p) {
		uint64_t t = rec_now();
		if (dropped)
			rec_event_free(CZT_OP_C, t, p, frame);
		rec_event_new(op, t, p, n, frame);
	}
	rec_guard = 0;
	return p;
}

/* Fault injection (CZPROF_FAIL_AT, rec_fail.c) fails this call: it is
 * recorded as a failed allocation by op, with the stack a block of it would
 * have, and the real operator's own allocation will fail (rec_new_fail), so
 * that it behaves as when memory runs out. */
static void new_fail(unsigned op, size_t n, const void *frame)
{
	rec_guard = 1;
	rec_event_new(op, rec_now(), NULL, n, frame);
	rec_new_fail = 1;
}

#define NEW_WRAPPER(name, op, params, args, n)                                    \
	EXPORT void *name params                                                  \
	{                                                                         \
		NEXT(void *(*)params, name);                                      \
		if (!RECORDING())                                                 \
			return real args;                                         \
		if (REC_FAIL_HERE())                                              \
			new_fail(op, n, __builtin_frame_address(0));              \
		rec_guard = REC_GUARD_NEW;                                        \
		void *p = real args;                                              \
		rec_new_fail = 0; /* an operator that allocated otherwise */     \
		return new_done(op, p, n, __builtin_frame_address(0));            \
	}

#define DELETE_WRAPPER(name, op, params, args)                                    \
	EXPORT void name params                                                   \
	{                                                                         \
		if (!p)                                                           \
			return;                                                   \
		NEXT(void (*)params, name);                                       \
		if (!RECORDING()) {                                               \
			real args;                                                \
			return;                                                   \
		}                                                                 \
		rec_guard = 1;                                                    \
		rec_event_free(op, rec_now(), p, __builtin_frame_address(0));     \
		real args;                                                        \
		rec_guard = 0;                                                    \
	}

#define N CZT_OP_NEW
#define A CZT_OP_NEW_ARRAY
#define AL CZT_OP_ALIGNED
#define NT CZT_OP_NOTHROW
#define SZ CZT_OP_SIZED

/* operator new, operator new[] */
NEW_WRAPPER(_Znwm, N, (size_t n), (n), n)
NEW_WRAPPER(_ZnwmRKSt9nothrow_t, N | NT, (size_t n, nothrow_ref t), (n, t), n)
NEW_WRAPPER(_ZnwmSt11align_val_t, N | AL, (size_t n, align_val a), (n, a), n)
NEW_WRAPPER(_ZnwmSt11align_val_tRKSt9nothrow_t, N | AL | NT,
	    (size_t n, align_val a, nothrow_ref t), (n, a, t), n)
NEW_WRAPPER(_Znam, A, (size_t n), (n), n)
NEW_WRAPPER(_ZnamRKSt9nothrow_t, A | NT, (size_t n, nothrow_ref t), (n, t), n)
NEW_WRAPPER(_ZnamSt11align_val_t, A | AL, (size_t n, align_val a), (n, a), n)
NEW_WRAPPER(_ZnamSt11align_val_tRKSt9nothrow_t, A | AL | NT,
	    (size_t n, align_val a, nothrow_ref t), (n, a, t), n)

/* operator delete, operator delete[] */
DELETE_WRAPPER(_ZdlPv, N, (void *p), (p))
DELETE_WRAPPER(_ZdlPvm, N | SZ, (void *p, size_t n), (p, n))
DELETE_WRAPPER(_ZdlPvRKSt9nothrow_t, N | NT, (void *p, nothrow_ref t), (p, t))
DELETE_WRAPPER(_ZdlPvSt11align_val_t, N | AL, (void *p, align_val a), (p, a))
DELETE_WRAPPER(_ZdlPvmSt11align_val_t, N | SZ | AL, (void *p, size_t n, align_val a), (p, n, a))
DELETE_WRAPPER(_ZdlPvSt11align_val_tRKSt9nothrow_t, N | AL | NT,
	       (void *p, align_val a, nothrow_ref t), (p, a, t))
DELETE_WRAPPER(_ZdaPv, A, (void *p), (p))
DELETE_WRAPPER(_ZdaPvm, A | SZ, (void *p, size_t n), (p, n))
DELETE_WRAPPER(_ZdaPvRKSt9nothrow_t, A | NT, (void *p, nothrow_ref t), (p, t))
DELETE_WRAPPER(_ZdaPvSt11align_val_t, A | AL, (void *p, align_val a), (p, a))
DELETE_WRAPPER(_ZdaPvmSt11align_val_t, A | SZ | AL, (void *p, size_t n, align_val a), (p, n, a))
DELETE_WRAPPER(_ZdaPvSt11align_val_tRKSt9nothrow_t, A | AL | NT,
	       (void *p, align_val a, nothrow_ref t), (p, a, t))
