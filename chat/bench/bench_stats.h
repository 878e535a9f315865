/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench_stats.h - latency histogram for chat-bench.
 *
 * Owns: recording delivery latencies (1 microsecond buckets up to 10 s,
 * exact maximum) and reading percentiles back.  Does not own: clocks or
 * what a delivery is (bench_conn.c).
 */
#ifndef VCD_CHAT_BENCH_STATS_H
#define VCD_CHAT_BENCH_STATS_H

#include <stdint.h>

struct lat_hist {
	uint32_t *bucket;	/* bucket[i]: latencies in [i, i+1) us */
	uint64_t count;
	uint64_t over;		/* latencies at or above the last bucket */
	uint64_t max_ns;
};

int lat_hist_init(struct lat_hist *h);
void lat_hist_free(struct lat_hist *h);
void lat_hist_add(struct lat_hist *h, uint64_t ns);
/* Latency in milliseconds below which a fraction q (0..1) of samples lie. */
double lat_hist_quantile_ms(const struct lat_hist *h, double q);

#endif /* VCD_CHAT_BENCH_STATS_H */
