/*
 * name_esc.c - a program whose names would drive a terminal: the function
 * that allocates is named (by an asm label) with ESC and BEL bytes that set
 * the title and clear the screen, and its file name (a #line directive)
 * holds a colour escape.  It leaks one block of 100 bytes from there, and
 * allocates and frees one of 200.  A report must show the names with the
 * control bytes escaped (\x1b, \x07), never raw.
 */
#include <stdlib.h>

void *evil_alloc(size_t n) __asm__("\"evil\x1b]0;pwned\x07\x1b[2J\"");

#line 100 "evil\x1b[31mfile.c"
__attribute__((noinline)) void *evil_alloc(size_t n)
{
	return malloc(n);
}

int main(void)
{
	void *kept = evil_alloc(100);
	free(evil_alloc(200));
	return kept ? 0 : 1;
}
