/*
 * docpath.h - where czprof's reference documents (SCHEMA.md, FORMAT.md) are
 * on this machine, for help texts that point to them.
 */
#ifndef CZPROF_CLI_DOCPATH_H
#define CZPROF_CLI_DOCPATH_H

#include <stddef.h>

/*
 * The path of the document name, whose place in the sources is src
 * ("cli/SCHEMA.md"): installed beside this czprof (BINDIR/../share/doc/
 * czprof/NAME, as `make install` puts it), else in the source tree this
 * czprof was built in (build/czprof: ../src), else "src in czprof's
 * sources".  Written into buf (cap bytes); returns buf.
 */
const char *cli_doc_path(const char *name, const char *src, char *buf, size_t cap);

#endif
