/*
 * massif.h - massif.out as valgrind's massif writes it:
 * ms_print and massif-visualizer read it.  Snapshots follow the timeline;
 * the peak one holds the tree of call sites live at the peak.
 * Writes to an open stream (cmd_export.c opens and commits the file);
 * returns 0, or -1 after printing an error.
 */
#ifndef CZPROF_CLI_RENDER_MASSIF_H
#define CZPROF_CLI_RENDER_MASSIF_H

#include <sqlite3.h>
#include <stdio.h>

int export_massif(sqlite3 *db, FILE *out);

#endif
