/* test_fuzz_corpus.c - replays every saved fuzz input (seeds and past
 * crashers) through the fuzz targets, so a fixed bug stays fixed.  Run
 * from the top of the tree. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>

#define FUZZ_ENTRY fuzz_decode
#include "tests/fuzz/fuzz_decode.c"
#undef FUZZ_ENTRY
#define FUZZ_ENTRY fuzz_suppress
#include "tests/fuzz/fuzz_suppress.c"
#undef FUZZ_ENTRY
#define FUZZ_ENTRY fuzz_load
#include "tests/fuzz/fuzz_load.c"
#undef FUZZ_ENTRY
#include "tests/unit.h"

static int replay(const char *dir, int (*target)(const uint8_t *, size_t))
{
	DIR *d = opendir(dir);
	int n = 0;
	if (!d)
		return -1;
	for (struct dirent *e; (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		FILE *f = fopen(path, "rb");
		if (!f)
			continue;
		static uint8_t buf[1 << 22];
		size_t len = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		/* exact-size copy, so a read past the end is caught by ASan */
		uint8_t *copy = malloc(len ? len : 1);
		memcpy(copy, buf, len);
		target(copy, len);
		free(copy);
		n++;
	}
	closedir(d);
	return n;
}

TEST(decode_corpus)
{
	CHECK(replay("tests/fuzz/corpus/decode", fuzz_decode) > 0);
}

TEST(load_corpus)
{
	/* the loader reads the same inputs as the decoder, and its own */
	CHECK(replay("tests/fuzz/corpus/decode", fuzz_load) > 0);
	CHECK(replay("tests/fuzz/corpus/load", fuzz_load) > 0);
}

TEST(suppress_corpus)
{
	CHECK(replay("tests/fuzz/corpus/suppress", fuzz_suppress) > 0);
}

int main(void)
{
	RUN(decode_corpus);
	RUN(load_corpus);
	RUN(suppress_corpus);
	return unit_done();
}
