/*
 * test_pprof.c - what the pprof export is made of: the protocol buffers
 * encoder (exact bytes for the examples of the protobuf encoding guide,
 * nesting, negative numbers, growth) and the gzip writer (the standard
 * gunzip gives the bytes back; compressible data shrinks).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/render/gzip.h"
#include "cli/render/protobuf.h"
#include "tests/unit.h"

static int bytes_are(const struct pb *b, const unsigned char *want, size_t n)
{
	if (b->n != n || b->oom)
		return 0;
	return !memcmp(b->p, want, n);
}

TEST(varint_fields)
{
	struct pb b = { 0 };
	pb_uint(&b, 1, 150);
	static const unsigned char want[] = { 0x08, 0x96, 0x01 };
	CHECK(bytes_are(&b, want, sizeof(want)));
	pb_reset(&b);
	pb_uint(&b, 14, 0); /* field 14: tag 0x70 */
	pb_uint(&b, 16, 1); /* field 16: a two-byte tag */
	static const unsigned char want2[] = { 0x70, 0x00, 0x80, 0x01, 0x01 };
	CHECK(bytes_are(&b, want2, sizeof(want2)));
	pb_reset(&b);
	pb_uint(&b, 2, UINT64_MAX);
	static const unsigned char want3[] = { 0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 };
	CHECK(bytes_are(&b, want3, sizeof(want3)));
	pb_free(&b);
	CHECK(b.p == NULL && b.n == 0);
}

TEST(negative_int64_takes_ten_bytes)
{
	struct pb b = { 0 };
	pb_int(&b, 2, -1);
	static const unsigned char want[] = { 0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 };
	CHECK(bytes_are(&b, want, sizeof(want)));
	pb_reset(&b);
	pb_int(&b, 1, 300);
	static const unsigned char want2[] = { 0x08, 0xac, 0x02 };
	CHECK(bytes_are(&b, want2, sizeof(want2)));
	pb_free(&b);
}

TEST(strings_and_bytes)
{
	struct pb b = { 0 };
	pb_string(&b, 2, "testing");
	static const unsigned char want[] = { 0x12, 0x07, 't', 'e', 's', 't', 'i', 'n', 'g' };
	CHECK(bytes_are(&b, want, sizeof(want)));
	pb_reset(&b);
	pb_string(&b, 6, ""); /* pprof's string table starts with "" */
	pb_bytes(&b, 3, "\0\1", 2);
	static const unsigned char want2[] = { 0x32, 0x00, 0x1a, 0x02, 0x00, 0x01 };
	CHECK(bytes_are(&b, want2, sizeof(want2)));
	pb_free(&b);
}

TEST(nested_messages)
{
	struct pb inner = { 0 }, outer = { 0 };
	pb_uint(&inner, 1, 150);
	pb_msg(&outer, 3, &inner);
	static const unsigned char want[] = { 0x1a, 0x03, 0x08, 0x96, 0x01 };
	CHECK(bytes_are(&outer, want, sizeof(want)));
	/* an empty message is a field of length 0 */
	pb_reset(&inner);
	pb_msg(&outer, 2, &inner);
	/* raw fields appended as they are */
	pb_reset(&inner);
	pb_uint(&inner, 9, 7);
	pb_append(&outer, &inner);
	static const unsigned char want2[] = { 0x1a, 0x03, 0x08, 0x96, 0x01, 0x12, 0x00, 0x48, 0x07 };
	CHECK(bytes_are(&outer, want2, sizeof(want2)));
	pb_free(&inner);
	pb_free(&outer);
}

TEST(grows_past_its_first_buffer)
{
	struct pb b = { 0 };
	for (int i = 0; i < 10000; i++)
		pb_uint(&b, 1, 200); /* 3 bytes each */
	CHECK_EQ_U(b.n, 30000);
	CHECK(!b.oom);
	CHECK(b.p[29997] == 0x08 && b.p[29998] == 0xc8 && b.p[29999] == 0x01);
	char big[70000];
	memset(big, 'x', sizeof(big));
	pb_bytes(&b, 2, big, sizeof(big)); /* tag, 3-byte length, data */
	CHECK_EQ_U(b.n, 30000 + 1 + 3 + sizeof(big));
	pb_free(&b);
}

TEST(oom_spreads_to_the_parent)
{
	struct pb sub = { 0 }, b = { 0 };
	sub.oom = 1;
	pb_msg(&b, 1, &sub);
	CHECK(b.oom);
	pb_free(&b);
}

/* gunzip's output for a file, as a string the caller frees. */
static char *gunzip(const char *path, size_t *len)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "gzip -dc '%s'", path);
	FILE *p = popen(cmd, "r");
	if (!p)
		return NULL;
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	while (buf) {
		if (n == cap) {
			char *more = realloc(buf, cap * 2);
			if (!more)
				break;
			buf = more;
			cap *= 2;
		}
		size_t got = fread(buf + n, 1, cap - n, p);
		if (!got)
			break;
		n += got;
	}
	int rc = pclose(p);
	*len = n;
	if (rc || !buf) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Writes data gzipped to a temporary file; returns its size, path in path. */
static long write_gz(const void *data, size_t len, char *path)
{
	strcpy(path, "/tmp/czprof-test-gzip.XXXXXX");
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f)
		return -1;
	int rc = gzip_write(f, data, len);
	long size = ftell(f);
	fclose(f);
	return rc ? -1 : size;
}

TEST(gzip_round_trip)
{
	size_t len = 300000;
	unsigned char *data = malloc(len);
	if (!data)
		return;
	unsigned x = 12345;
	for (size_t i = 0; i < len; i++) { /* half noise, half text */
		x = x * 1103515245u + 12345u;
		data[i] = i % 2 ? (unsigned char)(x >> 16) : (unsigned char)("alloc_space"[i % 11]);
	}
	char path[64];
	long size = write_gz(data, len, path);
	CHECK(size > 0);
	FILE *f = fopen(path, "rb");
	unsigned char head[3] = { 0 };
	CHECK(f && fread(head, 1, 3, f) == 3);
	if (f)
		fclose(f);
	CHECK(head[0] == 0x1f && head[1] == 0x8b && head[2] == 8); /* gzip, deflate */
	size_t got = 0;
	char *back = gunzip(path, &got);
	CHECK(back != NULL);
	CHECK_EQ_U(got, len);
	CHECK(back && got == len && !memcmp(back, data, len));
	free(back);
	unlink(path);
	free(data);
}

TEST(gzip_compresses)
{
	char text[100000];
	for (size_t i = 0; i < sizeof(text); i++)
		text[i] = "inuse_space inuse_objects "[i % 26];
	char path[64];
	long size = write_gz(text, sizeof(text), path);
	CHECK(size > 0 && size < 2000);
	size_t got = 0;
	char *back = gunzip(path, &got);
	CHECK(back && got == sizeof(text) && !memcmp(back, text, sizeof(text)));
	free(back);
	unlink(path);
}

TEST(gzip_of_nothing)
{
	char path[64];
	CHECK(write_gz("", 0, path) > 0);
	size_t got = 1;
	char *back = gunzip(path, &got);
	CHECK(back != NULL);
	CHECK_EQ_U(got, 0);
	free(back);
	unlink(path);
}

int main(void)
{
	RUN(varint_fields);
	RUN(negative_int64_takes_ten_bytes);
	RUN(strings_and_bytes);
	RUN(nested_messages);
	RUN(grows_past_its_first_buffer);
	RUN(oom_spreads_to_the_parent);
	RUN(gzip_round_trip);
	RUN(gzip_compresses);
	RUN(gzip_of_nothing);
	return unit_done();
}
