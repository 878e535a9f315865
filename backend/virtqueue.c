/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virtqueue.c - split virtqueue, device side (see virtqueue.h).
 *
 * Validation rules for a chain (any violation sets chain->err, the chain is
 * returned to the driver with used len 0, the daemon carries on):
 *   - every descriptor index < table size; at most table-size descriptors
 *     visited per table (catches loops; the bound is the ring or indirect
 *     table size, never a small constant);
 *   - INDIRECT: not nested, not combined with NEXT, length a non-zero
 *     multiple of 16 with at most VQ_MAX_INDIRECT entries, table wholly in
 *     guest memory;
 *   - no readable descriptor after a writable one;
 *   - every buffer [addr, addr+len) wholly inside guest memory (split at
 *     region borders); zero-length descriptors contribute nothing;
 *   - total readable/writable bytes below 2^32 each.
 * Ring-level corruption (avail idx running more than num ahead, head index
 * out of range) marks the queue broken: nothing more is popped from it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_ring.h>

#include "virtqueue.h"

#define AVAIL_FLAGS 0
#define AVAIL_IDX 1
#define AVAIL_RING 2
#define USED_FLAGS 0
#define USED_IDX 1
#define USED_RING_BYTE_OFF 4

static inline uint16_t ld16(volatile uint16_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline void st16(volatile uint16_t *p, uint16_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

void vq_init(struct virtqueue *vq)
{
	memset(vq, 0, sizeof(*vq));
}

int vq_set_addr(struct virtqueue *vq, const struct guest_memory *gm,
		unsigned num, uint64_t desc_uva, uint64_t avail_uva,
		uint64_t used_uva)
{
	void *d, *a, *u;

	if (num == 0 || num > VQ_MAX_SIZE || (num & (num - 1)))
		return -EINVAL;
	d = gm_uva_to_host(gm, desc_uva, 16ull * num);
	a = gm_uva_to_host(gm, avail_uva, 6ull + 2ull * num);
	u = gm_uva_to_host(gm, used_uva, 6ull + 8ull * num);
	if (!d || !a || !u)
		return -EFAULT;
	if (((uintptr_t)d & 15) || ((uintptr_t)a & 1) || ((uintptr_t)u & 3))
		return -EINVAL;
	vq->num = (uint16_t)num;
	vq->desc = d;
	vq->avail = a;
	vq->used = u;
	vq->broken = false;
	return 0;
}

bool vq_ready(const struct virtqueue *vq)
{
	return vq->num && vq->desc && vq->avail && vq->used && !vq->broken;
}

void vq_chain_init(struct vq_chain *c)
{
	memset(c, 0, sizeof(*c));
	c->iov = c->inline_iov;
	c->cap = VQ_INLINE_IOV;
}

void vq_chain_release(struct vq_chain *c)
{
	if (c->iov != c->inline_iov)
		free(c->iov);
	c->iov = c->inline_iov;
	c->cap = VQ_INLINE_IOV;
}

void vq_chain_move(struct vq_chain *dst, struct vq_chain *src)
{
	*dst = *src;
	if (src->iov == src->inline_iov)
		dst->iov = dst->inline_iov;
	vq_chain_init(src);
}

static int chain_grow(struct vq_chain *c)
{
	unsigned ncap = c->cap * 2;
	struct iovec *n;

	if (ncap > 4 * (VQ_MAX_SIZE + VQ_MAX_INDIRECT) * GM_MAX_REGIONS)
		return -E2BIG;
	n = malloc(ncap * sizeof(*n));
	if (!n)
		return -ENOMEM;
	memcpy(n, c->iov, c->cap * sizeof(*n));
	if (c->iov != c->inline_iov)
		free(c->iov);
	c->iov = n;
	c->cap = ncap;
	return 0;
}

static int add_buffer(struct vq_chain *c, const struct guest_memory *gm,
		      uint64_t addr, uint32_t len, bool writable)
{
	unsigned n, before;
	int r;

	if (!writable && c->nw)
		return -EINVAL;		/* readable after writable */
	if (writable ? c->wlen + len > UINT32_MAX : c->rlen + len > UINT32_MAX)
		return -E2BIG;
	for (;;) {
		n = c->nr + c->nw;
		before = n;
		r = gm_gpa_to_iov(gm, addr, len, c->iov, c->cap, &n);
		if (r != -E2BIG)
			break;
		r = chain_grow(c);
		if (r)
			return r;
	}
	if (r)
		return r;
	if (writable) {
		c->nw += n - before;
		c->wlen += len;
	} else {
		c->nr += n - before;
		c->rlen += len;
	}
	return 0;
}

static int walk(struct virtqueue *vq, const struct guest_memory *gm,
		struct vq_chain *c)
{
	volatile struct vring_desc_le *table = vq->desc;
	uint32_t tsize = vq->num, visited = 0;
	uint32_t idx = c->head;
	bool indirect = false;

	for (;;) {
		uint64_t addr;
		uint32_t len;
		uint16_t flags, next;
		int r;

		if (idx >= tsize || ++visited > tsize)
			return -ELOOP;
		addr = table[idx].addr;
		len = table[idx].len;
		flags = table[idx].flags;
		next = table[idx].next;

		if (flags & VRING_DESC_F_INDIRECT) {
			if (indirect || (flags & VRING_DESC_F_NEXT))
				return -EINVAL;
			if (len == 0 || len % 16 || len / 16 > VQ_MAX_INDIRECT)
				return -EINVAL;
			table = gm_gpa_to_host(gm, addr, len);
			if (!table || ((uintptr_t)table & 7))
				return -EFAULT;
			tsize = len / 16;
			idx = 0;
			visited = 0;
			indirect = true;
			continue;
		}
		r = add_buffer(c, gm, addr, len, flags & VRING_DESC_F_WRITE);
		if (r)
			return r;
		if (!(flags & VRING_DESC_F_NEXT))
			return 0;
		idx = next;
	}
}

int vq_chain_at(struct virtqueue *vq, const struct guest_memory *gm,
		uint16_t head, struct vq_chain *c)
{
	if (!vq->num || !vq->desc || head >= vq->num)
		return -EINVAL;
	c->head = head;
	c->nr = c->nw = 0;
	c->rlen = c->wlen = 0;
	c->err = walk(vq, gm, c);
	return 0;
}

uint16_t vq_ring_used_idx(const struct virtqueue *vq)
{
	return ld16(&vq->used[USED_IDX]);
}

uint32_t vq_ring_used_id(const struct virtqueue *vq, uint16_t i)
{
	const volatile struct vring_used_elem *e =
		(const volatile struct vring_used_elem *)
		((const volatile uint8_t *)vq->used + USED_RING_BYTE_OFF) +
		(i & (vq->num - 1));

	return e->id;
}

uint16_t vq_avail_pending(const struct virtqueue *vq)
{
	return (uint16_t)(ld16(&vq->avail[AVAIL_IDX]) - vq->last_avail);
}

int vq_pop(struct virtqueue *vq, const struct guest_memory *gm,
	   struct vq_chain *c)
{
	uint16_t avail_idx, head;

	if (!vq_ready(vq))
		return 0;
	avail_idx = ld16(&vq->avail[AVAIL_IDX]);
	if (avail_idx == vq->last_avail)
		return 0;
	if ((uint16_t)(avail_idx - vq->last_avail) > vq->num) {
		vq->broken = true;
		return -EIO;
	}
	head = ld16(&vq->avail[AVAIL_RING + (vq->last_avail & (vq->num - 1))]);
	if (head >= vq->num) {
		vq->broken = true;
		return -EIO;
	}
	vq->last_avail++;

	c->head = head;
	c->err = 0;
	c->nr = c->nw = 0;
	c->rlen = c->wlen = 0;
	c->err = walk(vq, gm, c);
	return 1;
}

static volatile uint16_t *avail_event_ptr(struct virtqueue *vq)
{
	/* used: flags(2) idx(2) ring[num] of 8 bytes, then avail_event */
	return (volatile uint16_t *)((volatile uint8_t *)vq->used +
				     USED_RING_BYTE_OFF + 8u * vq->num);
}

static volatile uint16_t *used_event_ptr(struct virtqueue *vq)
{
	return &vq->avail[AVAIL_RING + vq->num];
}

bool vq_enable_notify(struct virtqueue *vq)
{
	if (!vq_ready(vq))
		return false;
	/* Always publish avail_event: the guest may have negotiated EVENT_IDX
	 * with QEMU without telling us (DESIGN.md). */
	st16(avail_event_ptr(vq), vq->last_avail);
	if (!vq->event_idx)
		st16(&vq->used[USED_FLAGS], 0);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return ld16(&vq->avail[AVAIL_IDX]) != vq->last_avail;
}

void vq_push(struct virtqueue *vq, uint16_t head, uint32_t len)
{
	volatile struct vring_used_elem *e;

	/* not vq_ready(): a ring marked broken by the dispatcher still gets
	 * the completions of requests already taken from it */
	if (!vq->num || !vq->used)
		return;
	e = (volatile struct vring_used_elem *)
		((volatile uint8_t *)vq->used + USED_RING_BYTE_OFF) +
		(vq->used_idx & (vq->num - 1));
	e->id = head;
	e->len = len;
	vq->used_idx++;
	st16(&vq->used[USED_IDX], vq->used_idx);
}

bool vq_should_notify(struct virtqueue *vq)
{
	uint16_t old, new, ev;
	bool valid;

	if (!vq->num || !vq->used || !vq->avail)
		return false;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!vq->event_idx)
		return !(ld16(&vq->avail[AVAIL_FLAGS]) & VRING_AVAIL_F_NO_INTERRUPT);
	old = vq->signalled_used;
	valid = vq->signalled_valid;
	new = vq->signalled_used = vq->used_idx;
	vq->signalled_valid = true;
	if (!valid)
		return true;
	ev = ld16(used_event_ptr(vq));
	return (uint16_t)(new - ev - 1) < (uint16_t)(new - old);
}
