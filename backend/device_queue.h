/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * device_queue.h - what the two halves of the device layer share about a
 * queue (crypto_device.c, the control path; device_datapath.c, the data
 * path): looking a queue up by index, whether it may run, closing one of
 * its fds.  Not for the layers above, which use crypto_device.h.
 */
#ifndef VUC_DEVICE_QUEUE_H
#define VUC_DEVICE_QUEUE_H

#include <stdbool.h>
#include <unistd.h>

#include "crypto_device.h"

/* Queue qi, or NULL for an index out of range. */
static inline struct cd_queue *cd_queue_of(struct crypto_device *d, unsigned qi)
{
	return qi < CD_MAX_QUEUES ? &d->q[qi] : NULL;
}

/* Configured, started, enabled and with rings in guest memory. */
static inline bool cd_queue_can_run(const struct cd_queue *q)
{
	return q->started && q->enabled && q->addr_set && vq_ready(&q->vq);
}

static inline void cd_close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

#endif
