/*
 * sym_dw.c - lib/symbols/sym.h with elfutils' libdwfl and libdw.  The only file
 * that includes elfutils headers.
 *
 * Each module gets a Dwfl of its own, opened on first use: modules of one
 * process can overlap in time (dlclose, then dlopen at the same address),
 * which a single Dwfl refuses.  Inlined frames come from the DWARF scopes
 * at the address, innermost first; each inlined call's DW_AT_call_file and
 * DW_AT_call_line give the location in the frame around it.
 */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <stdlib.h>
#include <string.h>

#include "lib/symbols/sym.h"

/* The C++ runtime's demangler (libstdc++), declared here to stay in C.
 * libczalloc's copy (lib/czalloc/cz_sym_dw.c) declares it weak, so that a C
 * program needs no C++ runtime: names are then left mangled. */
#ifdef SYM_WEAK_DEMANGLER
extern char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status) __attribute__((weak));
#define SYM_HAVE_DEMANGLER (__cxa_demangle != NULL)
#else
extern char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);
#define SYM_HAVE_DEMANGLER 1
#endif

struct sym_string {
	struct sym_string *next;
	char text[];
};

#define SYM_BUILD_ID_MAX 64

struct sym_module {
	uint64_t id, bias, start, end;
	char *path;
	Dwfl *dwfl;
	int opened;   /* 1 ok, -1 failed */
	int mismatch; /* the file's build-id is not the recorded one */
	uint8_t build_id[SYM_BUILD_ID_MAX];
	size_t build_id_len;
};

struct sym_resolver {
	struct sym_module *mods;
	size_t n, cap;
	struct sym_string *strings;
};

static char *debuginfo_path;
static const Dwfl_Callbacks callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
	.debuginfo_path = &debuginfo_path,
};

int sym_resolver_new(struct sym_resolver **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -1;
}

void sym_resolver_free(struct sym_resolver *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		if (r->mods[i].dwfl)
			dwfl_end(r->mods[i].dwfl);
		free(r->mods[i].path);
	}
	free(r->mods);
	while (r->strings) {
		struct sym_string *s = r->strings;
		r->strings = s->next;
		free(s);
	}
	free(r);
}

int sym_add_module(struct sym_resolver *r, uint64_t id, const char *path, uint64_t bias,
		   uint64_t start, uint64_t end, const uint8_t *build_id, size_t build_id_len)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 32;
		struct sym_module *m = realloc(r->mods, cap * sizeof(*m));
		if (!m)
			return -1;
		r->mods = m;
		r->cap = cap;
	}
	struct sym_module *m = &r->mods[r->n];
	memset(m, 0, sizeof(*m));
	m->path = strdup(path ? path : "");
	if (!m->path)
		return -1;
	m->id = id;
	m->bias = bias;
	m->start = start;
	m->end = end;
	/* a longer one (no real note is) is not checked */
	if (build_id && build_id_len <= SYM_BUILD_ID_MAX) {
		memcpy(m->build_id, build_id, build_id_len);
		m->build_id_len = build_id_len;
	}
	r->n++;
	return 0;
}

unsigned sym_build_id_mismatches(const struct sym_resolver *r)
{
	unsigned n = 0;
	for (size_t i = 0; i < r->n; i++)
		n += r->mods[i].mismatch;
	return n;
}

static const char *keep(struct sym_resolver *r, const char *s)
{
	if (!s)
		return NULL;
	size_t len = strlen(s);
	struct sym_string *k = malloc(sizeof(*k) + len + 1);
	if (!k)
		return NULL;
	memcpy(k->text, s, len + 1);
	k->next = r->strings;
	r->strings = k;
	return k->text;
}

static const char *keep_demangled(struct sym_resolver *r, const char *name)
{
	if (SYM_HAVE_DEMANGLER && name && name[0] == '_' && name[1] == 'Z') {
		int status = -1;
		char *d = __cxa_demangle(name, NULL, NULL, &status);
		if (d && status == 0) {
			const char *k = keep(r, d);
			free(d);
			return k;
		}
		free(d);
	}
	return keep(r, name);
}

static Dwfl *module_dwfl(struct sym_module *m)
{
	if (m->opened)
		return m->opened > 0 ? m->dwfl : NULL;
	m->opened = -1;
	if (m->path[0] != '/') /* [vdso], linux-vdso.so.1: no file to read */
		return NULL;
	Dwfl *d = dwfl_begin(&callbacks);
	if (!d)
		return NULL;
	dwfl_report_begin(d);
	Dwfl_Module *dm = dwfl_report_elf(d, m->path, m->path, -1, m->bias, false);
	if (!dm) {
		dwfl_end(d);
		return NULL;
	}
	const unsigned char *bits;
	GElf_Addr at;
	int len = m->build_id_len ? dwfl_module_build_id(dm, &bits, &at) : 0;
	if (m->build_id_len && (len != (int)m->build_id_len || memcmp(bits, m->build_id, m->build_id_len))) {
		m->mismatch = 1; /* another binary at that path now */
		dwfl_end(d);
		return NULL;
	}
	dwfl_report_end(d, NULL, NULL);
	m->dwfl = d;
	m->opened = 1;
	return d;
}

static const char *die_name(Dwarf_Die *die)
{
	Dwarf_Attribute at;
	const char *s = NULL;
	if (dwarf_attr_integrate(die, DW_AT_linkage_name, &at))
		s = dwarf_formstring(&at);
	if (!s && dwarf_attr_integrate(die, DW_AT_name, &at))
		s = dwarf_formstring(&at);
	return s;
}

/* The file name DW_AT_call_file of an inlined call refers to. */
static const char *call_file(Dwarf_Die *cu, Dwarf_Die *die)
{
	Dwarf_Attribute at;
	Dwarf_Word idx;
	Dwarf_Files *files;
	size_t nfiles;
	if (!dwarf_attr(die, DW_AT_call_file, &at) || dwarf_formudata(&at, &idx) ||
	    dwarf_getsrcfiles(cu, &files, &nfiles) || idx >= nfiles)
		return NULL;
	return dwarf_filesrc(files, idx, NULL, NULL);
}

static unsigned call_line(Dwarf_Die *die)
{
	Dwarf_Attribute at;
	Dwarf_Word line;
	if (!dwarf_attr(die, DW_AT_call_line, &at) || dwarf_formudata(&at, &line))
		return 0;
	return (unsigned)line;
}

int sym_lookup(struct sym_resolver *r, uint64_t ip, struct sym_frame *frames, int max_frames,
	       uint64_t *module_id)
{
	*module_id = 0;
	struct sym_module *m = NULL;
	for (size_t i = r->n; i-- > 0;) /* the latest module at an address wins */
		if (ip > r->mods[i].start && ip <= r->mods[i].end) {
			m = &r->mods[i];
			break;
		}
	if (!m || max_frames <= 0)
		return 0;
	*module_id = m->id;
	Dwfl *d = module_dwfl(m);
	if (!d)
		return 0;
	Dwarf_Addr a = ip - 1; /* inside the call instruction */
	Dwfl_Module *dm = dwfl_addrmodule(d, a);
	if (!dm)
		return 0;

	/* the location of the innermost frame, from the line table */
	const char *file = NULL;
	int line = 0;
	Dwfl_Line *l = dwfl_module_getsrc(dm, a);
	if (l)
		file = dwfl_lineinfo(l, NULL, &line, NULL, NULL, NULL);

	int n = 0;
	Dwarf_Addr cu_bias;
	Dwarf_Die *cu = dwfl_module_addrdie(dm, a, &cu_bias);
	Dwarf_Die *scopes = NULL;
	int nscopes = cu ? dwarf_getscopes(cu, a - cu_bias, &scopes) : 0;
	for (int i = 0; i < nscopes && n < max_frames; i++) {
		int tag = dwarf_tag(&scopes[i]);
		if (tag != DW_TAG_inlined_subroutine && tag != DW_TAG_subprogram)
			continue;
		frames[n].function = keep_demangled(r, die_name(&scopes[i]));
		frames[n].file = keep(r, file);
		frames[n].line = line > 0 ? (unsigned)line : 0;
		n++;
		if (tag == DW_TAG_subprogram)
			break;
		/* the frame around an inlined call is at its call site */
		file = call_file(cu, &scopes[i]);
		line = (int)call_line(&scopes[i]);
		/* after an inlined instance dwarf_getscopes goes on with its
		 * abstract definition's scopes, not the function it was inlined
		 * into: a chain of inlined calls (C++ containers at -O2) would
		 * jump from its innermost call to the outer function.  The
		 * instance's own containing scopes give the chain (as
		 * elfutils' addr2line -i walks it). */
		Dwarf_Die *outer = NULL;
		int nouter = dwarf_getscopes_die(&scopes[i], &outer);
		if (nouter > 1) {
			free(scopes);
			scopes = outer;
			nscopes = nouter;
			i = 0; /* outer[0] is the instance itself */
		} else {
			free(outer);
		}
	}
	free(scopes);
	if (n == 0) { /* no DWARF: the ELF symbol table still names the function */
		const char *name = dwfl_module_addrname(dm, a);
		if (!name && !file)
			return 0;
		frames[0].function = keep_demangled(r, name);
		frames[0].file = keep(r, file);
		frames[0].line = line > 0 ? (unsigned)line : 0;
		n = 1;
	}
	return n;
}
