/*
 * rec_core.h - what the parts of the recorder's core share: rec_core.c
 * (threads, their buffers and the event path), rec_stacks.c (the stack
 * tree), rec_flusher.c (the flusher thread and the compressors),
 * rec_trace.c (the trace file and its META buffer) and rec_life.c (start,
 * fork, fatal signals, exit, attach).  Nothing else includes it; the lock
 * order is written at the top of rec_core.c.  Hidden like every recorder
 * symbol (-fvisibility=hidden, lib/recorder/rec_exports.map).
 */
#ifndef REC_CORE_H
#define REC_CORE_H

#include <pthread.h>
#include <stdint.h>

#include "lib/recorder/rec.h"

/* ---- locks (rec_core.c) ---- */

/* The stack tree, the META buffer and every write to the file. */
extern pthread_mutex_t g_lock;
/* The list of thread buffers. */
extern pthread_mutex_t list_lock;
/* How many of the two the calling thread holds or waits for: a handler
 * that interrupted it there gives up rather than wait for itself. */
extern __thread int tl_held;
void mutex_take(pthread_mutex_t *m);
void mutex_drop(pthread_mutex_t *m);

/* ---- threads and their buffers (rec_core.c) ---- */

#define CACHE_SLOTS 4096 /* per-thread stack cache, direct mapped */
#define MAX_DEPTH 256

struct cache_slot {
	uint64_t hash;
	uint32_t n;
	uint32_t node;
};

/* Chunks per thread: the one being filled and up to REC_SLOTS - 1 handed
 * over, waiting for the flusher. */
#define REC_SLOTS 4

struct rec_slot {
	uint8_t *buf;       /* rec_settings.buffer_bytes: header space, then payload */
	size_t payload_len; /* once handed over, and: */
	uint64_t events, end_time; /* how many events it holds, the last one's time */
};

struct rec_thread {
	struct rec_thread *next;
	int lock;    /* among the other parties: which one may claim */
	int busy;    /* written by the owner only: it is between begin and end */
	int claimed; /* another party holds, or is taking, the buffer */
	int in_use; /* 0: the thread exited, the struct can be reused */
	uint64_t tid;
	uint64_t last_flush;
	/* The ring: slots[head % REC_SLOTS] is being filled (enc), the ones
	 * from tail to head are handed over.  head moves under lock, tail
	 * under writing; both only grow. */
	unsigned head, tail;
	int writing;
	struct rec_slot slots[REC_SLOTS];
	struct czt_enc enc;
	struct cache_slot *cache;
	struct rec_layouts *layouts;
};

/* Every thread's buffers, newest first; entries are only ever added (at
 * the head, under list_lock), so the flusher walks it without the lock. */
extern struct rec_thread *threads;

/* Takes th's buffer from anywhere but its owner's normal course: waiting
 * for the owner's event to end when wait is set, else giving up (0) when
 * the owner or another party has it.  1: taken, release with
 * other_release. */
int other_take(struct rec_thread *th, int wait);
void other_release(struct rec_thread *th);
/* Writes th's oldest handed-over chunk: 1 when it did, 0 when there is
 * none, -1 when another thread is writing one of th's chunks. */
int write_oldest(struct rec_thread *th);
/* The ring has a free slot to go on in after a hand-over. */
int ring_has_room(const struct rec_thread *th);
/* Hands th's chunk over to the flusher and starts the next one; caller
 * has th's buffer and ring_has_room(th). */
void hand_over(struct rec_thread *th);
/* Writes everything th holds, in order, from the calling thread; caller
 * has th's buffer.  patient and is_flusher: see rec_core.c. */
void th_drain(struct rec_thread *th, uint64_t now, int patient, int is_flusher);
/* Sets up the thread-exit key; once, at start. */
void threads_start(void);
/* Whether membarrier can be used; at start, before any thread records. */
void asym_setup(void);
/* A forked child: the locks made anew and the inherited buffers emptied
 * (the parent writes their events); the calling thread starts again. */
void threads_after_fork(void);
/* A later attach: every thread's chunk being filled starts afresh. */
void threads_restart(void);

/* After the exit flush: every event is written at once. */
extern int flush_always;
/* No flusher thread: each thread writes its own chunks. */
extern int self_flush;
/* CZPROF_FLUSH_MS in ns. */
extern uint64_t flush_ns;
/* The recorder's own code, whose frames are dropped from stacks. */
extern uint64_t self_start, self_end;
/* CZPROF_CHECK_STACKS: writes the counts to its file, for the tests. */
void write_stack_check(void);

/* ---- the stack tree (rec_stacks.c, under g_lock) ---- */

/* The id of the node (parent, ip), interned and written to META when new;
 * parent when memory is short (the stack is kept shorter). */
uint64_t node_intern_locked(uint64_t parent, uint64_t ip);
/* Makes the table's first room; 0, or -1 when memory is short. */
int nodes_grow_locked(void);
/* Forgets every node (a forked child's new trace). */
void nodes_reset_locked(void);
/* Writes every node interned so far again, into a new trace's META. */
void nodes_emit_all_locked(void);

/* ---- compression and the flusher (rec_flusher.c) ---- */

/* Which compressor a thread may use for the chunks it writes: a profiled
 * thread none (it must not pay for compression), the flusher its own
 * (outside g_lock), and the exit paths the one kept under g_lock. */
enum { PACK_NONE, PACK_FLUSHER, PACK_LOCKED };
extern __thread int tl_pack;

/* Frames the chunk at chunk (payload_len raw payload bytes after its
 * header space) for writing with the compressor pack names and returns it,
 * *len set to its length: compressed into the compressor's own buffer
 * (valid until its next use) when that is smaller, else raw in place.
 * PACK_LOCKED under g_lock only, PACK_FLUSHER on the flusher only. */
const uint8_t *seal(int pack, unsigned type, uint8_t *chunk, size_t payload_len, size_t *len);
/* Makes the compressors (CZPROF_COMPRESS); at start. */
void packers_start(void);
/* A forked child: the compressors' state and the flusher's wake-up are
 * the parent's, dropped. */
void flusher_after_fork(void);
/* Wakes the flusher: chunks were handed over. */
void kick_flusher(void);
/* Starts the flusher thread. */
void start_flusher(void);
/* Writes everything every thread holds, from the calling thread,
 * compressed as tl_pack allows; blocking = 0 in signal handlers. */
void flush_threads(int blocking, int is_flusher);

/* ---- the trace file and META (rec_trace.c) ---- */

/* The trace's descriptor is kept at or above this, far from the program's. */
#define REC_FD_LOW 1000
#define META_CAP (256 * 1024)
/* Definitions (stack nodes, strings, modules, threads) waiting to be
 * written; under g_lock. */
extern struct czt_enc meta;
/* Maps the META buffer: 0, or -1 when memory is short. */
int meta_start(void);
/* Makes room for one more META record of up to need bytes. */
void meta_room_locked(size_t need);
/* Writes the META records pending, compressed as tl_pack allows. */
void meta_flush_locked(void);
/* Writes one EVENTS chunk, the pending META data first. */
void write_events(uint8_t *chunk, size_t payload_len, uint64_t events, uint64_t end_time);
/* Writes the count of lost events into the trace (appended or updated). */
void write_lost(void);
/* Opens this image's trace; 0, or -1 when nothing can be recorded. */
int open_trace(void);
/* A forked or exec'd child's own new trace, named after output. */
int create_child_trace(const char *output);
/* A forked child: the parent's descriptor (if still the trace) closed,
 * META and the loss count emptied. */
void trace_after_fork(void);
/* A later attach: META and the loss count emptied. */
void trace_restart(void);
/* A detach: the trace closed. */
void trace_close(void);
/* rec_modules_scan's callback: one module record into META. */
void emit_module(int loaded, uint64_t id, uint64_t bias, uint64_t start, uint64_t end,
		 const char *path, const uint8_t *bid, size_t bid_len);
/* Up to cap bytes of the file at path; its length (0 when unreadable). */
size_t read_file(const char *path, char *buf, size_t cap);
/* Writes v in decimal at buf (room for 20 digits); the length. */
size_t put_decimal(char *buf, uint64_t v);
/* This image is a forked child's: it inherited its parent's heap. */
extern int trace_forked;

/* ---- process life (rec_life.c) ---- */

/* This image records because czprof attached to it. */
extern int attached;

#endif
