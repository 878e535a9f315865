/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/unit/test_lib_guest/cmocka.h - the subset of the cmocka API that
 * tests/unit/test_crypto_engine.c uses, for its static guest build only.
 *
 * Owns: nothing but a way to run that test file inside the busybox test VM,
 * where programs must be static and Debian ships no static libcmocka.  The
 * host builds (build/, build/san/) use the real cmocka; this header is found
 * first only by the build/guest/test_crypto_engine rule in lib/lib.mk
 * (-Itests/unit/test_lib_guest).  It prints the same summary lines as cmocka
 * ("[  PASSED  ] N test(s)." / "[  FAILED  ] N test(s)...") so tests/lib.sh's
 * t_cmocka counts it the same way.
 *
 * Semantics kept: each test runs from a setjmp point; a failed assertion or
 * skip() leaves the test by longjmp (assertions only from the test's own
 * thread, as with cmocka); the exit status is the number of failed tests.
 * Not kept: fixtures, mocks, memory-leak checks, XML output.
 */
#ifndef VCD_TEST_LIB_GUEST_CMOCKA_H
#define VCD_TEST_LIB_GUEST_CMOCKA_H

#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*CMUnitTestFunction)(void **state);
typedef int (*CMFixtureFunction)(void **state);

struct CMUnitTest {
	const char *name;
	CMUnitTestFunction test_func;
	CMFixtureFunction setup_func;
	CMFixtureFunction teardown_func;
	void *initial_state;
};

#define cmocka_unit_test(f) { #f, f, NULL, NULL, NULL }
#define cmocka_unit_test_prestate(f, s) { #f, f, NULL, NULL, s }

enum { MC_RUNNING, MC_FAILED, MC_SKIPPED };
static jmp_buf mc_jump;

static inline void mc_leave(int how)
{
	longjmp(mc_jump, how);
}

static inline void print_message(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

static inline void print_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

static inline void mc_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("[  ERROR   ] --- ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n[   LINE   ] --- %s:%d: error: Failure!\n", file, line);
	mc_leave(MC_FAILED);
}

#define fail_msg(...) mc_fail(__FILE__, __LINE__, __VA_ARGS__)
#define skip() mc_leave(MC_SKIPPED)

#define assert_true(c) \
	((c) ? (void)0 : mc_fail(__FILE__, __LINE__, "%s", #c))
#define assert_false(c) \
	(!(c) ? (void)0 : mc_fail(__FILE__, __LINE__, "!(%s)", #c))
#define assert_null(p) \
	((const void *)(p) == NULL ? (void)0 : \
	 mc_fail(__FILE__, __LINE__, "%s is not NULL", #p))
#define assert_non_null(p) \
	((const void *)(p) != NULL ? (void)0 : \
	 mc_fail(__FILE__, __LINE__, "%s is NULL", #p))

static inline void mc_int_equal(uintmax_t a, uintmax_t b, const char *file,
				int line)
{
	if (a != b)
		mc_fail(file, line, "%#" PRIxMAX " != %#" PRIxMAX, a, b);
}
#define assert_int_equal(a, b) \
	mc_int_equal((uintmax_t)(a), (uintmax_t)(b), __FILE__, __LINE__)

static inline void mc_memory_equal(const void *a, const void *b, size_t n,
				   const char *file, int line)
{
	if (memcmp(a, b, n))
		mc_fail(file, line, "%zu bytes differ", n);
}
#define assert_memory_equal(a, b, n) \
	mc_memory_equal((a), (b), (n), __FILE__, __LINE__)

static inline void mc_string_equal(const char *a, const char *b,
				   const char *file, int line)
{
	if (strcmp(a, b))
		mc_fail(file, line, "\"%s\" != \"%s\"", a, b);
}
#define assert_string_equal(a, b) \
	mc_string_equal((a), (b), __FILE__, __LINE__)

/* One test: MC_FAILED, MC_SKIPPED or -1 (passed). */
static inline int mc_run_one(const struct CMUnitTest *t)
{
	void *volatile state = t->initial_state;	/* read after longjmp */
	int how = setjmp(mc_jump);

	if (how == MC_RUNNING) {
		t->test_func((void **)&state);
		how = -1;
	}
	return how;
}

/* Runs the tests in order; returns the number that failed. */
static inline int _cmocka_run_group_tests(const char *group,
					  const struct CMUnitTest *tests,
					  size_t n, CMFixtureFunction setup,
					  CMFixtureFunction teardown)
{
	size_t passed = 0, failed = 0, skipped = 0;
	const char **failed_names = calloc(n ? n : 1, sizeof(*failed_names));

	(void)setup;
	(void)teardown;
	printf("[==========] %s: Running %zu test(s).\n", group, n);
	for (size_t i = 0; i < n; i++) {
		int how;

		printf("[ RUN      ] %s\n", tests[i].name);
		fflush(stdout);
		how = mc_run_one(&tests[i]);
		if (how == MC_FAILED) {
			printf("[  FAILED  ] %s\n", tests[i].name);
			if (failed_names)
				failed_names[failed] = tests[i].name;
			failed++;
		} else if (how == MC_SKIPPED) {
			printf("[  SKIPPED ] %s\n", tests[i].name);
			skipped++;
		} else {
			printf("[       OK ] %s\n", tests[i].name);
			passed++;
		}
		fflush(stdout);
	}
	printf("[==========] %s: %zu test(s) run.\n", group, n);
	printf("[  PASSED  ] %zu test(s).\n", passed);
	if (skipped)
		printf("[  SKIPPED ] %zu test(s), listed above.\n", skipped);
	if (failed) {
		printf("[  FAILED  ] %zu test(s), listed below:\n", failed);
		for (size_t i = 0; failed_names && i < failed; i++)
			printf("[  FAILED  ] %s\n", failed_names[i]);
		printf("\n %zu FAILED TEST(S)\n", failed);
	}
	free(failed_names);
	return (int)failed;
}

#endif /* VCD_TEST_LIB_GUEST_CMOCKA_H */
