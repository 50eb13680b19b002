/*
 * flame_svg.h - an interactive flame graph as one self-contained SVG file:
 * stacks merged into a tree drawn root at the bottom, each frame as wide as
 * its share; hovering shows the frame's name, figure and share, a click
 * zooms into a frame, a search highlights matching frames and sums them.
 * Renders as a picture without scripts too (labels are laid out here).
 */
#ifndef CZPROF_CLI_RENDER_FLAME_SVG_H
#define CZPROF_CLI_RENDER_FLAME_SVG_H

#include <stdio.h>

#include "cli/render/fold.h"

/* Writes the SVG for f (which stays the caller's).  title is shown on top,
 * escaped and cut to fit here.  Returns 0, or -1 when out of memory (the
 * stream then holds a partial document: write it to an outfile and drop
 * it). */
int flame_svg_write(const struct fold *f, const char *title, FILE *out);

#endif
