/*
 * svg.c - see svg.h.
 */
#include <math.h>
#include <string.h>

#include "cli/render/svg.h"

void svg_begin(FILE *out, int w, int h, const char *css, const char *bg)
{
	fprintf(out, "<?xml version=\"1.0\" standalone=\"no\"?>\n"
		     "<svg version=\"1.1\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		     "xmlns=\"http://www.w3.org/2000/svg\">\n",
		w, h, w, h);
	if (css)
		fprintf(out, "<style>%s</style>\n", css);
	fprintf(out, "<rect width=\"100%%\" height=\"100%%\" fill=\"%s\"/>\n", bg);
}

void svg_end(FILE *out)
{
	fputs("</svg>\n", out);
}

void svg_escape(FILE *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		default:
			if ((unsigned char)*s >= 0x20 || *s == '\t')
				fputc(*s, out);
		}
	}
}

static int is_continuation(unsigned char c)
{
	return (c & 0xC0) == 0x80;
}

char *svg_fit(char *buf, size_t cap, const char *s, double px)
{
	size_t fits = px > 3 * SVG_CHAR_W ? (size_t)((px - 6) / SVG_CHAR_W) : 0;
	size_t chars = 0, len = strlen(s);
	for (size_t i = 0; i < len; i++)
		chars += !is_continuation((unsigned char)s[i]);
	size_t keep; /* bytes of s */
	if (chars <= fits) {
		keep = len;
	} else if (fits > 2) {
		size_t want = fits - 2, seen = 0;
		for (keep = 0; keep < len; keep++) {
			if (!is_continuation((unsigned char)s[keep]) && seen++ == want)
				break;
		}
	} else {
		buf[0] = 0;
		return buf;
	}
	if (keep + (keep < len ? 2 : 0) + 1 > cap) { /* the buffer is the limit */
		if (cap < 3) {
			buf[0] = 0;
			return buf;
		}
		keep = cap - 3;
		while (keep && is_continuation((unsigned char)s[keep]))
			keep--;
	}
	memcpy(buf, s, keep);
	size_t end = keep;
	if (keep < len) {
		memcpy(buf + keep, "..", 2);
		end += 2;
	}
	buf[end] = 0;
	return buf;
}

double svg_nice_step(double max, int n, int base)
{
	double raw = max / n;
	if (base == 1024 && raw >= 1) {
		static const double steps[] = { 1, 2, 5, 10, 20, 50, 100, 200, 500, 1024 };
		double p = 1;
		while (p * 1024 <= raw)
			p *= 1024;
		for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
			if (p * steps[i] >= raw)
				return p * steps[i];
		return p * 1024;
	}
	static const double steps[] = { 1, 2, 5, 10 };
	double p = pow(10, floor(log10(raw)));
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (p * steps[i] >= raw * (1 - 1e-9))
			return p * steps[i];
	return p * 10;
}

char *svg_bytes_label(double v, char *buf)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	int k = 0;
	while (v >= 1024 && k < 4) {
		v /= 1024;
		k++;
	}
	snprintf(buf, 32, fabs(v - floor(v + 0.5)) < 1e-9 ? "%.0f %s" : "%.1f %s", v, unit[k]);
	return buf;
}

double svg_time_unit(uint64_t duration_ns, const char **name)
{
	static const struct {
		double ns;
		const char *name;
	} units[] = { { 1e9, "s" }, { 1e6, "ms" }, { 1e3, "us" } };
	/* the biggest unit the run lasts at least two of */
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if ((double)duration_ns >= 2 * units[i].ns) {
			*name = units[i].name;
			return units[i].ns;
		}
	*name = "ns";
	return 1;
}

char *svg_time_label(double ns, double unit, const char *name, char *buf)
{
	double v = ns / unit;
	if (fabs(v - floor(v + 0.5)) < 1e-6)
		snprintf(buf, 32, "%.0f %s", floor(v + 0.5), name);
	else if (fabs(v * 10 - floor(v * 10 + 0.5)) < 1e-6)
		snprintf(buf, 32, "%.1f %s", v, name);
	else
		snprintf(buf, 32, "%.2f %s", v, name);
	return buf;
}
