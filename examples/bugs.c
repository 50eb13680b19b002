/*
 * bugs - four memory bugs made on purpose, each caught with the stacks that
 * explain it: a double free through a pointer whose address was handed out
 * again (caught because never_reuse keeps freed addresses out of use), a
 * write past the end of a block (its canary), a leak, and a parser that
 * swallows an out-of-memory error (the failure sweep).  The reports go to
 * stdout with two frames per stack, file:line when built with -g.
 * Exits 0 when all four were caught.
 */
#include <stdio.h>
#include <string.h>

#include "lib/include/cz_alloc.h"

struct session {
	char *user;
	char *token;
};

static struct session *session_open(struct cz_allocator a, const char *user)
{
	struct session *s = cz_create(a, struct session);
	if (!s)
		return NULL;
	s->user = cz_strdup(a, user);
	s->token = cz_alloc(a, 8, 1);
	if (!s->user || !s->token) {
		cz_free_str(a, s->user);
		cz_free(a, s->token, 8, 1);
		cz_destroy(a, s);
		return NULL;
	}
	return s;
}

static void session_close(struct cz_allocator a, struct session *s)
{
	cz_free_str(a, s->user);
	cz_free(a, s->token, 8, 1);
	cz_destroy(a, s);
}

/* The bug: an 8-byte token written as 9 bytes, with its NUL. */
static void session_sign(struct session *s)
{
	strcpy(s->token, "a1b2c3d4");
}

/* Parses "key=value" into two strings; the bug: a failed copy of the value
 * is ignored and the parse reports success. */
static int parse_pair(struct cz_allocator a, void *ctx)
{
	(void)ctx;
	const char *text = "lang=c";
	char *key = cz_alloc(a, 5, 1);
	if (!key)
		return -1;
	char *value = cz_strdup(a, strchr(text, '=') + 1);
	memcpy(key, text, 4);
	key[4] = 0;
	cz_free(a, key, 5, 1);
	cz_free_str(a, value);
	return 0;
}

int main(void)
{
	struct cz_debug_options o = { .stack_depth = 2, .never_reuse = 1, .report = stdout };
	struct cz_debug d;
	if (cz_debug_init(&d, cz_c_allocator(), &o))
		return 1;
	struct cz_allocator a = cz_debug_allocator(&d);

	struct session *old = session_open(a, "ada");
	char *stale = old->user;
	session_close(a, old);
	struct session *cur = session_open(a, "bob"); /* malloc alone would reuse "ada"'s addresses */
	cz_free_str(a, stale);                       /* 1: a double free through a stale pointer */

	session_sign(cur);                           /* 2: a write past the end, found by the free */
	session_close(a, cur);

	cz_strdup(a, "eve");                         /* 3: a leak, found by deinit */
	size_t problems = cz_debug_problems(&d), leaks = cz_debug_deinit(&d);

	fflush(stdout);
	size_t swallowed = cz_check_allocation_failures(parse_pair, NULL, stdout); /* 4 */
	printf("bugs: %zu problems, %zu block leaked, %zu bad run of the failure sweep\n", problems, leaks, swallowed);
	return problems == 2 && leaks == 1 && swallowed == 1 ? 0 : 1;
}
