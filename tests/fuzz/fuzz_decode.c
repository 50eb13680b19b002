/*
 * fuzz_decode.c - libFuzzer target for the trace reader: any input must be
 * either rejected or read to its end without a crash, a hang or a read
 * outside the buffer.  Built by `make fuzz` (clang); the same function runs
 * over tests/fuzz/corpus in `make test` through tests/unit/test_fuzz_corpus.c.
 */
#include <stddef.h>
#include <stdint.h>

#include "format/czt.h"

/* test_fuzz_corpus.c includes every target under its own name */
#ifndef FUZZ_ENTRY
#define FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif
int FUZZ_ENTRY(const uint8_t *data, size_t size);

int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	struct czt_reader *r;
	if (czt_reader_open_mem(&r, data, size))
		return 0;
	struct czt_chunk c;
	struct czt_record rec;
	uint64_t sum = 0;
	while (czt_reader_next_chunk(r, &c) == CZT_OK) {
		while (czt_reader_next_record(r, &rec) == CZT_OK) {
			sum += rec.type + rec.str_len + rec.build_id_len;
			if (rec.str_len)
				sum += rec.str[rec.str_len - 1]; /* the bytes must be inside */
			if (rec.build_id_len)
				sum += rec.build_id[rec.build_id_len - 1];
		}
	}
	czt_reader_free(r);
	return (int)(sum & 0);
}
