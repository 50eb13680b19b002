/*
 * sarif.h - `czprof leaks --format sarif`: each leaking call site as
 * a SARIF 2.1.0 result (rule czprof/leak) located at the site's file and
 * line, with its stack, for code-scanning views in CI.
 */
#ifndef CZPROF_CLI_RENDER_SARIF_H
#define CZPROF_CLI_RENDER_SARIF_H

#include <stdint.h>
#include <stdio.h>

#include "cli/report.h"

struct sarif_leak {
	uint64_t stack;          /* the site's biggest stack */
	uint64_t bytes, blocks;  /* the whole site */
	int n_stacks;
};

void sarif_leaks(FILE *out, struct report_ctx *c, const char *trace, const struct sarif_leak *v,
		 size_t n, int depth);

#endif
