/*
 * rec_scan.c - the pointer scan at exit.  When the program ends (exit,
 * return from main, _exit) the recorder reads the process's writable
 * memory and writes into SCAN chunks every aligned word whose value points
 * where heap blocks can live, with where it was found (FORMAT.md, "Scan
 * chunks").  The analysis then tells, as memcheck does, blocks still
 * reachable from blocks lost (lib/analysis/kinds.c).
 *
 * What is read: every private readable and writable mapping (static data
 * of every module, thread stacks and their TLS, anonymous mappings, the
 * brk heap), but not the recorder's own memory (its buffers are full of
 * heap addresses), not device mappings, not the exiting thread's stack
 * below the scan's own frame, and not pages never touched (mincore), which
 * hold only zeros.  The exiting thread's registers are spilled to its
 * stack first.
 *
 * glibc's malloc memory (the brk heap and the heaps of its other arenas)
 * is marked CZT_SCAN_HEAP: there a word outside every live block is a
 * freed chunk's stale data or malloc's own, never a root.
 *
 * For memcheck's heuristics the scan also writes the words just before a
 * pointer that is 8 bytes past a 16-byte boundary (a length or an element
 * count before an array, a std::string's header: CONTEXT lists) and where
 * a word in heap memory points at a vtable (VTABLES lists).
 *
 * Other threads keep running during the scan: a block they allocate while
 * it runs is judged by its time (SCAN_END.time), never called lost.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <link.h>
#include <string.h>
#include <sys/mman.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "format/czt_scan.h"
#include "lib/recorder/rec.h"
#include "lib/recorder/rec_mmap.h"

/* ---- the recorder's own memory ---- */

#define OWN_MAX 8192
static struct own_range {
	uintptr_t lo, hi;
} own[OWN_MAX];
static int n_own, own_overflow;
static int own_lock;

static void own_take(void)
{
	while (__atomic_exchange_n(&own_lock, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&own_lock, __ATOMIC_RELAXED))
			__builtin_ia32_pause();
}

static void own_drop(void)
{
	__atomic_store_n(&own_lock, 0, __ATOMIC_RELEASE);
}

void rec_own_note(void *p, size_t len)
{
	if (!p)
		return;
	own_take();
	if (n_own < OWN_MAX)
		own[n_own++] = (struct own_range){ (uintptr_t)p, (uintptr_t)p + len };
	else
		own_overflow = 1;
	own_drop();
}

void rec_own_forget(void *p)
{
	own_take();
	for (int i = 0; i < n_own; i++)
		if (own[i].lo == (uintptr_t)p) {
			own[i] = own[--n_own];
			break;
		}
	own_drop();
}

static uintptr_t hex(const char **pp);

/* ---- threads' stacks ----
 * Memory below a live thread's stack pointer and the stacks glibc keeps
 * for later threads hold stale frames: memcheck never reads them, and the
 * scan reads them only when it cannot tell. */

#define DEAD_MAX 1024
static struct own_range dead[DEAD_MAX];
static int n_dead;

/* The lowest static TLS block of the calling thread (x86-64 puts them
 * below the thread pointer, at the top of a thread's stack mapping). */
static int lowest_tls(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	uintptr_t *low = arg, at = (uintptr_t)info->dlpi_tls_data;
	if (at && at < *low)
		*low = at;
	return 0;
}

void rec_scan_thread_exit(void)
{
	/* dead: the whole stack below the thread's TLS, as memcheck sees an
	 * exited thread's; the TLS and thread control block, which glibc's
	 * cache of stacks keeps, stay read */
	uintptr_t lo, hi, here = (uintptr_t)__builtin_frame_address(0), tls = UINTPTR_MAX;
	if (!rec_settings.scan) /* no scan will read it: spare the exit its walks */
		return;
	if (rec_thread_stack(&lo, &hi) || here <= lo || here > hi)
		return;
	dl_iterate_phdr(lowest_tls, &tls);
	hi = tls > here && tls <= hi + 65536 ? tls & ~(uintptr_t)7 : here & ~(uintptr_t)7;
	own_take();
	int i = 0;
	while (i < n_dead && dead[i].lo != lo)
		i++;
	if (i < DEAD_MAX) {
		dead[i] = (struct own_range){ lo, hi };
		if (i == n_dead)
			n_dead++;
	}
	own_drop();
}

#define LIVE_MAX 4096
static uintptr_t live_sp[LIVE_MAX];
static int n_live, live_unknown;

/* The stack pointers of the process's other threads, from
 * /proc/self/task/TID/syscall (a thread blocked in the kernel shows it; a
 * running one does not: live_unknown). */
static void read_live_sps(void)
{
	n_live = 0;
	live_unknown = 0;
	int dir = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0) {
		live_unknown = 1;
		return;
	}
	static char ents[8192];
	long self_tid = syscall(SYS_gettid), n;
	while ((n = syscall(SYS_getdents64, dir, ents, sizeof(ents))) > 0) {
		for (long off = 0; off < n;) {
			struct { uint64_t ino; int64_t off; unsigned short len; unsigned char type; char name[]; }
				*d = (void *)(ents + off);
			off += d->len;
			long tid = 0;
			for (const char *p = d->name; *p >= '0' && *p <= '9'; p++)
				tid = tid * 10 + (*p - '0');
			if (!tid || tid == self_tid)
				continue;
			char path[64], buf[256];
			snprintf(path, sizeof(path), "/proc/self/task/%ld/syscall", tid);
			int fd = open(path, O_RDONLY | O_CLOEXEC);
			ssize_t len = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
			if (fd >= 0)
				close(fd);
			/* "nr args... sp pc", or "-1 sp pc", or "running" */
			const char *sp = NULL, *last = NULL;
			if (len > 0) {
				buf[len] = 0;
				for (char *p = buf; *p; p++)
					if (*p == ' ') {
						sp = last;
						last = p + 1;
					}
			}
			if (!sp || sp[0] != '0' || sp[1] != 'x' || n_live == LIVE_MAX) {
				live_unknown = 1;
				continue;
			}
			const char *h = sp + 2;
			live_sp[n_live++] = hex(&h);
		}
	}
	close(dir);
}

/* The lowest address of [lo, hi) that a scan reads: from a stack pointer
 * in it (less the red zone leaf functions may use), past the dead part of
 * a stack no thread runs on any more, else its start. */
static uintptr_t live_from(uintptr_t lo, uintptr_t hi)
{
	for (int i = 0; i < n_live; i++)
		if (live_sp[i] >= lo && live_sp[i] < hi)
			return live_sp[i] - 128 > lo ? (live_sp[i] - 128) & ~(uintptr_t)7 : lo;
	for (int i = 0; i < n_dead && !live_unknown; i++)
		if (dead[i].lo <= lo && lo < dead[i].hi)
			return dead[i].hi < hi ? dead[i].hi : hi;
	return lo;
}

/* ---- the mappings ---- */

enum {
	MF_R = 1, MF_W = 2, MF_X = 4, MF_P = 8,
	MF_FILE = 16,  /* backed by a file */
	MF_SKIP = 32,  /* never read: devices, [vvar], [vsyscall] */
	MF_BRK = 64,   /* [heap] */
	MF_OWN = 128,  /* the recorder's */
};

struct map {
	uintptr_t lo, hi;
	unsigned flags;
};

#define MAPS_MAX (1u << 16)
static struct map *maps;
static size_t n_maps;

static uintptr_t hex(const char **pp)
{
	uintptr_t v = 0;
	const char *p = *pp;
	for (;; p++) {
		unsigned c = (unsigned char)*p;
		if (c >= '0' && c <= '9')
			v = v * 16 + (c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + (c - 'a' + 10);
		else
			break;
	}
	*pp = p;
	return v;
}

/* One line of /proc/self/maps: "lo-hi perms offset dev inode   path". */
static void parse_line(const char *p, const char *end)
{
	if (n_maps == MAPS_MAX)
		return;
	struct map m = { 0, 0, 0 };
	m.lo = hex(&p);
	if (p >= end || *p++ != '-')
		return;
	m.hi = hex(&p);
	if (end - p < 5)
		return;
	p++;
	m.flags |= (p[0] == 'r' ? MF_R : 0) | (p[1] == 'w' ? MF_W : 0) | (p[2] == 'x' ? MF_X : 0) |
		   (p[3] == 'p' ? MF_P : 0);
	/* skip offset, dev and inode to the path */
	for (int field = 0; field < 4 && p < end; field++) {
		while (p < end && *p != ' ')
			p++;
		while (p < end && *p == ' ')
			p++;
	}
	size_t n = (size_t)(end - p);
	if (n && *p == '/') {
		m.flags |= MF_FILE;
		if (n >= 5 && !memcmp(p, "/dev/", 5) && !(n >= 9 && !memcmp(p, "/dev/zero", 9)) &&
		    !(n >= 9 && !memcmp(p, "/dev/shm/", 9)))
			m.flags |= MF_SKIP;
	} else if (n >= 6 && !memcmp(p, "[heap]", 6))
		m.flags |= MF_BRK;
	else if (n && *p == '[' && !(n >= 7 && !memcmp(p, "[stack", 6)) &&
		 !(n >= 6 && !memcmp(p, "[anon", 5)))
		m.flags |= MF_SKIP; /* [vvar], [vdso], [vsyscall], ... */
	maps[n_maps++] = m;
}

static int read_maps(void)
{
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	static char buf[65536];
	size_t have = 0;
	for (;;) {
		ssize_t r = read(fd, buf + have, sizeof(buf) - have);
		if (r <= 0)
			break;
		have += (size_t)r;
		size_t start = 0;
		for (size_t i = 0; i < have; i++)
			if (buf[i] == '\n') {
				parse_line(buf + start, buf + i);
				start = i + 1;
			}
		memmove(buf, buf + start, have - start);
		have -= start;
		if (have == sizeof(buf))
			have = 0; /* a line longer than the buffer: drop it */
	}
	close(fd);
	return 0;
}

/* The map holding a, or NULL. */
static const struct map *map_of(uintptr_t a)
{
	size_t lo = 0, hi = n_maps;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (a < maps[mid].lo)
			hi = mid;
		else if (a >= maps[mid].hi)
			lo = mid + 1;
		else
			return &maps[mid];
	}
	return NULL;
}

/* Where heap blocks can live: anonymous private writable memory that is
 * not the recorder's (the brk heap, malloc's arenas and mmapped chunks). */
static int is_target(const struct map *m)
{
	return m && (m->flags & (MF_R | MF_W | MF_P)) == (MF_R | MF_W | MF_P) &&
	       !(m->flags & (MF_FILE | MF_SKIP | MF_OWN));
}

/* ---- the output ---- */

#define CHUNK_CAP (256 * 1024)

enum { L_WORDS, L_CONTEXT, L_VTABLES, N_LISTS };
static const unsigned list_type[N_LISTS] = { CZT_REC_SCAN_WORDS, CZT_REC_SCAN_CONTEXT,
					     CZT_REC_SCAN_VTABLES };

struct out {
	uint8_t *chunk;
	struct czt_enc enc;
	uint8_t *list[N_LISTS], *pos[N_LISTS];
	struct czt_scan_cursor cur[N_LISTS];
	uint64_t words;
};

static void out_chunk(struct out *o)
{
	if (!czt_enc_empty(&o->enc))
		rec_write_chunk(o->chunk, (size_t)(o->enc.pos - o->chunk) - CZT_CHUNK_HEADER_LEN,
				CZT_CHUNK_SCAN);
	czt_enc_init(&o->enc, o->chunk, CHUNK_CAP, CZT_CHUNK_SCAN, 0, 0);
}

static void out_list(struct out *o, int k)
{
	size_t len = (size_t)(o->pos[k] - o->list[k]);
	if (!len)
		return;
	if (czt_enc_room(&o->enc) < len + 16)
		out_chunk(o);
	czt_enc_scan_list(&o->enc, list_type[k], o->list[k], len);
	o->pos[k] = o->list[k];
	o->cur[k] = (struct czt_scan_cursor){ 0, 0 };
}

static inline void put(struct out *o, int k, uintptr_t where, uint64_t value)
{
	if (REC_UNLIKELY((size_t)(o->pos[k] - o->list[k]) > CZT_SCAN_LIST_MAX - CZT_SCAN_ENTRY_MAX))
		out_list(o, k);
	o->pos[k] = czt_scan_put(o->pos[k], &o->cur[k], where, value, k != L_VTABLES);
}

static void out_region(struct out *o, uintptr_t lo, uintptr_t hi, unsigned kind)
{
	/* the lists before it belong to the regions before it */
	for (int k = 0; k < N_LISTS; k++)
		out_list(o, k);
	if (czt_enc_room(&o->enc) < 48)
		out_chunk(o);
	czt_enc_scan_region(&o->enc, lo, hi, kind);
}

/* ---- vtables ---- */

/* memcheck's test: a readable file-backed word array whose first 20
 * entries hold at least two pointers into code, and nothing but code
 * pointers and zeros before them. */
static int is_vtable(uintptr_t v)
{
	static struct { uintptr_t at; int yes; } seen[256];
	unsigned h = (unsigned)((v >> 3) * 0x9E3779B1u) >> 24;
	if (seen[h].at == v)
		return seen[h].yes;
	int yes = 0;
	const struct map *m = map_of(v);
	if (m && (m->flags & (MF_FILE | MF_R)) == (MF_FILE | MF_R) && !(m->flags & MF_SKIP)) {
		int fns = 0;
		for (uintptr_t a = v; a + 8 <= m->hi && a < v + 20 * 8; a += 8) {
			uintptr_t f = *(const uintptr_t *)a;
			if (!f)
				continue;
			const struct map *fm = map_of(f);
			if (!fm || (fm->flags & (MF_FILE | MF_X)) != (MF_FILE | MF_X))
				break;
			if (++fns == 2) {
				yes = 1;
				break;
			}
		}
	}
	seen[h].at = v;
	seen[h].yes = yes;
	return yes;
}

/* ---- the scan ---- */

struct targets {
	uintptr_t lo, span;         /* every target lies in [lo, lo + span) */
	uintptr_t mod_lo, mod_span; /* every readable file mapping, for vtables */
};

static void scan_words(struct out *o, const struct targets *t, uintptr_t lo, uintptr_t hi,
		       int in_target)
{
	const struct map *last = NULL;
	for (uintptr_t a = lo; a < hi; a += 8) {
		uintptr_t v = *(const volatile uintptr_t *)a;
		if (v - t->lo >= t->span && v - t->mod_lo >= t->mod_span)
			continue; /* most data: nowhere near a mapping */
		const struct map *m = last && v >= last->lo && v < last->hi ? last : map_of(v);
		if (!m)
			continue;
		last = m;
		if (is_target(m)) {
			put(o, L_WORDS, a, v);
			o->words++;
			/* a length, count or string header may lie just before */
			if ((v & 15) == 8)
				for (uintptr_t c = v - 24; c < v; c += 8)
					if (c >= m->lo)
						put(o, L_CONTEXT, c, *(const uintptr_t *)c);
		} else if (in_target && !(v & 7) && (m->flags & MF_FILE) && is_vtable(v)) {
			put(o, L_VTABLES, a, 0);
		}
	}
}

/* Reads [lo, hi) page run by page run, leaving out pages never touched. */
static uint64_t scan_range(struct out *o, const struct targets *t, uintptr_t lo, uintptr_t hi,
			   int in_target)
{
	static unsigned char vec[1024];
	const uintptr_t page = 4096;
	uint64_t bytes = 0;
	uintptr_t base = lo & ~(page - 1);
	while (base < hi) {
		uintptr_t end = base + sizeof(vec) * page;
		if (end > hi || end < base)
			end = (hi + page - 1) & ~(page - 1);
		size_t pages = (end - base) / page;
		int known = mincore((void *)base, end - base, vec) == 0;
		for (size_t i = 0; i < pages; i++) {
			if (known && !(vec[i] & 1))
				continue;
			uintptr_t s = base + i * page;
			size_t run = 1;
			while (i + run < pages && (!known || (vec[i + run] & 1)))
				run++;
			uintptr_t e = s + run * page;
			i += run - 1;
			if (s < lo)
				s = lo;
			if (e > hi)
				e = hi;
			scan_words(o, t, s, e, in_target);
			bytes += e - s;
		}
		base = end;
	}
	return bytes;
}

/* glibc's heap_info at the 64 MiB-aligned start of each heap of an arena
 * other than the main one: the arena it belongs to, the previous heap, its
 * size.  The arena itself lies in its first heap, just after heap_info. */
#define ARENA_HEAP_MAX ((uintptr_t)64 << 20)

static int readable_word(uintptr_t a)
{
	const struct map *m = map_of(a);
	return m && (m->flags & MF_R) && !(m->flags & MF_SKIP) && a + 8 <= m->hi;
}

static uintptr_t arena_heap_size(uintptr_t a)
{
	if (a & (ARENA_HEAP_MAX - 1) || !readable_word(a + 24))
		return 0;
	const uintptr_t *h = (const uintptr_t *)a;
	uintptr_t ar = h[0], size = h[2], mprot = h[3];
	if (!size || size > ARENA_HEAP_MAX || mprot < size || size & 4095)
		return 0;
	uintptr_t first = ar & ~(ARENA_HEAP_MAX - 1);
	if (ar - first > 64 || !readable_word(first) || *(const uintptr_t *)first != ar)
		return 0;
	return size;
}

/* glibc's malloc chunks lie end to end in a heap: a header of two words
 * (the size of the chunk before when that one is free; this chunk's size,
 * its low 3 bits flags), then the block.  Bit 0 of the next chunk's size
 * says this one is in use.  The last chunk, "top", is free and ends the
 * heap.  Reading only the chunks in use leaves out freed memory, whose
 * stale pointers would only be discarded (and make the trace bigger). */
static uintptr_t chunk_size(uintptr_t c)
{
	return ((const uintptr_t *)c)[1] & ~(uintptr_t)7;
}

/* Whether chunks walk from c to the end of the heap (end, or its last
 * page when the break is not page-aligned) with sound sizes. */
static int chunks_whole(uintptr_t c, uintptr_t end)
{
	while (c + 16 <= end) {
		uintptr_t size = chunk_size(c);
		if (!size && end - c < 4096)
			return 1; /* past the break, in its last page */
		if (size < 32 || size & 15 || size > end - c)
			return 0;
		c += size;
	}
	return c <= end;
}

static uint64_t scan_chunks(struct out *o, const struct targets *t, uintptr_t c, uintptr_t end)
{
	uint64_t bytes = 0;
	while (c + 16 <= end) {
		uintptr_t size = chunk_size(c);
		if (!size)
			break;
		uintptr_t next = c + size;
		if (next + 16 <= end && (((const uintptr_t *)next)[1] & 1)) {
			/* in use: its block may run into the next header's first word */
			uintptr_t e = next + 8 < end ? next + 8 : end;
			scan_words(o, t, c + 16, e, 1);
			bytes += e - c - 16;
		}
		c = next;
	}
	return bytes;
}

/* The heap [lo, hi) read chunk by chunk, its first chunk found at one of
 * the offsets glibc puts it at (after heap_info and, in an arena's first
 * heap, the arena itself); read whole when none fits. */
static uint64_t scan_heap(struct out *o, const struct targets *t, uintptr_t lo, uintptr_t hi,
			  uintptr_t first_min, uintptr_t first_max)
{
	out_region(o, lo, hi, CZT_SCAN_HEAP);
	for (uintptr_t c = lo + first_min; c <= lo + first_max && c + 32 <= hi; c += 16)
		if (chunks_whole(c, hi))
			return scan_chunks(o, t, c, hi);
	return scan_range(o, t, lo, hi, 1);
}

static uint64_t scan_map(struct out *o, const struct targets *t, const struct map *m,
			 uintptr_t lo, uintptr_t hi)
{
	if ((m->flags & MF_BRK) && lo == m->lo)
		return scan_heap(o, t, lo, hi, 0, 0); /* the main arena's, from the break's start */
	int target = is_target(m);
	uint64_t bytes = 0;
	uintptr_t a = lo;
	while (a < hi) {
		/* glibc's arena heaps start at 64 MiB boundaries */
		uintptr_t next = target ? (a | (ARENA_HEAP_MAX - 1)) + 1 : hi;
		if (next > hi || next < a)
			next = hi;
		uintptr_t size = target ? arena_heap_size(a) : 0;
		if (size) {
			uintptr_t e = a + size < hi ? a + size : hi;
			/* heap_info is 32 or 48 bytes; an arena's own state
			 * (about 2 KiB) follows it in its first heap */
			bytes += scan_heap(o, t, a, e, 32, 4096);
			a = e;
			continue;
		}
		out_region(o, a, next, (m->flags & MF_BRK) ? CZT_SCAN_HEAP : CZT_SCAN_ROOT);
		bytes += scan_range(o, t, a, next, target);
		a = next;
	}
	return bytes;
}

static void own_sort(struct own_range *v, int n)
{
	for (int i = 1; i < n; i++) {
		struct own_range x = v[i];
		int j = i;
		for (; j > 0 && v[j - 1].lo > x.lo; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

static int self_data(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	uintptr_t here = (uintptr_t)&self_data;
	int mine = 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t s = info->dlpi_addr + ph->p_vaddr;
		if (ph->p_type == PT_LOAD && here >= s && here < s + ph->p_memsz)
			mine = 1;
	}
	if (!mine)
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_W))
			continue;
		uintptr_t s = (info->dlpi_addr + ph->p_vaddr) & ~(uintptr_t)4095;
		uintptr_t e = (info->dlpi_addr + ph->p_vaddr + ph->p_memsz + 4095) & ~(uintptr_t)4095;
		rec_own_note((void *)s, e - s);
	}
	return 1;
}

/* Marks the maps (or their parts) that are the recorder's own: splits a
 * map where one of its ranges starts or ends inside it. */
static void mark_own(void)
{
	static struct own_range v[OWN_MAX];
	own_take();
	int n = n_own;
	memcpy(v, own, (size_t)n * sizeof(*v));
	own_drop();
	own_sort(v, n);
	for (int i = 0; i < n; i++) {
		for (size_t k = 0; k < n_maps && n_maps + 2 <= MAPS_MAX; k++) {
			struct map *m = &maps[k];
			if (m->hi <= v[i].lo || m->lo >= v[i].hi)
				continue;
			if (m->lo < v[i].lo) { /* keep the front as a map of its own */
				memmove(m + 1, m, (n_maps - k) * sizeof(*m));
				n_maps++;
				m->hi = v[i].lo;
				m[1].lo = v[i].lo;
				continue;
			}
			if (m->hi > v[i].hi) {
				memmove(m + 1, m, (n_maps - k) * sizeof(*m));
				n_maps++;
				m->hi = v[i].hi;
				m[1].lo = v[i].hi;
			}
			m->flags |= MF_OWN;
		}
	}
}

/* ---- faults ----
 * Another thread may unmap or protect memory while the scan reads it: a
 * fault in the scanning thread skips the rest of that mapping (memcheck
 * catches its faults the same way).  A fault in any other thread puts the
 * program's own handler back and happens again, as if the scan's were
 * never there. */
static sigjmp_buf scan_jump;
static __thread volatile int tl_scanning;
static struct sigaction old_segv, old_bus;

static void on_scan_fault(int sig, siginfo_t *info, void *ctx)
{
	(void)info;
	(void)ctx;
	if (tl_scanning)
		siglongjmp(scan_jump, 1);
	sigaction(sig, sig == SIGSEGV ? &old_segv : &old_bus, NULL);
}

static void catch_faults(int on)
{
	if (!on) {
		sigaction(SIGSEGV, &old_segv, NULL);
		sigaction(SIGBUS, &old_bus, NULL);
		return;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_scan_fault;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER; /* no mask to restore after the jump */
	sigaction(SIGSEGV, &sa, &old_segv);
	sigaction(SIGBUS, &sa, &old_bus);
}

static __attribute__((noinline)) void scan_all(uintptr_t sp, const uintptr_t *regs, int n_regs)
{
	uint64_t t0 = rec_clock_mono(), when = rec_now();
	size_t maps_bytes = MAPS_MAX * sizeof(struct map);
	size_t list_bytes = CZT_SCAN_LIST_MAX + CZT_SCAN_ENTRY_MAX;
	size_t need = maps_bytes + CHUNK_CAP + N_LISTS * list_bytes;
	uint8_t *mem = rec_mmap(need); /* noted as the recorder's by rec_mmap */
	if (!mem)
		return;
	maps = (struct map *)mem;
	static struct out o; /* static: kept across a fault's jump */
	o = (struct out){ .chunk = mem + maps_bytes };
	for (int k = 0; k < N_LISTS; k++)
		o.list[k] = o.pos[k] = o.chunk + CHUNK_CAP + (size_t)k * list_bytes;
	czt_enc_init(&o.enc, o.chunk, CHUNK_CAP, CZT_CHUNK_SCAN, 0, 0);
	dl_iterate_phdr(self_data, NULL);
	n_maps = 0;
	if (read_maps())
		goto out;
	mark_own();
	read_live_sps();

	uintptr_t lo = UINTPTR_MAX, hi = 0, mod_lo = UINTPTR_MAX, mod_hi = 0;
	for (size_t i = 0; i < n_maps; i++) {
		const struct map *m = &maps[i];
		if (is_target(m)) {
			lo = m->lo < lo ? m->lo : lo;
			hi = m->hi > hi ? m->hi : hi;
		}
		if ((m->flags & (MF_FILE | MF_R)) == (MF_FILE | MF_R)) {
			mod_lo = m->lo < mod_lo ? m->lo : mod_lo;
			mod_hi = m->hi > mod_hi ? m->hi : mod_hi;
		}
	}
	struct targets t = { lo, hi > lo ? hi - lo : 0, mod_lo, mod_hi > mod_lo ? mod_hi - mod_lo : 0 };
	static volatile uint64_t scanned; /* kept across a fault's jump */
	scanned = 0;
	if (n_regs) { /* the registers at the exit call: roots */
		out_region(&o, (uintptr_t)regs, (uintptr_t)(regs + n_regs), CZT_SCAN_ROOT);
		scan_words(&o, &t, (uintptr_t)regs, (uintptr_t)(regs + n_regs), 0);
	}
	catch_faults(1);
	tl_scanning = 1;
	for (volatile size_t i = 0; i < n_maps; i++) {
		const struct map *m = &maps[i];
		if ((m->flags & (MF_R | MF_W)) != (MF_R | MF_W) || (m->flags & (MF_SKIP | MF_OWN)))
			continue;
		if (sigsetjmp(scan_jump, 0))
			continue; /* the mapping went away under the scan */
		uintptr_t from = m->lo;
		if (sp >= m->lo && sp < m->hi)
			from = sp & ~(uintptr_t)7; /* the exiting thread: its live stack only */
		else if (!(m->flags & MF_FILE))
			from = live_from(m->lo, m->hi);
		if (from < m->hi)
			scanned += scan_map(&o, &t, m, from, m->hi);
	}
	tl_scanning = 0;
	catch_faults(0);
	uint64_t bytes = scanned;
	for (int k = 0; k < N_LISTS; k++)
		out_list(&o, k);
	if (czt_enc_room(&o.enc) < 64)
		out_chunk(&o);
	czt_enc_scan_end(&o.enc, when, o.words, bytes, rec_clock_mono() - t0);
	out_chunk(&o);
out:
	maps = NULL;
	rec_own_forget(mem);
	munmap(mem, need);
}

void rec_scan_exit(void)
{
	static int done;
	if (!rec_active || !rec_settings.scan || __atomic_exchange_n(&done, 1, __ATOMIC_ACQ_REL))
		return;
	int was = rec_guard;
	rec_guard = 1;
	/* the callee-saved registers go to this frame, which the scan reads
	 * when exit() is not on the stack (_exit): a pointer the program
	 * holds only in a register is seen */
	__builtin_unwind_init();
	uintptr_t sp;
#if defined(__x86_64__)
	__asm__ volatile("mov %%rsp, %0" : "=r"(sp));
#else
	sp = (uintptr_t)__builtin_frame_address(0) - 512;
#endif
	/* Called from exit() (through the destructors), the stack is read
	 * from the frame that called exit, as memcheck reads it from where the
	 * program ended: the frames of exit and of the handlers it ran lie
	 * over dead frames of the program, whose stale pointers would keep
	 * lost blocks "reachable".  The registers are the caller's at the
	 * call, as the unwind tables restore them. */
	static uintptr_t regs[8];
	int n_regs = 8;
	uintptr_t from = sp;
	Dl_info info;
	const ElfW(Sym) *sym = NULL;
	if (!dladdr1((void *)&exit, &info, (void **)&sym, RTLD_DL_SYMENT) || !sym || !sym->st_size ||
	    rec_frame_above((uintptr_t)info.dli_saddr, (uintptr_t)info.dli_saddr + sym->st_size,
			    &from, regs, &n_regs) || from < sp) {
		from = sp;
		n_regs = 0;
	}
	/* the scan's own frames lie below sp, and are not read */
	scan_all(from, regs, n_regs);
	rec_guard = was;
}
