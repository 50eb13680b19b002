/*
 * test_site.c - which frames are part of the allocator (lib/symbols/sym_site.h):
 * the C++ standard library by namespace, not by a list; libczalloc by its
 * module, files or exact function names, never by the cz_ prefix; the
 * user's --alloc-fn names and globs; and where the call site falls.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/symbols/sym_site.h"
#include "tests/unit.h"

#define ALLOC(fn, file, module) sym_is_allocator_frame(NULL, fn, file, module)

TEST(cxx_standard_library_frames)
{
	const char *prog = "/usr/bin/prog";
	/* what libstdc++'s headers inline into the program (stacks of
	 * tests/progs/site_wrap.cc, as libdw names them) */
	static const char *const std_frames[] = {
		"std::__new_allocator<long>::allocate(unsigned long, void const*)",
		"__gnu_cxx::new_allocator<char>::allocate(unsigned long, void const*)",
		"std::allocator_traits<std::allocator<long> >::allocate(std::allocator<long>&, unsigned long)",
		"std::_Vector_base<long, std::allocator<long> >::_M_allocate(unsigned long)",
		"void std::vector<long, std::allocator<long> >::_M_realloc_insert<long>("
		"__gnu_cxx::__normal_iterator<long*, std::vector<long, std::allocator<long> > >, long&&)",
		"long& std::vector<long, std::allocator<long> >::emplace_back<long>(long&&)",
		"std::vector<int, std::allocator<int> >::reserve(unsigned long)",
		"std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >::_M_create(unsigned long&, unsigned long)",
		"std::map<int, int, std::less<int>, std::allocator<std::pair<int const, int> > >::operator[](int&&)",
		"std::_Rb_tree_node<std::pair<int const, int> >* std::_Rb_tree<int, std::pair<int const, int>, "
		"std::_Select1st<std::pair<int const, int> >, std::less<int>, std::allocator<std::pair<int const, int> > >"
		"::_M_create_node<int>(int&&)",
		"std::__detail::_Hashtable_alloc<std::allocator<std::__detail::_Hash_node<std::pair<int const, int>, false> > >"
		"::_M_allocate_buckets(unsigned long)",
		"std::shared_ptr<std::enable_if<!std::is_array<std::array<char, 100ul> >::value, std::array<char, 100ul> >::type> "
		"std::make_shared<std::array<char, 100ul>>()",
		"std::__1::vector<int, std::__1::allocator<int> >::__append(unsigned long)", /* libc++ */
		"operator new(unsigned long)",
		"operator new[](unsigned long, std::nothrow_t const&)",
		NULL
	};
	for (int i = 0; std_frames[i]; i++)
		if (!ALLOC(std_frames[i], "/usr/include/c++/12/bits/stl_vector.h", prog)) {
			printf("  not the allocator: %s\n", std_frames[i]);
			unit__failed_here = 1;
		}
	/* the program's own code, even when it returns or takes std types */
	static const char *const user_frames[] = {
		"main",
		"containers()",
		"std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> > make_name<int>(int)",
		"std::vector<int, std::allocator<int> > load(std::string const&)",
		"app::parser::operator()(std::vector<int, std::allocator<int> > const&) const",
		"(anonymous namespace)::grow(std::vector<int, std::allocator<int> >&)",
		"main::{lambda(std::string const&)#1}::operator()(std::string const&) const",
		"mystd::vector_like::push(int)",
		NULL
	};
	for (int i = 0; user_frames[i]; i++)
		if (ALLOC(user_frames[i], "src/app.cc", prog)) {
			printf("  taken for the allocator: %s\n", user_frames[i]);
			unit__failed_here = 1;
		}
	/* libstdc++'s own module is the allocator whatever the function */
	CHECK(ALLOC("anything", NULL, "/usr/lib/x86_64-linux-gnu/libstdc++.so.6"));
}

TEST(only_libczalloc_is_libczalloc)
{
	/* a program's function with libczalloc's prefix is the program's */
	CHECK(!ALLOC("cz_parse_header", "src/http.c", "/usr/bin/prog"));
	CHECK(!ALLOC("cz_parse_header", NULL, "/usr/bin/prog"));
	CHECK(!ALLOC("cz_parse_header", NULL, NULL));
	/* libczalloc as a shared library: every function of its module */
	CHECK(ALLOC("arena_alloc", NULL, "/usr/local/lib/libczalloc.so"));
	CHECK(ALLOC(NULL, NULL, "/usr/local/lib/libczalloc.so.1"));
	/* linked statically, with debug information: its source files */
	CHECK(ALLOC("arena_alloc", "lib/czalloc/cz_arena.c", "/usr/bin/prog"));
	CHECK(ALLOC("cz__on_alloc", "./lib/czalloc/cz_internal.h", "/usr/bin/prog"));
	CHECK(!ALLOC("arena_alloc", "src/my_arena.c", "/usr/bin/prog"));
	/* without: its exact function names */
	CHECK(ALLOC("cz_alloc", NULL, "/usr/bin/prog"));
	CHECK(ALLOC("debug_alloc", NULL, "/usr/bin/prog"));
	CHECK(!ALLOC("cz_alloc_header", NULL, "/usr/bin/prog"));
	/* a compiler's clone of one of them is that function */
	CHECK(ALLOC("cz_check_allocation_failures.cold", NULL, "/usr/bin/prog"));
	CHECK(ALLOC("debug_alloc.isra.0", NULL, "/usr/bin/prog"));
	CHECK(!ALLOC("cz_alloc_header.cold", NULL, "/usr/bin/prog"));
}

/* Every function the static libczalloc defines is an allocator frame by
 * name alone (the frames of a copy linked without debug information), so
 * sym_site.c's list cannot fall behind the library. */
TEST(libczalloc_names_match_the_archive)
{
	char exe[PATH_MAX], cmd[PATH_MAX + 64];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	CHECK(len > 0);
	if (len <= 0)
		return;
	exe[len] = 0;
	char *slash = strstr(exe, "/tests/unit/");
	CHECK(slash != NULL);
	if (!slash)
		return;
	*slash = 0; /* the build folder */
	snprintf(cmd, sizeof(cmd), "nm --defined-only '%s/libczalloc.a' 2>/dev/null", exe);
	FILE *p = popen(cmd, "r");
	CHECK(p != NULL);
	if (!p)
		return;
	char line[512], name[256];
	char type;
	int functions = 0;
	while (fgets(line, sizeof(line), p))
		if (sscanf(line, "%*s %c %255s", &type, name) == 2 && strchr("tTwW", type)) {
			/* the sanitizers' per-object constructors are no
			 * function of libczalloc's (SANITIZE=1 builds) */
			if (!strncmp(name, "_sub_I_", 7) || !strncmp(name, "_sub_D_", 7))
				continue;
			functions++;
			if (!ALLOC(name, NULL, "/usr/bin/prog")) {
				printf("  libczalloc's %s is not in sym_site.c's list\n", name);
				unit__failed_here = 1;
			}
		}
	pclose(p);
	CHECK(functions > 40); /* nm ran and read the archive */
}

TEST(user_rules)
{
	struct sym_site_rules *r;
	CHECK(sym_site_rules_new(&r) == 0);
	CHECK(sym_site_rules_add(r, "xmalloc") == 0);
	CHECK(sym_site_rules_add(r, "g_*alloc*") == 0);
	CHECK(sym_site_rules_add(r, "") == -1);
	/* the list form of CZPROF_ALLOC_FNS: ',' or ':', never inside '::' */
	CHECK(sym_site_rules_add_list(r, "xcalloc,,xrealloc:pool::get:ns::*::make") == 0);
	CHECK_EQ_U(sym_site_rules_count(r), 6);
	const char *prog = "/usr/bin/prog";
	CHECK(sym_is_allocator_frame(r, "xmalloc", "wrapper.c", prog));
	CHECK(!sym_is_allocator_frame(r, "xmalloc_stats", "wrapper.c", prog));
	CHECK(sym_is_allocator_frame(r, "g_malloc0", NULL, prog));
	CHECK(sym_is_allocator_frame(r, "g_try_realloc_n", NULL, prog));
	CHECK(sym_is_allocator_frame(r, "xrealloc", NULL, prog));
	CHECK(sym_is_allocator_frame(r, "xcalloc", NULL, prog));
	/* C++: the name without its parameters, or the whole name */
	CHECK(sym_is_allocator_frame(r, "pool::get(unsigned long)", NULL, prog));
	CHECK(sym_is_allocator_frame(r, "ns::detail::make(int)", NULL, prog));
	CHECK(!sym_is_allocator_frame(r, "pool::put(void*)", NULL, prog));
	CHECK(!sym_is_allocator_frame(NULL, "xmalloc", "wrapper.c", prog));
	sym_site_rules_free(r);
}

/* A stripped program's frames have only module+offset names (Debian's git:
 * its wrapper.c lies in git+0x289600..0x2899ff). */
TEST(unnamed_frames)
{
	struct sym_site_rules *r;
	CHECK(sym_site_rules_new(&r) == 0);
	CHECK(!sym_is_allocator_unnamed(r, "git+0x2898c6", "/usr/bin/git"));
	CHECK(sym_site_rules_add(r, "git+0x289[6-9]??") == 0);
	CHECK(sym_is_allocator_unnamed(r, "git+0x2898c6", "/usr/bin/git"));
	CHECK(sym_is_allocator_unnamed(r, "git+0x28961c", "/usr/bin/git"));
	CHECK(!sym_is_allocator_unnamed(r, "git+0x24dc16", "/usr/bin/git"));
	CHECK(!sym_is_allocator_unnamed(r, "git+0x289a04", "/usr/bin/git"));
	/* the module rule holds without a name */
	CHECK(sym_is_allocator_unnamed(NULL, "libc.so.6+0x1234", "/lib/x86_64-linux-gnu/libc.so.6"));
	CHECK(!sym_is_allocator_unnamed(NULL, "0x401000", ""));
	sym_site_rules_free(r);
}

TEST(site_index)
{
	const unsigned char a[] = { 1, 1, 0, 1, 0 };
	CHECK_EQ_U(sym_site_index(a, 5), 2);
	const unsigned char all[] = { 1, 1, 1 };
	CHECK_EQ_U(sym_site_index(all, 3), 0); /* nothing better: the innermost */
	CHECK_EQ_U(sym_site_index(all, 0), 0);
	char buf[128];
	sym_frame_name(buf, sizeof(buf), "main", "src/a.c", 12, "/usr/bin/prog");
	CHECK_STR(buf, "main (src/a.c:12)");
	sym_frame_name(buf, sizeof(buf), "main", NULL, 0, "/usr/bin/prog");
	CHECK_STR(buf, "main (prog)");
	sym_unnamed_frame(buf, sizeof(buf), "/usr/lib/libfoo.so", 0x7f0000000000ull, 0x7f0000001234ull);
	CHECK_STR(buf, "libfoo.so+0x1234");
	sym_unnamed_frame(buf, sizeof(buf), "", 0, 0x401000);
	CHECK_STR(buf, "0x401000");
}

int main(void)
{
	RUN(cxx_standard_library_frames);
	RUN(only_libczalloc_is_libczalloc);
	RUN(libczalloc_names_match_the_archive);
	RUN(user_rules);
	RUN(unnamed_frames);
	RUN(site_index);
	return unit_done();
}
