/*
 * pack.c - a chunk made ready for the file (czt_pack.h): the column form's
 * streams compressed one by one behind their table, or the payload as one
 * frame, or raw.  Which compressor and whose memory: the caller's.
 */
#include <string.h>

#include "format/czt.h"
#include "format/czt_model.h"
#include "format/czt_pack.h"

size_t czt_pack_columns(const struct czt_columns_mem *m, czt_compress_fn fn, void *ctx,
			const uint8_t *payload, size_t len, uint8_t *dst, size_t cap)
{
	struct czt_streams st;
	if (len > m->room || czt_model_split(payload, len, m->streams, m->model, m->room, &st))
		return 0;
	size_t stored[CZT_STREAMS], total = 0;
	for (int i = 0; i < CZT_STREAMS; i++) {
		size_t n = st.len[i], room = cap - total;
		if (n > room)
			return 0;
		/* tiny streams stay raw: a frame's own header outweighs them */
		size_t z = n >= CZT_PACK_MIN ? fn(ctx, m->packed + total, n - 1, st.s[i], n) : 0;
		if (!z) {
			memcpy(m->packed + total, st.s[i], n);
			z = n;
		}
		stored[i] = z;
		total += z;
	}
	size_t head = czt_columns_header_put(dst, st.len, stored);
	if (head + total >= cap)
		return 0;
	memcpy(dst + head, m->packed, total);
	return head + total;
}

const uint8_t *czt_chunk_pack(const struct czt_pack *p, unsigned type, uint8_t *chunk,
			      size_t payload_len, size_t *len)
{
	if (p && p->frame && payload_len >= CZT_PACK_MIN) {
		const uint8_t *raw = chunk + CZT_CHUNK_HEADER_LEN;
		uint8_t *dst = p->out + CZT_CHUNK_HEADER_LEN;
		unsigned flags = CZT_CHUNK_COLUMNS;
		size_t n = 0;
		if (type == CZT_CHUNK_EVENTS && p->columns && payload_len >= CZT_PACK_MIN_COLUMNS)
			n = czt_pack_columns(p->columns, p->stream, p->ctx, raw, payload_len, dst,
					     payload_len);
		if (!n) {
			flags = CZT_CHUNK_ZSTD;
			n = p->frame(p->ctx, dst, payload_len - 1, raw, payload_len);
		}
		if (n) {
			*len = czt_chunk_seal(p->out, type, flags, (uint32_t)n, (uint32_t)payload_len);
			return p->out;
		}
	}
	*len = czt_chunk_seal(chunk, type, 0, (uint32_t)payload_len, (uint32_t)payload_len);
	return chunk;
}
