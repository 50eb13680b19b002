/*
 * json.h - the database's summary and per-site tables as
 * one JSON document.
 * Writes to an open stream (cmd_export.c opens and commits the file);
 * returns 0, or -1 after printing an error.
 */
#ifndef CZPROF_CLI_RENDER_JSON_H
#define CZPROF_CLI_RENDER_JSON_H

#include <sqlite3.h>
#include <stdio.h>

int export_json(sqlite3 *db, FILE *out);

#endif
