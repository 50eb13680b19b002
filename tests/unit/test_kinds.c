/*
 * test_kinds.c - memcheck's leak classification (lib/analysis/kinds.c) on
 * pointer graphs built by hand, after valgrind's memcheck/tests/leak-cases.c
 * and leak-cycle.c.  Blocks are at 0x1000 * (i + 1), 64 bytes unless said;
 * roots are words found at 0x100 in a root region.
 */
#include "lib/analysis/kinds.h"
#include "tests/unit.h"

#define N 8
#define AT(i) (0x1000u * ((i) + 1))

static struct lk_block blocks[N];
static const uint64_t ROOT = 0x100;

static struct lk_scan *setup(size_t n)
{
	for (size_t i = 0; i < n; i++)
		blocks[i] = (struct lk_block){ AT(i), 64, 1 };
	struct lk_scan *s = lk_new(blocks, n);
	lk_region(s, 0, 0x1000, 0);
	return s;
}

/* block i's word w points to value */
static void edge(struct lk_scan *s, size_t i, unsigned w, uint64_t value)
{
	lk_word(s, AT(i) + 8 * w, value);
}

static enum lk_kind kind(struct lk_scan *s, size_t i)
{
	return lk_result(s, i)->kind;
}

/* The nine pointer-chain cases of memcheck's manual: R root, A and B
 * blocks, -> start pointer, -?-> interior pointer. */
TEST(manual_cases)
{
	struct lk_scan *s = setup(8);
	/* (1) R -> B0 */
	lk_word(s, ROOT, AT(0));
	/* (2) R -> A1 -> B2 */
	lk_word(s, ROOT + 8, AT(1));
	edge(s, 1, 0, AT(2));
	/* (3) B3 alone */
	/* (4) A4 -> B5, nothing to A4 */
	edge(s, 4, 0, AT(5));
	/* (5) R -?-> B6 */
	lk_word(s, ROOT + 16, AT(6) + 20);
	/* (6) R -> A7 -?-> B... : reuse A7 -?-> B0 (already reachable) */
	lk_word(s, ROOT + 24, AT(7));
	CHECK(lk_classify(s, 100) == 0);
	CHECK_EQ_U(kind(s, 0), LK_REACHABLE);
	CHECK_EQ_U(kind(s, 1), LK_REACHABLE);
	CHECK_EQ_U(kind(s, 2), LK_REACHABLE);
	CHECK_EQ_U(kind(s, 3), LK_DEFINITE);
	CHECK_EQ_U(kind(s, 4), LK_DEFINITE);
	CHECK_EQ_U(kind(s, 5), LK_INDIRECT);
	CHECK_EQ_U(lk_result(s, 4)->indirect_bytes, 64);
	CHECK_EQ_U(lk_result(s, 5)->leader, 4);
	CHECK_EQ_U(kind(s, 6), LK_POSSIBLE);
	CHECK_EQ_U(kind(s, 7), LK_REACHABLE);
	lk_free(s);
}

/* (7)-(9): what an interior pointer leads on to */
TEST(possible_chains)
{
	struct lk_scan *s = setup(4);
	lk_word(s, ROOT, AT(0) + 8);     /* R -?-> A0 */
	edge(s, 0, 1, AT(1));            /* A0 -> B1: possible, not reachable */
	edge(s, 2, 0, AT(3) + 16);       /* A2 -?-> B3, nothing to A2 */
	CHECK(lk_classify(s, 100) == 0);
	CHECK_EQ_U(kind(s, 0), LK_POSSIBLE);
	CHECK_EQ_U(kind(s, 1), LK_POSSIBLE);
	CHECK_EQ_U(kind(s, 2), LK_DEFINITE);
	CHECK_EQ_U(kind(s, 3), LK_INDIRECT); /* memcheck: interior pointers join a clique too */
	lk_free(s);
}

/* A later start pointer upgrades a possible block, and what it holds. */
TEST(possible_upgraded)
{
	struct lk_scan *s = setup(3);
	lk_word(s, ROOT, AT(0) + 8);
	edge(s, 0, 0, AT(1));
	lk_word(s, ROOT + 8, AT(2));
	edge(s, 2, 0, AT(0));
	CHECK(lk_classify(s, 100) == 0);
	CHECK_EQ_U(kind(s, 0), LK_REACHABLE);
	CHECK_EQ_U(kind(s, 1), LK_REACHABLE);
	lk_free(s);
}

/* leak-cycle.c: a ring nothing points to has one leader, whatever the
 * order the scan found its words in; a second ring hanging off it joins. */
TEST(cycles)
{
	struct lk_scan *s = setup(5);
	edge(s, 2, 0, AT(1));
	edge(s, 1, 0, AT(0));
	edge(s, 0, 0, AT(2));
	edge(s, 0, 1, AT(3)); /* ring 3 <-> 4 hangs off block 0 */
	edge(s, 3, 0, AT(4));
	edge(s, 4, 0, AT(3));
	CHECK(lk_classify(s, 100) == 0);
	CHECK_EQ_U(kind(s, 0), LK_DEFINITE); /* the lowest address leads */
	for (int i = 1; i < 5; i++)
		CHECK_EQ_U(kind(s, i), LK_INDIRECT);
	CHECK_EQ_U(lk_result(s, 0)->indirect_bytes, 4 * 64);
	lk_free(s);
}

/* A block reached from a higher leader after leading its own clique
 * passes its clique on. */
TEST(leader_joins_later_clique)
{
	struct lk_scan *s = setup(3);
	edge(s, 0, 0, AT(1));   /* 0 -> 1 */
	edge(s, 2, 0, AT(0));   /* 2 -> 0 */
	CHECK(lk_classify(s, 100) == 0);
	CHECK_EQ_U(kind(s, 0), LK_INDIRECT);
	CHECK_EQ_U(kind(s, 1), LK_INDIRECT);
	CHECK_EQ_U(kind(s, 2), LK_DEFINITE);
	CHECK_EQ_U(lk_result(s, 2)->indirect_bytes, 128);
	CHECK_EQ_U(lk_result(s, 1)->leader, 2);
	lk_free(s);
}

/* Words in the allocator's memory outside a live block are not roots;
 * inside a live block they are the block's. */
TEST(allocator_memory)
{
	struct lk_scan *s = setup(2);
	lk_region(s, 0x1000, 0x10000, 1);
	lk_word(s, AT(0) + 64 + 8, AT(1)); /* in a freed chunk after block 0 */
	lk_word(s, ROOT, AT(0));           /* but that region is not a root */
	CHECK(lk_classify(s, 100) == 0);
	CHECK_EQ_U(kind(s, 0), LK_DEFINITE);
	CHECK_EQ_U(kind(s, 1), LK_DEFINITE);
	lk_free(s);
}

/* memcheck's heuristics from the context words and vtable marks. */
TEST(heuristics)
{
	for (size_t i = 0; i < 5; i++)
		blocks[i] = (struct lk_block){ AT(i), 64, 1 };
	blocks[0].size = 24 + 30 + 1;  /* stdstring: length 10, capacity 30 */
	blocks[1].size = 8 + 100;      /* length64: 100 */
	blocks[2].size = 8 + 5 * 16;   /* newarray: 5 elements of 16 */
	blocks[3].size = 48;           /* multiple inheritance: bases at 0 and 16 */
	blocks[4].size = 8 + 7 * 16;   /* a count that fits nothing: 7 of 16 is 112 */
	struct lk_scan *s = lk_new(blocks, 5);
	lk_region(s, 0, 0x1000, 0);
	lk_word(s, ROOT, AT(0) + 24);
	lk_context(s, AT(0), 10);
	lk_context(s, AT(0) + 8, 30);
	lk_word(s, ROOT + 8, AT(1) + 8);
	lk_context(s, AT(1), 100);
	lk_word(s, ROOT + 16, AT(2) + 8);
	lk_context(s, AT(2), 5);
	lk_word(s, ROOT + 24, AT(3) + 16);
	lk_vtable(s, AT(3));
	lk_vtable(s, AT(3) + 16);
	lk_word(s, ROOT + 32, AT(4) + 8);
	lk_context(s, AT(4), 9);
	CHECK(lk_classify(s, 100) == 0);
	CHECK_EQ_U(kind(s, 0), LK_REACHABLE);
	CHECK_STR(lk_heuristic_name(lk_result(s, 0)->heuristic), "stdstring");
	CHECK_STR(lk_heuristic_name(lk_result(s, 1)->heuristic), "length64");
	CHECK_STR(lk_heuristic_name(lk_result(s, 2)->heuristic), "newarray");
	CHECK_STR(lk_heuristic_name(lk_result(s, 3)->heuristic), "multipleinheritance");
	CHECK_EQ_U(kind(s, 4), LK_POSSIBLE);
	lk_free(s);
}

/* Blocks allocated once the scan had begun are never judged lost; a
 * zero-sized block is found by its start; malloc's pointer to the chunk
 * after a block that overlaps it is not a pointer into the block. */
TEST(edges_of_the_rules)
{
	for (size_t i = 0; i < 3; i++)
		blocks[i] = (struct lk_block){ AT(i), 64, 1 };
	blocks[0].time = 200;
	blocks[1].size = 0;
	blocks[2].size = 1234;
	struct lk_scan *s = lk_new(blocks, 3);
	lk_region(s, 0, 0x1000, 0);
	lk_word(s, ROOT, AT(1));
	lk_word(s, ROOT + 8, AT(2) + 1232);
	CHECK(lk_classify(s, 100) == 0);
	CHECK_EQ_U(kind(s, 0), LK_REACHABLE);
	CHECK_EQ_U(kind(s, 1), LK_REACHABLE);
	CHECK_EQ_U(kind(s, 2), LK_DEFINITE);
	lk_free(s);
}

int main(void)
{
	RUN(manual_cases);
	RUN(possible_chains);
	RUN(possible_upgraded);
	RUN(cycles);
	RUN(leader_joins_later_clique);
	RUN(allocator_memory);
	RUN(heuristics);
	RUN(edges_of_the_rules);
	return unit_done();
}
