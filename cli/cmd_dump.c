/*
 * cmd_dump.c - `czprof dump`: every record of a trace, one line each, then
 * a summary.  The debugging tool for the format; tests read its summary.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/read_ahead.h"
#include "cli/util.h"
#include "format/czt.h"
#include "format/czt_layout.h"
#include "format/czt_scan.h"
#include "format/printable.h"

static const char usage[] =
	"usage: czprof dump [--summary] TRACE\n\n"
	"Lists every record of a trace, one per line:\n"
	"  OFFSET CHUNK-TYPE tid=TID t=TIME TYPE FIELDS...\n"
	"then a summary (with --summary, only the summary):\n"
	"  chunks N / bytes N / events N / stack-nodes N / bytes/event X\n"
	"  zstd-chunks N (chunks stored compressed) / raw-bytes N (the trace's size\n"
	"  with every chunk stored uncompressed) / raw-bytes/event X\n"
	"  records:  then '  NAME COUNT' for each record type present.\n"
	"A damaged or cut trace is listed up to its last whole chunk, with a warning.\n";

static const char *chunk_name(unsigned t)
{
	switch (t) {
	case CZT_CHUNK_EVENTS: return "events";
	case CZT_CHUNK_META: return "meta";
	case CZT_CHUNK_SYMBOLS: return "symbols";
	case CZT_CHUNK_FOOTER: return "footer";
	}
	return "unknown";
}

/* An event's fields, as its layout's `show` letters say (czt_layout.h). */
static void print_fields(const struct czt_record *r)
{
	const char *show = r->type < 256 ? czt_layouts[r->type].show : NULL;
	for (int if_set = 0; show && *show; show++) {
		if (*show == '?') {
			if_set = 1;
			continue;
		}
		const struct czt_field *f = &czt_fields[(unsigned char)*show];
		uint64_t v;
		memcpy(&v, (const char *)r + f->offset, sizeof(v));
		if (if_set && !v)
			continue;
		if_set = 0;
		switch (f->style) {
		case CZT_SHOW_NAMED: printf(" %s=%" PRIu64, f->name, v); break;
		case CZT_SHOW_HEX: printf(" 0x%" PRIx64, v); break;
		case CZT_SHOW_FROM: printf(" 0x%" PRIx64 " ->", v); break;
		default: printf(" %" PRIu64, v);
		}
	}
}

static void print_record(const struct czt_chunk *c, const struct czt_record *r)
{
	const char *name = czt_rec_name(r->type);
	printf("%8" PRIu64 " %-7s ", c->offset, chunk_name(c->type));
	if (c->type == CZT_CHUNK_EVENTS)
		printf("tid=%" PRIu64 " t=%" PRIu64 " ", r->tid, r->time);
	printf("%s", name ? name : "?");
	switch (r->type) {
	case CZT_REC_STACK_NODE:
		printf(" id=%" PRIu64 " parent=%" PRIu64 " ip=0x%" PRIx64, r->id, r->parent, r->ip);
		break;
	case CZT_REC_STRING: {
		char *text = czt_printable_dup(r->str, r->str_len, CZT_PRINT_ESCAPE);
		printf(" id=%" PRIu64 " \"%s\"", r->id, text ? text : "?");
		free(text);
		break;
	}
	case CZT_REC_MODULE_LOAD: {
		char *path = czt_printable_dup(r->str, r->str_len, CZT_PRINT_ESCAPE);
		printf(" t=%" PRIu64 " id=%" PRIu64 " bias=0x%" PRIx64 " [0x%" PRIx64 ",0x%" PRIx64 ") %s",
		       r->time, r->id, r->bias, r->start, r->end, path ? path : "?");
		free(path);
		printf(" build-id=");
		for (size_t i = 0; i < r->build_id_len; i++)
			printf("%02x", r->build_id[i]);
		break;
	}
	case CZT_REC_MODULE_UNLOAD:
		printf(" t=%" PRIu64 " id=%" PRIu64, r->time, r->id);
		break;
	case CZT_REC_THREAD_START: case CZT_REC_THREAD_END:
		printf(" t=%" PRIu64 " tid=%" PRIu64, r->time, r->tid);
		break;
	case CZT_REC_FRAME:
		printf(" ip=0x%" PRIx64 " module=%" PRIu64, r->ip, r->id);
		for (unsigned i = 0; i < r->nframes; i++)
			printf(" [fn=%" PRIu64 " file=%" PRIu64 " line=%" PRIu64 "]", r->frames[i].function,
			       r->frames[i].file, r->frames[i].line);
		break;
	case CZT_REC_PROCESS_END:
		printf(" t=%" PRIu64 " how=%s value=%" PRIu64, r->time,
		       r->how == CZT_END_EXIT ? "exit" : r->how == CZT_END_SIGNAL ? "signal" :
		       r->how == CZT_END_EXEC ? "exec" : r->how == CZT_END_DETACH ? "detach" : "?", r->value);
		break;
	case CZT_REC_SUMMARY:
		printf(" events=%" PRIu64 " stack-nodes=%" PRIu64 " end=%" PRIu64, r->n_events,
		       r->n_stack_nodes, r->end_time);
		break;
	case CZT_REC_LOST:
		printf(" t=%" PRIu64 " count=%" PRIu64 " why=%" PRIu64 " err=%" PRIu64, r->time, r->value,
		       r->why, r->err);
		break;
	case CZT_REC_CHUNK_EVENTS:
		printf(" events=%" PRIu64 " end=%" PRIu64, r->n_events, r->end_time);
		break;
	case CZT_REC_SCAN_REGION:
		printf(" 0x%" PRIx64 "-0x%" PRIx64 " %s", r->start, r->end, r->how ? "allocator" : "root");
		break;
	case CZT_REC_SCAN_WORDS: case CZT_REC_SCAN_CONTEXT: case CZT_REC_SCAN_VTABLES: {
		struct czt_scan_reader sr;
		czt_scan_reader_init(&sr, r->type, r->str, r->str_len);
		uint64_t where, value, n = 0;
		while (czt_scan_next(&sr, &where, &value) == CZT_OK)
			n++;
		printf(" entries=%" PRIu64 " bytes=%zu", n, r->str_len);
		break;
	}
	case CZT_REC_SCAN_END:
		printf(" t=%" PRIu64 " words=%" PRIu64 " bytes=%" PRIu64 " ns=%" PRIu64, r->time, r->n_events,
		       r->value, r->end_time);
		break;
	case CZT_REC_IMAGE: {
		char *exe = czt_printable_dup(r->str, r->str_len, CZT_PRINT_ESCAPE);
		char *cmd = czt_printable_dup(r->cmdline, r->cmdline_len, CZT_PRINT_SPACE);
		printf(" t=%" PRIu64 " exe=%s cmdline=\"%s\" flags=%" PRIu64 " early=%" PRIu64, r->time,
		       exe ? exe : "?", cmd ? cmd : "?", r->value, r->n_events);
		free(exe);
		free(cmd);
		break;
	}
	case CZT_REC_EARLY_BLOCK:
		printf(" 0x%" PRIx64 " %" PRIu64, r->addr, r->size);
		break;
	default: /* the events: as the layout table says */
		print_fields(r);
	}
	if (r->op) /* from a call record: which C++ operator */
		printf(" op=%" PRIu64, r->op);
	putchar('\n');
}

int cmd_dump(int argc, char **argv)
{
	int summary_only = 0;
	const char *path = NULL;
	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			fputs(usage, stdout);
			return 0;
		} else if (!strcmp(argv[i], "--summary")) {
			summary_only = 1;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			cli_error("dump: unknown option '%s'", argv[i]);
			return 2;
		} else if (!path) {
			path = argv[i];
		} else {
			cli_error("dump: one trace at a time");
			return 2;
		}
	}
	if (!path) {
		fputs(usage, stderr);
		return 2;
	}
	struct czt_reader *r;
	int rc = czt_reader_open(&r, path);
	if (rc) {
		cli_error("'%s': %s", path, rc == CZT_ERR_IO ? strerror(errno) : czt_errstr(rc));
		return 1;
	}
	cli_read_ahead(r);
	uint64_t counts[256] = { 0 }, chunks = 0, events = 0, zstd_chunks = 0, column_chunks = 0;
	uint64_t raw_bytes = czt_reader_offset(r); /* the file header */
	struct czt_chunk c;
	struct czt_record rec;
	int bad = 0;
	while ((rc = czt_reader_next_chunk(r, &c)) == CZT_OK) {
		chunks++;
		zstd_chunks += (c.flags & CZT_CHUNK_ZSTD) != 0;
		column_chunks += (c.flags & CZT_CHUNK_COLUMNS) != 0;
		raw_bytes += CZT_CHUNK_HEADER_LEN + (uint64_t)c.raw_len;
		while ((rc = czt_reader_next_record(r, &rec)) == CZT_OK) {
			counts[rec.type]++;
			events += czt_rec_is_event(rec.type);
			if (!summary_only)
				print_record(&c, &rec);
		}
		if (rc != CZT_EOF) {
			cli_warning("malformed record in chunk at byte %" PRIu64 ": %s", c.offset,
				   czt_errstr(rc));
			bad = 1;
		}
	}
	uint64_t size = czt_reader_size(r);
	printf("chunks %" PRIu64 "\nbytes %" PRIu64 "\nevents %" PRIu64 "\nstack-nodes %" PRIu64 "\n",
	       chunks, size, events, counts[CZT_REC_STACK_NODE]);
	printf("bytes/event %.2f\n", events ? (double)size / (double)events : 0.0);
	printf("zstd-chunks %" PRIu64 "\ncolumn-chunks %" PRIu64 "\nraw-bytes %" PRIu64
	       "\nraw-bytes/event %.2f\nrecords:\n",
	       zstd_chunks, column_chunks, raw_bytes, events ? (double)raw_bytes / (double)events : 0.0);
	for (unsigned t = 0; t < 256; t++)
		if (counts[t])
			printf("  %s %" PRIu64 "\n", czt_rec_name(t) ? czt_rec_name(t) : "?", counts[t]);
	if (rc != CZT_EOF)
		cli_warning("trace cut at byte %" PRIu64 " (%s); %" PRIu64 " chunks read",
			   czt_reader_offset(r), czt_errstr(rc), chunks);
	czt_reader_free(r);
	(void)bad;
	return 0;
}
