/*
 * screen.h - the terminal side of `czprof top`, the only code that talks to
 * curses.  It draws the lines view.c lays out and reads keys.
 */
#ifndef CZPROF_VIEWER_SCREEN_H
#define CZPROF_VIEWER_SCREEN_H

#include "viewer/view.h"

enum {
	SCREEN_KEY_NONE = -1,
	SCREEN_KEY_UP = 0x101,
	SCREEN_KEY_DOWN,
	SCREEN_KEY_PGUP,
	SCREEN_KEY_PGDN,
	SCREEN_KEY_HOME,
	SCREEN_KEY_END,
	SCREEN_KEY_ENTER,
	SCREEN_KEY_RESIZE,
};

/* Whether screen_open can work, checked without touching the screen: 0,
 * SCREEN_NO_TTY when stdin or stdout is not a terminal, SCREEN_BAD_TERM when
 * $TERM names a terminal type this machine does not know.  Prints nothing. */
enum { SCREEN_NO_TTY = -1, SCREEN_BAD_TERM = -2 };
int screen_usable(void);

/*
 * Takes over the terminal (alternate screen, no echo, keys unbuffered).
 * Also installs handlers so that a fatal signal restores the terminal
 * before the process dies.  Returns 0, or -1 when stdin/stdout is not a
 * terminal curses can use (printed).
 */
int screen_open(void);

/* Gives the terminal back as it was.  Safe to call twice. */
void screen_close(void);

/* Current size in columns and lines. */
void screen_size(int *width, int *height);

/* Replaces the screen with lines[0..n). */
void screen_draw(const struct view_line *lines, int n);

/* Waits up to timeout_ms for a key: a character, a SCREEN_KEY_*, or
 * SCREEN_KEY_NONE. */
int screen_key(int timeout_ms);

/* Reads a line on the bottom row after prompt (Enter accepts, Escape keeps
 * buf as it was).  buf holds the current value on entry. */
void screen_prompt(const char *prompt, char *buf, size_t cap);

#endif
