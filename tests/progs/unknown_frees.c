/* unknown_frees - three frees of blocks the recorder never saw allocated:
 * glibc's own entry point hands them out behind the interposed malloc.
 * Two plain malloc/free pairs beside them; prints nothing. */
#include <stdlib.h>

extern void *__libc_malloc(size_t size);

int main(void)
{
	for (int i = 0; i < 3; i++)
		free(__libc_malloc(24));
	for (int i = 0; i < 2; i++)
		free(malloc(40));
	return 0;
}
