/*
 * rec_mmap.h - the recorder's own memory.  It never comes from malloc (the
 * recorder runs inside it, HACKING.md): every piece is a fresh mapping,
 * noted so that the pointer scan at exit leaves it out (rec_scan.c).
 */
#ifndef REC_MMAP_H
#define REC_MMAP_H

#include <stddef.h>
#include <sys/mman.h>

#include "lib/recorder/rec.h"

/* Fresh zeroed memory of the recorder's own, never scanned at exit; NULL
 * when it cannot be had.  Caller owns it: rec_own_forget, then munmap. */
static inline void *rec_mmap(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	rec_own_note(p, len); /* never read by the scan at exit */
	return p;
}

#endif
