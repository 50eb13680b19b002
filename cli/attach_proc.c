/*
 * attach_proc.c - a running process as /proc shows it, for `czprof record
 * -p` (attach_proc.h): the refusals, the module map, and function
 * addresses from a module's dynamic symbol table.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/attach_proc.h"
#include "cli/util.h"

#define YAMA_FILE "/proc/sys/kernel/yama/ptrace_scope"

/* The Yama setting's file; tests point CZPROF_PTRACE_SCOPE_FILE at a file
 * of their own, since a test may not change the machine's. */
static const char *yama_file(void)
{
	const char *f = getenv("CZPROF_PTRACE_SCOPE_FILE");
	return f && *f ? f : YAMA_FILE;
}

/* Yama's ptrace_scope, or -1 when Yama is not there. */
static int yama_scope(void)
{
	FILE *f = fopen(yama_file(), "r");
	int v = -1;
	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* Is pid a descendant of the calling process? */
static int is_descendant(pid_t pid)
{
	pid_t me = getpid();
	for (int hops = 0; pid > 1 && hops < 4096; hops++) {
		char path[64], line[256];
		snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
		FILE *f = fopen(path, "r");
		if (!f)
			return 0;
		pid_t pp = 0;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "PPid: %d", &pp) == 1)
				break;
		fclose(f);
		if (pp == me)
			return 1;
		pid = pp;
	}
	return 0;
}

/* The refusal Yama's setting makes, or 0 when it allows the attach. */
static int yama_refuses(pid_t pid)
{
	int scope = yama_scope();
	int root = geteuid() == 0; /* CAP_SYS_PTRACE, as far as czprof asks */
	if (scope <= 0 || (scope == 1 && (root || is_descendant(pid))) || (scope == 2 && root))
		return 0;
	if (scope >= 3)
		return cli_error("cannot attach to pid %d: %s is %d, which forbids ptrace to everyone "
				"until the next boot", (int)pid, yama_file(), scope);
	if (scope == 2)
		return cli_error("cannot attach to pid %d: %s is 2, which allows ptrace to root only: "
				"run czprof as root", (int)pid, yama_file());
	return cli_error("cannot attach to pid %d: %s is 1, which allows a process to be traced by "
			"its ancestors only: run czprof as root, or allow it with "
			"'echo 0 > %s' (as root)", (int)pid, yama_file(), yama_file());
}

int attach_proc_eperm(pid_t pid)
{
	if (yama_refuses(pid))
		return -1;
	return cli_error("cannot attach to pid %d: not permitted (it may be setuid, or run under "
			"another user's control)", (int)pid);
}

static const char *machine_name(unsigned m)
{
	switch (m) {
	case EM_386: return "i386";
	case EM_ARM: return "arm";
	case EM_AARCH64: return "aarch64";
	case EM_RISCV: return "riscv";
	case EM_PPC64: return "ppc64";
	case EM_S390: return "s390";
	}
	return "non-x86_64";
}

/* Reads /proc/PID/status: real, effective and saved uid, real gid, the
 * tracer.  0, or -1 when the process is gone. */
static int read_status(pid_t pid, uid_t uid[3], gid_t *gid, pid_t *tracer)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	unsigned u[3] = { 0 }, g = 0;
	int tp = 0;
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "Uid: %u %u %u", &u[0], &u[1], &u[2]);
		sscanf(line, "Gid: %u", &g);
		sscanf(line, "TracerPid: %d", &tp);
	}
	fclose(f);
	for (int i = 0; i < 3; i++)
		uid[i] = (uid_t)u[i];
	*gid = (gid_t)g;
	*tracer = (pid_t)tp;
	return 0;
}

static void read_comm(pid_t pid, char *out, size_t cap)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	out[0] = 0;
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	if (fgets(out, (int)cap, f))
		out[strcspn(out, "\n")] = 0;
	fclose(f);
}

/* The program's ELF header and whether it names an interpreter: -1 when
 * it cannot be read. */
static int read_exe(pid_t pid, Elf64_Ehdr *eh, int *has_interp)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = -1;
	*has_interp = 0;
	if (pread(fd, eh, sizeof(*eh), 0) < (ssize_t)EI_NIDENT || memcmp(eh->e_ident, ELFMAG, SELFMAG))
		goto out;
	rc = 0;
	if (eh->e_ident[EI_CLASS] != ELFCLASS64)
		goto out;
	for (unsigned i = 0; i < eh->e_phnum && i < 256; i++) {
		Elf64_Phdr ph;
		if (pread(fd, &ph, sizeof(ph), (off_t)(eh->e_phoff + (uint64_t)i * eh->e_phentsize)) !=
		    (ssize_t)sizeof(ph))
			break;
		if (ph.p_type == PT_INTERP)
			*has_interp = 1;
	}
out:
	close(fd);
	return rc;
}

int attach_proc_check(pid_t pid, struct attach_target *t)
{
	memset(t, 0, sizeof(*t));
	t->pid = pid;
	uid_t uid[3];
	pid_t tracer;
	if (pid <= 0 || (kill(pid, 0) && errno == ESRCH) || read_status(pid, uid, &t->gid, &tracer))
		return cli_error("no process with pid %d", (int)pid);
	t->uid = uid[0];
	read_comm(pid, t->comm, sizeof(t->comm));
	uid_t me = geteuid();
	if (me != 0 && (uid[0] != me || uid[1] != me || uid[2] != me)) {
		struct passwd *pw = getpwuid(uid[0]);
		return cli_error("cannot attach to pid %d (%s): it belongs to user %s (uid %u) and czprof "
				"runs as uid %u: run czprof as that user or as root", (int)pid, t->comm,
				pw ? pw->pw_name : "?", (unsigned)uid[0], (unsigned)me);
	}
	if (tracer) {
		char tcomm[64];
		read_comm(tracer, tcomm, sizeof(tcomm));
		return cli_error("cannot attach to pid %d (%s): it is already traced by pid %d (%s); "
				"detach that first", (int)pid, t->comm, (int)tracer, tcomm);
	}
	Elf64_Ehdr eh;
	int interp;
	if (read_exe(pid, &eh, &interp))
		return cli_error("cannot attach to pid %d (%s): its program is not an ELF file czprof "
				"can read", (int)pid, t->comm);
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64)
		return cli_error("cannot attach to pid %d (%s): it runs a %s%s program, and czprof "
				"attaches to x86_64 programs only", (int)pid, t->comm,
				eh.e_ident[EI_CLASS] == ELFCLASS32 ? "32-bit " : "",
				machine_name(eh.e_machine));
	char libc[4096];
	uint64_t base;
	if (!interp || attach_proc_module(pid, "libc.so", NULL, libc, sizeof(libc), &base))
		return cli_error("cannot attach to pid %d (%s): it is statically linked (no libc.so "
				"in its memory), so the recorder cannot be loaded into it", (int)pid, t->comm);
	if (yama_refuses(pid))
		return -1;
	return 0;
}

/* Splits a /proc/PID/maps line: range, permissions, offset, path. */
static int parse_map(const char *line, uint64_t *lo, uint64_t *hi, char perms[5], uint64_t *off,
		     const char **path)
{
	int n = 0;
	unsigned long long a, b, o;
	if (sscanf(line, "%llx-%llx %4s %llx %*s %*s %n", &a, &b, perms, &o, &n) < 4 || !n)
		return -1;
	*lo = a;
	*hi = b;
	*off = o;
	*path = line + n;
	return 0;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

int attach_proc_module(pid_t pid, const char *prefix, const char *path, char *out, size_t cap,
		       uint64_t *base)
{
	char mp[64], line[4096 + 128];
	snprintf(mp, sizeof(mp), "/proc/%d/maps", (int)pid);
	FILE *f = fopen(mp, "r");
	if (!f)
		return -1;
	int found = -1;
	while (found && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		uint64_t lo, hi, off;
		char perms[5];
		const char *p;
		if (parse_map(line, &lo, &hi, perms, &off, &p) || off != 0 || p[0] != '/')
			continue;
		/* a library replaced on disk since it was loaded (a czprof
		 * rebuilt or upgraded meanwhile) is still the one loaded: its
		 * symbols are read through the mapping itself */
		size_t plen = path ? strlen(path) : 0;
		int deleted = !prefix && !strncmp(p, path, plen) && !strcmp(p + plen, " (deleted)");
		if (!deleted && (prefix ? strncmp(base_name(p), prefix, strlen(prefix)) : strcmp(p, path)))
			continue;
		if (strlen(p) >= cap)
			continue;
		if (deleted)
			snprintf(out, cap, "/proc/%d/map_files/%llx-%llx", (int)pid, (unsigned long long)lo,
				 (unsigned long long)hi);
		else
			strcpy(out, p);
		*base = lo;
		found = 0;
	}
	fclose(f);
	return found;
}

void attach_proc_runtime(pid_t pid, struct attach_runtime *rt)
{
	static const char *const names[] = { "libc.so", "ld-linux", "libgcc_s", "libczprof", NULL };
	char mp[64], line[4096 + 128];
	snprintf(mp, sizeof(mp), "/proc/%d/maps", (int)pid);
	rt->n = 0;
	FILE *f = fopen(mp, "r");
	if (!f)
		return;
	while (rt->n < ATTACH_RUNTIME_MAX && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		uint64_t lo, hi, off;
		char perms[5];
		const char *p;
		if (parse_map(line, &lo, &hi, perms, &off, &p) || perms[2] != 'x')
			continue;
		for (int i = 0; names[i]; i++)
			if (!strncmp(base_name(p), names[i], strlen(names[i]))) {
				rt->lo[rt->n] = lo;
				rt->hi[rt->n++] = hi;
				break;
			}
	}
	fclose(f);
}

int attach_runtime_has(const struct attach_runtime *rt, uint64_t addr)
{
	for (int i = 0; i < rt->n; i++)
		if (addr >= rt->lo[i] && addr < rt->hi[i])
			return 1;
	return 0;
}

/* ---- dynamic symbols of an ELF file ---- */

uint64_t attach_elf_symbol(const char *path, uint64_t base, const char *name)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	struct stat st;
	uint64_t addr = 0;
	if (fstat(fd, &st) || st.st_size < (off_t)sizeof(Elf64_Ehdr)) {
		close(fd);
		return 0;
	}
	size_t size = (size_t)st.st_size;
	const uint8_t *m = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return 0;
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)m;
	/* every offset and count is checked against the file: a module on
	 * disk may have been replaced since it was loaded */
#define FITS(off, len) ((uint64_t)(off) <= size && (uint64_t)(len) <= size - (uint64_t)(off))
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_shentsize != sizeof(Elf64_Shdr) || eh->e_phentsize != sizeof(Elf64_Phdr) ||
	    !FITS(eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr)) ||
	    !FITS(eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr)))
		goto out;
	/* the load base maps the first PT_LOAD's page */
	uint64_t first = UINT64_MAX;
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(m + eh->e_phoff);
	for (unsigned i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && ph[i].p_vaddr < first)
			first = ph[i].p_vaddr;
	if (first == UINT64_MAX)
		goto out;
	uint64_t bias = base - (first & ~(uint64_t)0xfff);
	const Elf64_Shdr *sh = (const Elf64_Shdr *)(m + eh->e_shoff);
	const Elf64_Shdr *dynsym = NULL, *versym = NULL;
	for (unsigned i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_type == SHT_DYNSYM)
			dynsym = &sh[i];
		else if (sh[i].sh_type == SHT_GNU_versym)
			versym = &sh[i];
	}
	if (!dynsym || dynsym->sh_link >= eh->e_shnum || !FITS(dynsym->sh_offset, dynsym->sh_size))
		goto out;
	const Elf64_Shdr *strs = &sh[dynsym->sh_link];
	if (!FITS(strs->sh_offset, strs->sh_size))
		goto out;
	const Elf64_Sym *syms = (const Elf64_Sym *)(m + dynsym->sh_offset);
	size_t n = dynsym->sh_size / sizeof(Elf64_Sym);
	const uint16_t *vers = versym && FITS(versym->sh_offset, n * 2) ?
			       (const uint16_t *)(m + versym->sh_offset) : NULL;
	const char *str = (const char *)(m + strs->sh_offset);
	size_t nlen = strlen(name);
	for (size_t i = 1; i < n; i++) {
		const Elf64_Sym *s = &syms[i];
		if (s->st_shndx == SHN_UNDEF || ELF64_ST_TYPE(s->st_info) != STT_FUNC ||
		    s->st_name + nlen + 1 > strs->sh_size || memcmp(str + s->st_name, name, nlen + 1))
			continue;
		addr = bias + s->st_value;
		if (!vers || !(vers[i] & 0x8000))
			break; /* the default version; a hidden one only if nothing better */
	}
#undef FITS
out:
	munmap((void *)m, size);
	return addr;
}
