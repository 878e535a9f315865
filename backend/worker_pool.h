/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * worker_pool.h - a fixed set of threads running submitted jobs in FIFO
 * order of start (they finish in any order).
 *
 * Owns: the threads, the job queue, its lock and condition variable.
 * Does not own: the jobs (a job is embedded in the caller's structure and
 * its fn frees it), nor what runs.  wp_destroy waits for queued jobs to run.
 */
#ifndef VUC_WORKER_POOL_H
#define VUC_WORKER_POOL_H

struct wp_job {
	struct wp_job *next;
	void (*fn)(struct wp_job *job);
};

struct worker_pool;

int wp_create(struct worker_pool **out, unsigned nthreads);
/* Run every queued job, then stop and join the threads. */
void wp_destroy(struct worker_pool *p);
void wp_submit(struct worker_pool *p, struct wp_job *job);
/* Jobs queued and not yet taken by a thread (a snapshot). */
unsigned wp_queued(struct worker_pool *p);
unsigned wp_threads(const struct worker_pool *p);

#endif
