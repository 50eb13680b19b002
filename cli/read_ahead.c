/* read_ahead.c - see read_ahead.h. */
#include <stdlib.h>
#include <string.h>

#include "cli/read_ahead.h"
#include "format/czt.h"

void cli_read_ahead(struct czt_reader *r)
{
	const char *v = getenv("CZPROF_READ_AHEAD");
	if (!v || strcmp(v, "0"))
		czt_reader_read_ahead(r); /* else it reads as before */
}
