// SPDX-License-Identifier: GPL-2.0-only
/*
 * vcd_stats.c - per-device and per-queue statistics in sysfs.
 *
 * Owns the directory "cryptodev" of each bound virtio device
 * (/sys/bus/virtio/devices/virtioN/cryptodev/), one value per file:
 *   node                the per-device node name (cryptodevN)
 *   used_dataqueues     the data queues this module submits to
 *   sessions_live, sessions_created, sessions_evicted, sessions_recreated
 *                       the device-session cache: device sessions held now,
 *                       made, destroyed to make room, made again after INVSESS
 *   resets              device resets (timeouts, DEVICE_NEEDS_RESET)
 *   config/FIELD        the config space (status as last read, the rest as
 *                       read at probe): status max_dataqueues services cipher
 *                       hash mac aead max_cipher_key_len max_auth_key_len
 *                       max_size
 *   queues/Q/COUNTER    per queue Q (dataq.0 ... and controlq): requests
 *                       bytes errors ring_full inflight max_inflight
 * Each directory is a kobject of its own (like a network device's
 * queues/rx-N): the attribute groups of a device cannot nest.  Counters are
 * updated by vcd_queue.c, vcd_dev_op.c, vcd_devsess.c and
 * virtio_cryptodev_main.c.  Does not own the counters' meaning beyond
 * printing them.
 */
#include <linux/kobject.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "vcd.h"

/* One of our directories: the device's (q NULL) or one queue's. */
struct vcd_kobj {
	struct kobject kobj;
	struct vcd_device *dev;
	struct vcd_queue *q;
};

static struct vcd_kobj *to_vcd_kobj(struct kobject *kobj)
{
	return container_of(kobj, struct vcd_kobj, kobj);
}

/*
 * A read-only file NAME holding one value, EXPR printed with FMT; EXPR may
 * use the device @dev (VCD_DEV_ATTR) or the queue @q (VCD_QUEUE_ATTR).  The
 * attribute is PREFIX_attr_NAME: dev for cryptodev/, config for
 * cryptodev/config/, queue for cryptodev/queues/Q/.  tests/check-man-pages
 * lists the files from these macros' uses at the start of a line.
 */
#define VCD_ATTR(prefix, name, fmt, expr, var, field)			\
static ssize_t prefix##_##name##_show(struct kobject *kobj,		\
				      struct kobj_attribute *attr,	\
				      char *buf)			\
{									\
	var = to_vcd_kobj(kobj)->field;					\
									\
	return sysfs_emit(buf, fmt "\n", expr);				\
}									\
static struct kobj_attribute prefix##_attr_##name =			\
	__ATTR(name, 0444, prefix##_##name##_show, NULL)

#define VCD_DEV_ATTR(prefix, name, fmt, expr)				\
	VCD_ATTR(prefix, name, fmt, expr, struct vcd_device *dev, dev)
#define VCD_QUEUE_ATTR(name, expr)					\
	VCD_ATTR(queue, name, "%lld", (long long)(expr),		\
		 struct vcd_queue *q, q)

VCD_DEV_ATTR(dev, node, "%s", dev->misc_name);
VCD_DEV_ATTR(dev, used_dataqueues, "%u", dev->nr_used);
VCD_DEV_ATTR(dev, sessions_live, "%u", READ_ONCE(dev->cache.live));
VCD_DEV_ATTR(dev, sessions_created, "%lld",
	     (long long)atomic64_read(&dev->cache.creates));
VCD_DEV_ATTR(dev, sessions_evicted, "%lld",
	     (long long)atomic64_read(&dev->cache.evictions));
VCD_DEV_ATTR(dev, sessions_recreated, "%lld",
	     (long long)atomic64_read(&dev->cache.recreates));
VCD_DEV_ATTR(dev, resets, "%d", atomic_read(&dev->resets));

static struct attribute *vcd_dev_attrs[] = {
	&dev_attr_node.attr,
	&dev_attr_used_dataqueues.attr,
	&dev_attr_sessions_live.attr,
	&dev_attr_sessions_created.attr,
	&dev_attr_sessions_evicted.attr,
	&dev_attr_sessions_recreated.attr,
	&dev_attr_resets.attr,
	NULL,
};

static const struct attribute_group vcd_dev_group = {
	.attrs = vcd_dev_attrs,
};

VCD_DEV_ATTR(config, status, "%#x", READ_ONCE(dev->status));
VCD_DEV_ATTR(config, max_dataqueues, "%u", dev->max_dataqueues);
VCD_DEV_ATTR(config, services, "%#x", dev->services);
VCD_DEV_ATTR(config, cipher, "%#llx", dev->cipher_mask);
VCD_DEV_ATTR(config, hash, "%#x", dev->hash_mask);
VCD_DEV_ATTR(config, mac, "%#llx", dev->mac_mask);
VCD_DEV_ATTR(config, aead, "%#x", dev->aead_mask);
VCD_DEV_ATTR(config, max_cipher_key_len, "%u", dev->max_cipher_key_len);
VCD_DEV_ATTR(config, max_auth_key_len, "%u", dev->max_auth_key_len);
VCD_DEV_ATTR(config, max_size, "%llu", dev->max_size);

static struct attribute *vcd_config_attrs[] = {
	&config_attr_status.attr,
	&config_attr_max_dataqueues.attr,
	&config_attr_services.attr,
	&config_attr_cipher.attr,
	&config_attr_hash.attr,
	&config_attr_mac.attr,
	&config_attr_aead.attr,
	&config_attr_max_cipher_key_len.attr,
	&config_attr_max_auth_key_len.attr,
	&config_attr_max_size.attr,
	NULL,
};

static const struct attribute_group vcd_config_group = {
	.name = "config",
	.attrs = vcd_config_attrs,
};

static const struct attribute_group *vcd_dev_groups[] = {
	&vcd_dev_group,
	&vcd_config_group,
	NULL,
};

VCD_QUEUE_ATTR(requests, atomic64_read(&q->stats.requests));
VCD_QUEUE_ATTR(bytes, atomic64_read(&q->stats.bytes));
VCD_QUEUE_ATTR(errors, atomic64_read(&q->stats.errors));
VCD_QUEUE_ATTR(ring_full, atomic64_read(&q->stats.ring_full));
VCD_QUEUE_ATTR(inflight, READ_ONCE(q->inflight));
VCD_QUEUE_ATTR(max_inflight, atomic64_read(&q->stats.max_inflight));

static struct attribute *vcd_queue_attrs[] = {
	&queue_attr_requests.attr,
	&queue_attr_bytes.attr,
	&queue_attr_errors.attr,
	&queue_attr_ring_full.attr,
	&queue_attr_inflight.attr,
	&queue_attr_max_inflight.attr,
	NULL,
};
ATTRIBUTE_GROUPS(vcd_queue);

static void vcd_kobj_release(struct kobject *kobj)
{
	kfree(to_vcd_kobj(kobj));
}

static const struct kobj_type vcd_dev_ktype = {
	.release = vcd_kobj_release,
	.sysfs_ops = &kobj_sysfs_ops,
	.default_groups = vcd_dev_groups,
};

static const struct kobj_type vcd_queue_ktype = {
	.release = vcd_kobj_release,
	.sysfs_ops = &kobj_sysfs_ops,
	.default_groups = vcd_queue_groups,
};

/* A new directory NAME under @parent for @dev (and @q) in *@out: 0 or -errno. */
static int vcd_kobj_add(struct kobject **out, const struct kobj_type *type,
			struct kobject *parent, const char *name,
			struct vcd_device *dev, struct vcd_queue *q)
{
	struct vcd_kobj *k = kzalloc(sizeof(*k), GFP_KERNEL);
	int err;

	if (!k)
		return -ENOMEM;
	k->dev = dev;
	k->q = q;
	err = kobject_init_and_add(&k->kobj, type, parent, "%s", name);
	if (err) {
		kobject_put(&k->kobj);	/* frees k */
		return err;
	}
	*out = &k->kobj;
	return 0;
}

/*
 * Remove a directory now (no show runs once kobject_del returns, so the
 * device may go), free it once the last reference is gone.
 */
static void vcd_kobj_remove(struct kobject **kobj)
{
	if (!*kobj)
		return;
	kobject_del(*kobj);
	kobject_put(*kobj);
	*kobj = NULL;
}

int vcd_stats_add(struct vcd_device *dev)
{
	struct kobject *queues;
	unsigned int i;
	int err;

	err = vcd_kobj_add(&dev->stats_dir, &vcd_dev_ktype,
			   &dev->vdev->dev.kobj, "cryptodev", dev, NULL);
	if (err)
		return err;
	queues = kobject_create_and_add("queues", dev->stats_dir);
	if (!queues) {
		err = -ENOMEM;
		goto fail;
	}
	dev->stats_queues = queues;
	for (i = 0; i < dev->nr_dataq && !err; i++)
		err = vcd_kobj_add(&dev->dataq[i].stats_dir, &vcd_queue_ktype,
				   queues, dev->dataq[i].name, dev,
				   &dev->dataq[i]);
	if (!err)
		err = vcd_kobj_add(&dev->ctrlq.stats_dir, &vcd_queue_ktype,
				   queues, dev->ctrlq.name, dev, &dev->ctrlq);
	if (!err)
		return 0;
fail:
	vcd_stats_remove(dev);
	return err;
}

/* Removes whatever vcd_stats_add made; a second call does nothing. */
void vcd_stats_remove(struct vcd_device *dev)
{
	unsigned int i;

	vcd_kobj_remove(&dev->ctrlq.stats_dir);
	for (i = 0; i < dev->nr_dataq; i++)
		vcd_kobj_remove(&dev->dataq[i].stats_dir);
	vcd_kobj_remove(&dev->stats_queues);
	vcd_kobj_remove(&dev->stats_dir);
}
