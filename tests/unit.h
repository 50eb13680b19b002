/*
 * unit.h - the smallest test harness that names the failing file:line.
 *
 *   TEST(varint_roundtrip) { CHECK(x == 1); CHECK_EQ_U(a, b); }
 *   int main(void) { RUN(varint_roundtrip); return unit_done(); }
 *
 * Each RUN prints "PASS: file/test" or "FAIL: file/test: file:line: what";
 * tests/run.sh counts those lines.  A test keeps running after a failed
 * CHECK so that one run shows every broken expectation.
 */
#ifndef CZ_UNIT_H
#define CZ_UNIT_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int unit__failed_here;
static int unit__failures;

#define TEST(name) static void name(void)

#define CHECK(cond)                                                               \
	do {                                                                      \
		if (!(cond)) {                                                    \
			printf("  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
			unit__failed_here = 1;                                    \
		}                                                                 \
	} while (0)

#define CHECK_EQ_U(a, b)                                                          \
	do {                                                                      \
		unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b); \
		if (a_ != b_) {                                                   \
			printf("  %s:%d: %s == %llu, expected %s == %llu\n", __FILE__, \
			       __LINE__, #a, a_, #b, b_);                         \
			unit__failed_here = 1;                                    \
		}                                                                 \
	} while (0)

#define CHECK_STR(a, b)                                                           \
	do {                                                                      \
		const char *a_ = (a), *b_ = (b);                                  \
		if (!a_ || !b_ || strcmp(a_, b_)) {                               \
			printf("  %s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__, \
			       __LINE__, #a, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
			unit__failed_here = 1;                                    \
		}                                                                 \
	} while (0)

#define RUN(name)                                                                 \
	do {                                                                      \
		unit__failed_here = 0;                                            \
		fflush(stdout);                                                   \
		name();                                                           \
		printf("%s: %s/%s\n", unit__failed_here ? "FAIL" : "PASS", UNIT_SUITE, #name); \
		unit__failures += unit__failed_here;                              \
	} while (0)

#ifndef UNIT_SUITE
#define UNIT_SUITE __FILE__
#endif

/* The next of a test's pseudo-random numbers (xorshift64): the same on
 * every run, from the state the test keeps in *s (never 0). */
static inline uint64_t unit_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static inline int unit_done(void)
{
	fflush(stdout);
	return unit__failures ? 1 : 0;
}

#endif
