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
#include "lib/recorder/rec_core.h"
#include "lib/recorder/rec_mmap.h"

/* ---- compression ---- */

__thread int tl_pack;

/* A compressor: a context and room for one compressed chunk, and for EVENTS
 * chunks the column form's scratch (format/czt_model.h).  The column
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
	size_t room;        /* the longest payload the streams' mapping takes now */
	uint8_t *streams;   /* the split streams; NULL until first needed */
	uint8_t *packed;    /* the streams compressed, before their table */
	void *model;        /* the splitter's scratch */
};
static struct packer flusher_pk; /* the flusher thread's only */
static struct packer locked_pk;  /* under g_lock: META, and chunks written at exit */
/* The flusher's: whether its EVENTS chunks go in column form now
 * (CZPROF_COLUMNS=auto: rec_spare.c decides). */
static int flusher_columns = 1;
static struct rec_spare flusher_spare;

/* Payloads shorter than this are written raw: a zstd frame's own header
 * and block headers take about 10 bytes, so they seldom shrink. */
#define MIN_PACK 64

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
	if (REC_LIKELY(pk->streams && len <= pk->room))
		return 0;
	if (!pk->model) {
		pk->packed = rec_mmap(pk->max_events);
		pk->model = rec_mmap(czt_model_scratch_bytes(pk->max_events));
		if (!pk->packed || !pk->model)
			goto fail;
	}
	size_t room = pk->room ? pk->room : MIN_ROOM;
	while (room < len)
		room *= 2;
	if (room > pk->max_events)
		room = pk->max_events;
	uint8_t *streams = rec_mmap(czt_model_split_bytes(room));
	if (!streams)
		goto fail;
	if (pk->streams) {
		rec_own_forget(pk->streams);
		munmap(pk->streams, czt_model_split_bytes(pk->room));
	}
	pk->streams = streams;
	pk->room = room;
	return 0;
fail:
	pk->max_events = 0;
	return -1;
}

/* Payloads shorter than this are compressed as one frame: the column
 * form's table and its streams' own frames outweigh what it gains (a
 * program that allocates a hundred times, a thread's last few events). */
#define MIN_COLUMNS 4096

/* Compresses an EVENTS payload in column form into pk->out's payload:
 * returns its length, or 0 when it does not come out shorter than cap. */
static size_t pack_columns(struct packer *pk, const uint8_t *payload, size_t len, size_t cap)
{
	struct czt_streams st;
	if (len < MIN_COLUMNS || len > pk->max_events || packer_room(pk, len) ||
	    czt_model_split(payload, len, pk->streams, pk->model, pk->room, &st))
		return 0;
	size_t stored[CZT_STREAMS], total = 0;
	for (int i = 0; i < CZT_STREAMS; i++) {
		size_t n = st.len[i], room = cap - total;
		if (n > room)
			return 0;
		/* tiny streams stay raw: a frame's own header outweighs them */
		size_t z = n >= MIN_PACK ? rec_zstd_compress_sparse(pk->z, pk->packed + total,
								    n - 1, st.s[i], n) : 0;
		if (!z) {
			memcpy(pk->packed + total, st.s[i], n);
			z = n;
		}
		stored[i] = z;
		total += z;
	}
	uint8_t *dst = pk->out + CZT_CHUNK_HEADER_LEN;
	size_t head = czt_columns_header_put(dst, st.len, stored);
	if (head + total >= cap)
		return 0;
	memcpy(dst + head, pk->packed, total);
	return head + total;
}

/* Frames the chunk at chunk (payload_len raw payload bytes after its
 * header space) for writing and returns it, *len set to its length: as one
 * zstd frame in pk->out when pk compresses and the frame is smaller,
 * otherwise raw in place. */
static const uint8_t *seal_with(struct packer *pk, unsigned type, uint8_t *chunk,
				size_t payload_len, size_t *len)
{
	if (pk && pk->z && payload_len >= MIN_PACK) {
		const uint8_t *raw = chunk + CZT_CHUNK_HEADER_LEN;
		unsigned flags = CZT_CHUNK_COLUMNS;
		int events = type == CZT_CHUNK_EVENTS, flusher = pk == &flusher_pk;
		size_t n = events && (!flusher || flusher_columns)
				   ? pack_columns(pk, raw, payload_len, payload_len) : 0;
		if (!n) {
			/* Where the flusher left columns out for the program's
			 * sake (no core to spare), its frames look for matches
			 * sparsely too: on the events of a program that keeps
			 * every core busy that halves zstd's time (14 -> 7 ns
			 * per event on the two-thread bench) for 1% more bytes. */
			int cheap = events && flusher && !flusher_columns;
			flags = CZT_CHUNK_ZSTD;
			n = (cheap ? rec_zstd_compress_sparse : rec_zstd_compress)(
				pk->z, pk->out + CZT_CHUNK_HEADER_LEN, payload_len - 1, raw, payload_len);
		}
		if (events && flusher)
			rec_spare_packed(&flusher_spare, payload_len);
		if (n) {
			*len = czt_chunk_seal(pk->out, type, flags, (uint32_t)n, (uint32_t)payload_len);
			return pk->out;
		}
	}
	*len = czt_chunk_seal(chunk, type, 0, (uint32_t)payload_len, (uint32_t)payload_len);
	return chunk;
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

