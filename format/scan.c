/*
 * scan.c - reading the lists of SCAN chunks (czt_scan.h).
 */
#include "format/czt_scan.h"

void czt_scan_reader_init(struct czt_scan_reader *r, unsigned type, const uint8_t *list,
			  size_t len)
{
	r->p = list;
	r->end = list + len;
	r->c = (struct czt_scan_cursor){ 0, 0 };
	r->with_value = type != CZT_REC_SCAN_VTABLES;
}

static int get(struct czt_scan_reader *r, uint64_t *out)
{
	uint64_t v = 0;
	for (int shift = 0; shift < 70; shift += 7) {
		if (r->p >= r->end)
			return -1;
		uint8_t b = *r->p++;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*out = v;
			return 0;
		}
	}
	return -1;
}

int czt_scan_next(struct czt_scan_reader *r, uint64_t *where, uint64_t *value)
{
	if (r->p >= r->end)
		return CZT_EOF;
	uint64_t d;
	if (get(r, &d))
		return CZT_ERR_CORRUPT;
	r->c.where += (uint64_t)czt_unzigzag(d) * 8;
	*where = r->c.where;
	*value = 0;
	if (r->with_value) {
		if (get(r, &d))
			return CZT_ERR_CORRUPT;
		r->c.value += (uint64_t)czt_unzigzag(d);
		*value = r->c.value;
	}
	return CZT_OK;
}
