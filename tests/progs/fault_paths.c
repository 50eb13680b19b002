/* fault_paths - five allocation sites, each with a known error path, for
 * `czprof faults` (tests/e2e/faults.sh finds their lines by the SITE
 * comments).  Output goes through write(2) so that stdio allocates
 * nothing; without failures it prints "names 2\ncache on\nhello\n",
 * frees everything and exits 0.
 *
 *   read_config   checks, says "out of memory" and exits 2: handled
 *   load_names    first block checked: handled; second block's failure
 *                 returns without freeing the first: leaked
 *   make_cache    on failure goes on without a cache, exit 0 and the
 *                 same output: swallowed
 *   make_buffer   used unchecked: SIGSEGV: crashed
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void say(const char *s)
{
	if (write(1, s, strlen(s)) < 0)
		_exit(9);
}

static char *read_config(void)
{
	char *c = malloc(100); /* SITE handled */
	if (!c) {
		if (write(2, "fault_paths: out of memory\n", 27) < 0)
			_exit(9);
		exit(2);
	}
	strcpy(c, "config");
	return c;
}

static char **load_names(void)
{
	char **names = malloc(2 * sizeof(char *)); /* SITE handled2 */
	if (!names)
		return NULL;
	names[0] = malloc(16); /* SITE leaked */
	if (!names[0])
		return NULL; /* forgets names */
	strcpy(names[0], "alpha");
	names[1] = NULL;
	return names;
}

static char *make_cache(void)
{
	return malloc(64); /* SITE swallowed */
}

static char *make_buffer(void)
{
	char *b = malloc(32); /* SITE crashed */
	strcpy(b, "hello\n");
	return b;
}

int main(void)
{
	char *config = read_config();
	char **names = load_names();
	if (!names) {
		if (write(2, "fault_paths: cannot load names\n", 31) < 0)
			_exit(9);
		free(config);
		return 3;
	}
	say("names 2\n");
	char *cache = make_cache();
	say("cache on\n"); /* the same whether or not the cache exists */
	char *buf = make_buffer();
	say(buf);
	free(buf);
	free(cache);
	free(names[0]);
	free(names);
	free(config);
	return 0;
}
