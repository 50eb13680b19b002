/*
 * sym.h - resolves code addresses of a recorded process to function,
 * file:line and inlined frames, with libdw.  Used by `czprof record` (to
 * write the trace's symbol table) and by the live viewer.  The only file
 * that includes elfutils headers is lib/symbols/sym_dw.c.
 *
 * Modules are described as the trace records them (path, load bias and the
 * address range of their loaded segments); debug information is found from
 * the path (and its build-id / .gnu_debuglink) and cached per module.
 */
#ifndef CZ_SYM_H
#define CZ_SYM_H

#include <stddef.h>
#include <stdint.h>

struct sym_resolver;

struct sym_frame {
	const char *function; /* demangled when C++; NULL when unknown */
	const char *file;     /* NULL when unknown */
	unsigned line;        /* 0 when unknown */
};

/* Caller owns *out; frees it with sym_resolver_free. */
int sym_resolver_new(struct sym_resolver **out);
void sym_resolver_free(struct sym_resolver *r);

/* Declares a module: id as in the trace, [start, end) the runtime address
 * range it covered, bias the load bias, build_id the bytes of its
 * NT_GNU_BUILD_ID note as recorded (len 0: unknown, not checked).  A
 * later module with the same range replaces an earlier one (dlclose +
 * dlopen).  The file at path is read only if its build-id is the
 * recorded one: a binary rebuilt since would name the wrong functions.
 * Returns 0 or -1. */
int sym_add_module(struct sym_resolver *r, uint64_t id, const char *path,
		   uint64_t bias, uint64_t start, uint64_t end,
		   const uint8_t *build_id, size_t build_id_len);

/* How many modules looked up so far were refused because the file on this
 * machine has another build-id than the one recorded. */
unsigned sym_build_id_mismatches(const struct sym_resolver *r);

/*
 * Resolves ip, a return address as unwinding gives it (the resolver looks
 * at ip - 1, inside the call).  Fills frames[0..n) innermost (the inlined
 * callee) first, and returns n (0 if ip is in no known module or has no
 * symbol; *module_id is still set when a module covers it, else 0).
 * Strings are owned by the resolver: valid until sym_resolver_free.
 */
int sym_lookup(struct sym_resolver *r, uint64_t ip, struct sym_frame *frames,
	       int max_frames, uint64_t *module_id);

/* The file name part of path (a pointer into it). */
const char *sym_basename(const char *path);

/* Which frames are the allocator, and how frames and call sites are
 * named: lib/symbols/sym_site.h. */

#endif
