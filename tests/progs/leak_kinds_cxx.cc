// leak_kinds_cxx - C++ blocks that memcheck's default heuristics keep
// "still reachable" although only interior pointers lead to them, each of
// a size of its own (tests/e2e/kinds.sh):
//   225 B  a copy-on-write std::string (the pre-C++11 ABI): the object
//          points 24 bytes into its block, past length, capacity and
//          refcount (stdstring)
//   88 B   new[] of 5 objects with destructors: the pointer is 8 bytes in,
//          past the element count (newarray)
//   40 B   an object of two polymorphic bases held by its second base
//          (multipleinheritance)
//   1234 B new char[] whose pointer is dropped: definitely lost
#define _GLIBCXX_USE_CXX11_ABI 0
#include <string>

struct Elem {
	~Elem() { v[0] = 0; }
	long v[2];
};

struct A {
	virtual ~A() {}
	long a[2];
};
struct B {
	virtual ~B() {}
	long b;
};
struct C : A, B {
	~C() override {}
};

static std::string *cow;
static Elem *array;
static B *second_base;

static void make(void)
{
	cow = new std::string(200, 'x'); // the object itself: 8 B, reachable
	array = new Elem[5];
	second_base = new C;
	char *lost = new char[1234];
	lost[0] = 1;
}

int main()
{
	make();
	return 0;
}
