/*
 * protobuf.c - see protobuf.h.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/render/protobuf.h"
#include "lib/base/grow.h"

static int room(struct pb *b, size_t need)
{
	if (b->oom)
		return -1;
	if (need && array_grow((void **)&b->p, &b->cap, b->n + need - 1, 1)) {
		b->oom = 1;
		return -1;
	}
	return 0;
}

static void varint(struct pb *b, uint64_t v)
{
	if (room(b, 10))
		return;
	while (v >= 0x80) {
		b->p[b->n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	b->p[b->n++] = (uint8_t)v;
}

void pb_uint(struct pb *b, unsigned field, uint64_t v)
{
	varint(b, (uint64_t)field << 3 | 0);
	varint(b, v);
}

void pb_int(struct pb *b, unsigned field, int64_t v)
{
	pb_uint(b, field, (uint64_t)v);
}

void pb_bytes(struct pb *b, unsigned field, const void *data, size_t len)
{
	varint(b, (uint64_t)field << 3 | 2);
	varint(b, len);
	if (len && !room(b, len)) {
		memcpy(b->p + b->n, data, len);
		b->n += len;
	}
}

void pb_string(struct pb *b, unsigned field, const char *s)
{
	pb_bytes(b, field, s, strlen(s));
}

void pb_msg(struct pb *b, unsigned field, const struct pb *sub)
{
	if (sub->oom)
		b->oom = 1;
	pb_bytes(b, field, sub->p, sub->n);
}

void pb_append(struct pb *b, const struct pb *raw)
{
	if (raw->oom)
		b->oom = 1;
	if (raw->n && !room(b, raw->n)) {
		memcpy(b->p + b->n, raw->p, raw->n);
		b->n += raw->n;
	}
}

void pb_reset(struct pb *b)
{
	b->n = 0;
}

void pb_free(struct pb *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}
