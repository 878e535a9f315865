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
 * back.  At most async_max requests and async_bytes bytes of them per file
 * (EBUSY beyond, as cryptodev-linux beyond its ring), so a process cannot
 * pin unbounded kernel memory.  POLLOUT while a request can be queued,
 * POLLIN while one is done.  close() never waits: requests still on the
 * device keep their buffers until it returns them.  Does not own the
 * operation itself (vcd_job.c).
 */
#include <linux/slab.h>

#include "vcd_async.h"

struct vcd_async {
	struct kref ref;		/* file, work item, each queued job */
	spinlock_t lock;
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

/* Finished (any context): to the done list, or dropped after close. */
void vcd_async_job_done(struct vcd_job *job)
{
	struct vcd_async *aq = job->aq;
	unsigned long flags;
	bool closed;

	spin_lock_irqsave(&aq->lock, flags);
	closed = aq->closed;
	if (!closed)
		list_add_tail(&job->node, &aq->done);
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
		err = vcd_job_submit_async(job);
		if (err) {
			job->aq = NULL;
			vcd_async_put(aq);
			vcd_job_put(job);
			goto unreserve;
		}
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
	int err;

	spin_lock_irqsave(&aq->lock, flags);
	job = list_first_entry_or_null(&aq->done, struct vcd_job, node);
	if (job) {
		list_del_init(&job->node);
		aq->count--;
		aq->bytes -= job->cop.len;
	}
	spin_unlock_irqrestore(&aq->lock, flags);
	if (!job)
		return -EBUSY;
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
	list_for_each_entry_safe(job, tmp, &list, node) {
		list_del_init(&job->node);
		job->aq = NULL;
		vcd_job_drop(job);
		vcd_async_put(aq);
	}
	vcd_async_put(aq);
}
