/*
 * cz_stack.c - see cz_stack.h.  The resolver is built once per process
 * from the modules loaded then (dl_iterate_phdr) and rebuilt when a frame
 * falls in none of them (a dlopen since), and released after each report
 * (cz__stack_release): its memory comes from the C heap, and libdw's
 * caches would otherwise stay for the life of the program.
 */
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <string.h>

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "lib/czalloc/cz_internal.h"
#include "lib/czalloc/cz_stack.h"
#include "lib/symbols/sym.h"

#define SLACK 8 /* frames of the library above the caller, at most */

int cz__capture(void **out, int depth, uintptr_t ret)
{
	if (depth <= 0)
		return 0;
	if (depth > CZ__MAX_DEPTH)
		depth = CZ__MAX_DEPTH;
	void *buf[CZ__MAX_DEPTH + SLACK];
	int n = unw_backtrace(buf, depth + SLACK), from = n < 2 ? n : 2;
	for (int i = 0; i < n && i < SLACK; i++)
		if ((uintptr_t)buf[i] == ret) {
			from = i;
			break;
		}
	n -= from;
	if (n > depth)
		n = depth;
	memcpy(out, buf + from, (size_t)n * sizeof(void *));
	return n;
}

uintptr_t cz__stack_floor;

static pthread_mutex_t sym_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sym_resolver *resolver;

static int cz__add_module(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	uint64_t *id = arg, start = UINT64_MAX, end = 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD)
			continue;
		uint64_t a = info->dlpi_addr + ph->p_vaddr;
		if (a < start)
			start = a;
		if (a + ph->p_memsz > end)
			end = a + ph->p_memsz;
	}
	const char *path = info->dlpi_name && info->dlpi_name[0] ? info->dlpi_name : "/proc/self/exe";
	if (end > start && strncmp(path, "linux-vdso", 10))
		sym_add_module(resolver, ++*id, path, info->dlpi_addr, start, end, NULL, 0);
	return 0;
}

/* Under the recorder, libdw's work is kept out of the profile (the hook
 * of version 2); a recorder without it: the dynamic symbol table only. */
static int can_quiet(void)
{
	return !cz__hooks || (cz__hooks->version >= 2 && cz__hooks->quiet);
}

static void quiet(int on)
{
	if (cz__hooks)
		cz__hooks->quiet(on);
}

/* Called quiet. */
static void rebuild(void)
{
	uint64_t id = 0;
	sym_resolver_free(resolver);
	resolver = NULL;
	if (sym_resolver_new(&resolver) == 0)
		dl_iterate_phdr(cz__add_module, &id);
}

/* sym_site.c has one, but that file is the CLI's naming of call sites */
static const char *base(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

/* With no debug information: what the dynamic symbol table says. */
static void print_dladdr(FILE *f, int i, uintptr_t ip)
{
	Dl_info info;
	if (dladdr((void *)(ip - 1), &info) && info.dli_fname) {
		const char *mod = strrchr(info.dli_fname, '/');
		mod = mod ? mod + 1 : info.dli_fname;
		if (info.dli_sname)
			fprintf(f, "    #%-2d 0x%lx %s+0x%lx (%s)\n", i, (unsigned long)ip, info.dli_sname,
				(unsigned long)(ip - (uintptr_t)info.dli_saddr), mod);
		else
			fprintf(f, "    #%-2d 0x%lx (%s+0x%lx)\n", i, (unsigned long)ip, mod,
				(unsigned long)(ip - (uintptr_t)info.dli_fbase));
	} else {
		fprintf(f, "    #%-2d 0x%lx\n", i, (unsigned long)ip);
	}
}

void cz__print_stack(FILE *f, void *const *ips, int n)
{
	pthread_mutex_lock(&sym_lock);
	/* under the profiler, libdw's caches (megabytes of the C heap) would
	 * show in the program's profile and move its peak: its calls are made
	 * quiet, or, with a recorder that cannot, the dynamic symbol table
	 * names the frames */
	if (!resolver && can_quiet()) {
		quiet(1);
		rebuild();
		quiet(0);
	}
	/* at the floor: that frame and the one above it (the frame that
	 * called the function under test) are the sweep's */
	for (int i = 1; cz__stack_floor && i < n; i++)
		if ((uintptr_t)ips[i] == cz__stack_floor) {
			n = i - 1;
			break;
		}
	for (int i = 0; i < n; i++) {
		uintptr_t ip = (uintptr_t)ips[i];
		struct sym_frame fr[8];
		uint64_t mod = 0;
		quiet(1);
		int k = resolver ? sym_lookup(resolver, ip, fr, 8, &mod) : 0;
		if (!k && !mod && resolver) { /* a module loaded since */
			rebuild();
			k = resolver ? sym_lookup(resolver, ip, fr, 8, &mod) : 0;
		}
		quiet(0);
		if (!k || !fr[0].function) {
			print_dladdr(f, i, ip);
			continue;
		}
		/* innermost first, as the stack goes: an inlined callee on the
		 * numbered line, the functions it was inlined into below */
		for (int j = 0; j < k; j++) {
			if (!j)
				fprintf(f, "    #%-2d 0x%lx %s", i, (unsigned long)ip,
					fr[j].function ? fr[j].function : "??");
			else
				fprintf(f, "         in %s", fr[j].function ? fr[j].function : "??");
			if (fr[j].file)
				fprintf(f, " (%s:%u)\n", base(fr[j].file), fr[j].line);
			else
				fprintf(f, "\n");
		}
	}
	pthread_mutex_unlock(&sym_lock);
}

void cz__stack_release(void)
{
	pthread_mutex_lock(&sym_lock);
	if (resolver) {
		quiet(1);
		sym_resolver_free(resolver);
		quiet(0);
	}
	resolver = NULL;
	pthread_mutex_unlock(&sym_lock);
}
