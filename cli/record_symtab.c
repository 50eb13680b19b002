/*
 * record_symtab.c - see record_symtab.h.  Strings of the symbol table are
 * numbered from 1; the recorder numbers its own from 2^32 (FORMAT.md), so
 * the two never collide.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/record_symtab.h"
#include "cli/util.h"
#include "format/czt.h"
#include "symbols/sym.h"

#define SYM_CHUNK (1u << 20)

struct strtab {
	struct { const char *s; uint64_t id; } *slots;
	size_t cap, used;
	uint64_t next;
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

struct writer {
	int fd;
	uint8_t *buf;
	struct czt_enc enc;
	int failed;
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
		if (n <= 0)
			w->failed = 1;
		else {
			p += n;
			len -= (size_t)n;
		}
	}
	czt_enc_init(&w->enc, w->buf, SYM_CHUNK, w->enc.type, 0, 0);
}

/* Returns the id of s, writing a STRING record the first time. */
static uint64_t strtab_id(struct strtab *t, struct writer *w, const char *s)
{
	if (!s || !*s)
		return 0;
	if ((t->used + 1) * 2 > t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 4096;
		void *n = calloc(cap, sizeof(*t->slots));
		if (!n)
			return 0;
		struct strtab old = *t;
		t->slots = n;
		t->cap = cap;
		for (size_t i = 0; i < old.cap; i++)
			if (old.slots[i].s) {
				size_t k = hash_str(old.slots[i].s) & (cap - 1);
				while (t->slots[k].s)
					k = (k + 1) & (cap - 1);
				t->slots[k] = old.slots[i];
			}
		free(old.slots);
	}
	size_t k = hash_str(s) & (t->cap - 1);
	while (t->slots[k].s) {
		if (!strcmp(t->slots[k].s, s))
			return t->slots[k].id;
		k = (k + 1) & (t->cap - 1);
	}
	t->slots[k].s = s;
	t->slots[k].id = t->next++;
	t->used++;
	size_t len = strlen(s);
	if (czt_enc_room(&w->enc) < len + 32)
		writer_flush(w);
	czt_enc_string(&w->enc, t->slots[k].id, s, len);
	return t->slots[k].id;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

int symtab_finish_trace(const char *path, unsigned how, uint64_t value, struct symtab_result *res)
{
	memset(res, 0, sizeof(*res));
	struct czt_reader *r = NULL;
	struct sym_resolver *sym = NULL;
	uint64_t *ips = NULL;
	size_t n_ips = 0, cap_ips = 0;
	struct writer w = { .fd = -1 };
	struct strtab st = { .next = 1 };
	int ret = -1;

	int rc = czt_reader_open(&r, path);
	if (rc) {
		cz_error("'%s': %s", path, rc == CZT_ERR_IO ? strerror(errno) : czt_errstr(rc));
		goto out;
	}
	if (sym_resolver_new(&sym))
		goto out;
	struct czt_chunk c;
	struct czt_record rec;
	while ((rc = czt_reader_next_chunk(r, &c)) == CZT_OK) {
		/* events are only counted: stepped over, not decoded */
		while (czt_reader_count_events(r, &res->events, &res->end_time) == CZT_OK &&
		       czt_reader_next_record(r, &rec) == CZT_OK) {
			if (czt_rec_is_event(rec.type)) {
				res->events++;
				if (rec.time > res->end_time)
					res->end_time = rec.time;
			} else if (rec.type == CZT_REC_STACK_NODE) {
				res->stack_nodes++;
				if (n_ips == cap_ips) {
					cap_ips = cap_ips ? cap_ips * 2 : 4096;
					uint64_t *n = realloc(ips, cap_ips * sizeof(*ips));
					if (!n)
						goto out;
					ips = n;
				}
				ips[n_ips++] = rec.ip;
			} else if (rec.type == CZT_REC_MODULE_LOAD) {
				char p[4096];
				size_t len = rec.str_len < sizeof(p) - 1 ? rec.str_len : sizeof(p) - 1;
				memcpy(p, rec.str, len);
				p[len] = 0;
				sym_add_module(sym, rec.id, p, rec.bias, rec.start, rec.end);
			} else if (rec.type == CZT_REC_FRAME) {
				cz_warning("'%s' already has a symbol table; left as it is", path);
				ret = 0;
				goto out;
			}
		}
	}
	uint64_t whole = czt_reader_offset(r);
	if (rc == CZT_ERR_TRUNCATED) {
		/* the recorder died inside a write: the partial chunk can never
		 * be read, and appending behind it would hide what follows */
		if (truncate(path, (off_t)whole) == 0)
			res->cut = 1;
	} else if (rc != CZT_EOF) {
		cz_warning("'%s' is damaged at byte %" PRIu64 " (%s); the symbol table is appended "
			   "but readers stop at the damage", path, whole, czt_errstr(rc));
	}
	czt_reader_free(r);
	r = NULL;

	w.fd = open(path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
	w.buf = malloc(SYM_CHUNK);
	if (w.fd < 0 || !w.buf) {
		cz_error("cannot append the symbol table to '%s': %s", path, strerror(errno));
		goto out;
	}
	czt_enc_init(&w.enc, w.buf, SYM_CHUNK, CZT_CHUNK_SYMBOLS, 0, 0);
	if (n_ips)
		qsort(ips, n_ips, sizeof(*ips), cmp_u64);
	for (size_t i = 0; i < n_ips; i++) {
		if (i && ips[i] == ips[i - 1])
			continue;
		struct sym_frame fr[CZT_MAX_INLINE_FRAMES];
		struct czt_frame_sym out[CZT_MAX_INLINE_FRAMES];
		uint64_t module;
		int n = sym_lookup(sym, ips[i], fr, CZT_MAX_INLINE_FRAMES, &module);
		for (int k = 0; k < n; k++) {
			out[k].function = strtab_id(&st, &w, fr[k].function);
			out[k].file = strtab_id(&st, &w, fr[k].file);
			out[k].line = fr[k].line;
		}
		if (n > 0 && fr[0].function)
			res->symbols++;
		else
			res->unresolved++;
		if (czt_enc_room(&w.enc) < 16 + 30 * CZT_MAX_INLINE_FRAMES)
			writer_flush(&w);
		czt_enc_frame(&w.enc, ips[i], module, (unsigned)n, out);
	}
	writer_flush(&w);
	czt_enc_init(&w.enc, w.buf, SYM_CHUNK, CZT_CHUNK_FOOTER, 0, 0);
	czt_enc_process_end(&w.enc, res->end_time, how, value);
	czt_enc_summary(&w.enc, res->events, res->stack_nodes, res->end_time);
	writer_flush(&w);
	if (w.failed) {
		cz_error("cannot append the symbol table to '%s': %s", path, strerror(errno));
		goto out;
	}
	res->size = (uint64_t)lseek(w.fd, 0, SEEK_END);
	ret = 0;
out:
	if (w.fd >= 0)
		close(w.fd);
	free(w.buf);
	free(st.slots);
	free(ips);
	czt_reader_free(r);
	sym_resolver_free(sym);
	return ret;
}
