#include <unistd.h>
#include <stdio.h>
int main(void){ char c; long n=0; while (read(0,&c,1)==1) { putchar(c); fflush(stdout); n++; } fprintf(stderr,"n=%ld\n",n); return 0; }
