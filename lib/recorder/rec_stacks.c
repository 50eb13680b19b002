/*
 * rec_stacks.c - the interned stack tree: every (parent, return address)
 * edge seen, numbered once and written to META as a stack-node record the
 * first time (FORMAT.md), so that an event names its whole stack by one
 * node id.  An open-addressing hash table in the recorder's own memory,
 * under g_lock; the threads' caches in front of it are rec_core.c's.
 */
#include <string.h>
#include <sys/mman.h>

#include "lib/recorder/rec_core.h"
#include "lib/recorder/rec_mmap.h"

struct node_slot {
	uint64_t parent;
	uint64_t ip;
	uint64_t id; /* 0 = empty */
};

static struct node_slot *nodes;
static size_t nodes_cap, nodes_used;
static uint64_t next_node = 1;

static size_t node_hash(uint64_t parent, uint64_t ip)
{
	uint64_t h = (parent * 0x9E3779B97F4A7C15ull) ^ (ip * 0xC2B2AE3D27D4EB4Full);
	return (size_t)(h ^ (h >> 29));
}

int nodes_grow_locked(void)
{
	size_t cap = nodes_cap ? nodes_cap * 2 : 4096;
	struct node_slot *n = rec_mmap(cap * sizeof(*n));
	if (!n)
		return -1;
	for (size_t i = 0; i < nodes_cap; i++) {
		if (!nodes[i].id)
			continue;
		size_t k = node_hash(nodes[i].parent, nodes[i].ip) & (cap - 1);
		while (n[k].id)
			k = (k + 1) & (cap - 1);
		n[k] = nodes[i];
	}
	if (nodes) {
		rec_own_forget(nodes);
		munmap(nodes, nodes_cap * sizeof(*nodes));
	}
	nodes = n;
	nodes_cap = cap;
	return 0;
}

uint64_t node_intern_locked(uint64_t parent, uint64_t ip)
{
	if ((nodes_used + 1) * 4 > nodes_cap * 3 && nodes_grow_locked())
		return parent; /* out of memory: keep the shorter stack */
	size_t k = node_hash(parent, ip) & (nodes_cap - 1);
	while (nodes[k].id) {
		if (nodes[k].parent == parent && nodes[k].ip == ip)
			return nodes[k].id;
		k = (k + 1) & (nodes_cap - 1);
	}
	nodes[k].parent = parent;
	nodes[k].ip = ip;
	nodes[k].id = next_node++;
	nodes_used++;
	meta_room_locked(40);
	czt_enc_stack_node(&meta, nodes[k].id, parent, ip);
	return nodes[k].id;
}

void nodes_reset_locked(void)
{
	if (nodes)
		memset(nodes, 0, nodes_cap * sizeof(*nodes));
	nodes_used = 0;
	next_node = 1;
}

/* A later attach (rec_life.c): re-emits every stack node interned so far
 * into the new trace's META, in id order (a parent is always interned before its children): the
 * threads' caches keep naming them. */
void nodes_emit_all_locked(void)
{
	if (!nodes_used)
		return;
	uint64_t *at = rec_mmap((size_t)next_node * sizeof(*at));
	if (!at)
		return;
	for (size_t k = 0; k < nodes_cap; k++)
		if (nodes[k].id && nodes[k].id < next_node)
			at[nodes[k].id] = k + 1;
	for (uint64_t id = 1; id < next_node; id++) {
		if (!at[id])
			continue;
		const struct node_slot *n = &nodes[at[id] - 1];
		meta_room_locked(40);
		czt_enc_stack_node(&meta, n->id, n->parent, n->ip);
	}
	rec_own_forget(at);
	munmap(at, (size_t)next_node * sizeof(*at));
}

