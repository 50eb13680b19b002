/*
 * printable.h - text from a trace made safe to print.  Function, file,
 * module and allocator names and command lines come from the profiled
 * program: a name holding ESC or BEL would set the terminal's title, clear
 * the screen or change its colours when a report prints it.  Every text
 * output (the CLI's reports, the database they read, the live view) passes
 * trace text through this one function.  Nothing here allocates but
 * czt_printable_dup, and nothing prints.
 */
#ifndef CZT_PRINTABLE_H
#define CZT_PRINTABLE_H

#include <stddef.h>

enum czt_printable_mode {
	/* each unsafe byte as \xHH: a name stays recognisable and distinct */
	CZT_PRINT_ESCAPE = 0,
	/* each unsafe character as one space: a command line, whose arguments
	 * may hold newlines and tabs, stays one readable line */
	CZT_PRINT_SPACE = 1,
};

/*
 * Copies the len bytes at s into out (cap > 0 bytes, always NUL-terminated,
 * cut at a character boundary when too long) so that printing it can only
 * show characters: C0 controls (NUL included), DEL, C1 controls (U+0080 to
 * U+009F) and every byte that is not part of well-formed UTF-8 are written
 * as the mode says.  Returns out.
 */
char *czt_printable(char *out, size_t cap, const void *s, size_t len, enum czt_printable_mode mode);

/* The same into a new string of the right size.  Caller owns the result
 * and frees it with free(); NULL when out of memory. */
char *czt_printable_dup(const void *s, size_t len, enum czt_printable_mode mode);

#endif
