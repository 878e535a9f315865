/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vcd_job.h - one CIOCCRYPT operation (synchronous or asynchronous), from
 * the caller's arguments to its results, on the device or in the kernel.
 */
#ifndef VCD_JOB_H
#define VCD_JOB_H

#include <linux/timer.h>

#include "vcd_buf.h"
#include "vcd_session.h"
#include "uapi/cryptodev.h"

struct vcd_async;

enum vcd_job_bufs {
	VCD_JOB_FULL,	/* kernel copies of the whole source and destination */
	VCD_JOB_ZC,	/* the caller's pages, pinned */
	VCD_JOB_WINDOW,	/* one kernel window, copied in and out per piece */
};

struct vcd_job {
	struct kref ref;	/* owner, each piece on the device */
	struct vcd_session *s;
	struct crypt_op cop;	/* as the caller gave it */
	bool encrypt;
	bool on_device;
	bool reset_hash;	/* hash: start from a fresh state */
	bool final;		/* hash: write the digest */
	bool inplace;		/* src == dst */
	bool slot_held;		/* a device session is busy for us */
	u8 slot;
	u8 bufs;		/* enum vcd_job_bufs */
	size_t window;		/* bytes per piece / window */
	struct vcd_buf src, dst;	/* dst NONE: hash only */
	u8 iv[VCD_MAX_IV];	/* in; after the operation: out */
	u8 last_in[VCD_MAX_BLOCK];	/* CBC decryption: last input block */
	u8 mac[VCD_MAX_DIGEST];
	int result;

	/* Pieces on the device not yet looked at (vcd_dev_op.c). */
	struct list_head pieces;
	atomic_t pending;	/* asynchronous pieces not yet returned */

	/* Asynchronous (vcd_async.c). */
	struct vcd_async *aq;
	s8 aq_queue;		/* index in the file's queues, -1: none */
	bool irq_each;		/* each piece asks for an interrupt */
	struct list_head node;
	struct timer_list timer;
	struct work_struct free_work;
};

int vcd_job_new(struct vcd_session *s, const struct crypt_op *cop,
		bool async, struct vcd_job **out);
bool vcd_job_can_submit_async(const struct vcd_job *job);
int vcd_job_submit_async(struct vcd_job *job);
int vcd_job_run(struct vcd_job *job, bool killable);
int vcd_job_finish(struct vcd_job *job);
void vcd_job_get(struct vcd_job *job);
void vcd_job_put(struct vcd_job *job);
void vcd_job_drop(struct vcd_job *job);
void vcd_job_drop_any(struct vcd_job *job);
void vcd_job_piece_returned(struct vcd_job *job);

/* vcd_dev_op.c: one piece of a job on the device. */
struct vcd_dreq;
size_t vcd_dev_piece_max(const struct vcd_job *job);
int vcd_dev_piece_submit(struct vcd_job *job, u64 sid, size_t boff,
			 size_t len, const u8 *iv, bool async);
int vcd_dev_pieces_reap(struct vcd_job *job, bool killable);

/* CTR: @iv + @blocks, the 16-byte counter as one big-endian number. */
void vcd_ctr_add(u8 *iv, u64 blocks);

#endif /* VCD_JOB_H */
