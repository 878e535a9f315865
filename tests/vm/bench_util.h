/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench_util.h - what the guest throughput programs (afalg_bench,
 * cryptodev_bench) share: the clock, the "--sizes 64,4096" list parser,
 * running one point (threads pinned to vCPUs, see bench_run_point) and the
 * one result line that tests/bench/vm-*.sh parse.  Owns nothing else: each
 * program keeps its own request loop.
 */
#ifndef VCD_TESTS_VM_BENCH_UTIL_H
#define VCD_TESTS_VM_BENCH_UTIL_H

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

/* per_thread: each thread's ops, "a,b,..." (shows a slow vCPU). */
static inline void bench_report(const char *alg, size_t size, int threads,
				int first_cpu, unsigned long ops, double secs,
				const char *per_thread)
{
	printf("bench alg=%s size=%zu threads=%d ops=%lu secs=%.3f ops_per_s=%.0f mb_per_s=%.2f first_cpu=%d per_thread=%s\n",
	       alg, size, threads, ops, secs, (double)ops / secs,
	       (double)ops * (double)size / secs / 1e6, first_cpu, per_thread);
	fflush(stdout);
}

/* One load thread: the program's work() reads size/secs/cpu, fills ops/err
 * (a positive errno). */
struct bench_worker {
	pthread_t thread;
	size_t size;
	double secs;
	int cpu;
	unsigned long ops;
	int err;
};

/* Pin the calling thread to one CPU (work() calls it first). */
static inline void bench_pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	(void)sched_setaffinity(0, sizeof(set), &set);
}

/*
 * Measure one point: @threads threads running @work for @secs seconds,
 * thread i pinned to vCPU (first + i) mod ncpu.  Which vCPU a lone thread
 * runs on matters under TCG (all completion interrupts land on one vCPU;
 * a waiter elsewhere needs a cross-vCPU wake-up), so 1 thread is measured
 * once on every vCPU (one line each: the scripts keep the best); more
 * threads start at vCPU 0.  Returns 0, or -1 after printing the error.
 */
static inline int bench_run_point(const char *prog, const char *alg,
				  void *(*work)(void *), size_t size,
				  int threads, double secs)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int first, last = threads == 1 && ncpu > 1 ? (int)ncpu - 1 : 0;
	struct bench_worker w[64];

	if (threads < 1 || threads > 64)
		return -1;
	if (ncpu < 1)
		ncpu = 1;
	for (first = 0; first <= last; first++) {
		unsigned long ops = 0;
		double t0 = bench_now();
		char per[64 * 21] = "";
		size_t used = 0;
		int i;

		memset(w, 0, sizeof(w));
		for (i = 0; i < threads; i++) {
			w[i].size = size;
			w[i].secs = secs;
			w[i].cpu = (int)((first + i) % ncpu);
			if (pthread_create(&w[i].thread, NULL, work, &w[i]) != 0) {
				fprintf(stderr, "%s: cannot start a thread\n", prog);
				while (i--)
					pthread_join(w[i].thread, NULL);
				return -1;
			}
		}
		for (i = 0; i < threads; i++)
			pthread_join(w[i].thread, NULL);
		for (i = 0; i < threads; i++) {
			if (w[i].err) {
				fprintf(stderr, "%s: %zu B: %s\n", prog, size, strerror(w[i].err));
				return -1;
			}
			ops += w[i].ops;
			used += (size_t)snprintf(per + used, sizeof(per) - used, "%s%lu",
						 i ? "," : "", w[i].ops);
		}
		bench_report(alg, size, threads, first, ops, bench_now() - t0, per);
	}
	return 0;
}

#endif /* VCD_TESTS_VM_BENCH_UTIL_H */
