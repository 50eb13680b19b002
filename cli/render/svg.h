/*
 * svg.h - what the SVG pictures (flame graphs, plots) share: the document
 * frame, escaping, labels cut to a width, and the steps and labels of
 * chart axes in the units people read (B/KiB/MiB/GiB, ns/us/ms/s).
 *
 * Everything writes to a caller's stream or fills a caller's buffer;
 * nothing here allocates.  Text is measured with an average character
 * width, which is what a picture without scripts can do: labels are cut
 * a little short rather than let them spill over their neighbours.
 */
#ifndef CZPROF_CLI_RENDER_SVG_H
#define CZPROF_CLI_RENDER_SVG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Average width of a 12 px Verdana/DejaVu Sans character, in pixels. */
#define SVG_CHAR_W 6.6

/* Opens a w x h document: the XML declaration, <svg> with its namespace,
 * the given CSS (may be NULL) in a <style>, and a background rect of the
 * colour bg (e.g. "#fff"). */
void svg_begin(FILE *out, int w, int h, const char *css, const char *bg);

/* Closes the document opened by svg_begin. */
void svg_end(FILE *out);

/* Writes s with XML's special characters escaped and control characters
 * (which XML 1.0 forbids) dropped. */
void svg_escape(FILE *out, const char *s);

/*
 * The part of s that fits in px pixels of 12 px text into buf (cap bytes,
 * cap > 0): s whole when it fits, else its start followed by "..", else ""
 * when not even three characters fit.  A UTF-8 sequence is never cut in
 * two.  Returns buf.
 */
char *svg_fit(char *buf, size_t cap, const char *s, double px);

/*
 * An axis step giving about n ticks over [0, max]: 1, 2 or 5 times a power
 * of ten, or, with base 1024, a power of 1024 times 1, 2, 5, 10, 20, 50,
 * 100, 200 or 500 (so byte axes tick at round KiB/MiB).  max > 0, n > 0.
 */
double svg_nice_step(double max, int n, int base);

/* "0 B", "512 B", "1.5 KiB", "4 MiB" (no decimals when whole) into buf
 * (at least 32 bytes).  Returns buf. */
char *svg_bytes_label(double bytes, char *buf);

/* The unit a time axis over duration_ns reads best in: its size in ns
 * (1, 1e3, 1e6 or 1e9) and name ("ns", "us", "ms", "s"). */
double svg_time_unit(uint64_t duration_ns, const char **name);

/* ns in that unit: "250 ms", "1.5 s" into buf (at least 32 bytes).
 * Returns buf. */
char *svg_time_label(double ns, double unit, const char *name, char *buf);

#endif
