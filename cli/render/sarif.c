/*
 * sarif.c - see sarif.h.
 */
#include <string.h>

#include "cli/render/sarif.h"
#include "cli/util.h"

#define MAX_FRAMES 64

/* A path as a URI reference (SARIF's artifactLocation.uri): the bytes a
 * URI may not hold as they are (space, '%', '#', '?', '\\', controls,
 * non-ASCII) percent-encoded.  Absolute paths become file:// URIs. */
static void uri(FILE *out, const char *path)
{
	char buf[3 * REPORT_NAME_MAX + 8];
	size_t n = 0;
	if (path[0] == '/')
		n = (size_t)snprintf(buf, sizeof(buf), "file://");
	for (const unsigned char *p = (const unsigned char *)path; *p && n + 4 < sizeof(buf); p++) {
		if (*p <= 0x20 || *p >= 0x7f || strchr("%#?\\\"<>[]^`{|}", *p))
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%%%02X", *p);
		else
			buf[n++] = (char)*p;
	}
	buf[n] = 0;
	report_json_string(out, buf);
}

static void location(FILE *out, const struct report_frame *f)
{
	fputs("{\"physicalLocation\": {\"artifactLocation\": {\"uri\": ", out);
	uri(out, f->file[0] ? f->file : f->module[0] ? f->module : "unknown");
	fputc('}', out);
	long line = report_frame_line(f);
	if (line > 0)
		fprintf(out, ", \"region\": {\"startLine\": %ld}", line);
	fputs("}, \"logicalLocations\": [{\"fullyQualifiedName\": ", out);
	report_json_string(out, f->function[0] ? f->function : f->name);
	fputs(", \"kind\": \"function\"}]}", out);
}

void sarif_leaks(FILE *out, struct report_ctx *c, const char *trace, const struct sarif_leak *v,
		 size_t n, int depth)
{
	fputs("{\"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\", \"version\": \"2.1.0\", "
	      "\"runs\": [{\"tool\": {\"driver\": {\"name\": \"czprof\", \"version\": \"" CZPROF_VERSION "\", "
	      "\"rules\": [{\"id\": \"czprof/leak\", \"name\": \"MemoryLeak\", "
	      "\"shortDescription\": {\"text\": \"Memory allocated here was never freed\"}, "
	      "\"fullDescription\": {\"text\": \"Blocks allocated at this call site were still allocated when "
	      "the program ended (czprof leaks).\"}, \"defaultConfiguration\": {\"level\": \"warning\"}}]}}, "
	      "\"artifacts\": [{\"location\": {\"uri\": ", out);
	uri(out, trace);
	fputs("}, \"description\": {\"text\": \"the czprof trace\"}}], \"results\": [", out);
	struct report_frame fr[MAX_FRAMES];
	for (size_t i = 0; i < n; i++) {
		int nf = report_stack(c, v[i].stack, fr, MAX_FRAMES);
		int site = report_site_index(fr, nf);
		char size[32];
		fprintf(out, "%s{\"ruleId\": \"czprof/leak\", \"ruleIndex\": 0, \"level\": \"warning\", "
			     "\"message\": {\"text\": \"%s in %llu block%s allocated here %s never freed (%d stack%s)\"}, "
			     "\"locations\": [",
			i ? ", " : "", cli_human_size(v[i].bytes, size), (unsigned long long)v[i].blocks,
			v[i].blocks == 1 ? "" : "s", v[i].blocks == 1 ? "was" : "were", v[i].n_stacks,
			v[i].n_stacks == 1 ? "" : "s");
		if (nf)
			location(out, &fr[site]);
		fputs("], \"partialFingerprints\": {\"czprofLeakSite/v1\": ", out);
		char fp[REPORT_NAME_MAX * 2];
		snprintf(fp, sizeof(fp), "%s:%s", nf ? fr[site].function : "", nf ? fr[site].file : "");
		report_json_string(out, fp);
		fprintf(out, "}, \"properties\": {\"bytes\": %llu, \"blocks\": %llu}, \"stacks\": [{\"message\": "
			     "{\"text\": \"allocation stack\"}, \"frames\": [",
			(unsigned long long)v[i].bytes, (unsigned long long)v[i].blocks);
		for (int k = site, shown = 0; k < nf && shown < depth; k++, shown++) {
			fputs(shown ? ", {\"location\": " : "{\"location\": ", out);
			location(out, &fr[k]);
			fputc('}', out);
		}
		fputs("]}]}", out);
	}
	fputs("]}]}\n", out);
}
