/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * outq.h - shared, refcounted frame buffers and per-client output queues.
 *
 * Owns: struct chat_buf (one encoded frame, shared by every recipient and
 * freed when the last one has written it) and struct outq (a bounded FIFO
 * of buffers waiting to be written to one socket, with a byte count).
 * Does not own: sockets' readiness (the caller asks outq_write when the fd
 * is writable) or the policy for a full queue (the server decides).
 * An empty queue holds no memory beyond the struct itself.  The bytes all
 * buffers and rings hold together are counted (outq_mem_bytes) for the
 * server's --max-memory.
 */
#ifndef VCD_CHAT_OUTQ_H
#define VCD_CHAT_OUTQ_H

#include <stddef.h>
#include <stdint.h>

struct chat_buf {
	uint32_t refs;
	uint32_t len;
	uint8_t data[];
};

/* A buffer of len bytes with one reference held by the caller. */
struct chat_buf *chat_buf_new(size_t len);
void chat_buf_put(struct chat_buf *b);	/* drop one reference */

struct outq {
	struct chat_buf **ring;	/* NULL while empty */
	uint32_t cap, head, count;
	uint32_t head_off;	/* bytes of ring[head] already written */
	size_t bytes;		/* bytes still to write */
};

/* Append b (takes a new reference).  0, or -ENOMEM. */
int outq_push(struct outq *q, struct chat_buf *b);

/* Write as much as the non-blocking fd takes.  Returns 1 when the queue is
 * now empty, 0 when the socket is full (wait for writability), -errno on a
 * write error. */
int outq_write(struct outq *q, int fd);

/* Drop everything queued (closing a client). */
void outq_clear(struct outq *q);

/* Bytes still to write on q. */
size_t outq_bytes(const struct outq *q);
/* Memory q keeps alive: its ring and the bytes it still has to write
 * (buffers shared with other queues included). */
size_t outq_footprint(const struct outq *q);
/* Bytes held by every live buffer and ring of this process. */
size_t outq_mem_bytes(void);

#endif /* VCD_CHAT_OUTQ_H */
