// fault_new - one operator new whose std::bad_alloc nobody catches: when it
// fails, std::terminate aborts the program (SIGABRT).  Prints "sum 6".
#include <cstdio>
#include <vector>

static int sum(void)
{
	std::vector<int> *v = new std::vector<int>{ 1, 2, 3 }; // SITE new
	int s = 0;
	for (int x : *v)
		s += x;
	delete v;
	return s;
}

int main()
{
	int s = sum();
	std::printf("sum %d\n", s);
	return 0;
}
