/*
 * docpath.c - see docpath.h.  Found from this program's own path rather
 * than a folder fixed at build time, so that an install with another
 * PREFIX or DESTDIR, or a moved one, still points to its own copy.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/docpath.h"

const char *cli_doc_path(const char *name, const char *src, char *buf, size_t cap)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = 0;
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = 0; /* the folder czprof is in */
			char *up = strrchr(exe, '/');
			size_t parent = up ? (size_t)(up - exe) : 0; /* its parent, "" for "/" */
			snprintf(buf, cap, "%.*s/share/doc/czprof/%s", (int)parent, exe, name);
			if (!access(buf, R_OK))
				return buf;
			snprintf(buf, cap, "%.*s/%s", (int)parent, exe, src);
			if (!access(buf, R_OK))
				return buf;
		}
	}
	snprintf(buf, cap, "%s in czprof's sources", src);
	return buf;
}
