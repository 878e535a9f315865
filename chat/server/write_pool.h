/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * write_pool.h - threads that share one job with the caller: a function
 * run on each item of an array, the array cut into one slice per thread.
 *
 * Owns: the threads, handing them their slice, and waiting until every
 * slice is done (write_pool_run returns only then, so the caller sees all
 * their effects).  Does not own: what fn does, nor making that safe to run
 * on several items at once (the server writes different clients' output
 * queues, whose shared buffers are released atomically: outq.c).
 */
#ifndef VCD_CHAT_WRITE_POOL_H
#define VCD_CHAT_WRITE_POOL_H

#include <stddef.h>

/* Below this many items the caller does them all alone (waking a thread
 * costs more than a few writes). */
#define WRITE_POOL_MIN_ITEMS	64u
#define WRITE_POOL_MAX_THREADS	16u

struct write_pool;

typedef void (*write_pool_fn)(void *item, void *arg);

/* threads besides the caller (0..WRITE_POOL_MAX_THREADS); NULL with
 * errno set when a thread cannot be started. */
struct write_pool *write_pool_new(unsigned threads);
void write_pool_free(struct write_pool *p);
/* fn(items[i], arg) for every i < n, spread over the threads and the
 * caller; returns when all are done.  p may be NULL (the caller alone). */
void write_pool_run(struct write_pool *p, void **items, size_t n,
		    write_pool_fn fn, void *arg);

#endif /* VCD_CHAT_WRITE_POOL_H */
