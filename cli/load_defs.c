/*
 * load_defs.c - the trace's definitions into the database as they are
 * read (load_internal.h): stack nodes, modules, the symbol table's
 * strings and frames, the name of the program an exec started, and the
 * facts of how the run ended.  Events pass through to the engine.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/load_cz.h"
#include "cli/load_internal.h"
#include "format/printable.h"
#include "lib/analysis/idmap.h"
#include "lib/symbols/sym.h"

static void put_stack_node(struct loader *l, uint64_t id, uint64_t parent, uint64_t ip)
{
	sqlite3_bind_int64(l->ins_node, 1, (sqlite3_int64)id);
	sqlite3_bind_int64(l->ins_node, 2, (sqlite3_int64)parent);
	sqlite3_bind_int64(l->ins_node, 3, (sqlite3_int64)ip);
	sqlite3_step(l->ins_node);
	sqlite3_reset(l->ins_node);
}

/* A MODULE_LOAD or MODULE_UNLOAD of image img. */
static void put_module(struct loader *l, const struct czt_record *r, uint64_t img)
{
	if (r->type == CZT_REC_MODULE_UNLOAD) {
		sqlite3_bind_int64(l->unload_module, 1, (sqlite3_int64)r->time);
		sqlite3_bind_int64(l->unload_module, 2, (sqlite3_int64)(r->id + img));
		sqlite3_step(l->unload_module);
		sqlite3_reset(l->unload_module);
		return;
	}
	char raw_path[PATH_MAX];
	snprintf(raw_path, sizeof(raw_path), "%.*s", (int)r->str_len, r->str ? (const char *)r->str : "");
	if (l->sym)
		sym_add_module(l->sym, r->id + img, raw_path, r->bias, r->start, r->end, r->build_id,
			       r->build_id_len);
	char hex[129];
	size_t n = r->build_id_len < 64 ? r->build_id_len : 64;
	for (size_t i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", r->build_id[i]);
	hex[2 * n] = 0;
	sqlite3_stmt *s = l->ins_module;
	char *path = czt_printable_dup(r->str, r->str_len, CZT_PRINT_ESCAPE);
	sqlite3_bind_int64(s, 1, (sqlite3_int64)(r->id + img));
	sqlite3_bind_text(s, 2, path ? path : "?", -1, SQLITE_TRANSIENT);
	free(path);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)r->bias);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)r->start);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)r->end);
	sqlite3_bind_text(s, 6, hex, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 7, (sqlite3_int64)r->time);
	sqlite3_step(s);
	sqlite3_reset(s);
}

/* The program an exec started: exe and its command line (arguments
 * separated by NULs). */
static int name_image(struct loader *l, const uint8_t *exe, size_t exe_len, const uint8_t *cmd,
		      size_t cmd_len)
{
	char *e = czt_printable_dup(exe, exe_len, CZT_PRINT_ESCAPE);
	char *c = czt_printable_dup(cmd, cmd_len, CZT_PRINT_SPACE);
	if (!e || !c) {
		free(e);
		free(c);
		return -1;
	}
	free(l->image_exe);
	free(l->image_cmdline);
	l->image_exe = e;
	l->image_cmdline = c;
	l->image_unnamed = 0;
	return 0;
}

static const char *string_of(struct loader *l, uint64_t id)
{
	return id && id < l->cap_strs ? l->strs[id] : NULL;
}

/* The records the database holds as they come; the engine takes the
 * events (an_engine_record). */
int load_on_record(void *ctx, const struct czt_chunk *c, const struct czt_record *r)
{
	struct loader *l = ctx;
	l->in_footer = c->type == CZT_CHUNK_FOOTER;
	l->has_footer |= l->in_footer;
	uint64_t img = l->en.image << AN_IMAGE_SHIFT;
	switch (r->type) {
	case CZT_REC_STACK_NODE:
		put_stack_node(l, r->id + img, r->parent ? r->parent + img : 0, r->ip);
		return 0;
	case CZT_REC_STRING:
		if (load_cz_record(l->cz, r))
			return -1;
		if (r->id >= 1 && r->id < (1u << 24)) { /* symbol-table strings */
			if (array_reserve((void **)&l->strs, &l->cap_strs, r->id, sizeof(char *)))
				return -1;
			/* function and file names are printed: no control
			 * characters (format/printable.h) */
			char *s = czt_printable_dup(r->str, r->str_len, CZT_PRINT_ESCAPE);
			if (!s)
				return -1;
			free(l->strs[r->id]);
			l->strs[r->id] = s;
		}
		return 0;
	case CZT_REC_FRAME:
		l->n_frame_recs++;
		for (unsigned i = 0; i < r->nframes; i++) {
			const char *fn = string_of(l, r->frames[i].function);
			const char *file = string_of(l, r->frames[i].file);
			sqlite3_bind_int64(l->ins_frame, 1, (sqlite3_int64)r->ip);
			sqlite3_bind_int(l->ins_frame, 2, (int)i);
			fn ? sqlite3_bind_text(l->ins_frame, 3, fn, -1, SQLITE_STATIC)
			   : sqlite3_bind_null(l->ins_frame, 3);
			file ? sqlite3_bind_text(l->ins_frame, 4, file, -1, SQLITE_STATIC)
			     : sqlite3_bind_null(l->ins_frame, 4);
			sqlite3_bind_int64(l->ins_frame, 5, (sqlite3_int64)r->frames[i].line);
			sqlite3_bind_int64(l->ins_frame, 6, (sqlite3_int64)r->id);
			sqlite3_step(l->ins_frame);
			sqlite3_reset(l->ins_frame);
		}
		return 0;
	case CZT_REC_IMAGE:
		if (l->image_flags && (r->value & CZT_IMAGE_ATTACHED))
			l->attached = 1;
		return name_image(l, r->str, r->str_len, r->cmdline, r->cmdline_len);
	case CZT_REC_MODULE_LOAD: case CZT_REC_MODULE_UNLOAD:
		/* a trace before 3.2: its main program is the image's first module */
		if (r->type == CZT_REC_MODULE_LOAD && l->image_unnamed &&
		    name_image(l, r->str, r->str_len, r->str, r->str_len))
			return -1;
		put_module(l, r, img);
		return 0;
	case CZT_REC_PROCESS_END:
		if (r->how == CZT_END_EXEC) {
			l->image_unnamed = 1;
			return load_cz_record(l->cz, r);
		}
		l->end_how = (int)r->how;
		l->end_value = r->value;
		if (!l->in_footer)
			l->recorder_end = 1;
		return 0;
	case CZT_REC_LOST:
		l->lost += r->value;
		if (r->why) {
			l->lost_why = r->why;
			l->lost_err = r->err;
		}
		return 0;
	default:
		/* events: the engine takes them (load_cz_ended writes the
		 * allocator library's blocks) */
		return 0;
	}
}

int load_defs_prepare(struct loader *l)
{
	return sqlite3_prepare_v2(l->db, "INSERT OR REPLACE INTO stack_nodes VALUES(?,?,?,NULL)", -1,
				  &l->ins_node, NULL) ||
	       sqlite3_prepare_v2(l->db, "INSERT OR REPLACE INTO frames VALUES(?,?,?,?,?,?)", -1,
				  &l->ins_frame, NULL) ||
	       sqlite3_prepare_v2(l->db, "INSERT OR REPLACE INTO modules VALUES(?,?,?,?,?,?,?,NULL)", -1,
				  &l->ins_module, NULL) ||
	       sqlite3_prepare_v2(l->db, "UPDATE modules SET unload_time = ? WHERE id = ?", -1,
				  &l->unload_module, NULL);
}

void load_defs_release(struct loader *l)
{
	sqlite3_finalize(l->ins_node);
	sqlite3_finalize(l->ins_frame);
	sqlite3_finalize(l->ins_module);
	sqlite3_finalize(l->unload_module);
	for (size_t i = 0; i < l->cap_strs; i++)
		free(l->strs[i]);
	free(l->strs);
	free(l->image_exe);
	free(l->image_cmdline);
}
