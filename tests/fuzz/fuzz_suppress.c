/*
 * fuzz_suppress.c - libFuzzer target for suppression files: any input is
 * parsed or rejected with an error, and every pattern it yields is matched
 * against fixed names and against the input itself without a crash or a
 * runaway match.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/suppress.h"

#ifndef FUZZ_ENTRY
#define FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif
int FUZZ_ENTRY(const uint8_t *data, size_t size);

int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	struct suppressions s = { 0 };
	char err[128];
	suppressions_parse(&s, (const char *)data, size, err, sizeof(err));
	char *text = malloc(size + 1);
	if (text) {
		memcpy(text, data, size);
		text[size] = 0;
	}
	static const char *const names[] = { "main", "_IO_file_doallocate", "std::vector<int>::push_back",
					     "/usr/lib/x86_64-linux-gnu/libc.so.6", "", "a*b^c$" };
	for (size_t i = 0; i < s.n; i++) {
		for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
			suppression_match(s.pattern[i], names[k]);
		if (text)
			suppression_match(s.pattern[i], text);
	}
	free(text);
	suppressions_free(&s);
	return 0;
}
