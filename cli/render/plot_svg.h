/*
 * plot_svg.h - the chart `czprof plot` draws: live heap bytes over the
 * run as one SVG picture, the total as a filled area (or as a line over
 * stacked series), the peak marked, a legend under the axes.  The figures
 * come from the caller (cli/cmd_plot.c); this only draws them.
 */
#ifndef CZPROF_CLI_RENDER_PLOT_SVG_H
#define CZPROF_CLI_RENDER_PLOT_SVG_H

#include <stdint.h>
#include <stdio.h>

#include "cli/report.h"

#define PLOT_COLS 600       /* the run is cut into this many equal slices */
#define PLOT_MAX_SERIES 16  /* one colour each; beyond, the rest is "other" */

/* One stacked area. */
struct plot_series {
	char name[REPORT_NAME_MAX];
	uint64_t at_peak;         /* bytes live at the total's peak, or its own peak (plot.own_peaks) */
	double level[PLOT_COLS];  /* live bytes at the end of each slice */
};

/* What to draw; nothing here is owned by the plot. */
struct plot {
	const char *title;        /* after "live heap - ": the run's command line */
	uint64_t duration;        /* ns; 0 is taken as 1 */
	uint64_t peak, peak_time; /* the total's peak, bytes and ns from the start */
	const double *total;      /* PLOT_COLS values: the highest live bytes of each slice */
	const struct plot_series *series; /* n_series areas, bottom first, the last one
					   * "other" (grey); none: the total filled */
	int n_series;             /* at most PLOT_MAX_SERIES + 1 */
	int own_peaks;            /* the series' figures are their own peaks (allocators) */
};

/* Writes the whole SVG document to f. */
void plot_svg_write(FILE *f, const struct plot *p);

#endif
