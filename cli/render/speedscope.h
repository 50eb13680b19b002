/*
 * speedscope.h - speedscope's JSON file format: one
 * sampled profile per figure (leaked bytes, allocated bytes, allocation
 * count).
 * Writes to an open stream (cmd_export.c opens and commits the file);
 * returns 0, or -1 after printing an error.
 */
#ifndef CZPROF_CLI_RENDER_SPEEDSCOPE_H
#define CZPROF_CLI_RENDER_SPEEDSCOPE_H

#include <sqlite3.h>
#include <stdio.h>

int export_speedscope(sqlite3 *db, FILE *out);

#endif
