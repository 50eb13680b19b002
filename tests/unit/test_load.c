/*
 * test_load.c - czprof load on synthetic traces written with the encoder:
 * exact pairing, realloc chains, cross-thread reuse, peak, temporary flags,
 * unmatched frees, cut traces, database reuse and failed loads.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "czt.h"
#include "cli/report.h"
#include "cli/tracedb.h"
#include "tests/unit.h"

static uint8_t file[1 << 16];
static size_t file_len;
static char dir[64], trace[128], dbp[160];

static void begin(void)
{
	struct czt_header h = { .major = CZT_VERSION_MAJOR, .minor = CZT_VERSION_MINOR,
				.pid = 7, .ppid = 1, .clock = 1 };
	file_len = czt_header_encode(file, sizeof(file), &h);
}

static void put_chunk(struct czt_enc *e)
{
	file_len += czt_enc_finish(e);
}

static struct czt_enc enc;
static void events(uint64_t tid, uint64_t base)
{
	czt_enc_init(&enc, file + file_len, sizeof(file) - file_len, CZT_CHUNK_EVENTS, tid, base);
}

/* Writes bytes as the test trace (trace, its database path dbp). */
static void save_bytes(const void *bytes, size_t len)
{
	snprintf(trace, sizeof(trace), "%s/t.czt", dir);
	snprintf(dbp, sizeof(dbp), "%s/t.czt.db", dir);
	int fd = open(trace, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0 && write(fd, bytes, len) == (ssize_t)len);
	close(fd);
}

static void save(size_t len)
{
	save_bytes(file, len);
}

/* The trace loaded into a new database; NULL (a failed CHECK) if it
 * could not be. */
static sqlite3 *load_fresh(void)
{
	unlink(dbp);
	sqlite3 *db = tracedb_open(trace);
	CHECK(db != NULL);
	return db;
}

static long long q(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	long long v = -999;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -998;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_type(st, 0) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static long long meta(sqlite3 *db, const char *key)
{
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT value FROM meta WHERE key='%s'", key);
	return q(db, sql);
}

/* Thread 2's chunk is written first; thread 1 frees 0x1000 at t=10 and
 * thread 2 reuses the address at t=20. */
static void write_basic(void)
{
	begin();
	events(2, 0);
	czt_enc_alloc(&enc, CZT_REC_MALLOC, 20, 0x1000, 64, 0);   /* reuse, leaked */
	czt_enc_free(&enc, 60, 0x9999);                           /* unmatched */
	put_chunk(&enc);
	events(1, 0);
	czt_enc_alloc(&enc, CZT_REC_MALLOC, 1, 0x1000, 100, 0);   /* freed at 10 */
	czt_enc_alloc(&enc, CZT_REC_CALLOC, 2, 0x2000, 50, 0);    /* realloc'd */
	czt_enc_free(&enc, 10, 0x1000);
	czt_enc_realloc(&enc, CZT_REC_REALLOC, 30, 31, 0x2000, 0x3000, 500, 0);
	czt_enc_alloc(&enc, CZT_REC_MALLOC, 40, 0x4000, 8, 0);    /* temporary */
	czt_enc_free(&enc, 41, 0x4000);
	czt_enc_alloc(&enc, CZT_REC_MALLOC, 42, 0, 8, 0);         /* failed */
	put_chunk(&enc);
}

TEST(pairing_peak_temporary)
{
	write_basic();
	save(file_len);
	sqlite3 *db = load_fresh();
	if (!db)
		return;
	CHECK_EQ_U(q(db, "SELECT count(*) FROM allocations"), 5);
	/* cross-thread: the reuse at t=20 is a new row, the first is freed at 10 */
	CHECK_EQ_U(q(db, "SELECT free_time FROM allocations WHERE addr=4096 AND size=100"), 10);
	CHECK_EQ_U(q(db, "SELECT free_time FROM allocations WHERE addr=4096 AND size=64"), (unsigned long long)-1);
	CHECK_EQ_U(q(db, "SELECT tid FROM allocations WHERE addr=4096 AND size=64"), 2);
	/* realloc chain */
	CHECK_EQ_U(q(db, "SELECT free_time FROM allocations WHERE addr=8192"), 30);
	CHECK_EQ_U(q(db, "SELECT a.size FROM allocations a JOIN allocations b ON a.realloc_from=b.id WHERE b.addr=8192"), 500);
	CHECK_EQ_U(q(db, "SELECT temporary FROM allocations WHERE addr=16384"), 1);
	/* the calloc closed by realloc at t=30 also counts: its free part comes
	 * before the realloc's allocation, with nothing in between */
	CHECK_EQ_U(q(db, "SELECT temporary FROM allocations WHERE addr=8192"), 1);
	CHECK_EQ_U(q(db, "SELECT temporary FROM allocations WHERE addr=4096 AND size=100"), 0);
	CHECK_EQ_U(q(db, "SELECT count(*) FROM allocations WHERE temporary=1"), 2);
	/* live: 100+50 -> 150 at t=2; 50 at 10; 114 at 20; 564 at 31 (peak) */
	CHECK_EQ_U(meta(db, "peak_bytes"), 572);
	CHECK_EQ_U(meta(db, "peak_blocks"), 3);
	CHECK_EQ_U(meta(db, "unmatched_frees"), 1);
	CHECK_EQ_U(meta(db, "failed_allocs"), 1);
	CHECK_EQ_U(meta(db, "leaked_bytes"), 564);
	CHECK_EQ_U(meta(db, "leaked_blocks"), 2);
	CHECK_EQ_U(q(db, "SELECT count(*) FROM leaks"), 2);
	sqlite3_close(db);
}

/* One thread, so the file order is the global order and the loader walks
 * the events as they are; an alloc and a free at the same time on one
 * thread keep their file order, as the merge would. */
static void write_one_thread(int same_time)
{
	begin();
	events(5, 0);
	czt_enc_alloc(&enc, CZT_REC_MALLOC, 1, 0x1000, 10, 0);
	czt_enc_realloc(&enc, CZT_REC_REALLOC, 2, 3, 0x1000, 0x1000, 20, 0);  /* in place */
	czt_enc_realloc(&enc, CZT_REC_REALLOC, 4, 5, 0x1000, 0x2000, 40, 0);  /* moved */
	czt_enc_alloc(&enc, CZT_REC_MALLOC, 6, 0x3000, 7, 0);
	czt_enc_alloc(&enc, CZT_REC_MALLOC, 7, 0x3000, 9, 0);  /* its free was lost */
	czt_enc_alloc(&enc, CZT_REC_MALLOC, 8, 0x4000, 1, 0);
	czt_enc_free(&enc, same_time ? 8 : 9, 0x4000);
	put_chunk(&enc);
	czt_enc_init(&enc, file + file_len, sizeof(file) - file_len, CZT_CHUNK_META, 0, 0);
	czt_enc_process_end(&enc, 20, CZT_END_EXEC, 0);
	put_chunk(&enc);
}

TEST(one_thread_in_file_order)
{
	for (int same_time = 0; same_time < 2; same_time++) {
		write_one_thread(same_time);
		save(file_len);
		sqlite3 *db = load_fresh();
		if (!db)
			return;
		CHECK_EQ_U(q(db, "SELECT count(*) FROM allocations"), 6);
		CHECK_EQ_U(q(db, "SELECT realloc_from FROM allocations WHERE id = 2"), 1);
		CHECK_EQ_U(q(db, "SELECT realloc_from FROM allocations WHERE id = 3"), 2);
		CHECK_EQ_U(q(db, "SELECT free_time * 100 + free_seq FROM allocations WHERE id = 1"), 201);
		CHECK_EQ_U(q(db, "SELECT free_time FROM allocations WHERE id = 2"), 4);
		/* the lost free: closed by the reuse at t=7, on the reusing thread */
		CHECK_EQ_U(q(db, "SELECT free_time * 10 + free_tid FROM allocations WHERE size = 7"), 75);
		CHECK_EQ_U(meta(db, "address_conflicts"), 1);
		CHECK_EQ_U(q(db, "SELECT free_time FROM allocations WHERE size = 1"), same_time ? 8 : 9);
		CHECK_EQ_U(q(db, "SELECT temporary FROM allocations WHERE size = 1"), 1);
		/* the exec ends what is live, on the block's own thread, and is no free */
		CHECK_EQ_U(q(db, "SELECT count(*) FROM allocations WHERE free_time = 20 AND free_tid = 5"), 2);
		CHECK_EQ_U(q(db, "SELECT count(*) FROM allocations WHERE free_time = 20 AND temporary = 1"), 0);
		CHECK_EQ_U(meta(db, "peak_bytes"), 50);
		CHECK_EQ_U(q(db, "SELECT sum(temporary) FROM allocations"), 4);
		sqlite3_close(db);
	}
}

/* What `czprof load --times` says while loading the test trace. */
static void load_told(char *buf, size_t cap)
{
	char path[160];
	snprintf(path, sizeof(path), "%s/told", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600), saved = dup(2);
	CHECK(fd >= 0 && saved >= 0);
	fflush(stderr);
	dup2(fd, 2);
	unlink(dbp);
	CHECK(tracedb_load(trace, dbp, 2) == 0);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	ssize_t n = pread(fd, buf, cap - 1, 0);
	buf[n > 0 ? n : 0] = 0;
	close(fd);
}

/* One thread's events keep their file order on equal times (a calloc,
 * then a reallocarray of it in the same nanosecond); two threads' are
 * merged as they come, at worst waiting for the recorder's flushes. */
TEST(stream_takes_equal_times_on_one_thread)
{
	char told[4096];
	write_one_thread(1);
	save(file_len);
	load_told(told, sizeof(told));
	CHECK(strstr(told, "loading again") == NULL);
	write_basic();
	save(file_len);
	load_told(told, sizeof(told));
	CHECK(strstr(told, "waiting for every event") == NULL);
}

/* Events, or a later end, after the symbol table: the engine takes them
 * as any others; nothing may be lost or cut differently. */
TEST(events_after_symbols)
{
	for (int late_end = 0; late_end < 2; late_end++) {
		begin();
		events(5, 0);
		czt_enc_alloc(&enc, CZT_REC_MALLOC, 1, 0x1000, 10, 0);
		put_chunk(&enc);
		czt_enc_init(&enc, file + file_len, sizeof(file) - file_len, CZT_CHUNK_SYMBOLS, 0, 0);
		czt_enc_string(&enc, 1, "f", 1);
		put_chunk(&enc);
		if (late_end) {
			czt_enc_init(&enc, file + file_len, sizeof(file) - file_len, CZT_CHUNK_META, 0, 0);
			czt_enc_process_end(&enc, 50, CZT_END_EXIT, 0);
		} else {
			events(5, 1);
			czt_enc_free(&enc, 2, 0x1000);
		}
		put_chunk(&enc);
		save(file_len);
		sqlite3 *db = load_fresh();
		if (!db)
			return;
		CHECK_EQ_U(q(db, "SELECT count(*) FROM allocations"), 1);
		if (late_end) {
			CHECK_EQ_U(meta(db, "duration_ns"), 50);
			CHECK_EQ_U(meta(db, "leaked_bytes"), 10);
			/* no footer told the duration: the buckets start 1 ms wide */
			CHECK_EQ_U(q(db, "SELECT count(*) FROM timeline"), 1);
			CHECK_EQ_U(q(db, "SELECT live_bytes FROM timeline"), 10);
		} else {
			CHECK_EQ_U(q(db, "SELECT free_time FROM allocations"), 2);
			CHECK_EQ_U(meta(db, "leaked_bytes"), 0);
		}
		sqlite3_close(db);
	}
}

/* czprof record's footer: how the process ended, then the summary. */
static void put_footer(uint64_t end_time, uint64_t summary_end)
{
	czt_enc_init(&enc, file + file_len, sizeof(file) - file_len, CZT_CHUNK_FOOTER, 0, 0);
	czt_enc_process_end(&enc, end_time, CZT_END_EXIT, 0);
	czt_enc_summary(&enc, 0, 0, summary_end);
	put_chunk(&enc);
}

/* One thread over three chunks and an exec: frees, an unmatched free, a
 * lost free, reallocs in place and moved, a block freed in the chunk
 * after its own. */
static void write_streamable(uint64_t summary_end)
{
	begin();
	events(5, 0);
	czt_enc_alloc(&enc, CZT_REC_MALLOC, 1, 0x1000, 10, 0);
	czt_enc_alloc(&enc, CZT_REC_MALLOC, 2, 0x2000, 20, 0);
	czt_enc_free(&enc, 3, 0x1000);
	czt_enc_free(&enc, 3, 0x7777);                                        /* unmatched */
	czt_enc_realloc(&enc, CZT_REC_REALLOC, 4, 5, 0x2000, 0x2000, 30, 0);  /* in place */
	czt_enc_alloc(&enc, CZT_REC_MALLOC, 6, 0x3000, 7, 0);
	czt_enc_alloc(&enc, CZT_REC_MALLOC, 7, 0x3000, 9, 0);                 /* its free was lost */
	put_chunk(&enc);
	events(5, 7);
	czt_enc_free(&enc, 8, 0x3000);
	czt_enc_realloc(&enc, CZT_REC_REALLOC, 9, 9, 0x2000, 0x5000, 40, 0);  /* moved */
	czt_enc_alloc(&enc, CZT_REC_MALLOC, 10, 0x6000, 1000, 0);
	czt_enc_free(&enc, 11, 0x6000);
	czt_enc_alloc(&enc, CZT_REC_CALLOC, 11, 0x7000, 3, 0);
	put_chunk(&enc);
	czt_enc_init(&enc, file + file_len, sizeof(file) - file_len, CZT_CHUNK_META, 0, 0);
	czt_enc_process_end(&enc, 12, CZT_END_EXEC, 0);
	put_chunk(&enc);
	events(5, 12);
	czt_enc_alloc(&enc, CZT_REC_MALLOC, 13, 0x1000, 5, 0);
	czt_enc_alloc(&enc, CZT_REC_MALLOC, 14, 0x2000, 6, 0);
	czt_enc_free(&enc, 15, 0x2000);
	put_chunk(&enc);
	put_footer(15, summary_end);
}

/* Everything the load wrote that a report can read, as one string. */
static void digest(char *out, size_t cap)
{
	static const char *const sql[] = {
		("SELECT group_concat(id||','||addr||','||size||','||fn||','||alloc_time||','||alloc_seq||','||"
		 "ifnull(free_time,'-')||','||ifnull(free_seq,'-')||','||stack||','||tid||','||"
		 "ifnull(free_tid,'-')||','||ifnull(realloc_from,'-')||','||temporary, ';') FROM allocations"),
		"SELECT group_concat(time||','||seq||','||live_bytes||','||live_blocks, ';') FROM timeline",
		"SELECT group_concat(key||'='||ifnull(value,'-'), ';') FROM meta WHERE key NOT LIKE 'trace_%' AND key NOT LIKE 'merge%'",
		("SELECT group_concat(stack||','||allocations||','||bytes||','||temporary||','||leaked||','||"
		 "peak_blocks||','||peak_bytes, ';') FROM stack_totals"),
		"SELECT group_concat(tid||','||start_time||','||end_time||','||allocations||','||bytes, ';') FROM threads",
	};
	sqlite3 *db = load_fresh();
	size_t n = 0;
	out[0] = 0;
	for (size_t k = 0; db && k < sizeof(sql) / sizeof(sql[0]); k++) {
		sqlite3_stmt *st;
		CHECK(sqlite3_prepare_v2(db, sql[k], -1, &st, NULL) == SQLITE_OK);
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) && n < cap)
			n += (size_t)snprintf(out + n, cap - n, "%s|", (const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
		CHECK(n < cap);
	}
	sqlite3_close(db);
}

/* The merge hands events out while the trace is read; holding every
 * event until the end (what a load falls back to when an event comes too
 * late) must build exactly the same database. */
TEST(streamed_merge_equals_whole_merge)
{
	static char streamed[1 << 18], whole[1 << 18];
	char told[4096];
	write_streamable(15);
	save(file_len);
	load_told(told, sizeof(told));
	CHECK(strstr(told, "loading again") == NULL);
	digest(streamed, sizeof(streamed));
	setenv("CZPROF_LOAD_MERGE_ALL", "1", 1);
	digest(whole, sizeof(whole));
	unsetenv("CZPROF_LOAD_MERGE_ALL");
	CHECK(strcmp(streamed, whole) == 0);
	sqlite3 *db = load_fresh();
	if (!db)
		return;
	/* 30 at t=2, 30 again after the realloc in place, 39 after the lost
	 * free, 40 after the move, 1040 at t=10 */
	CHECK_EQ_U(meta(db, "peak_bytes"), 1040);
	CHECK_EQ_U(meta(db, "events"), 18); /* 10 allocations, 7 frees, the exec */
	CHECK_EQ_U(meta(db, "unmatched_frees"), 1);
	CHECK_EQ_U(meta(db, "address_conflicts"), 1);
	CHECK_EQ_U(q(db, "SELECT count(*) FROM allocations"), 10);
	CHECK_EQ_U(q(db, "SELECT free_seq FROM allocations WHERE size = 1000"), 12);
	/* the exec ended every block of the first image; the second image's
	 * 5-byte block is what leaked */
	CHECK_EQ_U(q(db, "SELECT count(*) FROM exit_blocks"), 1);
	CHECK_EQ_U(q(db, "SELECT size FROM leaks"), 5);
	sqlite3_close(db);
}

/* A footer whose duration is not the trace's only places the timeline's
 * buckets; events going back in time within one thread keep its file
 * order; a thread whose events come later than the merge waited makes
 * the load start again waiting for every event, with the same result as
 * if they had come in time. */
TEST(late_events_and_wrong_footers)
{
	char told[4096];
	write_streamable(14);
	save(file_len);
	load_told(told, sizeof(told));
	CHECK(strstr(told, "loading again") == NULL);
	sqlite3 *db = load_fresh();
	if (db) {
		CHECK_EQ_U(meta(db, "peak_bytes"), 1040);
		CHECK(q(db, "SELECT count(*) FROM timeline") > 0);
		sqlite3_close(db);
	}

	begin();
	events(5, 0);
	czt_enc_alloc(&enc, CZT_REC_MALLOC, 1, 0x1000, 10, 0);
	czt_enc_free(&enc, 10, 0x1000);
	put_chunk(&enc);
	events(5, 0);
	czt_enc_alloc(&enc, CZT_REC_MALLOC, 5, 0x2000, 20, 0); /* before the free */
	put_chunk(&enc);
	put_footer(10, 10);
	save(file_len);
	db = load_fresh();
	if (db) {
		CHECK_EQ_U(q(db, "SELECT count(*) FROM allocations"), 2);
		CHECK_EQ_U(meta(db, "peak_bytes"), 20);
		sqlite3_close(db);
	}

	/* thread 6's chunk comes after thread 5's second, 1 s later: its
	 * block, freed by thread 5 at 2 s, must still pair */
	begin();
	events(5, 0);
	czt_enc_alloc(&enc, CZT_REC_MALLOC, 1000000000, 0x1000, 10, 0);
	put_chunk(&enc);
	events(5, 1000000000);
	czt_enc_free(&enc, 2000000000, 0x3000);
	put_chunk(&enc);
	events(6, 0);
	czt_enc_alloc(&enc, CZT_REC_MALLOC, 3, 0x3000, 30, 0);
	put_chunk(&enc);
	put_footer(2000000000, 2000000000);
	save(file_len);
	load_told(told, sizeof(told));
	CHECK(strstr(told, "came too late to merge: loading again, waiting for the recorder's flushes") != NULL);
	CHECK(strstr(told, "came too late to merge: loading again, waiting for every event") != NULL);
	db = load_fresh();
	if (db) {
		CHECK_EQ_U(meta(db, "unmatched_frees"), 0);
		CHECK_EQ_U(meta(db, "leaked_bytes"), 10);
		CHECK(q(db, "SELECT value = 'all' FROM meta WHERE key = 'merge'") == 1);
		CHECK_EQ_U(q(db, "SELECT count(*) FROM allocations WHERE free_time IS NULL"), 1);
		CHECK_EQ_U(q(db, "SELECT free_time FROM allocations WHERE size = 30"), 2000000000);
		sqlite3_close(db);
	}
}

TEST(reuse_and_rebuild)
{
	write_basic();
	save(file_len);
	unlink(dbp);
	sqlite3 *db = tracedb_open(trace);
	sqlite3_close(db);
	struct stat a, b;
	CHECK(stat(dbp, &a) == 0);
	db = tracedb_open(trace);
	sqlite3_close(db);
	CHECK(stat(dbp, &b) == 0);
	CHECK_EQ_U(a.st_ino, b.st_ino); /* reused: not renamed over */
	/* a changed trace (one chunk fewer) is rebuilt */
	begin();
	events(1, 0);
	czt_enc_alloc(&enc, CZT_REC_MALLOC, 1, 0x1000, 7, 0);
	put_chunk(&enc);
	save(file_len);
	db = tracedb_open(trace);
	CHECK(db != NULL);
	if (db) {
		CHECK_EQ_U(q(db, "SELECT count(*) FROM allocations"), 1);
		CHECK_EQ_U(meta(db, "leaked_bytes"), 7);
		sqlite3_close(db);
	}
}

TEST(truncated_loads_whole_chunks)
{
	begin();
	events(1, 0);
	czt_enc_alloc(&enc, CZT_REC_MALLOC, 1, 0x1000, 10, 0);
	put_chunk(&enc);
	size_t whole = file_len;
	events(1, 5);
	czt_enc_alloc(&enc, CZT_REC_MALLOC, 6, 0x2000, 20, 0);
	put_chunk(&enc);
	save(file_len - 3);
	sqlite3 *db = load_fresh();
	if (!db)
		return;
	CHECK_EQ_U(q(db, "SELECT count(*) FROM allocations"), 1);
	CHECK_EQ_U(meta(db, "truncated_at"), whole);
	sqlite3_close(db);
}

/* A real trace (a recorded program) cut at every offset near a chunk
 * boundary and every 5th byte elsewhere: the loader fails cleanly (nothing
 * left behind) or loads exactly the whole chunks before the cut and says
 * where it was cut. */
TEST(real_trace_cut_anywhere)
{
	FILE *f = fopen("tests/fuzz/corpus/load/seed-rel-odd.czt", "rb");
	CHECK(f != NULL);
	if (!f)
		return;
	file_len = fread(file, 1, sizeof(file), f);
	fclose(f);
	/* where each whole chunk ends, from the reader itself */
	uint64_t ends[256];
	size_t n_ends = 0;
	struct czt_reader *r;
	CHECK(czt_reader_open_mem(&r, file, file_len) == CZT_OK);
	ends[n_ends++] = czt_reader_offset(r); /* the header */
	struct czt_chunk c;
	while (czt_reader_next_chunk(r, &c) == CZT_OK && n_ends < 256)
		ends[n_ends++] = czt_reader_offset(r);
	czt_reader_free(r);
	CHECK(n_ends > 3);
	int loads = 0, refusals = 0, wrong = 0;
	for (size_t cut = 0; cut < file_len; cut++) {
		int near = 0;
		for (size_t k = 0; k < n_ends; k++)
			near |= cut + 8 >= ends[k] && cut <= ends[k] + 8;
		if (!near && cut % 5)
			continue;
		save(cut);
		unlink(dbp);
		int saved = dup(2), devnull = open("/dev/null", O_WRONLY);
		dup2(devnull, 2);
		int rc = tracedb_load(trace, dbp, 0);
		dup2(saved, 2);
		close(saved);
		close(devnull);
		if (rc) {
			refusals++;
			wrong += access(dbp, F_OK) == 0; /* a failed load leaves nothing */
			continue;
		}
		loads++;
		uint64_t whole = 0;
		for (size_t k = 0; k < n_ends; k++)
			if (ends[k] <= cut)
				whole = ends[k];
		/* a cut exactly between chunks is a clean end: nothing to warn */
		long long want = whole == cut ? -1 : (long long)whole;
		sqlite3 *db = tracedb_open(trace);
		if (!db || meta(db, "truncated_at") != want) {
			printf("  cut at %zu: truncated_at %lld, expected %lld\n", cut,
			       db ? meta(db, "truncated_at") : -2, want);
			wrong++;
		}
		sqlite3_close(db);
	}
	CHECK(loads > 0);
	CHECK(refusals > 0); /* a cut inside the header is not a trace */
	CHECK_EQ_U(wrong, 0);
}

/* A crafted trace naming a new thread in every record: each gets its row
 * (the thread table is a hash map, not a list searched per record). */
TEST(many_threads)
{
	static uint8_t big[1 << 22];
	struct czt_header h = { .major = CZT_VERSION_MAJOR, .minor = CZT_VERSION_MINOR, .pid = 7, .clock = 1 };
	size_t len = czt_header_encode(big, sizeof(big), &h);
	struct czt_enc e;
	uint64_t tid = 1;
	for (int chunk = 0; chunk < 25; chunk++) {
		czt_enc_init(&e, big + len, sizeof(big) - len, CZT_CHUNK_META, 0, 0);
		for (int i = 0; i < 4000; i++, tid++)
			CHECK(czt_enc_thread_start(&e, tid, tid, 0) == 0);
		len += czt_enc_finish(&e);
	}
	save_bytes(big, len);
	sqlite3 *db = load_fresh();
	if (!db)
		return;
	CHECK_EQ_U(q(db, "SELECT count(*) FROM threads"), 100000);
	CHECK_EQ_U(q(db, "SELECT max(tid) FROM threads"), 100000);
	sqlite3_close(db);
}

/* The engine's map of blocks by address grows by half four times here
 * (4096 slots hold 3072 blocks; 12000 take 20736), its slots keeping only
 * a hash of each address, its entries a size of up to 50 bits (a bigger
 * one, or a realloc's predecessor, kept aside): every block must come out
 * with its own fields, addresses of any high bits included. */
TEST(many_live_blocks_keep_their_fields)
{
	static uint8_t big[1 << 18];
	struct czt_header h = { .major = CZT_VERSION_MAJOR, .minor = CZT_VERSION_MINOR, .pid = 7, .clock = 1 };
	size_t len = czt_header_encode(big, sizeof(big), &h);
	struct czt_enc e;
	const uint64_t hi = 0xffff800000000000ull, huge = (1ull << 51) + 3, b40 = (1ull << 40) + 5;
	/* block i: at 0x10000 + 32 i (i even) or hi + 48 i (odd), i + 1
	 * bytes (block 7: huge, 13: b40), made at time i + 1 */
#define ADDR(i) ((i) % 2 ? hi + 48 * (uint64_t)(i) : 0x10000 + 32 * (uint64_t)(i))
	czt_enc_init(&e, big + len, sizeof(big) - len, CZT_CHUNK_EVENTS, 1, 0);
	for (uint64_t i = 0; i < 12000; i++)
		czt_enc_alloc(&e, CZT_REC_MALLOC, i + 1, ADDR(i), i == 7 ? huge : i == 13 ? b40 : i + 1, 0);
	len += czt_enc_finish(&e);
	/* every third freed at 20000 + i; block 1 realloc'd to 0x9000000 at
	 * 40000; block 3 freed again at 40001 */
	czt_enc_init(&e, big + len, sizeof(big) - len, CZT_CHUNK_EVENTS, 1, 20000);
	for (uint64_t i = 0; i < 12000; i += 3)
		czt_enc_free(&e, 20000 + i, ADDR(i));
	czt_enc_realloc(&e, CZT_REC_REALLOC, 40000, 40000, ADDR(1), 0x9000000, 77, 0);
	czt_enc_free(&e, 40001, ADDR(3));
	len += czt_enc_finish(&e);
	save_bytes(big, len);
	sqlite3 *db = load_fresh();
	if (!db)
		return;
	/* sizes 1..12000 sum to 72006000; block 7 is huge, not 8, 13 b40, not 14 */
	unsigned long long all = 72006000ull - 8 - 14 + huge + b40, freed = 0;
	for (uint64_t i = 0; i < 12000; i += 3)
		freed += i + 1;
	CHECK_EQ_U(meta(db, "peak_blocks"), 12000);
	CHECK_EQ_U(meta(db, "peak_bytes"), all);
	CHECK_EQ_U(q(db, "SELECT count(*) FROM exit_blocks"), 8000);
	/* block 1 (2 bytes) became 77 */
	CHECK_EQ_U(q(db, "SELECT sum(size) FROM exit_blocks"), all - freed - 2 + 77);
	CHECK_EQ_U(q(db, "SELECT size FROM exit_blocks WHERE id = 8"), huge);
	CHECK_EQ_U(q(db, "SELECT size FROM exit_blocks WHERE id = 14"), b40);
	CHECK_EQ_U(q(db, "SELECT sum(size) FROM allocations WHERE id IN (8, 14)"), huge + b40);
	CHECK_EQ_U(q(db, "SELECT addr = -140737488355328 + 48 * 11999 FROM exit_blocks WHERE id = 12000"), 1);
	CHECK_EQ_U(q(db, "SELECT alloc_time FROM exit_blocks WHERE id = 12000"), 12000);
	CHECK_EQ_U(q(db, "SELECT realloc_from FROM exit_blocks WHERE addr = 150994944"), 2);
	CHECK_EQ_U(q(db, "SELECT count(*) FROM exit_blocks WHERE realloc_from IS NOT NULL"), 1);
	/* the double free is told with what the first free left */
	CHECK_EQ_U(q(db, "SELECT count(*) FROM heap_errors WHERE kind = 'double-free' AND size = 4 AND free_time = 20003"), 1);
	CHECK_EQ_U(q(db, "SELECT count(*) FROM allocations"), 12001);
	CHECK_EQ_U(q(db, "SELECT count(*) FROM allocations WHERE free_time IS NULL"), 8000);
#undef ADDR
	sqlite3_close(db);
}

/*
 * A pool entry keeps a block's time and order position as distances from
 * the first allocation of its group (4096 allocations by id), and a freed
 * block's figures in bit fields: what does not fit is kept aside (a
 * group spread over more than 34 s, a freed size of 2^44 bytes or more,
 * a time of 2^59 ns or later).  Each must come out exact, across group
 * boundaries, the map's growth and addresses freed and taken again.
 */
TEST(packed_entries_keep_exact_figures)
{
	static uint8_t big[1 << 18];
	struct czt_header h = { .major = CZT_VERSION_MAJOR, .minor = CZT_VERSION_MINOR, .pid = 7, .clock = 1 };
	size_t len = czt_header_encode(big, sizeof(big), &h);
	struct czt_enc e;
	const uint64_t far = 1ull << 59, s44 = (1ull << 44) + 9, min40 = 40000000000ull;
	/* block i (id i + 1) at 0x100000 + 64 i, made at time 10 i, i + 1
	 * bytes; every fifth freed just after it is made, so that order
	 * positions and ids part */
	czt_enc_init(&e, big + len, sizeof(big) - len, CZT_CHUNK_EVENTS, 1, 0);
	for (uint64_t i = 0; i < 9000; i++) {
		czt_enc_alloc(&e, CZT_REC_MALLOC, 10 * i, 0x100000 + 64 * i, i + 1, 0);
		if (i % 5 == 0)
			czt_enc_free(&e, 10 * i + 1, 0x100000 + 64 * i);
	}
	len += czt_enc_finish(&e);
	/* id 9001: 40 s after its group began; 9002: a huge block, freed;
	 * 9003: at 2^59 ns, freed, both freed twice */
	czt_enc_init(&e, big + len, sizeof(big) - len, CZT_CHUNK_EVENTS, 1, min40);
	czt_enc_alloc(&e, CZT_REC_MALLOC, min40, 0x7000000, 33, 0);
	czt_enc_alloc(&e, CZT_REC_MALLOC, min40 + 1, 0x7100000, s44, 0);
	czt_enc_free(&e, min40 + 2, 0x7100000);
	czt_enc_free(&e, min40 + 3, 0x7100000);
	len += czt_enc_finish(&e);
	czt_enc_init(&e, big + len, sizeof(big) - len, CZT_CHUNK_EVENTS, 1, far);
	czt_enc_alloc(&e, CZT_REC_MALLOC, far + 10, 0x7200000, 48, 0);
	czt_enc_free(&e, far + 20, 0x7200000);
	czt_enc_free(&e, far + 30, 0x7200000);
	/* a freed address taken again, its block then freed twice */
	czt_enc_alloc(&e, CZT_REC_MALLOC, far + 40, 0x100000, 5, 0);
	czt_enc_free(&e, far + 41, 0x100000);
	czt_enc_free(&e, far + 42, 0x100000);
	len += czt_enc_finish(&e);
	save_bytes(big, len);
	sqlite3 *db = load_fresh();
	if (!db)
		return;
	CHECK_EQ_U(q(db, "SELECT count(*) FROM allocations"), 9004);
	/* before id i + 1: i allocations and (i + 4) / 5 frees */
	CHECK_EQ_U(q(db, "SELECT alloc_seq FROM allocations WHERE id = 4096"), 4095 + 819);
	CHECK_EQ_U(q(db, "SELECT alloc_seq FROM allocations WHERE id = 4097"), 4096 + 820);
	CHECK_EQ_U(q(db, "SELECT alloc_time FROM allocations WHERE id = 4097"), 40960);
	CHECK_EQ_U(q(db, "SELECT count(*) FROM allocations WHERE id <= 9000 AND"
		     " (alloc_time != 10 * (id - 1) OR size != id OR addr != 1048576 + 64 * (id - 1)"
		     " OR alloc_seq != id - 1 + (id + 3) / 5)"), 0);
	CHECK_EQ_U(q(db, "SELECT count(*) FROM exit_blocks WHERE id <= 9000"), 7200);
	CHECK_EQ_U(q(db, "SELECT count(*) FROM exit_blocks WHERE id <= 9000 AND"
		     " (alloc_time != 10 * (id - 1) OR size != id OR alloc_seq != id - 1 + (id + 3) / 5)"), 0);
	CHECK_EQ_U(q(db, "SELECT alloc_time FROM exit_blocks WHERE id = 9001"), min40);
	CHECK_EQ_U(q(db, "SELECT alloc_seq FROM exit_blocks WHERE id = 9001"), 9000 + 1800);
	CHECK_EQ_U(q(db, "SELECT free_time FROM allocations WHERE id = 9002"), min40 + 2);
	CHECK_EQ_U(q(db, "SELECT count(*) FROM heap_errors WHERE kind = 'double-free' AND size = 17592186044425"
		     " AND free_time = 40000000002 AND time = 40000000003"), 1);
	CHECK_EQ_U(q(db, "SELECT count(*) FROM heap_errors WHERE kind = 'double-free' AND size = 48"
		     " AND free_time = 576460752303423508"), 1);
	CHECK_EQ_U(q(db, "SELECT count(*) FROM heap_errors WHERE kind = 'double-free' AND size = 5"
		     " AND free_time = 576460752303423529"), 1);
	CHECK_EQ_U(q(db, "SELECT count(*) FROM heap_errors"), 3);
	CHECK_EQ_U(q(db, "SELECT alloc_time FROM allocations WHERE id = 9004"), far + 40);
	sqlite3_close(db);
}

/* Stack nodes that are their own parent, or form a cycle, cannot make the
 * depth computation run forever (found by fuzzing the loader). */
TEST(stack_cycles_terminate)
{
	begin();
	struct czt_enc e;
	czt_enc_init(&e, file + file_len, sizeof(file) - file_len, CZT_CHUNK_META, 0, 0);
	CHECK(czt_enc_stack_node(&e, 0, 0, 0x10) == 0);
	CHECK(czt_enc_stack_node(&e, 5, 5, 0x20) == 0);
	CHECK(czt_enc_stack_node(&e, 6, 7, 0x30) == 0);
	CHECK(czt_enc_stack_node(&e, 7, 6, 0x40) == 0);
	CHECK(czt_enc_stack_node(&e, 8, 0, 0x50) == 0);
	file_len += czt_enc_finish(&e);
	events(1, 0);
	czt_enc_alloc(&enc, CZT_REC_MALLOC, 1, 0x1000, 10, 6);
	put_chunk(&enc);
	save(file_len);
	sqlite3 *db = load_fresh();
	if (!db)
		return;
	CHECK_EQ_U(q(db, "SELECT count(*) FROM stack_nodes"), 5);
	CHECK_EQ_U(q(db, "SELECT depth FROM stack_nodes WHERE id = 8"), 1);
	sqlite3_close(db);
}

TEST(not_a_trace_leaves_nothing)
{
	memset(file, 'x', 100);
	save(100);
	unlink(dbp);
	CHECK(tracedb_open(trace) == NULL);
	CHECK(access(dbp, F_OK) != 0);
	CHECK(tracedb_load(trace, dbp, 0) == -1);
	CHECK(access(dbp, F_OK) != 0);
}

/* Heap errors (lib/analysis/errors.h): what every trace shows (a double free,
 * new released by free, a realloc of a freed block), and a free of an
 * unknown address, an error only when the trace says recording saw the
 * image whole (an image record with flag whole), and not for an early block it listed.
 * whole: write that image record (with 0x8888 early); lost: a lost record. */
static void write_errors(int whole, int lost)
{
	begin();
	czt_enc_init(&enc, file + file_len, sizeof(file) - file_len, CZT_CHUNK_META, 0, 0);
	if (whole) {
		czt_enc_image(&enc, 0, "/bin/x", 6, "x", 1, CZT_IMAGE_WHOLE, 1);
		czt_enc_early_block(&enc, 0x8888, 16);
	}
	if (lost)
		czt_enc_lost(&enc, 0, 1, 0, 0);
	put_chunk(&enc);
	events(1, 0);
	czt_enc_free(&enc, 1, 0x8888);                         /* early: never an error */
	czt_enc_free(&enc, 2, 0x9999);                         /* invalid when whole */
	czt_enc_alloc(&enc, CZT_REC_MALLOC, 3, 0x1000, 24, 0);
	czt_enc_free(&enc, 4, 0x1000);
	czt_enc_op_free(&enc, CZT_OP_NEW, 0, 5, 0x1000);       /* delete of it: double */
	czt_enc_op_alloc(&enc, CZT_OP_NEW_ARRAY | CZT_OP_ALIGNED, 6, 0x2000, 40, 0);
	czt_enc_free(&enc, 7, 0x2000);                         /* new[] / free: mismatch */
	czt_enc_alloc(&enc, CZT_REC_MALLOC, 8, 0x1000, 32, 0); /* the address again: fine */
	czt_enc_free(&enc, 9, 0x1000);
	czt_enc_realloc(&enc, CZT_REC_REALLOC, 10, 10, 0x1000, 0x1000, 32, 0); /* of a freed block */
	czt_enc_op_alloc(&enc, CZT_OP_NEW, 11, 0x3000, 8, 0);
	czt_enc_op_free(&enc, CZT_OP_NEW | CZT_OP_SIZED, 0, 12, 0x3000); /* new / delete: right */
	put_chunk(&enc);
	put_footer(12, 12); /* the stream may drop the frees once paired */
}

/* The heap_errors table as one string. */
static void errors_digest(char *out, size_t cap)
{
	sqlite3 *db = load_fresh();
	sqlite3_stmt *st;
	out[0] = 0;
	if (!db)
		return;
	CHECK(sqlite3_prepare_v2(db, "SELECT group_concat(kind||','||call||','||addr||','||"
				     "ifnull(size,'-')||','||time||','||tid||','||ifnull(alloc_fn,'-')||','||"
				     "ifnull(free_call,'-')||','||ifnull(free_time,'-'), ';') FROM heap_errors",
				     -1, &st, NULL) == SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static long long errors_of(sqlite3 *db, const char *kind)
{
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM heap_errors WHERE kind='%s'", kind);
	return q(db, sql);
}

TEST(heap_errors_need_a_whole_image)
{
	for (int whole = 0; whole < 2; whole++) {
		write_errors(whole, 0);
		save(file_len);
		sqlite3 *db = load_fresh();
		if (!db)
			return;
		CHECK_EQ_U(errors_of(db, "double-free"), 1);
		CHECK_EQ_U(errors_of(db, "realloc-freed"), 1);
		CHECK_EQ_U(errors_of(db, "mismatch"), 1);
		CHECK_EQ_U(errors_of(db, "invalid-free"), (unsigned long long)whole);
		CHECK_EQ_U(q(db, "SELECT addr FROM heap_errors WHERE kind='invalid-free' OR"
				 " (kind='mismatch' AND call='free' AND size=40 AND alloc_fn='operator new[]')"
				 " ORDER BY time LIMIT 1"),
			   whole ? 0x9999 : 0x2000);
		/* the first release of the double free, and the realloc's */
		CHECK_EQ_U(q(db, "SELECT free_time FROM heap_errors WHERE kind='double-free'"
				 " AND call='operator delete' AND free_call='free' AND size=24"), 4);
		CHECK_EQ_U(q(db, "SELECT free_time FROM heap_errors WHERE kind='realloc-freed'"), 9);
		CHECK_EQ_U(meta(db, "heap_errors"), 3 + (unsigned long long)whole);
		CHECK_EQ_U(q(db, "SELECT length(value) > 0 FROM meta WHERE key='heap_errors_note'"),
			   (unsigned long long)!whole);
		CHECK_EQ_U(q(db, "SELECT calls FROM fn_totals WHERE fn='operator new'"), 1);
		CHECK_EQ_U(q(db, "SELECT calls FROM fn_totals WHERE fn='operator new[]'"), 1);
		sqlite3_close(db);
	}
	/* the same errors however the load went: streamed with the frees
	 * dropped once paired, streamed keeping them, or not streamed */
	char fused[4096], kept[4096], plain[4096];
	write_errors(1, 0);
	save(file_len);
	errors_digest(fused, sizeof(fused));
	setenv("CZPROF_LOAD_KEEP_FREES", "1", 1);
	errors_digest(kept, sizeof(kept));
	unsetenv("CZPROF_LOAD_KEEP_FREES");
	setenv("CZPROF_LOAD_STREAM", "0", 1);
	errors_digest(plain, sizeof(plain));
	unsetenv("CZPROF_LOAD_STREAM");
	CHECK(strlen(fused) > 100);
	CHECK_STR(kept, fused);
	CHECK_STR(plain, fused);
	/* events lost: an allocation may be missing, so only the mismatch */
	write_errors(1, 1);
	save(file_len);
	sqlite3 *db = load_fresh();
	if (!db)
		return;
	CHECK_EQ_U(q(db, "SELECT count(*) FROM heap_errors"), 1);
	CHECK_EQ_U(errors_of(db, "mismatch"), 1);
	sqlite3_close(db);
}

/* Complete only with a footer and nothing lost: events the recorder could
 * not write (a full disk, a closed descriptor: CZT_REC_LOST) make the trace
 * incomplete, with a warning naming how many. */
TEST(lost_events_make_it_incomplete)
{
	begin();
	events(1, 0);
	czt_enc_alloc(&enc, CZT_REC_MALLOC, 1, 0x1000, 100, 0);
	put_chunk(&enc);
	put_footer(5, 1);
	save(file_len);
	sqlite3 *db = load_fresh();
	if (!db)
		return;
	struct report_status st;
	report_status(db, &st);
	CHECK(st.complete == 1 && st.n == 0);
	sqlite3_close(db);

	begin();
	events(1, 0);
	czt_enc_alloc(&enc, CZT_REC_MALLOC, 1, 0x1000, 100, 0);
	put_chunk(&enc);
	czt_enc_init(&enc, file + file_len, sizeof(file) - file_len, CZT_CHUNK_META, 0, 0);
	czt_enc_lost(&enc, 2, 1234, CZT_LOST_WRITE, 28); /* ENOSPC: the warning says why */
	put_chunk(&enc);
	put_footer(5, 1);
	save(file_len);
	db = load_fresh();
	if (!db)
		return;
	CHECK_EQ_U(meta(db, "lost_events"), 1234);
	CHECK_EQ_U(meta(db, "complete"), 0);
	report_status(db, &st);
	CHECK(st.complete == 0 && st.n == 1 &&
	      strstr(st.warning[0], "1234 events lost: the disk was full (ENOSPC)"));
	sqlite3_close(db);

	/* no footer at all: incomplete, and said */
	begin();
	events(1, 0);
	czt_enc_alloc(&enc, CZT_REC_MALLOC, 1, 0x1000, 100, 0);
	put_chunk(&enc);
	save(file_len);
	db = load_fresh();
	if (!db)
		return;
	report_status(db, &st);
	CHECK(st.complete == 0 && st.n >= 1 && strstr(st.warning[0], "no footer"));
	sqlite3_close(db);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/czload.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	RUN(pairing_peak_temporary);
	RUN(one_thread_in_file_order);
	RUN(stream_takes_equal_times_on_one_thread);
	RUN(events_after_symbols);
	RUN(streamed_merge_equals_whole_merge);
	RUN(late_events_and_wrong_footers);
	RUN(reuse_and_rebuild);
	RUN(truncated_loads_whole_chunks);
	RUN(not_a_trace_leaves_nothing);
	RUN(real_trace_cut_anywhere);
	RUN(many_threads);
	RUN(many_live_blocks_keep_their_fields);
	RUN(packed_entries_keep_exact_figures);
	RUN(stack_cycles_terminate);
	RUN(heap_errors_need_a_whole_image);
	RUN(lost_events_make_it_incomplete);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return unit_done();
}
