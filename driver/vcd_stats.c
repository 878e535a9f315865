// SPDX-License-Identifier: GPL-2.0-only
/*
 * vcd_stats.c - per-device and per-queue statistics in sysfs.
 *
 * Owns the attribute group "cryptodev" on the virtio device
 * (/sys/bus/virtio/devices/virtioN/cryptodev/):
 *   node          the per-device node name (cryptodevN)
 *   config        the config space as read at probe
 *   queue_stats   one line per queue: name requests bytes errors ring_full
 *                 inflight max_inflight
 *   sessions_live, sessions_created, sessions_evicted, sessions_recreated
 *                 the device-session cache: device sessions held now, made,
 *                 destroyed to make room, made again after INVSESS
 *   resets        device resets (timeouts, DEVICE_NEEDS_RESET)
 * Counters are updated by vcd_queue.c, vcd_dev_op.c, vcd_devsess.c and
 * virtio_cryptodev_main.c.  Does not own the counters' meaning beyond
 * printing them.
 */
#include <linux/device.h>
#include <linux/sysfs.h>

#include "vcd.h"

static struct vcd_device *vcd_from(struct device *d)
{
	return dev_to_virtio(d)->priv;
}

static ssize_t node_show(struct device *d, struct device_attribute *attr,
			 char *buf)
{
	struct vcd_device *dev = vcd_from(d);

	return sysfs_emit(buf, "%s\n", dev->misc_name);
}
static DEVICE_ATTR_RO(node);

static ssize_t config_show(struct device *d, struct device_attribute *attr,
			   char *buf)
{
	struct vcd_device *dev = vcd_from(d);

	return sysfs_emit(buf,
			  "status %#x\nmax_dataqueues %u\nused_dataqueues %u\nservices %#x\ncipher %#llx\nhash %#x\nmac %#llx\naead %#x\nmax_cipher_key_len %u\nmax_auth_key_len %u\nmax_size %llu\n",
			  dev->status, dev->max_dataqueues, dev->nr_used,
			  dev->services, dev->cipher_mask, dev->hash_mask,
			  dev->mac_mask, dev->aead_mask,
			  dev->max_cipher_key_len, dev->max_auth_key_len,
			  dev->max_size);
}
static DEVICE_ATTR_RO(config);

static int vcd_emit_queue(char *buf, int at, struct vcd_queue *q)
{
	struct vcd_queue_stats *st = &q->stats;

	return at + sysfs_emit_at(buf, at, "%s %lld %lld %lld %lld %u %lld\n",
				  q->name, atomic64_read(&st->requests),
				  atomic64_read(&st->bytes),
				  atomic64_read(&st->errors),
				  atomic64_read(&st->ring_full),
				  READ_ONCE(q->inflight),
				  atomic64_read(&st->max_inflight));
}

static ssize_t queue_stats_show(struct device *d,
				struct device_attribute *attr, char *buf)
{
	struct vcd_device *dev = vcd_from(d);
	unsigned int i;
	int n = 0;

	for (i = 0; i < dev->nr_dataq && n < PAGE_SIZE - 128; i++)
		n = vcd_emit_queue(buf, n, &dev->dataq[i]);
	return vcd_emit_queue(buf, n, &dev->ctrlq);
}
static DEVICE_ATTR_RO(queue_stats);

#define VCD_COUNTER_ATTR(name, expr)					\
static ssize_t name##_show(struct device *d,					\
			   struct device_attribute *attr, char *buf)	\
{									\
	struct vcd_device *dev = vcd_from(d);				\
									\
	return sysfs_emit(buf, "%lld\n", (long long)(expr));		\
}									\
static DEVICE_ATTR_RO(name)

VCD_COUNTER_ATTR(sessions_live, READ_ONCE(dev->cache.live));
VCD_COUNTER_ATTR(sessions_created, atomic64_read(&dev->cache.creates));
VCD_COUNTER_ATTR(sessions_evicted, atomic64_read(&dev->cache.evictions));
VCD_COUNTER_ATTR(sessions_recreated, atomic64_read(&dev->cache.recreates));
VCD_COUNTER_ATTR(resets, atomic_read(&dev->resets));

static struct attribute *vcd_attrs[] = {
	&dev_attr_node.attr,
	&dev_attr_config.attr,
	&dev_attr_queue_stats.attr,
	&dev_attr_sessions_live.attr,
	&dev_attr_sessions_created.attr,
	&dev_attr_sessions_evicted.attr,
	&dev_attr_sessions_recreated.attr,
	&dev_attr_resets.attr,
	NULL,
};

static const struct attribute_group vcd_group = {
	.name = "cryptodev",
	.attrs = vcd_attrs,
};

int vcd_stats_add(struct vcd_device *dev)
{
	return device_add_group(&dev->vdev->dev, &vcd_group);
}

void vcd_stats_remove(struct vcd_device *dev)
{
	device_remove_group(&dev->vdev->dev, &vcd_group);
}
