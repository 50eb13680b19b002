/*
 * util.h - small helpers every command uses.  Only the CLI prints.
 */
#ifndef CZPROF_CLI_UTIL_H
#define CZPROF_CLI_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Prints "czprof: MESSAGE" on stderr; returns -1 so that
 * `return cli_error(...)` reads naturally. */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "512 B", "1.5 KiB", "3.2 MiB", "1.0 GiB" into buf (at least 32 bytes): the
 * base's size_text (lib/base/size.h) with the reports' one decimal. */
const char *cli_human_size(uint64_t bytes, char *buf);

/* "850 ns", "12.3 ms", "4.56 s" into buf (at least 32 bytes). */
const char *cli_human_time(uint64_t ns, char *buf);

/* Parses a size as budgets take it: "4096", "512K", "10M", "1.5MiB", "1G",
 * "2KB".  K, M, G, T alone or with "iB" are powers of 1024, as reports print
 * them; "KB", "MB", "GB", "TB" are powers of 1000; a trailing "B" alone is
 * bytes.  Returns 0, or -1 (nothing printed) for anything else, a negative
 * number or a size above 2^64. */
int cli_parse_size(const char *s, uint64_t *out);

/* Parses a count: decimal digits only.  Returns 0 or -1. */
int cli_parse_count(const char *s, uint64_t *out);

/* Is arg "-h" or "--help"? */
int cli_is_help(const char *arg);

/* Turns s's control characters (newlines, tabs, ESC...) and bytes that are
 * not UTF-8 into spaces, in place (czt_printable's CZT_PRINT_SPACE), so
 * that a command line whose arguments hold them prints on one line and
 * cannot drive the terminal; returns s (NULL stays NULL). */
char *cli_one_line(char *s);

/* What the recorder's lost records say (format/czt.h, enum czt_lost_why),
 * in one line into buf (cap bytes): "1,234 events lost: the disk was full
 * (No space left on device)".  Returns buf. */
char *cli_lost_text(char *buf, size_t cap, uint64_t n, uint64_t why, uint64_t err);

#endif
