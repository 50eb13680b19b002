/*
 * encode.c - the out-of-line part of the encoder: chunk framing, the file
 * header and length-prefixed records.  The hot records (alloc, free,
 * realloc) are inline in czt.h.  Nothing here allocates: the recorder calls
 * it from inside malloc.
 */
#include <string.h>

#include "format/czt.h"
#include "format/czt_scan.h"

static void put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void czt_enc_init(struct czt_enc *e, void *buf, size_t cap, unsigned chunk_type,
		  uint64_t tid, uint64_t base_time)
{
	e->buf = buf;
	e->end = e->buf + cap;
	e->pos = e->buf + CZT_CHUNK_HEADER_LEN;
	e->type = chunk_type;
	e->last_time = base_time;
	e->last_addr = 0;
	e->n_records = 0;
	e->op = 0;
	if (chunk_type == CZT_CHUNK_EVENTS) {
		e->pos = czt_put_varint(e->pos, tid);
		e->pos = czt_put_varint(e->pos, base_time);
	}
}

size_t czt_chunk_seal(uint8_t *chunk, unsigned type, unsigned flags, uint32_t stored_len,
		      uint32_t raw_len)
{
	chunk[0] = (uint8_t)type;
	chunk[1] = (uint8_t)flags;
	put_u16(chunk + 2, 0);
	put_u32(chunk + 4, stored_len);
	put_u32(chunk + 8, raw_len);
	uint32_t crc = czt_crc32c(0, chunk, 12);
	crc = czt_crc32c(crc, chunk + CZT_CHUNK_HEADER_LEN, stored_len);
	put_u32(chunk + 12, crc);
	return CZT_CHUNK_HEADER_LEN + (size_t)stored_len;
}

size_t czt_enc_finish(struct czt_enc *e)
{
	uint32_t len = (uint32_t)(e->pos - e->buf - CZT_CHUNK_HEADER_LEN);
	return czt_chunk_seal(e->buf, e->type, 0, len, len); /* stored raw */
}

void czt_enc_cz(struct czt_enc *e, const struct czt_record *r)
{
	czt__c_event(e);
	uint8_t *p = e->pos;
	*p++ = (uint8_t)r->type;
	p = czt__put_time(e, p, r->time);
	p = czt_put_varint(p, r->allocator);
	switch (r->type) {
	case CZT_REC_CZ_ALLOC:
		p = czt__put_addr(e, p, r->addr);
		p = czt_put_varint(p, r->size);
		p = czt_put_varint(p, r->stack);
		break;
	case CZT_REC_CZ_FREE:
		p = czt__put_addr(e, p, r->addr);
		break;
	case CZT_REC_CZ_RESIZE:
		p = czt__put_addr(e, p, r->old_addr);
		p = czt__put_addr(e, p, r->addr);
		p = czt_put_varint(p, r->size);
		p = czt_put_varint(p, r->stack);
		break;
	case CZT_REC_CZ_NEW:
		p = czt_put_varint(p, r->kind);
		p = czt_put_varint(p, r->parent);
		p = czt_put_varint(p, r->name);
		p = czt_put_varint(p, r->stack);
		break;
	case CZT_REC_CZ_RESET:
	case CZT_REC_CZ_CAPACITY:
		p = czt_put_varint(p, r->value);
		break;
	case CZT_REC_CZ_DESTROY:
	default:
		break;
	}
	e->pos = p;
	e->n_records++;
}

/* Length-prefixed records are built in a scratch buffer first so the
 * length can precede the body; bodies larger than this are refused. */
#define BODY_MAX 8192

static int put_prefixed(struct czt_enc *e, unsigned type, const uint8_t *body, size_t len)
{
	uint8_t tmp[10];
	size_t nlen = (size_t)(czt_put_varint(tmp, len) - tmp);
	if (1 + nlen + len > czt_enc_room(e))
		return CZT_ERR_CORRUPT;
	uint8_t *p = e->pos;
	*p++ = (uint8_t)type;
	memcpy(p, tmp, nlen);
	p += nlen;
	memcpy(p, body, len);
	e->pos = p + len;
	e->n_records++;
	return CZT_OK;
}

static uint8_t *put_bytes(uint8_t *p, const void *s, size_t len)
{
	p = czt_put_varint(p, len);
	if (len) /* s may be NULL for an empty field */
		memcpy(p, s, len);
	return p + len;
}

int czt_enc_stack_node(struct czt_enc *e, uint64_t id, uint64_t parent, uint64_t ip)
{
	uint8_t b[32], *p = b;
	p = czt_put_varint(p, id);
	p = czt_put_varint(p, parent);
	p = czt_put_varint(p, ip);
	return put_prefixed(e, CZT_REC_STACK_NODE, b, (size_t)(p - b));
}

int czt_enc_string(struct czt_enc *e, uint64_t id, const void *s, size_t len)
{
	uint8_t b[BODY_MAX], *p = b;
	if (len > BODY_MAX - 24)
		len = BODY_MAX - 24; /* strings are names and paths: cut, never fail */
	p = czt_put_varint(p, id);
	p = put_bytes(p, s, len);
	return put_prefixed(e, CZT_REC_STRING, b, (size_t)(p - b));
}

int czt_enc_module_load(struct czt_enc *e, uint64_t t, uint64_t id, uint64_t bias,
			uint64_t start, uint64_t end, const char *path, size_t path_len,
			const uint8_t *build_id, size_t build_id_len)
{
	uint8_t b[BODY_MAX], *p = b;
	if (build_id_len > 64)
		build_id_len = 64;
	if (path_len > BODY_MAX - 160)
		path_len = BODY_MAX - 160;
	p = czt_put_varint(p, t);
	p = czt_put_varint(p, id);
	p = czt_put_varint(p, bias);
	p = czt_put_varint(p, start);
	p = czt_put_varint(p, end);
	p = put_bytes(p, path, path_len);
	p = put_bytes(p, build_id, build_id_len);
	return put_prefixed(e, CZT_REC_MODULE_LOAD, b, (size_t)(p - b));
}

static int put_varints(struct czt_enc *e, unsigned type, int n, const uint64_t *v)
{
	uint8_t b[64], *p = b;
	for (int i = 0; i < n; i++)
		p = czt_put_varint(p, v[i]);
	return put_prefixed(e, type, b, (size_t)(p - b));
}

int czt_enc_module_unload(struct czt_enc *e, uint64_t t, uint64_t id)
{
	uint64_t v[] = { t, id };
	return put_varints(e, CZT_REC_MODULE_UNLOAD, 2, v);
}

int czt_enc_thread_start(struct czt_enc *e, uint64_t t, uint64_t tid, uint64_t name)
{
	uint64_t v[] = { t, tid, name };
	return put_varints(e, CZT_REC_THREAD_START, 3, v);
}

int czt_enc_thread_end(struct czt_enc *e, uint64_t t, uint64_t tid)
{
	uint64_t v[] = { t, tid };
	return put_varints(e, CZT_REC_THREAD_END, 2, v);
}

int czt_enc_process_end(struct czt_enc *e, uint64_t t, uint64_t how, uint64_t value)
{
	uint64_t v[] = { t, how, value };
	return put_varints(e, CZT_REC_PROCESS_END, 3, v);
}

int czt_enc_summary(struct czt_enc *e, uint64_t n_events, uint64_t n_stack_nodes,
		    uint64_t end_time)
{
	uint64_t v[] = { n_events, n_stack_nodes, end_time };
	return put_varints(e, CZT_REC_SUMMARY, 3, v);
}

int czt_enc_lost(struct czt_enc *e, uint64_t t, uint64_t n_lost, uint64_t why, uint64_t err)
{
	uint64_t v[] = { t, n_lost, why, err };
	/* nothing said: the form before 3.3 */
	return put_varints(e, CZT_REC_LOST, why || err ? 4 : 2, v);
}

int czt_enc_scan_region(struct czt_enc *e, uint64_t start, uint64_t end, uint64_t kind)
{
	uint64_t v[] = { start, end, kind };
	return put_varints(e, CZT_REC_SCAN_REGION, 3, v);
}

int czt_enc_scan_list(struct czt_enc *e, unsigned type, const uint8_t *list, size_t len)
{
	if (len > CZT_SCAN_LIST_MAX)
		return CZT_ERR_CORRUPT;
	return put_prefixed(e, type, list, len);
}

int czt_enc_scan_end(struct czt_enc *e, uint64_t t, uint64_t words, uint64_t bytes, uint64_t ns)
{
	uint64_t v[] = { t, words, bytes, ns };
	return put_varints(e, CZT_REC_SCAN_END, 4, v);
}

int czt_enc_image(struct czt_enc *e, uint64_t t, const char *exe, size_t exe_len, const char *cmdline,
		  size_t cmdline_len, uint64_t flags, uint64_t early)
{
	uint8_t b[BODY_MAX], *p = b;
	if (exe_len > BODY_MAX / 2)
		exe_len = BODY_MAX / 2;
	/* room for t, the two lengths, flags and early: 5 varints */
	if (cmdline_len > BODY_MAX - 64 - exe_len)
		cmdline_len = BODY_MAX - 64 - exe_len; /* names: cut, never fail */
	p = czt_put_varint(p, t);
	p = put_bytes(p, exe, exe_len);
	p = put_bytes(p, cmdline, cmdline_len);
	p = czt_put_varint(p, flags); /* 3.4 */
	p = czt_put_varint(p, early);
	return put_prefixed(e, CZT_REC_IMAGE, b, (size_t)(p - b));
}

int czt_enc_chunk_events(struct czt_enc *e, uint64_t n_events, uint64_t end_time)
{
	uint64_t v[] = { n_events, end_time };
	return put_varints(e, CZT_REC_CHUNK_EVENTS, 2, v);
}

int czt_enc_early_block(struct czt_enc *e, uint64_t addr, uint64_t size)
{
	uint64_t v[] = { addr, size };
	return put_varints(e, CZT_REC_EARLY_BLOCK, 2, v);
}

int czt_enc_frame(struct czt_enc *e, uint64_t ip, uint64_t module, unsigned n,
		  const struct czt_frame_sym *frames)
{
	uint8_t b[16 + 10 * 3 * CZT_MAX_INLINE_FRAMES + 16], *p = b;
	if (n > CZT_MAX_INLINE_FRAMES)
		n = CZT_MAX_INLINE_FRAMES; /* keep the innermost frames */
	p = czt_put_varint(p, ip);
	p = czt_put_varint(p, module);
	p = czt_put_varint(p, n);
	for (unsigned i = 0; i < n; i++) {
		p = czt_put_varint(p, frames[i].function);
		p = czt_put_varint(p, frames[i].file);
		p = czt_put_varint(p, frames[i].line);
	}
	return put_prefixed(e, CZT_REC_FRAME, b, (size_t)(p - b));
}

size_t czt_header_encode(uint8_t *buf, size_t cap, const struct czt_header *h)
{
	/* body first, at its final place after the 16-byte fixed part */
	size_t need = 16 + 5 * 10 + 20 + h->cmdline_len + h->exe_len + 4;
	if (cap < need)
		return 0;
	uint8_t *body = buf + 16, *p = body;
	p = czt_put_varint(p, h->pid);
	p = czt_put_varint(p, h->ppid);
	p = czt_put_varint(p, h->start_realtime_ns);
	p = czt_put_varint(p, h->clock);
	p = czt_put_varint(p, h->start_monotonic_ns);
	p = put_bytes(p, h->cmdline, h->cmdline_len);
	p = put_bytes(p, h->exe, h->exe_len);
	uint32_t body_len = (uint32_t)(p - body);
	memcpy(buf, CZT_MAGIC, CZT_MAGIC_LEN);
	put_u16(buf + 8, CZT_VERSION_MAJOR);
	put_u16(buf + 10, CZT_VERSION_MINOR);
	put_u32(buf + 12, body_len);
	put_u32(p, czt_crc32c(0, buf, 16 + body_len));
	return 16 + body_len + 4;
}
