/*
 * server - a request loop in the allocator-injection style, the layered
 * pattern: a debug allocator around the whole program catches leaks and
 * bad frees, and each request gets an arena on top of it, so everything a
 * request allocates goes away at once when it is answered.  Connections
 * come from the program's own pool, made visible to czprof with
 * czprof_annotate.h.
 *
 * Handles 8 requests (or argv[1]); each builds a response of 4 parts and
 * 3 headers in its arena.  Under `czprof record`, `czprof arenas` shows
 * the request arena reset once per request, and the connection pool.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/include/cz_alloc.h"
#include "lib/include/czprof_annotate.h"

struct header {
	const char *name, *value;
	struct header *next;
};

struct response {
	int status;
	struct header *headers;
	char *body;
	size_t body_len;
};

/* Connections: a fixed pool of slots the program manages itself. */
struct conn {
	int id, in_use;
};

static struct conn conns[4];
static czprof_pool_t conn_pool;

static struct conn *conn_get(int id)
{
	for (int i = 0; i < 4; i++)
		if (!conns[i].in_use) {
			conns[i] = (struct conn){ id, 1 };
			CZPROF_POOL_ALLOC(&conn_pool, &conns[i], sizeof(conns[i]));
			return &conns[i];
		}
	return NULL;
}

static void conn_put(struct conn *c)
{
	c->in_use = 0;
	CZPROF_POOL_FREE(&conn_pool, c);
}

/* Everything allocated here lives in the request's arena: no frees. */
static int add_header(struct cz_allocator a, struct response *r, const char *name, const char *value)
{
	struct header *h = cz_create(a, struct header);
	if (!h)
		return -1;
	h->name = cz_strdup(a, name);
	h->value = cz_strdup(a, value);
	if (!h->name || !h->value)
		return -1;
	h->next = r->headers;
	r->headers = h;
	return 0;
}

static int build_response(struct cz_allocator a, int request, struct response *r)
{
	memset(r, 0, sizeof(*r));
	r->status = 200;
	char line[64];
	for (int part = 0; part < 4; part++) { /* the body grows part by part */
		int n = snprintf(line, sizeof(line), "request %d, part %d\n", request, part);
		char *body = cz_realloc(a, r->body, r->body_len, r->body_len + (size_t)n, 1);
		if (!body)
			return -1;
		memcpy(body + r->body_len, line, (size_t)n);
		r->body = body;
		r->body_len += (size_t)n;
	}
	snprintf(line, sizeof(line), "%zu", r->body_len);
	if (add_header(a, r, "Content-Length", line) || add_header(a, r, "Content-Type", "text/plain") ||
	    add_header(a, r, "Server", "czprof-example"))
		return -1;
	return 0;
}

static size_t handle(struct cz_allocator a, int request)
{
	struct conn *c = conn_get(request);
	struct response r;
	size_t sent = 0;
	if (c && build_response(a, request, &r) == 0)
		sent = r.body_len;
	if (c)
		conn_put(c);
	return sent;
}

int main(int argc, char **argv)
{
	int requests = argc > 1 ? atoi(argv[1]) : 8;
	struct cz_debug debug;
	if (cz_debug_init(&debug, cz_c_allocator(), NULL))
		return 1;
	CZPROF_CREATE_POOL(&conn_pool, "connections");
	CZPROF_POOL_CAPACITY(&conn_pool, sizeof(conns));

	struct cz_arena arena;
	cz_arena_init(&arena, cz_debug_allocator(&debug), "request");
	size_t total = 0;
	for (int i = 0; i < requests; i++) {
		total += handle(cz_arena_allocator(&arena), i);
		cz_arena_reset(&arena, CZ_RESET_RETAIN); /* the request is over */
	}
	cz_arena_deinit(&arena);
	CZPROF_DESTROY_POOL(&conn_pool);
	size_t leaks = cz_debug_deinit(&debug);
	printf("server: %d requests, %zu bytes of responses, %zu leaks\n", requests, total, leaks);
	return leaks ? 1 : 0;
}
