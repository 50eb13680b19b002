/* librec_plugin - a library loaded with dlopen: plugin_churn() allocates
 * and frees 10 blocks, plugin_leak() leaks one block of 777 B. */
#include <stdlib.h>

void plugin_churn(void);
void plugin_leak(void);

void plugin_churn(void)
{
	for (int i = 0; i < 10; i++)
		free(malloc(64));
}

void plugin_leak(void)
{
	((volatile char *)malloc(777))[0] = 1;
}
