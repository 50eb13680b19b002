/* libleak_holder - a library dlopened by leak_kinds: the only pointer to
 * a block lives in its data. */
#include <stdlib.h>

void *holder_ptr;

void holder_keep(size_t size)
{
	holder_ptr = malloc(size);
}
