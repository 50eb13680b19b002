/*
 * names.h - what the live viewer knows about a trace's definitions
 * (strings, stack nodes, modules, symbols) and the names it derives from
 * them: each stack's call site and frames.  Symbols come from the trace's
 * FRAME records when it has them, otherwise from the modules' debug
 * information on this machine (lib/symbols/sym.h), so a trace still being
 * written is readable too.  Sites are named as the reports name them.
 */
#ifndef CZPROF_VIEWER_NAMES_H
#define CZPROF_VIEWER_NAMES_H

#include <stdint.h>

#include "format/czt.h"

struct names;

/* Caller owns *out; frees it with names_free.  Returns 0 or -1. */
int names_new(struct names **out);
void names_free(struct names *n);

/* Names sites by rules (the user's --alloc-fn patterns) instead of the
 * default ones; call before the first names_site.  rules is borrowed: it
 * must outlive n. */
struct sym_site_rules;
void names_set_site_rules(struct names *n, const struct sym_site_rules *rules);

/* A definition record (STRING, STACK_NODE, MODULE_LOAD, MODULE_UNLOAD,
 * FRAME); others are ignored. */
void names_record(struct names *n, const struct czt_record *r);

/* The image was replaced by exec: stack, string and module ids restart.
 * Ids read from then on are shifted as the engine shifts them
 * (AN_IMAGE_SHIFT): every id this file takes or gives is shifted so.
 * Site numbers stay valid (they are names, not ids). */
void names_exec(struct names *n);

/* A string by id, NULL when unknown.  Valid until names_free. */
const char *names_string(struct names *n, uint64_t id);

/*
 * The call site of a stack (its innermost frame that is not part of the
 * allocator, as lib/symbols/sym_site.h decides for the reports), as a small number: equal names get equal numbers.  Returns
 * -1 while the stack's nodes have not been read yet.
 */
long names_site(struct names *n, uint64_t stack);

/* The name of site number i ("function (file:line)" or "module+0xOFF").
 * Valid until names_free. */
const char *names_site_name(const struct names *n, long i);
long names_site_count(const struct names *n);

/* The module path of site number i ("" when unknown), for filtering. */
const char *names_site_module(const struct names *n, long i);

/* The frames of a stack, innermost first, inlined frames expanded, at most
 * max.  Strings are valid until names_free.  Returns the number filled. */
int names_stack(struct names *n, uint64_t stack, const char **frames, int max);

#endif
