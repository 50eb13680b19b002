/*
 * rec_flusher.c - the flusher thread and the compressors.  The flusher,
 * woken through a futex when a thread hands a chunk over (kick_flusher)
 * and every half flush period, writes the handed-over chunks of every
 * thread oldest first, compressing them on the way, and hands over the
 * chunks of threads that have gone quiet.  The two compressors: the
 * flusher's own, used outside g_lock, and the one the exit paths and META
 * use under g_lock; which one a thread may use is its tl_pack.
 */
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "format/czt_model.h"
#include "format/czt_pack.h"
#include "lib/recorder/rec_core.h"
#include "lib/recorder/rec_mmap.h"

/* ---- compression ---- */

__thread int tl_pack;

/* A compressor: a context and room for one compressed chunk, and for EVENTS
 * chunks the column form's scratch (format/czt_pack.h).  The column
 * scratch is mapped when first needed and the streams' room grows with the
 * longest payload split so far: sized for the longest possible payload at
 * once, the two packers would hold 75 MB of the program's address space
 * (36 streams, each with room for 4 times a 256 KiB payload) that a
 * program under `ulimit -v` may need, and that a program writing only
 * small chunks never touches. */
struct packer {
	struct rec_zstd *z; /* NULL: compression off or unavailable */
	uint8_t *out;
	size_t max_events;  /* the longest EVENTS payload it takes in column form;
			       0: no column form (off, or its memory could not be had) */
	/* streams NULL until first needed; room: the longest payload the
	 * streams' mapping takes now */
	struct czt_columns_mem cols;
};
static struct packer flusher_pk; /* the flusher thread's only */
static struct packer locked_pk;  /* under g_lock: META, and chunks written at exit */
/* The flusher's: whether its EVENTS chunks go in column form now
 * (CZPROF_COLUMNS=auto: rec_spare.c decides). */
static int flusher_columns = 1;
static struct rec_spare flusher_spare;

/* max_events: the buffer size; column streams are shorter than that or
 * not worth writing. */
static void packer_init(struct packer *pk, size_t max_payload, size_t max_events)
{
	pk->z = rec_zstd_new(rec_settings.compress_level, max_payload);
	pk->out = rec_mmap(CZT_CHUNK_HEADER_LEN + max_payload);
	if (!pk->out)
		pk->z = NULL; /* then its chunks are written raw */
	if (pk->z && rec_settings.columns)
		pk->max_events = max_events;
}

/* The smallest room the streams are mapped for: payloads of 64 KiB (9 MB
 * of streams), doubled as longer ones come. */
#define MIN_ROOM (64 * 1024)

/* Makes pk's column scratch take a payload of len bytes (len <=
 * pk->max_events).  Returns 0, or -1 when the memory cannot be had (the
 * column form is then left off for good: the payload goes as one frame). */
static int packer_room(struct packer *pk, size_t len)
{
	struct czt_columns_mem *m = &pk->cols;
	if (REC_LIKELY(m->streams && len <= m->room))
		return 0;
	if (!m->model) {
		m->packed = rec_mmap(pk->max_events);
		m->model = rec_mmap(czt_model_scratch_bytes(pk->max_events));
		if (!m->packed || !m->model)
			goto fail;
	}
	size_t room = m->room ? m->room : MIN_ROOM;
	while (room < len)
		room *= 2;
	if (room > pk->max_events)
		room = pk->max_events;
	uint8_t *streams = rec_mmap(czt_model_split_bytes(room));
	if (!streams)
		goto fail;
	if (m->streams) {
		rec_own_forget(m->streams);
		munmap(m->streams, czt_model_split_bytes(m->room));
	}
	m->streams = streams;
	m->room = room;
	return 0;
fail:
	pk->max_events = 0;
	return -1;
}

/* rec_zstd's two ways, as the format's packer calls a compressor */
static size_t zstd_frame(void *z, void *dst, size_t cap, const void *src, size_t len)
{
	return rec_zstd_compress(z, dst, cap, src, len);
}

static size_t zstd_sparse(void *z, void *dst, size_t cap, const void *src, size_t len)
{
	return rec_zstd_compress_sparse(z, dst, cap, src, len);
}

/* Frames the chunk at chunk (payload_len raw payload bytes after its
 * header space) for writing and returns it, *len set to its length:
 * packed in pk->out when pk compresses and that is smaller (the column
 * form for EVENTS, if pk has it and the flusher wants it now), otherwise
 * raw in place. */
static const uint8_t *seal_with(struct packer *pk, unsigned type, uint8_t *chunk,
				size_t payload_len, size_t *len)
{
	if (!pk || !pk->z || payload_len < CZT_PACK_MIN)
		return czt_chunk_pack(NULL, type, chunk, payload_len, len);
	int events = type == CZT_CHUNK_EVENTS, flusher = pk == &flusher_pk;
	int columns = events && (!flusher || flusher_columns) &&
		      payload_len >= CZT_PACK_MIN_COLUMNS && payload_len <= pk->max_events &&
		      !packer_room(pk, payload_len);
	/* Where the flusher left columns out for the program's sake (no core
	 * to spare), its frames look for matches sparsely too: on the events
	 * of a program that keeps every core busy that halves zstd's time
	 * (14 -> 7 ns per event on the two-thread bench) for 1% more bytes. */
	int cheap = events && flusher && !flusher_columns;
	struct czt_pack how = {
		.frame = cheap ? zstd_sparse : zstd_frame,
		.stream = zstd_sparse,
		.ctx = pk->z,
		.out = pk->out,
		.columns = columns ? &pk->cols : NULL,
	};
	const uint8_t *out = czt_chunk_pack(&how, type, chunk, payload_len, len);
	if (events && flusher)
		rec_spare_packed(&flusher_spare, payload_len);
	return out;
}

const uint8_t *seal(int pack, unsigned type, uint8_t *chunk, size_t payload_len, size_t *len)
{
	struct packer *pk = pack == PACK_FLUSHER ? &flusher_pk : pack == PACK_LOCKED ? &locked_pk : NULL;
	return seal_with(pk, type, chunk, payload_len, len);
}

void packers_start(void)
{
	if (!rec_settings.compress)
		return;
	size_t most = rec_settings.buffer_bytes > META_CAP ? rec_settings.buffer_bytes : META_CAP;
	packer_init(&flusher_pk, rec_settings.buffer_bytes, rec_settings.buffer_bytes);
	packer_init(&locked_pk, most, rec_settings.buffer_bytes);
}

/* ---- the flusher thread ---- */

/* 1 while the flusher has work it has not looked at yet. */
static int flusher_kick;

void kick_flusher(void)
{
	if (!__atomic_exchange_n(&flusher_kick, 1, __ATOMIC_SEQ_CST))
		syscall(SYS_futex, &flusher_kick, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

void flusher_after_fork(void)
{
	/* the parent's flusher may have been compressing: its compressor's
	 * state is dropped with it */
	flusher_kick = 0;
	rec_zstd_reset(flusher_pk.z);
	rec_zstd_reset(locked_pk.z);
}

/* ---- flushing all threads ---- */

/* Writes everything every thread holds, from the calling thread,
 * compressed as tl_pack allows; with blocking = 0 a busy thread is left
 * alone (signal handlers; is_flusher: see th_drain), and so is the calling
 * thread's own when it was interrupted in the middle of an event, and
 * everything when it was interrupted holding one of the mutexes. */
void flush_threads(int blocking, int is_flusher)
{
	if (tl_held)
		return; /* interrupted holding list_lock or g_lock (see tl_held) */
	uint64_t now = rec_now();
	mutex_take(&list_lock);
	for (struct rec_thread *th = threads; th; th = th->next) {
		if (!other_take(th, blocking))
			continue;
		th_drain(th, now, blocking, is_flusher);
		other_release(th);
	}
	mutex_drop(&list_lock);
	mutex_take(&g_lock);
	meta_flush_locked();
	write_lost(); /* in case the last try did not fit: appended, or updated */
	mutex_drop(&g_lock);
}

/* The flusher writes every handed-over chunk of every thread. */
static void write_handed_over(void)
{
	for (struct rec_thread *th = __atomic_load_n(&threads, __ATOMIC_ACQUIRE); th; th = th->next)
		while (write_oldest(th) > 0)
			;
}

/* The flusher hands over the chunks older than min_age of threads that
 * are not recording right now (a busy thread hands its own over). */
static void hand_over_old(uint64_t min_age)
{
	uint64_t now = rec_now();
	for (struct rec_thread *th = __atomic_load_n(&threads, __ATOMIC_ACQUIRE); th; th = th->next) {
		/* Taking a buffer costs a membarrier, which interrupts every
		 * running thread: idle threads with nothing buffered (and
		 * exited ones) are passed over on a glance at the owner's
		 * count, read without taking the buffer.  A stale 0 only
		 * leaves the chunk for the next round or the owner itself. */
		if (now - __atomic_load_n(&th->last_flush, __ATOMIC_RELAXED) < min_age ||
		    !__atomic_load_n(&th->enc.n_records, __ATOMIC_RELAXED) || !other_take(th, 0))
			continue;
		if (!czt_enc_empty(&th->enc) && ring_has_room(th)) {
			th->last_flush = now;
			hand_over(th);
		}
		other_release(th);
	}
}

static void *flusher_main(void *arg)
{
	(void)arg;
	rec_guard = 1; /* this thread's own allocations are never recorded */
	tl_pack = PACK_FLUSHER;
	uint64_t period = (uint64_t)rec_settings.flush_ms * 1000000u;
	rec_spare_init(&flusher_spare, rec_clock_mono());
	for (;;) {
		/* half a period at most: idle threads' chunks are written
		 * within 1.5 periods */
		struct timespec ts = { (time_t)(period / 2 / 1000000000u),
				       (long)(period / 2 % 1000000000u) };
		/* after a detach (rec_attach_end) it sleeps until the next
		 * attach kicks it: a process left alone pays no wake-ups */
		syscall(SYS_futex, &flusher_kick, FUTEX_WAIT_PRIVATE, 0,
			__atomic_load_n(&rec_active, __ATOMIC_RELAXED) ? &ts : NULL, NULL, 0);
		__atomic_store_n(&flusher_kick, 0, __ATOMIC_SEQ_CST);
		if (!rec_active)
			continue;
		if (rec_settings.columns == 2)
			flusher_columns = rec_spare_update(&flusher_spare, rec_clock_mono());
		write_handed_over();
		hand_over_old(period);
		write_handed_over();
		mutex_take(&g_lock);
		meta_flush_locked();
		mutex_drop(&g_lock);
	}
	return NULL;
}

void start_flusher(void)
{
	pthread_t t;
	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&a, 256 * 1024); /* zstd's frames too */
	/* the flusher must not take signals meant for the program */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_create(&t, &a, flusher_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&a);
}

