/*
 * by_allocator.h - `leaks --by allocator` and `peak --by allocator`: the
 * allocator-library blocks (cz_blocks) of a moment grouped by the
 * allocator that handed them out.
 */
#ifndef CZPROF_CLI_BY_ALLOCATOR_H
#define CZPROF_CLI_BY_ALLOCATOR_H

#include <sqlite3.h>

enum by_allocator_when {
	BY_ALLOC_AT_EXIT, /* blocks never freed, reset or destroyed */
	BY_ALLOC_AT_PEAK, /* blocks live at the heap's peak */
};

/* Prints the table (or JSON): allocators made at one place are one row,
 * unless each (a row per allocator).  Returns the exit status. */
int by_allocator_report(sqlite3 *db, const char *report, const char *trace, int when, int json, int limit,
			int each);

#endif
