/*
 * rec_trace.c - the trace file and what goes into it besides the threads'
 * events: opening it (the root's, a child's, the one an exec continues),
 * its header and image record, the META buffer of definitions (strings,
 * modules, thread starts and ends, stack nodes), writing chunks whole with
 * the descriptor checked before each write, and counting what is lost
 * once the trace had to stop.  Every write is under g_lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/recorder/rec_core.h"
#include "lib/recorder/rec_mmap.h"

/* ---- the file and the META buffer (under g_lock) ---- */

static int out_fd = -1;
/* The trace this image writes: its path and the file's identity, for the
 * exec token and for checking the descriptor before writes. */
static char trace_path[4096];
static dev_t trace_dev;
static ino_t trace_ino;
static uint8_t *meta_buf;
struct czt_enc meta;

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
void write_lost(void)
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

void meta_flush_locked(void)
{
	if (czt_enc_empty(&meta))
		return;
	size_t len;
	const uint8_t *out = seal(tl_pack == PACK_NONE ? PACK_NONE : PACK_LOCKED, CZT_CHUNK_META, meta_buf,
				  (size_t)(meta.pos - meta_buf) - CZT_CHUNK_HEADER_LEN, &len);
	write_chunk(out, len, 0);
	czt_enc_init(&meta, meta_buf, META_CAP, CZT_CHUNK_META, 0, 0);
}

void rec_write_chunk(uint8_t *chunk, size_t payload_len, unsigned type)
{
	mutex_take(&g_lock);
	meta_flush_locked(); /* what the chunk may refer to comes first */
	size_t len;
	const uint8_t *out = seal(rec_settings.compress ? PACK_LOCKED : PACK_NONE, type, chunk, payload_len, &len);
	write_chunk(out, len, 0);
	mutex_drop(&g_lock);
}

/* Makes room for one more META record of up to need bytes. */
void meta_room_locked(size_t need)
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
void write_events(uint8_t *chunk, size_t payload_len, uint64_t events, uint64_t end_time)
{
	size_t len = 0;
	const uint8_t *out = NULL;
	/* before the lock: others may intern stacks meanwhile (and not once
	 * the trace has stopped: the chunk is only counted) */
	if (tl_pack == PACK_FLUSHER && !__atomic_load_n(&stopped, __ATOMIC_RELAXED))
		out = seal(PACK_FLUSHER, CZT_CHUNK_EVENTS, chunk, payload_len, &len);
	mutex_take(&g_lock);
	if (payload_len >= ANNOUNCE_MIN) {
		/* last in the META chunk, which the EVENTS chunk follows at
		 * once: both are written under g_lock */
		meta_room_locked(32);
		czt_enc_chunk_events(&meta, events, end_time);
	}
	meta_flush_locked();
	if (!out) /* after the META chunk: they may share locked_pk's buffer */
		out = seal(tl_pack == PACK_LOCKED ? PACK_LOCKED : PACK_NONE, CZT_CHUNK_EVENTS, chunk,
			   payload_len, &len);
	write_chunk(out, len, events);
	mutex_drop(&g_lock);
}

/* Writes v in decimal at buf (room for 20 digits); returns the length.
 * The recorder has no stdio. */
size_t put_decimal(char *buf, uint64_t v)
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

void emit_module(int loaded, uint64_t id, uint64_t bias, uint64_t start, uint64_t end,
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

/* ---- the trace file ---- */

size_t read_file(const char *path, char *buf, size_t cap)
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
int trace_forked;

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
int create_child_trace(const char *output)
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
int open_trace(void)
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

int meta_start(void)
{
	meta_buf = rec_mmap(META_CAP);
	if (!meta_buf)
		return -1;
	czt_enc_init(&meta, meta_buf, META_CAP, CZT_CHUNK_META, 0, 0);
	return 0;
}

/* The loss count and the META buffer start afresh. */
static void losses_clear(void)
{
	czt_enc_init(&meta, meta_buf, META_CAP, CZT_CHUNK_META, 0, 0);
	stopped = 0;
	lost_events = 0;
	lost_why = 0;
	lost_err = 0;
	lost_at = -1;
}

void trace_after_fork(void)
{
	losses_clear();
	off_t size;
	if (trace_fd_ok(&size)) /* the parent's trace, if the descriptor still is */
		close(out_fd);
	out_fd = -1;
	trace_path[0] = 0;
}

void trace_restart(void)
{
	losses_clear();
}

void trace_close(void)
{
	if (out_fd >= 0)
		close(out_fd);
	out_fd = -1;
	trace_path[0] = 0;
}
