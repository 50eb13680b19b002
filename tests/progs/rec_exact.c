/* rec_exact - exactly 1000 malloc/free pairs of 32 B from make_pair(), and
 * 7 blocks of 111 B leaked from leak_some(); prints nothing, so no stdio
 * buffer is allocated. */
#include <stdlib.h>

void *make_pair(int i);
void leak_some(void);

void *make_pair(int i)
{
	char *p = malloc(32);
	p[0] = (char)i;
	return p;
}

void leak_some(void)
{
	for (int i = 0; i < 7; i++) {
		volatile char *p = malloc(111);
		p[0] = 1;
	}
}

int main(void)
{
	for (int i = 0; i < 1000; i++)
		free(make_pair(i));
	leak_some();
	return 0;
}
