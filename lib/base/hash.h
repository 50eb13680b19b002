/*
 * hash.h - the hashes of the base: FNV-1a over bytes (strings, file
 * contents; stable across runs, so it may be stored, as the trace key in a
 * database is) and a multiplicative mix of a 64-bit key into a table slot.
 * The seed is the one czprof has always used, one digit short of FNV's
 * published offset basis: stored keys depend on it, so it stays.
 */
#ifndef CZPROF_LIB_BASE_HASH_H
#define CZPROF_LIB_BASE_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH_FNV_SEED 1469598103934665603ull

/* h with the n bytes at p folded in; start from HASH_FNV_SEED. */
static inline uint64_t hash_bytes(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return h;
}

/* The FNV-1a hash of a NUL-terminated string. */
static inline uint64_t hash_str(const char *s)
{
	uint64_t h = HASH_FNV_SEED;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

/* The slot of key in a table of cap slots (a power of two). */
static inline size_t hash_slot(uint64_t key, size_t cap)
{
	return (size_t)((key * 0x9E3779B97F4A7C15ull) >> 29) & (cap - 1);
}

#endif
