/*
 * bench_util.h - what the guest throughput programs (afalg_bench,
 * cryptodev_bench) share: the clock, the "--sizes 64,4096" list parser and
 * the one result line that tests/bench/vm-*.sh parse.  Owns nothing else:
 * each program keeps its own request loop.
 */
#ifndef VCD_TESTS_VM_BENCH_UTIL_H
#define VCD_TESTS_VM_BENCH_UTIL_H

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* "a,b,c" -> out[]; returns the count, or -1 on a bad number. */
static inline int bench_parse_list(const char *s, long *out, int max)
{
	int n = 0;
	char *end;

	while (*s && n < max) {
		out[n++] = strtol(s, &end, 0);
		if (end == s)
			return -1;
		s = *end == ',' ? end + 1 : end;
	}
	return n;
}

static inline void bench_report(const char *alg, size_t size, int threads,
				unsigned long ops, double secs)
{
	printf("bench alg=%s size=%zu threads=%d ops=%lu secs=%.3f ops_per_s=%.0f mb_per_s=%.2f\n",
	       alg, size, threads, ops, secs, (double)ops / secs,
	       (double)ops * (double)size / secs / 1e6);
	fflush(stdout);
}

#endif /* VCD_TESTS_VM_BENCH_UTIL_H */
