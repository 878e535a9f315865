// SPDX-License-Identifier: GPL-2.0
/*
 * vcd_queue.c - putting requests on a virtqueue and getting them back.
 *
 * Owns the request life cycle on one virtqueue: a submitter adds its
 * scatterlists under the queue spinlock (held only for add and kick),
 * waits for ring space on a waitqueue when the ring is full, and sleeps on
 * the request's completion, killably and with the module's timeout.  The
 * virtqueue callback only harvests used buffers and complete()s them; a
 * submitter also takes one look at the used ring right after its kick, and
 * used-buffer interrupts are enabled only while some submitter sleeps.  A
 * request holds two references while on the ring, so a caller that was
 * killed or timed out leaves the buffers to the device until it returns them
 * (or until remove() drains the ring).  It does not know what a request
 * means: that belongs to vcd_session.c and vcd_chrdev.c.
 */
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/vmalloc.h>

#include "vcd.h"

void vcd_queue_init(struct vcd_queue *q, const char *name)
{
	spin_lock_init(&q->lock);
	init_waitqueue_head(&q->space_wq);
	strscpy(q->name, name, sizeof(q->name));
}

void vcd_req_init(struct vcd_req *req, void (*release)(struct vcd_req *))
{
	kref_init(&req->ref);
	init_completion(&req->done);
	req->result = 0;
	req->want_irq = false;
	req->release = release;
}

static void vcd_req_kref_release(struct kref *ref)
{
	struct vcd_req *req = container_of(ref, struct vcd_req, ref);

	req->release(req);
}

void vcd_req_put(struct vcd_req *req)
{
	kref_put(&req->ref, vcd_req_kref_release);
}

/* Number of scatterlist entries vcd_sg_map() needs for this buffer. */
unsigned int vcd_sg_count(const void *buf, unsigned int len)
{
	unsigned long off;

	if (!len)
		return 0;
	if (!is_vmalloc_addr(buf))
		return 1;
	off = offset_in_page(buf);
	return DIV_ROUND_UP(off + len, PAGE_SIZE);
}

/*
 * Describe a kmalloc()ed or vmalloc()ed buffer in sg[0..nents).  Returns the
 * number of entries used; the last one is marked as the end.
 */
unsigned int vcd_sg_map(struct scatterlist *sg, unsigned int nents,
			void *buf, unsigned int len)
{
	unsigned int n = 0;
	u8 *p = buf;

	sg_init_table(sg, nents);
	if (!is_vmalloc_addr(buf)) {
		sg_set_buf(sg, buf, len);
		return 1;
	}
	while (len && n < nents) {
		unsigned int off = offset_in_page(p);
		unsigned int chunk = min_t(unsigned int, len, PAGE_SIZE - off);

		sg_set_page(&sg[n++], vmalloc_to_page(p), chunk, off);
		p += chunk;
		len -= chunk;
	}
	sg_mark_end(&sg[n - 1]);
	return n;
}

static long vcd_timeout(void)
{
	if (!vcd_param_timeout_ms)
		return MAX_SCHEDULE_TIMEOUT;
	return msecs_to_jiffies(vcd_param_timeout_ms);
}

/* Complete every request the device returned; q->lock held. */
static unsigned int vcd_queue_harvest(struct vcd_queue *q)
{
	struct vcd_req *req;
	unsigned int len, n = 0;

	while ((req = virtqueue_get_buf(q->vq, &len))) {
		q->inflight--;
		if (req->want_irq) {
			req->want_irq = false;
			q->irq_wanted--;
		}
		req->result = 0;
		complete(&req->done);
		vcd_req_put(req);
		n++;
	}
	if (n)
		q->space_gen++;
	return n;
}

/*
 * Harvest until the ring is empty with interrupts on, or until nobody waits
 * for an interrupt any more (then they stay off); q->lock held.
 */
static unsigned int vcd_queue_harvest_all(struct vcd_queue *q)
{
	unsigned int n = 0;

	do {
		virtqueue_disable_cb(q->vq);
		n += vcd_queue_harvest(q);
	} while (q->irq_wanted && !virtqueue_enable_cb(q->vq));
	return n;
}

/* Virtqueue callback (interrupt context): harvest and complete only. */
void vcd_queue_callback(struct vcd_queue *q)
{
	unsigned long flags;
	unsigned int n;

	spin_lock_irqsave(&q->lock, flags);
	n = vcd_queue_harvest_all(q);
	spin_unlock_irqrestore(&q->lock, flags);
	if (n)
		wake_up(&q->space_wq);
}

/*
 * Harvest whatever the device has returned, from the submitting thread.
 * Called once right after a kick: a device that serves a request within
 * the notify (QEMU's builtin back-end does it in the vCPU that kicked) has
 * already put it on the used ring, and taking it here saves an interrupt
 * and a wake-up through another vCPU.  One look, not a loop: if nothing is
 * there the caller asks for the interrupt and sleeps (vcd_queue_want_irq).
 */
static void vcd_queue_reap(struct vcd_queue *q)
{
	unsigned long flags;
	unsigned int n;

	if (!spin_trylock_irqsave(&q->lock, flags))
		return;	/* someone is harvesting or adding: let them */
	n = q->dead ? 0 : vcd_queue_harvest(q);
	spin_unlock_irqrestore(&q->lock, flags);
	if (n)
		wake_up(&q->space_wq);
}

/*
 * The caller is about to sleep on @req: make sure an interrupt comes when
 * the device returns it.  Used-buffer interrupts are on only while some
 * submitter sleeps (q->irq_wanted > 0); a request stays counted until it is
 * harvested, also when its caller was killed, so its buffers always come
 * back.  Buffers that arrived meanwhile are harvested here.
 */
static void vcd_queue_want_irq(struct vcd_queue *q, struct vcd_req *req)
{
	unsigned long flags;
	unsigned int n = 0;

	spin_lock_irqsave(&q->lock, flags);
	if (!completion_done(&req->done) && !q->dead) {
		req->want_irq = true;
		if (q->irq_wanted++ == 0 && !virtqueue_enable_cb(q->vq))
			n = vcd_queue_harvest_all(q);
	}
	spin_unlock_irqrestore(&q->lock, flags);
	if (n)
		wake_up(&q->space_wq);
}

/*
 * Before sleeping, watch for the completion for a bounded number of rounds
 * (module parameter poll_loops, 0 = never), looking at the used ring now
 * and then: under TCG a vCPU that halts must be woken by an IPI from the CPU
 * that took the interrupt, which costs far more than a short wait.  The
 * callback stays the normal path; this only harvests earlier.
 */
static void vcd_queue_spin(struct vcd_queue *q, struct vcd_req *req)
{
	unsigned int i, loops = READ_ONCE(vcd_param_poll_loops);

	for (i = 0; i < loops && !completion_done(&req->done); i++) {
		if (need_resched())
			break;
		if ((i & 15) == 15)
			vcd_queue_reap(q);
		cpu_relax();
	}
}

/*
 * Put @req on @q and sleep until the device returns it (killably when
 * @killable: data requests; control requests wait uninterruptibly so that a
 * dying process still destroys its device sessions), at most timeout_ms.
 * On success the device has written its part of the buffers.  On any error
 * (-ENODEV: device removed, -EIO: drained at removal, -EINTR: killed,
 * -ETIMEDOUT: no answer in time) the caller must not look at device-written
 * buffers; in every case the caller drops its own reference with
 * vcd_req_put() when it is done with them.
 */
int vcd_queue_submit(struct vcd_queue *q, struct vcd_req *req,
		     struct scatterlist *sgs[], unsigned int out,
		     unsigned int in, bool killable)
{
	unsigned long flags, gen;
	long ret;
	bool kick;
	int err;

	for (;;) {
		unsigned int busy;

		spin_lock_irqsave(&q->lock, flags);
		if (q->dead) {
			spin_unlock_irqrestore(&q->lock, flags);
			atomic64_inc(&q->stats.errors);
			return -ENODEV;
		}
		kref_get(&req->ref);	/* the device's reference */
		err = virtqueue_add_sgs(q->vq, sgs, out, in, req, GFP_ATOMIC);
		if (!err) {
			q->inflight++;
			if (q->inflight > atomic64_read(&q->stats.max_inflight))
				atomic64_set(&q->stats.max_inflight,
					     q->inflight);
			/*
			 * Notify outside the lock (interrupts enabled: under
			 * TCG an interrupt raised while they are off waits for
			 * the next timer tick), inside an RCU read section:
			 * remove() waits for it before deleting the queue.
			 */
			kick = virtqueue_kick_prepare(q->vq);
			rcu_read_lock();
			spin_unlock_irqrestore(&q->lock, flags);
			if (kick)
				virtqueue_notify(q->vq);
			rcu_read_unlock();
			break;
		}
		/* Not added: the device never saw it, undo its reference. */
		refcount_dec(&req->ref.refcount);
		gen = q->space_gen;
		busy = q->inflight;
		spin_unlock_irqrestore(&q->lock, flags);

		if (err != -ENOSPC || !busy) {
			atomic64_inc(&q->stats.errors);
			return err == -ENOSPC ? -ENOMEM : err;
		}
		atomic64_inc(&q->stats.ring_full);
		if (killable)
			ret = wait_event_killable_timeout(q->space_wq,
				READ_ONCE(q->space_gen) != gen ||
				READ_ONCE(q->dead), vcd_timeout());
		else
			ret = wait_event_timeout(q->space_wq,
				READ_ONCE(q->space_gen) != gen ||
				READ_ONCE(q->dead), vcd_timeout());
		if (ret <= 0) {
			atomic64_inc(&q->stats.errors);
			return ret < 0 ? -EINTR : -ETIMEDOUT;
		}
	}
	atomic64_inc(&q->stats.requests);

	if (!completion_done(&req->done))
		vcd_queue_reap(q);
	if (killable)
		vcd_queue_spin(q, req);
	vcd_queue_want_irq(q, req);
	if (killable)
		ret = wait_for_completion_killable_timeout(&req->done,
							   vcd_timeout());
	else
		ret = wait_for_completion_timeout(&req->done, vcd_timeout());
	if (ret <= 0) {
		/* Abandoned: the device's reference keeps the buffers. */
		atomic64_inc(&q->stats.errors);
		return ret < 0 ? -EINTR : -ETIMEDOUT;
	}
	if (req->result)
		atomic64_inc(&q->stats.errors);
	return req->result;
}

/* Refuse new submissions and wake everyone waiting for ring space. */
void vcd_queue_kill(struct vcd_queue *q)
{
	unsigned long flags;

	spin_lock_irqsave(&q->lock, flags);
	q->dead = true;
	spin_unlock_irqrestore(&q->lock, flags);
	wake_up_all(&q->space_wq);
}

/*
 * After the device was reset: fail every request still on the ring with
 * -EIO and drop the device's references.
 */
void vcd_queue_drain(struct vcd_queue *q)
{
	struct vcd_req *req;
	unsigned long flags;

	if (!q->vq)
		return;
	spin_lock_irqsave(&q->lock, flags);
	while ((req = virtqueue_detach_unused_buf(q->vq))) {
		q->inflight--;
		req->result = -EIO;
		complete(&req->done);
		vcd_req_put(req);
	}
	spin_unlock_irqrestore(&q->lock, flags);
}
