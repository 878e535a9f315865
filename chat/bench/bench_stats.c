/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench_stats.c - latency histogram for chat-bench (see bench_stats.h).
 *
 * Owns: bucket memory and percentile arithmetic.  Does not own: timing.
 */
#include "bench_stats.h"

#include <stdlib.h>

#define LAT_BUCKETS	10000000u	/* 10 s in microseconds */

int lat_hist_init(struct lat_hist *h)
{
	h->bucket = calloc(LAT_BUCKETS, sizeof(*h->bucket));
	h->count = h->over = h->max_ns = 0;
	return h->bucket ? 0 : -1;
}

void lat_hist_free(struct lat_hist *h)
{
	free(h->bucket);
	h->bucket = NULL;
}

void lat_hist_add(struct lat_hist *h, uint64_t ns)
{
	uint64_t us = ns / 1000u;

	if (us < LAT_BUCKETS)
		h->bucket[us]++;
	else
		h->over++;
	if (ns > h->max_ns)
		h->max_ns = ns;
	h->count++;
}

double lat_hist_quantile_ms(const struct lat_hist *h, double q)
{
	uint64_t want, seen = 0;
	uint32_t i;

	if (h->count == 0)
		return 0.0;
	want = (uint64_t)(q * (double)h->count);
	if (want >= h->count)
		want = h->count - 1;
	for (i = 0; i < LAT_BUCKETS; i++) {
		seen += h->bucket[i];
		if (seen > want)
			return (i + 1) / 1000.0;	/* bucket's upper edge */
	}
	return (double)h->max_ns / 1e6;	/* in the overflow: report the max */
}
