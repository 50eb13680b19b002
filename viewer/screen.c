/*
 * screen.c - see screen.h.  ncursesw, so UTF-8 block characters draw as one
 * column each when the locale is UTF-8.
 */
#include <curses.h>
#include <signal.h>
#include <term.h>
#undef lines /* a terminfo capability macro; a parameter's name here */
#include <string.h>
#include <unistd.h>

#include "viewer/screen.h"

static volatile sig_atomic_t is_open;

/* A fatal signal while the screen is up: give the terminal back, then die
 * of the same signal so the exit status tells what happened. */
static void on_fatal(int sig)
{
	if (is_open) {
		is_open = 0;
		endwin();
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

int screen_usable(void)
{
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		return SCREEN_NO_TTY;
	/* initscr() would print its own message and exit on an unknown TERM */
	int err = 0;
	if (setupterm(NULL, STDOUT_FILENO, &err) != OK)
		return SCREEN_BAD_TERM;
	del_curterm(cur_term);
	return 0;
}

int screen_open(void)
{
	if (screen_usable())
		return -1;
	if (!initscr())
		return -1;
	is_open = 1;
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		signal(fatal[i], on_fatal);
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	curs_set(0);
	if (has_colors()) {
		start_color();
		use_default_colors();
		init_pair(1, COLOR_CYAN, -1);  /* chart */
		init_pair(2, COLOR_BLACK, COLOR_CYAN); /* headings */
	}
	return 0;
}

void screen_close(void)
{
	if (!is_open)
		return;
	is_open = 0;
	endwin();
}

void screen_size(int *width, int *height)
{
	*width = COLS;
	*height = LINES;
}

void screen_draw(const struct view_line *lines, int n)
{
	erase();
	for (int i = 0; i < n && i < LINES; i++) {
		int attr = 0;
		if (lines[i].attr & VIEW_TITLE)
			attr |= A_BOLD;
		if (lines[i].attr & VIEW_HEADING)
			attr |= has_colors() ? COLOR_PAIR(2) : A_REVERSE;
		if (lines[i].attr & VIEW_SELECTED)
			attr |= A_REVERSE;
		if (lines[i].attr & VIEW_CHART && has_colors())
			attr |= COLOR_PAIR(1);
		if (lines[i].attr & VIEW_DIM)
			attr |= A_DIM;
		attron(attr);
		mvaddstr(i, 0, lines[i].text);
		if (lines[i].attr & (VIEW_HEADING | VIEW_SELECTED)) /* the bar spans the screen */
			for (int x = getcurx(stdscr); x < COLS && getcury(stdscr) == i; x++)
				addch(' ');
		attroff(attr);
	}
	refresh();
}

int screen_key(int timeout_ms)
{
	timeout(timeout_ms);
	int c = getch();
	switch (c) {
	case ERR: return SCREEN_KEY_NONE;
	case KEY_UP: return SCREEN_KEY_UP;
	case KEY_DOWN: return SCREEN_KEY_DOWN;
	case KEY_PPAGE: return SCREEN_KEY_PGUP;
	case KEY_NPAGE: return SCREEN_KEY_PGDN;
	case KEY_HOME: return SCREEN_KEY_HOME;
	case KEY_END: return SCREEN_KEY_END;
	case KEY_ENTER: case '\n': case '\r': return SCREEN_KEY_ENTER;
	case KEY_RESIZE: return SCREEN_KEY_RESIZE;
	default: return c;
	}
}

void screen_prompt(const char *prompt, char *buf, size_t cap)
{
	char edit[256];
	snprintf(edit, sizeof(edit), "%s", buf);
	size_t len = strlen(edit);
	curs_set(1);
	timeout(-1);
	for (;;) {
		move(LINES - 1, 0);
		clrtoeol();
		attron(A_BOLD);
		addstr(prompt);
		attroff(A_BOLD);
		addstr(edit);
		refresh();
		int c = getch();
		if (c == '\n' || c == '\r' || c == KEY_ENTER) {
			snprintf(buf, cap, "%s", edit);
			break;
		}
		if (c == 27) /* Escape: keep the old value */
			break;
		if ((c == KEY_BACKSPACE || c == 127 || c == 8) && len)
			edit[--len] = 0;
		else if (c >= 32 && c < 127 && len + 1 < sizeof(edit)) {
			edit[len++] = (char)c;
			edit[len] = 0;
		}
	}
	curs_set(0);
}
