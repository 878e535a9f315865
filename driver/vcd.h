/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vcd.h - internal interfaces of the virtio_cryptodev module.
 *
 * Owns the shared data structures of the guest frontend: a bound virtio
 * crypto device (struct vcd_device, reference counted, on a global list),
 * one virtqueue with its lock and statistics (struct vcd_queue), a request
 * in flight (struct vcd_req, reference counted so a killed caller never frees
 * buffers the device still owns) and a cryptodev session (struct
 * vcd_session).  It does not own the cryptodev-linux ABI numbers
 * (uapi/cryptodev.h) nor the virtio-crypto wire format
 * (<uapi/linux/virtio_crypto.h>).
 */
#ifndef VCD_H
#define VCD_H

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/miscdevice.h>
#include <linux/mutex.h>
#include <linux/scatterlist.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/virtio.h>
#include <linux/wait.h>
#include <uapi/linux/virtio_crypto.h>

#define VCD_DRIVER_NAME "virtio_cryptodev"
#define VCD_MAX_IV 16

/* Module parameters (virtio_cryptodev_main.c). */
extern unsigned int vcd_param_data_queues;
extern unsigned int vcd_param_max_request;
extern unsigned int vcd_param_timeout_ms;
extern unsigned int vcd_param_poll_loops;

struct vcd_queue_stats {
	atomic64_t requests;	/* submitted to the ring */
	atomic64_t bytes;	/* payload bytes of completed requests */
	atomic64_t errors;	/* failed: device status, EIO, timeout, kill */
	atomic64_t ring_full;	/* times a submitter waited for ring space */
	atomic64_t max_inflight;
};

/* One virtqueue.  The lock covers only virtqueue add/kick/get_buf. */
struct vcd_queue {
	struct virtqueue *vq;
	spinlock_t lock;
	wait_queue_head_t space_wq;	/* waiters for ring space */
	unsigned long space_gen;	/* bumped when buffers come back */
	unsigned int inflight;
	unsigned int irq_wanted;	/* requests whose submitter sleeps */
	bool dead;
	char name[24];			/* must outlive the irq (virtio_pci) */
	struct vcd_queue_stats stats;
};

/*
 * A request on a queue.  Two references while on the ring: the submitter's
 * and the device's.  Whoever drops the last one frees it via ->release.
 */
struct vcd_req {
	struct kref ref;
	struct completion done;
	int result;		/* 0: returned by the device, -EIO: drained */
	bool want_irq;		/* counted in the queue's irq_wanted */
	void (*release)(struct vcd_req *req);
};

struct vcd_device {
	struct kref ref;
	struct list_head node;		/* vcd_devices, under vcd_devices_lock */
	struct virtio_device *vdev;	/* valid while !dead */
	int index;			/* N of /dev/cryptodevN */
	char name[32];
	bool dead;
	bool broken;			/* a request timed out: fail fast */
	bool hw_ready;

	struct miscdevice misc;
	char misc_name[24];
	bool misc_registered;

	struct vcd_queue ctrlq;
	struct vcd_queue *dataq;
	unsigned int nr_dataq;		/* created */
	unsigned int nr_used;		/* the ones we submit to */
	atomic_t next_q;

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

/* What one cryptodev cipher id means on the device. */
struct vcd_cipher_alg {
	u32 cryptodev_id;
	u32 virtio_algo;
	unsigned int ivsize;
	unsigned int blocksize;
	unsigned int keylens[3];	/* accepted key lengths, 0 = unused */
	const char *cra_name;
	const char *driver_name;
};

struct vcd_mac_alg {
	u32 cryptodev_id;
	u32 virtio_algo;
	unsigned int digestsize;
	const char *cra_name;
	const char *driver_name;
};

struct vcd_session {
	struct kref ref;
	struct vcd_device *dev;		/* holds a device reference */
	struct vcd_queue *q;		/* data queue for this session */
	unsigned int qindex;
	u32 id;				/* cryptodev ses, per open file */
	const struct vcd_cipher_alg *cipher;
	const struct vcd_mac_alg *mac;
	u64 enc_session;		/* device session ids */
	u64 dec_session;
	bool have_enc;
	bool have_dec;
	spinlock_t iv_lock;
	u8 iv[VCD_MAX_IV];		/* chaining IV when the caller gives none */
};

/* virtio_cryptodev_main.c */
struct vcd_device *vcd_device_pick(void);
void vcd_device_put(struct vcd_device *dev);
int vcd_status_to_errno(u8 status);
int vcd_device_check(struct vcd_device *dev, int err);
struct vcd_queue *vcd_device_queue(struct vcd_device *dev,
				   unsigned int *index);

/* vcd_queue.c */
void vcd_queue_init(struct vcd_queue *q, const char *name);
void vcd_queue_callback(struct vcd_queue *q);
int vcd_queue_submit(struct vcd_queue *q, struct vcd_req *req,
		     struct scatterlist *sgs[], unsigned int out,
		     unsigned int in, bool killable);
void vcd_queue_kill(struct vcd_queue *q);
void vcd_queue_drain(struct vcd_queue *q);
void vcd_req_init(struct vcd_req *req, void (*release)(struct vcd_req *));
void vcd_req_put(struct vcd_req *req);
unsigned int vcd_sg_map(struct scatterlist *sg, unsigned int nents,
			void *buf, unsigned int len);
unsigned int vcd_sg_count(const void *buf, unsigned int len);

/* vcd_session.c */
const struct vcd_cipher_alg *vcd_cipher_find(u32 id);
const struct vcd_mac_alg *vcd_mac_find(u32 id);
int vcd_session_create(struct vcd_device *dev, u32 cipher, u32 mac,
		       const u8 *key, unsigned int keylen,
		       const u8 *mackey, unsigned int mackeylen,
		       struct vcd_session **out);
void vcd_session_put(struct vcd_session *s);

/* vcd_chrdev.c */
int vcd_chrdev_register(void);
void vcd_chrdev_unregister(void);
int vcd_chrdev_add_node(struct vcd_device *dev);
void vcd_chrdev_remove_node(struct vcd_device *dev);

/* vcd_stats.c */
int vcd_stats_add(struct vcd_device *dev);
void vcd_stats_remove(struct vcd_device *dev);

#endif /* VCD_H */
