/*
 * outfile.c - see outfile.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/outfile.h"
#include "cli/util.h"

int outfile_open(struct outfile *o, const char *path)
{
	memset(o, 0, sizeof(*o));
	if (!strcmp(path, "-")) {
		o->f = stdout;
		o->is_stdout = 1;
		return 0;
	}
	if (strlen(path) >= sizeof(o->path))
		return cli_error("'%s': path too long", path);
	strcpy(o->path, path);
	snprintf(o->tmp, sizeof(o->tmp), "%s.tmp%d", path, (int)getpid());
	int fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return cli_error("cannot create '%s': %s", path, strerror(errno));
	o->f = fdopen(fd, "w");
	if (!o->f) {
		close(fd);
		unlink(o->tmp);
		return cli_error("cannot write '%s': %s", o->tmp, strerror(errno));
	}
	return 0;
}

int outfile_close(struct outfile *o, int ok)
{
	if (o->is_stdout)
		return fflush(stdout) == 0 && ok ? 0 : -1;
	if (!o->f)
		return -1;
	int err = ferror(o->f) || fflush(o->f) || fchmod(fileno(o->f), 0644);
	int e = errno;
	if (fclose(o->f))
		err = 1;
	o->f = NULL;
	if (ok && !err && rename(o->tmp, o->path) == 0)
		return 0;
	if (ok)
		cli_error("cannot write '%s': %s", o->path, strerror(err ? e : errno));
	unlink(o->tmp);
	return -1;
}
