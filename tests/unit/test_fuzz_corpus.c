/* test_fuzz_corpus.c - replays every saved fuzz input (seeds and past
 * crashers) through the fuzz targets, so a fixed bug stays fixed.  Run
 * from the top of the tree. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>

#include "tests/fuzz/fuzz_decode.c"
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
	int n = replay("tests/fuzz/corpus/decode", LLVMFuzzerTestOneInput);
	CHECK(n > 0);
}

int main(void)
{
	RUN(decode_corpus);
	return unit_done();
}
