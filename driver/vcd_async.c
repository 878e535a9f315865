// SPDX-License-Identifier: GPL-2.0-only
/*
 * vcd_async.c - the asynchronous calls of one open file.
 *
 * Owns the queue behind CIOCASYNCCRYPT, CIOCASYNCFETCH and poll(): a
 * request is checked and its buffers taken (pinned or copied) in the
 * caller's context; one the device can take whole goes on the ring at once
 * (many from one thread keep the device busy: the ring's event index spares
 * the kicks while the device works, one interrupt harvests every request it
 * returned), anything else (the guest kernel's crypto API, CBC encryption in
 * several pieces) is run in order by a work item of the file.  Finished
 * requests wait on a done list in the order they finished; CIOCASYNCFETCH
 * takes the first, copies its results to the caller and writes its crypt_op
 * back.  Interrupts only where somebody would wait: while the done list
 * holds requests, poll() and CIOCASYNCFETCH harvest the ring themselves;
 * once it is empty with requests still out, the file takes a waker token
 * on each queue they are on (vcd_queue_wake_get) until one comes back, so
 * a thread keeping the ring busy is not interrupted for every request
 * (the job's timeout timer also harvests before it judges).  At most
 * async_max requests and async_bytes bytes of them per file
 * (EBUSY beyond, as cryptodev-linux beyond its ring), so a process cannot
 * pin unbounded kernel memory.  POLLOUT while a request can be queued,
 * POLLIN while one is done.  close() never waits: requests still on the
 * device keep their buffers until it returns them.  Does not own the
 * operation itself (vcd_job.c).
 */
#include <linux/slab.h>

#include "vcd_async.h"

#define VCD_ASYNC_QUEUES 4

/* The file's device requests on one queue (jobs beyond these queues ask
 * for an interrupt each). */
struct vcd_async_queue {
	struct vcd_queue *q;		/* NULL: slot free */
	unsigned int running;		/* jobs with pieces on it */
	bool token;			/* a waker token held on it */
};

struct vcd_async {
	struct kref ref;		/* file, work item, each queued job */
	spinlock_t lock;
	struct vcd_async_queue qs[VCD_ASYNC_QUEUES];
	struct list_head todo;		/* for the work item, in order */
	struct list_head done;		/* finished, not fetched */
	unsigned int count;		/* submitted and not fetched */
	size_t bytes;			/* their data */
	bool closed;
	wait_queue_head_t wq;
	struct work_struct work;
};

static void vcd_async_release(struct kref *ref)
{
	kfree(container_of(ref, struct vcd_async, ref));
}

static void vcd_async_put(struct vcd_async *aq)
{
	kref_put(&aq->ref, vcd_async_release);
}

/* The slot of queue @q for one more job, or -1 if all are taken; locked. */
static int vcd_async_queue_get(struct vcd_async *aq, struct vcd_queue *q)
{
	int i, free = -1;

	for (i = 0; i < VCD_ASYNC_QUEUES; i++) {
		if (aq->qs[i].q == q) {
			aq->qs[i].running++;
			return i;
		}
		if (!aq->qs[i].q && free < 0)
			free = i;
	}
	if (free >= 0) {
		aq->qs[free].q = q;
		aq->qs[free].running = 1;
	}
	return free;
}

/*
 * Give back the waker tokens (@all: every one, otherwise those of queues
 * with nothing of ours left) and free the unused slots; aq->lock held.
 */
static void vcd_async_queues_idle(struct vcd_async *aq, bool all)
{
	struct vcd_async_queue *aqq;
	int i;

	for (i = 0; i < VCD_ASYNC_QUEUES; i++) {
		aqq = &aq->qs[i];
		if (aqq->token && (all || !aqq->running)) {
			aqq->token = false;
			vcd_queue_wake_put(aqq->q);
		}
		if (!aqq->running && !aqq->token)
			aqq->q = NULL;
	}
}

/*
 * Take a waker token on every queue with requests of ours (@reap: harvest
 * those queues first), when nothing is done (or @any); aq->lock held.  What
 * was harvested is in @done[i] for queue @qv[i], to finish after unlocking.
 */
static void vcd_async_queues_wait(struct vcd_async *aq, bool reap, bool any,
				  struct vcd_queue *qv[],
				  struct list_head done[])
{
	struct vcd_async_queue *aqq;
	int i;

	if (!any && !list_empty(&aq->done))
		return;
	for (i = 0; i < VCD_ASYNC_QUEUES; i++) {
		aqq = &aq->qs[i];
		if (!aqq->running)
			continue;
		qv[i] = aqq->q;
		if (reap)
			vcd_queue_collect(aqq->q, &done[i]);
		if (!aqq->token) {
			aqq->token = true;
			vcd_queue_wake_get(aqq->q, &done[i]);
		}
	}
}

/*
 * Nothing done (any more), or @any (close): harvest ourselves (@reap),
 * interrupts for the rest.  Takes aq->lock.
 */
static void vcd_async_wait_for_more(struct vcd_async *aq, bool reap, bool any)
{
	struct list_head done[VCD_ASYNC_QUEUES];
	struct vcd_queue *qv[VCD_ASYNC_QUEUES] = { NULL };
	unsigned long flags;
	int i;

	for (i = 0; i < VCD_ASYNC_QUEUES; i++)
		INIT_LIST_HEAD(&done[i]);
	spin_lock_irqsave(&aq->lock, flags);
	vcd_async_queues_wait(aq, reap, any, qv, done);
	spin_unlock_irqrestore(&aq->lock, flags);
	for (i = 0; i < VCD_ASYNC_QUEUES; i++)
		if (qv[i])
			vcd_queue_finish(qv[i], &done[i]);
}

/* Finished (any context): to the done list, or dropped after close. */
void vcd_async_job_done(struct vcd_job *job)
{
	struct vcd_async *aq = job->aq;
	unsigned long flags;
	bool closed;

	spin_lock_irqsave(&aq->lock, flags);
	if (job->aq_queue >= 0)
		aq->qs[job->aq_queue].running--;
	closed = aq->closed;
	if (!closed)
		list_add_tail(&job->node, &aq->done);
	/* something to fetch: nobody waits for an interrupt any more */
	vcd_async_queues_idle(aq, !closed);
	spin_unlock_irqrestore(&aq->lock, flags);
	if (closed) {
		job->aq = NULL;
		vcd_job_drop_any(job);
		vcd_async_put(aq);	/* in the job's stead: aq outlives it */
		return;
	}
	wake_up_interruptible(&aq->wq);
}

static void vcd_async_work(struct work_struct *work)
{
	struct vcd_async *aq = container_of(work, struct vcd_async, work);
	struct vcd_job *job;
	unsigned long flags;

	for (;;) {
		spin_lock_irqsave(&aq->lock, flags);
		job = list_first_entry_or_null(&aq->todo, struct vcd_job,
					       node);
		if (job)
			list_del_init(&job->node);
		spin_unlock_irqrestore(&aq->lock, flags);
		if (!job)
			break;
		vcd_job_run(job, false);
		vcd_async_job_done(job);
	}
	vcd_async_put(aq);
}

struct vcd_async *vcd_async_new(void)
{
	struct vcd_async *aq = kzalloc(sizeof(*aq), GFP_KERNEL);

	if (!aq)
		return NULL;
	kref_init(&aq->ref);
	spin_lock_init(&aq->lock);
	INIT_LIST_HEAD(&aq->todo);
	INIT_LIST_HEAD(&aq->done);
	init_waitqueue_head(&aq->wq);
	INIT_WORK(&aq->work, vcd_async_work);
	return aq;
}

static bool vcd_async_has_room(struct vcd_async *aq, size_t len)
{
	unsigned int max = clamp(vcd_param_async_max, 1U, 1024U);

	if (!aq->count)
		return true;
	return aq->count < max && aq->bytes + len <= vcd_param_async_bytes;
}

int vcd_async_submit(struct vcd_async *aq, struct vcd_session *s,
		     const struct crypt_op *cop)
{
	struct vcd_job *job;
	unsigned long flags;
	int err;

	spin_lock_irqsave(&aq->lock, flags);
	if (!vcd_async_has_room(aq, cop->len)) {
		spin_unlock_irqrestore(&aq->lock, flags);
		return -EBUSY;
	}
	aq->count++;		/* reserve before the slow part */
	aq->bytes += cop->len;
	spin_unlock_irqrestore(&aq->lock, flags);

	err = vcd_job_new(s, cop, true, &job);
	if (err)
		goto unreserve;
	kref_get(&aq->ref);
	job->aq = aq;
	if (vcd_job_can_submit_async(job)) {
		spin_lock_irqsave(&aq->lock, flags);
		job->aq_queue = vcd_async_queue_get(aq, s->q);
		spin_unlock_irqrestore(&aq->lock, flags);
		job->irq_each = job->aq_queue < 0;
		err = vcd_job_submit_async(job);
		if (err) {
			spin_lock_irqsave(&aq->lock, flags);
			if (job->aq_queue >= 0)
				aq->qs[job->aq_queue].running--;
			vcd_async_queues_idle(aq, false);
			spin_unlock_irqrestore(&aq->lock, flags);
			job->aq = NULL;
			vcd_async_put(aq);
			vcd_job_put(job);
			goto unreserve;
		}
		vcd_async_wait_for_more(aq, false, false);
		return 0;
	}
	spin_lock_irqsave(&aq->lock, flags);
	list_add_tail(&job->node, &aq->todo);
	spin_unlock_irqrestore(&aq->lock, flags);
	kref_get(&aq->ref);
	if (!queue_work(vcd_wq, &aq->work))
		vcd_async_put(aq);
	return 0;
unreserve:
	spin_lock_irqsave(&aq->lock, flags);
	aq->count--;
	aq->bytes -= cop->len;
	spin_unlock_irqrestore(&aq->lock, flags);
	wake_up_interruptible(&aq->wq);
	return err;
}

/*
 * The first finished request: its results to the caller, its crypt_op in
 * *@cop; returns its result.  -EBUSY when none has finished.
 */
int vcd_async_fetch(struct vcd_async *aq, struct crypt_op *cop)
{
	struct vcd_job *job;
	unsigned long flags;
	bool again = true, empty;
	int err;

	for (;;) {
		spin_lock_irqsave(&aq->lock, flags);
		job = list_first_entry_or_null(&aq->done, struct vcd_job,
					       node);
		if (job) {
			list_del_init(&job->node);
			aq->count--;
			aq->bytes -= job->cop.len;
		}
		empty = list_empty(&aq->done);
		spin_unlock_irqrestore(&aq->lock, flags);
		if (job || !again)
			break;
		vcd_async_wait_for_more(aq, true, false);
		again = false;
	}
	if (!job)
		return -EBUSY;
	if (empty)	/* a caller that waits next (epoll) gets woken */
		vcd_async_wait_for_more(aq, false, false);
	wake_up_interruptible(&aq->wq);
	err = vcd_job_finish(job);
	*cop = job->cop;
	job->aq = NULL;
	vcd_job_put(job);
	vcd_async_put(aq);
	return err;
}

__poll_t vcd_async_poll(struct vcd_async *aq, struct file *filp,
			poll_table *wait)
{
	unsigned long flags;
	__poll_t mask = 0;

	poll_wait(filp, &aq->wq, wait);
	if (list_empty_careful(&aq->done))
		vcd_async_wait_for_more(aq, true, false);
	spin_lock_irqsave(&aq->lock, flags);
	if (!list_empty(&aq->done))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (vcd_async_has_room(aq, 0))
		mask |= EPOLLOUT | EPOLLWRNORM;
	spin_unlock_irqrestore(&aq->lock, flags);
	return mask;
}

/* The file is closed: drop what is done or not started, keep the rest. */
void vcd_async_close(struct vcd_async *aq)
{
	struct vcd_job *job, *tmp;
	unsigned long flags;
	LIST_HEAD(list);

	spin_lock_irqsave(&aq->lock, flags);
	aq->closed = true;
	list_splice_init(&aq->done, &list);
	list_splice_tail_init(&aq->todo, &list);
	spin_unlock_irqrestore(&aq->lock, flags);
	/* what is still out comes back under interrupts, then it is freed */
	vcd_async_wait_for_more(aq, false, true);
	list_for_each_entry_safe(job, tmp, &list, node) {
		list_del_init(&job->node);
		job->aq = NULL;
		vcd_job_drop(job);
		vcd_async_put(aq);
	}
	vcd_async_put(aq);
}
