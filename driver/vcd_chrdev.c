// SPDX-License-Identifier: GPL-2.0
/*
 * vcd_chrdev.c - /dev/crypto and /dev/cryptodevN: the cryptodev-linux ABI.
 *
 * Owns the misc devices (mode 0666), the per-open-file session table and the
 * ioctls CRIOGET, CIOCGSESSION, CIOCFSESSION, CIOCCRYPT, CIOCGSESSINFO and
 * CIOCASYMFEAT with cryptodev-linux's argument checks and errno values.  User
 * memory is copied here, before a request is submitted and after it
 * completes, never under a lock.  Sessions opened through /dev/crypto go to
 * the devices round robin; through /dev/cryptodevN to device N.  Does not
 * own the device (virtio_cryptodev_main.c) or the wire format (vcd_crypt.c,
 * vcd_session.c).
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include "vcd.h"
#include "vcd_crypt.h"
#include "uapi/cryptodev.h"

struct vcd_file {
	struct xarray sessions;		/* ses id -> struct vcd_session */
	struct vcd_device *dev;		/* /dev/cryptodevN: that device */
};

static struct miscdevice vcd_misc;

static int vcd_open(struct inode *inode, struct file *filp)
{
	struct miscdevice *misc = filp->private_data;
	struct vcd_file *f;

	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	xa_init_flags(&f->sessions, XA_FLAGS_ALLOC1);
	if (misc != &vcd_misc) {
		/* misc_open() holds misc_mtx: the device is still bound. */
		f->dev = container_of(misc, struct vcd_device, misc);
		kref_get(&f->dev->ref);
	}
	filp->private_data = f;
	return 0;
}

static int vcd_release(struct inode *inode, struct file *filp)
{
	struct vcd_file *f = filp->private_data;
	struct vcd_session *s;
	unsigned long id;

	xa_for_each(&f->sessions, id, s) {
		xa_erase(&f->sessions, id);
		vcd_session_put(s);
	}
	xa_destroy(&f->sessions);
	if (f->dev)
		vcd_device_put(f->dev);
	kfree(f);
	return 0;
}

static struct vcd_session *vcd_lookup(struct vcd_file *f, u32 id)
{
	struct vcd_session *s;

	xa_lock(&f->sessions);
	s = xa_load(&f->sessions, id);
	if (s)
		kref_get(&s->ref);
	xa_unlock(&f->sessions);
	return s;
}

static bool vcd_keylen_ok(const struct vcd_cipher_alg *alg, u32 keylen)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(alg->keylens); i++)
		if (alg->keylens[i] && alg->keylens[i] == keylen)
			return true;
	return false;
}

static int vcd_ioc_gsession(struct vcd_file *f, void __user *argp)
{
	struct session_op __user *usop = argp;
	const struct vcd_cipher_alg *cipher;
	const struct vcd_mac_alg *mac = NULL;
	u8 key[CRYPTO_CIPHER_MAX_KEY_LEN];
	u8 *mackey = NULL;
	struct session_op sop;
	struct vcd_device *dev;
	struct vcd_session *s;
	u32 id;
	int err;

	if (copy_from_user(&sop, argp, sizeof(sop)))
		return -EFAULT;
	if (!sop.cipher && !sop.mac)
		return -EINVAL;
	if (sop.cipher >= CRYPTO_ALGORITHM_ALL ||
	    sop.mac >= CRYPTO_ALGORITHM_ALL)
		return -EINVAL;
	/* Hash/MAC-only sessions: virtio-crypto devices here refuse them. */
	if (!sop.cipher)
		return -EOPNOTSUPP;
	cipher = vcd_cipher_find(sop.cipher);
	if (!cipher)
		return -EOPNOTSUPP;
	if (sop.mac) {
		mac = vcd_mac_find(sop.mac);
		if (!mac)
			return -EOPNOTSUPP;
		if (sop.mackeylen > CRYPTO_HMAC_MAX_KEY_LEN)
			return -EINVAL;
	}
	if (sop.keylen > CRYPTO_CIPHER_MAX_KEY_LEN ||
	    !vcd_keylen_ok(cipher, sop.keylen))
		return -EINVAL;
	if (copy_from_user(key, sop.key, sop.keylen))
		return -EFAULT;
	if (mac && sop.mackeylen) {
		mackey = memdup_user(sop.mackey, sop.mackeylen);
		if (IS_ERR(mackey)) {
			err = PTR_ERR(mackey);
			mackey = NULL;
			goto out;
		}
	}

	if (f->dev) {
		dev = f->dev;
		if (READ_ONCE(dev->dead)) {
			err = -ENODEV;
			goto out;
		}
		kref_get(&dev->ref);
	} else {
		dev = vcd_device_pick();
		if (!dev) {
			err = -ENODEV;
			goto out;
		}
	}
	if (READ_ONCE(dev->broken)) {
		vcd_device_put(dev);
		err = -EIO;
		goto out;
	}
	if (sop.keylen > dev->max_cipher_key_len ||
	    (mac && sop.mackeylen > dev->max_auth_key_len)) {
		vcd_device_put(dev);
		err = -EOPNOTSUPP;
		goto out;
	}
	err = vcd_session_create(dev, sop.cipher, mac ? sop.mac : 0, key,
				 sop.keylen, mackey, mac ? sop.mackeylen : 0,
				 &s);
	if (err)
		goto out;
	err = xa_alloc(&f->sessions, &id, s, xa_limit_31b, GFP_KERNEL);
	if (err) {
		vcd_session_put(s);
		goto out;
	}
	s->id = id;
	if (put_user(id, &usop->ses)) {
		xa_erase(&f->sessions, id);
		vcd_session_put(s);
		err = -EFAULT;
	}
out:
	memzero_explicit(key, sizeof(key));
	kfree_sensitive(mackey);
	return err;
}

static int vcd_ioc_fsession(struct vcd_file *f, void __user *argp)
{
	struct vcd_session *s;
	u32 id;

	if (get_user(id, (u32 __user *)argp))
		return -EFAULT;
	s = xa_erase(&f->sessions, id);
	if (!s)
		return -EINVAL;
	vcd_session_put(s);
	return 0;
}

/* Largest len a session accepts: module limit and the device's max_size. */
static u64 vcd_max_len(struct vcd_session *s)
{
	u64 lim = vcd_param_max_request;
	u64 extra = s->cipher->ivsize + (s->mac ? s->mac->digestsize : 0);
	u64 dev_lim;

	if (s->dev->max_size > extra) {
		dev_lim = (s->dev->max_size - extra) / 2;	/* src + dst */
		lim = min(lim, dev_lim);
	} else {
		lim = 0;
	}
	return lim;
}

/* The IV after processing: what the kernel's cbc/ctr leave in req->iv. */
static void vcd_next_iv(struct vcd_session *s, struct vcd_crypt_req *r,
			bool encrypt, u8 *iv)
{
	unsigned int ivsize = s->cipher->ivsize;

	switch (s->cipher->cryptodev_id) {
	case CRYPTO_AES_CBC:
		memcpy(iv, (encrypt ? r->dst : r->src) + r->len - ivsize,
		       ivsize);
		break;
	case CRYPTO_AES_CTR: {
		u32 blocks = DIV_ROUND_UP(r->len, AES_BLOCK_LEN);
		int i;

		/* 128-bit big-endian counter += blocks */
		for (i = ivsize - 1; i >= 0 && blocks; i--) {
			u32 sum = iv[i] + (blocks & 0xff);

			iv[i] = sum & 0xff;
			blocks = (blocks >> 8) + (sum >> 8);
		}
		break;
	}
	default:
		break;	/* XTS: the tweak is given per request */
	}
}

static int vcd_ioc_crypt(struct vcd_file *f, void __user *argp)
{
	struct vcd_crypt_req *r = NULL;
	struct vcd_session *s;
	struct crypt_op cop;
	u8 iv[VCD_MAX_IV];
	unsigned int ivsize;
	u64 dlen;
	bool encrypt;
	int err;

	if (copy_from_user(&cop, argp, sizeof(cop)))
		return -EFAULT;
	s = vcd_lookup(f, cop.ses);
	if (!s)
		return -EINVAL;
	err = -EINVAL;
	if (cop.op != COP_ENCRYPT && cop.op != COP_DECRYPT)
		goto out;
	encrypt = cop.op == COP_ENCRYPT;
	if (cop.len % s->cipher->blocksize)
		goto out;
	/*
	 * CTR is a stream: a partial last block goes to the device padded to a
	 * whole block (some back-ends refuse partial blocks) and only len bytes
	 * come back.
	 */
	dlen = cop.len;
	if (s->cipher->cryptodev_id == CRYPTO_AES_CTR)
		dlen = round_up(dlen, AES_BLOCK_LEN);
	if (dlen > vcd_max_len(s))
		goto out;
	/* A chained MAC is one-shot: no multi-call hashing on the device. */
	err = -EOPNOTSUPP;
	if (s->mac && (cop.flags & COP_FLAG_UPDATE))
		goto out;
	err = -EFAULT;
	if (s->mac && !cop.mac)
		goto out;
	err = -ENODEV;
	if (READ_ONCE(s->dev->dead))
		goto out;
	err = -EIO;
	if (READ_ONCE(s->dev->broken))
		goto out;

	ivsize = s->cipher->ivsize;
	if (ivsize) {
		if (cop.iv) {
			err = -EFAULT;
			if (copy_from_user(iv, cop.iv, ivsize))
				goto out;
		} else {
			spin_lock(&s->iv_lock);
			memcpy(iv, s->iv, ivsize);
			spin_unlock(&s->iv_lock);
		}
	}

	if (cop.len) {
		err = -ENOMEM;
		r = vcd_crypt_alloc(dlen);
		if (!r)
			goto out;
		err = -EFAULT;
		if (copy_from_user(r->src, cop.src, cop.len))
			goto out;
		memset(r->src + cop.len, 0, dlen - cop.len);
		err = vcd_crypt_run(s, r, encrypt, iv);
		if (err)
			goto out;
		vcd_next_iv(s, r, encrypt, iv);
		err = -EFAULT;
		if (copy_to_user(cop.dst, r->dst, cop.len))
			goto out;
		if (s->mac && copy_to_user(cop.mac, r->mac, s->mac->digestsize))
			goto out;
	}
	if (ivsize) {
		spin_lock(&s->iv_lock);
		memcpy(s->iv, iv, ivsize);
		spin_unlock(&s->iv_lock);
		err = -EFAULT;
		if ((cop.flags & COP_FLAG_WRITE_IV) &&
		    copy_to_user(cop.iv, iv, ivsize))
			goto out;
	}
	err = 0;
out:
	if (r)
		vcd_crypt_free(r);
	vcd_session_put(s);
	return err;
}

static int vcd_ioc_gsessinfo(struct vcd_file *f, void __user *argp)
{
	struct session_info_op *si;
	struct vcd_session *s;
	u32 id;
	int err = 0;

	if (get_user(id, (u32 __user *)argp))
		return -EFAULT;
	s = vcd_lookup(f, id);
	if (!s)
		return -EINVAL;
	si = kzalloc(sizeof(*si), GFP_KERNEL);
	if (!si) {
		vcd_session_put(s);
		return -ENOMEM;
	}
	si->ses = id;
	strscpy(si->cipher_info.cra_name, s->cipher->cra_name,
		sizeof(si->cipher_info.cra_name));
	strscpy(si->cipher_info.cra_driver_name, s->cipher->driver_name,
		sizeof(si->cipher_info.cra_driver_name));
	if (s->mac) {
		strscpy(si->hash_info.cra_name, s->mac->cra_name,
			sizeof(si->hash_info.cra_name));
		strscpy(si->hash_info.cra_driver_name, s->mac->driver_name,
			sizeof(si->hash_info.cra_driver_name));
	}
	si->alignmask = 0;
	si->flags = SIOP_FLAG_KERNEL_DRIVER_ONLY;
	if (copy_to_user(argp, si, sizeof(*si)))
		err = -EFAULT;
	kfree(si);
	vcd_session_put(s);
	return err;
}

/* CRIOGET: a new descriptor for the same open file, as cryptodev-linux. */
static int vcd_ioc_crioget(struct file *filp, void __user *argp)
{
	int fd;

	fd = get_unused_fd_flags(0);
	if (fd < 0)
		return fd;
	if (put_user(fd, (u32 __user *)argp)) {
		put_unused_fd(fd);
		return -EFAULT;
	}
	fd_install(fd, get_file(filp));
	return 0;
}

static long vcd_ioctl(struct file *filp, unsigned int cmd, unsigned long arg)
{
	struct vcd_file *f = filp->private_data;
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case CRIOGET:
		return vcd_ioc_crioget(filp, argp);
	case CIOCGSESSION:
		return vcd_ioc_gsession(f, argp);
	case CIOCFSESSION:
		return vcd_ioc_fsession(f, argp);
	case CIOCCRYPT:
		return vcd_ioc_crypt(f, argp);
	case CIOCGSESSINFO:
		return vcd_ioc_gsessinfo(f, argp);
	case CIOCASYMFEAT:
		return put_user(0U, (u32 __user *)argp) ? -EFAULT : 0;
	default:
		return -ENOTTY;
	}
}

static const struct file_operations vcd_fops = {
	.owner = THIS_MODULE,
	.open = vcd_open,
	.release = vcd_release,
	.unlocked_ioctl = vcd_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice vcd_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "crypto",
	.fops = &vcd_fops,
	.mode = 0666,
};

int vcd_chrdev_register(void)
{
	return misc_register(&vcd_misc);
}

void vcd_chrdev_unregister(void)
{
	misc_deregister(&vcd_misc);
}

int vcd_chrdev_add_node(struct vcd_device *dev)
{
	int err;

	snprintf(dev->misc_name, sizeof(dev->misc_name), "cryptodev%d",
		 dev->index);
	dev->misc.minor = MISC_DYNAMIC_MINOR;
	dev->misc.name = dev->misc_name;
	dev->misc.fops = &vcd_fops;
	dev->misc.mode = 0666;
	dev->misc.parent = &dev->vdev->dev;
	err = misc_register(&dev->misc);
	if (!err)
		dev->misc_registered = true;
	return err;
}

void vcd_chrdev_remove_node(struct vcd_device *dev)
{
	if (dev->misc_registered) {
		misc_deregister(&dev->misc);
		dev->misc_registered = false;
	}
}
