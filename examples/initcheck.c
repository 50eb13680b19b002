/*
 * initcheck - proves that an init function cleans up on every error path:
 * cz_check_allocation_failures runs it once per allocation it makes, with
 * that allocation failing, under a debug allocator, and counts the runs
 * that leaked.  config_init_buggy forgets one cleanup; config_init does
 * not.  Exits 0 when the checker tells them apart.
 */
#include <stdio.h>
#include <string.h>

#include "lib/include/cz_alloc.h"

struct config {
	char *path;
	int *ports;
	size_t n_ports;
	char *banner;
};

static void config_deinit(struct cz_allocator a, struct config *c)
{
	cz_free_str(a, c->path);
	cz_free_array(a, c->ports, c->n_ports, sizeof(int), alignof(int));
	cz_free_str(a, c->banner);
}

static int config_init(struct cz_allocator a, struct config *c, int buggy)
{
	memset(c, 0, sizeof(*c));
	if (!(c->path = cz_strdup(a, "/etc/example.conf")))
		return -1;
	c->n_ports = 3;
	if (!(c->ports = cz_create_array(a, int, c->n_ports))) {
		cz_free_str(a, c->path);
		return -1;
	}
	if (!(c->banner = cz_strdup(a, "welcome"))) {
		if (!buggy) /* the bug: the ports array is forgotten */
			cz_free_array(a, c->ports, c->n_ports, sizeof(int), alignof(int));
		cz_free_str(a, c->path);
		return -1;
	}
	return 0;
}

/* What the checker runs: init, and on success deinit. */
static int run(struct cz_allocator a, void *buggy)
{
	struct config c;
	if (config_init(a, &c, *(int *)buggy))
		return -1;
	config_deinit(a, &c);
	return 0;
}

int main(void)
{
	int buggy = 0;
	size_t good = cz_check_allocation_failures(run, &buggy, stdout);
	buggy = 1;
	size_t bad = cz_check_allocation_failures(run, &buggy, stdout);
	printf("initcheck: config_init: %zu leaking error path%s; config_init_buggy: %zu\n", good,
	       good == 1 ? "" : "s", bad);
	return good == 0 && bad == 1 ? 0 : 1;
}
