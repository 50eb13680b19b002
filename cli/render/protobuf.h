/*
 * protobuf.h - just enough of the protocol buffers wire format to write a
 * message (what the pprof export needs): varint fields, length-delimited
 * fields and nested messages, appended to a growable buffer.
 *
 * A zeroed struct pb is an empty buffer.  Writes never fail loudly: when
 * memory runs out the buffer sets oom and ignores further writes, so a
 * writer checks oom once at the end.  Nesting copies: a sub-message is
 * built in its own struct pb, then written into its parent with pb_msg.
 */
#ifndef CZPROF_CLI_RENDER_PROTOBUF_H
#define CZPROF_CLI_RENDER_PROTOBUF_H

#include <stddef.h>
#include <stdint.h>

struct pb {
	uint8_t *p;   /* the encoded bytes; owned, pb_free releases them */
	size_t n, cap;
	int oom;      /* a write failed for memory: the buffer is incomplete */
};

/* Field numbers are those of the .proto (1 and up). */
void pb_uint(struct pb *b, unsigned field, uint64_t v);       /* varint (uint64, enum, bool) */
void pb_int(struct pb *b, unsigned field, int64_t v);         /* int64: negatives take 10 bytes */
void pb_bytes(struct pb *b, unsigned field, const void *data, size_t len);
void pb_string(struct pb *b, unsigned field, const char *s);  /* s without its NUL */
void pb_msg(struct pb *b, unsigned field, const struct pb *sub); /* sub as a nested message; oom spreads */
void pb_append(struct pb *b, const struct pb *raw);            /* raw's fields, as they are */
void pb_reset(struct pb *b);                                   /* empty, memory kept */
void pb_free(struct pb *b);                                    /* memory released, b zeroed */

#endif
