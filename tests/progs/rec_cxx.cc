// rec_cxx - C++ new/delete reach the recorder through libstdc++ (and
// libstdc++'s own constructor allocates its exception pool, 1 block):
// 10 x new int (4 B), 10 x delete; 3 x new char[1000], 3 x delete[];
// one std::vector<int> of 256 ints kept until exit (1024 B, freed at
// scope end).  No iostream.
#include <vector>

int main()
{
	for (int i = 0; i < 10; i++) {
		int *p = new int(i);
		delete p;
	}
	for (int i = 0; i < 3; i++) {
		char *p = new char[1000];
		p[0] = 1;
		delete[] p;
	}
	std::vector<int> v(256, 7);
	return v[3] == 7 ? 0 : 1;
}
