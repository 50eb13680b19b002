// site_wrap - call sites behind a program's own malloc wrappers, in a
// program function whose name starts with cz_, and inside C++ containers.
// Every block below is leaked (its last pointer dropped) and was allocated
// on a line marked "SITE:name"; tests/e2e/sites.sh finds the lines by
// those marks.  Sizes (x86-64, libstdc++):
//   wrap_a   xmalloc(1001), twice         2002 B, 2 blocks
//   wrap_b   xcalloc(1, 3003)             3003 B
//   in xmalloc / xcalloc: the malloc and calloc lines inside the wrappers
//   cz_user  cz_parse_header's own malloc(333)   333 B
//   in_layer / deep_inline  layer9(777) through ten inlined layers: 777 B
//            at one address with eleven frames (--alloc-fn 'layer*'
//            moves it to the line that called layer9)
//   string   new std::string(40, 'x'): the object (32) and its buffer (41)
//   vector   v->push_back on an empty vector<long>: 8 B
//   map      (*m)[5] = 6: one node, 40 B
//   umap     (*u)[5] = 6: one node (16) and the bucket array (13 x 8)
//   shared   make_shared<array<char, 100>>: control block and object in
//            one block (16 + 100 = 116), plus the leaked shared_ptr (16)
#include <array>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

extern "C" {
__attribute__((noinline)) void *xmalloc(size_t n)
{
	void *p = malloc(n); // SITE:in_xmalloc
	if (!p)
		abort();
	return p;
}

__attribute__((noinline)) void *xcalloc(size_t n, size_t m)
{
	void *p = calloc(n, m); // SITE:in_xcalloc
	if (!p)
		abort();
	return p;
}

// A program's own function: its name is libczalloc's prefix, but it is
// not libczalloc.
__attribute__((noinline)) char *cz_parse_header(const char *s)
{
	char *p = (char *)malloc(333); // SITE:cz_user
	strncpy(p, s, 332);
	p[332] = 0;
	return p;
}
}

// Ten layers inlined even at -O0, between a program line and malloc.
static inline __attribute__((always_inline)) void *layer0(size_t n)
{
	return malloc(n); // SITE:in_layer
}
#define LAYER(k, below) \
	static inline __attribute__((always_inline)) void *layer##k(size_t n) { return below(n); }
LAYER(1, layer0)
LAYER(2, layer1)
LAYER(3, layer2)
LAYER(4, layer3)
LAYER(5, layer4)
LAYER(6, layer5)
LAYER(7, layer6)
LAYER(8, layer7)
LAYER(9, layer8)

static void *volatile sink; // defeats dead-store elimination, never a root

__attribute__((noinline)) static void wrapped(void)
{
	for (int i = 0; i < 2; i++)
		sink = xmalloc(1001); // SITE:wrap_a
	sink = xcalloc(1, 3003); // SITE:wrap_b
	sink = cz_parse_header("GET / HTTP/1.1");
	sink = layer9(777); // SITE:deep_inline
}

__attribute__((noinline)) static void containers(void)
{
	sink = new std::string(40, 'x'); // SITE:string
	std::vector<long> *v = new std::vector<long>(); // SITE:vector_obj
	v->push_back(7); // SITE:vector
	std::map<int, int> *m = new std::map<int, int>(); // SITE:map_obj
	(*m)[5] = 6; // SITE:map
	std::unordered_map<int, int> *u = new std::unordered_map<int, int>(); // SITE:umap_obj
	(*u)[5] = 6; // SITE:umap
	sink = new std::shared_ptr<std::array<char, 100>>(std::make_shared<std::array<char, 100>>()); // SITE:shared
	sink = nullptr;
}

int main()
{
	wrapped();
	containers();
	sink = nullptr;
	return 0;
}
