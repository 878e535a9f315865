/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * device_datapath.c - the data path of a connection's device (see
 * crypto_device.h): kick -> pop -> run inline or on the worker pool ->
 * push -> notify.  Owns where a request runs, fairness to the control
 * path and completion batching.  Does not own ring configuration, memory
 * or sessions (crypto_device.c), the ring layout (virtqueue.c) or what a
 * request does (crypto_request.c).
 *
 * Where a request runs: malformed chains and requests of at most
 * inline_max readable bytes (CD_INLINE_MAX) run on the dispatcher thread,
 * since handing them to another thread costs more than the crypto; of the
 * larger ones, the last one popped in a batch runs there too (a lone
 * request in flight never waits for a worker to wake up) and the others go
 * to the worker pool and complete in any order.
 *
 * Fairness to the control path: one cd_process call pops at most
 * CD_PROCESS_MAX chains; a guest that keeps its ring full makes the
 * connection thread come back (cd_process_more) after it has looked at
 * the vhost-user socket, never keeps it popping for ever.
 *
 * Completion batching: a finished request is pushed at once; the call
 * eventfd is signalled only if no other request of the same queue is still
 * waiting in the pool (the last one to finish signals for all), and then
 * only if the driver asked for it (EVENT_IDX used_event, or the
 * NO_INTERRUPT flag).  Inline mode signals once per batch.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "crypto_device.h"
#include "crypto_request.h"
#include "device_queue.h"
#include "log.h"

struct cd_job {
	struct wp_job job;
	struct cd_queue *q;
	struct vq_chain chain;
	size_t charged;			/* to the connection's budget */
};

/* What a queued job holds: itself and its chain's buffer list. */
static size_t job_cost(const struct vq_chain *c)
{
	return sizeof(struct cd_job) +
	       (c->cap > VQ_INLINE_IOV ? c->cap * sizeof(struct iovec) : 0);
}

unsigned cd_waiting(const struct crypto_device *d)
{
	unsigned n = 0;

	for (unsigned i = 0; i < CD_MAX_QUEUES; i++)
		if (d->q[i].addr_set && vq_ready(&d->q[i].vq))
			n += vq_avail_pending(&d->q[i].vq);
	return n;
}

void cd_resume(struct crypto_device *d)
{
	for (unsigned i = 0; i < CD_MAX_QUEUES; i++)
		if (d->q[i].started || d->q[i].kick_pending)
			cd_process(d, i);
}

/* Push one completion; signal the guest unless batching defers it. */
static void complete(struct cd_queue *q, uint16_t head, uint32_t len,
		     bool may_signal)
{
	pthread_mutex_lock(&q->lock);
	vq_push(&q->vq, head, len);
	il_pushed(q->dev->ilog, q->index, head, q->vq.used_idx);
	log_debug("vring %u: done head %u len %u (queued %u)", q->index, head,
		  len, atomic_load(&q->queued));
	if (may_signal && atomic_load(&q->queued) == 0 &&
	    vq_should_notify(&q->vq) && q->call_fd >= 0)
		eventfd_write(q->call_fd, 1);
	if (--q->inflight == 0)
		pthread_cond_broadcast(&q->idle);
	pthread_mutex_unlock(&q->lock);
}

static void signal_batch(struct cd_queue *q)
{
	pthread_mutex_lock(&q->lock);
	if (vq_should_notify(&q->vq) && q->call_fd >= 0)
		eventfd_write(q->call_fd, 1);
	pthread_mutex_unlock(&q->lock);
}

/* Execute a chain (not a malformed one); the used length to push. */
static uint32_t execute_chain(struct cd_queue *q, const struct vq_chain *c)
{
	uint32_t used = 0;

	if (c->err == 0) {
		int st = crypto_request_execute(q->dev->sessions, c,
						&q->dev->budget, &used);
		log_debug("vring %u: head %u status %d", q->index, c->head, st);
	}
	return used;
}

static void run_chain(struct cd_queue *q, struct vq_chain *c, bool may_signal)
{
	complete(q, c->head, execute_chain(q, c), may_signal);
}

static void job_fn(struct wp_job *j)
{
	struct cd_job *cj = (struct cd_job *)((char *)j - offsetof(struct cd_job, job));
	struct cd_queue *q = cj->q;

	uint32_t used;
	uint16_t head = cj->chain.head;

	atomic_fetch_sub(&q->queued, 1);
	used = execute_chain(q, &cj->chain);
	/* give the memory back before the completion a drain waits for */
	vq_chain_release(&cj->chain);
	mb_put(&q->dev->budget, cj->charged);
	free(cj);
	complete(q, head, used, true);
}

unsigned cd_kick_fds(const struct crypto_device *d, struct pollfd *pfd,
		     unsigned *qi, unsigned max)
{
	unsigned n = 0;

	for (unsigned i = 0; i < CD_MAX_QUEUES && n < max; i++) {
		const struct cd_queue *q = &d->q[i];

		if (q->kick_fd >= 0 && q->started) {
			qi[n] = i;
			pfd[n++] = (struct pollfd){ .fd = q->kick_fd,
						    .events = POLLIN };
		}
	}
	return n;
}

void cd_kick(struct crypto_device *d, unsigned qi)
{
	struct cd_queue *q = cd_queue_of(d, qi);
	eventfd_t v;

	if (!q)
		return;
	if (q->kick_fd >= 0) {
		ssize_t n = read(q->kick_fd, &v, sizeof(v));

		if (n != sizeof(v) && !(n < 0 && (errno == EAGAIN || errno == EINTR))) {
			/* not an eventfd (or gone): polling it would spin */
			log_warn("vring %u: kick fd unusable, no longer polled", qi);
			cd_close_fd(&q->kick_fd);
		}
	}
	log_debug("vring %u kicked", qi);
	cd_process(d, qi);
}

/* Hand a popped chain to the pool: the chain moves into a job.  False
 * when the job does not fit in the budget (or memory): nothing queued. */
static bool submit(struct crypto_device *d, struct cd_queue *q,
		   struct vq_chain *c)
{
	size_t cost = job_cost(c);
	struct cd_job *cj;

	if (!mb_take(&d->budget, cost))
		return false;
	cj = malloc(sizeof(*cj));
	if (!cj) {
		mb_put(&d->budget, cost);
		return false;
	}
	vq_chain_move(&cj->chain, c);
	cj->charged = cost;
	cj->q = q;
	cj->job.fn = job_fn;
	atomic_fetch_add(&q->queued, 1);
	q->pooled++;
	wp_submit(d->pool, &cj->job);
	return true;
}

/* Answer a chain with status ERR without running it (over the budget). */
static void refuse_chain(struct cd_queue *q, struct vq_chain *c)
{
	uint32_t used = 0;

	q->refused++;
	crypto_request_refuse(c, &used);
	complete(q, c->head, used, false);
}

/* Run the held large request here, or queue it when it is too long for
 * the connection thread; refused when the budget is exhausted.  Returns
 * how many completed here (0 or 1). */
static unsigned dispatch_last(struct crypto_device *d, struct cd_queue *q,
			      struct vq_chain *held)
{
	if (held->rlen <= CD_INLINE_LAST_MAX) {
		run_chain(q, held, false);
		return 1;
	}
	if (submit(d, q, held))
		return 0;
	refuse_chain(q, held);
	return 1;
}

/* Pop everything available.  Small requests (and malformed chains) run
 * right here: waking another thread costs more than they do.  Of the large
 * ones, the last of the batch also runs here when it is at most
 * CD_INLINE_LAST_MAX (it is the only one when a single request is in
 * flight, and a worker would add a wake-up for nothing); the others go to
 * the pool, which runs them while this thread does its own.  A request
 * whose job does not fit in the connection's budget gets ERR.  Pops at
 * most *budget chains (counting it down).  Returns how many were
 * completed inline. */
static unsigned pop_all(struct crypto_device *d, struct cd_queue *q,
			struct vq_chain *c, unsigned *budget)
{
	unsigned inline_done = 0;
	struct vq_chain held;
	bool holding = false;

	vq_chain_init(&held);
	for (; *budget; (*budget)--) {
		int r = vq_pop(&q->vq, &d->mem, c);

		if (r <= 0) {
			if (r < 0) {
				log_err("vring %u: corrupt avail ring, queue stopped",
					q->index);
				if (q->err_fd >= 0)	/* tell the front-end */
					eventfd_write(q->err_fd, 1);
			}
			break;
		}
		/* taken: in the log before anything of it runs */
		il_popped(d->ilog, q->index, c->head, (uint16_t)(q->vq.last_avail - 1));
		q->requests++;
		log_debug("vring %u: request head %u, %u+%u buffers", q->index,
			  c->head, c->nr, c->nw);
		pthread_mutex_lock(&q->lock);
		q->inflight++;
		pthread_mutex_unlock(&q->lock);
		if (c->err) {
			q->bad_chains++;
			log_debug("vring %u: bad descriptor chain %u (%s)",
				  q->index, c->head, strerror(-c->err));
		} else if (d->pool && c->rlen > d->inline_max) {
			/* the newest large one is kept, the one before goes */
			if (holding && !submit(d, q, &held)) {
				refuse_chain(q, &held);
				inline_done++;
			}
			vq_chain_release(&held);
			vq_chain_move(&held, c);
			holding = true;
			continue;
		}
		run_chain(q, c, false);
		inline_done++;
	}
	if (holding)
		inline_done += dispatch_last(d, q, &held);
	vq_chain_release(&held);
	return inline_done;
}

bool cd_process(struct crypto_device *d, unsigned qi)
{
	struct cd_queue *q = cd_queue_of(d, qi);
	struct vq_chain chain;
	unsigned inline_done = 0, budget = CD_PROCESS_MAX;

	if (!q)
		return false;
	q->more = false;
	if (!cd_queue_can_run(q)) {
		log_debug("vring %u cannot run yet (started %d enabled %d addr %d "
			  "ready %d): kick kept", qi, q->started, q->enabled,
			  q->addr_set, vq_ready(&q->vq));
		q->kick_pending = true;
		return false;
	}
	q->kick_pending = false;
	vq_chain_init(&chain);
	do {
		inline_done += pop_all(d, q, &chain, &budget);
		if (!budget) {
			/* notifications stay off: the caller comes back */
			q->more = true;
			break;
		}
	} while (vq_enable_notify(&q->vq) && !q->vq.broken && !q->kick_pending);
	vq_chain_release(&chain);
	/* completions done here (inline requests, bad chains) are signalled
	 * once for the batch */
	if (inline_done)
		signal_batch(q);
	return q->more;
}

bool cd_has_more(const struct crypto_device *d)
{
	for (unsigned i = 0; i < CD_MAX_QUEUES; i++)
		if (d->q[i].more)
			return true;
	return false;
}

void cd_process_more(struct crypto_device *d)
{
	for (unsigned i = 0; i < CD_MAX_QUEUES; i++)
		if (d->q[i].more)
			cd_process(d, i);
}
