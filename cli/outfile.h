/*
 * outfile.h - report files written whole or not at all: output goes to a
 * temporary file beside the target (0600 while written, never through a
 * symlink) and is renamed over it only when complete.  "-" is stdout.
 */
#ifndef CZPROF_CLI_OUTFILE_H
#define CZPROF_CLI_OUTFILE_H

#include <limits.h>
#include <stdio.h>

struct outfile {
	FILE *f;            /* write here */
	char path[PATH_MAX];
	char tmp[PATH_MAX + 32];
	int is_stdout;
};

/* Returns 0, or -1 after printing why. */
int outfile_open(struct outfile *o, const char *path);

/* ok: flush and rename into place (0644); otherwise remove the temporary
 * file.  Returns 0 when the file is in place, -1 (printed) otherwise. */
int outfile_close(struct outfile *o, int ok);

#endif
