/*
 * names.c - see names.h.  Everything is keyed by id with idmap; resolved
 * addresses are cached per ip, call sites per stack id, and site names are
 * interned so that the model's stacks fold into sites by number.  String
 * and stack node ids are shifted by the image as the engine shifts them
 * (AN_IMAGE_SHIFT), so that a stack of the engine names its own image's
 * frames; what is keyed by address (modules, symbols) is the current
 * image's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/printable.h"
#include "lib/symbols/sym.h"
#include "lib/symbols/sym_site.h"
#include "lib/analysis/engine.h"
#include "lib/analysis/idmap.h"
#include "lib/base/hash.h"
#include "viewer/names.h"

/* inlined frames per address: as many as a FRAME record holds, since an
 * optimised C++ allocation inlines a chain of library calls into the
 * user's function and the site is the outermost of them */
#define MAX_INLINE CZT_MAX_INLINE_FRAMES
#define NAME_MAX_LEN 1024
#define SITE_MAX_FRAMES 256 /* as cli/report.c's report_site */

struct frame_name {
	char *name;
	int is_allocator;
};

struct ip_names {
	int n;
	struct frame_name *f; /* n of them (at least one allocated) */
	char *module; /* path, "" when unknown */
};

struct module {
	uint64_t id, bias, start, end;
	char *path;
	int unloaded;
};

struct frame_rec { /* a FRAME record kept until first use */
	unsigned n;
	struct czt_frame_sym *f; /* n of them */
};

struct site {
	char *name, *module;
};

struct names {
	uint64_t image;   /* the current image's shift of ids */
	struct sym_resolver *sym;
	const struct sym_site_rules *rules; /* borrowed; NULL: the default rules */

	struct idmap string_ids;
	char **strings;
	size_t n_strings, cap_strings;

	struct idmap node_ids;
	uint64_t (*nodes)[2]; /* parent, ip */
	size_t n_nodes, cap_nodes;

	struct module *mods;
	size_t n_mods, cap_mods;

	struct idmap frame_ids; /* FRAME records by ip */
	struct frame_rec *frames;
	size_t n_frames, cap_frames;

	struct idmap ip_ids;
	struct ip_names *ips;
	size_t n_ips, cap_ips;

	struct idmap stack_sites; /* stack id -> site number */

	struct site *sites;
	size_t n_sites, cap_sites;
	struct idmap site_hash; /* hash of name -> site; collisions probe on */
};

int names_new(struct names **out)
{
	struct names *n = calloc(1, sizeof(*n));
	if (!n || sym_resolver_new(&n->sym)) {
		free(n);
		return -1;
	}
	*out = n;
	return 0;
}

/* Forgets what is keyed by address: an image's modules and symbols (at
 * exec and at the end). */
static void drop_image(struct names *n)
{
	for (size_t i = 0; i < n->n_mods; i++)
		free(n->mods[i].path);
	free(n->mods);
	n->mods = NULL;
	n->n_mods = n->cap_mods = 0;
	idmap_clear(&n->frame_ids);
	for (size_t i = 0; i < n->n_frames; i++)
		free(n->frames[i].f);
	free(n->frames);
	n->frames = NULL;
	n->n_frames = n->cap_frames = 0;
	idmap_clear(&n->ip_ids);
	for (size_t i = 0; i < n->n_ips; i++) {
		for (int j = 0; j < n->ips[i].n; j++)
			free(n->ips[i].f[j].name);
		free(n->ips[i].f);
		free(n->ips[i].module);
	}
	free(n->ips);
	n->ips = NULL;
	n->n_ips = n->cap_ips = 0;
}

void names_free(struct names *n)
{
	if (!n)
		return;
	drop_image(n);
	idmap_clear(&n->string_ids);
	for (size_t i = 0; i < n->n_strings; i++)
		free(n->strings[i]);
	free(n->strings);
	idmap_clear(&n->node_ids);
	free(n->nodes);
	idmap_clear(&n->stack_sites);
	for (size_t i = 0; i < n->n_sites; i++) {
		free(n->sites[i].name);
		free(n->sites[i].module);
	}
	free(n->sites);
	idmap_clear(&n->site_hash);
	sym_resolver_free(n->sym);
	free(n);
}

void names_set_site_rules(struct names *n, const struct sym_site_rules *rules)
{
	n->rules = rules;
}

void names_exec(struct names *n)
{
	drop_image(n);
	n->image += (uint64_t)1 << AN_IMAGE_SHIFT;
	struct sym_resolver *fresh;
	if (!sym_resolver_new(&fresh)) {
		sym_resolver_free(n->sym);
		n->sym = fresh;
	}
}

const char *names_string(struct names *n, uint64_t id)
{
	long i = idmap_get(&n->string_ids, id);
	return i < 0 ? NULL : n->strings[i];
}

static void add_string(struct names *n, uint64_t id, const uint8_t *s, size_t len)
{
	if (idmap_get(&n->string_ids, id) >= 0)
		return;
	char *copy = malloc(len + 1);
	if (!copy || array_reserve((void **)&n->strings, &n->cap_strings, n->n_strings, sizeof(char *)) ||
	    idmap_put(&n->string_ids, id, (uint32_t)n->n_strings)) {
		free(copy);
		return;
	}
	memcpy(copy, s, len);
	copy[len] = 0;
	n->strings[n->n_strings++] = copy;
}

static void add_module(struct names *n, const struct czt_record *r)
{
	char path[4096];
	size_t len = r->str_len < sizeof(path) - 1 ? r->str_len : sizeof(path) - 1;
	memcpy(path, r->str, len);
	path[len] = 0;
	if (array_reserve((void **)&n->mods, &n->cap_mods, n->n_mods, sizeof(*n->mods)))
		return;
	char *copy = strdup(path);
	if (!copy)
		return;
	n->mods[n->n_mods++] = (struct module){ r->id, r->bias, r->start, r->end, copy, 0 };
	sym_add_module(n->sym, r->id, path, r->bias, r->start, r->end, r->build_id, r->build_id_len);
}

void names_record(struct names *n, const struct czt_record *r)
{
	switch (r->type) {
	case CZT_REC_STRING:
		add_string(n, r->id + n->image, r->str, r->str_len);
		break;
	case CZT_REC_STACK_NODE:
		if (idmap_get(&n->node_ids, r->id + n->image) >= 0 ||
		    array_reserve((void **)&n->nodes, &n->cap_nodes, n->n_nodes, sizeof(*n->nodes)) ||
		    idmap_put(&n->node_ids, r->id + n->image, (uint32_t)n->n_nodes))
			break;
		n->nodes[n->n_nodes][0] = r->parent ? r->parent + n->image : 0;
		n->nodes[n->n_nodes][1] = r->ip;
		n->n_nodes++;
		break;
	case CZT_REC_MODULE_LOAD:
		add_module(n, r);
		break;
	case CZT_REC_MODULE_UNLOAD:
		for (size_t i = 0; i < n->n_mods; i++)
			if (n->mods[i].id == r->id)
				n->mods[i].unloaded = 1;
		break;
	case CZT_REC_FRAME:
		if (idmap_get(&n->frame_ids, r->ip) >= 0 ||
		    array_reserve((void **)&n->frames, &n->cap_frames, n->n_frames, sizeof(*n->frames)) ||
		    idmap_put(&n->frame_ids, r->ip, (uint32_t)n->n_frames))
			break;
		struct frame_rec *f = &n->frames[n->n_frames++];
		f->n = r->nframes < MAX_INLINE ? r->nframes : MAX_INLINE;
		f->f = f->n ? malloc(f->n * sizeof(f->f[0])) : NULL;
		if (!f->f)
			f->n = 0;
		else
			memcpy(f->f, r->frames, f->n * sizeof(f->f[0]));
		break;
	default:
		break;
	}
}

/* The newest module covering ip (a later module may reuse a range). */
static const struct module *module_of(const struct names *n, uint64_t ip)
{
	for (size_t i = n->n_mods; i-- > 0;)
		if (ip > n->mods[i].start && ip <= n->mods[i].end)
			return &n->mods[i];
	return NULL;
}

/* A frame's name as the screen shows it: the program's names may hold
 * control characters, which must not reach the terminal (printable.h). */
static char *safe_text(const char *buf)
{
	return czt_printable_dup(buf, strlen(buf), CZT_PRINT_ESCAPE);
}

static char *frame_text(const char *fn, const char *file, unsigned line, const char *module)
{
	char buf[NAME_MAX_LEN];
	sym_frame_name(buf, sizeof(buf), fn, file, line, module);
	return safe_text(buf);
}

static struct ip_names *resolve_ip(struct names *n, uint64_t ip)
{
	long k = idmap_get(&n->ip_ids, ip);
	if (k >= 0)
		return &n->ips[k];
	if (array_reserve((void **)&n->ips, &n->cap_ips, n->n_ips, sizeof(*n->ips)) ||
	    idmap_put(&n->ip_ids, ip, (uint32_t)n->n_ips))
		return NULL;
	struct ip_names *e = &n->ips[n->n_ips++];
	memset(e, 0, sizeof(*e));
	const struct module *mod = module_of(n, ip);
	const char *mpath = mod ? mod->path : "";
	e->module = strdup(mpath);
	long fr = idmap_get(&n->frame_ids, ip);
	struct sym_frame sf[MAX_INLINE];
	uint64_t mid = 0;
	int got = fr >= 0 ? (int)n->frames[fr].n : sym_lookup(n->sym, ip, sf, MAX_INLINE, &mid);
	e->f = calloc((size_t)(got > 0 ? got : 1), sizeof(*e->f));
	if (!e->f)
		return NULL;
	if (fr >= 0) { /* the trace's own symbol table wins */
		const struct frame_rec *f = &n->frames[fr];
		for (unsigned i = 0; i < f->n; i++) {
			const char *fn = names_string(n, f->f[i].function + n->image);
			const char *file = f->f[i].file ? names_string(n, f->f[i].file + n->image) : NULL;
			if (!fn)
				continue;
			e->f[e->n].name = frame_text(fn, file, (unsigned)f->f[i].line, mpath);
			e->f[e->n].is_allocator = sym_is_allocator_frame(n->rules, fn, file, mpath);
			e->n++;
		}
	} else {
		for (int i = 0; i < got; i++) {
			if (!sf[i].function)
				continue;
			e->f[e->n].name = frame_text(sf[i].function, sf[i].file, sf[i].line, mpath);
			e->f[e->n].is_allocator = sym_is_allocator_frame(n->rules, sf[i].function, sf[i].file, mpath);
			e->n++;
		}
	}
	if (e->n == 0) { /* no symbol: module+offset, never a guess */
		char buf[NAME_MAX_LEN];
		sym_unnamed_frame(buf, sizeof(buf), mpath, mod ? mod->bias : 0, ip);
		e->f[0].name = safe_text(buf);
		e->f[0].is_allocator = sym_is_allocator_unnamed(n->rules, buf, mpath);
		e->n = 1;
	}
	for (int i = 0; i < e->n; i++)
		if (!e->f[i].name)
			e->f[i].name = strdup("?");
	return e;
}

static long intern_site(struct names *n, const char *name, const char *module)
{
	uint64_t h = hash_str(name);
	for (uint64_t probe = h;; probe++) { /* equal hashes: try the next key */
		long i = idmap_get(&n->site_hash, probe);
		if (i < 0)
			break;
		if (!strcmp(n->sites[i].name, name))
			return i;
	}
	if (array_reserve((void **)&n->sites, &n->cap_sites, n->n_sites, sizeof(*n->sites)))
		return -1;
	char *nm = strdup(name), *mo = strdup(module ? module : "");
	uint64_t probe = h;
	while (idmap_get(&n->site_hash, probe) >= 0)
		probe++;
	if (!nm || !mo || idmap_put(&n->site_hash, probe, (uint32_t)n->n_sites)) {
		free(nm);
		free(mo);
		return -1;
	}
	n->sites[n->n_sites] = (struct site){ nm, mo };
	return (long)n->n_sites++;
}

int names_stack(struct names *n, uint64_t stack, const char **frames, int max)
{
	int k = 0;
	for (int guard = 0; stack && k < max && guard < 1024; guard++) {
		long i = idmap_get(&n->node_ids, stack);
		if (i < 0)
			break;
		struct ip_names *e = resolve_ip(n, n->nodes[i][1]);
		for (int j = 0; e && j < e->n && k < max; j++)
			frames[k++] = e->f[j].name;
		stack = n->nodes[i][0];
	}
	return k;
}

long names_site(struct names *n, uint64_t stack)
{
	long cached = idmap_get(&n->stack_sites, stack);
	if (cached >= 0)
		return cached;
	const char *name[SITE_MAX_FRAMES], *module[SITE_MAX_FRAMES];
	unsigned char is_alloc[SITE_MAX_FRAMES] = { 0 };
	int k = 0, found = 0;
	uint64_t s = stack;
	for (int guard = 0; s && guard < 1024 && k < SITE_MAX_FRAMES && !found; guard++) {
		long i = idmap_get(&n->node_ids, s);
		if (i < 0)
			return -1; /* not read yet: ask again later */
		struct ip_names *e = resolve_ip(n, n->nodes[i][1]);
		if (!e)
			return -1;
		for (int j = 0; j < e->n && k < SITE_MAX_FRAMES; j++, k++) {
			name[k] = e->f[j].name;
			module[k] = e->module;
			is_alloc[k] = (unsigned char)e->f[j].is_allocator;
			found |= !is_alloc[k]; /* the site: its callers cannot change it */
		}
		s = n->nodes[i][0];
	}
	int at = sym_site_index(is_alloc, k);
	long id = intern_site(n, k ? name[at] : "(no stack)", k ? module[at] : "");
	if (id >= 0)
		idmap_put(&n->stack_sites, stack, (uint32_t)id);
	return id;
}

const char *names_site_name(const struct names *n, long i)
{
	return i >= 0 && (size_t)i < n->n_sites ? n->sites[i].name : "?";
}

const char *names_site_module(const struct names *n, long i)
{
	return i >= 0 && (size_t)i < n->n_sites ? n->sites[i].module : "";
}

long names_site_count(const struct names *n)
{
	return (long)n->n_sites;
}
