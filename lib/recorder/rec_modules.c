/*
 * rec_modules.c - the module map: every ELF object mapped into the process,
 * with the range of its loaded segments and its build-id, so that addresses
 * can be symbolized after the process is gone.  Scanned at start and after
 * every dlopen/dlclose; a scan reports what appeared and what went away.
 */
#include <elf.h>
#include <link.h>
#include <string.h>
#include <unistd.h>

#include "lib/recorder/rec.h"

#define MAX_MODULES 4096

struct module {
	uint64_t id, bias, start, end;
	int seen; /* in the current scan */
};

static struct module modules[MAX_MODULES];
static int n_modules;
static uint64_t next_id = 1;
static rec_module_emit cur_emit;

static void build_id_of(struct dl_phdr_info *info, const uint8_t **bid, size_t *len)
{
	*bid = NULL;
	*len = 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_NOTE)
			continue;
		const uint8_t *p = (const uint8_t *)(info->dlpi_addr + ph->p_vaddr);
		const uint8_t *end = p + ph->p_memsz;
		while (p + sizeof(ElfW(Nhdr)) <= end) {
			const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
			const uint8_t *name = p + sizeof(*nh);
			const uint8_t *desc = name + ((nh->n_namesz + 3) & ~3u);
			if (desc + nh->n_descsz > end)
				break;
			if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
			    !memcmp(name, "GNU", 4)) {
				*bid = desc;
				*len = nh->n_descsz;
				return;
			}
			p = desc + ((nh->n_descsz + 3) & ~3u);
		}
	}
}

static int on_object(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	(void)arg;
	uint64_t lo = UINT64_MAX, hi = 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD)
			continue;
		uint64_t s = info->dlpi_addr + ph->p_vaddr;
		if (s < lo)
			lo = s;
		if (s + ph->p_memsz > hi)
			hi = s + ph->p_memsz;
	}
	if (hi == 0)
		return 0;
	for (int i = 0; i < n_modules; i++)
		if (modules[i].start == lo && modules[i].bias == info->dlpi_addr) {
			modules[i].seen = 1;
			return 0;
		}
	if (n_modules == MAX_MODULES)
		return 0;
	struct module *m = &modules[n_modules++];
	m->id = next_id++;
	m->bias = info->dlpi_addr;
	m->start = lo;
	m->end = hi;
	m->seen = 1;

	char exe[4096];
	const char *path = info->dlpi_name;
	if (!path || !*path) { /* the main program */
		ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		exe[n > 0 ? n : 0] = 0;
		path = exe;
	}
	const uint8_t *bid;
	size_t bid_len;
	build_id_of(info, &bid, &bid_len);
	cur_emit(1, m->id, m->bias, lo, hi, path, bid, bid_len);
	return 0;
}

void rec_modules_scan(rec_module_emit emit)
{
	cur_emit = emit;
	for (int i = 0; i < n_modules; i++)
		modules[i].seen = 0;
	dl_iterate_phdr(on_object, NULL);
	int w = 0;
	for (int i = 0; i < n_modules; i++) {
		if (!modules[i].seen) {
			emit(0, modules[i].id, 0, 0, 0, NULL, NULL, 0);
			continue;
		}
		modules[w++] = modules[i];
	}
	n_modules = w;
}

void rec_modules_forget(void)
{
	n_modules = 0;
	next_id = 1;
}

static int find_self(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	uint64_t *range = arg;
	uint64_t here = (uint64_t)(uintptr_t)&find_self;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD)
			continue;
		uint64_t s = info->dlpi_addr + ph->p_vaddr;
		if (here >= s && here < s + ph->p_memsz) {
			range[0] = s;
			range[1] = s + ph->p_memsz;
			return 1;
		}
	}
	return 0;
}

void rec_self_range(uint64_t *start, uint64_t *end)
{
	uint64_t range[2] = { 0, 0 };
	dl_iterate_phdr(find_self, range);
	*start = range[0];
	*end = range[1];
}
