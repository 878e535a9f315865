// SPDX-License-Identifier: GPL-2.0-only
/*
 * vcd_queue.c - putting requests on a virtqueue and getting them back.
 *
 * Owns the request life cycle on one virtqueue: an owner adds its
 * scatterlists under the queue spinlock (held only for add, kick-prepare
 * and harvest), waits for ring space when the ring is full and for the
 * queue to come back while the device is being reset, then waits for its
 * request killably and with the module's timeout.  Used buffers are
 * harvested under the lock into a private list and completed after it is
 * dropped; the device's reference is dropped last, and a release that may
 * sleep runs from a work item when that reference was the last one (an
 * abandoned request).  Used-buffer interrupts are on only while some owner
 * waits for one: at once for a submitter asleep on its request or a file
 * whose asynchronous requests are all still out (a "waker", vcd_async.c);
 * for other requests nobody sleeps on only once three quarters of the
 * ring's requests are back (the event index of virtqueue_enable_cb_
 * delayed).  Asynchronous requests of a file with finished ones to fetch
 * need no interrupt: the file harvests them itself when it is called
 * (vcd_queue_collect), so a thread keeping many in flight is not
 * interrupted for each.  A submitter also looks at the used ring once right
 * after its kick.  A request that times out makes the device reset, and
 * the owner gets its
 * buffers back only once the reset has taken them from the device.  It
 * does not know what a request means (vcd_dev_op.c, vcd_devsess.c).
 */
#include <linux/jiffies.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/virtio_config.h>
#include <uapi/linux/virtio_ring.h>

#include "vcd.h"

void vcd_queue_init(struct vcd_queue *q, struct vcd_device *dev,
		    const char *name)
{
	q->dev = dev;
	q->wakers = 0;		/* files' tokens: they outlive a reset */
	spin_lock_init(&q->lock);
	init_waitqueue_head(&q->space_wq);
	strscpy(q->name, name, sizeof(q->name));
	q->state = VCD_Q_DOWN;
}

/*
 * A (new) virtqueue for @q after probe, reset or restore: the ring is empty.
 * Descriptors per request: the whole ring with indirect descriptors (QEMU
 * bounds a chain by the queue size, at most 1024), otherwise a quarter of it
 * so that a few requests fit at once.
 */
void vcd_queue_attach(struct vcd_queue *q, struct virtqueue *vq)
{
	unsigned int size = virtqueue_get_vring_size(vq);
	unsigned long flags;

	spin_lock_irqsave(&q->lock, flags);
	q->vq = vq;
	q->inflight = 0;
	q->irq_wanted = 0;
	q->irq_now = 0;
	if (virtio_has_feature(vq->vdev, VIRTIO_RING_F_INDIRECT_DESC))
		q->max_sg = min(size, 1024U);
	else
		q->max_sg = max(size / 4, 8U);
	spin_unlock_irqrestore(&q->lock, flags);
	virtqueue_disable_cb(vq);
}

void vcd_queue_set_state(struct vcd_queue *q, enum vcd_queue_state state)
{
	unsigned long flags;

	spin_lock_irqsave(&q->lock, flags);
	q->state = state;
	q->space_gen++;
	spin_unlock_irqrestore(&q->lock, flags);
	wake_up_all(&q->space_wq);
}

static void vcd_req_free_work(struct work_struct *work)
{
	struct vcd_req *req = container_of(work, struct vcd_req, free_work);

	req->release(req);
}

void vcd_req_init(struct vcd_req *req, void (*release)(struct vcd_req *))
{
	kref_init(&req->ref);
	init_completion(&req->done);
	req->result = 0;
	req->want_irq = false;
	req->irq_now = false;
	req->returned = false;
	req->q = NULL;
	req->complete = NULL;
	req->release = release;
	INIT_LIST_HEAD(&req->harvest);
	INIT_WORK(&req->free_work, vcd_req_free_work);
}

static void vcd_req_kref_release(struct kref *ref)
{
	struct vcd_req *req = container_of(ref, struct vcd_req, ref);

	req->release(req);
}

/* The owner's reference: process context. */
void vcd_req_put(struct vcd_req *req)
{
	might_sleep();
	kref_put(&req->ref, vcd_req_kref_release);
}

/* The device's reference: any context, the release is deferred. */
static void vcd_req_put_device(struct vcd_req *req)
{
	if (refcount_dec_and_test(&req->ref.refcount))
		queue_work(vcd_wq, &req->free_work);
}

/* @req no longer needs an interrupt (it is back); q->lock held. */
static void vcd_req_irq_off(struct vcd_queue *q, struct vcd_req *req)
{
	if (req->irq_now) {
		req->irq_now = false;
		q->irq_now--;
	}
	if (req->want_irq) {
		req->want_irq = false;
		q->irq_wanted--;
	}
}

/*
 * Interrupts on for the owners that need one: at the next used buffer
 * while one sleeps on its request or a waker waits, otherwise once three
 * quarters of the requests on the ring are back.  False when that many are
 * back already: harvest again.  q->lock held, q->irq_wanted or q->wakers.
 */
static bool vcd_queue_arm(struct vcd_queue *q)
{
	if (q->irq_now || q->wakers > 0)
		return virtqueue_enable_cb(q->vq);
	return virtqueue_enable_cb_delayed(q->vq);
}

static bool vcd_queue_irq_needed(const struct vcd_queue *q)
{
	return q->irq_wanted || q->wakers > 0;
}

/* Move every used buffer to @done; q->lock held. */
static unsigned int vcd_queue_harvest(struct vcd_queue *q,
				      struct list_head *done)
{
	struct vcd_req *req;
	unsigned int len, n = 0;

	while ((req = virtqueue_get_buf(q->vq, &len))) {
		q->inflight--;
		vcd_req_irq_off(q, req);
		req->result = 0;
		req->returned = true;
		list_add_tail(&req->harvest, done);
		n++;
	}
	if (n)
		q->space_gen++;
	return n;
}

/*
 * Harvest with interrupts off (a used buffer taken with them on would move
 * the event index back to "next"), then turn them on again as the owners
 * still waiting need them, harvesting once more if buffers came back
 * meanwhile; with nobody waiting they stay off.  q->lock held.
 */
static unsigned int vcd_queue_harvest_all(struct vcd_queue *q,
					  struct list_head *done)
{
	unsigned int n = 0;

	do {
		virtqueue_disable_cb(q->vq);
		n += vcd_queue_harvest(q, done);
	} while (vcd_queue_irq_needed(q) && !vcd_queue_arm(q));
	return n;
}

/* Complete what was harvested; q->lock not held, any context. */
void vcd_queue_finish(struct vcd_queue *q, struct list_head *done)
{
	struct vcd_req *req, *tmp;

	if (list_empty(done))
		return;
	list_for_each_entry_safe(req, tmp, done, harvest) {
		list_del_init(&req->harvest);
		if (req->complete)
			req->complete(req);
		complete(&req->done);
		vcd_req_put_device(req);
	}
	wake_up(&q->space_wq);
}

/* Virtqueue callback (interrupt context): harvest and complete only. */
void vcd_queue_callback(struct vcd_queue *q)
{
	LIST_HEAD(done);
	unsigned long flags;

	spin_lock_irqsave(&q->lock, flags);
	if (q->vq)
		vcd_queue_harvest_all(q, &done);
	spin_unlock_irqrestore(&q->lock, flags);
	vcd_queue_finish(q, &done);
}

/*
 * Harvest whatever the device has returned, from the submitting thread,
 * right after a kick: a device that serves a request within the notify
 * (QEMU's builtin back-end runs it in the vCPU that kicked) has already
 * put it on the used ring, and taking it here saves an interrupt.
 */
static void vcd_queue_reap(struct vcd_queue *q)
{
	LIST_HEAD(done);
	unsigned long flags;

	if (!spin_trylock_irqsave(&q->lock, flags))
		return;	/* someone is harvesting or adding: let them */
	if (q->state == VCD_Q_UP)
		vcd_queue_harvest_all(q, &done);
	spin_unlock_irqrestore(&q->lock, flags);
	vcd_queue_finish(q, &done);
}

/*
 * Harvest into @done what the device has returned (for vcd_queue_finish()
 * once the caller has dropped its own locks).  Any context.
 */
void vcd_queue_collect(struct vcd_queue *q, struct list_head *done)
{
	unsigned long flags;

	spin_lock_irqsave(&q->lock, flags);
	if (q->vq && q->state == VCD_Q_UP)
		vcd_queue_harvest_all(q, done);
	spin_unlock_irqrestore(&q->lock, flags);
}

/*
 * A file waits for its asynchronous requests on @q: interrupts on at the
 * next one back until vcd_queue_wake_put().  What came back already is
 * harvested into @done, for vcd_queue_finish() once the caller has dropped
 * its own locks.  Any context.
 */
void vcd_queue_wake_get(struct vcd_queue *q, struct list_head *done)
{
	unsigned long flags;

	spin_lock_irqsave(&q->lock, flags);
	q->wakers++;
	if (q->vq && q->state == VCD_Q_UP && !vcd_queue_arm(q))
		vcd_queue_harvest_all(q, done);
	spin_unlock_irqrestore(&q->lock, flags);
}

/* The file no longer waits; interrupts go off at the next harvest. */
void vcd_queue_wake_put(struct vcd_queue *q)
{
	unsigned long flags;

	spin_lock_irqsave(&q->lock, flags);
	q->wakers--;
	spin_unlock_irqrestore(&q->lock, flags);
}

/*
 * Count @req among the requests that need an interrupt (@now: its owner
 * sleeps on it) and turn interrupts on for it; q->lock held.  Buffers that
 * came back meanwhile are harvested into @done.
 */
static void vcd_queue_irq_on(struct vcd_queue *q, struct vcd_req *req,
			     bool now, struct list_head *done)
{
	if (!req->want_irq) {
		req->want_irq = true;
		q->irq_wanted++;
	}
	if (now && !req->irq_now) {
		req->irq_now = true;
		q->irq_now++;
	}
	if (!vcd_queue_arm(q))
		vcd_queue_harvest_all(q, done);
}

static long vcd_timeout(void)
{
	if (!vcd_param_timeout_ms)
		return MAX_SCHEDULE_TIMEOUT;
	return msecs_to_jiffies(vcd_param_timeout_ms);
}

/*
 * Put @req on @q and notify the device.  Waits (uninterruptibly, at most
 * timeout_ms each) for ring space and for a device under reset to come
 * back.  With req->want_irq set before the call the request gets an
 * interrupt when it comes back (asynchronous requests).  Returns 0, or
 * -ENODEV (device removed), -EIO (the device did not recover), -ETIMEDOUT
 * (no ring space in time), -ENOMEM: then the device never saw the request.
 */
int vcd_queue_add(struct vcd_queue *q, struct vcd_req *req,
		  struct scatterlist *sgs[], unsigned int out,
		  unsigned int in)
{
	bool irq = req->want_irq;
	unsigned long flags, gen;
	LIST_HEAD(done);
	long ret;
	bool kick;
	int err;

	req->want_irq = false;
	for (;;) {
		unsigned int busy;

		spin_lock_irqsave(&q->lock, flags);
		if (q->state != VCD_Q_UP) {
			enum vcd_queue_state state = q->state;

			spin_unlock_irqrestore(&q->lock, flags);
			if (state == VCD_Q_DEAD)
				return -ENODEV;
			err = vcd_device_wait_up(q->dev);
			if (err)
				return err;
			continue;
		}
		kref_get(&req->ref);	/* the device's reference */
		req->q = q;
		err = virtqueue_add_sgs(q->vq, sgs, out, in, req, GFP_ATOMIC);
		if (!err) {
			q->inflight++;
			if (q->inflight > atomic64_read(&q->stats.max_inflight))
				atomic64_set(&q->stats.max_inflight,
					     q->inflight);
			if (irq)
				vcd_queue_irq_on(q, req, false, &done);
			/*
			 * Notify outside the lock (interrupts enabled: under
			 * TCG an interrupt raised while they are off waits for
			 * the next timer tick), inside an RCU read section:
			 * a reset or remove waits for it before deleting the
			 * queue.
			 */
			kick = virtqueue_kick_prepare(q->vq);
			rcu_read_lock();
			spin_unlock_irqrestore(&q->lock, flags);
			if (kick)
				virtqueue_notify(q->vq);
			rcu_read_unlock();
			vcd_queue_finish(q, &done);
			atomic64_inc(&q->stats.requests);
			return 0;
		}
		/* Not added: the device never saw it, undo its reference. */
		refcount_dec(&req->ref.refcount);
		req->q = NULL;
		gen = q->space_gen;
		busy = q->inflight;
		spin_unlock_irqrestore(&q->lock, flags);

		if (err != -ENOSPC || !busy) {
			atomic64_inc(&q->stats.errors);
			return err == -ENOSPC ? -ENOMEM : err;
		}
		atomic64_inc(&q->stats.ring_full);
		ret = wait_event_timeout(q->space_wq,
					 READ_ONCE(q->space_gen) != gen,
					 vcd_timeout());
		if (!ret) {
			atomic64_inc(&q->stats.errors);
			return -ETIMEDOUT;
		}
	}
}

/*
 * The owner is about to sleep on @req: make sure an interrupt comes when
 * the device returns it.  A request stays counted until it is harvested,
 * also when its owner was killed, so its buffers always come back.
 */
static void vcd_queue_want_irq(struct vcd_queue *q, struct vcd_req *req)
{
	unsigned long flags;
	LIST_HEAD(done);

	spin_lock_irqsave(&q->lock, flags);
	if (!req->returned && q->state == VCD_Q_UP && !req->irq_now)
		vcd_queue_irq_on(q, req, true, &done);
	spin_unlock_irqrestore(&q->lock, flags);
	vcd_queue_finish(q, &done);
}

/*
 * Wait for a request added with vcd_queue_add().  Returns its result (0:
 * the device answered, read its status; -EIO: drained by a reset or
 * removal), -EINTR when the owner was killed (the device keeps its
 * reference and the buffers until it returns them), or -ETIMEDOUT when the
 * device did not answer in timeout_ms: the device is then reset and this
 * returns only once the reset took the request back, so the caller may
 * reuse its buffers.
 */
int vcd_req_wait(struct vcd_req *req, bool killable)
{
	struct vcd_queue *q = req->q;
	long ret;

	if (!completion_done(&req->done)) {
		vcd_queue_reap(q);
		vcd_queue_want_irq(q, req);
	}
	if (killable)
		ret = wait_for_completion_killable_timeout(&req->done,
							   vcd_timeout());
	else
		ret = wait_for_completion_timeout(&req->done, vcd_timeout());
	if (ret > 0) {
		if (req->result) {
			atomic64_inc(&q->stats.errors);
			vcd_device_set_health(q->dev, false);
		}
		return req->result;
	}
	atomic64_inc(&q->stats.errors);
	if (ret < 0)
		return -EINTR;
	vcd_device_set_health(q->dev, false);
	vcd_device_schedule_reset(q->dev, "a request got no answer in time");
	wait_for_completion(&req->done);	/* the reset drains it */
	return -ETIMEDOUT;
}

/*
 * After the device was reset: complete what it had returned, fail every
 * other request still on the ring with -EIO and drop the device's
 * references.  The queue is not up.
 */
void vcd_queue_drain(struct vcd_queue *q)
{
	struct vcd_req *req;
	unsigned long flags;
	LIST_HEAD(answered);
	LIST_HEAD(done);

	spin_lock_irqsave(&q->lock, flags);
	if (q->vq) {
		vcd_queue_harvest(q, &answered);
		while ((req = virtqueue_detach_unused_buf(q->vq))) {
			q->inflight--;
			vcd_req_irq_off(q, req);
			req->returned = true;
			list_add_tail(&req->harvest, &done);
		}
	}
	spin_unlock_irqrestore(&q->lock, flags);
	list_for_each_entry(req, &done, harvest)
		req->result = -EIO;
	vcd_queue_finish(q, &answered);
	vcd_queue_finish(q, &done);
}
