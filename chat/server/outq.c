/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * outq.c - refcounted frame buffers and bounded per-client output FIFOs.
 *
 * Owns: the buffer reference counts, the ring of pending buffers of one
 * client (grown by doubling; a grown ring is freed once drained so idle
 * clients stay small)
 * and gathering writes with sendmsg().  Does not own: limits (the caller
 * compares outq.bytes with its --max-queue) nor sockets.
 * Threads: queues of different clients may be written at the same time
 * from different threads (the server's write threads): a buffer shared by
 * their queues is released with an atomic count, and the byte total is
 * atomic.  One queue is only ever used by one thread at a time.
 */
#include "outq.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#define OUTQ_MIN_CAP	8
#define OUTQ_IOV	256

/* The process's buffers and rings (atomic: see above). */
static size_t mem_bytes;

static void mem_add(size_t n)
{
	__atomic_add_fetch(&mem_bytes, n, __ATOMIC_RELAXED);
}

static void mem_sub(size_t n)
{
	__atomic_sub_fetch(&mem_bytes, n, __ATOMIC_RELAXED);
}

struct chat_buf *chat_buf_new(size_t len)
{
	struct chat_buf *b = malloc(sizeof(*b) + len);

	if (!b)
		return NULL;
	b->refs = 1;
	b->len = (uint32_t)len;
	mem_add(sizeof(*b) + len);
	return b;
}

void chat_buf_put(struct chat_buf *b)
{
	if (b && __atomic_sub_fetch(&b->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		mem_sub(sizeof(*b) + b->len);
		free(b);
	}
}

size_t outq_mem_bytes(void)
{
	return __atomic_load_n(&mem_bytes, __ATOMIC_RELAXED);
}

size_t outq_bytes(const struct outq *q)
{
	return q->bytes;
}

size_t outq_footprint(const struct outq *q)
{
	return q->cap * sizeof(*q->ring) + q->bytes;
}

static int outq_grow(struct outq *q)
{
	uint32_t cap = q->cap ? q->cap * 2 : OUTQ_MIN_CAP, i;
	struct chat_buf **ring = malloc(cap * sizeof(*ring));

	if (!ring)
		return -ENOMEM;
	for (i = 0; i < q->count; i++)
		ring[i] = q->ring[(q->head + i) % q->cap];
	mem_add((cap - q->cap) * sizeof(*ring));
	free(q->ring);
	q->ring = ring;
	q->cap = cap;
	q->head = 0;
	return 0;
}

int outq_push(struct outq *q, struct chat_buf *b)
{
	if (q->count == q->cap && outq_grow(q) < 0)
		return -ENOMEM;
	q->ring[(q->head + q->count) % q->cap] = b;
	q->count++;
	q->bytes += b->len;
	__atomic_add_fetch(&b->refs, 1, __ATOMIC_RELAXED);
	return 0;
}

static void outq_pop(struct outq *q)
{
	chat_buf_put(q->ring[q->head]);
	q->head = (q->head + 1) % q->cap;
	q->count--;
	q->head_off = 0;
}

static void outq_release_ring(struct outq *q)
{
	mem_sub(q->cap * sizeof(*q->ring));
	free(q->ring);
	q->ring = NULL;
	q->cap = q->head = q->count = q->head_off = 0;
	q->bytes = 0;
}

int outq_write(struct outq *q, int fd)
{
	struct iovec iov[OUTQ_IOV];

	while (q->count) {
		struct msghdr mh = { .msg_iov = iov };
		uint32_t i, n = q->count < OUTQ_IOV ? q->count : OUTQ_IOV;
		ssize_t w;

		for (i = 0; i < n; i++) {
			struct chat_buf *b = q->ring[(q->head + i) % q->cap];
			uint32_t off = i == 0 ? q->head_off : 0;

			iov[i].iov_base = b->data + off;
			iov[i].iov_len = b->len - off;
		}
		mh.msg_iovlen = n;
		w = sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == EINTR)
				continue;
			return -errno;
		}
		q->bytes -= (size_t)w;
		while (w > 0) {
			struct chat_buf *b = q->ring[q->head];
			size_t left = b->len - q->head_off;

			if ((size_t)w < left) {
				q->head_off += (uint32_t)w;
				return 0;	/* short write: socket is full */
			}
			w -= (ssize_t)left;
			outq_pop(q);
		}
	}
	if (q->cap > OUTQ_MIN_CAP)
		outq_release_ring(q);	/* a burst is over: give memory back */
	q->head = q->head_off = 0;
	return 1;
}

void outq_clear(struct outq *q)
{
	while (q->count)
		outq_pop(q);
	outq_release_ring(q);
}
