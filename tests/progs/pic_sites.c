/*
 * pic_sites - 20 call sites, site_1 ... site_20, each holding one block of
 * N KiB (N its number) at the peak (210 KiB, every block live), then all
 * freed: more sites than a plot's legend shows by default.
 */
#include <stdlib.h>

static void *held[21];

#define SITE(n)                                        \
	static void site_##n(void)                     \
	{                                              \
		if (!(held[n] = malloc((n) * 1024))) \
			abort();                       \
	}

SITE(1)
SITE(2)
SITE(3)
SITE(4)
SITE(5)
SITE(6)
SITE(7)
SITE(8)
SITE(9)
SITE(10)
SITE(11)
SITE(12)
SITE(13)
SITE(14)
SITE(15)
SITE(16)
SITE(17)
SITE(18)
SITE(19)
SITE(20)

int main(void)
{
	site_1(), site_2(), site_3(), site_4(), site_5(), site_6(), site_7();
	site_8(), site_9(), site_10(), site_11(), site_12(), site_13(), site_14();
	site_15(), site_16(), site_17(), site_18(), site_19(), site_20();
	for (int i = 1; i <= 20; i++)
		free(held[i]);
	return 0;
}
