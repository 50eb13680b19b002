/* realloc - growing buffers by realloc (doubling and exact fit), plus
 * calloc, posix_memalign, aligned_alloc, reallocarray and memalign.
 * Usage: realloc [ROUNDS]. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bench/common.h"

int main(int argc, char **argv)
{
	long rounds = bench_arg(argc, argv, 300000);
	uint64_t sum = 0;
	for (long r = 0; r < rounds; r++) {
		size_t cap = 16;
		char *buf = malloc(cap);
		size_t len = 0, want = 64 + bench_next() % 4000;
		while (len < want) {               /* doubling growth */
			if (len + 16 > cap) {
				cap *= 2;
				buf = realloc(buf, cap);
			}
			memset(buf + len, 'x', 16);
			len += 16;
		}
		char *exact = NULL;                /* exact-fit growth */
		for (size_t k = 1; k <= 24; k++)
			exact = realloc(exact, k * 24);
		int *ints = calloc(64, sizeof(int));
		ints = reallocarray(ints, 128, sizeof(int));
		void *a = NULL;
		if (posix_memalign(&a, 64, 256))
			return 1;
		void *b = aligned_alloc(128, 512);
		void *c = memalign(32, 96);
		sum += bench_touch(buf, len) + bench_touch(exact, 24 * 24);
		sum += (uintptr_t)buf[len - 1] + (uintptr_t)ints[3] + ((uintptr_t)a & 63) + ((uintptr_t)b & 127);
		free(buf); free(exact); free(ints); free(a); free(b); free(c);
	}
	printf("realloc %ld checksum %llu\n", rounds, (unsigned long long)sum);
	return 0;
}
