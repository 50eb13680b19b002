/*
 * export.h - the trace in formats other tools read; one file per format,
 * each writing to an open stream (cmd_export.c opens and commits the file).
 * Each returns 0, or -1 after printing an error.
 */
#ifndef CZ_EXPORT_H
#define CZ_EXPORT_H

#include <sqlite3.h>
#include <stdio.h>

/* massif.out as valgrind's massif writes it: ms_print and
 * massif-visualizer read it.  Snapshots follow the timeline; the peak one
 * holds the tree of call sites live at the peak. */
int export_massif(sqlite3 *db, FILE *out);

/* speedscope's JSON file format: one sampled profile per figure (leaked
 * bytes, allocated bytes, allocation count). */
int export_speedscope(sqlite3 *db, FILE *out);

/* A pprof profile (gzipped protobuf, sample types alloc_objects/count,
 * alloc_space/bytes, inuse_objects/count, inuse_space/bytes, "in use"
 * meaning never freed): go tool pprof and Pyroscope read it. */
int export_pprof(sqlite3 *db, FILE *out);

/* The database's summary and per-site tables as one JSON document. */
int export_json(sqlite3 *db, FILE *out);

#endif
