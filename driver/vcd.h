/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vcd.h - internal interfaces of the virtio_cryptodev module.
 *
 * Owns the shared data structures of the guest frontend: a bound virtio
 * crypto device (struct vcd_device: reference counted, on a global list,
 * with its recovery state), one virtqueue with its lock and statistics
 * (struct vcd_queue) and a request on a virtqueue (struct vcd_req: reference
 * counted so that a caller who was killed or timed out never frees buffers
 * the device still owns).  The cryptodev session, the device-session cache,
 * the software engine and the operations have their own headers.  It does
 * not own the cryptodev-linux ABI (uapi/cryptodev.h) nor the virtio-crypto
 * wire format (<uapi/linux/virtio_crypto.h>).
 */
#ifndef VCD_H
#define VCD_H

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/kobject.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/miscdevice.h>
#include <linux/mutex.h>
#include <linux/scatterlist.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/virtio.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <uapi/linux/virtio_crypto.h>

#define VCD_DRIVER_NAME "virtio_cryptodev"
#define VCD_MAX_IV 16
#define VCD_MAX_BLOCK 16
#define VCD_MAX_DIGEST 64

/* Module parameters (virtio_cryptodev_main.c). */
extern unsigned int vcd_param_data_queues;
extern unsigned int vcd_param_max_request;
extern unsigned int vcd_param_timeout_ms;
extern unsigned int vcd_param_zc_threshold;
extern unsigned int vcd_param_async_zc_threshold;
extern unsigned int vcd_param_async_max;
extern unsigned int vcd_param_async_bytes;
extern bool vcd_param_use_device;

struct vcd_device;

struct vcd_queue_stats {
	atomic64_t requests;	/* submitted to the ring */
	atomic64_t bytes;	/* payload bytes of completed requests */
	atomic64_t errors;	/* failed: device status, EIO, timeout, kill */
	atomic64_t ring_full;	/* times a submitter waited for ring space */
	atomic64_t max_inflight;
};

enum vcd_queue_state {
	VCD_Q_UP,	/* requests go to the device */
	VCD_Q_DOWN,	/* reset or suspend in progress: submitters wait */
	VCD_Q_DEAD,	/* device removed: submitters get ENODEV */
};

/*
 * One virtqueue.  The lock covers virtqueue add/kick-prepare/get_buf and the
 * counters below; it is never held while a request is completed or freed.
 */
struct vcd_queue {
	struct vcd_device *dev;
	struct virtqueue *vq;
	spinlock_t lock;
	wait_queue_head_t space_wq;	/* waiters for ring space */
	unsigned long space_gen;	/* bumped when buffers come back */
	unsigned int inflight;
	unsigned int irq_wanted;	/* requests whose owner needs an irq */
	unsigned int irq_now;		/* of those, owners asleep on them */
	int wakers;			/* files waiting for any request back */
	unsigned int max_sg;		/* descriptors one request may use */
	enum vcd_queue_state state;
	char name[24];			/* must outlive the irq (virtio_pci) */
	struct vcd_queue_stats stats;
	struct kobject *stats_dir;	/* queues/NAME/ (vcd_stats.c) */
};

/*
 * A request on a queue.  Two references while on the ring: the owner's and
 * the device's.  The device's reference is dropped after ->complete (any
 * context); if it is the last one, ->release runs from a work item, so a
 * release may sleep (unpin pages, vfree).
 */
struct vcd_req {
	struct kref ref;
	struct completion done;
	int result;		/* 0: returned by the device, -EIO: drained */
	bool want_irq;		/* counted in the queue's irq_wanted */
	bool irq_now;		/* counted in its irq_now: owner asleep */
	bool returned;		/* harvested or drained (under the queue lock) */
	struct vcd_queue *q;	/* set when added */
	struct list_head harvest;	/* private to vcd_queue.c */
	void (*complete)(struct vcd_req *req);	/* optional, any context */
	void (*release)(struct vcd_req *req);	/* may sleep */
	struct work_struct free_work;
};

/* What the device-session cache keeps per device (vcd_devsess.c). */
struct vcd_dsess_cache {
	spinlock_t lock;		/* lru and every slot's live/busy */
	struct list_head lru;		/* live slots, least recently used first */
	unsigned int live;		/* device sessions we hold */
	struct list_head pending;	/* destroys waiting for the device */
	struct mutex create_lock;	/* one create or eviction at a time */
	unsigned int nverdicts;		/* under create_lock */
	struct vcd_dsess_verdict {
		u32 cipher, mac, keylen;	/* cryptodev ids */
		bool ok;
	} verdicts[64];
	atomic64_t creates, evictions, recreates;
};

struct vcd_device {
	struct kref ref;
	struct list_head node;		/* vcd_devices, under vcd_devices_lock */
	struct virtio_device *vdev;	/* valid while !dead */
	int index;			/* N of /dev/cryptodevN */
	char name[32];
	bool dead;			/* removed */

	/* Recovery (virtio_cryptodev_main.c). */
	struct mutex state_lock;	/* probe/remove/reset/freeze/restore */
	struct work_struct reset_work;
	unsigned long flags;		/* VCD_DEV_* bits */
	wait_queue_head_t up_wq;	/* waiters for the queues to come back */
	atomic_t resets;		/* completed resets */
	bool frozen;
	bool unhealthy;			/* failed since it last answered */

	struct miscdevice misc;
	char misc_name[24];
	bool misc_registered;

	struct vcd_queue ctrlq;
	struct vcd_queue *dataq;
	unsigned int nr_dataq;		/* created */
	unsigned int nr_used;		/* the ones we submit to */
	atomic_t next_q;

	struct vcd_dsess_cache cache;

	/* sysfs cryptodev/ and cryptodev/queues/ (vcd_stats.c) */
	struct kobject *stats_dir;
	struct kobject *stats_queues;

	/* Config space, read at probe. */
	u32 status;
	u32 max_dataqueues;
	u32 services;
	u64 cipher_mask;
	u32 hash_mask;
	u64 mac_mask;
	u32 aead_mask;
	u32 max_cipher_key_len;
	u32 max_auth_key_len;
	u64 max_size;
};

#define VCD_DEV_RESET_PENDING	0

/* virtio_cryptodev_main.c */
extern struct workqueue_struct *vcd_wq;
struct vcd_device *vcd_device_pick(void);
void vcd_device_get(struct vcd_device *dev);
void vcd_device_put(struct vcd_device *dev);
int vcd_status_to_errno(u8 status);
struct vcd_queue *vcd_device_queue(struct vcd_device *dev,
				   unsigned int *index);
void vcd_device_schedule_reset(struct vcd_device *dev, const char *why);
void vcd_device_set_health(struct vcd_device *dev, bool ok);
int vcd_device_wait_up(struct vcd_device *dev);

/* vcd_queue.c */
void vcd_queue_init(struct vcd_queue *q, struct vcd_device *dev,
		    const char *name);
void vcd_queue_attach(struct vcd_queue *q, struct virtqueue *vq);
void vcd_queue_set_state(struct vcd_queue *q, enum vcd_queue_state state);
void vcd_queue_callback(struct vcd_queue *q);
void vcd_queue_collect(struct vcd_queue *q, struct list_head *done);
void vcd_queue_wake_get(struct vcd_queue *q, struct list_head *done);
void vcd_queue_wake_put(struct vcd_queue *q);
void vcd_queue_finish(struct vcd_queue *q, struct list_head *done);
int vcd_queue_add(struct vcd_queue *q, struct vcd_req *req,
		  struct scatterlist *sgs[], unsigned int out,
		  unsigned int in);
int vcd_req_wait(struct vcd_req *req, bool killable);
void vcd_queue_drain(struct vcd_queue *q);
void vcd_req_init(struct vcd_req *req, void (*release)(struct vcd_req *));
void vcd_req_put(struct vcd_req *req);

/* vcd_chrdev.c */
int vcd_chrdev_register(void);
void vcd_chrdev_unregister(void);
int vcd_chrdev_add_node(struct vcd_device *dev);
void vcd_chrdev_remove_node(struct vcd_device *dev);

/* vcd_stats.c */
int vcd_stats_add(struct vcd_device *dev);
void vcd_stats_remove(struct vcd_device *dev);

#endif /* VCD_H */
