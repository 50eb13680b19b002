/*
 * sym_site.h - the one call-site namer.  A call site is the innermost frame
 * of an allocation's stack that is not part of the allocator; this file
 * decides which frames are, and how a frame is named.  The reports
 * (cli/report.c) and the live viewer (viewer/names.c) both name sites
 * through it, so `leaks`, `hotspots`, `peak`, `flamegraph` and `top` agree.
 *
 * Part of the allocator, always:
 *   - the malloc family and C++ operator new/delete;
 *   - every frame of libc, libstdc++, the dynamic loader and the recorder
 *     (by module);
 *   - C++ standard-library frames: functions in namespace std or __gnu_cxx
 *     (std::allocator, vector::_M_realloc_insert, basic_string::_M_create,
 *     make_shared's control block...), most of them inlined from the
 *     library's headers into the program, so their module is the program's;
 *   - libczalloc, and only libczalloc: its module (libczalloc.so) when it is
 *     a shared library; when it is linked statically, its source files when
 *     the frame has a file, else the exact set of its function names.  A
 *     program's own cz_parse_header is the program's.
 * And, by the user's choice: functions matching a --alloc-fn pattern (a
 * program's malloc wrappers: xmalloc, g_malloc...).
 *
 * Since the rules change with --alloc-fn, which is a report-time option,
 * nothing stores sites: every report names them from the stacks.
 */
#ifndef CZ_SYM_SITE_H
#define CZ_SYM_SITE_H

#include <stddef.h>
#include <stdint.h>

/* The user's --alloc-fn patterns (shell globs, fnmatch(3)).  A pattern
 * matches a frame's whole function name, or its qualified name without
 * parameters or return type ("ns::pool::get" for "ns::pool::get(int)"). */
struct sym_site_rules;

/* Caller owns *out; frees it with sym_site_rules_free.  Returns 0 or -1. */
int sym_site_rules_new(struct sym_site_rules **out);
void sym_site_rules_free(struct sym_site_rules *r);

/* Adds one pattern (copied).  Returns 0, or -1 when it is empty or memory
 * runs out. */
int sym_site_rules_add(struct sym_site_rules *r, const char *pattern);

/* Adds every pattern of a list separated by ',' or ':' (CZPROF_ALLOC_FNS);
 * empty items are skipped.  Returns 0 or -1 (no memory). */
int sym_site_rules_add_list(struct sym_site_rules *r, const char *list);

/* How many patterns r holds (0 for NULL). */
size_t sym_site_rules_count(const struct sym_site_rules *r);

/*
 * Is a frame part of the allocation machinery rather than the program (the
 * rules above)?  rules may be NULL (no --alloc-fn); any other argument may
 * be NULL when unknown.
 */
int sym_is_allocator_frame(const struct sym_site_rules *rules, const char *function,
			   const char *file, const char *module);

/* Is a frame libczalloc's (its module, its files, or, with neither known,
 * one of its function names)? */
int sym_is_czalloc_frame(const char *function, const char *file, const char *module);

/*
 * The same for a frame without a symbol, named by sym_unnamed_frame: its
 * module decides, or a --alloc-fn pattern matching that name.  A stripped
 * program's wrapper has no name, only addresses ('git+0x2896??' covers a
 * function of git's that lies in git+0x289600..0x2896ff).
 */
int sym_is_allocator_unnamed(const struct sym_site_rules *rules, const char *name, const char *module);

/*
 * The call site among a stack's n frames, innermost first, given whether
 * each is part of the allocator: the first that is not.  When every frame
 * is (a stack cut short, or all inside libc), the innermost: no frame
 * names it better.  Returns its index, 0 when n is 0.
 */
int sym_site_index(const unsigned char *is_allocator, int n);

/* A frame's name, "function (file:line)", or "function (module)" without
 * a line.  Writes at most size bytes into buf. */
void sym_frame_name(char *buf, size_t size, const char *function, const char *file,
		    unsigned line, const char *module);

/* The name of an address with no symbol: "module+0xOFFSET" (module may be
 * NULL or ""), else "0xADDRESS".  Never a guess. */
void sym_unnamed_frame(char *buf, size_t size, const char *module, uint64_t bias, uint64_t ip);

#endif
