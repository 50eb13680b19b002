/*
 * layout.c - the record layout table (czt_layout.h).
 */
#include "format/czt.h"
#include "format/czt_layout.h"

#define FIELD(letter, nm, st, col, member) \
	[letter] = { nm, st, col, (unsigned short)offsetof(struct czt_record, member) }
const struct czt_field czt_fields[128] = {
	FIELD('t', "t", CZT_SHOW_NAMED, 'T', time),
	FIELD('f', "t_free", CZT_SHOW_NAMED, 'T', time_free),
	FIELD('a', "allocator", CZT_SHOW_NAMED, 'M', allocator),
	FIELD('A', "addr", CZT_SHOW_HEX, 'A', addr),
	FIELD('R', "addr", CZT_SHOW_HEX, 'R', addr),
	FIELD('O', "old", CZT_SHOW_FROM, 'R', old_addr),
	FIELD('I', "addr", CZT_SHOW_HEX, 'B', addr),
	FIELD('s', "size", CZT_SHOW_BARE, 'S', size),
	FIELD('S', "stack", CZT_SHOW_NAMED, 'K', stack),
	FIELD('k', "kind", CZT_SHOW_NAMED, 'M', kind),
	FIELD('P', "parent", CZT_SHOW_NAMED, 'M', parent),
	FIELD('n', "name", CZT_SHOW_NAMED, 'M', name),
	FIELD('v', "capacity", CZT_SHOW_NAMED, 'M', value),
};
#undef FIELD

/* CORE: a type readers see; COMPACT: a wire form reported as type `as`;
 * PREFIXED: a length-prefixed record. */
#define CORE(wire, nm, lay, sh) [wire] = { nm, lay, sh, wire, sizeof(lay) - 1 }
#define COMPACT(wire, nm, lay, as) [wire] = { nm, lay, NULL, as, sizeof(lay) - 1 }
#define PREFIXED(wire, nm) [wire] = { nm, NULL, NULL, wire, 0 }
const struct czt_layout czt_layouts[256] = {
	CORE(CZT_REC_MALLOC, "malloc", "tAsS", "AsS"),
	CORE(CZT_REC_CALLOC, "calloc", "tAsS", "AsS"),
	CORE(CZT_REC_POSIX_MEMALIGN, "posix_memalign", "tAsS", "AsS"),
	CORE(CZT_REC_ALIGNED_ALLOC, "aligned_alloc", "tAsS", "AsS"),
	CORE(CZT_REC_MEMALIGN, "memalign", "tAsS", "AsS"),
	CORE(CZT_REC_VALLOC, "valloc", "tAsS", "AsS"),
	CORE(CZT_REC_PVALLOC, "pvalloc", "tAsS", "AsS"),
	/* a free's stack comes from a CALL record, when one says it */
	CORE(CZT_REC_FREE, "free", "tR", "R?S"),
	CORE(CZT_REC_REALLOC, "realloc", "tfOAsS", "OAsSf"),
	CORE(CZT_REC_REALLOCARRAY, "reallocarray", "tfOAsS", "OAsSf"),
	/* format 2.0: dt_free = 0 and what the shape makes redundant left out */
	COMPACT(CZT_REC_REALLOC_MOVED, "realloc-moved", "tOAsS", CZT_REC_REALLOC),
	COMPACT(CZT_REC_REALLOCARRAY_MOVED, "reallocarray-moved", "tOAsS", CZT_REC_REALLOCARRAY),
	COMPACT(CZT_REC_REALLOC_IN_PLACE, "realloc-in-place", "tIsS", CZT_REC_REALLOC),
	COMPACT(CZT_REC_REALLOCARRAY_IN_PLACE, "reallocarray-in-place", "tIsS",
		CZT_REC_REALLOCARRAY),
	COMPACT(CZT_REC_REALLOC_NEW, "realloc-new", "tAsS", CZT_REC_REALLOC),
	COMPACT(CZT_REC_REALLOCARRAY_NEW, "reallocarray-new", "tAsS", CZT_REC_REALLOCARRAY),
	CORE(CZT_REC_CZ_ALLOC, "cz-alloc", "taAsS", "aAsS"),
	CORE(CZT_REC_CZ_FREE, "cz-free", "taR", "aR"),
	CORE(CZT_REC_CZ_RESIZE, "cz-resize", "taOAsS", "aAsS"),
	CORE(CZT_REC_CZ_NEW, "cz-new", "takPnS", "akPnS"),
	CORE(CZT_REC_CZ_RESET, "cz-reset", "tav", "av"),
	CORE(CZT_REC_CZ_DESTROY, "cz-destroy", "ta", "a"),
	CORE(CZT_REC_CZ_CAPACITY, "cz-capacity", "tav", "av"),
	PREFIXED(CZT_REC_STACK_NODE, "stack-node"),
	PREFIXED(CZT_REC_STRING, "string"),
	PREFIXED(CZT_REC_MODULE_LOAD, "module-load"),
	PREFIXED(CZT_REC_MODULE_UNLOAD, "module-unload"),
	PREFIXED(CZT_REC_THREAD_START, "thread-start"),
	PREFIXED(CZT_REC_THREAD_END, "thread-end"),
	PREFIXED(CZT_REC_FRAME, "frame"),
	PREFIXED(CZT_REC_PROCESS_END, "process-end"),
	PREFIXED(CZT_REC_SUMMARY, "summary"),
	PREFIXED(CZT_REC_LOST, "lost"),
	PREFIXED(CZT_REC_CHUNK_EVENTS, "chunk-events"),
	PREFIXED(CZT_REC_IMAGE, "image"),
	PREFIXED(CZT_REC_SCAN_REGION, "scan-region"),
	PREFIXED(CZT_REC_SCAN_WORDS, "scan-words"),
	PREFIXED(CZT_REC_SCAN_CONTEXT, "scan-context"),
	PREFIXED(CZT_REC_SCAN_VTABLES, "scan-vtables"),
	PREFIXED(CZT_REC_SCAN_END, "scan-end"),
	PREFIXED(CZT_REC_CALL, "call"),
	PREFIXED(CZT_REC_EARLY_BLOCK, "early-block"),
};
#undef CORE
#undef COMPACT
#undef PREFIXED

const char *czt_rec_name(unsigned type)
{
	return type < 256 ? czt_layouts[type].name : NULL;
}
