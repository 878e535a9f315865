/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * crypto_device.c - the control path of one connection's device (see
 * crypto_device.h): creating and destroying it, the memory table, ring
 * configuration and the state machine of when a ring runs, draining before
 * any change, sessions, and a queue's state across a takeover or a crash
 * (export/import, the in-flight log, recovery).  The data path -- kick,
 * pop, run, push, notify -- is device_datapath.c.
 *
 * When a ring runs: it has a size and addresses, a kick fd has been set
 * (SET_VRING_KICK starts it), and it has not been disabled by
 * SET_VRING_ENABLE 0.  QEMU's cryptodev-vhost starts its vhost device with
 * vrings=false and never sends SET_VRING_ENABLE, so a ring is enabled
 * unless told otherwise.  A kick that arrives while the ring cannot run is
 * remembered and the ring is processed as soon as it can.
 * GET_VRING_BASE stops the ring and waits for its requests in flight.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "crypto_device.h"
#include "device_queue.h"
#include "crypto_request.h"
#include "log.h"

int cd_create(struct crypto_device **out, struct ce_engine *eng,
	      unsigned max_sessions, unsigned workers)
{
	struct crypto_device *d = calloc(1, sizeof(*d));
	int r;

	if (!d)
		return -ENOMEM;
	gm_init(&d->mem);
	d->event_idx = true;
	d->inline_max = CD_INLINE_MAX;
	mb_init(&d->budget, MB_DEFAULT_MAX);
	for (unsigned i = 0; i < CD_MAX_QUEUES; i++) {
		struct cd_queue *q = &d->q[i];
		q->dev = d;
		q->index = i;
		vq_init(&q->vq);
		q->vq.event_idx = true;
		pthread_mutex_init(&q->lock, NULL);
		pthread_cond_init(&q->idle, NULL);
		q->kick_fd = q->call_fd = q->err_fd = -1;
		q->enabled = true;
	}
	r = st_create_table(&d->sessions, eng, max_sessions);
	if (!r && workers)
		r = wp_create(&d->pool, workers);
	if (r) {
		cd_destroy(d);
		return r;
	}
	*out = d;
	return 0;
}

void cd_set_memory_max(struct crypto_device *d, size_t bytes)
{
	d->budget.max = bytes;
}

void cd_destroy(struct crypto_device *d)
{
	if (!d)
		return;
	cd_drain(d);
	wp_destroy(d->pool);
	for (unsigned i = 0; i < CD_MAX_QUEUES; i++) {
		struct cd_queue *q = &d->q[i];
		cd_close_fd(&q->kick_fd);
		cd_close_fd(&q->call_fd);
		cd_close_fd(&q->err_fd);
		pthread_cond_destroy(&q->idle);
		pthread_mutex_destroy(&q->lock);
	}
	st_destroy_table(d->sessions);
	gm_clear(&d->mem);
	free(d);
}

static void drain_queue(struct cd_queue *q)
{
	pthread_mutex_lock(&q->lock);
	while (q->inflight)
		pthread_cond_wait(&q->idle, &q->lock);
	pthread_mutex_unlock(&q->lock);
}

void cd_drain(struct crypto_device *d)
{
	for (unsigned i = 0; i < CD_MAX_QUEUES; i++)
		drain_queue(&d->q[i]);
}

unsigned cd_inflight(struct crypto_device *d)
{
	unsigned n = 0;

	for (unsigned i = 0; i < CD_MAX_QUEUES; i++) {
		pthread_mutex_lock(&d->q[i].lock);
		n += d->q[i].inflight;
		pthread_mutex_unlock(&d->q[i].lock);
	}
	return n;
}

void cd_mem_begin(struct crypto_device *d)
{
	cd_drain(d);
	gm_clear(&d->mem);
}

int cd_mem_add_fd(struct crypto_device *d, uint64_t gpa, uint64_t size,
		  uint64_t uva, uint64_t mmap_offset, int fd)
{
	return gm_add_fd(&d->mem, gpa, size, uva, mmap_offset, fd);
}

int cd_mem_region(const struct crypto_device *d, unsigned i,
		  struct gm_region_desc *out)
{
	return gm_region_get(&d->mem, i, out);
}

int cd_mem_end(struct crypto_device *d)
{
	int ret = 0;

	for (unsigned i = 0; i < CD_MAX_QUEUES; i++) {
		struct cd_queue *q = &d->q[i];
		int r;

		if (!q->addr_set)
			continue;
		r = vq_set_addr(&q->vq, &d->mem, q->num, q->desc_uva,
				q->avail_uva, q->used_uva);
		if (r) {
			log_warn("vring %u: not inside the new memory table", i);
			q->vq.num = 0;
			ret = r;
		}
	}
	return ret;
}

/* The control path moved ring q (nothing in flight): tell the log. */
static void log_reset(struct cd_queue *q)
{
	il_reset(q->dev->ilog, q->index, q->num, q->vq.last_avail,
		 q->vq.used_idx);
}

void cd_set_inflight_log(struct crypto_device *d, struct inflight_log *log)
{
	cd_drain(d);
	d->ilog = log;
	for (unsigned i = 0; i < CD_MAX_QUEUES; i++)
		log_reset(&d->q[i]);
}

int cd_set_num(struct crypto_device *d, unsigned qi, unsigned num)
{
	struct cd_queue *q = cd_queue_of(d, qi);

	if (!q || num == 0 || num > VQ_MAX_SIZE || (num & (num - 1)))
		return -EINVAL;
	drain_queue(q);
	q->num = num;
	log_reset(q);
	return 0;
}

int cd_set_base(struct crypto_device *d, unsigned qi, unsigned base)
{
	struct cd_queue *q = cd_queue_of(d, qi);

	if (!q || base > 0xffff)
		return -EINVAL;
	drain_queue(q);
	q->vq.last_avail = (uint16_t)base;
	log_reset(q);
	return 0;
}

int cd_set_addr(struct crypto_device *d, unsigned qi, uint64_t desc_uva,
		uint64_t avail_uva, uint64_t used_uva)
{
	struct cd_queue *q = cd_queue_of(d, qi);
	int r;

	if (!q)
		return -EINVAL;
	drain_queue(q);
	r = vq_set_addr(&q->vq, &d->mem, q->num, desc_uva, avail_uva, used_uva);
	if (r) {
		q->addr_set = false;
		q->vq.num = 0;
		return r;
	}
	q->addr_set = true;
	q->desc_uva = desc_uva;
	q->avail_uva = avail_uva;
	q->used_uva = used_uva;
	q->vq.event_idx = d->event_idx;
	q->vq.used_idx = __atomic_load_n(&q->vq.used[1], __ATOMIC_ACQUIRE);
	q->vq.signalled_valid = false;
	if (q->vq.last_avail != q->vq.used_idx)
		/*
		 * SET_VRING_BASE says where the ring resumes (vhost-user spec),
		 * and it is kept: with out-of-order completion the entries
		 * between the used index and the base are a mix of requests
		 * completed and requests an earlier back-end never answered,
		 * so resuming from the used index would run some twice and
		 * lose others.  Which ones are open cannot be read from guest
		 * memory (their avail slots may be reused); our own restarts
		 * carry that in the in-flight log instead.
		 */
		log_warn("vring %u: resuming at avail %u; %u requests an "
			 "earlier back-end took were never completed",
			 qi, q->vq.last_avail,
			 (uint16_t)(q->vq.last_avail - q->vq.used_idx));
	log_reset(q);
	return 0;
}

int cd_get_base(struct crypto_device *d, unsigned qi, unsigned *base)
{
	struct cd_queue *q = cd_queue_of(d, qi);

	if (!q)
		return -EINVAL;
	q->started = false;
	q->kick_pending = false;
	drain_queue(q);
	*base = q->vq.last_avail;
	cd_close_fd(&q->kick_fd);
	return 0;
}

int cd_set_kick(struct crypto_device *d, unsigned qi, int fd)
{
	struct cd_queue *q = cd_queue_of(d, qi);

	if (!q) {
		if (fd >= 0)
			close(fd);
		return -EINVAL;
	}
	cd_close_fd(&q->kick_fd);
	q->kick_fd = fd;
	q->started = true;
	/* Whatever the driver queued before we had the fd is not lost. */
	cd_process(d, qi);
	return 0;
}

int cd_set_call(struct crypto_device *d, unsigned qi, int fd)
{
	struct cd_queue *q = cd_queue_of(d, qi);
	int old;

	if (!q) {
		if (fd >= 0)
			close(fd);
		return -EINVAL;
	}
	pthread_mutex_lock(&q->lock);
	old = q->call_fd;
	q->call_fd = fd;
	q->vq.signalled_valid = false;
	pthread_mutex_unlock(&q->lock);
	if (old >= 0)
		close(old);
	return 0;
}

int cd_set_err(struct crypto_device *d, unsigned qi, int fd)
{
	struct cd_queue *q = cd_queue_of(d, qi);

	if (!q) {
		if (fd >= 0)
			close(fd);
		return -EINVAL;
	}
	cd_close_fd(&q->err_fd);
	q->err_fd = fd;
	return 0;
}

int cd_set_enable(struct crypto_device *d, unsigned qi, bool enable)
{
	struct cd_queue *q = cd_queue_of(d, qi);

	if (!q)
		return -EINVAL;
	q->enabled = enable;
	if (!enable)
		drain_queue(q);
	else if (q->kick_pending)
		cd_process(d, qi);
	return 0;
}

void cd_set_event_idx(struct crypto_device *d, bool on)
{
	d->event_idx = on;
	for (unsigned i = 0; i < CD_MAX_QUEUES; i++)
		d->q[i].vq.event_idx = on;
}

struct session_table *cd_sessions(struct crypto_device *d)
{
	return d->sessions;
}

int cd_session_create(struct crypto_device *d, const struct session_params *p,
		      uint64_t *id)
{
	return st_create(d->sessions, p, id);
}

int cd_session_close(struct crypto_device *d, uint64_t id)
{
	return st_close(d->sessions, id);
}

bool cd_event_idx(const struct crypto_device *d)
{
	return d->event_idx;
}

int cd_queue_export(struct crypto_device *d, unsigned qi,
		    struct cd_queue_state *out)
{
	struct cd_queue *q;

	if (qi >= CD_MAX_QUEUES)
		return -EINVAL;
	q = &d->q[qi];
	pthread_mutex_lock(&q->lock);
	*out = (struct cd_queue_state){
		.num = q->num, .addr_set = q->addr_set, .started = q->started,
		.enabled = q->enabled, .broken = q->vq.broken,
		.kick_pending = q->kick_pending || q->more,
		.event_idx = q->vq.event_idx,
		.signalled_valid = q->vq.signalled_valid,
		.last_avail = q->vq.last_avail, .used_idx = q->vq.used_idx,
		.signalled_used = q->vq.signalled_used,
		.desc_uva = q->desc_uva, .avail_uva = q->avail_uva,
		.used_uva = q->used_uva, .kick_fd = q->kick_fd,
		.call_fd = q->call_fd, .err_fd = q->err_fd };
	pthread_mutex_unlock(&q->lock);
	return 0;
}

int cd_queue_import(struct crypto_device *d, unsigned qi,
		    const struct cd_queue_state *in)
{
	struct cd_queue *q = cd_queue_of(d, qi);
	int r = -EINVAL;

	if (!q || (in->num && (in->num > VQ_MAX_SIZE || (in->num & (in->num - 1)))) ||
	    (in->addr_set && !in->num))
		goto fail;
	if (in->addr_set) {
		r = vq_set_addr(&q->vq, &d->mem, in->num, in->desc_uva,
				in->avail_uva, in->used_uva);
		if (r)
			goto fail;
	}
	q->num = in->num;
	q->addr_set = in->addr_set;
	q->desc_uva = in->desc_uva;
	q->avail_uva = in->avail_uva;
	q->used_uva = in->used_uva;
	q->started = in->started;
	q->enabled = in->enabled;
	q->kick_pending = in->kick_pending;
	q->vq.broken = in->broken;
	q->vq.event_idx = in->event_idx;
	q->vq.last_avail = in->last_avail;
	q->vq.used_idx = in->used_idx;
	q->vq.signalled_used = in->signalled_used;
	q->vq.signalled_valid = in->signalled_valid;
	cd_close_fd(&q->kick_fd);
	cd_close_fd(&q->call_fd);
	cd_close_fd(&q->err_fd);
	q->kick_fd = in->kick_fd;
	q->call_fd = in->call_fd;
	q->err_fd = in->err_fd;
	log_reset(q);
	return 0;
fail:
	if (in->kick_fd >= 0)
		close(in->kick_fd);
	if (in->call_fd >= 0)
		close(in->call_fd);
	if (in->err_fd >= 0)
		close(in->err_fd);
	return r;
}

/* Ring q after a crash, from the dead daemon's log entry r. */
static unsigned recover_queue(struct cd_queue *q, const struct il_ring *r)
{
	struct crypto_device *d = q->dev;
	uint16_t logged_used = (uint16_t)r->used_idx;
	uint16_t ring_used = vq_ring_used_idx(&q->vq);
	uint16_t last = (uint16_t)r->last_avail;
	uint32_t done_head = UINT32_MAX;
	struct vq_chain c;
	unsigned failed = 0;

	if (r->num != q->num) {
		log_warn("vring %u: the in-flight log is of a ring of %u, not %u: "
			 "not used", q->index, r->num, q->num);
		return 0;
	}
	if (ring_used == (uint16_t)(logged_used + 1))
		/* the last push reached the ring, not the log */
		done_head = vq_ring_used_id(&q->vq, logged_used);
	else if (ring_used != logged_used)
		log_warn("vring %u: used index %u in the ring, %u in the log",
			 q->index, ring_used, logged_used);
	q->vq.last_avail = last;
	q->vq.used_idx = ring_used;
	q->vq.signalled_valid = false;
	vq_chain_init(&c);
	for (uint32_t h = 0; h < q->num; h++) {
		uint32_t slot = __atomic_load_n(&r->slot[h], __ATOMIC_ACQUIRE);
		uint32_t used = 0;

		if (!(slot & IL_TAKEN) || h == done_head)
			continue;
		if ((uint16_t)slot == last)
			continue;	/* its pop never finished: popped again */
		if (vq_chain_at(&q->vq, &d->mem, (uint16_t)h, &c) == 0 && !c.err)
			crypto_request_refuse(&c, &used);
		vq_push(&q->vq, (uint16_t)h, used);
		failed++;
	}
	vq_chain_release(&c);
	if (failed && q->call_fd >= 0)
		eventfd_write(q->call_fd, 1);
	return failed;
}

void cd_recover(struct crypto_device *d, const struct inflight_log *log,
		unsigned *failed)
{
	*failed = 0;
	for (unsigned i = 0; i < CD_MAX_QUEUES; i++) {
		struct cd_queue *q = &d->q[i];
		const struct il_ring *r;

		if (!q->addr_set || !vq_ready(&q->vq) || !il_view(log, i, &r))
			continue;
		*failed += recover_queue(q, r);
		log_reset(q);
	}
}
