/*
 * flame_svg.h - an interactive flame graph as one self-contained SVG file:
 * stacks merged into a tree drawn root at the bottom, each frame as wide as
 * its share; hovering shows the frame's name, figure and share, a click
 * zooms into a frame, a search highlights matching frames and sums them.
 * Renders as a picture without scripts too (labels are laid out here).
 */
#ifndef CZ_FLAME_SVG_H
#define CZ_FLAME_SVG_H

#include <stdio.h>

#include "cli/fold.h"

/* Writes the SVG for f.  title is shown on top (escaped here).  Returns 0,
 * or -1 when out of memory. */
int flame_svg_write(const struct fold *f, const char *title, FILE *out);

/* Writes s with XML's special characters escaped. */
void svg_escape(FILE *out, const char *s);

#endif
