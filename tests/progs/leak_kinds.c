/* leak_kinds - blocks whose leak kind is known, each of its own size so
 * that a test can name it (tests/e2e/kinds.sh, checked against memcheck):
 *
 *   1001        definitely lost: its only pointer dropped
 *   1010        definitely lost root of a tree of 1011, 1012 -> 1013: indirect
 *   1020        possibly lost: only a pointer into its middle is kept
 *   1030 -> 1031  still reachable; 1031's child 1032 was cut off: 1032 is
 *               definitely lost and its own child 1033 indirectly lost
 *   1040 <-> 1041 a cycle nothing points to: one definite, one indirect
 *   1050        reachable only from another thread's stack
 *   1060, 1061  reachable only from TLS: the main thread's, another thread's
 *   1070        reachable only from a dlopened library's data
 *   1080        reachable only from a register (argv[2] = "register")
 *   1098        a length before the data, the pointer past it: reachable
 *               through memcheck's length64 heuristic
 *   1100 -> 1101  1100 possibly lost; 1101, pointed to only by it, possible
 *
 * argv[1]: the path of libleak_holder.so.  Exits with exit(0) while the
 * other thread still runs (argv[2] = "_exit": with _exit(0)). */
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct node {
	struct node *left, *right;
};

static struct node *reachable_root;
static char *interior;
static uintptr_t hidden;    /* a pointer xor'ed: not a pointer to a scan */
static void *length_ptr;
static char *possible_ptr;
static __thread void *tls_ptr;
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready = PTHREAD_COND_INITIALIZER;
static int started;
#define KEY ((uintptr_t)0x5a5a5a5a5a5a5a5aull)

static struct node *node(size_t size)
{
	struct node *n = malloc(size);
	memset(n, 0, size);
	return n;
}

static void *worker(void *arg)
{
	(void)arg;
	void *volatile on_stack = malloc(1050);
	tls_ptr = malloc(1061);
	pthread_mutex_lock(&m);
	started = 1;
	pthread_cond_signal(&ready);
	pthread_mutex_unlock(&m);
	for (;;)
		pause();
	return on_stack;
}

static void make_lost(void)
{
	void *volatile p = malloc(1001);
	p = NULL;
	struct node *root = node(1010);
	root->left = node(1011);
	root->right = node(1012);
	root->right->left = node(1013);
	root = NULL;
	(void)p;
}

static void make_cycle(void)
{
	struct node *x = node(1040), *y = node(1041);
	x->left = y;
	y->left = x;
}

/* Each case in a function of its own, so that no copy of a pointer it
 * drops stays in main's frame. */
static void make_severed(void)
{
	reachable_root = node(1030);
	reachable_root->left = node(1031);
	reachable_root->left->left = node(1032);
	reachable_root->left->left->left = node(1033);
	reachable_root->left->left = NULL; /* cut off */
}

static void make_interior(void)
{
	interior = (char *)malloc(1020) + 100;
	uint64_t *len = malloc(1098);
	len[0] = 1098 - 8;
	length_ptr = len + 1;
	char *p = malloc(1100);
	*(void **)p = malloc(1101);
	possible_ptr = p + 40;
}

/* Overwrites what the cases left below main's frame. */
static void scrub(void)
{
	volatile char junk[16384];
	memset((char *)junk, 0, sizeof(junk));
}

int main(int argc, char **argv)
{
	make_lost();
	make_severed();
	make_cycle();
	make_interior();
	tls_ptr = malloc(1060);
	scrub();

	pthread_t t;
	pthread_create(&t, NULL, worker, NULL);
	pthread_mutex_lock(&m);
	while (!started)
		pthread_cond_wait(&ready, &m);
	pthread_mutex_unlock(&m);

	void *lib = argc > 1 ? dlopen(argv[1], RTLD_NOW) : NULL;
	void (*keep)(size_t) = lib ? (void (*)(size_t))dlsym(lib, "holder_keep") : NULL;
	if (keep)
		keep(1070);

	if (argc > 2 && !strcmp(argv[2], "register")) {
		hidden = (uintptr_t)malloc(1080) ^ KEY;
#if defined(__x86_64__)
		/* the pointer exists only in r12 (callee-saved) when exit runs */
		__asm__ volatile("mov %0, %%r12\n\t"
				 "xor %1, %%r12\n\t"
				 "xor %%edi, %%edi\n\t"
				 "call exit@PLT"
				 :
				 : "m"(hidden), "r"(KEY)
				 : "r12", "rdi", "memory");
#endif
	}
	if (argc > 2 && !strcmp(argv[2], "_exit"))
		_exit(0);
	exit(0);
}
