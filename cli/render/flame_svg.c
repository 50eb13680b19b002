/*
 * flame_svg.c - see flame_svg.h.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/render/flame_svg.h"
#include "cli/render/svg.h"
#include "cli/util.h"
#include "lib/base/hash.h"

#define WIDTH 1200
#define PAD 10
#define ROW 17
#define TOP 54
#define BOTTOM 30
#define TITLE_MARGIN 110 /* room for the buttons on either side */

struct node {
	const char *name; /* interned by the fold: compare pointers */
	uint64_t value;
	struct node *child, *next;
};

static struct node *child_of(struct node *parent, const char *name)
{
	for (struct node *c = parent->child; c; c = c->next)
		if (c->name == name)
			return c;
	struct node *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->name = name;
	c->next = parent->child;
	parent->child = c;
	return c;
}

static void free_tree(struct node *n)
{
	while (n) {
		struct node *next = n->next;
		free_tree(n->child);
		free(n);
		n = next;
	}
}

/* Children widest first, so the biggest callee is on the left. */
static int by_value(const void *a, const void *b)
{
	const struct node *x = *(struct node *const *)a, *y = *(struct node *const *)b;
	if (x->value != y->value)
		return x->value < y->value ? 1 : -1;
	return strcmp(x->name, y->name);
}

struct ctx {
	FILE *out;
	uint64_t total;
	int bytes, depth_max, height;
};

static void figure(char *buf, uint64_t v, int bytes)
{
	if (bytes)
		cli_human_size(v, buf);
	else
		snprintf(buf, 32, "%llu", (unsigned long long)v);
}

static unsigned color(const char *name)
{
	/* by function, not line */
	uint64_t h = hash_bytes(HASH_FNV_SEED, name, strcspn(name, " "));
	unsigned r = 205 + (unsigned)(h % 50), g = 80 + (unsigned)((h >> 8) % 140), b = 40 + (unsigned)((h >> 16) % 40);
	return r << 16 | g << 8 | b;
}

static void depth_of(const struct node *n, int d, int *max)
{
	if (d > *max)
		*max = d;
	for (const struct node *c = n->child; c; c = c->next)
		depth_of(c, d + 1, max);
}

static int draw(struct ctx *c, struct node *n, double x, int depth)
{
	double w = (double)n->value / (double)c->total;
	double px = w * (WIDTH - 2 * PAD);
	if (px < 0.1)
		return 0; /* too thin to see; its share still counts in the parent */
	double y = c->height - BOTTOM - (depth + 1) * ROW;
	char fig[32];
	figure(fig, n->value, c->bytes);
	fprintf(c->out, "<g class=\"f\" data-x=\"%.9f\" data-w=\"%.9f\" data-d=\"%d\"><title>", x, w, depth);
	svg_escape(c->out, n->name);
	fprintf(c->out, " - %s (%.2f%%)</title><rect x=\"%.2f\" y=\"%.0f\" width=\"%.2f\" height=\"%d\" "
			"fill=\"#%06x\" rx=\"2\"/><text x=\"%.2f\" y=\"%.0f\">",
		fig, 100.0 * w, PAD + x * (WIDTH - 2 * PAD), y, px, ROW - 1, color(n->name),
		PAD + x * (WIDTH - 2 * PAD) + 3, y + ROW - 5);
	char label[1024];
	svg_escape(c->out, svg_fit(label, sizeof(label), n->name, px));
	fputs("</text></g>\n", c->out);
	size_t nc = 0;
	for (struct node *k = n->child; k; k = k->next)
		nc++;
	struct node **kids = malloc((nc ? nc : 1) * sizeof(*kids));
	if (!kids)
		return -1;
	nc = 0;
	for (struct node *k = n->child; k; k = k->next)
		kids[nc++] = k;
	qsort(kids, nc, sizeof(*kids), by_value);
	double cx = x;
	int rc = 0;
	for (size_t i = 0; i < nc && !rc; i++) {
		rc = draw(c, kids[i], cx, depth + 1);
		cx += (double)kids[i]->value / (double)c->total;
	}
	free(kids);
	return rc;
}

/* Zoom, hover details and search; no outside resources. */
static const char script[] =
	"<script type=\"text/ecmascript\"><![CDATA[\n"
	"var W = %d, PAD = %d, CW = %.1f;\n"
	"var frames = Array.prototype.slice.call(document.querySelectorAll('g.f'));\n"
	"var details = document.getElementById('details'), matched = document.getElementById('matched');\n"
	"function a(g, k) { return parseFloat(g.getAttribute('data-' + k)); }\n"
	"function label(g, px) {\n"
	"  var t = g.querySelector('text'), name = g.querySelector('title').textContent.replace(/ - [^-]*$/, '');\n"
	"  var fits = px > 3 * CW ? Math.floor((px - 6) / CW) : 0;\n"
	"  t.textContent = fits >= name.length ? name : fits > 2 ? name.substring(0, fits - 2) + '..' : '';\n"
	"}\n"
	"function place(g, x, w) {\n"
	"  var r = g.querySelector('rect'), t = g.querySelector('text'), px = w * (W - 2 * PAD);\n"
	"  r.setAttribute('x', PAD + x * (W - 2 * PAD)); r.setAttribute('width', px);\n"
	"  t.setAttribute('x', PAD + x * (W - 2 * PAD) + 3); label(g, px); g.style.display = '';\n"
	"}\n"
	"function zoom(z) {\n"
	"  var x0 = a(z, 'x'), w0 = a(z, 'w'), d0 = a(z, 'd'), e = 1e-9;\n"
	"  frames.forEach(function (g) {\n"
	"    var x = a(g, 'x'), w = a(g, 'w'), d = a(g, 'd');\n"
	"    if (d >= d0 && x >= x0 - e && x + w <= x0 + w0 + e) { place(g, (x - x0) / w0, w / w0); g.classList.remove('up'); }\n"
	"    else if (d < d0 && x <= x0 + e && x + w >= x0 + w0 - e) { place(g, 0, 1); g.classList.add('up'); }\n"
	"    else g.style.display = 'none';\n"
	"  });\n"
	"}\n"
	"function reset() { frames.forEach(function (g) { place(g, a(g, 'x'), a(g, 'w')); g.classList.remove('up'); }); }\n"
	"function search(term) {\n"
	"  var spans = [];\n"
	"  frames.forEach(function (g) {\n"
	"    var hit = term && g.querySelector('title').textContent.indexOf(term) >= 0;\n"
	"    g.classList.toggle('hit', !!hit);\n"
	"    if (hit) spans.push([a(g, 'x'), a(g, 'x') + a(g, 'w')]);\n"
	"  });\n"
	"  spans.sort(function (p, q) { return p[0] - q[0]; });\n"
	"  var sum = 0, end = -1;  /* nested matches count once */\n"
	"  spans.forEach(function (s) { if (s[0] >= end) { sum += s[1] - s[0]; end = s[1]; } else if (s[1] > end) { sum += s[1] - end; end = s[1]; } });\n"
	"  matched.textContent = term ? 'matched \"' + term + '\": ' + (100 * sum).toFixed(2) + '%%' : '';\n"
	"}\n"
	"frames.forEach(function (g) {\n"
	"  g.addEventListener('click', function () { a(g, 'd') == 0 ? reset() : zoom(g); });\n"
	"  g.addEventListener('mouseover', function () { details.textContent = g.querySelector('title').textContent; });\n"
	"  g.addEventListener('mouseout', function () { details.textContent = ' '; });\n"
	"});\n"
	"document.getElementById('search').addEventListener('click', function () { search(prompt('Search frames for:', '') || ''); });\n"
	"document.getElementById('unzoom').addEventListener('click', function () { reset(); });\n"
	"document.addEventListener('keydown', function (e) {\n"
	"  if (e.key == 'Escape') { reset(); search(''); }\n"
	"  if ((e.ctrlKey || e.metaKey) && e.key == 'f') { e.preventDefault(); search(prompt('Search frames for:', '') || ''); }\n"
	"});\n"
	"]]></script>\n";

int flame_svg_write(const struct fold *f, const char *title, FILE *out)
{
	struct node root = { .name = "all" };
	for (size_t i = 0; i < f->n; i++) {
		struct node *n = &root;
		root.value += f->v[i].value;
		for (int k = 0; k < f->v[i].n && n; k++) {
			n = child_of(n, f->v[i].frames[k]);
			if (n)
				n->value += f->v[i].value;
		}
		if (!n) {
			free_tree(root.child);
			return -1;
		}
	}
	struct ctx c = { .out = out, .total = root.value ? root.value : 1,
			 .bytes = fold_metric_is_bytes(f->metric) };
	depth_of(&root, 0, &c.depth_max);
	c.height = TOP + BOTTOM + (c.depth_max + 1) * ROW + 10;
	char total[32];
	figure(total, root.value, c.bytes);
	svg_begin(out, WIDTH, c.height,
		  "text { font-family: Verdana, sans-serif; font-size: 12px; fill: #000; }\n"
		  "g.f { cursor: pointer; } g.f:hover rect { stroke: #000; stroke-width: 0.5; }\n"
		  "g.up rect { opacity: 0.5; } g.hit rect { fill: #e040e0; }\n"
		  "#title { font-size: 17px; } .button { fill: #0050a0; cursor: pointer; }",
		  "#f8f8f0");
	/* the title between the two buttons; it is 17 px text, svg_fit counts 12 px */
	char cut[512];
	fprintf(out, "<text id=\"title\" x=\"%d\" y=\"24\" text-anchor=\"middle\">", WIDTH / 2);
	svg_escape(out, svg_fit(cut, sizeof(cut), title, (WIDTH - 2 * TITLE_MARGIN) * 12.0 / 17.0));
	fprintf(out, "</text>\n<text x=\"%d\" y=\"44\" text-anchor=\"middle\">%s: %s in %zu stacks; "
		     "click a frame to zoom, Escape or Reset to go back, Ctrl-F or Search to find</text>\n"
		     "<text id=\"unzoom\" class=\"button\" x=\"%d\" y=\"24\">Reset zoom</text>\n"
		     "<text id=\"search\" class=\"button\" x=\"%d\" y=\"24\" text-anchor=\"end\">Search</text>\n"
		     "<text id=\"details\" x=\"%d\" y=\"%d\"> </text>\n"
		     "<text id=\"matched\" x=\"%d\" y=\"%d\" text-anchor=\"end\"></text>\n",
		WIDTH / 2, fold_metric_name(f->metric), total, f->n, PAD, WIDTH - PAD, PAD,
		c.height - 10, WIDTH - PAD, c.height - 10);
	int rc = draw(&c, &root, 0.0, 0);
	if (!f->n)
		fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">nothing to draw: no stack has any %s%s</text>\n",
			WIDTH / 2, c.height - BOTTOM - ROW, f->metric == FOLD_COUNT ? "allocation" : fold_metric_name(f->metric),
			f->metric == FOLD_COUNT ? "s" : " bytes");
	fprintf(out, script, WIDTH, PAD, SVG_CHAR_W);
	svg_end(out);
	free_tree(root.child);
	return rc;
}
