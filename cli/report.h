/*
 * report.h - what every report needs: naming frames and call sites from
 * the database, and JSON string output.
 */
#ifndef CZ_REPORT_H
#define CZ_REPORT_H

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>

#define REPORT_NAME_MAX 1024

struct report_frame {
	char name[REPORT_NAME_MAX]; /* "function (file:line)" or "module+0xOFF" */
	char function[512];         /* empty when unknown */
	char file[512];             /* empty when unknown */
	char module[512];           /* module path, empty when unknown */
	int is_allocator;           /* malloc family, operator new, libc internals */
};

struct report_ctx;

/* Caller owns the result; frees it with report_ctx_free.  NULL on error
 * (printed). */
struct report_ctx *report_ctx_new(sqlite3 *db);
void report_ctx_free(struct report_ctx *c);

/*
 * Fills frames[0..n) for a stack id, innermost first, inlined frames
 * expanded, at most max.  Returns n.
 */
int report_stack(struct report_ctx *c, uint64_t stack, struct report_frame *frames, int max);

/* The call site of a stack: the first frame, innermost first, that is not
 * an allocator function.  Writes its name into buf (REPORT_NAME_MAX). */
void report_site(struct report_ctx *c, uint64_t stack, char *buf);

/* Prints s as a JSON string, quoted and escaped. */
void report_json_string(FILE *f, const char *s);

/* Prints "czprof REPORT: CMDLINE (pid N), trace PATH" and warnings about a
 * cut trace, from the meta table. */
void report_header(sqlite3 *db, const char *report, const char *trace);

/* A meta value as an integer (0 when missing). */
int64_t report_meta_int(sqlite3 *db, const char *key);

#endif
