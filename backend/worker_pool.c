/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * worker_pool.c - threads + FIFO job queue (see worker_pool.h).
 * One mutex and one condition variable; a job is taken from the head and
 * run without the lock held.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

#include "worker_pool.h"

struct worker_pool {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct wp_job *head, *tail;
	atomic_uint queued;
	bool stop;
	unsigned n;
	pthread_t *threads;
};

static void *worker(void *arg)
{
	struct worker_pool *p = arg;

	for (;;) {
		struct wp_job *j;

		pthread_mutex_lock(&p->lock);
		while (!p->head && !p->stop)
			pthread_cond_wait(&p->cond, &p->lock);
		j = p->head;
		if (!j) {
			pthread_mutex_unlock(&p->lock);
			return NULL;
		}
		p->head = j->next;
		if (!p->head)
			p->tail = NULL;
		atomic_fetch_sub(&p->queued, 1);
		pthread_mutex_unlock(&p->lock);
		j->fn(j);
	}
}

int wp_create(struct worker_pool **out, unsigned nthreads)
{
	struct worker_pool *p;

	if (nthreads == 0 || nthreads > 1024)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->threads = calloc(nthreads, sizeof(*p->threads));
	if (!p->threads) {
		free(p);
		return -ENOMEM;
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	for (p->n = 0; p->n < nthreads; p->n++)
		if (pthread_create(&p->threads[p->n], NULL, worker, p)) {
			wp_destroy(p);
			return -EAGAIN;
		}
	*out = p;
	return 0;
}

void wp_destroy(struct worker_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < p->n; i++)
		pthread_join(p->threads[i], NULL);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	free(p->threads);
	free(p);
}

void wp_submit(struct worker_pool *p, struct wp_job *job)
{
	job->next = NULL;
	pthread_mutex_lock(&p->lock);
	if (p->tail)
		p->tail->next = job;
	else
		p->head = job;
	p->tail = job;
	atomic_fetch_add(&p->queued, 1);
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

unsigned wp_queued(struct worker_pool *p)
{
	return atomic_load(&p->queued);
}

unsigned wp_threads(const struct worker_pool *p)
{
	return p->n;
}
