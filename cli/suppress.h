/*
 * suppress.h - LeakSanitizer-style suppression files for `czprof leaks`:
 * one "leak:PATTERN" per line, '#' comments and blank lines ignored.  A
 * pattern matches a frame's function, file or module as a substring; '*'
 * matches any run of characters, a leading '^' anchors it at the start and
 * a trailing '$' at the end, as LeakSanitizer does.
 */
#ifndef CZPROF_CLI_SUPPRESS_H
#define CZPROF_CLI_SUPPRESS_H

#include <stddef.h>

struct suppressions {
	char **pattern; /* owned; freed by suppressions_free */
	size_t n, cap;
};

/*
 * Adds the patterns of text[0..len) (need not end in NUL).  On a bad line
 * writes "LINE: what" into err (errcap bytes) and returns -1; patterns read
 * before it stay added.  Returns 0.
 */
int suppressions_parse(struct suppressions *s, const char *text, size_t len, char *err,
		       size_t errcap);

/* Reads a file with suppressions_parse; prints one error line and returns
 * -1 when it cannot be read or is malformed. */
int suppressions_load(struct suppressions *s, const char *path);

void suppressions_free(struct suppressions *s);

/* Does pattern match somewhere in text (the rules above)? */
int suppression_match(const char *pattern, const char *text);

#endif
