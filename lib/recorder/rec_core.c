/*
 * rec_core.c - the recorder's hot path and the threads' buffers: each
 * thread's struct and ring of chunks, the owner's and the others' claims on
 * them (this_thread, own_begin, other_take), capturing a stack
 * (capture_stack) and writing an event (rec_event_*), and the locks.  The
 * rest of the core: the stack tree (rec_stacks.c), the flusher and the
 * compressors (rec_flusher.c), the trace file and META (rec_trace.c), and
 * the process's life: start, fork, fatal signals, exit, attach
 * (rec_life.c); what they share is in rec_core.h.
 *
 * Locks, always taken in this order:
 *   list_lock   the list of thread buffers (the flusher walks it without:
 *               entries are only ever added, at the head)
 *   th->lock    one thread's chunk being filled, as taken by any thread but
 *               its owner (the flusher, exit and signal flushes): a spin
 *               flag among them, then a claim the owner sees (see "the
 *               owner and the others" below)
 *   th->writing the claim on writing one thread's oldest handed-over chunk
 *               (a flag taken with an exchange; never waited for while
 *               g_lock is held)
 *   g_lock      the stack tree, the META buffer and every write to the file
 * The hot path (a plain malloc or free) takes no lock at all: it marks its
 * own buffer busy with a plain store.
 *
 * How chunks reach the file: a thread fills a chunk in one of the
 * REC_SLOTS buffers of its ring; when the chunk is full or old it is
 * handed over (the ring's head moves on) and the flusher thread, woken
 * through a futex, writes the handed-over chunks oldest first, compressing
 * them on the way (CZPROF_COMPRESS).  So a profiled thread pays neither for
 * compression nor for write().  Only when its ring is full because the
 * flusher fell behind does it write its oldest chunk itself, uncompressed.
 * Exit, _exit, exec and fatal signals write every ring out synchronously.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/recorder/rec_core.h"
#include "lib/recorder/rec_mmap.h"

int rec_active;
__thread int rec_guard;

/* ---- locks ---- */

pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

/* How many of the recorder's mutexes (g_lock, list_lock) the calling
 * thread holds or is waiting for.  A signal handler that ends the process
 * (_exit, a fatal signal) may have interrupted its thread inside one of
 * them: taking it again would wait forever, so the flushes give up then. */
__thread int tl_held;

void mutex_take(pthread_mutex_t *m)
{
	tl_held++; /* before: a handler arriving meanwhile must see it */
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	pthread_mutex_lock(m);
}

void mutex_drop(pthread_mutex_t *m)
{
	pthread_mutex_unlock(m);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	tl_held--;
}

/* ---- per-thread buffers ---- */

pthread_mutex_t list_lock = PTHREAD_MUTEX_INITIALIZER;
struct rec_thread *threads;
static pthread_key_t exit_key;

/*
 * The owner and the others.  Only the owning thread records into its
 * buffer, millions of times a second; anyone else (the flusher handing an
 * idle thread's chunk over, the exit, exec and fatal-signal flushes, a
 * thread reusing an exited thread's struct) does so a few times a second at
 * most.  A lock taken with a locked instruction on every event would make
 * the common side pay for the rare one, so the two sides pay unequally:
 *
 *   owner, per event:   busy = 1; compiler barrier; if (claimed) wait
 *                       ... the event ...
 *                       busy = 0 (release)
 *   another party:      take lock (among the others); claimed = 1;
 *                       membarrier(PRIVATE_EXPEDITED); while (busy) wait
 *                       ... the buffer is its own ...
 *                       claimed = 0 (release); release lock
 *
 * This is Dekker's store-then-load on each side; what would break it is
 * the owner's CPU letting its load of claimed pass its store to busy
 * (store buffering), after which both could go ahead.  membarrier makes
 * every thread of the process that is running execute a full barrier
 * before the call returns (a thread that is not running passed one when it
 * was switched out).  That barrier falls at some point of the owner's
 * instruction stream.  If the owner's store to busy came before it, the
 * store is visible by the time membarrier returns, so the other party
 * reads busy = 1 (or the 0 of an event that has ended since) and waits.
 * If the owner's load of claimed comes after it, it reads claimed = 1 (the
 * store came before the call) and the owner waits.  One of the two holds,
 * because the store comes before the load in the owner's program order,
 * which the compiler barrier keeps in the emitted code.  The owner's
 * release of busy and the other's acquire of it (and the same for claimed
 * the other way) hand over what was written to the buffer.
 *
 * Without membarrier (kernels before 4.14, seccomp filters, or
 * CZPROF_MEMBARRIER=0) both sides use full barriers instead: the owner an
 * exchange on busy, the others a sequentially consistent store and fence,
 * which costs the owner the locked instruction it always used to.
 *
 * A party running on the owner's own thread (a signal handler, or the
 * exit paths) needs no membarrier: its thread's own stores are in order for
 * it.  When it finds busy set, the thread was interrupted in the middle of
 * an event; it gives up on that buffer even when asked to wait, as a
 * failed trylock does, rather than wait for itself forever.
 */
static int asym; /* membarrier is registered: the owner uses no locked instruction */

/* Whether membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) can be used; called
 * at start and again in a forked child (a new address space). */
void asym_setup(void)
{
	asym = 0;
	if (!rec_settings.membarrier)
		return;
	long cmds = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
	if (cmds < 0 || !(cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED))
		return;
	if (syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0))
		return;
	asym = 1;
}

static void own_wait(struct rec_thread *th);

/* The owner starts an event (or other work) on its buffer. */
REC_INLINE void own_begin(struct rec_thread *th)
{
	if (REC_LIKELY(asym)) {
		__atomic_store_n(&th->busy, 1, __ATOMIC_RELAXED);
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
	} else {
		__atomic_exchange_n(&th->busy, 1, __ATOMIC_SEQ_CST);
	}
	if (REC_UNLIKELY(__atomic_load_n(&th->claimed, __ATOMIC_SEQ_CST)))
		own_wait(th);
}

REC_INLINE void own_end(struct rec_thread *th)
{
	__atomic_store_n(&th->busy, 0, __ATOMIC_RELEASE);
}

/* Another party has the buffer: steps back until it is done, then tries
 * again (another may have come meanwhile). */
static __attribute__((noinline)) void own_wait(struct rec_thread *th)
{
	do {
		own_end(th);
		while (__atomic_load_n(&th->claimed, __ATOMIC_ACQUIRE))
			sched_yield();
		if (asym) {
			__atomic_store_n(&th->busy, 1, __ATOMIC_RELAXED);
			__atomic_signal_fence(__ATOMIC_SEQ_CST);
		} else {
			__atomic_exchange_n(&th->busy, 1, __ATOMIC_SEQ_CST);
		}
	} while (__atomic_load_n(&th->claimed, __ATOMIC_SEQ_CST));
}

static __thread struct rec_thread *self;

void other_release(struct rec_thread *th)
{
	__atomic_store_n(&th->claimed, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&th->lock, 0, __ATOMIC_RELEASE);
}

/* Takes th's buffer from anywhere but its owner's normal course (rec_core.h). */
int other_take(struct rec_thread *th, int wait)
{
	while (__atomic_exchange_n(&th->lock, 1, __ATOMIC_ACQUIRE)) {
		if (!wait)
			return 0;
		sched_yield();
	}
	__atomic_store_n(&th->claimed, 1, __ATOMIC_SEQ_CST);
	int mine = th == self;
	if (!mine) {
		if (!asym) {
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
		} else if (syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0)) {
			/* cannot happen once registered; were it to, the owner
			 * could be mid-event unseen: leave its buffer alone
			 * rather than wait for a barrier that never comes */
			other_release(th);
			return 0;
		}
	}
	while (__atomic_load_n(&th->busy, __ATOMIC_ACQUIRE)) {
		if (!wait || mine) {
			other_release(th);
			return 0;
		}
		sched_yield();
	}
	return 1;
}

static void start_chunk(struct rec_thread *th, uint64_t base_time)
{
	czt_enc_init(&th->enc, th->slots[th->head % REC_SLOTS].buf, rec_settings.buffer_bytes,
		     CZT_CHUNK_EVENTS, th->tid, base_time);
}

static size_t chunk_payload_len(const struct czt_enc *e)
{
	return (size_t)(e->pos - e->buf) - CZT_CHUNK_HEADER_LEN;
}

/* Writes th's oldest handed-over chunk.  Returns 1 when it did, 0 when
 * there is none, -1 when another thread is writing one of th's chunks
 * (only one may, so that they stay in order). */
int write_oldest(struct rec_thread *th)
{
	if (__atomic_exchange_n(&th->writing, 1, __ATOMIC_ACQUIRE))
		return -1;
	unsigned tail = __atomic_load_n(&th->tail, __ATOMIC_RELAXED);
	int wrote = 0;
	if (tail != __atomic_load_n(&th->head, __ATOMIC_ACQUIRE)) {
		struct rec_slot *s = &th->slots[tail % REC_SLOTS];
		write_events(s->buf, s->payload_len, s->events, s->end_time);
		__atomic_store_n(&th->tail, tail + 1, __ATOMIC_RELEASE);
		wrote = 1;
	}
	__atomic_store_n(&th->writing, 0, __ATOMIC_RELEASE);
	return wrote;
}

/* The ring has a free slot to go on in after a hand-over. */
int ring_has_room(const struct rec_thread *th)
{
	return th->head + 1 - __atomic_load_n(&th->tail, __ATOMIC_ACQUIRE) < REC_SLOTS;
}

/* Hands th's chunk over and starts the next one in the next slot, which
 * must be free (ring_has_room).  Caller has th's buffer (own_begin
 * or other_take). */
void hand_over(struct rec_thread *th)
{
	uint64_t last = th->enc.last_time;
	struct rec_slot *s = &th->slots[th->head % REC_SLOTS];
	s->payload_len = chunk_payload_len(&th->enc);
	s->events = th->enc.n_records;
	s->end_time = last;
	__atomic_store_n(&th->head, th->head + 1, __ATOMIC_RELEASE);
	start_chunk(th, last);
	kick_flusher();
}

/* How long a fatal-signal handler waits for the flusher to finish writing
 * a thread's chunk before it leaves that thread's events unwritten (rather
 * than write them out of order). */
#define DRAIN_PATIENCE_NS 1000000000ull

/* Writes everything th holds, handed over or being filled, in order, from
 * the calling thread.  Caller has th's buffer (own_begin
 * or other_take).  patient = 0 in a signal
 * handler: the wait for another writer is bounded, and none when the
 * caller is the flusher (it could be the writer that was interrupted). */
void th_drain(struct rec_thread *th, uint64_t now, int patient, int is_flusher)
{
	th->last_flush = now;
	uint64_t deadline = 0;
	int r;
	while ((r = write_oldest(th)) != 0) {
		if (r > 0)
			continue;
		if (!patient) {
			if (is_flusher)
				return;
			if (!deadline)
				deadline = rec_clock_mono() + DRAIN_PATIENCE_NS;
			else if (rec_clock_mono() > deadline)
				return;
		}
		sched_yield();
	}
	if (czt_enc_empty(&th->enc))
		return;
	uint64_t last = th->enc.last_time;
	write_events(th->enc.buf, chunk_payload_len(&th->enc), th->enc.n_records, last);
	start_chunk(th, last);
}

int flush_always; /* after the exit flush: write every event at once */
/* No flusher thread (an attach to a single-threaded process): each thread
 * writes its own chunk when it is full or old.  A thread of the recorder's
 * would switch glibc's malloc out of its single-threaded fast path for the
 * rest of the process's life, detached or not (about 1.7x the time per
 * malloc/free pair). */
int self_flush;

/* The calling thread's chunk is full or old: hands it over to the flusher
 * (after the exit flush: writes it now).  Caller has th's buffer (own_begin
 * or other_take). */
static void th_flush(struct rec_thread *th, uint64_t now)
{
	if (REC_UNLIKELY(flush_always || self_flush)) {
		th_drain(th, now, 1, 0);
		return;
	}
	th->last_flush = now;
	if (czt_enc_empty(&th->enc))
		return;
	/* The flusher fell behind: write the oldest chunk here, uncompressed,
	 * or wait while the flusher is writing it. */
	while (REC_UNLIKELY(!ring_has_room(th)))
		if (write_oldest(th) < 0)
			sched_yield();
	hand_over(th);
}

static void thread_start_record(uint64_t tid, int end)
{
	mutex_take(&g_lock);
	meta_room_locked(64);
	if (end)
		czt_enc_thread_end(&meta, rec_now(), tid);
	else
		czt_enc_thread_start(&meta, rec_now(), tid, 0);
	mutex_drop(&g_lock);
}

static void on_thread_exit(void *arg)
{
	struct rec_thread *th = arg;
	rec_guard = 1;
	own_begin(th);
	th_flush(th, rec_now());
	own_end(th);
	thread_start_record(th->tid, 1);
	rec_scan_thread_exit();
	self = NULL;
	__atomic_store_n(&th->in_use, 0, __ATOMIC_RELEASE);
	rec_guard = 0;
}

/* A new thread's struct with its ring of buffers and its caches, in one
 * mapping; NULL when memory is short. */
static struct rec_thread *thread_alloc(void)
{
	size_t bufs = REC_SLOTS * rec_settings.buffer_bytes;
	/* the layout cache at a 64-byte boundary: its compares load 16 bytes
	 * at a time from it, aligned */
	size_t head = (sizeof(struct rec_thread) + bufs + CACHE_SLOTS * sizeof(struct cache_slot) + 63) & ~(size_t)63;
	struct rec_thread *th = rec_mmap(head + rec_layouts_size());
	if (!th)
		return NULL;
	uint8_t *buf = (uint8_t *)(th + 1);
	for (int i = 0; i < REC_SLOTS; i++)
		th->slots[i].buf = buf + (size_t)i * rec_settings.buffer_bytes;
	th->cache = (struct cache_slot *)(buf + bufs);
	th->layouts = (struct rec_layouts *)((uint8_t *)th + head);
	return th;
}

static struct rec_thread *thread_new(void)
{
	uint64_t tid = (uint64_t)syscall(SYS_gettid);
	struct rec_thread *th = NULL;
	mutex_take(&list_lock);
	for (struct rec_thread *t = threads; t; t = t->next)
		if (!__atomic_load_n(&t->in_use, __ATOMIC_ACQUIRE)) {
			/* reuse an exited thread's struct: its chunk being filled
			 * was handed over at its exit; the handed-over ones carry
			 * their own tid */
			th = t;
			break;
		}
	if (!th) {
		th = thread_alloc();
		if (!th) {
			mutex_drop(&list_lock);
			return NULL;
		}
		th->next = threads;
		__atomic_store_n(&threads, th, __ATOMIC_RELEASE); /* the flusher walks without the lock */
	}
	th->in_use = 1;
	rec_clock_claim();
	memset(th->cache, 0, CACHE_SLOTS * sizeof(struct cache_slot));
	rec_layouts_clear(th->layouts);
	uint64_t now = rec_now();
	/* taken: the flusher may be looking at a reused struct's chunk */
	own_begin(th);
	th->tid = tid;
	th->last_flush = now;
	start_chunk(th, now);
	own_end(th);
	mutex_drop(&list_lock);
	thread_start_record(tid, 0);
	self = th;
	pthread_setspecific(exit_key, th);
	return th;
}

void threads_start(void)
{
	pthread_key_create(&exit_key, on_thread_exit);
}

void threads_after_fork(void)
{
	tl_held = 0; /* before_fork's two, released by the re-initialisation */
	pthread_mutex_init(&g_lock, NULL);
	pthread_mutex_init(&list_lock, NULL);
	/* Inherited buffers hold the parent's events: the parent writes them.
	 * The parent's flusher may have been writing one: its claim is
	 * dropped with it. */
	for (struct rec_thread *th = threads; th; th = th->next) {
		th->lock = 0;
		th->busy = 0;
		th->claimed = 0;
		th->in_use = 0;
		th->head = th->tail = 0;
		th->writing = 0;
		th->tid = 0;
		start_chunk(th, 0);
	}
	self = NULL;
	asym_setup(); /* the registration belongs to the parent's address space */
}

void threads_restart(void)
{
	/* events recorded by calls that were already inside a wrapper at the
	 * last detach are dropped with the chunks they went into */
	mutex_take(&list_lock);
	for (struct rec_thread *th = threads; th; th = th->next)
		if (other_take(th, 1)) {
			start_chunk(th, 0);
			other_release(th);
		}
	mutex_drop(&list_lock);
}

/* ---- capturing a stack ---- */

uint64_t self_start, self_end;

/* The caller's frames into ips, innermost first: *stp is set to the
 * first (frames of the recorder itself, at the innermost end, are dropped,
 * found by address so that inlining cannot shift them).  In fp mode the
 * walk starts at the program's innermost record when slot0 is known. */
static int collect_frames(const uintptr_t *slot0, void **ips, void ***stp)
{
	int depth = rec_settings.depth;
	if (rec_settings.unwind_fp && slot0) {
		*stp = ips;
		return rec_backtrace_chain(slot0, ips, depth);
	}
	int n = rec_backtrace(ips, depth + 8);
	int skip = 0;
	while (skip < n && (uint64_t)(uintptr_t)ips[skip] >= self_start &&
	       (uint64_t)(uintptr_t)ips[skip] < self_end)
		skip++;
	*stp = ips + skip;
	n -= skip;
	return n > depth ? depth : n;
}

/* The node id of the stack st[0..n), from the per-thread cache or
 * interned in the tree. */
static uint64_t intern_frames(struct rec_thread *th, void *const *st, int n)
{
	if (n <= 0)
		return 0;
	/* two independent multiply chains: half the latency of one */
	uint64_t a = 0x84222325CBF29CE4ull, b = (uint64_t)n;
	int i = 0;
	for (; i + 1 < n; i += 2) {
		a = (a ^ (uint64_t)(uintptr_t)st[i]) * 0x100000001B3ull;
		b = (b ^ (uint64_t)(uintptr_t)st[i + 1]) * 0xC2B2AE3D27D4EB4Full;
	}
	if (i < n)
		a = (a ^ (uint64_t)(uintptr_t)st[i]) * 0x100000001B3ull;
	uint64_t h = a ^ (b >> 1) ^ (b << 63);
	h ^= h >> 32;
	struct cache_slot *slot = &th->cache[h & (CACHE_SLOTS - 1)];
	if (REC_LIKELY(slot->hash == h && slot->n == (uint32_t)n && slot->node))
		return slot->node;

	mutex_take(&g_lock);
	uint64_t node = 0;
	for (int k = n - 1; k >= 0; k--) /* outermost first: parents before children */
		node = node_intern_locked(node, (uint64_t)(uintptr_t)st[k]);
	mutex_drop(&g_lock);
	slot->hash = h;
	slot->n = (uint32_t)n;
	slot->node = (uint32_t)node;
	return node;
}

/* Unwinds the caller's stack into ips and returns its node id; *stp and
 * *np are set to its frames. */
static uint64_t unwind_stack(struct rec_thread *th, const uintptr_t *slot0, void **ips,
			     void ***stp, int *np)
{
	*np = collect_frames(slot0, ips, stp);
	return intern_frames(th, *stp, *np);
}

static uint64_t stacks_checked, stacks_differed; /* CZPROF_CHECK_STACKS */

/* The node of a stack seen before and unchanged since, or 0. */
REC_INLINE uint64_t find_layout(struct rec_thread *th, const uintptr_t *slot0)
{
	return rec_settings.unwind_fp ? rec_layouts_find_chain(th->layouts, slot0)
				      : rec_layouts_find(th->layouts, slot0);
}

/* capture_stack when the layout cache does not know the stack (or every
 * stack is checked): unwinds it and remembers it.  Kept apart so that the
 * cache's hit path sets up no unwinding buffer. */
static __attribute__((noinline)) uint64_t capture_unwind(struct rec_thread *th,
							 const uintptr_t *slot0, uintptr_t top)
{
	void *ips[MAX_DEPTH + 16];
	void **st;
	int n;
	if (slot0) {
		uint64_t node = find_layout(th, slot0);
		if (node) { /* only with CZPROF_CHECK_STACKS */
			__atomic_add_fetch(&stacks_checked, 1, __ATOMIC_RELAXED);
			if (unwind_stack(th, slot0, ips, &st, &n) != node)
				__atomic_add_fetch(&stacks_differed, 1, __ATOMIC_RELAXED);
			return node;
		}
	}
	uint64_t node = unwind_stack(th, slot0, ips, &st, &n);
	if (!slot0)
		return node;
	int cut = n >= rec_settings.depth;
	if (rec_settings.unwind_fp)
		rec_layouts_add_chain(th->layouts, slot0, top, st, n, cut, (uint32_t)node);
	else
		rec_layouts_add(th->layouts, slot0, top, st, n, cut, (uint32_t)node);
	return node;
}

/* The node of the caller's stack: from the layout cache when the stack was
 * seen before and is unchanged, else unwound (and remembered).  frame: the
 * recorder's entry point's frame record.  (A forked child's caches need no
 * clearing here: its one thread starts again in thread_new, which clears
 * them.) */
REC_INLINE uint64_t capture_stack(struct rec_thread *th, const void *frame)
{
	uintptr_t top = 0;
	const uintptr_t *slot0 = rec_caller_slot(frame, self_start, self_end, &top);
	if (REC_LIKELY(slot0 != NULL) && REC_LIKELY(!rec_settings.check_stacks)) {
		uint64_t node = find_layout(th, slot0);
		if (REC_LIKELY(node))
			return node;
	}
	return capture_unwind(th, slot0, top);
}

/* CZPROF_CHECK_STACKS: the counts, for the tests. */
void write_stack_check(void)
{
	if (!rec_settings.check_stacks)
		return;
	int fd = open(rec_settings.check_stacks, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	char line[80];
	size_t n = 0;
	memcpy(line, "checked ", 8);
	n = 8 + put_decimal(line + 8, stacks_checked);
	memcpy(line + n, " differed ", 10);
	n += 10;
	n += put_decimal(line + n, stacks_differed);
	line[n++] = '\n';
	ssize_t ignored = write(fd, line, n);
	(void)ignored;
	close(fd);
}

/* ---- events ---- */

/* The calling thread's buffer, or NULL when the thread cannot record. */
REC_INLINE struct rec_thread *this_thread(void)
{
	struct rec_thread *th = self;
	if (REC_UNLIKELY(!th))
		th = thread_new();
	return th;
}

/* Takes th's buffer, with room for one record. */
REC_INLINE void begin_event(struct rec_thread *th)
{
	own_begin(th);
	if (REC_UNLIKELY(czt_enc_room(&th->enc) < CZT_ENC_MAX_RECORD))
		th_flush(th, rec_now());
}

uint64_t flush_ns; /* CZPROF_FLUSH_MS in ns */

REC_INLINE void end_event(struct rec_thread *th, uint64_t t)
{
	/* signed: t may be older than a flush this very event made (a free's
	 * time is taken before the call), and must not count as a whole
	 * period old */
	if (REC_UNLIKELY(flush_always) ||
	    REC_UNLIKELY((int64_t)(t - th->last_flush) > (int64_t)flush_ns))
		th_flush(th, t);
	own_end(th);
}

void rec_event_alloc(unsigned type, uint64_t t, const void *p, size_t size, const void *frame)
{
	struct rec_thread *th = this_thread();
	if (!th)
		return;
	uint64_t stack = capture_stack(th, frame);
	begin_event(th);
	czt_enc_alloc(&th->enc, type, t, (uint64_t)(uintptr_t)p, size, stack);
	end_event(th, t);
}

void rec_event_free(unsigned op, uint64_t t, const void *p, const void *frame)
{
	struct rec_thread *th = this_thread();
	if (!th)
		return;
	/* the stack first: capturing it may intern nodes (under g_lock) */
	uint64_t stack = REC_UNLIKELY(rec_settings.free_stacks) ? capture_stack(th, frame) : 0;
	begin_event(th);
	czt_enc_op_free(&th->enc, op, stack, t, (uint64_t)(uintptr_t)p);
	end_event(th, t);
}

void rec_event_new(unsigned op, uint64_t t, const void *p, size_t size, const void *frame)
{
	struct rec_thread *th = this_thread();
	if (!th)
		return;
	uint64_t stack = capture_stack(th, frame);
	begin_event(th);
	czt_enc_op_alloc(&th->enc, op, t, (uint64_t)(uintptr_t)p, size, stack);
	end_event(th, t);
}

void rec_event_realloc(unsigned type, uint64_t t_free, uint64_t t, const void *old,
		       const void *p, size_t size, const void *frame)
{
	struct rec_thread *th = this_thread();
	if (!th)
		return;
	/* a failed call (size but no block) keeps its stack too: reports name
	 * it, and `czprof faults` checks which call it failed */
	uint64_t stack = p || size ? capture_stack(th, frame) : 0;
	begin_event(th);
	czt_enc_realloc(&th->enc, type, t_free, t, (uint64_t)(uintptr_t)old,
			(uint64_t)(uintptr_t)p, size, stack);
	end_event(th, t);
}

void rec_event_cz(struct czt_record *r, const void *frame)
{
	struct rec_thread *th = this_thread();
	if (!th)
		return;
	if (frame)
		r->stack = capture_stack(th, frame);
	begin_event(th);
	r->time = rec_now();
	czt_enc_cz(&th->enc, r);
	end_event(th, r->time);
}

