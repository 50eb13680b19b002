/*
 * rec_cfi.c - frame sizes from the unwind tables (.eh_frame), for the
 * stack-layout cache (rec_layout.c).
 *
 * The cache may trust a remembered stack only through frames whose size is
 * fixed by the point the function is at: then a return address found in a
 * slot says exactly where the next slot is.  The unwind tables say it: at a
 * call site the caller's frame address (CFA) is either the stack pointer
 * plus a constant, a fixed frame, or something else (the frame pointer plus
 * a constant, an expression), a frame whose size can change from call to
 * call (alloca, variable-length arrays, realigned locals) or that needs more
 * registers than the stack pointer to find.  Only the first kind is sized
 * here; everything else is "unknown", and the cache then unwinds.
 *
 * This reads the tables the way the unwinder does (.eh_frame_hdr's sorted
 * table, the FDE, its CIE, the call frame instructions up to the call
 * site) but keeps only the CFA rule and the return address's rule.
 * x86-64 only; elsewhere every frame is unknown.
 */
#include <dlfcn.h>
#include <stdint.h>
#include <string.h>

#include "lib/recorder/rec.h"

#if defined(__x86_64__)

enum {
	REG_RSP = 7,
	REG_RA = 16,
	MAX_STATES = 8,      /* DW_CFA_remember_state nesting kept */
	MAX_OPS = 4096,      /* instructions read for one lookup */
	MAX_FRAME = 1 << 24, /* a larger "fixed" frame is not believed */
};

/* LEB128; signed ones are sign-extended from their last byte */
static uint64_t leb(const uint8_t **pp, int is_signed)
{
	const uint8_t *p = *pp;
	uint64_t x = 0;
	unsigned shift = 0;
	uint8_t b;
	do {
		b = *p++;
		if (shift < 64)
			x |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
	} while (b & 0x80);
	if (is_signed && shift < 64 && (b & 0x40))
		x |= ~(uint64_t)0 << shift;
	*pp = p;
	return x;
}

static uint64_t uleb(const uint8_t **pp) { return leb(pp, 0); }
static int64_t sleb(const uint8_t **pp) { return (int64_t)leb(pp, 1); }

/* One pointer-encoded value (DW_EH_PE_*).  base_data: the start of
 * .eh_frame_hdr for datarel.  Returns 0 for an encoding not used by the
 * toolchains (textrel, funcrel, aligned). */
static int read_encoded(const uint8_t **pp, uint8_t enc, uintptr_t base_data, uintptr_t *out)
{
	const uint8_t *p = *pp;
	uintptr_t field = (uintptr_t)p, v;
	if (enc == 0xff)
		return 0;
	switch (enc & 0x0f) {
	case 0x00: { uint64_t x; memcpy(&x, p, 8); p += 8; v = (uintptr_t)x; break; }
	case 0x02: { uint16_t x; memcpy(&x, p, 2); p += 2; v = x; break; }
	case 0x03: { uint32_t x; memcpy(&x, p, 4); p += 4; v = x; break; }
	case 0x04: { uint64_t x; memcpy(&x, p, 8); p += 8; v = (uintptr_t)x; break; }
	case 0x0a: { int16_t x; memcpy(&x, p, 2); p += 2; v = (uintptr_t)(intptr_t)x; break; }
	case 0x0b: { int32_t x; memcpy(&x, p, 4); p += 4; v = (uintptr_t)(intptr_t)x; break; }
	case 0x0c: { int64_t x; memcpy(&x, p, 8); p += 8; v = (uintptr_t)x; break; }
	case 0x01: v = (uintptr_t)uleb(&p); break;
	case 0x09: v = (uintptr_t)sleb(&p); break;
	default:
		return 0;
	}
	switch (enc & 0x70) {
	case 0x00: break;
	case 0x10: v += field; break;
	case 0x30: v += base_data; break;
	default: return 0;
	}
	if (enc & 0x80) /* indirect */
		v = *(const uintptr_t *)v;
	*pp = p;
	*out = v;
	return 1;
}

/* The rules this file cares about. */
struct rules {
	uint64_t cfa_reg;
	int64_t cfa_off;
	int cfa_other; /* an expression: not register + offset */
	enum { RA_SAVED, RA_UNDEFINED, RA_OTHER } ra_kind; /* RA_SAVED: at CFA + ra_off */
	int64_t ra_off;
};

struct cie {
	uint64_t code_align;
	int64_t data_align;
	uint8_t fde_enc;
	int has_aug_data; /* 'z': FDEs carry an augmentation length */
	int signal_frame;
	const uint8_t *insns, *end;
};

static int parse_cie(const uint8_t *p, struct cie *c)
{
	uint32_t len;
	memcpy(&len, p, 4);
	if (len == 0 || len == 0xffffffff)
		return 0;
	c->end = p + 4 + len;
	p += 8; /* length, CIE id */
	uint8_t version = *p++;
	const char *aug = (const char *)p;
	p += strlen(aug) + 1;
	if (aug[0] == 'e' && aug[1] == 'h') {
		p += sizeof(uintptr_t);
		aug += 2;
	}
	c->code_align = uleb(&p);
	c->data_align = sleb(&p);
	uint64_t ra = version == 1 ? *p++ : uleb(&p);
	if (ra != REG_RA)
		return 0;
	c->fde_enc = 0x00;
	c->has_aug_data = 0;
	c->signal_frame = 0;
	if (aug[0] == 'z') {
		c->has_aug_data = 1;
		uint64_t alen = uleb(&p);
		const uint8_t *data = p, *after = p + alen;
		for (const char *a = aug + 1; *a; a++) {
			uintptr_t ignored;
			if (*a == 'R')
				c->fde_enc = *data++;
			else if (*a == 'L')
				data++;
			else if (*a == 'P') {
				uint8_t enc = *data++;
				if (!read_encoded(&data, enc & 0x7f, 0, &ignored))
					return 0;
			} else if (*a == 'S')
				c->signal_frame = 1;
			else if (*a != 'B' && *a != 'G')
				break; /* unknown letters end what can be read, the length skips the rest */
		}
		p = after;
	} else if (aug[0]) {
		return 0;
	}
	c->insns = p;
	return p <= c->end;
}

/* A rule for register reg: only the return address's is kept. */
static void set_rule(struct rules *r, uint64_t reg, int kind, int64_t off)
{
	if (reg == REG_RA) {
		r->ra_kind = kind;
		r->ra_off = off;
	}
}

/* Runs the instructions from p to end, starting at location *loc, until
 * the row covering pc: returns 0 on an instruction it cannot step over. */
static int run(const uint8_t *p, const uint8_t *end, const struct cie *c, uintptr_t *loc,
	       uintptr_t pc, struct rules *r, const struct rules *initial,
	       struct rules *stack, int *depth)
{
	for (int ops = 0; p < end; ops++) {
		if (ops > MAX_OPS)
			return 0;
		uint8_t op = *p++;
		uint8_t hi = op & 0xc0, lo = op & 0x3f;
		uint64_t reg, delta;
		int64_t off;
		uintptr_t at;
		if (hi == 0x40) { /* advance_loc */
			delta = lo * c->code_align;
			goto advance;
		}
		if (hi == 0x80) { /* offset */
			set_rule(r, lo, RA_SAVED, (int64_t)uleb(&p) * c->data_align);
			continue;
		}
		if (hi == 0xc0) { /* restore */
			set_rule(r, lo, initial->ra_kind, initial->ra_off);
			continue;
		}
		switch (op) {
		case 0x00: /* nop */
			continue;
		case 0x01: /* set_loc */
			if (!read_encoded(&p, c->fde_enc, 0, &at))
				return 0;
			if (at > pc)
				return 1;
			*loc = at;
			continue;
		case 0x02: delta = *p++ * c->code_align; goto advance;
		case 0x03: { uint16_t d; memcpy(&d, p, 2); p += 2; delta = d * c->code_align; goto advance; }
		case 0x04: { uint32_t d; memcpy(&d, p, 4); p += 4; delta = d * c->code_align; goto advance; }
		case 0x05: /* offset_extended */
			reg = uleb(&p);
			off = (int64_t)uleb(&p) * c->data_align;
			goto set_offset;
		case 0x11: /* offset_extended_sf */
			reg = uleb(&p);
			off = sleb(&p) * c->data_align;
			goto set_offset;
		case 0x06: /* restore_extended */
			set_rule(r, uleb(&p), initial->ra_kind, initial->ra_off);
			continue;
		case 0x07: /* undefined */
			set_rule(r, uleb(&p), RA_UNDEFINED, 0);
			continue;
		case 0x08: /* same_value */
			set_rule(r, uleb(&p), RA_OTHER, 0);
			continue;
		case 0x09: /* register */
			set_rule(r, uleb(&p), RA_OTHER, 0);
			uleb(&p);
			continue;
		case 0x0a: /* remember_state */
			if (*depth == MAX_STATES)
				return 0;
			stack[(*depth)++] = *r;
			continue;
		case 0x0b: /* restore_state */
			if (*depth == 0)
				return 0;
			*r = stack[--*depth];
			continue;
		case 0x0c: /* def_cfa */
			r->cfa_reg = uleb(&p);
			r->cfa_off = (int64_t)uleb(&p);
			r->cfa_other = 0;
			continue;
		case 0x12: /* def_cfa_sf */
			r->cfa_reg = uleb(&p);
			r->cfa_off = sleb(&p) * c->data_align;
			r->cfa_other = 0;
			continue;
		case 0x0d: /* def_cfa_register */
			r->cfa_reg = uleb(&p);
			r->cfa_other = 0;
			continue;
		case 0x0e: /* def_cfa_offset */
			r->cfa_off = (int64_t)uleb(&p);
			continue;
		case 0x13: /* def_cfa_offset_sf */
			r->cfa_off = sleb(&p) * c->data_align;
			continue;
		case 0x0f: /* def_cfa_expression */
			r->cfa_other = 1;
			p += uleb(&p);
			continue;
		case 0x10: /* expression */
		case 0x16: /* val_expression */
			set_rule(r, uleb(&p), RA_OTHER, 0);
			p += uleb(&p);
			continue;
		case 0x14: /* val_offset */
			set_rule(r, uleb(&p), RA_OTHER, 0);
			uleb(&p);
			continue;
		case 0x15: /* val_offset_sf */
			set_rule(r, uleb(&p), RA_OTHER, 0);
			sleb(&p);
			continue;
		case 0x2e: /* GNU_args_size */
			uleb(&p);
			continue;
		case 0x2f: /* GNU_negative_offset_extended */
			reg = uleb(&p);
			off = -(int64_t)uleb(&p) * c->data_align;
			goto set_offset;
		default:
			return 0;
		}
	set_offset:
		set_rule(r, reg, RA_SAVED, off);
		continue;
	advance:
		if (*loc + delta > pc)
			return 1;
		*loc += delta;
	}
	return 1;
}

/* The FDE covering pc, through the sorted table of .eh_frame_hdr. */
static const uint8_t *find_fde(const uint8_t *hdr, uintptr_t pc)
{
	if (hdr[0] != 1 || hdr[3] != 0x3b) /* version 1, datarel sdata4 table */
		return NULL;
	const uint8_t *p = hdr + 4;
	uintptr_t eh_frame, count;
	if (!read_encoded(&p, hdr[1], (uintptr_t)hdr, &eh_frame) ||
	    !read_encoded(&p, hdr[2], (uintptr_t)hdr, &count) || count == 0)
		return NULL;
	const int32_t *table = (const int32_t *)p;
	intptr_t rel = (intptr_t)(pc - (uintptr_t)hdr);
	size_t lo = 0, hi = count;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (table[2 * mid] <= rel)
			lo = mid;
		else
			hi = mid;
	}
	if (table[2 * lo] > rel)
		return NULL;
	return hdr + table[2 * lo + 1];
}

static const uint8_t *eh_frame_hdr_of(uintptr_t pc)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 35))
	struct dl_find_object obj;
	if (_dl_find_object((void *)pc, &obj) != 0)
		return NULL;
	return obj.dlfo_eh_frame;
#else
	(void)pc;
	return NULL;
#endif
}

uint32_t rec_cfi_frame_size(uintptr_t ret)
{
	uintptr_t pc = ret - 1; /* the call instruction, not what follows it */
	const uint8_t *hdr = eh_frame_hdr_of(pc);
	if (!hdr)
		return 0;
	const uint8_t *fde = find_fde(hdr, pc);
	if (!fde)
		return 0;
	uint32_t len, cie_off;
	memcpy(&len, fde, 4);
	memcpy(&cie_off, fde + 4, 4);
	if (len == 0 || len == 0xffffffff || cie_off == 0)
		return 0;
	const uint8_t *fde_end = fde + 4 + len;
	struct cie c;
	if (!parse_cie(fde + 4 - cie_off, &c) || c.signal_frame)
		return 0;
	const uint8_t *p = fde + 8;
	uintptr_t start, range;
	if (!read_encoded(&p, c.fde_enc, 0, &start) || !read_encoded(&p, c.fde_enc & 0x0f, 0, &range))
		return 0;
	if (pc < start || pc - start >= range)
		return 0;
	if (c.has_aug_data)
		p += uleb(&p);

	struct rules r = { .cfa_reg = 0, .cfa_off = 0, .cfa_other = 1, .ra_kind = RA_OTHER, .ra_off = 0 };
	struct rules stack[MAX_STATES];
	int depth = 0;
	uintptr_t loc = start;
	if (!run(c.insns, c.end, &c, &loc, pc, &r, &r, stack, &depth))
		return 0;
	struct rules initial = r;
	if (!run(p, fde_end, &c, &loc, pc, &r, &initial, stack, &depth))
		return 0;
	if (r.ra_kind == RA_UNDEFINED)
		return REC_CFI_OUTERMOST;
	if (r.cfa_other || r.cfa_reg != REG_RSP || r.ra_kind != RA_SAVED || r.ra_off != -8 ||
	    r.cfa_off < 8 || r.cfa_off >= MAX_FRAME || (r.cfa_off & 7))
		return 0;
	return (uint32_t)r.cfa_off;
}

#else

uint32_t rec_cfi_frame_size(uintptr_t ret)
{
	(void)ret;
	return 0;
}

#endif
