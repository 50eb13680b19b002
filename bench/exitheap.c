/* exitheap MIB - holds MIB MiB of heap at exit (1 MiB blocks, every byte
 * written, one pointer per 64 bytes to the next block) and exits: the
 * recorder's pointer scan at exit reads all of it (`make bench` prints
 * what that takes). */
#include <stdint.h>
#include <stdlib.h>

#include "bench/common.h"

uintptr_t **volatile exitheap_blocks; /* a root: the heap stays reachable */

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 1024;
	uintptr_t **blocks = malloc(mib * sizeof(*blocks));
	if (!blocks)
		return 1;
	for (size_t i = 0; i < mib; i++) {
		blocks[i] = malloc(1 << 20);
		if (!blocks[i])
			return 1;
	}
	exitheap_blocks = blocks;
	uint64_t x = 88172645463325252ull;
	for (size_t i = 0; i < mib; i++)
		for (size_t w = 0; w < (1 << 20) / sizeof(uintptr_t); w++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			blocks[i][w] = w % 8 ? (uintptr_t)x : (uintptr_t)blocks[(i + 1) % mib];
		}
	/* read back, so that the writes happen */
	uintptr_t sum = 0;
	for (size_t i = 0; i < mib; i++)
		for (size_t w = 0; w < (1 << 20) / sizeof(uintptr_t); w += 4096 / sizeof(uintptr_t))
			sum += exitheap_blocks[i][w + 1];
	return sum == 1; /* 0, in practice */
}
