/*
 * czt.h - the .czt trace format: constants, the record model, the encoder
 * and the streaming decoder.  FORMAT.md beside this file is the normative
 * specification; this header is its C rendering.
 *
 * Ownership and threading: nothing here allocates except czt_reader_open*
 * (the reader owns its buffers and frees them in czt_reader_free).  The
 * encoder writes into memory the caller provides, so the recorder can use it
 * inside malloc without ever calling malloc.  Nothing here prints or exits;
 * every fallible function returns a CZT_* code (0 = OK, negative = error) and
 * czt_errstr() turns a code into text.  A reader is used by one thread at
 * a time; one given read-ahead (czt_reader_read_ahead) runs a thread of its
 * own behind the same calls.
 */
#ifndef CZT_H
#define CZT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define CZT_MAGIC "\x89" "CZT\r\n\x1a\n" /* 8 bytes: catches text-mode copies */
#define CZT_MAGIC_LEN 8
/* 2.0 added the compact realloc records (0x13-0x18), 3.0 the column form of
 * EVENTS chunks; this reader still reads 1.x and 2.x traces, which only
 * lack them */
#define CZT_VERSION_MAJOR 3 /* a reader refuses a newer major */
#define CZT_VERSION_MINOR 5 /* a newer minor only adds skippable records/chunks */

#define CZT_CHUNK_HEADER_LEN 16
#define CZT_CHUNK_MAX_RAW (16u << 20) /* bound on any chunk payload, raw or stored */
#define CZT_HEADER_MAX_BODY (1u << 20)

/* Result codes.  Negative values are errors. */
enum {
	CZT_OK = 0,
	CZT_EOF = 1,          /* clean end of input (not an error) */
	CZT_ERR_IO = -1,      /* read/write failed; errno is set */
	CZT_ERR_MAGIC = -2,   /* not a czprof trace */
	CZT_ERR_VERSION = -3, /* trace from a newer major version */
	CZT_ERR_TRUNCATED = -4, /* input ends inside a header or chunk */
	CZT_ERR_CHECKSUM = -5,  /* a checksum does not match */
	CZT_ERR_CORRUPT = -6,   /* a length, id or field is out of range */
	CZT_ERR_NOMEM = -7,
	CZT_ERR_UNSUPPORTED = -8, /* e.g. compressed chunk, built without zstd */
};

const char *czt_errstr(int rc);

/* ---- chunks ---------------------------------------------------------- */

enum czt_chunk_type {
	CZT_CHUNK_EVENTS = 1,  /* one thread's timed events */
	CZT_CHUNK_META = 2,    /* global definitions: stack nodes, modules, strings */
	CZT_CHUNK_SYMBOLS = 3, /* symbol table appended by `czprof record` */
	CZT_CHUNK_FOOTER = 4,  /* end-of-trace summary */
	CZT_CHUNK_SCAN = 5,    /* the pointer scan at exit (3.2, czt_scan.h) */
};

enum czt_chunk_flags {
	CZT_CHUNK_ZSTD = 1,    /* payload is one zstd frame of raw_len bytes */
	CZT_CHUNK_COLUMNS = 2, /* EVENTS payload in the column form (czt_model.h) */
};

/* ---- records ---------------------------------------------------------- */

/*
 * Record types.  0x00-0x3f are core records whose layout is fixed for a
 * major version.  0x40-0xff carry a varint body length right after the type
 * byte so that a reader can skip the ones it does not know.
 */
enum czt_rec_type {
	/* allocation entry points: layout ALLOC (dt, addr, size, stack) */
	CZT_REC_MALLOC = 0x01,
	CZT_REC_CALLOC = 0x02,
	CZT_REC_POSIX_MEMALIGN = 0x03,
	CZT_REC_ALIGNED_ALLOC = 0x04,
	CZT_REC_MEMALIGN = 0x05,
	CZT_REC_VALLOC = 0x06,
	CZT_REC_PVALLOC = 0x07,
	/* layout FREE (dt, addr) */
	CZT_REC_FREE = 0x10,
	/* layout REALLOC (dt, dt_free, old addr, new addr, size, stack) */
	CZT_REC_REALLOC = 0x11,
	CZT_REC_REALLOCARRAY = 0x12,
	/* Format 2.0: compact forms of REALLOC/REALLOCARRAY for a free part
	 * at the same time as the allocation part (dt_free = 0), the
	 * recorder's usual case.  They exist only on the wire: the decoder
	 * reports them as CZT_REC_REALLOC or CZT_REC_REALLOCARRAY with the
	 * fields filled in, so readers never see these values.  Each is its
	 * base type + a fixed offset, so that the encoder picks one without a
	 * table. */
	CZT_REC_REALLOC_MOVED = 0x13,         /* dt, old addr, new addr, size, stack */
	CZT_REC_REALLOCARRAY_MOVED = 0x14,
	CZT_REC_REALLOC_IN_PLACE = 0x15,      /* dt, addr (old = new), size, stack */
	CZT_REC_REALLOCARRAY_IN_PLACE = 0x16,
	CZT_REC_REALLOC_NEW = 0x17,           /* dt, new addr (old = 0), size, stack */
	CZT_REC_REALLOCARRAY_NEW = 0x18,
	/* allocator-library events (lib/include/cz_alloc.h under the recorder) */
	CZT_REC_CZ_ALLOC = 0x20,   /* dt, allocator, addr, size, stack */
	CZT_REC_CZ_FREE = 0x21,    /* dt, allocator, addr */
	CZT_REC_CZ_RESIZE = 0x22,  /* dt, allocator, old addr, new addr, size, stack */
	CZT_REC_CZ_NEW = 0x23,     /* dt, allocator, kind, parent, name, stack */
	CZT_REC_CZ_RESET = 0x24,   /* dt, allocator, capacity kept */
	CZT_REC_CZ_DESTROY = 0x25, /* dt, allocator */
	CZT_REC_CZ_CAPACITY = 0x26,/* dt, allocator, capacity now held */

	/* length-prefixed records */
	CZT_REC_STACK_NODE = 0x40,  /* id, parent, ip */
	CZT_REC_STRING = 0x41,      /* id, bytes */
	CZT_REC_MODULE_LOAD = 0x42, /* time, id, bias, start, end, path, build-id */
	CZT_REC_MODULE_UNLOAD = 0x43, /* time, id */
	CZT_REC_THREAD_START = 0x44,  /* time, tid, name */
	CZT_REC_THREAD_END = 0x45,    /* time, tid */
	CZT_REC_FRAME = 0x46,       /* symbols: ip, module, n, n*(function, file, line) */
	CZT_REC_PROCESS_END = 0x47, /* time, how, value */
	CZT_REC_SUMMARY = 0x48,     /* footer: counts */
	CZT_REC_LOST = 0x49,        /* time, events lost (e.g. write failed) */
	CZT_REC_CHUNK_EVENTS = 0x4A,/* events, end_time of the EVENTS chunk just after (3.1) */
	/* SCAN chunks (3.2): the memory the recorder scanned at exit */
	CZT_REC_SCAN_REGION = 0x50, /* start, end, kind (czt_scan_kind) */
	CZT_REC_SCAN_WORDS = 0x51,  /* bytes: (where, value) of words that may point into the heap */
	CZT_REC_SCAN_CONTEXT = 0x52,/* bytes: (where, value) of words the leak heuristics read */
	CZT_REC_SCAN_VTABLES = 0x53,/* bytes: where words pointing at a vtable lie */
	CZT_REC_SCAN_END = 0x54,    /* time, words, bytes scanned, ns taken: the scan is whole */
	/* time, exe, cmdline: the image an exec started (3.3); since 3.4 also
	 * flags (czt_image_flags), early: recording of any image began */
	CZT_REC_IMAGE = 0x4B,
	CZT_REC_CALL = 0x55,        /* op, stack: the chunk's operator from here on (3.4) */
	CZT_REC_EARLY_BLOCK = 0x56, /* addr, size: a block held before recording began (3.4) */
};

/* CZT_REC_CALL.op: which function made or released the blocks of the
 * events that follow in the chunk.  The low two bits are the family; the
 * decoder puts op in czt_record.op of those events.  On a free record, CZT_OP_NEW is operator
 * delete and CZT_OP_NEW_ARRAY operator delete[]. */
enum czt_op {
	CZT_OP_C = 0,           /* the malloc family (the event's own type says which) */
	CZT_OP_NEW = 1,         /* operator new / operator delete */
	CZT_OP_NEW_ARRAY = 2,   /* operator new[] / operator delete[] */
	CZT_OP_FAMILY = 3,      /* mask of the family bits */
	CZT_OP_ALIGNED = 4,     /* the std::align_val_t variant */
	CZT_OP_NOTHROW = 8,     /* the std::nothrow_t variant */
	CZT_OP_SIZED = 16,      /* the sized delete */
};

/* CZT_REC_IMAGE.value (flags, 3.4). */
enum czt_image_flags {
	/* The recorder intercepted this image's allocation calls from its
	 * very first: a block it holds no record of was never allocated,
	 * unless an early-block record names it. */
	CZT_IMAGE_WHOLE = 1,
	/* 3.5: recording began when czprof attached to the running process
	 * (`czprof record -p`); it ends at the process-end that says detach.
	 * Never set together with WHOLE. */
	CZT_IMAGE_ATTACHED = 2,
};

/* Is type an event (an allocation-function call or an allocator-library
 * event) rather than a definition? */
static inline int czt_rec_is_event(unsigned type)
{
	return (type >= CZT_REC_MALLOC && type <= CZT_REC_PVALLOC) || type == CZT_REC_FREE ||
	       type == CZT_REC_REALLOC || type == CZT_REC_REALLOCARRAY ||
	       (type >= CZT_REC_CZ_ALLOC && type <= CZT_REC_CZ_CAPACITY);
}

/* How a process ended (CZT_REC_PROCESS_END.how). */
enum czt_end_how {
	CZT_END_EXIT = 1,   /* value = exit status */
	CZT_END_SIGNAL = 2, /* value = signal number */
	CZT_END_EXEC = 3,   /* the image was replaced by exec */
	CZT_END_DETACH = 4, /* 3.5: czprof detached; the process ran on */
};

/* Why the recorder lost events (CZT_REC_LOST.why); 0: not said. */
enum czt_lost_why {
	CZT_LOST_WRITE = 1,  /* a write to the trace failed; err: its errno
				(ENOSPC: the disk was full) */
	CZT_LOST_CLOSED = 2, /* the program closed the trace's descriptor (or
				put another file in its place) and the trace
				could not be opened again by its path */
};

#define CZT_MAX_INLINE_FRAMES 32 /* per ip in a FRAME record */

struct czt_frame_sym {
	uint64_t function; /* string id, 0 = unknown */
	uint64_t file;     /* string id, 0 = unknown */
	uint64_t line;     /* 0 = unknown */
};

/*
 * One decoded record.  Which fields are meaningful depends on type; see
 * FORMAT.md.  `time` is always absolute (ns since the header's monotonic
 * start), already rebuilt from deltas by the decoder.  Byte fields
 * (str, build_id) point into the reader's chunk buffer: valid until the next
 * czt_reader_next_chunk.
 */
struct czt_record {
	unsigned type;      /* never a compact wire form (CZT_REC_REALLOC_MOVED...) */
	uint64_t tid;       /* thread of the chunk (EVENTS), else 0 */
	uint64_t time;      /* event time; for REALLOC the time of the alloc part */
	/* fields of core (event) records, cleared for every record */
	uint64_t time_free; /* REALLOC*: time of the free part (<= time) */
	uint64_t addr;      /* ALLOC/FREE/CZ_*: the block; REALLOC: new block */
	uint64_t old_addr;  /* REALLOC*, CZ_RESIZE */
	uint64_t size;
	uint64_t stack;     /* stack node id, 0 = empty stack */
	uint64_t allocator; /* CZ_*: allocator id */
	uint64_t kind;      /* CZ_NEW: allocator kind */
	uint64_t parent;    /* STACK_NODE, CZ_NEW: parent id */
	uint64_t value;     /* CZ_RESET/CZ_CAPACITY capacity, PROCESS_END value, LOST count,
			     * IMAGE_START flags */
	uint64_t name;      /* CZ_NEW, THREAD_START: string id (0 = none) */
	uint64_t op;        /* events: CZT_OP_* (the chunk's operator, CALL records) */
	/* fields only length-prefixed records have, cleared for those */
	uint64_t id;        /* STACK_NODE, STRING, MODULE_*: the id defined */
	uint64_t ip;        /* STACK_NODE, FRAME */
	uint64_t bias, start, end; /* MODULE_LOAD; start, end: SCAN_REGION */
	uint64_t how;       /* PROCESS_END; SCAN_REGION: its kind */
	const uint8_t *str; size_t str_len;     /* STRING bytes, MODULE_LOAD path, SCAN_WORDS,
						 * SCAN_CONTEXT and SCAN_VTABLES lists */
	const uint8_t *build_id; size_t build_id_len; /* MODULE_LOAD */
	const uint8_t *cmdline; size_t cmdline_len;   /* IMAGE (str: its exe); args separated by NUL */
	uint64_t n_events, n_stack_nodes, end_time; /* SUMMARY; CHUNK_EVENTS: n_events, end_time;
						     * SCAN_END: n_events = words, value = bytes
						     * scanned, end_time = ns taken;
						     * IMAGE: value = flags, n_events = early blocks */
	uint64_t why, err;  /* LOST: enum czt_lost_why and the errno (0: not said) */
	unsigned nframes;   /* FRAME; frames[] stays last: the decoder does not clear it */
	struct czt_frame_sym frames[CZT_MAX_INLINE_FRAMES];
};

/* ---- the header ------------------------------------------------------- */

struct czt_header {
	unsigned major, minor;
	uint64_t pid, ppid;
	uint64_t start_realtime_ns; /* wall clock at start, ns since the epoch */
	uint64_t clock;             /* 1 = CLOCK_MONOTONIC */
	uint64_t start_monotonic_ns;/* event times are relative to this */
	const char *cmdline; size_t cmdline_len; /* args separated by NUL */
	const char *exe; size_t exe_len;
};

/* ---- encoder ---------------------------------------------------------- */

/*
 * An encoder fills one chunk in caller-owned memory [buf, buf+cap).  The
 * first CZT_CHUNK_HEADER_LEN bytes are reserved for the chunk header, which
 * czt_enc_finish writes.  Callers check czt_enc_room() before appending: a
 * record never exceeds CZT_ENC_MAX_RECORD bytes (FRAME and STRING records,
 * whose size depends on their content, are checked by their encoder).
 */
#define CZT_ENC_MAX_RECORD 80

struct czt_enc {
	uint8_t *buf, *pos, *end;
	unsigned type;
	uint64_t last_time;
	uint64_t last_addr;
	uint64_t n_records;
	uint64_t op;      /* the chunk's current CZT_OP_* (set by call records) */
};

static inline uint8_t *czt_put_varint(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

static inline uint64_t czt_zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t czt_unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static inline size_t czt_enc_room(const struct czt_enc *e)
{
	return (size_t)(e->end - e->pos);
}

static inline int czt_enc_empty(const struct czt_enc *e)
{
	return e->n_records == 0;
}

/* Starts a chunk.  EVENTS chunks name their thread and base time (the
 * time deltas of the chunk's records start from base_time); other chunk
 * types pass 0, 0.  cap must be > CZT_CHUNK_HEADER_LEN + 32. */
void czt_enc_init(struct czt_enc *e, void *buf, size_t cap, unsigned chunk_type,
		  uint64_t tid, uint64_t base_time);

/* Writes the chunk header (length, checksum) and returns the total chunk
 * length in bytes, ready to write at e->buf. */
size_t czt_enc_finish(struct czt_enc *e);

/* Writes the header of a chunk whose stored payload (stored_len bytes)
 * already follows it at chunk + CZT_CHUNK_HEADER_LEN: flags 0 (then
 * raw_len == stored_len) or CZT_CHUNK_ZSTD.  Returns the total chunk length.
 * For writers that compress a finished chunk's payload elsewhere. */
size_t czt_chunk_seal(uint8_t *chunk, unsigned type, unsigned flags, uint32_t stored_len,
		      uint32_t raw_len);

static inline uint8_t *czt__put_time(struct czt_enc *e, uint8_t *p, uint64_t t)
{
	/* times within one thread only grow; a clock that stepped back is
	 * clamped so that the delta stays unsigned */
	uint64_t d = t >= e->last_time ? t - e->last_time : 0;
	if (t > e->last_time)
		e->last_time = t;
	return czt_put_varint(p, d);
}

static inline uint8_t *czt__put_addr(struct czt_enc *e, uint8_t *p, uint64_t a)
{
	p = czt_put_varint(p, czt_zigzag((int64_t)(a - e->last_addr)));
	e->last_addr = a;
	return p;
}

/* A CALL record (FORMAT.md): the chunk's operator becomes op, for this
 * event and those after it, and the next event, a free, has stack (0:
 * none).  Writers use czt_enc_op_alloc and czt_enc_op_free; the other
 * event encoders set the operator back to CZT_OP_C first, so every event
 * names its own. */
static inline void czt__put_call(struct czt_enc *e, uint64_t op, uint64_t stack)
{
	uint8_t *p = e->pos, *body = p + 2;
	*p = CZT_REC_CALL;
	uint8_t *q = czt_put_varint(body, op);
	if (stack)
		q = czt_put_varint(q, stack);
	p[1] = (uint8_t)(q - body); /* at most 20 bytes: a one-byte length */
	e->pos = q;
	e->op = op;
}

/* Before an event of a C function: the operator back to CZT_OP_C (a call
 * record of 3 bytes, only after a C++ operator's event). */
static inline void czt__c_event(struct czt_enc *e)
{
	if (__builtin_expect(e->op != 0, 0))
		czt__put_call(e, 0, 0);
}

/* type: one of CZT_REC_MALLOC..CZT_REC_PVALLOC.  addr 0 = the call failed. */
static inline void czt__alloc(struct czt_enc *e, unsigned type, uint64_t t,
			      uint64_t addr, uint64_t size, uint64_t stack)
{
	uint8_t *p = e->pos;
	*p++ = (uint8_t)type;
	p = czt__put_time(e, p, t);
	p = czt__put_addr(e, p, addr);
	p = czt_put_varint(p, size);
	p = czt_put_varint(p, stack);
	e->pos = p;
	e->n_records++;
}

static inline void czt_enc_alloc(struct czt_enc *e, unsigned type, uint64_t t,
				 uint64_t addr, uint64_t size, uint64_t stack)
{
	czt__c_event(e);
	czt__alloc(e, type, t, addr, size, stack);
}

static inline void czt__free(struct czt_enc *e, uint64_t t, uint64_t addr)
{
	uint8_t *p = e->pos;
	*p++ = CZT_REC_FREE;
	p = czt__put_time(e, p, t);
	p = czt__put_addr(e, p, addr);
	e->pos = p;
	e->n_records++;
}

static inline void czt_enc_free(struct czt_enc *e, uint64_t t, uint64_t addr)
{
	czt__c_event(e);
	czt__free(e, t, addr);
}

/* An allocation by the C++ operator op (CZT_OP_NEW...), written as a
 * malloc record, after a call record when the chunk's operator was
 * another.  Room: as any record (CZT_ENC_MAX_RECORD covers both). */
static inline void czt_enc_op_alloc(struct czt_enc *e, uint64_t op, uint64_t t, uint64_t addr,
				    uint64_t size, uint64_t stack)
{
	if (op != e->op)
		czt__put_call(e, op, 0);
	czt__alloc(e, CZT_REC_MALLOC, t, addr, size, stack);
}

/* A release by op (CZT_OP_C for free(), the delete operators), with its
 * stack (0: not recorded). */
static inline void czt_enc_op_free(struct czt_enc *e, uint64_t op, uint64_t stack, uint64_t t,
				   uint64_t addr)
{
	if (op != e->op || stack)
		czt__put_call(e, op, stack);
	czt__free(e, t, addr);
}

/* t_free: when the old block was released (taken before the call),
 * t: when the new block existed (taken after it).  t_free <= t.
 * type: CZT_REC_REALLOC or CZT_REC_REALLOCARRAY.  The recorder reads the
 * clock once for a realloc that stays in place, starts from NULL or runs
 * while no other thread records, so the two times are usually equal; then
 * a compact form leaves out dt_free, the repeated address of an in-place
 * resize, or the old address 0 (whose delta is as long as a whole address,
 * and would make the new address's delta whole too). */
static inline void czt_enc_realloc(struct czt_enc *e, unsigned type, uint64_t t_free,
				   uint64_t t, uint64_t old_addr, uint64_t new_addr,
				   uint64_t size, uint64_t stack)
{
	czt__c_event(e);
	uint8_t *p = e->pos;
	p = czt__put_time(e, p + 1, t);
	uint64_t dt_free = t > t_free ? t - t_free : 0;
	if (dt_free) {
		*e->pos = (uint8_t)type;
		p = czt_put_varint(p, dt_free);
		p = czt__put_addr(e, p, old_addr);
		p = czt__put_addr(e, p, new_addr);
	} else if (!old_addr) {
		*e->pos = (uint8_t)(type + (CZT_REC_REALLOC_NEW - CZT_REC_REALLOC));
		p = czt__put_addr(e, p, new_addr);
	} else if (new_addr == old_addr) {
		*e->pos = (uint8_t)(type + (CZT_REC_REALLOC_IN_PLACE - CZT_REC_REALLOC));
		p = czt__put_addr(e, p, new_addr);
	} else {
		*e->pos = (uint8_t)(type + (CZT_REC_REALLOC_MOVED - CZT_REC_REALLOC));
		p = czt__put_addr(e, p, old_addr);
		p = czt__put_addr(e, p, new_addr);
	}
	p = czt_put_varint(p, size);
	p = czt_put_varint(p, stack);
	e->pos = p;
	e->n_records++;
}

/* Allocator-library events.  type is CZT_REC_CZ_*; fields a record does
 * not have are ignored (see FORMAT.md for each layout). */
void czt_enc_cz(struct czt_enc *e, const struct czt_record *r);

/* Length-prefixed records (META, SYMBOLS and FOOTER chunks, PROCESS_END
 * in any chunk).  Each returns CZT_ERR_CORRUPT and writes nothing if the
 * record would not fit in the remaining room. */
int czt_enc_stack_node(struct czt_enc *e, uint64_t id, uint64_t parent, uint64_t ip);
int czt_enc_string(struct czt_enc *e, uint64_t id, const void *s, size_t len);
int czt_enc_module_load(struct czt_enc *e, uint64_t t, uint64_t id, uint64_t bias,
			uint64_t start, uint64_t end, const char *path, size_t path_len,
			const uint8_t *build_id, size_t build_id_len);
int czt_enc_module_unload(struct czt_enc *e, uint64_t t, uint64_t id);
int czt_enc_thread_start(struct czt_enc *e, uint64_t t, uint64_t tid, uint64_t name);
int czt_enc_thread_end(struct czt_enc *e, uint64_t t, uint64_t tid);
int czt_enc_frame(struct czt_enc *e, uint64_t ip, uint64_t module, unsigned n,
		  const struct czt_frame_sym *frames);
int czt_enc_process_end(struct czt_enc *e, uint64_t t, uint64_t how, uint64_t value);
int czt_enc_summary(struct czt_enc *e, uint64_t n_events, uint64_t n_stack_nodes,
		    uint64_t end_time);
/* why: enum czt_lost_why; err: the errno of a failed write, else 0 (both
 * 0: written in the form before 3.3, without them) */
int czt_enc_lost(struct czt_enc *e, uint64_t t, uint64_t n_lost, uint64_t why, uint64_t err);
/* Recording of an image began at t (META): the first image, or the one an
 * exec started.  Its executable and command line (arguments separated by
 * NUL bytes), each cut to fit a record; flags CZT_IMAGE_*; early: the
 * number of early-block records that follow. */
int czt_enc_image(struct czt_enc *e, uint64_t t, const char *exe, size_t exe_len, const char *cmdline,
		  size_t cmdline_len, uint64_t flags, uint64_t early);
/* What the EVENTS chunk written right after this record's META chunk holds:
 * n_events events, the last at end_time. */
int czt_enc_chunk_events(struct czt_enc *e, uint64_t n_events, uint64_t end_time);
int czt_enc_early_block(struct czt_enc *e, uint64_t addr, uint64_t size);
/* SCAN chunk records (czt_scan.h builds the lists). */
int czt_enc_scan_region(struct czt_enc *e, uint64_t start, uint64_t end, uint64_t kind);
int czt_enc_scan_list(struct czt_enc *e, unsigned type, const uint8_t *list, size_t len);
int czt_enc_scan_end(struct czt_enc *e, uint64_t t, uint64_t words, uint64_t bytes, uint64_t ns);

/* Encodes a file header into buf (cap bytes).  Returns its length, or 0 if
 * it does not fit. */
size_t czt_header_encode(uint8_t *buf, size_t cap, const struct czt_header *h);

/* CRC-32C (Castagnoli), as used by every checksum in the format. */
uint32_t czt_crc32c(uint32_t crc, const void *data, size_t len);

/* ---- decoder ---------------------------------------------------------- */

/*
 * A streaming reader over a file or a memory buffer.  It reads the header,
 * then one chunk at a time; records are iterated from the current chunk.
 * A reader never trusts a length: every id, length and count is bounded.
 *
 * Following a growing file: when czt_reader_next_chunk returns
 * CZT_ERR_TRUNCATED at the end of a file still being written, the caller may
 * wait and call it again; the reader rewinds to the start of the partial
 * chunk first.
 */
struct czt_reader;

struct czt_chunk {
	unsigned type;
	unsigned flags;
	uint64_t offset;   /* file offset of the chunk header */
	uint64_t tid;      /* EVENTS: the thread */
	uint64_t base_time;/* EVENTS: first time delta is from here */
	size_t raw_len;    /* payload length after decompression */
	int passed;        /* passed over (czt_reader_pass_next): not read, no records */
};

/* Opens path for reading.  Caller owns *out and frees it with
 * czt_reader_free.  Fails with CZT_ERR_IO (errno set), CZT_ERR_MAGIC,
 * CZT_ERR_VERSION, CZT_ERR_TRUNCATED or CZT_ERR_CHECKSUM. */
int czt_reader_open(struct czt_reader **out, const char *path);

/* Same over [data, data+len); the memory must outlive the reader. */
int czt_reader_open_mem(struct czt_reader **out, const void *data, size_t len);

void czt_reader_free(struct czt_reader *r);

/* Valid while the reader lives. */
const struct czt_header *czt_reader_header(const struct czt_reader *r);

/*
 * Advances to the next chunk.  Returns CZT_OK with *c filled, CZT_EOF at a
 * clean end, or an error: CZT_ERR_TRUNCATED (input ends inside a chunk),
 * CZT_ERR_CHECKSUM, CZT_ERR_CORRUPT, CZT_ERR_UNSUPPORTED.  After an error,
 * czt_reader_offset() tells where the bad chunk starts; everything before it
 * was whole.
 */
int czt_reader_next_chunk(struct czt_reader *r, struct czt_chunk *c);

/*
 * Decodes the next record of the current chunk into *rec.  Returns CZT_OK,
 * CZT_EOF at the end of the chunk, or CZT_ERR_CORRUPT.  Unknown
 * length-prefixed records are skipped silently; an unknown core record is
 * CZT_ERR_CORRUPT (the rest of the chunk cannot be parsed).
 */
int czt_reader_next_record(struct czt_reader *r, struct czt_record *rec);

/*
 * The rest of the current chunk's records, kept to be read later: a
 * reader of the whole trace may take a thread's chunk when its place in
 * the global order comes rather than when the file reaches it, and a
 * chunk's decompressed records are a quarter of the size of the events
 * they become.  czt_reader_hold copies what czt_reader_next_record would
 * still return (the reader then is at the chunk's end); the records come
 * out of czt_held_next_record exactly as they would have, with the same
 * returns.  Caller owns *out and frees it with czt_held_free; a record's
 * strings point into it.  Returns CZT_OK or CZT_ERR_NOMEM.
 */
struct czt_held;
int czt_reader_hold(struct czt_reader *r, struct czt_held **out);
int czt_held_next_record(struct czt_held *h, struct czt_record *rec);
/* The record czt_held_next_record would return next, and its return,
 * leaving it there. */
int czt_held_peek(const struct czt_held *h, struct czt_record *rec);
/* The memory h takes. */
size_t czt_held_bytes(const struct czt_held *h);
void czt_held_free(struct czt_held *h);

/*
 * Steps over the allocation events (core records) from the cursor of the
 * current chunk up to its end or its next other record, adding their number
 * to *events and raising *end_time to the last one's time: all that some
 * readers need of them, at a fraction of the cost of decoding.  Returns
 * CZT_OK, or CZT_ERR_CORRUPT at a malformed event (the cursor stays before
 * it).  Their addresses are not followed: afterwards, read only the other
 * records of the chunk with czt_reader_next_record (it returns the one this
 * stopped at), calling this again after each.
 */
int czt_reader_count_events(struct czt_reader *r, uint64_t *events, uint64_t *end_time);

/* Skimming (on = 1): the events of EVENTS chunks in column form are only
 * counted (czt_reader_count_events reports them), never rebuilt, which costs
 * a fraction of decoding them; those chunks then yield no records at all,
 * length-prefixed ones included.  For readers that only follow a trace for
 * its definitions and counts.  Off by default. */
void czt_reader_skim(struct czt_reader *r, int on);

/*
 * Read-ahead: from now on a second thread reads, checks and decompresses
 * the next chunks (at most two) while the caller decodes the current one;
 * every result, offset and error stays what it would be without it.  For a
 * reader of a file (not memory) that is read to its end and does not skim;
 * not for a file still growing.  Returns 0 (on, or already on), or -1:
 * the reader goes on by itself (a memory or skimming reader, one CPU for
 * this process, no thread or memory).  Turning skimming on ends it.  The
 * thread ends at the first chunk it cannot read, at the end of the file,
 * or in czt_reader_free; memory: three payload buffers, each at most
 * CZT_CHUNK_MAX_RAW, and the thread's own zstd context and scratch.
 */
int czt_reader_read_ahead(struct czt_reader *r);

/* The next chunk, if it is an EVENTS chunk, is passed over: its header is
 * checked and the chunk must be whole in the file, but its payload is
 * neither read nor checked, and it yields no records (c->passed = 1, tid
 * and base_time 0).  For a follower that has just read the chunk's
 * chunk-events record and needs nothing else from it.  The request holds
 * until a chunk is returned (a chunk not yet whole is retried with it). */
void czt_reader_pass_next(struct czt_reader *r);

/* Offset just past the last whole chunk read (or of the failing chunk after
 * an error). */
uint64_t czt_reader_offset(const struct czt_reader *r);

/* The file size seen so far (memory: the buffer length). */
uint64_t czt_reader_size(const struct czt_reader *r);

/* The payload bytes, after decompression, of the chunks from the reader's
 * position to the end (or to the first chunk header that is not sound),
 * found by reading only chunk headers; the reader's position is kept.  A
 * hint for sizing what a reader builds: nothing is checked but the
 * headers' bounds. */
uint64_t czt_reader_raw_bytes(struct czt_reader *r);

/* What the FOOTER chunk of a finished trace says (czprof record writes it
 * last): how many events the trace holds and when the last one happened,
 * and how the process ended. */
struct czt_footer {
	uint64_t events, stack_nodes, end_time; /* the summary record */
	int has_end;                            /* a process-end record was there: */
	uint64_t end_how, end_value;            /* its how and value */
};

/*
 * Reads the footer without reading the events: walks the chunk headers
 * from the reader's position (which it keeps) to the end of the file and,
 * when the last chunk is a sound, uncompressed FOOTER chunk that ends the
 * file exactly, checks it and decodes its summary.  Returns CZT_OK with
 * *out filled; CZT_EOF when there is no such footer (a trace still being
 * written, cut, or recorded without czprof record), a header on the way
 * cannot be read, or the footer holds no summary; CZT_ERR_CHECKSUM,
 * CZT_ERR_CORRUPT, CZT_ERR_IO or CZT_ERR_NOMEM.
 */
int czt_reader_footer(struct czt_reader *r, struct czt_footer *out);

/* Human name of a record type ("malloc", "free", "stack-node"…), or NULL. */
const char *czt_rec_name(unsigned type);

#endif
