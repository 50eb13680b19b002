/*
 * cz_stack.h - the stacks libczalloc reports: captured with libunwind in
 * the allocator's path (addresses only, cheap), named with the project's
 * libdw symbolizer (lib/symbols/sym.h) only when a report is printed.  Not
 * installed.
 */
#ifndef CZ_STACK_H
#define CZ_STACK_H

#include <stdint.h>
#include <stdio.h>

#define CZ__MAX_DEPTH 64

/* Up to depth (<= CZ__MAX_DEPTH) return addresses of the current stack
 * into out, starting at the frame that ret returns into (the program's
 * call of the library); when ret is not among the innermost frames, after
 * the library's own two.  Returns how many; 0 when depth is 0. */
int cz__capture(void **out, int depth, uintptr_t ret);

/* Writes ips[0..n), innermost first, one line each: "    #N  0xADDR
 * function (file:line)", inlined calls on lines of their own below it,
 * "function+0xOFF (module)" where there is no debug information.  Takes a
 * process-wide lock; allocates (libdw's caches) from the C heap, which
 * `czprof record` is told not to record (hooks' quiet; a recorder without
 * it: the dynamic symbol table names the frames, function+0xOFF). */
void cz__print_stack(FILE *f, void *const *ips, int n);
/* While not 0, printed stacks end before the frame that returns into
 * floor's caller: the failure sweep sets it to its own return address, so
 * that a run's stacks end at the function under test, not in the sweep. */
extern uintptr_t cz__stack_floor;

/* Frees what naming frames cached; call it when a report is complete. */
void cz__stack_release(void);

#endif
