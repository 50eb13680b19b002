/*
 * record_symtab.c - see record_symtab.h.  Strings of the symbol table are
 * numbered from 1; the recorder numbers its own from 2^32 (FORMAT.md), so
 * the two never collide.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cli/record_symtab.h"
#include "cli/util.h"
#include "format/czt.h"
#include "lib/symbols/sym.h"
#include "lib/analysis/idmap.h"
#include "lib/base/strmap.h"

#define SYM_CHUNK (1u << 20)

struct writer {
	int fd;
	uint8_t *buf;
	struct czt_enc enc;
	int failed;   /* a write failed: nothing more is written */
	int err;      /* its errno */
	off_t start;  /* the file's length before the first write */
};

static void writer_flush(struct writer *w)
{
	if (czt_enc_empty(&w->enc))
		return;
	size_t len = czt_enc_finish(&w->enc);
	const uint8_t *p = w->buf;
	while (len && !w->failed) {
		ssize_t n = write(w->fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			w->failed = 1;
			w->err = n < 0 ? errno : ENOSPC;
		} else {
			p += n;
			len -= (size_t)n;
		}
	}
	czt_enc_init(&w->enc, w->buf, SYM_CHUNK, w->enc.type, 0, 0);
}

/* Returns the id of s (its index in the table + 1, 0 for no string),
 * writing a STRING record the first time. */
static uint64_t strtab_id(struct strmap *t, struct writer *w, const char *s)
{
	if (!s || !*s)
		return 0;
	size_t before = t->n;
	long i = strmap_intern(t, s);
	if (i < 0)
		return 0;
	uint64_t id = (uint64_t)i + 1;
	if ((size_t)i == before) { /* new */
		size_t len = strlen(s);
		if (czt_enc_room(&w->enc) < len + 32)
			writer_flush(w);
		czt_enc_string(&w->enc, id, s, len);
	}
	return id;
}

/* What reading the recorded trace found so far. */
struct symtab_scan {
	struct czt_reader *r;
	struct sym_resolver *sym;
	uint64_t *ips;          /* of the stack nodes, to symbolize */
	size_t n_ips, cap_ips;
	/* what ips[0..n_looked) resolved to, one entry per distinct ip, its
	 * frames in frames[first, first + n); strings owned by sym */
	struct resolved { uint64_t ip, module; uint32_t first, n; } *res;
	size_t n_res, cap_res, n_looked;
	struct sym_frame *frames;
	size_t n_frames, cap_frames;
	struct idmap seen;      /* ip -> index in res */
	uint64_t events, stack_nodes, end_time;
	uint64_t told_events, told_end; /* the last chunk-events record's */
	uint64_t lost, lost_why, lost_err; /* lost records: their sum, the last cause given */
	int has_table;          /* a symbol table is there already */
	int failed;             /* out of memory */
	/* following: the path, the thread, and the request to stop, which
	 * wakes it from its wait */
	const char *path;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int stop;
};

static struct symtab_scan *scan_new(void)
{
	struct symtab_scan *s = calloc(1, sizeof(*s));
	if (s && sym_resolver_new(&s->sym)) {
		free(s);
		return NULL;
	}
	return s;
}

static void scan_free(struct symtab_scan *s)
{
	if (!s)
		return;
	free(s->ips);
	free(s->res);
	free(s->frames);
	idmap_clear(&s->seen);
	czt_reader_free(s->r);
	if (s->path) { /* a follower's */
		pthread_cond_destroy(&s->wake);
		pthread_mutex_destroy(&s->lock);
	}
	sym_resolver_free(s->sym);
	free(s);
}

/* Opens the trace for scanning: its events are only counted, so column
 * chunks are skimmed, not rebuilt (and chunks a chunk-events record
 * announces are not read at all: scan_chunks). */
static int open_trace(struct symtab_scan *s, const char *path)
{
	int rc = czt_reader_open(&s->r, path);
	if (rc == CZT_OK)
		czt_reader_skim(s->r, 1);
	return rc;
}

/* Reads whole chunks up to the end of what the file holds now.  Returns
 * the reader's last answer: CZT_EOF, CZT_ERR_TRUNCATED (a chunk not yet
 * whole), an error; CZT_OK when it stopped at a symbol table or for want
 * of memory (has_table, failed). */
static int scan_chunks(struct symtab_scan *s)
{
	struct czt_chunk c;
	struct czt_record rec;
	int rc;
	while ((rc = czt_reader_next_chunk(s->r, &c)) == CZT_OK) {
		if (c.passed) { /* its counts came just before, in a chunk-events record */
			s->events += s->told_events;
			if (s->told_end > s->end_time)
				s->end_time = s->told_end;
			continue;
		}
		/* events are only counted: stepped over, not decoded */
		while (czt_reader_count_events(s->r, &s->events, &s->end_time) == CZT_OK &&
		       czt_reader_next_record(s->r, &rec) == CZT_OK) {
			if (czt_rec_is_event(rec.type)) {
				s->events++;
				if (rec.time > s->end_time)
					s->end_time = rec.time;
			} else if (rec.type == CZT_REC_STACK_NODE) {
				s->stack_nodes++;
				if (array_grow((void **)&s->ips, &s->cap_ips, s->n_ips, sizeof(*s->ips))) {
					s->failed = 1;
					return CZT_OK;
				}
				s->ips[s->n_ips++] = rec.ip;
			} else if (rec.type == CZT_REC_MODULE_LOAD) {
				char p[4096];
				size_t len = rec.str_len < sizeof(p) - 1 ? rec.str_len : sizeof(p) - 1;
				memcpy(p, rec.str, len);
				p[len] = 0;
				sym_add_module(s->sym, rec.id, p, rec.bias, rec.start, rec.end, rec.build_id,
					       rec.build_id_len);
			} else if (rec.type == CZT_REC_CHUNK_EVENTS) {
				/* the EVENTS chunk after this META chunk need not
				 * be read (decompressed, for a compressed one) */
				s->told_events = rec.n_events;
				s->told_end = rec.end_time;
				czt_reader_pass_next(s->r);
			} else if (rec.type == CZT_REC_LOST) {
				s->lost += rec.value;
				if (rec.why) {
					s->lost_why = rec.why;
					s->lost_err = rec.err;
				}
			} else if (rec.type == CZT_REC_FRAME) {
				s->has_table = 1;
				return CZT_OK;
			}
		}
	}
	return rc;
}

/* Symbolizes the ips found since the last call.  The follower does it
 * as stacks appear, so that loading debug information (which can take a
 * tenth of a second for libc alone) happens while the program runs.
 * Returns 0, or -1 when out of memory. */
static int resolve_new(struct symtab_scan *s)
{
	for (; s->n_looked < s->n_ips; s->n_looked++) {
		uint64_t ip = s->ips[s->n_looked];
		if (idmap_get(&s->seen, ip) >= 0)
			continue;
		if (array_reserve((void **)&s->res, &s->cap_res, s->n_res, sizeof(*s->res)) ||
		    array_reserve((void **)&s->frames, &s->cap_frames, s->n_frames + CZT_MAX_INLINE_FRAMES,
				  sizeof(*s->frames)) ||
		    idmap_put(&s->seen, ip, (uint32_t)s->n_res))
			return -1;
		struct resolved *r = &s->res[s->n_res++];
		int n = sym_lookup(s->sym, ip, s->frames + s->n_frames, CZT_MAX_INLINE_FRAMES, &r->module);
		r->ip = ip;
		r->first = (uint32_t)s->n_frames;
		r->n = n > 0 ? (uint32_t)n : 0;
		s->n_frames += r->n;
	}
	return 0;
}

static int cmp_resolved(const void *a, const void *b)
{
	uint64_t x = ((const struct resolved *)a)->ip, y = ((const struct resolved *)b)->ip;
	return x < y ? -1 : x > y;
}

#define FOLLOW_PERIOD_NS 20000000L

/* The follower: reads what the recorder has written every FOLLOW_PERIOD_NS
 * until asked to stop, or until something only the end can sort out (a
 * damaged chunk, a symbol table, no memory). */
static void *follow_main(void *arg)
{
	struct symtab_scan *s = arg;
	/* only the program's leftovers: on a machine whose cores the program
	 * keeps busy, reading can wait for the end */
	setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19);
	for (;;) {
		if (!s->r && open_trace(s, s->path) != CZT_OK)
			s->r = NULL; /* no header yet: the program has not started */
		if (s->r) {
			int rc = scan_chunks(s);
			if (!s->has_table && !s->failed && resolve_new(s))
				s->failed = 1;
			if (s->has_table || s->failed || (rc != CZT_EOF && rc != CZT_ERR_TRUNCATED))
				break;
		}
		struct timespec until;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += FOLLOW_PERIOD_NS;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_mutex_lock(&s->lock);
		while (!s->stop && pthread_cond_timedwait(&s->wake, &s->lock, &until) == 0)
			;
		int stop = s->stop;
		pthread_mutex_unlock(&s->lock);
		if (stop)
			break;
	}
	return NULL;
}

struct symtab_scan *symtab_follow(const char *path)
{
	struct symtab_scan *s = scan_new();
	if (!s)
		return NULL;
	s->path = path;
	pthread_mutex_init(&s->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->wake, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&s->thread, NULL, follow_main, s)) {
		scan_free(s);
		return NULL;
	}
	return s;
}

/* Stops the follower (at once, not at the end of its wait); its reading
 * is kept. */
static void follow_join(struct symtab_scan *s)
{
	pthread_mutex_lock(&s->lock);
	s->stop = 1;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
}

void symtab_follow_cancel(struct symtab_scan *follow)
{
	if (follow) {
		follow_join(follow);
		scan_free(follow);
	}
}

/* The lost records' counts, read again from the whole file: the recorder
 * rewrites its loss chunk in place as its count grows (lib/recorder/rec_trace.c),
 * perhaps after the follower read it.  Only META chunks are read. */
static void rescan_lost(const char *path, struct symtab_result *res)
{
	struct czt_reader *r;
	if (czt_reader_open(&r, path))
		return;
	uint64_t lost = 0;
	struct czt_chunk c;
	struct czt_record rec;
	for (;;) {
		czt_reader_pass_next(r);
		if (czt_reader_next_chunk(r, &c) != CZT_OK)
			break;
		if (c.type != CZT_CHUNK_META)
			continue;
		while (czt_reader_next_record(r, &rec) == CZT_OK)
			if (rec.type == CZT_REC_LOST)
				lost += rec.value;
	}
	czt_reader_free(r);
	if (lost > res->lost)
		res->lost = lost;
}

int symtab_finish_trace(const char *path, unsigned how, uint64_t value, struct symtab_scan *follow,
			struct symtab_result *res)
{
	memset(res, 0, sizeof(*res));
	struct symtab_scan *s = follow;
	struct writer w = { .fd = -1 };
	struct strmap st = { 0 };
	int ret = -1;

	if (s) /* the program has ended: the follower's reading is the start */
		follow_join(s);
	else if (!(s = scan_new())) {
		cli_error("out of memory");
		return -1;
	}
	int rc = CZT_OK;
	if (!s->r && (rc = open_trace(s, path))) {
		cli_error("'%s': %s", path, rc == CZT_ERR_IO ? strerror(errno) : czt_errstr(rc));
		goto out;
	}
	if (!s->has_table && !s->failed)
		rc = scan_chunks(s);
	if (!s->has_table && !s->failed && resolve_new(s))
		s->failed = 1;
	if (s->failed) {
		cli_error("out of memory");
		goto out;
	}
	if (s->has_table) {
		cli_warning("'%s' already has a symbol table; left as it is", path);
		ret = 0;
		goto out;
	}
	struct czt_reader *r = s->r;
	res->events = s->events;
	res->stack_nodes = s->stack_nodes;
	res->end_time = s->end_time;
	res->lost = s->lost;
	res->lost_why = s->lost_why;
	res->lost_err = s->lost_err;
	uint64_t whole = czt_reader_offset(r);
	if (rc == CZT_ERR_TRUNCATED) {
		/* the recorder died inside a write: the partial chunk can never
		 * be read, and appending behind it would hide what follows */
		if (truncate(path, (off_t)whole) == 0)
			res->cut = 1;
	} else if (rc != CZT_EOF) {
		cli_warning("'%s' is damaged at byte %" PRIu64 " (%s); the symbol table is appended "
			   "but readers stop at the damage", path, whole, czt_errstr(rc));
	}
	czt_reader_free(r);
	s->r = NULL;
	if (res->lost)
		rescan_lost(path, res);

	w.fd = open(path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
	w.buf = malloc(SYM_CHUNK);
	if (w.fd < 0 || !w.buf) {
		cli_error("cannot append the symbol table to '%s': %s", path, strerror(errno));
		goto out;
	}
	w.start = lseek(w.fd, 0, SEEK_END);
	czt_enc_init(&w.enc, w.buf, SYM_CHUNK, CZT_CHUNK_SYMBOLS, 0, 0);
	if (s->n_res)
		qsort(s->res, s->n_res, sizeof(*s->res), cmp_resolved);
	for (size_t i = 0; i < s->n_res; i++) {
		const struct resolved *rv = &s->res[i];
		const struct sym_frame *fr = s->frames + rv->first;
		struct czt_frame_sym out[CZT_MAX_INLINE_FRAMES];
		for (uint32_t k = 0; k < rv->n; k++) {
			out[k].function = strtab_id(&st, &w, fr[k].function);
			out[k].file = strtab_id(&st, &w, fr[k].file);
			out[k].line = fr[k].line;
		}
		if (rv->n > 0 && fr[0].function)
			res->symbols++;
		else
			res->unresolved++;
		if (czt_enc_room(&w.enc) < 16 + 30 * CZT_MAX_INLINE_FRAMES)
			writer_flush(&w);
		czt_enc_frame(&w.enc, rv->ip, rv->module, rv->n, out);
	}
	writer_flush(&w);
	if (w.failed) {
		/* a full disk, usually: the part written is taken back, so that
		 * the trace stays whole up to the program's last chunk, and the
		 * footer (a few bytes) may still fit */
		if (w.start < 0 || ftruncate(w.fd, w.start)) {
			cli_error("cannot append the symbol table to '%s': %s", path, strerror(w.err));
			goto out;
		}
		cli_warning("cannot append the symbol table to '%s': %s; the trace is left "
			   "without it", path, strerror(w.err));
		w.failed = 0;
	}
	czt_enc_init(&w.enc, w.buf, SYM_CHUNK, CZT_CHUNK_FOOTER, 0, 0);
	czt_enc_process_end(&w.enc, res->end_time, how, value);
	czt_enc_summary(&w.enc, res->events, res->stack_nodes, res->end_time);
	writer_flush(&w);
	if (w.failed) {
		if (w.start >= 0 && ftruncate(w.fd, w.start) == 0)
			cli_error("cannot append the footer to '%s': %s; the trace is left without "
				 "symbols and footer", path, strerror(w.err));
		else
			cli_error("cannot append the footer to '%s': %s", path, strerror(w.err));
		goto out;
	}
	res->size = (uint64_t)lseek(w.fd, 0, SEEK_END);
	ret = 0;
out:
	if (w.fd >= 0)
		close(w.fd);
	free(w.buf);
	strmap_free(&st);
	scan_free(s);
	return ret;
}
