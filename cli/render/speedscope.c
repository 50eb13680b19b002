/*
 * speedscope.c - see speedscope.h.  One "sampled" profile per figure,
 * each stack a sample weighted by its value, frames shared.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/render/fold.h"
#include "cli/render/speedscope.h"
#include "cli/report.h"
#include "lib/base/strmap.h"
#include "cli/util.h"
#include "cli/tracedb.h"

int export_speedscope(sqlite3 *db, FILE *out)
{
	static const int metrics[] = { FOLD_LEAKED, FOLD_PEAK, FOLD_ALLOCATED, FOLD_COUNT };
	static const char *const titles[] = { "leaked bytes", "bytes live at the peak", "allocated bytes",
					      "allocation calls" };
	struct fold folds[4];
	struct strmap fr = { 0 };
	int rc = 0, made = 0;
	for (; made < 4 && !rc; made++)
		rc = fold_collect(db, metrics[made], &folds[made]);
	if (rc)
		made--;
	/* frames first: every name of every fold */
	for (int m = 0; m < made && !rc; m++)
		for (size_t i = 0; i < folds[m].n && !rc; i++)
			for (int k = 0; k < folds[m].v[i].n && !rc; k++)
				if (strmap_intern(&fr, folds[m].v[i].frames[k]) < 0)
					rc = cli_error("out of memory");
	if (!rc) {
		fputs("{\"$schema\": \"https://www.speedscope.app/file-format-schema.json\", "
		      "\"exporter\": \"czprof " CZPROF_VERSION "\", \"name\": ", out);
		char *cmd = tracedb_meta_text(db, "cmdline");
		report_json_string(out, cmd ? cmd : "czprof");
		free(cmd);
		fputs(", \"activeProfileIndex\": 0, \"shared\": {\"frames\": [", out);
		for (size_t i = 0; i < fr.n; i++) {
			fputs(i ? ", {\"name\": " : "{\"name\": ", out);
			report_json_string(out, fr.str[i]);
			fputc('}', out);
		}
		fputs("]}, \"profiles\": [", out);
		for (int m = 0; m < made; m++) {
			fprintf(out, "%s{\"type\": \"sampled\", \"name\": \"%s\", \"unit\": \"%s\", \"startValue\": 0, "
				     "\"endValue\": %llu, \"samples\": [",
				m ? ", " : "", titles[m], fold_metric_is_bytes(metrics[m]) ? "bytes" : "none",
				(unsigned long long)folds[m].total);
			for (size_t i = 0; i < folds[m].n; i++) {
				fputs(i ? ", [" : "[", out);
				for (int k = 0; k < folds[m].v[i].n; k++)
					fprintf(out, "%s%ld", k ? ", " : "", strmap_intern(&fr, folds[m].v[i].frames[k]));
				fputc(']', out);
			}
			fputs("], \"weights\": [", out);
			for (size_t i = 0; i < folds[m].n; i++)
				fprintf(out, "%s%llu", i ? ", " : "", (unsigned long long)folds[m].v[i].value);
			fputs("]}", out);
		}
		fputs("]}\n", out);
	}
	for (int m = 0; m < made; m++)
		fold_free(&folds[m]);
	strmap_free(&fr);
	return rc;
}
