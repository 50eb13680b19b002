/* rec_dlopen - dlopens librec_plugin.so (path in argv[1]), calls it,
 * dlcloses it.  The plugin leaks 777 B; no stdio. */
#include <dlfcn.h>

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	void *h = dlopen(argv[1], RTLD_NOW);
	if (!h)
		return 3;
	void (*churn)(void) = (void (*)(void))dlsym(h, "plugin_churn");
	void (*leak)(void) = (void (*)(void))dlsym(h, "plugin_leak");
	if (!churn || !leak)
		return 4;
	churn();
	leak();
	dlclose(h);
	return 0;
}
