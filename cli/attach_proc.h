/*
 * attach_proc.h - what `czprof record -p` learns about a running process
 * from /proc before and while it attaches (attach_proc.c): whether it may
 * be attached to at all, where its modules are mapped, and the address of
 * a function in one of them, from the module's own dynamic symbols.
 * Nothing here stops or changes the process.
 */
#ifndef CZPROF_CLI_ATTACH_PROC_H
#define CZPROF_CLI_ATTACH_PROC_H

#include <stdint.h>
#include <sys/types.h>

struct attach_target {
	pid_t pid;
	uid_t uid; /* its real uid, which owns the trace it writes */
	gid_t gid;
	char comm[64];
};

/* Every refusal czprof can tell before touching the process: no such
 * process, another architecture, statically linked, another user's,
 * already traced, forbidden by Yama's ptrace_scope.  Prints one error line
 * and returns -1, or fills t and returns 0. */
int attach_proc_check(pid_t pid, struct attach_target *t);

/* The Yama ptrace_scope line for a refused PTRACE_SEIZE (EPERM): prints
 * the setting, its value and the fix when Yama is why, else a plain line.
 * Returns -1. */
int attach_proc_eperm(pid_t pid);

/* The mapping of the module whose file's name starts with prefix (e.g.
 * "libc.so"), or whose path is exactly path when prefix is NULL: its path
 * (cap bytes) and load base (the start of its mapping at file offset 0).
 * A library at path that was replaced on disk since it was loaded is
 * found too, its path then the mapping's /proc/PID/map_files entry.
 * 0 when found, -1 when not. */
int attach_proc_module(pid_t pid, const char *prefix, const char *path, char *out, size_t cap,
		       uint64_t *base);

/* The executable code of libc, ld.so, libgcc_s and libczprof: a thread
 * stopped there may hold a lock that a call into the process would need
 * (malloc's, the loader's). */
#define ATTACH_RUNTIME_MAX 32
struct attach_runtime {
	uint64_t lo[ATTACH_RUNTIME_MAX], hi[ATTACH_RUNTIME_MAX];
	int n;
};
void attach_proc_runtime(pid_t pid, struct attach_runtime *rt);
int attach_runtime_has(const struct attach_runtime *rt, uint64_t addr);

/* The run-time address of the defined function name in the module file
 * path loaded at base (its default version when there are several), or 0. */
uint64_t attach_elf_symbol(const char *path, uint64_t base, const char *name);

#endif
