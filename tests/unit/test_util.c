/*
 * test_util.c - the CLI's small parsers: sizes as budgets take them (binary
 * and decimal units, fractions, what is refused) and counts.
 */
#include "cli/util.h"
#include "tests/unit.h"

static uint64_t size_of(const char *s)
{
	uint64_t v = 12345;
	return cli_parse_size(s, &v) ? (uint64_t)-1 : v;
}

TEST(sizes)
{
	CHECK_EQ_U(size_of("0"), 0);
	CHECK_EQ_U(size_of("4096"), 4096);
	CHECK_EQ_U(size_of("100B"), 100);
	CHECK_EQ_U(size_of("512K"), 512 * 1024);
	CHECK_EQ_U(size_of("512k"), 512 * 1024);
	CHECK_EQ_U(size_of("10M"), 10 * 1048576);
	CHECK_EQ_U(size_of("1G"), 1073741824ull);
	CHECK_EQ_U(size_of("1.5MiB"), 1572864);  /* 1.5 * 1048576 */
	CHECK_EQ_U(size_of("2KB"), 2000);
	CHECK_EQ_U(size_of("3MB"), 3000000);
	CHECK_EQ_U(size_of("1T"), 1099511627776ull);
	CHECK_EQ_U(size_of(".5K"), 512);
}

TEST(sizes_refused)
{
	static const char *bad[] = { "", "M", "-1", " 1M", "1M ", "1X", "1Kb", "10MiBs", "inf",
				     "nan", "1e30", "99999999999T", NULL };
	for (int k = 0; bad[k]; k++) {
		uint64_t v = 7;
		if (cli_parse_size(bad[k], &v) != -1)
			printf("  accepted '%s'\n", bad[k]);
		CHECK(cli_parse_size(bad[k], &v) == -1);
		CHECK_EQ_U(v, 7);
	}
}

TEST(counts)
{
	uint64_t v = 0;
	CHECK(cli_parse_count("0", &v) == 0 && v == 0);
	CHECK(cli_parse_count("250000", &v) == 0 && v == 250000);
	CHECK(cli_parse_count("", &v) == -1);
	CHECK(cli_parse_count("-3", &v) == -1);
	CHECK(cli_parse_count("10K", &v) == -1);
	CHECK(cli_parse_count("99999999999999999999", &v) == -1);
}

int main(void)
{
	RUN(sizes);
	RUN(sizes_refused);
	RUN(counts);
	return unit_done();
}
