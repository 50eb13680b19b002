/*
 * rec_core.c - the recorder's state: the trace file, per-thread event
 * buffers, the interned stack tree, the flusher thread, and the process
 * lifecycle (start, fork, fatal signals, exit).
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
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "format/czt_model.h"
#include "lib/recorder/rec.h"

int rec_active;
__thread int rec_guard;

/* ---- internal memory ---- */

void *rec_mmap(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	rec_own_note(p, len); /* never read by the scan at exit */
	return p;
}

/* ---- the file and the META buffer (under g_lock) ---- */

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

/* How many of the recorder's mutexes (g_lock, list_lock) the calling
 * thread holds or is waiting for.  A signal handler that ends the process
 * (_exit, a fatal signal) may have interrupted its thread inside one of
 * them: taking it again would wait forever, so the flushes give up then. */
static __thread int tl_held;

static void mutex_take(pthread_mutex_t *m)
{
	tl_held++; /* before: a handler arriving meanwhile must see it */
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	pthread_mutex_lock(m);
}

static void mutex_drop(pthread_mutex_t *m)
{
	pthread_mutex_unlock(m);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	tl_held--;
}
static int out_fd = -1;
/* The trace this image writes: its path and the file's identity, for the
 * exec token and for checking the descriptor before writes. */
static char trace_path[4096];
static dev_t trace_dev;
static ino_t trace_ino;
#define META_CAP (256 * 1024)
static uint8_t *meta_buf;
static struct czt_enc meta;

/* ---- compression ---- */

/* Which compressor a thread may use for the chunks it writes: a profiled
 * thread none (it must not pay for compression), the flusher its own
 * (outside g_lock), and the exit paths the one kept under g_lock. */
enum { PACK_NONE, PACK_FLUSHER, PACK_LOCKED };
static __thread int tl_pack;

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
static const uint8_t *seal(struct packer *pk, unsigned type, uint8_t *chunk,
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

/* ---- writing (under g_lock, or while no other thread records) ----
 *
 * The program owns every descriptor but the trace's, and may close that
 * one too: a daemon closes every descriptor above 2, a test harness dup2s
 * over them all, and the number is then reused by the program's next
 * open.  Writing there would put the trace into the program's own file.
 * So the descriptor is checked before every write: fstat, compared with
 * the file's device and inode remembered at open.  That costs one system
 * call per chunk (a few a second, or one per 256 KiB of events: well under
 * 1% of the write itself), and nothing on the allocation path.  When it is
 * no longer the trace, the trace is opened again by its path, if the path
 * still leads to that very file, and recording goes on as if nothing had
 * happened; if not, the events are counted as lost.  Intercepting close
 * and dup2 instead would miss close_range, closefrom (which glibc runs
 * without the PLT) and raw system calls.  The descriptor is also kept
 * high (REC_FD_LOW), far from the numbers a program's opens get, so that
 * the only window left (the program closes the trace and an open reuses
 * its number between the check and the write) needs a program holding
 * about a thousand descriptors.
 *
 * A failed write (a full disk: ENOSPC; EIO; EFBIG) takes back what it
 * wrote of its chunk (ftruncate), so that the trace stays whole, and stops
 * the trace for good: a later chunk could name a stack node whose
 * definition was in the lost one.  From then on the events are counted in
 * one lost record (FORMAT.md), appended once where a chunk did not fit and
 * rewritten in place as the count grows; `czprof record` prints it and the
 * loader marks the trace incomplete.
 */
#define REC_FD_LOW 1000

static int stopped;         /* no more chunks: events and definitions were lost */
static uint64_t lost_events; /* every event dropped */
static uint64_t lost_time;  /* when the first chunk was */
static off_t lost_at = -1;  /* where the loss chunk is in the file, once written */
static unsigned lost_why;   /* enum czt_lost_why of the first loss */
static int lost_err;        /* its errno */

/* Moves fd to REC_FD_LOW or above (close-on-exec); fd itself when that
 * cannot be done (a low RLIMIT_NOFILE). */
static int fd_move_high(int fd)
{
	int hi = fcntl(fd, F_DUPFD_CLOEXEC, REC_FD_LOW);
	if (hi < 0)
		return fd;
	close(fd);
	return hi;
}

/* Whether out_fd is the trace file; *size set to its length. */
static int trace_fd_ok(off_t *size)
{
	struct stat st;
	if (out_fd < 0 || fstat(out_fd, &st) || st.st_dev != trace_dev || st.st_ino != trace_ino)
		return 0;
	*size = st.st_size;
	return 1;
}

/* Cuts the trace back to len bytes, taking back a torn chunk.  If even
 * that fails, the torn chunk stays and readers stop there. */
static void take_back(off_t len)
{
	int rc = ftruncate(out_fd, len);
	(void)rc;
}

/* 0 when out_fd is (again) the trace file, *size set to its length. */
static int trace_fd_check(off_t *size)
{
	struct stat st;
	if (trace_fd_ok(size))
		return 0;
	out_fd = -1; /* the program's now, or nobody's: never written or closed here */
	if (!trace_path[0])
		return -1;
	int fd = open(trace_path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) || st.st_dev != trace_dev || st.st_ino != trace_ino) {
		close(fd);
		return -1;
	}
	out_fd = fd_move_high(fd);
	*size = st.st_size;
	return 0;
}

static void note_loss(unsigned why, int err)
{
	if (!lost_why) {
		lost_why = why;
		lost_err = err;
	}
}

/* Appends buf to the trace whole, or not at all: returns 0 (*at set to
 * where it went), or -1 (the loss noted) when the descriptor is gone or the
 * write failed. */
static int write_whole(const void *buf, size_t len, off_t *at)
{
	off_t start;
	if (trace_fd_check(&start)) {
		note_loss(CZT_LOST_CLOSED, 0);
		return -1;
	}
	const uint8_t *p = buf;
	size_t left = len;
	while (left) {
		ssize_t n = write(out_fd, p, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n < 0 ? errno : ENOSPC;
			if (left < len)
				take_back(start);
			note_loss(CZT_LOST_WRITE, err);
			return -1;
		}
		p += n;
		left -= (size_t)n;
	}
	*at = start;
	return 0;
}

/* The loss chunk: one META chunk holding one lost record that counts every
 * event lost so far.  It always has the same length (the count spelled in 8
 * bytes, the time that of the first loss), so that it is appended once and
 * then rewritten in place as the count grows: a full disk has no room for
 * more, and the count in the file stays current even if the process is
 * killed.  buf: room for LOSS_CHUNK bytes; returns the length. */
#define LOSS_CHUNK (CZT_CHUNK_HEADER_LEN + 48)

static size_t loss_chunk(uint8_t *buf)
{
	uint8_t body[40], *b = body;
	b = czt_put_varint(b, lost_time);
	uint64_t n = lost_events;
	for (int i = 0; i < 7; i++, n >>= 7)
		*b++ = (uint8_t)(0x80 | (n & 0x7f));
	*b++ = (uint8_t)(n & 0x7f); /* counts below 2^56 */
	b = czt_put_varint(b, lost_why);
	b = czt_put_varint(b, (uint64_t)lost_err);
	uint8_t *p = buf + CZT_CHUNK_HEADER_LEN;
	*p++ = CZT_REC_LOST;
	p = czt_put_varint(p, (uint64_t)(b - body));
	memcpy(p, body, (size_t)(b - body));
	p += b - body;
	uint32_t payload = (uint32_t)(p - buf - CZT_CHUNK_HEADER_LEN);
	return czt_chunk_seal(buf, CZT_CHUNK_META, 0, payload, payload);
}

/* Writes the count of lost events into the trace: appends the loss chunk
 * the first time it fits, rewrites it in place after that. */
static void write_lost(void)
{
	if (!lost_events)
		return;
	uint8_t buf[LOSS_CHUNK];
	size_t len = loss_chunk(buf);
	off_t size;
	if (lost_at < 0) {
		if (!write_whole(buf, len, &size))
			lost_at = size;
		return;
	}
	if (trace_fd_check(&size))
		return;
	/* pwrite on an O_APPEND descriptor appends (Linux): the flag is
	 * dropped meanwhile, under g_lock like every write */
	int fl = fcntl(out_fd, F_GETFL);
	if (fl < 0 || fcntl(out_fd, F_SETFL, fl & ~O_APPEND))
		return;
	ssize_t n = pwrite(out_fd, buf, len, lost_at);
	(void)n; /* a short rewrite leaves a bad checksum: readers stop there */
	fcntl(out_fd, F_SETFL, fl);
}

/* Writes one chunk holding events events (0 for META and the header);
 * after a loss, counts them instead. */
static void write_chunk(const void *buf, size_t len, uint64_t events)
{
	off_t at;
	if (!stopped && !write_whole(buf, len, &at))
		return;
	if (!stopped)
		lost_time = rec_now();
	__atomic_store_n(&stopped, 1, __ATOMIC_RELAXED);
	lost_events += events;
	if (events)
		write_lost();
}

static void meta_flush_locked(void)
{
	if (czt_enc_empty(&meta))
		return;
	size_t len;
	const uint8_t *out = seal(tl_pack == PACK_NONE ? NULL : &locked_pk, CZT_CHUNK_META, meta_buf,
				  (size_t)(meta.pos - meta_buf) - CZT_CHUNK_HEADER_LEN, &len);
	write_chunk(out, len, 0);
	czt_enc_init(&meta, meta_buf, META_CAP, CZT_CHUNK_META, 0, 0);
}

void rec_write_chunk(uint8_t *chunk, size_t payload_len, unsigned type)
{
	mutex_take(&g_lock);
	meta_flush_locked(); /* what the chunk may refer to comes first */
	size_t len;
	const uint8_t *out = seal(rec_settings.compress ? &locked_pk : NULL, type, chunk, payload_len, &len);
	write_chunk(out, len, 0);
	mutex_drop(&g_lock);
}

/* Makes room for one more META record of up to need bytes. */
static void meta_room_locked(size_t need)
{
	if (czt_enc_room(&meta) < need)
		meta_flush_locked();
}

/* EVENTS chunks this long or longer are announced by a chunk-events record
 * (FORMAT.md): `czprof record` follows the trace while it is written and
 * counts its events, which for a compressed chunk means decompressing it
 * whole; with the count given it passes the chunk by.  Shorter ones are
 * cheap to count and come in bursts (one per event after the exit flush). */
#define ANNOUNCE_MIN 4096

/* Writes one EVENTS chunk (payload_len raw payload bytes after the header
 * space at chunk, holding events events, the last at end_time), the
 * pending META data first so that every definition it refers to comes
 * before it, compressed as this thread may. */
static void write_events(uint8_t *chunk, size_t payload_len, uint64_t events, uint64_t end_time)
{
	size_t len = 0;
	const uint8_t *out = NULL;
	/* before the lock: others may intern stacks meanwhile (and not once
	 * the trace has stopped: the chunk is only counted) */
	if (tl_pack == PACK_FLUSHER && !__atomic_load_n(&stopped, __ATOMIC_RELAXED))
		out = seal(&flusher_pk, CZT_CHUNK_EVENTS, chunk, payload_len, &len);
	mutex_take(&g_lock);
	if (payload_len >= ANNOUNCE_MIN) {
		/* last in the META chunk, which the EVENTS chunk follows at
		 * once: both are written under g_lock */
		meta_room_locked(32);
		czt_enc_chunk_events(&meta, events, end_time);
	}
	meta_flush_locked();
	if (!out) /* after the META chunk: they may share locked_pk's buffer */
		out = seal(tl_pack == PACK_LOCKED ? &locked_pk : NULL, CZT_CHUNK_EVENTS, chunk,
			   payload_len, &len);
	write_chunk(out, len, events);
	mutex_drop(&g_lock);
}

/* ---- per-thread buffers ---- */

#define CACHE_SLOTS 4096 /* per-thread stack cache, direct mapped */
#define MAX_DEPTH 256

struct cache_slot {
	uint64_t hash;
	uint32_t n;
	uint32_t node;
};

/* Chunks per thread: the one being filled and up to REC_SLOTS - 1 handed
 * over, waiting for the flusher. */
#define REC_SLOTS 4

struct rec_slot {
	uint8_t *buf;       /* rec_settings.buffer_bytes: header space, then payload */
	size_t payload_len; /* once handed over, and: */
	uint64_t events, end_time; /* how many events it holds, the last one's time */
};

struct rec_thread {
	struct rec_thread *next;
	int lock;    /* among the other parties: which one may claim */
	int busy;    /* written by the owner only: it is between begin and end */
	int claimed; /* another party holds, or is taking, the buffer */
	int in_use; /* 0: the thread exited, the struct can be reused */
	uint64_t tid;
	uint64_t last_flush;
	/* The ring: slots[head % REC_SLOTS] is being filled (enc), the ones
	 * from tail to head are handed over.  head moves under lock, tail
	 * under writing; both only grow. */
	unsigned head, tail;
	int writing;
	struct rec_slot slots[REC_SLOTS];
	struct czt_enc enc;
	struct cache_slot *cache;
	struct rec_layouts *layouts;
};

static pthread_mutex_t list_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rec_thread *threads;
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
static void asym_setup(void)
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

static void other_release(struct rec_thread *th)
{
	__atomic_store_n(&th->claimed, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&th->lock, 0, __ATOMIC_RELEASE);
}

/* Takes th's buffer from anywhere but its owner's normal course: waiting
 * for the owner's event to end when wait is set, else giving up (0) when
 * the owner or another party has it.  1: taken, release with
 * other_release. */
static int other_take(struct rec_thread *th, int wait)
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
static int write_oldest(struct rec_thread *th)
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
static int ring_has_room(const struct rec_thread *th)
{
	return th->head + 1 - __atomic_load_n(&th->tail, __ATOMIC_ACQUIRE) < REC_SLOTS;
}

/* 1 while the flusher has work it has not looked at yet. */
static int flusher_kick;

static void kick_flusher(void)
{
	if (!__atomic_exchange_n(&flusher_kick, 1, __ATOMIC_SEQ_CST))
		syscall(SYS_futex, &flusher_kick, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* Hands th's chunk over and starts the next one in the next slot, which
 * must be free (ring_has_room).  Caller has th's buffer (own_begin
 * or other_take). */
static void hand_over(struct rec_thread *th)
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
static void th_drain(struct rec_thread *th, uint64_t now, int patient, int is_flusher)
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

static int flush_always; /* after the exit flush: write every event at once */
/* No flusher thread (an attach to a single-threaded process): each thread
 * writes its own chunk when it is full or old.  A thread of the recorder's
 * would switch glibc's malloc out of its single-threaded fast path for the
 * rest of the process's life, detached or not (about 1.7x the time per
 * malloc/free pair). */
static int self_flush;

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

/* ---- the stack tree (under g_lock) ---- */

struct node_slot {
	uint64_t parent;
	uint64_t ip;
	uint64_t id; /* 0 = empty */
};

static struct node_slot *nodes;
static size_t nodes_cap, nodes_used;
static uint64_t next_node = 1;
static uint64_t self_start, self_end;

static size_t node_hash(uint64_t parent, uint64_t ip)
{
	uint64_t h = (parent * 0x9E3779B97F4A7C15ull) ^ (ip * 0xC2B2AE3D27D4EB4Full);
	return (size_t)(h ^ (h >> 29));
}

static int nodes_grow_locked(void)
{
	size_t cap = nodes_cap ? nodes_cap * 2 : 4096;
	struct node_slot *n = rec_mmap(cap * sizeof(*n));
	if (!n)
		return -1;
	for (size_t i = 0; i < nodes_cap; i++) {
		if (!nodes[i].id)
			continue;
		size_t k = node_hash(nodes[i].parent, nodes[i].ip) & (cap - 1);
		while (n[k].id)
			k = (k + 1) & (cap - 1);
		n[k] = nodes[i];
	}
	if (nodes) {
		rec_own_forget(nodes);
		munmap(nodes, nodes_cap * sizeof(*nodes));
	}
	nodes = n;
	nodes_cap = cap;
	return 0;
}

static uint64_t node_intern_locked(uint64_t parent, uint64_t ip)
{
	if ((nodes_used + 1) * 4 > nodes_cap * 3 && nodes_grow_locked())
		return parent; /* out of memory: keep the shorter stack */
	size_t k = node_hash(parent, ip) & (nodes_cap - 1);
	while (nodes[k].id) {
		if (nodes[k].parent == parent && nodes[k].ip == ip)
			return nodes[k].id;
		k = (k + 1) & (nodes_cap - 1);
	}
	nodes[k].parent = parent;
	nodes[k].ip = ip;
	nodes[k].id = next_node++;
	nodes_used++;
	meta_room_locked(40);
	czt_enc_stack_node(&meta, nodes[k].id, parent, ip);
	return nodes[k].id;
}

static void nodes_reset_locked(void)
{
	if (nodes)
		memset(nodes, 0, nodes_cap * sizeof(*nodes));
	nodes_used = 0;
	next_node = 1;
}

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

/* Writes v in decimal at buf (room for 20 digits); returns the length.
 * The recorder has no stdio. */
static size_t put_decimal(char *buf, uint64_t v)
{
	char digits[20];
	size_t k = 0;
	do
		digits[k++] = (char)('0' + v % 10);
	while (v /= 10);
	for (size_t i = 0; i < k; i++)
		buf[i] = digits[k - 1 - i];
	return k;
}

/* CZPROF_CHECK_STACKS: the counts, for the tests. */
static void write_stack_check(void)
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

static uint64_t flush_ns; /* CZPROF_FLUSH_MS in ns */

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

/* String ids of the recorder start high so that the symbol table that
 * `czprof record` appends later can number its strings from 1. */
static uint64_t next_string = (uint64_t)1 << 32;

uint64_t rec_intern_string(const char *s)
{
	size_t len = s ? strlen(s) : 0;
	if (len > 1024)
		len = 1024;
	mutex_take(&g_lock);
	uint64_t id = next_string++;
	meta_room_locked(len + 32);
	czt_enc_string(&meta, id, s ? s : "", len);
	mutex_drop(&g_lock);
	return id;
}

/* ---- modules ---- */

static void emit_module(int loaded, uint64_t id, uint64_t bias, uint64_t start, uint64_t end,
			const char *path, const uint8_t *bid, size_t bid_len)
{
	uint64_t t = rec_now();
	if (loaded) {
		size_t plen = strlen(path);
		meta_room_locked(plen + bid_len + 80);
		czt_enc_module_load(&meta, t, id, bias, start, end, path, plen, bid, bid_len);
	} else {
		meta_room_locked(32);
		czt_enc_module_unload(&meta, t, id);
	}
}

void rec_modules_changed(void)
{
	if (!rec_active)
		return;
	mutex_take(&g_lock);
	rec_modules_scan(emit_module);
	mutex_drop(&g_lock);
}

/* ---- flushing all threads ---- */

/* Writes everything every thread holds, from the calling thread,
 * compressed as tl_pack allows; with blocking = 0 a busy thread is left
 * alone (signal handlers; is_flusher: see th_drain), and so is the calling
 * thread's own when it was interrupted in the middle of an event, and
 * everything when it was interrupted holding one of the mutexes. */
static void flush_threads(int blocking, int is_flusher)
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

static void start_flusher(void)
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

/* ---- the trace file ---- */

static size_t read_file(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	size_t len = 0;
	ssize_t n;
	while (len < cap && (n = read(fd, buf + len, cap - len)) > 0)
		len += (size_t)n;
	close(fd);
	return len;
}

/* Reads start_monotonic_ns from the header of a trace this process's
 * previous image began (exec keeps the pid and the file). */
static int header_start_of(int fd, uint64_t *start)
{
	uint8_t b[128];
	ssize_t n = pread(fd, b, sizeof(b), 0);
	if (n < 24 || memcmp(b, CZT_MAGIC, CZT_MAGIC_LEN))
		return -1;
	const uint8_t *p = b + 16, *end = b + n;
	uint64_t v = 0;
	for (int field = 0; field < 5; field++) {
		v = 0;
		for (int shift = 0;; shift += 7) {
			if (p >= end || shift > 63)
				return -1;
			uint8_t c = *p++;
			v |= (uint64_t)(c & 0x7f) << shift;
			if (!(c & 0x80))
				break;
		}
	}
	*start = v;
	return 0;
}

/* This image is a forked child's (its trace opened in after_fork_child):
 * it inherited its parent's heap.  An exec starts a fresh image (0). */
static int trace_forked;

/* This image records because czprof attached to it (rec_attach_begin):
 * never whole, and its image record says so. */
static int attached;
static char attach_out[4096];

/* The image record (FORMAT.md), written as recording of the first image or
 * of an exec's begins: whole when this image's allocation calls were all
 * seen from its first, the blocks it held before recording began excepted,
 * which follow it.  A forked child inherits its parent's heap and is never
 * whole, nor is an image whose malloc is not ours. */
static void image_start(uint64_t t, const char *exe, size_t exe_len, const char *cmdline,
			size_t cmd_len, int whole)
{
	whole = whole && !rec_early.overflow && !rec_early.late;
	int n = whole ? rec_early.n : 0;
	unsigned flags = (whole ? CZT_IMAGE_WHOLE : 0) | (attached ? CZT_IMAGE_ATTACHED : 0);
	czt_enc_image(&meta, t, exe, exe_len, cmdline, cmd_len, flags, (uint64_t)n);
	for (int i = 0; i < n; i++)
		czt_enc_early_block(&meta, rec_early.addr[i], rec_early.size[i]);
}

/* REC_TOKEN_VAR=PID:DEV:INO:PATH, handed to an exec'd image */
static char token[sizeof(trace_path) + 80];

static void remember_trace(const char *path, const struct stat *st)
{
	size_t n = strlen(path);
	if (n >= sizeof(trace_path))
		n = sizeof(trace_path) - 1;
	memcpy(trace_path, path, n);
	trace_path[n] = 0;
	trace_dev = st->st_dev;
	trace_ino = st->st_ino;
	char *t = token;
	memcpy(t, REC_TOKEN_VAR "=", sizeof(REC_TOKEN_VAR));
	t += sizeof(REC_TOKEN_VAR);
	t += put_decimal(t, (uint64_t)getpid());
	*t++ = ':';
	t += put_decimal(t, (uint64_t)st->st_dev);
	*t++ = ':';
	t += put_decimal(t, (uint64_t)st->st_ino);
	*t++ = ':';
	memcpy(t, trace_path, n + 1);
}

const char *rec_exec_token(void)
{
	return rec_active && trace_path[0] ? token : NULL;
}

/* Reads a decimal number ended by ':' at *s; -1 when there is none. */
static int get_decimal(const char **s, uint64_t *v)
{
	const char *p = *s;
	*v = 0;
	if (*p < '0' || *p > '9')
		return -1;
	while (*p >= '0' && *p <= '9')
		*v = *v * 10 + (uint64_t)(*p++ - '0');
	if (*p != ':')
		return -1;
	*s = p + 1;
	return 0;
}

/* The token an earlier image of this very process left (rec_exec.c):
 * the path of its trace and the file's identity.  0 when there is one. */
static int token_of_this_process(const char **path, uint64_t *dev, uint64_t *ino)
{
	const char *s = rec_settings.token;
	uint64_t pid;
	if (!s || get_decimal(&s, &pid) || pid != (uint64_t)getpid() || get_decimal(&s, dev) ||
	    get_decimal(&s, ino) || *s != '/')
		return -1;
	*path = s;
	return 0;
}

/* Makes fd, open on path, the trace; continuing it when it has a header
 * already (after exec), else writing one.  Returns 0, or -1 when nothing
 * can be recorded (fd is closed). */
static int adopt_trace(int fd, const char *path)
{
	struct stat st;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return -1;
	}
	out_fd = fd = fd_move_high(fd);
	remember_trace(path, &st);
	uint64_t now = rec_clock_mono();
	static char cmdline[8192], exe[4096];
	size_t cmd_len = read_file("/proc/self/cmdline", cmdline, sizeof(cmdline));
	if (cmd_len && cmdline[cmd_len - 1] == 0)
		cmd_len--;
	ssize_t exe_len = readlink("/proc/self/exe", exe, sizeof(exe));
	if (st.st_size > 0) {
		/* the same process after exec: continue its trace, naming the
		 * program it runs now (the header names the first) */
		uint64_t start_mono;
		if (header_start_of(fd, &start_mono)) {
			close(fd);
			out_fd = -1;
			trace_path[0] = 0;
			return -1;
		}
		rec_clock_start(start_mono, !rec_settings.clock_os);
		uint64_t t = rec_now();
		czt_enc_process_end(&meta, t, CZT_END_EXEC, 0);
		image_start(t, exe, exe_len > 0 ? (size_t)exe_len : 0, cmdline, cmd_len, 1);
		return 0;
	}
	rec_clock_start(now, !rec_settings.clock_os);
	struct timespec rt;
	clock_gettime(CLOCK_REALTIME, &rt);
	struct czt_header h = {
		.pid = (uint64_t)getpid(),
		.ppid = (uint64_t)getppid(),
		.start_realtime_ns = (uint64_t)rt.tv_sec * 1000000000u + (uint64_t)rt.tv_nsec,
		.clock = 1,
		.start_monotonic_ns = now,
		.cmdline = cmdline,
		.cmdline_len = cmd_len,
		.exe = exe,
		.exe_len = exe_len > 0 ? (size_t)exe_len : 0,
	};
	static uint8_t hbuf[16384];
	size_t len = czt_header_encode(hbuf, sizeof(hbuf), &h);
	write_chunk(hbuf, len, 0);
	image_start(rec_now(), exe, exe_len > 0 ? (size_t)exe_len : 0, cmdline, cmd_len, !trace_forked);
	return 0;
}

/* read-write: after exec the header is read back to continue its clock */
#define TRACE_FLAGS (O_RDWR | O_APPEND | O_NOFOLLOW | O_CLOEXEC)

/* The root process's trace, OUTPUT: created by `czprof record` (or named
 * by hand), so an existing file is taken as it is. */
static int open_root_trace(const char *path)
{
	int fd = open(path, TRACE_FLAGS | O_CREAT, 0600);
	return fd < 0 ? -1 : adopt_trace(fd, path);
}

/* The file an earlier image of this process wrote, named by its exec
 * token: continued only when the path still leads to that very file. */
static int continue_trace(const char *path, uint64_t dev, uint64_t ino)
{
	int fd = open(path, TRACE_FLAGS);
	struct stat st;
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) || (uint64_t)st.st_dev != dev || (uint64_t)st.st_ino != ino ||
	    st.st_size == 0) {
		close(fd);
		return -1;
	}
	return adopt_trace(fd, path);
}

/* The name a forked or exec'd child writes: OUTPUT minus ".czt", then
 * ".PID.czt", or ".PID.N.czt" for N > 0. */
static void child_path(char *buf, size_t cap, const char *output, unsigned n_try)
{
	size_t n = strlen(output);
	if (n >= 4 && !strcmp(output + n - 4, ".czt"))
		n -= 4;
	if (n > cap - 48)
		n = cap - 48;
	memcpy(buf, output, n);
	buf[n++] = '.';
	n += put_decimal(buf + n, (uint64_t)getpid());
	if (n_try) {
		buf[n++] = '.';
		n += put_decimal(buf + n, n_try);
	}
	memcpy(buf + n, ".czt", 5);
}

/* A child's trace is always a file it creates itself (O_EXCL): a file
 * somebody else put at that name (another user, in a shared folder) never
 * receives its events, and `czprof record` knows its children by their
 * headers (pid, owner, start time).  A name taken (by an older run whose
 * process had the same pid) moves on to NAME.PID.1.czt and so on. */
static int create_child_trace(const char *output)
{
	char path[4096];
	for (unsigned n = 0; n < 16; n++) {
		child_path(path, sizeof(path), output, n);
		int fd = open(path, TRACE_FLAGS | O_CREAT | O_EXCL, 0600);
		if (fd >= 0)
			return adopt_trace(fd, path);
		if (errno != EEXIST)
			return -1;
	}
	return -1;
}

/* Opens this image's trace: the one an earlier image of the process wrote
 * (exec), OUTPUT for the root process, a new child trace otherwise (or
 * none: a child not followed).  Returns 0, or -1 when nothing can be
 * recorded. */
static int open_trace(void)
{
	const char *path;
	uint64_t dev, ino;
	if (!token_of_this_process(&path, &dev, &ino))
		return continue_trace(path, dev, ino);
	const char *out = rec_settings.output;
	if (!out || !*out)
		return create_child_trace("czprof.czt");
	if (getpid() == rec_settings.root_pid)
		return open_root_trace(out);
	if (!rec_settings.follow_fork)
		return -1;
	return create_child_trace(out);
}

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
	tl_held = 0; /* before_fork's two, released by the re-initialisation */
	pthread_mutex_init(&g_lock, NULL);
	pthread_mutex_init(&list_lock, NULL);
	/* Inherited buffers hold the parent's events: the parent writes them.
	 * The parent's flusher may have been writing one: its claim and its
	 * compressor's state are dropped with it. */
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
	flusher_kick = 0;
	asym_setup(); /* the registration belongs to the parent's address space */
	rec_zstd_reset(flusher_pk.z);
	rec_zstd_reset(locked_pk.z);
	czt_enc_init(&meta, meta_buf, META_CAP, CZT_CHUNK_META, 0, 0);
	off_t size;
	if (trace_fd_ok(&size)) /* the parent's trace, if the descriptor still is */
		close(out_fd);
	out_fd = -1;
	stopped = 0;
	lost_events = 0;
	lost_why = 0;
	lost_err = 0;
	lost_at = -1;
	trace_path[0] = 0;
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
	meta_buf = rec_mmap(META_CAP);
	if (!meta_buf)
		goto out;
	czt_enc_init(&meta, meta_buf, META_CAP, CZT_CHUNK_META, 0, 0);
	if (rec_settings.compress) {
		size_t most = rec_settings.buffer_bytes > META_CAP ? rec_settings.buffer_bytes : META_CAP;
		packer_init(&flusher_pk, rec_settings.buffer_bytes, rec_settings.buffer_bytes);
		packer_init(&locked_pk, most, rec_settings.buffer_bytes);
	}
	rec_early_close(); /* the image record lists what it holds */
	if (open_trace())
		goto out;
	rec_self_range(&self_start, &self_end);
	unwinder_start_high();
	pthread_key_create(&exit_key, on_thread_exit);
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

/* ---- attach and detach (czprof record -p, rec_attach.c) ---- */

/* Re-emits every stack node interned so far into the new trace's META, in
 * id order (a parent is always interned before its children): the
 * threads' caches keep naming them. */
static void nodes_emit_all_locked(void)
{
	if (!nodes_used)
		return;
	uint64_t *at = rec_mmap((size_t)next_node * sizeof(*at));
	if (!at)
		return;
	for (size_t k = 0; k < nodes_cap; k++)
		if (nodes[k].id && nodes[k].id < next_node)
			at[nodes[k].id] = k + 1;
	for (uint64_t id = 1; id < next_node; id++) {
		if (!at[id])
			continue;
		const struct node_slot *n = &nodes[at[id] - 1];
		meta_room_locked(40);
		czt_enc_stack_node(&meta, n->id, n->parent, n->ip);
	}
	rec_own_forget(at);
	munmap(at, (size_t)next_node * sizeof(*at));
}

/* A later attach: the threads, the stack tree and the flusher are there
 * from the first; a new trace starts with what it needs to stand alone. */
static void attach_restart(void)
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
	mutex_take(&g_lock);
	czt_enc_init(&meta, meta_buf, META_CAP, CZT_CHUNK_META, 0, 0);
	stopped = 0;
	lost_events = 0;
	lost_why = 0;
	lost_err = 0;
	lost_at = -1;
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
	if (out_fd >= 0)
		close(out_fd);
	out_fd = -1;
	trace_path[0] = 0;
	mutex_drop(&g_lock);
	rec_guard = guard;
}
