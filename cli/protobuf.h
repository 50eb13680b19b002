/*
 * protobuf.h - just enough of the protocol buffers wire format to write a
 * message: varints, length-delimited fields and nested messages, into a
 * growable buffer.
 */
#ifndef CZ_PROTOBUF_H
#define CZ_PROTOBUF_H

#include <stddef.h>
#include <stdint.h>

struct pb {
	uint8_t *p;   /* owned; pb_free releases it */
	size_t n, cap;
	int oom;      /* a write failed for memory: the buffer is incomplete */
};

void pb_uint(struct pb *b, unsigned field, uint64_t v);       /* varint field */
void pb_int(struct pb *b, unsigned field, int64_t v);         /* int64, two's complement */
void pb_bytes(struct pb *b, unsigned field, const void *data, size_t len);
void pb_string(struct pb *b, unsigned field, const char *s);
void pb_msg(struct pb *b, unsigned field, const struct pb *sub); /* a nested message */
void pb_append(struct pb *b, const struct pb *raw);            /* raw's fields, as they are */
void pb_reset(struct pb *b);                                   /* empty, memory kept */
void pb_free(struct pb *b);

#endif
