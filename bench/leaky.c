/* leaky - a chained hash table grown to ~1 M entries (~90 MiB peak), cut by
 * 90%, two smaller humps, then everything freed except a planted leak of
 * 12345 bytes.  Usage: leaky [ENTRIES]. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bench/common.h"

struct entry { struct entry *next; uint64_t key; char *value; };
static struct entry **buckets;
static size_t nbuckets, count;

static void insert(uint64_t key)
{
	if (count >= nbuckets) {
		size_t nb = nbuckets ? nbuckets * 2 : 1024;
		struct entry **b = calloc(nb, sizeof(*b));
		for (size_t i = 0; i < nbuckets; i++)
			for (struct entry *e = buckets[i], *next; e; e = next) {
				next = e->next;
				e->next = b[e->key % nb];
				b[e->key % nb] = e;
			}
		free(buckets);
		buckets = b;
		nbuckets = nb;
	}
	struct entry *e = malloc(sizeof(*e));
	e->key = key;
	e->value = malloc(32 + key % 64);
	memset(e->value, 'v', 8);
	e->next = buckets[key % nbuckets];
	buckets[key % nbuckets] = e;
	count++;
}

static void remove_where(int (*pred)(uint64_t))
{
	for (size_t i = 0; i < nbuckets; i++) {
		struct entry **pp = &buckets[i];
		while (*pp) {
			struct entry *e = *pp;
			if (pred(e->key)) {
				*pp = e->next;
				free(e->value);
				free(e);
				count--;
			} else {
				pp = &e->next;
			}
		}
	}
}

static int ninety(uint64_t k) { return k % 10 != 0; }
static int all(uint64_t k) { (void)k; return 1; }

int main(int argc, char **argv)
{
	long n = bench_arg(argc, argv, 1000000);
	for (long i = 0; i < n; i++)
		insert(bench_next());
	remove_where(ninety);
	for (int hump = 0; hump < 2; hump++) {
		for (long i = 0; i < n / 4; i++)
			insert(bench_next());
		remove_where(ninety);
	}
	size_t left = count;
	remove_where(all);
	free(buckets);
	char *leak = malloc(12345);
	leak[0] = 1;
	printf("leaky %ld kept %zu\n", n, left);
	return 0;
}
