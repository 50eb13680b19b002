/*
 * czt_layout.h - the one table of record layouts: for each record type its
 * name and, for a core record, its fields in wire order.  The decoder
 * (decode.c), the column form (model.c) and `czprof dump` all read it, so a
 * record type's layout is written once; FORMAT.md is its specification.
 *
 * A core record's fields are letters, one per varint on the wire:
 *
 *   letter  field (struct czt_record)          column form (model.c)
 *   t       dt: added to the chunk's time      T  a time delta
 *   f       dt_free: time_free = time - dt     T
 *   a       allocator                          M  any other varint
 *   A       addr: zigzag delta, a new block    A  the address of a block that now exists
 *   R       addr: zigzag delta, a block freed  R  the address of an existing block
 *   O       old_addr: zigzag delta             R
 *   I       addr = old_addr: resized in place  B  both
 *   s       size                               S  a size
 *   S       stack                              K  a stack id
 *   k       kind                               M
 *   P       parent                             M
 *   n       name                               M
 *   v       value (a capacity)                 M
 *
 * Length-prefixed records (0x40 and up) have a name here; their bodies are
 * read by decode.c alone.  The tables are constant data: the recorder links
 * them too.
 */
#ifndef CZT_LAYOUT_H
#define CZT_LAYOUT_H

#define CZT_MAX_CORE_FIELDS 6

struct czt_layout {
	const char *name;      /* NULL: not a record type of this version */
	const char *fields;    /* core records: the letters above; NULL otherwise */
	/* What `czprof dump` prints of a record as readers see it, in order:
	 * field letters, '?' before one shown only when it is not 0.  Set on
	 * the core types readers see (as == the type), NULL elsewhere. */
	const char *show;
	unsigned char as;      /* the type readers get: compact realloc forms are realloc */
	unsigned char nfields; /* strlen(fields) */
};

/* Indexed by the wire type byte.  Static storage. */
extern const struct czt_layout czt_layouts[256];

/* How `czprof dump` writes a field's value. */
enum czt_field_style {
	CZT_SHOW_NAMED, /* " NAME=value" */
	CZT_SHOW_HEX,   /* " 0xvalue" */
	CZT_SHOW_FROM,  /* " 0xvalue ->": an old address, the new one follows */
	CZT_SHOW_BARE,  /* " value" */
};

/* What a field letter means beyond the decoder's reading of it. */
struct czt_field {
	const char *name;
	unsigned char style;   /* enum czt_field_style */
	char column;           /* the column form's kind: T S K M A R B */
	unsigned short offset; /* of its uint64_t in struct czt_record (decoded) */
};

/* Indexed by the letter; a letter not listed above is all zero. */
extern const struct czt_field czt_fields[128];

/* The layout of a core record type, or NULL when type is not one. */
static inline const struct czt_layout *czt_core_layout(unsigned type)
{
	return type < 0x40 && czt_layouts[type].fields ? &czt_layouts[type] : NULL;
}

#endif
