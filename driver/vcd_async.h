/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vcd_async.h - CIOCASYNCCRYPT / CIOCASYNCFETCH of one open file.
 */
#ifndef VCD_ASYNC_H
#define VCD_ASYNC_H

#include <linux/poll.h>

#include "vcd_job.h"

struct vcd_async;

struct vcd_async *vcd_async_new(void);
void vcd_async_close(struct vcd_async *aq);
int vcd_async_submit(struct vcd_async *aq, struct vcd_session *s,
		     const struct crypt_op *cop);
int vcd_async_fetch(struct vcd_async *aq, struct crypt_op *cop);
__poll_t vcd_async_poll(struct vcd_async *aq, struct file *filp,
			poll_table *wait);
void vcd_async_job_done(struct vcd_job *job);

#endif /* VCD_ASYNC_H */
