// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_cryptodev_main.c - module init, virtio driver binding, device list.
 *
 * Owns the life of a bound virtio-crypto device: probe reads the config
 * space, creates the data queues and the control queue, registers the
 * per-device node and statistics and puts the device on the global list that
 * /dev/crypto picks devices from; remove marks the device dead, resets it,
 * fails every request still on a ring with -EIO and deletes the queues.  The
 * device structure is reference counted: open files and sessions keep it
 * (dead) until they go.  Does not own the ioctls (vcd_chrdev.c), sessions
 * (vcd_session.c) or the request path (vcd_queue.c, vcd_crypt.c).
 */
#include <linux/idr.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/version.h>
#include <linux/virtio_config.h>

#include "vcd.h"

unsigned int vcd_param_data_queues = 1;
module_param_named(data_queues, vcd_param_data_queues, uint, 0444);
MODULE_PARM_DESC(data_queues,
		 "data queues used per device, 0 = all the device advertises (default 1: QEMU's vhost-user back-end serves only queue 0)");

unsigned int vcd_param_max_request = 1U << 20;
module_param_named(max_request, vcd_param_max_request, uint, 0644);
MODULE_PARM_DESC(max_request,
		 "largest CIOCCRYPT length in bytes (also bounded by the device's max_size; default 1 MiB)");

unsigned int vcd_param_timeout_ms = 10000;
module_param_named(timeout_ms, vcd_param_timeout_ms, uint, 0644);
MODULE_PARM_DESC(timeout_ms,
		 "ms a request waits for the device before failing with EIO, 0 = forever (default 10000)");

unsigned int vcd_param_poll_loops;
module_param_named(poll_loops, vcd_param_poll_loops, uint, 0644);
MODULE_PARM_DESC(poll_loops,
		 "rounds a submitter watches for its completion before sleeping (default 0)");

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

void vcd_device_put(struct vcd_device *dev)
{
	kref_put(&dev->ref, vcd_device_release);
}

/*
 * A bound device for a new /dev/crypto session, round robin over the ones
 * not marked broken (a broken one only when nothing else is left, so the
 * caller gets its EIO); referenced.
 */
struct vcd_device *vcd_device_pick(void)
{
	struct vcd_device *dev, *found = NULL;
	unsigned int n = 0, want;
	bool any_ok = false;

	mutex_lock(&vcd_devices_lock);
	list_for_each_entry(dev, &vcd_devices, node)
		any_ok |= !READ_ONCE(dev->broken);
	list_for_each_entry(dev, &vcd_devices, node)
		n += !any_ok || !READ_ONCE(dev->broken);
	if (n) {
		want = vcd_next_device++ % n;
		list_for_each_entry(dev, &vcd_devices, node) {
			if (any_ok && READ_ONCE(dev->broken))
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

/*
 * Errors of vcd_queue_submit() as the ioctls return them.  A request the
 * device did not answer within timeout_ms marks the device broken: a
 * dead back-end never answers, so later calls fail at once with EIO.
 */
int vcd_device_check(struct vcd_device *dev, int err)
{
	if (err == -ETIMEDOUT) {
		if (!READ_ONCE(dev->broken))
			pr_err(VCD_DRIVER_NAME ": %s: no answer in %u ms, device marked broken\n",
			       dev->name, vcd_param_timeout_ms);
		WRITE_ONCE(dev->broken, true);
		return -EIO;
	}
	return err;
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
	dev->hw_ready = dev->status & VIRTIO_CRYPTO_S_HW_READY;
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
		dev->dataq[i].vq = vqs[i];
	dev->ctrlq.vq = vqs[dev->nr_dataq];
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
	if (!(dev->services & BIT(VIRTIO_CRYPTO_SERVICE_CIPHER)))
		dev_warn(&vdev->dev, "device offers no cipher service\n");
	if (!dev->hw_ready)
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
		vcd_queue_init(&dev->dataq[i], name);
	}
	vcd_queue_init(&dev->ctrlq, "controlq");
	dev->nr_used = vcd_param_data_queues ?
		       min(vcd_param_data_queues, dev->nr_dataq) : dev->nr_dataq;

	err = vcd_find_vqs(dev);
	if (err)
		goto fail;
	virtio_device_ready(vdev);

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
		 "/dev/%s: %u data queues (using %u), services %#x, cipher %#llx, mac %#llx, max_size %llu\n",
		 dev->misc_name, dev->nr_dataq, dev->nr_used, dev->services,
		 dev->cipher_mask, dev->mac_mask, dev->max_size);
	return 0;

fail_stats:
	vcd_stats_remove(dev);
fail_reset:
	virtio_reset_device(vdev);
	vdev->config->del_vqs(vdev);
fail:
	vdev->priv = NULL;
	vcd_device_put(dev);
	return err;
}

static void vcd_remove(struct virtio_device *vdev)
{
	struct vcd_device *dev = vdev->priv;
	unsigned int i;

	mutex_lock(&vcd_devices_lock);
	list_del_init(&dev->node);
	mutex_unlock(&vcd_devices_lock);
	vcd_chrdev_remove_node(dev);
	vcd_stats_remove(dev);

	WRITE_ONCE(dev->dead, true);
	for (i = 0; i < dev->nr_dataq; i++)
		vcd_queue_kill(&dev->dataq[i]);
	vcd_queue_kill(&dev->ctrlq);
	synchronize_rcu();	/* no submitter is still notifying */
	virtio_reset_device(vdev);
	for (i = 0; i < dev->nr_dataq; i++)
		vcd_queue_drain(&dev->dataq[i]);
	vcd_queue_drain(&dev->ctrlq);
	vdev->config->del_vqs(vdev);
	for (i = 0; i < dev->nr_dataq; i++)
		dev->dataq[i].vq = NULL;
	dev->ctrlq.vq = NULL;
	vdev->priv = NULL;
	dev->vdev = NULL;
	pr_info(VCD_DRIVER_NAME ": %s removed\n", dev->name);
	vcd_device_put(dev);
}

static void vcd_config_changed(struct virtio_device *vdev)
{
	struct vcd_device *dev = vdev->priv;
	u32 status;

	if (!dev)
		return;
	virtio_cread_le(vdev, struct virtio_crypto_config, status, &status);
	dev->status = status;
	WRITE_ONCE(dev->hw_ready, status & VIRTIO_CRYPTO_S_HW_READY);
}

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
};

static int __init vcd_init(void)
{
	int err;

	err = vcd_chrdev_register();
	if (err)
		return err;
	err = register_virtio_driver(&vcd_driver);
	if (err)
		vcd_chrdev_unregister();
	return err;
}

static void __exit vcd_exit(void)
{
	unregister_virtio_driver(&vcd_driver);
	vcd_chrdev_unregister();
}

module_init(vcd_init);
module_exit(vcd_exit);

MODULE_DEVICE_TABLE(virtio, vcd_id_table);
MODULE_DESCRIPTION("cryptodev-linux /dev/crypto served by virtio-crypto devices");
MODULE_LICENSE("GPL");
