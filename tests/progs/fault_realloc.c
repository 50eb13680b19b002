/* fault_realloc - one call site reached from two callers (two stacks, one
 * site), through realloc(NULL, n); each failure is handled (exit 4, then
 * exit 5 for the second call). */
#include <stdlib.h>

static char *grow(char *p, size_t n)
{
	return realloc(p, n); /* SITE grow */
}

int main(void)
{
	char *a = grow(NULL, 8);
	if (!a)
		return 4;
	char *b = grow(NULL, 16);
	if (!b) {
		free(a);
		return 5;
	}
	free(b);
	free(a);
	return 0;
}
