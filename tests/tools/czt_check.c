/*
 * czt_check - a test tool: reads a trace, puts every allocation event in
 * the global order FORMAT.md defines (time, frees before allocations on
 * equal time, file order), pairs them by address, and prints
 *   events N / allocs N / frees N / unmatched_frees N / conflicts N /
 *   live_blocks N / live_bytes N / cz_events N / cut 0|1 / end_how H / end_value V /
 *   announced N / announce_mismatches N / big_columns N / big_frames N
 * so that recorder tests can assert exact figures without the SQLite
 * loader.  Pairing is done with a sorted array: simple, not fast.
 * announced: chunk-events records; announce_mismatches: those followed by
 * something other than an EVENTS chunk of exactly the events and end time
 * they announce.  big_columns, big_frames: EVENTS chunks of 4 KiB or more
 * (the recorder's least for the column form) stored in column form, and
 * as one zstd frame.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/czt.h"

struct ev {
	uint64_t time, seq, addr, size;
	int is_free;
};

static struct ev *evs;
static size_t n_evs, cap_evs;

static void push(uint64_t time, uint64_t addr, uint64_t size, int is_free)
{
	if (n_evs == cap_evs) {
		cap_evs = cap_evs ? cap_evs * 2 : 4096;
		evs = realloc(evs, cap_evs * sizeof(*evs));
		if (!evs)
			exit(2);
	}
	evs[n_evs] = (struct ev){ time, n_evs, addr, size, is_free };
	n_evs++;
}

static int by_order(const void *a, const void *b)
{
	const struct ev *x = a, *y = b;
	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	if (x->is_free != y->is_free)
		return x->is_free ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

struct live {
	uint64_t addr, size;
	int used;
};

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: czt_check TRACE\n");
		return 2;
	}
	struct czt_reader *r;
	int rc = czt_reader_open(&r, argv[1]);
	if (rc) {
		fprintf(stderr, "czt_check: %s: %s\n", argv[1], czt_errstr(rc));
		return 1;
	}
	struct czt_chunk c;
	struct czt_record rec;
	uint64_t events = 0, cz = 0, end_how = 0, end_value = 0;
	uint64_t announced = 0, mismatches = 0, told_events = 0, told_end = 0;
	uint64_t big_columns = 0, big_frames = 0;
	int told = 0;
	while ((rc = czt_reader_next_chunk(r, &c)) == CZT_OK) {
		if (c.type == CZT_CHUNK_EVENTS && c.raw_len >= 4096) {
			big_columns += (c.flags & CZT_CHUNK_COLUMNS) != 0;
			big_frames += (c.flags & CZT_CHUNK_ZSTD) != 0;
		}
		int checking = told;
		told = 0;
		if (checking && c.type != CZT_CHUNK_EVENTS)
			mismatches++, checking = 0;
		uint64_t chunk_events = events + cz, chunk_end = 0;
		while ((rc = czt_reader_next_record(r, &rec)) == CZT_OK) {
			if (czt_rec_is_event(rec.type) && rec.time > chunk_end)
				chunk_end = rec.time;
			switch (rec.type) {
			case CZT_REC_CHUNK_EVENTS:
				announced++;
				told = 1;
				told_events = rec.n_events;
				told_end = rec.end_time;
				break;
			case CZT_REC_MALLOC: case CZT_REC_CALLOC: case CZT_REC_POSIX_MEMALIGN:
			case CZT_REC_ALIGNED_ALLOC: case CZT_REC_MEMALIGN: case CZT_REC_VALLOC:
			case CZT_REC_PVALLOC:
				events++;
				if (rec.addr)
					push(rec.time, rec.addr, rec.size, 0);
				break;
			case CZT_REC_FREE:
				events++;
				push(rec.time, rec.addr, 0, 1);
				break;
			case CZT_REC_REALLOC: case CZT_REC_REALLOCARRAY:
				events++;
				if (rec.old_addr && (rec.addr || rec.size == 0))
					push(rec.time_free, rec.old_addr, 0, 1);
				if (rec.addr)
					push(rec.time, rec.addr, rec.size, 0);
				break;
			case CZT_REC_PROCESS_END:
				end_how = rec.how;
				end_value = rec.value;
				break;
			default:
				if (rec.type >= CZT_REC_CZ_ALLOC && rec.type <= CZT_REC_CZ_CAPACITY)
					cz++;
			}
		}
		if (checking && (events + cz - chunk_events != told_events || chunk_end != told_end))
			mismatches++;
	}
	/* (a record that ends the trace announced a chunk whose write the
	 * process's end cut off: it announces nothing) */
	int cut = rc != CZT_EOF;
	czt_reader_free(r);
	if (n_evs) /* a trace may hold no event (a child gone at once) */
		qsort(evs, n_evs, sizeof(*evs), by_order);

	size_t cap = 1024;
	while (cap < n_evs * 2)
		cap *= 2;
	struct live *map = calloc(cap, sizeof(*map));
	uint64_t allocs = 0, frees = 0, unmatched = 0, conflicts = 0, blocks = 0, bytes = 0;
	for (size_t i = 0; i < n_evs; i++) {
		struct ev *e = &evs[i];
		size_t k = (size_t)((e->addr * 0x9E3779B97F4A7C15ull) >> 20) & (cap - 1);
		while (map[k].used && map[k].addr != e->addr)
			k = (k + 1) & (cap - 1);
		if (e->is_free) {
			frees++;
			if (map[k].used != 1) {
				unmatched++;
				continue;
			}
			map[k].used = 2; /* tombstone keeps the probe chain */
			blocks--;
			bytes -= map[k].size;
		} else {
			allocs++;
			if (map[k].used == 1) {
				conflicts++;
				blocks--;
				bytes -= map[k].size;
			}
			map[k] = (struct live){ e->addr, e->size, 1 };
			blocks++;
			bytes += e->size;
		}
	}
	printf("events %llu\nallocs %llu\nfrees %llu\nunmatched_frees %llu\nconflicts %llu\n"
	       "live_blocks %llu\nlive_bytes %llu\ncz_events %llu\ncut %d\nend_how %llu\nend_value %llu\n"
	       "announced %llu\nannounce_mismatches %llu\nbig_columns %llu\nbig_frames %llu\n",
	       (unsigned long long)events, (unsigned long long)allocs, (unsigned long long)frees,
	       (unsigned long long)unmatched, (unsigned long long)conflicts,
	       (unsigned long long)blocks, (unsigned long long)bytes, (unsigned long long)cz, cut,
	       (unsigned long long)end_how, (unsigned long long)end_value,
	       (unsigned long long)announced, (unsigned long long)mismatches,
	       (unsigned long long)big_columns, (unsigned long long)big_frames);
	free(map);
	free(evs);
	return 0;
}
