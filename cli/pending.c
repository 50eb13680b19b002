/* TEMPORARY during parallel development: weak stand-ins for commands not yet
 * written.  Each real cmd_*.c overrides its entry.  Deleted before landing. */
#include <stdio.h>
#include "cli/commands.h"
#define PENDING(fn) __attribute__((weak)) int fn(int argc, char **argv) \
	{ (void)argc; fprintf(stderr, "czprof: '%s' is not built yet\n", argv[0]); return 2; }
PENDING(cmd_record) PENDING(cmd_dump) PENDING(cmd_load) PENDING(cmd_leaks)
PENDING(cmd_peak) PENDING(cmd_stats) PENDING(cmd_hotspots) PENDING(cmd_temporary)
PENDING(cmd_sql) PENDING(cmd_arenas) PENDING(cmd_top)
