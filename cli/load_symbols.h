/*
 * load_symbols.h - symbols for a trace that has no symbol table: `czprof
 * record` writes it after the program ends, so a trace whose recording
 * was killed, or that was recorded without `record`, holds only
 * addresses.  The loader then names them from the modules on this
 * machine, each read only if its build-id is the recorded one
 * (lib/symbols/sym.h).
 */
#ifndef CZPROF_CLI_LOAD_SYMBOLS_H
#define CZPROF_CLI_LOAD_SYMBOLS_H

#include <sqlite3.h>

#include "lib/symbols/sym.h"

/*
 * Fills the frames table for every ip of the stack_nodes table, from sym
 * (the trace's modules, declared as they were read).  Names are stored
 * printable (format/printable.h).  *resolved: ips that got a function
 * name.  Returns 0, or -1 after printing a database error.
 */
int load_symbols_from_disk(sqlite3 *db, struct sym_resolver *sym, unsigned long *resolved);

#endif
