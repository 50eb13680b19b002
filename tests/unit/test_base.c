/*
 * test_base.c - the common base (lib/base/): growth, the hash table with
 * its collisions and backward-shift deletion, the interner's identity, the
 * size formatter, the string hash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/analysis/idmap.h"
#include "lib/base/grow.h"
#include "lib/base/hash.h"
#include "lib/base/hmap.h"
#include "lib/base/size.h"
#include "lib/base/strmap.h"
#include "tests/unit.h"

/* Capacity doubles from 64 and covers the index asked for; reserve zeroes
 * what it adds, grow leaves it; a failed request leaves the array as is. */
TEST(array_growth)
{
	int *v = NULL;
	size_t cap = 0;
	CHECK(array_grow((void **)&v, &cap, 0, sizeof(*v)) == 0 && cap == 64);
	v[63] = 7;
	CHECK(array_grow((void **)&v, &cap, 63, sizeof(*v)) == 0 && cap == 64); /* fits */
	CHECK(array_grow((void **)&v, &cap, 64, sizeof(*v)) == 0 && cap == 128);
	CHECK(v[63] == 7); /* kept across the move */
	CHECK(array_grow((void **)&v, &cap, 1000, sizeof(*v)) == 0 && cap == 1024);
	int *before = v;
	/* a size that does not fit: refused before any allocation (which a
	 * sanitizer would report as too big rather than fail) */
	CHECK(array_grow((void **)&v, &cap, SIZE_MAX / 4, sizeof(*v)) == -1);
	CHECK(v == before && cap == 1024);
	free(v);

	long *z = NULL;
	size_t zc = 0;
	CHECK(array_reserve((void **)&z, &zc, 10, sizeof(*z)) == 0 && zc == 64);
	z[0] = 5;
	CHECK(array_reserve((void **)&z, &zc, 64, sizeof(*z)) == 0 && zc == 128);
	long sum = 0;
	for (size_t i = 1; i < zc; i++)
		sum |= z[i];
	CHECK(z[0] == 5 && sum == 0);
	free(z);
}

/* n keys whose home slot in a table of cap slots is `home`. */
static void keys_at(uint64_t *out, unsigned n, size_t home, size_t cap)
{
	for (uint64_t k = 1; n; k++)
		if (hash_slot(k, cap) == home) {
			*out++ = k;
			n--;
		}
}

/* Keys that share a home slot sit one after another; deleting the first
 * moves the next back into its slot (no tombstone), and every other key
 * is still found.  A run that passes the table's end wraps to slot 0. */
TEST(hmap_collisions_and_backward_shift)
{
	struct hmap m = { 0 };
	uint64_t k[3], w[2], v;
	keys_at(k, 3, 10, 64);
	for (unsigned i = 0; i < 3; i++)
		CHECK(hmap_put(&m, k[i], 100 + i) == 0);
	CHECK_EQ_U(m.cap, 64); /* 3 keys: no growth, so the slots are as counted */
	CHECK(m.keys[10] == k[0] && m.keys[11] == k[1] && m.keys[12] == k[2]);
	CHECK(hmap_del(&m, k[0]) == 1);
	CHECK(m.keys[10] == k[1] && m.keys[11] == k[2] && m.vals[12] == 0);
	CHECK(hmap_get(&m, k[1], &v) && v == 101);
	CHECK(hmap_get(&m, k[2], &v) && v == 102);
	CHECK(!hmap_get(&m, k[0], &v));
	CHECK(hmap_del(&m, k[0]) == 0);
	CHECK_EQ_U(m.used, 2);

	/* a key homed at 11 behind the run stays put when 12's key leaves:
	 * moving it before its home would lose it */
	keys_at(w, 2, 63, 64);
	CHECK(hmap_put(&m, w[0], 1) == 0 && hmap_put(&m, w[1], 2) == 0);
	CHECK(m.keys[63] == w[0] && m.keys[0] == w[1]); /* wrapped */
	CHECK(hmap_del(&m, w[0]) == 1);
	CHECK(m.keys[63] == w[1] && m.vals[0] == 0);
	CHECK(hmap_get(&m, w[1], &v) && v == 2);

	/* replacing keeps the count */
	CHECK(hmap_put(&m, k[1], 7) == 0 && hmap_get(&m, k[1], &v) && v == 7);
	CHECK_EQ_U(m.used, 3);
	hmap_clear(&m);
	CHECK(!hmap_get(&m, k[1], NULL) && m.cap == 0 && hmap_del(&m, k[1]) == 0);
}

/* Many puts and deletes against a plain array of what should be there:
 * the table grows past half full, and no delete loses another key. */
TEST(hmap_agrees_with_a_plain_array)
{
	enum { N = 4096 };
	static uint64_t want[N]; /* key i*13: value + 1, 0 = absent */
	struct hmap m = { 0 };
	uint64_t x = 12345, v;
	int bad = 0;
	for (int op = 0; op < 200000; op++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		unsigned i = (unsigned)(x >> 33) % N;
		if ((x >> 20) & 1) {
			bad |= hmap_put(&m, i * 13ull, op) != 0;
			want[i] = (uint64_t)op + 1;
		} else {
			bad |= hmap_del(&m, i * 13ull) != (want[i] != 0);
			want[i] = 0;
		}
	}
	size_t n = 0;
	for (unsigned i = 0; i < N; i++) {
		int found = hmap_get(&m, i * 13ull, &v);
		bad |= found != (want[i] != 0) || (found && v + 1 != want[i]);
		n += want[i] != 0;
	}
	CHECK(!bad);
	CHECK_EQ_U(m.used, n);
	CHECK(m.cap >= 2 * n);
	hmap_clear(&m);
}

/* The idmap over it: indexes in, -1 for an id never put. */
TEST(idmap_grows_and_replaces)
{
	struct idmap map = { 0 };
	for (uint32_t i = 0; i < 10000; i++)
		CHECK(idmap_put(&map, (uint64_t)i * 7919, i) == 0);
	CHECK_EQ_U(map.map.used, 10000);
	CHECK(idmap_get(&map, 7919 * 5000ull) == 5000);
	CHECK(idmap_get(&map, 3) == -1);
	CHECK(idmap_put(&map, 7919 * 5000ull, 1) == 0);
	CHECK(idmap_get(&map, 7919 * 5000ull) == 1);
	CHECK_EQ_U(map.map.used, 10000);
	idmap_clear(&map);
	CHECK(idmap_get(&map, 0) == -1);
}

/* The same text is the same index however often and however late it
 * comes; indexes are dense in order of first sight; the map keeps its own
 * copy. */
TEST(strmap_identity)
{
	struct strmap m = { 0 };
	char buf[32];
	strcpy(buf, "main");
	CHECK(strmap_intern(&m, buf) == 0);
	strcpy(buf, "free");
	CHECK(strmap_intern(&m, buf) == 1);
	CHECK(!strcmp(m.str[0], "main")); /* a copy, not buf */
	CHECK(strmap_intern(&m, "main") == 0);
	CHECK(strmap_intern(&m, "") == 2);
	CHECK(strmap_intern(&m, "") == 2);
	for (int i = 0; i < 3000; i++) { /* past 1024 slots and 64 strings: both grow */
		snprintf(buf, sizeof(buf), "f%d", i);
		if (strmap_intern(&m, buf) != 3 + i)
			break;
	}
	CHECK_EQ_U(m.n, 3003);
	CHECK(strmap_intern(&m, "f1500") == 1503);
	CHECK(strmap_intern(&m, "main") == 0 && strmap_intern(&m, "free") == 1);
	CHECK_EQ_U(m.n, 3003);
	strmap_free(&m);
	CHECK(m.n == 0 && m.str == NULL);
}

TEST(size_text_both_precisions)
{
	char b[32];
	CHECK(!strcmp(size_text(0, b, sizeof(b), SIZE_ONE_DECIMAL), "0 B"));
	CHECK(!strcmp(size_text(1023, b, sizeof(b), SIZE_THREE_FIGURES), "1023 B"));
	CHECK(!strcmp(size_text(1536, b, sizeof(b), SIZE_ONE_DECIMAL), "1.5 KiB"));
	CHECK(!strcmp(size_text(1536, b, sizeof(b), SIZE_THREE_FIGURES), "1.50 KiB"));
	CHECK(!strcmp(size_text(15 * 1024 + 512, b, sizeof(b), SIZE_THREE_FIGURES), "15.5 KiB"));
	CHECK(!strcmp(size_text(150 * 1024, b, sizeof(b), SIZE_THREE_FIGURES), "150 KiB"));
	CHECK(!strcmp(size_text(3 << 20, b, sizeof(b), SIZE_ONE_DECIMAL), "3.0 MiB"));
	CHECK(!strcmp(size_text(5ull << 40, b, sizeof(b), SIZE_ONE_DECIMAL), "5.0 TiB"));
	CHECK(!strcmp(size_text(2048ull << 40, b, sizeof(b), SIZE_ONE_DECIMAL), "2048.0 TiB")); /* no PiB */
}

/* Pinned values (worked out apart from this code), so that a stored hash
 * (a database's trace key) means the same from one build to the next. */
TEST(string_hash_is_fnv1a)
{
	CHECK(hash_str("") == HASH_FNV_SEED);
	CHECK(hash_str("a") == 0x44bd8ad473cd9906ull);
	CHECK(hash_str("foobar") == 0x88fad7c0a8ff07f2ull);
	CHECK(hash_bytes(HASH_FNV_SEED, "foobar", 6) == hash_str("foobar"));
	CHECK(hash_bytes(hash_bytes(HASH_FNV_SEED, "foo", 3), "bar", 3) == hash_str("foobar"));
}

int main(void)
{
	RUN(array_growth);
	RUN(hmap_collisions_and_backward_shift);
	RUN(hmap_agrees_with_a_plain_array);
	RUN(idmap_grows_and_replaces);
	RUN(strmap_identity);
	RUN(size_text_both_precisions);
	RUN(string_hash_is_fnv1a);
	return unit_done();
}
