/* printable.c - see printable.h. */
#include <stdint.h>
#include <stdlib.h>

#include "format/printable.h"

/* The length of the well-formed UTF-8 character at p (n bytes left) that
 * is safe to print, or 0 when the byte at p must be replaced. */
static size_t safe_char(const uint8_t *p, size_t n)
{
	uint8_t c = p[0];
	if (c < 0x20 || c == 0x7f)
		return 0;
	if (c < 0x80)
		return 1;
	size_t len = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
	if (!len || len > n)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	/* overlong forms, UTF-16 surrogates and code points past U+10FFFF */
	if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f) || (c == 0xf0 && p[1] < 0x90) ||
	    (c == 0xf4 && p[1] > 0x8f))
		return 0;
	if (c == 0xc2 && p[1] <= 0x9f) /* C1 controls: 0x9b is CSI on many terminals */
		return 0;
	return len;
}

/* Writes s's printable form into out when out is not NULL (cap bytes);
 * returns the length of the whole form, NUL excluded. */
static size_t render(char *out, size_t cap, const uint8_t *s, size_t len, enum czt_printable_mode mode)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	for (size_t i = 0; i < len;) {
		char piece[4];
		size_t k = safe_char(s + i, len - i), n;
		const char *from;
		if (k) {
			from = (const char *)s + i;
			n = k;
		} else if (mode == CZT_PRINT_SPACE) {
			/* a C1 control is two bytes, one character: one space */
			k = s[i] == 0xc2 && i + 1 < len && (s[i + 1] & 0xc0) == 0x80 ? 2 : 1;
			from = " ";
			n = 1;
		} else {
			k = 1;
			piece[0] = '\\', piece[1] = 'x', piece[2] = hex[s[i] >> 4], piece[3] = hex[s[i] & 15];
			from = piece;
			n = 4;
		}
		if (out) {
			if (o + n >= cap)
				break; /* the whole character, or nothing of it */
			for (size_t j = 0; j < n; j++)
				out[o + j] = from[j];
		}
		o += n;
		i += k;
	}
	if (out)
		out[o] = 0;
	return o;
}

char *czt_printable(char *out, size_t cap, const void *s, size_t len, enum czt_printable_mode mode)
{
	if (!s)
		len = 0;
	render(out, cap, s, len, mode);
	return out;
}

char *czt_printable_dup(const void *s, size_t len, enum czt_printable_mode mode)
{
	if (!s)
		len = 0;
	size_t n = render(NULL, 0, s, len, mode) + 1;
	char *out = malloc(n);
	return out ? czt_printable(out, n, s, len, mode) : NULL;
}
