/*
 * pprof.h - a pprof profile (gzipped protobuf, sample types
 * alloc_objects/count, alloc_space/bytes, inuse_objects/count,
 * inuse_space/bytes, "in use" meaning never freed): go tool pprof and
 * Pyroscope read it.
 * Writes to an open stream (cmd_export.c opens and commits the file);
 * returns 0, or -1 after printing an error.
 */
#ifndef CZPROF_CLI_RENDER_PPROF_H
#define CZPROF_CLI_RENDER_PPROF_H

#include <sqlite3.h>
#include <stdio.h>

int export_pprof(sqlite3 *db, FILE *out);

#endif
