/*
 * rec_attach.c - recording in a process that was already running when the
 * library was loaded into it (`czprof record -p`, cli/attach.c): the two
 * entry points czprof calls inside the process, and the redirection of
 * the modules' GOT entries for the malloc family.
 *
 * Loading a library does not change where a module's calls to malloc go:
 * its GOT entries were bound to libc's when it was loaded (or at its first
 * call).  So every loaded module's JUMP_SLOT and GLOB_DAT relocations that
 * name a function of rec_hooks are rewritten to this library's wrapper,
 * and written back on detach.  A GOT entry is one aligned pointer: a
 * thread reading it while it is rewritten sees the old or the new value,
 * and either is a working malloc (the wrappers call libc's, and a block
 * allocated before the attach is freed by libc's free through them).
 * Calls already inside libc's functions are not touched at all.
 *
 * The recorder never prints: the entry points return codes (rec.h).
 */
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <signal.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/recorder/rec.h"
#include "lib/recorder/rec_mmap.h"

int rec_attach_hooked;

/* One redirected GOT entry: its address and what it held before. */
struct got_slot {
	uintptr_t *where;
	uintptr_t old;
};

/* Under hook_lock: the attach, the detach and dlopen (rec_attach_rehook)
 * may run on different threads. */
static pthread_mutex_t hook_lock = PTHREAD_MUTEX_INITIALIZER;
static struct got_slot *slots;
static size_t n_slots, cap_slots;

static int remember(uintptr_t *where, uintptr_t old)
{
	for (size_t i = 0; i < n_slots; i++)
		if (slots[i].where == where) {
			slots[i].old = old;
			return 0;
		}
	if (n_slots == cap_slots) {
		size_t cap = cap_slots ? cap_slots * 2 : 256;
		struct got_slot *n = rec_mmap(cap * sizeof(*n));
		if (!n)
			return -1;
		if (slots) {
			memcpy(n, slots, n_slots * sizeof(*n));
			rec_own_forget(slots);
			munmap(slots, cap_slots * sizeof(*slots));
		}
		slots = n;
		cap_slots = cap;
	}
	slots[n_slots++] = (struct got_slot){ where, old };
	return 0;
}

/* What a slot held before the attach; 0 when it is not one of ours. */
static uintptr_t remembered(const uintptr_t *where)
{
	for (size_t i = 0; i < n_slots; i++)
		if (slots[i].where == where)
			return slots[i].old;
	return 0;
}

static const struct rec_hook *hook_named(const char *name)
{
	for (size_t i = 0; i < rec_n_hooks; i++)
		if (!strcmp(rec_hooks[i].name, name))
			return &rec_hooks[i];
	return NULL;
}

/* Writes v at where, opening a read-only (RELRO) page for the moment. */
static void got_write(uintptr_t *where, uintptr_t v, int relro)
{
	long page = sysconf(_SC_PAGESIZE);
	void *pg = (void *)((uintptr_t)where & ~(uintptr_t)(page - 1));
	if (relro && mprotect(pg, (size_t)page, PROT_READ | PROT_WRITE))
		return;
	__atomic_store_n(where, v, __ATOMIC_RELEASE);
	if (relro)
		mprotect(pg, (size_t)page, PROT_READ);
}

enum { HOOK, UNHOOK };

struct walk {
	int what;
	uintptr_t self; /* an address inside this library */
};

/* A dynamic entry's address: ld.so relocates most of them in place, the
 * vDSO's and some others are left as link-time addresses. */
static uintptr_t dyn_ptr(uintptr_t bias, uintptr_t p)
{
	return p < bias ? p + bias : p;
}

static void walk_relocs(const struct walk *w, uintptr_t bias, const ElfW(Rela) *rel, size_t n,
			const ElfW(Sym) *symtab, const char *strtab, uintptr_t ro_lo, uintptr_t ro_hi)
{
	for (size_t i = 0; i < n; i++) {
		unsigned type = ELF64_R_TYPE(rel[i].r_info);
		if (type != R_X86_64_JUMP_SLOT && type != R_X86_64_GLOB_DAT)
			continue;
		unsigned sym = ELF64_R_SYM(rel[i].r_info);
		if (!sym)
			continue;
		const struct rec_hook *h = hook_named(strtab + symtab[sym].st_name);
		if (!h)
			continue;
		uintptr_t *where = (uintptr_t *)(bias + rel[i].r_offset);
		uintptr_t ours = (uintptr_t)h->fn;
		int relro = (uintptr_t)where >= ro_lo && (uintptr_t)where < ro_hi;
		uintptr_t now = __atomic_load_n(where, __ATOMIC_ACQUIRE);
		if (w->what == HOOK) {
			if (now != ours && !remember(where, now))
				got_write(where, ours, relro);
		} else if (now == ours) {
			uintptr_t old = remembered(where);
			if (old)
				got_write(where, old, relro);
		}
	}
}

static int walk_module(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	const struct walk *w = data;
	uintptr_t bias = info->dlpi_addr;
	const ElfW(Dyn) *dyn = NULL;
	uintptr_t ro_lo = 0, ro_hi = 0;
	long page = sysconf(_SC_PAGESIZE);
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type == PT_DYNAMIC) {
			dyn = (const ElfW(Dyn) *)(bias + ph->p_vaddr);
		} else if (ph->p_type == PT_GNU_RELRO) {
			/* ld.so protects whole pages from the start down, to the
			 * end rounded down */
			ro_lo = (bias + ph->p_vaddr) & ~(uintptr_t)(page - 1);
			ro_hi = (bias + ph->p_vaddr + ph->p_memsz) & ~(uintptr_t)(page - 1);
		} else if (ph->p_type == PT_LOAD && w->self >= bias + ph->p_vaddr &&
			   w->self < bias + ph->p_vaddr + ph->p_memsz) {
			return 0; /* this library: its own calls go to libc */
		}
	}
	if (!dyn || !info->dlpi_name || strstr(info->dlpi_name, "linux-vdso"))
		return 0;
	const ElfW(Sym) *symtab = NULL;
	const char *strtab = NULL;
	const ElfW(Rela) *jmprel = NULL, *rela = NULL;
	size_t pltrelsz = 0, relasz = 0;
	int plt_is_rela = 1;
	for (; dyn->d_tag != DT_NULL; dyn++) {
		switch (dyn->d_tag) {
		case DT_SYMTAB: symtab = (const ElfW(Sym) *)dyn_ptr(bias, dyn->d_un.d_ptr); break;
		case DT_STRTAB: strtab = (const char *)dyn_ptr(bias, dyn->d_un.d_ptr); break;
		case DT_JMPREL: jmprel = (const ElfW(Rela) *)dyn_ptr(bias, dyn->d_un.d_ptr); break;
		case DT_PLTRELSZ: pltrelsz = dyn->d_un.d_val; break;
		case DT_RELA: rela = (const ElfW(Rela) *)dyn_ptr(bias, dyn->d_un.d_ptr); break;
		case DT_RELASZ: relasz = dyn->d_un.d_val; break;
		case DT_PLTREL: plt_is_rela = dyn->d_un.d_val == DT_RELA; break;
		}
	}
	if (!symtab || !strtab)
		return 0;
	if (jmprel && plt_is_rela)
		walk_relocs(w, bias, jmprel, pltrelsz / sizeof(ElfW(Rela)), symtab, strtab, ro_lo, ro_hi);
	if (rela)
		walk_relocs(w, bias, rela, relasz / sizeof(ElfW(Rela)), symtab, strtab, ro_lo, ro_hi);
	return 0;
}

static void walk_all(int what)
{
	struct walk w = { what, (uintptr_t)&walk_all };
	dl_iterate_phdr(walk_module, &w);
}

/* Puts every redirected entry back; returns how many there were. */
static long unhook(void)
{
	pthread_mutex_lock(&hook_lock);
	__atomic_store_n(&rec_attach_hooked, 0, __ATOMIC_RELEASE);
	walk_all(UNHOOK);
	long n = (long)n_slots;
	n_slots = 0;
	pthread_mutex_unlock(&hook_lock);
	return n;
}

void rec_attach_rehook(void)
{
	pthread_mutex_lock(&hook_lock);
	if (rec_attach_hooked)
		walk_all(HOOK);
	pthread_mutex_unlock(&hook_lock);
}

/* The czprof process that attached (0: none). */
static pid_t owner;

/* Starts recording to path for the czprof process who, then redirects
 * every module's calls of the malloc family here.  0, or a REC_ATTACH_*
 * code (rec.h). */
EXPORT int czprof_attach_start(const char *path, long who)
{
	static int resolved;
	int guard = rec_guard;
	rec_guard = 1;
	if (!resolved && !__atomic_load_n(&rec_active, __ATOMIC_ACQUIRE)) {
		rec_interpose_resolve_default();
		resolved = 1;
	}
	int rc = rec_attach_claim();
	if (rc == REC_ATTACH_BUSY && owner > 0 && kill(owner, 0) && errno == ESRCH) {
		/* the czprof that attached was killed before it could detach:
		 * its trace ends here, and this one takes over */
		rec_attach_end();
		unhook();
		rc = rec_attach_claim();
	}
	if (!rc)
		owner = (pid_t)who;
	if (rc) {
		rec_guard = guard;
		return rc;
	}
	/* Redirected first, recording after: the window then starts at one
	 * moment for every thread (rec_active), not module by module. */
	pthread_mutex_lock(&hook_lock);
	walk_all(HOOK);
	__atomic_store_n(&rec_attach_hooked, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&hook_lock);
	rc = rec_attach_begin(path);
	if (rc)
		unhook();
	rec_guard = guard;
	return rc;
}

/* Stops recording and writes the trace's last chunks, then puts every
 * GOT entry back; the program goes on with libc's functions.
 * Returns how many entries had been redirected. */
EXPORT long czprof_attach_stop(void)
{
	int guard = rec_guard;
	rec_guard = 1;
	/* recording stops at one moment for every thread, then the calls
	 * go back to libc module by module (meanwhile through the wrappers,
	 * which pass them on) */
	rec_attach_end();
	long n = unhook();
	rec_guard = guard;
	return n;
}
