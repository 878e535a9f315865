// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio_cryptodev_main.c - module init, virtio driver binding, device list,
 * device recovery.
 *
 * Owns the life of a bound virtio-crypto device: probe reads the config
 * space, creates the queues, registers the per-device node and statistics
 * and puts the device on the global list that /dev/crypto picks devices
 * from.  A device that stops answering (a request timed out) or asks for a
 * reset (DEVICE_NEEDS_RESET) is reset and re-initialised by a work item:
 * its queues go down (submitters wait), the device is reset, every request
 * still on a ring fails with -EIO, the queues are created again and come
 * back up; device sessions survive where the device kept them and are
 * re-created on their next use where it did not (vcd_devsess.c).  Suspend
 * (freeze/restore) takes the same two steps.  Remove marks the device dead
 * for good.  The device structure is reference counted: open files and
 * sessions keep it (dead) until they go.  Does not own the ioctls
 * (vcd_chrdev.c), sessions (vcd_session.c) or the request path
 * (vcd_queue.c, vcd_dev_op.c).
 */
#include <linux/idr.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/version.h>
#include <linux/virtio_config.h>

#include "vcd.h"
#include "vcd_devsess.h"

unsigned int vcd_param_data_queues = 1;
module_param_named(data_queues, vcd_param_data_queues, uint, 0444);
MODULE_PARM_DESC(data_queues,
		 "data queues used per device, 0 = all the device advertises (default 1: QEMU's vhost-user back-end serves only queue 0)");

unsigned int vcd_param_max_request = 1U << 20;
module_param_named(max_request, vcd_param_max_request, uint, 0644);
MODULE_PARM_DESC(max_request,
		 "largest piece of a request sent to the device, in bytes (also bounded by the device's max_size and the ring); longer requests are split (default 1 MiB)");

unsigned int vcd_param_timeout_ms = 10000;
module_param_named(timeout_ms, vcd_param_timeout_ms, uint, 0644);
MODULE_PARM_DESC(timeout_ms,
		 "ms a request waits for the device before the device is reset and the request fails with EIO, 0 = forever (default 10000)");

unsigned int vcd_param_zc_threshold = 4096;
module_param_named(zc_threshold, vcd_param_zc_threshold, uint, 0644);
MODULE_PARM_DESC(zc_threshold,
		 "CIOCCRYPT requests of at least this many bytes go to the device straight from the caller's pages, 0 = never (default 4096)");

unsigned int vcd_param_async_zc_threshold = 512;
module_param_named(async_zc_threshold, vcd_param_async_zc_threshold, uint, 0644);
MODULE_PARM_DESC(async_zc_threshold,
		 "the same for CIOCASYNCCRYPT requests, 0 = never (default 512)");

unsigned int vcd_param_async_max = 64;
module_param_named(async_max, vcd_param_async_max, uint, 0644);
MODULE_PARM_DESC(async_max,
		 "CIOCASYNCCRYPT requests one open file may have submitted and not fetched (default 64, at most 1024)");

unsigned int vcd_param_async_bytes = 64U << 20;
module_param_named(async_bytes, vcd_param_async_bytes, uint, 0644);
MODULE_PARM_DESC(async_bytes,
		 "bytes of data one open file's unfetched CIOCASYNCCRYPT requests may hold (default 64 MiB)");

/* Resets and deferred releases of requests the device held last. */
struct workqueue_struct *vcd_wq;

bool vcd_param_use_device = true;
module_param_named(use_device, vcd_param_use_device, bool, 0644);
MODULE_PARM_DESC(use_device,
		 "offer new sessions to the virtio devices (default 1); 0 runs every new session in the guest kernel");

static LIST_HEAD(vcd_devices);
static DEFINE_MUTEX(vcd_devices_lock);
static DEFINE_IDA(vcd_ida);
static unsigned int vcd_next_device;

static void vcd_device_release(struct kref *ref)
{
	struct vcd_device *dev = container_of(ref, struct vcd_device, ref);

	ida_free(&vcd_ida, dev->index);
	kfree(dev->dataq);
	kfree(dev);
}

void vcd_device_get(struct vcd_device *dev)
{
	kref_get(&dev->ref);
}

void vcd_device_put(struct vcd_device *dev)
{
	kref_put(&dev->ref, vcd_device_release);
}

/*
 * A bound device for a new /dev/crypto session, round robin over the
 * healthy ones (an unhealthy one only when no other is left); referenced.
 */
struct vcd_device *vcd_device_pick(void)
{
	struct vcd_device *dev, *found = NULL;
	unsigned int n = 0, want;
	bool any_ok = false;

	mutex_lock(&vcd_devices_lock);
	list_for_each_entry(dev, &vcd_devices, node)
		any_ok |= !READ_ONCE(dev->unhealthy);
	list_for_each_entry(dev, &vcd_devices, node)
		n += !any_ok || !READ_ONCE(dev->unhealthy);
	if (n) {
		want = vcd_next_device++ % n;
		list_for_each_entry(dev, &vcd_devices, node) {
			if (any_ok && READ_ONCE(dev->unhealthy))
				continue;
			if (!want--) {
				found = dev;
				kref_get(&found->ref);
				break;
			}
		}
	}
	mutex_unlock(&vcd_devices_lock);
	return found;
}

/* The data queue for a new session, round robin over the used ones. */
struct vcd_queue *vcd_device_queue(struct vcd_device *dev,
				   unsigned int *index)
{
	unsigned int i = (unsigned int)atomic_inc_return(&dev->next_q) %
			 dev->nr_used;

	*index = i;
	return &dev->dataq[i];
}

int vcd_status_to_errno(u8 status)
{
	switch (status) {
	case VIRTIO_CRYPTO_OK:
		return 0;
	case VIRTIO_CRYPTO_BADMSG:
	case VIRTIO_CRYPTO_INVSESS:
	case VIRTIO_CRYPTO_KEY_REJECTED:
		return -EINVAL;
	case VIRTIO_CRYPTO_NOTSUPP:
		return -EOPNOTSUPP;
	case VIRTIO_CRYPTO_NOSPC:
		return -ENOSPC;
	default:
		return -EIO;
	}
}

static void vcd_vq_done(struct virtqueue *vq)
{
	struct vcd_device *dev = vq->vdev->priv;

	if (vq->index < dev->nr_dataq)
		vcd_queue_callback(&dev->dataq[vq->index]);
	else
		vcd_queue_callback(&dev->ctrlq);
}

static void vcd_read_config(struct vcd_device *dev)
{
	struct virtio_device *vdev = dev->vdev;
	u32 lo, hi;

	virtio_cread_le(vdev, struct virtio_crypto_config, status,
			&dev->status);
	virtio_cread_le(vdev, struct virtio_crypto_config, max_dataqueues,
			&dev->max_dataqueues);
	virtio_cread_le(vdev, struct virtio_crypto_config, crypto_services,
			&dev->services);
	virtio_cread_le(vdev, struct virtio_crypto_config, cipher_algo_l, &lo);
	virtio_cread_le(vdev, struct virtio_crypto_config, cipher_algo_h, &hi);
	dev->cipher_mask = (u64)hi << 32 | lo;
	virtio_cread_le(vdev, struct virtio_crypto_config, hash_algo,
			&dev->hash_mask);
	virtio_cread_le(vdev, struct virtio_crypto_config, mac_algo_l, &lo);
	virtio_cread_le(vdev, struct virtio_crypto_config, mac_algo_h, &hi);
	dev->mac_mask = (u64)hi << 32 | lo;
	virtio_cread_le(vdev, struct virtio_crypto_config, aead_algo,
			&dev->aead_mask);
	virtio_cread_le(vdev, struct virtio_crypto_config, max_cipher_key_len,
			&dev->max_cipher_key_len);
	virtio_cread_le(vdev, struct virtio_crypto_config, max_auth_key_len,
			&dev->max_auth_key_len);
	virtio_cread_le(vdev, struct virtio_crypto_config, max_size,
			&dev->max_size);
}

static int vcd_find_vqs(struct vcd_device *dev)
{
	unsigned int i, nvqs = dev->nr_dataq + 1;
	struct virtqueue **vqs;
	int err = -ENOMEM;
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
	struct virtqueue_info *info;

	vqs = kcalloc(nvqs, sizeof(*vqs), GFP_KERNEL);
	info = kcalloc(nvqs, sizeof(*info), GFP_KERNEL);
	if (!vqs || !info)
		goto out;
	for (i = 0; i < nvqs; i++) {
		info[i].callback = vcd_vq_done;
		info[i].name = i < dev->nr_dataq ? dev->dataq[i].name :
						   dev->ctrlq.name;
	}
	err = virtio_find_vqs(dev->vdev, nvqs, vqs, info, NULL);
#else
	vq_callback_t **callbacks;
	const char **names;

	vqs = kcalloc(nvqs, sizeof(*vqs), GFP_KERNEL);
	callbacks = kcalloc(nvqs, sizeof(*callbacks), GFP_KERNEL);
	names = kcalloc(nvqs, sizeof(*names), GFP_KERNEL);
	if (!vqs || !callbacks || !names)
		goto out;
	for (i = 0; i < nvqs; i++) {
		callbacks[i] = vcd_vq_done;
		names[i] = i < dev->nr_dataq ? dev->dataq[i].name :
					       dev->ctrlq.name;
	}
	err = virtio_find_vqs(dev->vdev, nvqs, vqs, callbacks, names, NULL);
#endif
	if (err)
		goto out;
	for (i = 0; i < dev->nr_dataq; i++)
		vcd_queue_attach(&dev->dataq[i], vqs[i]);
	vcd_queue_attach(&dev->ctrlq, vqs[dev->nr_dataq]);
out:
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
	kfree(info);
#else
	kfree(callbacks);
	kfree(names);
#endif
	kfree(vqs);
	return err;
}

static void vcd_queues_set_state(struct vcd_device *dev,
				 enum vcd_queue_state state)
{
	unsigned int i;

	for (i = 0; i < dev->nr_dataq; i++)
		vcd_queue_set_state(&dev->dataq[i], state);
	vcd_queue_set_state(&dev->ctrlq, state);
}

/*
 * Take the queues down (@state: DOWN, or DEAD for good), reset the device
 * and give every request still on a ring back to its owner, then delete the
 * virtqueues.  state_lock held.
 */
static void vcd_device_stop(struct vcd_device *dev, enum vcd_queue_state state)
{
	unsigned int i;

	vcd_queues_set_state(dev, state);
	synchronize_rcu();	/* no submitter is still notifying */
	virtio_reset_device(dev->vdev);
	for (i = 0; i < dev->nr_dataq; i++)
		vcd_queue_drain(&dev->dataq[i]);
	vcd_queue_drain(&dev->ctrlq);
	dev->vdev->config->del_vqs(dev->vdev);
	for (i = 0; i < dev->nr_dataq; i++)
		dev->dataq[i].vq = NULL;
	dev->ctrlq.vq = NULL;
}

/* Create the virtqueues and bring the queues up; state_lock held. */
static int vcd_device_start(struct vcd_device *dev)
{
	int err;

	err = vcd_find_vqs(dev);
	if (err)
		return err;
	virtio_device_ready(dev->vdev);
	vcd_queues_set_state(dev, VCD_Q_UP);
	return 0;
}

static void vcd_reset_work(struct work_struct *work)
{
	struct vcd_device *dev = container_of(work, struct vcd_device,
					      reset_work);
	int err = 0;

	mutex_lock(&dev->state_lock);
	clear_bit(VCD_DEV_RESET_PENDING, &dev->flags);
	if (!dev->dead && !dev->frozen) {
		vcd_device_stop(dev, VCD_Q_DOWN);
		vcd_dsess_device_reset(dev);
		err = vcd_device_start(dev);
		if (err) {
			pr_err(VCD_DRIVER_NAME ": %s: cannot restart after reset (%d), device unusable\n",
			       dev->name, err);
			vcd_queues_set_state(dev, VCD_Q_DEAD);
		} else {
			pr_info(VCD_DRIVER_NAME ": %s: reset and ready again\n",
				dev->name);
		}
		atomic_inc(&dev->resets);
	}
	mutex_unlock(&dev->state_lock);
	wake_up_all(&dev->up_wq);
	if (!err)
		vcd_dsess_flush_destroys(dev);
	vcd_device_put(dev);
}

/*
 * Reset and re-initialise @dev in a work item (once, however many ask
 * while one is pending).  Any context.
 */
void vcd_device_schedule_reset(struct vcd_device *dev, const char *why)
{
	if (READ_ONCE(dev->dead) ||
	    test_and_set_bit(VCD_DEV_RESET_PENDING, &dev->flags))
		return;
	pr_warn_ratelimited(VCD_DRIVER_NAME ": %s: %s, resetting the device\n",
			    dev->name, why);
	vcd_device_get(dev);
	if (!queue_work(vcd_wq, &dev->reset_work))
		vcd_device_put(dev);
}

/*
 * A request failed for want of an answer (@ok false), or the device
 * answered one (@ok true).  New /dev/crypto sessions avoid unhealthy
 * devices, and a session on one asks the device instead of trusting what
 * it accepted before.
 */
void vcd_device_set_health(struct vcd_device *dev, bool ok)
{
	if (READ_ONCE(dev->unhealthy) == ok)
		WRITE_ONCE(dev->unhealthy, !ok);
}

/*
 * Wait until the queues of @dev are up again after a reset or resume: 0, or
 * -ENODEV (removed), -EIO (did not come back within timeout_ms).
 */
int vcd_device_wait_up(struct vcd_device *dev)
{
	long t = vcd_param_timeout_ms ? msecs_to_jiffies(vcd_param_timeout_ms) :
					MAX_SCHEDULE_TIMEOUT;

	if (!wait_event_timeout(dev->up_wq,
				READ_ONCE(dev->ctrlq.state) != VCD_Q_DOWN, t))
		return -EIO;
	return READ_ONCE(dev->ctrlq.state) == VCD_Q_UP ? 0 : -ENODEV;
}

static void vcd_config_changed(struct virtio_device *vdev)
{
	struct vcd_device *dev = vdev->priv;
	u32 status;

	if (!dev)
		return;
	virtio_cread_le(vdev, struct virtio_crypto_config, status, &status);
	dev->status = status;
	if (vdev->config->get_status(vdev) & VIRTIO_CONFIG_S_NEEDS_RESET)
		vcd_device_schedule_reset(dev, "the device needs a reset");
}

static int vcd_probe(struct virtio_device *vdev)
{
	struct vcd_device *dev;
	unsigned int i;
	int err;

	if (!vdev->config->get) {
		dev_err(&vdev->dev, "config access disabled\n");
		return -EINVAL;
	}
	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev)
		return -ENOMEM;
	kref_init(&dev->ref);
	INIT_LIST_HEAD(&dev->node);
	mutex_init(&dev->state_lock);
	INIT_WORK(&dev->reset_work, vcd_reset_work);
	init_waitqueue_head(&dev->up_wq);
	vcd_dsess_cache_init(dev);
	dev->vdev = vdev;
	err = ida_alloc(&vcd_ida, GFP_KERNEL);
	if (err < 0) {
		kfree(dev);
		return err;
	}
	dev->index = err;
	snprintf(dev->name, sizeof(dev->name), "cryptodev%d", dev->index);
	vdev->priv = dev;

	vcd_read_config(dev);
	if (!dev->max_dataqueues || dev->max_dataqueues > 1024) {
		dev_err(&vdev->dev, "bad max_dataqueues %u\n",
			dev->max_dataqueues);
		err = -EINVAL;
		goto fail;
	}
	if (!(dev->status & VIRTIO_CRYPTO_S_HW_READY))
		dev_warn(&vdev->dev, "device not ready (status %#x)\n",
			 dev->status);

	dev->nr_dataq = dev->max_dataqueues;
	dev->dataq = kcalloc(dev->nr_dataq, sizeof(*dev->dataq), GFP_KERNEL);
	if (!dev->dataq) {
		err = -ENOMEM;
		goto fail;
	}
	for (i = 0; i < dev->nr_dataq; i++) {
		char name[24];

		snprintf(name, sizeof(name), "dataq.%u", i);
		vcd_queue_init(&dev->dataq[i], dev, name);
	}
	vcd_queue_init(&dev->ctrlq, dev, "controlq");
	dev->nr_used = vcd_param_data_queues ?
		       min(vcd_param_data_queues, dev->nr_dataq) : dev->nr_dataq;

	mutex_lock(&dev->state_lock);
	err = vcd_device_start(dev);
	mutex_unlock(&dev->state_lock);
	if (err)
		goto fail;

	err = vcd_stats_add(dev);
	if (err)
		goto fail_reset;
	err = vcd_chrdev_add_node(dev);
	if (err)
		goto fail_stats;

	mutex_lock(&vcd_devices_lock);
	list_add_tail(&dev->node, &vcd_devices);
	mutex_unlock(&vcd_devices_lock);
	dev_info(&vdev->dev,
		 "/dev/%s: %u data queues (using %u), services %#x, cipher %#llx, hash %#x, mac %#llx, max_size %llu, %u descriptors per request\n",
		 dev->misc_name, dev->nr_dataq, dev->nr_used, dev->services,
		 dev->cipher_mask, dev->hash_mask, dev->mac_mask,
		 dev->max_size, dev->dataq[0].max_sg);
	return 0;

fail_stats:
	vcd_stats_remove(dev);
fail_reset:
	mutex_lock(&dev->state_lock);
	vcd_device_stop(dev, VCD_Q_DEAD);
	mutex_unlock(&dev->state_lock);
fail:
	vdev->priv = NULL;
	vcd_device_put(dev);
	return err;
}

static void vcd_remove(struct virtio_device *vdev)
{
	struct vcd_device *dev = vdev->priv;

	mutex_lock(&vcd_devices_lock);
	list_del_init(&dev->node);
	mutex_unlock(&vcd_devices_lock);
	vcd_chrdev_remove_node(dev);
	vcd_stats_remove(dev);

	WRITE_ONCE(dev->dead, true);
	cancel_work_sync(&dev->reset_work);
	if (test_and_clear_bit(VCD_DEV_RESET_PENDING, &dev->flags))
		vcd_device_put(dev);	/* the cancelled work's reference */
	mutex_lock(&dev->state_lock);
	if (dev->frozen)
		vcd_queues_set_state(dev, VCD_Q_DEAD);
	else
		vcd_device_stop(dev, VCD_Q_DEAD);
	mutex_unlock(&dev->state_lock);
	wake_up_all(&dev->up_wq);
	vcd_dsess_device_gone(dev);
	vdev->priv = NULL;
	dev->vdev = NULL;
	pr_info(VCD_DRIVER_NAME ": %s removed\n", dev->name);
	vcd_device_put(dev);
}

#ifdef CONFIG_PM_SLEEP
static int vcd_freeze(struct virtio_device *vdev)
{
	struct vcd_device *dev = vdev->priv;

	cancel_work_sync(&dev->reset_work);
	if (test_and_clear_bit(VCD_DEV_RESET_PENDING, &dev->flags))
		vcd_device_put(dev);
	mutex_lock(&dev->state_lock);
	vcd_device_stop(dev, VCD_Q_DOWN);
	vcd_dsess_device_reset(dev);
	dev->frozen = true;
	mutex_unlock(&dev->state_lock);
	pr_info(VCD_DRIVER_NAME ": %s: suspended\n", dev->name);
	return 0;
}

static int vcd_restore(struct virtio_device *vdev)
{
	struct vcd_device *dev = vdev->priv;
	int err;

	mutex_lock(&dev->state_lock);
	dev->frozen = false;
	err = vcd_device_start(dev);
	if (err)
		vcd_queues_set_state(dev, VCD_Q_DEAD);
	mutex_unlock(&dev->state_lock);
	wake_up_all(&dev->up_wq);
	if (!err)
		vcd_dsess_flush_destroys(dev);
	pr_info(VCD_DRIVER_NAME ": %s: resumed (%d)\n", dev->name, err);
	return err;
}
#endif

static const struct virtio_device_id vcd_id_table[] = {
	{ VIRTIO_ID_CRYPTO, VIRTIO_DEV_ANY_ID },
	{ 0 },
};

static struct virtio_driver vcd_driver = {
	.driver.name = KBUILD_MODNAME,
	.driver.owner = THIS_MODULE,
	.id_table = vcd_id_table,
	.probe = vcd_probe,
	.remove = vcd_remove,
	.config_changed = vcd_config_changed,
#ifdef CONFIG_PM_SLEEP
	.freeze = vcd_freeze,
	.restore = vcd_restore,
#endif
};

static int __init vcd_init(void)
{
	int err;

	vcd_wq = alloc_workqueue(VCD_DRIVER_NAME, WQ_MEM_RECLAIM, 0);
	if (!vcd_wq)
		return -ENOMEM;
	err = vcd_chrdev_register();
	if (err)
		goto fail_wq;
	err = register_virtio_driver(&vcd_driver);
	if (err)
		goto fail_chrdev;
	return 0;
fail_chrdev:
	vcd_chrdev_unregister();
fail_wq:
	destroy_workqueue(vcd_wq);
	return err;
}

static void __exit vcd_exit(void)
{
	unregister_virtio_driver(&vcd_driver);
	vcd_chrdev_unregister();
	destroy_workqueue(vcd_wq);	/* runs what is still queued */
}

module_init(vcd_init);
module_exit(vcd_exit);

MODULE_DEVICE_TABLE(virtio, vcd_id_table);
MODULE_DESCRIPTION("cryptodev-linux /dev/crypto served by virtio-crypto devices and the kernel crypto API");
MODULE_LICENSE("GPL");
