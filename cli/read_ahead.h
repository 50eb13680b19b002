/*
 * read_ahead.h - the commands' one switch for the trace reader's second
 * thread (czt_reader_read_ahead).  Apart from util.c so that what links
 * the helpers every command uses need not link the reader.
 */
#ifndef CZPROF_CLI_READ_AHEAD_H
#define CZPROF_CLI_READ_AHEAD_H

struct czt_reader;

/* Turns on r's read-ahead (czt_reader_read_ahead) for a reader that reads
 * a whole trace once, unless CZPROF_READ_AHEAD=0 (docs/performance.md). */
void cli_read_ahead(struct czt_reader *r);

#endif
