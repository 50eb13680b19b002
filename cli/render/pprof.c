/*
 * pprof.c - see pprof.h.  The profile.proto messages used:
 *   Profile  1 sample_type  2 sample  4 location  5 function  6 string_table
 *            9 time_nanos  10 duration_nanos  14 default_sample_type
 *   ValueType 1 type  2 unit          (string table indexes)
 *   Sample   1 location_id (leaf first)  2 value
 *   Location 1 id  4 line            Line 1 function_id  2 line
 *   Function 1 id  2 name  3 system_name  4 filename
 * A location stands for one frame as the reports name it (function, file,
 * line), so inlined frames are locations of their own.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/render/gzip.h"
#include "cli/render/pprof.h"
#include "cli/render/protobuf.h"
#include "cli/report.h"
#include "lib/base/strmap.h"
#include "cli/util.h"

#define MAX_FRAMES 128

int export_pprof(sqlite3 *db, FILE *out)
{
	struct pb prof = { 0 }, msg = { 0 }, sub = { 0 };
	struct strmap strings = { 0 }, functions = { 0 }, locations = { 0 };
	struct report_ctx *c = report_ctx_new(db);
	struct report_frame *fr = calloc(MAX_FRAMES, sizeof(*fr));
	uint64_t *loc = calloc(MAX_FRAMES, sizeof(*loc));
	sqlite3_stmt *q = NULL;
	int rc = -1;
	if (!c || !fr || !loc)
		goto out;
	strmap_intern(&strings, ""); /* index 0 must be the empty string */
	static const char *const types[][2] = { { "alloc_objects", "count" }, { "alloc_space", "bytes" },
						{ "inuse_objects", "count" }, { "inuse_space", "bytes" } };
	for (int i = 0; i < 4; i++) {
		pb_reset(&msg);
		pb_int(&msg, 1, strmap_intern(&strings, types[i][0]));
		pb_int(&msg, 2, strmap_intern(&strings, types[i][1]));
		pb_msg(&prof, 1, &msg);
	}
	if (sqlite3_prepare_v2(db, "SELECT stack, allocations, bytes, leaked, leaked_bytes FROM stack_totals"
				   " WHERE allocations > 0 ORDER BY stack", -1, &q, NULL)) {
		cli_error("database: %s", sqlite3_errmsg(db));
		goto out;
	}
	size_t known_locations = 0, known_functions = 0;
	struct pb defs = { 0 }; /* Location and Function messages, written once each */
	while (sqlite3_step(q) == SQLITE_ROW) {
		int n = report_stack(c, (uint64_t)sqlite3_column_int64(q, 0), fr, MAX_FRAMES);
		int first = report_site_index(fr, n);
		int k = 0;
		for (int i = first; i < n; i++) {
			long id = strmap_intern(&locations, fr[i].name);
			if (id < 0)
				goto out;
			loc[k++] = (uint64_t)id + 1;
			if ((size_t)id < known_locations)
				continue;
			known_locations++;
			/* a new location, and maybe a new function */
			char fkey[REPORT_NAME_MAX * 2];
			const char *fname = fr[i].function[0] ? fr[i].function : fr[i].name;
			const char *file = fr[i].file[0] ? fr[i].file : fr[i].module;
			snprintf(fkey, sizeof(fkey), "%s\n%s", fname, file);
			long fid = strmap_intern(&functions, fkey);
			if (fid < 0)
				goto out;
			if ((size_t)fid == known_functions) {
				known_functions++;
				pb_reset(&msg);
				pb_uint(&msg, 1, (uint64_t)fid + 1);
				pb_int(&msg, 2, strmap_intern(&strings, fname));
				pb_int(&msg, 3, strmap_intern(&strings, fname));
				pb_int(&msg, 4, strmap_intern(&strings, file));
				pb_msg(&defs, 5, &msg);
			}
			pb_reset(&sub);
			pb_uint(&sub, 1, (uint64_t)fid + 1);
			pb_int(&sub, 2, report_frame_line(&fr[i]));
			pb_reset(&msg);
			pb_uint(&msg, 1, (uint64_t)id + 1);
			pb_msg(&msg, 4, &sub);
			pb_msg(&defs, 4, &msg);
		}
		pb_reset(&msg);
		for (int i = 0; i < k; i++) /* leaf first, unpacked: every reader takes both */
			pb_uint(&msg, 1, loc[i]);
		for (int v = 1; v <= 4; v++)
			pb_int(&msg, 2, sqlite3_column_int64(q, v));
		pb_msg(&prof, 2, &msg);
	}
	pb_append(&prof, &defs); /* fields may come in any order */
	pb_free(&defs);
	pb_int(&prof, 9, report_meta_int(db, "start_realtime_ns"));
	pb_int(&prof, 10, report_meta_int(db, "duration_ns"));
	pb_int(&prof, 14, strmap_intern(&strings, "inuse_space"));
	for (size_t i = 0; i < strings.n; i++)
		pb_string(&prof, 6, strings.str[i]);
	if (prof.oom || msg.oom || sub.oom) {
		cli_error("out of memory");
		goto out;
	}
	rc = gzip_write(out, prof.p, prof.n) ? cli_error("cannot compress or write the profile") : 0;
out:
	if (rc && (!c || !fr || !loc))
		cli_error("out of memory");
	sqlite3_finalize(q);
	report_ctx_free(c);
	free(fr);
	free(loc);
	pb_free(&prof);
	pb_free(&msg);
	pb_free(&sub);
	strmap_free(&strings);
	strmap_free(&functions);
	strmap_free(&locations);
	return rc;
}
