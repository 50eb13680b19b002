/* runprog.c - see runprog.h. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/runprog.h"
#include "cli/util.h"

/* Where libczprof.so is: $CZPROF_LIB, beside czprof, or PREFIX/lib/czprof. */
int runprog_find_library(char *out, size_t cap)
{
	const char *env = getenv("CZPROF_LIB");
	if (env && *env) {
		if (!realpath(env, out) || access(out, R_OK))
			return cli_error("CZPROF_LIB='%s': %s", env, strerror(errno));
		return 0;
	}
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return cli_error("cannot find my own path: %s", strerror(errno));
	self[n] = 0;
	char *dir = dirname(self);
	snprintf(out, cap, "%s/libczprof.so", dir);
	if (!access(out, R_OK))
		return 0;
	snprintf(out, cap, "%s/../lib/czprof/libczprof.so", dir);
	if (!access(out, R_OK))
		return 0;
	return cli_error("cannot find libczprof.so beside %s (set CZPROF_LIB)", dir);
}

/* Resolves prog like a shell would (PATH search when it has no '/'). */
int runprog_find_program(const char *prog, char *out, size_t cap)
{
	if (strchr(prog, '/')) {
		snprintf(out, cap, "%s", prog);
	} else {
		const char *path = getenv("PATH");
		if (!path)
			path = "/usr/local/bin:/usr/bin:/bin";
		int found = 0;
		for (const char *p = path; *p && !found;) {
			const char *end = strchr(p, ':');
			size_t len = end ? (size_t)(end - p) : strlen(p);
			snprintf(out, cap, "%.*s/%s", (int)len, len ? p : ".", prog);
			struct stat st;
			if (!stat(out, &st) && S_ISREG(st.st_mode) && !access(out, X_OK))
				found = 1;
			p += len + (end ? 1 : 0);
		}
		if (!found)
			return cli_error("'%s': command not found", prog);
	}
	struct stat st;
	if (stat(out, &st))
		return cli_error("'%s': %s", prog, strerror(errno));
	if (!S_ISREG(st.st_mode) || access(out, X_OK))
		return cli_error("'%s': not an executable file", prog);
	if (st.st_mode & (S_ISUID | S_ISGID) && geteuid() != 0)
		cli_warning("'%s' is setuid/setgid: the loader ignores LD_PRELOAD for it, "
			   "so nothing will be recorded", prog);
	return 0;
}

/* An ELF executable without PT_INTERP is static: preloading cannot reach
 * it.  Scripts and anything that is not ELF are left to the kernel. */
int runprog_is_static(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	Elf64_Ehdr eh;
	int is_static = 0;
	if (read(fd, &eh, sizeof(eh)) == (ssize_t)sizeof(eh) && !memcmp(eh.e_ident, ELFMAG, SELFMAG) &&
	    eh.e_ident[EI_CLASS] == ELFCLASS64 && eh.e_phentsize == sizeof(Elf64_Phdr) &&
	    eh.e_phnum < 256) {
		is_static = 1;
		for (int i = 0; i < eh.e_phnum; i++) {
			Elf64_Phdr ph;
			if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + (uint64_t)i * sizeof(ph))) !=
			    (ssize_t)sizeof(ph))
				break;
			if (ph.p_type == PT_INTERP || ph.p_type == PT_DYNAMIC) {
				is_static = 0; /* static-pie has PT_DYNAMIC but no interpreter */
				if (ph.p_type == PT_INTERP)
					break;
				is_static = 2;
			}
		}
		if (is_static == 2) /* PT_DYNAMIC without PT_INTERP: static-pie */
			is_static = 1;
	}
	close(fd);
	return is_static;
}

void runprog_preload(const char *lib)
{
	char pid[24];
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	const char *old = getenv("LD_PRELOAD");
	char *preload = malloc(strlen(lib) + (old ? strlen(old) : 0) + 2);
	if (!preload)
		_exit(127);
	sprintf(preload, "%s%s%s", lib, old && *old ? ":" : "", old ? old : "");
	setenv("LD_PRELOAD", preload, 1);
	setenv("CZPROF_ROOT_PID", pid, 1);
}
