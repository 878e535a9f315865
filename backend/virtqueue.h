/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virtqueue.h - one split virtqueue in guest memory, from the device side.
 *
 * Owns: the ring pointers (translated through guest_memory), the device's
 * indices (last_avail, used), popping descriptor chains (direct and
 * INDIRECT) into host iovecs with full validation, pushing used elements,
 * and notification suppression in both directions (EVENT_IDX: publish
 * avail_event, honour used_event; otherwise the ring flags).
 *
 * Does not own: eventfds, threads, or what a chain means.
 *
 * Threads: vq_pop / vq_enable_notify run on one thread (the dispatcher);
 * vq_push_and_check may run on any thread but callers serialise it
 * (device_datapath.c holds the queue's completion lock).
 */
#ifndef VUC_VIRTQUEUE_H
#define VUC_VIRTQUEUE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "guest_memory.h"

#define VQ_MAX_SIZE 32768u		/* split ring: power of two, <= 32768 */
#define VQ_MAX_INDIRECT 65536u		/* entries in one indirect table */
#define VQ_INLINE_IOV 16u

/* A popped chain: readable iovecs first (iov[0..nr)), then writable
 * (iov[nr..nr+nw)).  err != 0 means the chain is malformed; it must still be
 * given back with vq_push_and_check(head, 0). */
struct vq_chain {
	uint16_t head;
	int err;			/* 0 or -errno describing the defect */
	unsigned nr, nw, cap;
	uint64_t rlen, wlen;		/* total readable / writable bytes */
	struct iovec *iov;
	struct iovec inline_iov[VQ_INLINE_IOV];
};

struct virtqueue {
	uint16_t num;			/* 0: not configured */
	volatile struct vring_desc_le *desc;
	volatile uint16_t *avail;	/* flags, idx, ring[num], used_event */
	volatile uint16_t *used;	/* flags, idx, then elems; avail_event */
	uint16_t last_avail;		/* next avail entry to pop */
	uint16_t used_idx;		/* next used entry to fill */
	uint16_t signalled_used;
	bool signalled_valid;
	bool event_idx;			/* honour used_event / publish avail_event */
	bool broken;			/* ring-level corruption seen: stop */
};

struct vring_desc_le {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

void vq_init(struct virtqueue *vq);
/* Translate ring addresses (front-end virtual addresses) and check sizes.
 * 0 or -EINVAL (bad size) / -EFAULT (ring not inside guest memory). */
int vq_set_addr(struct virtqueue *vq, const struct guest_memory *gm,
		unsigned num, uint64_t desc_uva, uint64_t avail_uva,
		uint64_t used_uva);
bool vq_ready(const struct virtqueue *vq);

void vq_chain_init(struct vq_chain *c);
void vq_chain_release(struct vq_chain *c);
/* Move src's contents to dst (src is left empty, ready for reuse). */
void vq_chain_move(struct vq_chain *dst, struct vq_chain *src);

/*
 * Pop the next available chain.  1: popped (check c->err), 0: ring empty,
 * -EIO: the ring itself is corrupt (avail idx moved by more than num, or a
 * head index out of range); the queue is marked broken.
 */
int vq_pop(struct virtqueue *vq, const struct guest_memory *gm,
	   struct vq_chain *c);

/* Walk the chain starting at descriptor head without popping anything (a
 * request taken by a daemon that died): 0 (check c->err) or -EINVAL for
 * a head out of range or a ring not ready. */
int vq_chain_at(struct virtqueue *vq, const struct guest_memory *gm,
		uint16_t head, struct vq_chain *c);
/* The used index as the ring holds it, and the id of used entry i. */
uint16_t vq_ring_used_idx(const struct virtqueue *vq);
uint32_t vq_ring_used_id(const struct virtqueue *vq, uint16_t i);

/* Number of entries the driver has made available and we have not popped. */
uint16_t vq_avail_pending(const struct virtqueue *vq);

/*
 * Ask for a kick when more arrives (publish avail_event = last_avail; clear
 * NO_NOTIFY otherwise), then re-check.  True if entries are already there
 * (the caller must keep popping).
 */
bool vq_enable_notify(struct virtqueue *vq);

/* Put (head, len) in the used ring and publish the index. */
void vq_push(struct virtqueue *vq, uint16_t head, uint32_t len);
/* True if the driver wants an interrupt for what was pushed since the last
 * time this returned true (EVENT_IDX rule, or !NO_INTERRUPT). */
bool vq_should_notify(struct virtqueue *vq);

#endif
