/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * write_pool.c - threads sharing one job with the caller (see
 * write_pool.h).  One mutex and two condition variables for the pool: a
 * job is published with a generation number, each thread takes its slice
 * when the generation changes, and the caller waits until the count of
 * threads still busy is zero.
 */
#include "write_pool.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

struct write_pool {
	pthread_mutex_t lock;
	pthread_cond_t go, done;
	pthread_t *t;
	unsigned n;		/* threads started */
	unsigned busy;		/* threads still on the current job */
	unsigned long gen;	/* job number */
	int stop;
	/* the current job */
	void **items;
	size_t count;
	write_pool_fn fn;
	void *arg;
};

struct worker_arg {
	struct write_pool *p;
	unsigned index;		/* 1..n: slice 0 is the caller's */
};

/* Items of slice i of `parts` slices. */
static void slice(size_t count, unsigned parts, unsigned i, size_t *lo, size_t *hi)
{
	*lo = count * i / parts;
	*hi = count * (i + 1) / parts;
}

static void *worker(void *a)
{
	struct worker_arg wa = *(struct worker_arg *)a;
	struct write_pool *p = wa.p;
	unsigned long seen = 0;

	free(a);
	pthread_mutex_lock(&p->lock);
	for (;;) {
		size_t lo, hi, i;

		while (!p->stop && p->gen == seen)
			pthread_cond_wait(&p->go, &p->lock);
		if (p->stop)
			break;
		seen = p->gen;
		slice(p->count, p->n + 1, wa.index, &lo, &hi);
		pthread_mutex_unlock(&p->lock);
		for (i = lo; i < hi; i++)
			p->fn(p->items[i], p->arg);
		pthread_mutex_lock(&p->lock);
		if (--p->busy == 0)
			pthread_cond_signal(&p->done);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

struct write_pool *write_pool_new(unsigned threads)
{
	sigset_t all, old;
	struct write_pool *p;
	unsigned i;

	if (threads > WRITE_POOL_MAX_THREADS) {
		errno = EINVAL;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->t = calloc(threads ? threads : 1, sizeof(*p->t));
	if (!p->t) {
		free(p);
		return NULL;
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->go, NULL);
	pthread_cond_init(&p->done, NULL);
	/* The threads take no signal (they inherit this mask): the caller's
	 * signalfd must see SIGTERM, not a thread's default action. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (i = 0; i < threads; i++) {
		struct worker_arg *a = malloc(sizeof(*a));
		int rc;

		if (!a) {
			pthread_sigmask(SIG_SETMASK, &old, NULL);
			write_pool_free(p);
			errno = ENOMEM;
			return NULL;
		}
		a->p = p;
		a->index = i + 1;
		rc = pthread_create(&p->t[i], NULL, worker, a);
		if (rc) {
			free(a);
			pthread_sigmask(SIG_SETMASK, &old, NULL);
			write_pool_free(p);
			errno = rc;
			return NULL;
		}
		p->n++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return p;
}

void write_pool_free(struct write_pool *p)
{
	unsigned i;

	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = 1;
	pthread_cond_broadcast(&p->go);
	pthread_mutex_unlock(&p->lock);
	for (i = 0; i < p->n; i++)
		pthread_join(p->t[i], NULL);
	pthread_cond_destroy(&p->go);
	pthread_cond_destroy(&p->done);
	pthread_mutex_destroy(&p->lock);
	free(p->t);
	free(p);
}

void write_pool_run(struct write_pool *p, void **items, size_t n,
		    write_pool_fn fn, void *arg)
{
	size_t lo, hi, i;

	if (!p || !p->n || n < WRITE_POOL_MIN_ITEMS) {
		for (i = 0; i < n; i++)
			fn(items[i], arg);
		return;
	}
	pthread_mutex_lock(&p->lock);
	p->items = items;
	p->count = n;
	p->fn = fn;
	p->arg = arg;
	p->busy = p->n;
	p->gen++;
	pthread_cond_broadcast(&p->go);
	pthread_mutex_unlock(&p->lock);
	slice(n, p->n + 1, 0, &lo, &hi);
	for (i = lo; i < hi; i++)
		fn(items[i], arg);
	pthread_mutex_lock(&p->lock);
	while (p->busy)
		pthread_cond_wait(&p->done, &p->lock);
	pthread_mutex_unlock(&p->lock);
}
