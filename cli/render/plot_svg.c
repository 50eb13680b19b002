/*
 * plot_svg.c - see plot_svg.h.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/render/plot_svg.h"
#include "cli/render/svg.h"

#define W 1000
#define LEFT 80
#define RIGHT 20
#define TOP 50
#define PLOT_H 360      /* the chart area */
#define AXIS_ROOM 50    /* tick labels and the axis title under the chart */
#define LEGEND_ROW 16

/* One colour per series (PLOT_MAX_SERIES of them), neighbours far apart; "other"
 * is grey. */
static const char *const palette[PLOT_MAX_SERIES] = {
	"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
	"#9c755f", "#2f4b7c", "#bcbd22", "#17becf", "#8c564b", "#d4a6c8", "#86bcb6", "#f1ce63",
};
#define OTHER_COLOUR "#bab0ac"

struct chart {
	FILE *f;
	uint64_t duration;
	double ymax, ystep, unit, xstep;
	const char *uname;
	int height;
};

static double cx(const struct chart *ch, double t)
{
	return LEFT + t / (double)ch->duration * (W - LEFT - RIGHT);
}

static double cy(const struct chart *ch, double v)
{
	return TOP + PLOT_H - v / ch->ymax * PLOT_H;
}

/* The time at the end of slice k. */
static double col_time(const struct chart *ch, int k)
{
	return (double)k / (PLOT_COLS - 1) * (double)ch->duration;
}

static void draw_frame(const struct chart *ch, const char *title)
{
	FILE *f = ch->f;
	char lab[32], cut[256];
	svg_begin(f, W, ch->height,
		  "text { font-family: Verdana, sans-serif; font-size: 12px; fill: #222; }"
		  " .axis { stroke: #444; } .grid { stroke: #ddd; } #title { font-size: 16px; }",
		  "#fff");
	fprintf(f, "<text id=\"title\" x=\"%d\" y=\"24\" text-anchor=\"middle\">live heap - ", W / 2);
	svg_escape(f, svg_fit(cut, sizeof(cut), title, (W - 2 * RIGHT) * 12.0 / 16.0 - 80));
	fputs("</text>\n", f);
	for (double v = 0; v <= ch->ymax * (1 + 1e-9); v += ch->ystep)
		fprintf(f, "<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>"
			   "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
			LEFT, cy(ch, v), W - RIGHT, cy(ch, v), LEFT - 6, cy(ch, v) + 4, svg_bytes_label(v, lab));
	for (double t = 0; t <= (double)ch->duration * (1 + 1e-9); t += ch->xstep)
		fprintf(f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>"
			   "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
			cx(ch, t), TOP, cx(ch, t), TOP + PLOT_H, cx(ch, t), TOP + PLOT_H + 18,
			svg_time_label(t, ch->unit, ch->uname, lab));
	fprintf(f, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>"
		   "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n"
		   "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">time (%s)</text>\n"
		   "<text x=\"16\" y=\"%d\" text-anchor=\"middle\" transform=\"rotate(-90 16 %d)\">live bytes</text>\n",
		LEFT, TOP + PLOT_H, W - RIGHT, TOP + PLOT_H, LEFT, TOP, LEFT, TOP + PLOT_H,
		LEFT + (W - LEFT - RIGHT) / 2, TOP + PLOT_H + 38, ch->uname, TOP + PLOT_H / 2, TOP + PLOT_H / 2);
}

/* The total as a filled area (alone) or as a line over the stacked areas. */
static void draw_total(const struct chart *ch, const double *total, int filled)
{
	FILE *f = ch->f;
	if (filled)
		fprintf(f, "<path fill=\"#4e79a7\" fill-opacity=\"0.35\" stroke=\"#4e79a7\" stroke-width=\"1.5\" "
			   "d=\"M%.1f %.1f", cx(ch, 0), cy(ch, 0));
	else
		fprintf(f, "<path fill=\"none\" stroke=\"#222\" stroke-width=\"1\" d=\"M%.1f %.1f", cx(ch, 0),
			cy(ch, total[0]));
	for (int k = 0; k < PLOT_COLS; k++)
		fprintf(f, " L%.1f %.1f", cx(ch, col_time(ch, k)), cy(ch, total[k]));
	if (filled)
		fprintf(f, " L%.1f %.1f Z", cx(ch, (double)ch->duration), cy(ch, 0));
	fputs("\"><title>all live bytes</title></path>\n", f);
}

/* A series' figure for its hover and legend text: "- 1.5 KiB at the peak". */
static void series_figure(const struct plot_series *s, int own_peak, char *buf)
{
	char size[32];
	svg_bytes_label((double)s->at_peak, size);
	snprintf(buf, 64, own_peak ? "- peak %s" : "- %s at the peak", size);
}

static void draw_stacked(const struct chart *ch, const struct plot_series *s, int ns, int own_peak)
{
	FILE *f = ch->f;
	static double base[PLOT_COLS];
	memset(base, 0, sizeof(base));
	for (int i = 0, shown = 0; i < ns; i++) {
		double most = 0;
		for (int k = 0; k < PLOT_COLS; k++)
			most = s[i].level[k] > most ? s[i].level[k] : most;
		if (i == ns - 1 && most == 0 && s[i].at_peak == 0)
			break; /* an empty "other" */
		const char *col = i == ns - 1 ? OTHER_COLOUR : palette[i % PLOT_MAX_SERIES];
		fprintf(f, "<path fill=\"%s\" fill-opacity=\"0.8\" stroke=\"%s\" d=\"M%.1f %.1f", col, col, cx(ch, 0),
			cy(ch, base[0] + s[i].level[0]));
		for (int k = 1; k < PLOT_COLS; k++)
			fprintf(f, " L%.1f %.1f", cx(ch, col_time(ch, k)), cy(ch, base[k] + s[i].level[k]));
		for (int k = PLOT_COLS - 1; k >= 0; k--)
			fprintf(f, " L%.1f %.1f", cx(ch, col_time(ch, k)), cy(ch, base[k]));
		char fig[64], cut[REPORT_NAME_MAX];
		series_figure(&s[i], own_peak, fig);
		fputs(" Z\"><title>", f);
		svg_escape(f, s[i].name);
		fputc(' ', f);
		svg_escape(f, fig);
		fputs("</title></path>\n", f);
		for (int k = 0; k < PLOT_COLS; k++)
			base[k] += s[i].level[k];
		/* its legend entry: two columns under the axis title */
		double colw = (W - LEFT - RIGHT) / 2.0;
		double lx = LEFT + (shown % 2) * colw, ly = TOP + PLOT_H + AXIS_ROOM + 16 + (shown / 2) * LEGEND_ROW;
		fprintf(f, "<rect x=\"%.0f\" y=\"%.0f\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"%.0f\" y=\"%.0f\">",
			lx, ly - 9, col, lx + 14, ly);
		svg_escape(f, svg_fit(cut, sizeof(cut), s[i].name, colw - 24 - SVG_CHAR_W * (double)(strlen(fig) + 1)));
		fputs(" <tspan>", f); /* the name is the text's own, the figure a part of it */
		svg_escape(f, fig);
		fputs("</tspan></text>\n", f);
		shown++;
	}
}

static void draw_peak(const struct chart *ch, uint64_t peak, uint64_t peak_time)
{
	char pk[32], pt[32];
	svg_bytes_label((double)peak, pk);
	svg_time_label((double)peak_time, ch->unit, ch->uname, pt);
	double px = cx(ch, (double)peak_time), py = cy(ch, (double)peak);
	int right = px > LEFT + (W - LEFT - RIGHT) * 0.7; /* label on the side with room */
	fprintf(ch->f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%d\" stroke=\"#d62728\" stroke-dasharray=\"3 3\"/>"
		       "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"#d62728\"/>"
		       "<text id=\"peak\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" style=\"font-weight: bold\">"
		       "peak %s at %s</text>\n",
		px, py, px, TOP + PLOT_H, px, py, right ? px - 8 : px + 8, py - 8 < TOP + 12 ? TOP + 12 : py - 8,
		right ? "end" : "start", pk, pt);
}

void plot_svg_write(FILE *f, const struct plot *p)
{
	struct chart ch = { .f = f, .duration = p->duration ? p->duration : 1 };
	const struct plot_series *s = p->series;
	int ns = p->n_series;
	/* the scales: the bytes axis holds the peak and the stacked areas */
	double top = (double)p->peak;
	for (int k = 0; k < PLOT_COLS && ns; k++) {
		double sum = 0;
		for (int i = 0; i < ns; i++)
			sum += s[i].level[k];
		top = sum > top ? sum : top;
	}
	ch.ymax = top > 0 ? top * 1.08 : 1024;
	ch.ystep = svg_nice_step(ch.ymax, 5, 1024);
	ch.ymax = ceil(ch.ymax / ch.ystep) * ch.ystep;
	ch.unit = svg_time_unit(ch.duration, &ch.uname);
	ch.xstep = svg_nice_step((double)ch.duration / ch.unit, 8, 10) * ch.unit;
	int legend_rows = (ns + 1) / 2;
	ch.height = TOP + PLOT_H + AXIS_ROOM + (ns ? 12 + legend_rows * LEGEND_ROW : 0) + 10;

	draw_frame(&ch, p->title);
	if (ns) {
		draw_stacked(&ch, s, ns, p->own_peaks);
		draw_total(&ch, p->total, 0);
	} else {
		draw_total(&ch, p->total, 1);
	}
	draw_peak(&ch, p->peak, p->peak_time);
	svg_end(f);
}
