/*
 * test_suppress.c - suppression files: parsing (comments, blank lines,
 * CRLF, bad lines with their number) and LeakSanitizer's matching rules
 * (substring, '*', '^' and '$').
 */
#include "cli/suppress.h"
#include "tests/unit.h"

TEST(parse_lines)
{
	struct suppressions s = { 0 };
	char err[128] = "";
	const char text[] = "# libc\n\n  leak:_IO_file_doallocate  \r\nleak:^main$\nleak:lib*.so";
	CHECK(suppressions_parse(&s, text, sizeof(text) - 1, err, sizeof(err)) == 0);
	CHECK_EQ_U(s.n, 3);
	if (s.n == 3) {
		CHECK_STR(s.pattern[0], "_IO_file_doallocate");
		CHECK_STR(s.pattern[1], "^main$");
		CHECK_STR(s.pattern[2], "lib*.so");
	}
	suppressions_free(&s);
	CHECK_EQ_U(s.n, 0);
}

TEST(parse_errors_name_the_line)
{
	struct suppressions s = { 0 };
	char err[128] = "";
	const char bad[] = "leak:a\n\nrace:b\n";
	CHECK(suppressions_parse(&s, bad, sizeof(bad) - 1, err, sizeof(err)) == -1);
	CHECK_STR(err, "3: expected 'leak:PATTERN'");
	CHECK_EQ_U(s.n, 1);
	const char empty[] = "leak:\n";
	CHECK(suppressions_parse(&s, empty, sizeof(empty) - 1, err, sizeof(err)) == -1);
	const char nul[] = "leak:a\0b\n";
	CHECK(suppressions_parse(&s, nul, sizeof(nul) - 1, err, sizeof(err)) == -1);
	suppressions_free(&s);
}

TEST(matching_rules)
{
	CHECK(suppression_match("alloc", "ctor_alloc"));
	CHECK(!suppression_match("Alloc", "ctor_alloc"));
	CHECK(suppression_match("^ctor", "ctor_alloc"));
	CHECK(!suppression_match("^alloc", "ctor_alloc"));
	CHECK(suppression_match("alloc$", "ctor_alloc"));
	CHECK(!suppression_match("ctor$", "ctor_alloc"));
	CHECK(suppression_match("^ctor_alloc$", "ctor_alloc"));
	CHECK(suppression_match("c*_a", "ctor_alloc"));
	CHECK(suppression_match("lib*.so", "/usr/lib/x86_64-linux-gnu/libc.so.6"));
	CHECK(suppression_match("^/usr/*.so.6$", "/usr/lib/x86_64-linux-gnu/libc.so.6"));
	CHECK(!suppression_match("^/usr/*.so$", "/usr/lib/x86_64-linux-gnu/libc.so.6"));
	CHECK(suppression_match("*", ""));
	CHECK(suppression_match("", "anything"));
	CHECK(suppression_match("a**b", "ab"));
	CHECK(!suppression_match("a*b*c", "acb"));
	CHECK(suppression_match("std::vector<*>::push_back", "std::vector<int, std::allocator<int> >::push_back"));
}

int main(void)
{
	RUN(parse_lines);
	RUN(parse_errors_name_the_line);
	RUN(matching_rules);
	return unit_done();
}
