// SPDX-License-Identifier: GPL-2.0-only
/*
 * vcd_chrdev.c - /dev/crypto and /dev/cryptodevN: the cryptodev-linux ABI.
 *
 * Owns the misc devices (mode 0666), the per-open-file session table, the
 * ioctl dispatch for 64-bit and 32-bit (compat) callers, argument copying
 * and cryptodev-linux's argument checks and errno values for CRIOGET,
 * CIOCGSESSION, CIOCFSESSION, CIOCCRYPT, CIOCAUTHCRYPT, CIOCASYNCCRYPT,
 * CIOCASYNCFETCH, CIOCCPHASH, CIOCGSESSINFO and CIOCASYMFEAT, and poll().
 * Sessions opened through /dev/crypto go to the devices round robin (to the
 * guest kernel when there is none); through /dev/cryptodevN to device N.
 * Does not own sessions (vcd_session.c), operations (vcd_job.c,
 * vcd_authcrypt.c, vcd_async.c) or the device (virtio_cryptodev_main.c).
 */
#include <linux/compat.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include "vcd.h"
#include "vcd_async.h"
#include "vcd_authcrypt.h"
#include "vcd_job.h"
#include "vcd_session.h"
#include "vcd_soft.h"
#include "uapi/cryptodev.h"

struct vcd_file {
	struct xarray sessions;		/* ses id -> struct vcd_session */
	struct vcd_device *dev;		/* /dev/cryptodevN: that device */
	struct vcd_async *aq;
};

/* The 32-bit layouts: pointers are 4 bytes. */
struct vcd_compat_session_op {
	u32 cipher, mac, keylen;
	compat_uptr_t key;
	u32 mackeylen;
	compat_uptr_t mackey;
	u32 ses;
};

struct vcd_compat_crypt_op {
	u32 ses;
	u16 op, flags;
	u32 len;
	compat_uptr_t src, dst, mac, iv;
};

struct vcd_compat_crypt_auth_op {
	u32 ses;
	u16 op, flags;
	u32 len, auth_len;
	compat_uptr_t auth_src, src, dst, tag;
	u32 tag_len;
	compat_uptr_t iv;
	u32 iv_len;
};

#define VCD_COMPAT_CIOCGSESSION	_IOWR('c', 102, struct vcd_compat_session_op)
#define VCD_COMPAT_CIOCCRYPT	_IOWR('c', 104, struct vcd_compat_crypt_op)
#define VCD_COMPAT_CIOCAUTHCRYPT _IOWR('c', 109, struct vcd_compat_crypt_auth_op)
#define VCD_COMPAT_CIOCASYNCCRYPT _IOW('c', 110, struct vcd_compat_crypt_op)
#define VCD_COMPAT_CIOCASYNCFETCH _IOR('c', 111, struct vcd_compat_crypt_op)

static struct miscdevice vcd_misc;

/* ---- argument copies, native or compat ---- */

static int vcd_get_sop(struct session_op *sop, void __user *arg, bool compat)
{
	struct vcd_compat_session_op c;

	if (!compat)
		return copy_from_user(sop, arg, sizeof(*sop)) ? -EFAULT : 0;
	if (copy_from_user(&c, arg, sizeof(c)))
		return -EFAULT;
	memset(sop, 0, sizeof(*sop));
	sop->cipher = c.cipher;
	sop->mac = c.mac;
	sop->keylen = c.keylen;
	sop->key = compat_ptr(c.key);
	sop->mackeylen = c.mackeylen;
	sop->mackey = compat_ptr(c.mackey);
	sop->ses = c.ses;
	return 0;
}

static int vcd_put_ses(void __user *arg, u32 ses, bool compat)
{
	u32 __user *p = compat ?
		&((struct vcd_compat_session_op __user *)arg)->ses :
		&((struct session_op __user *)arg)->ses;

	return put_user(ses, p) ? -EFAULT : 0;
}

static int vcd_get_cop(struct crypt_op *cop, void __user *arg, bool compat)
{
	struct vcd_compat_crypt_op c;

	if (!compat)
		return copy_from_user(cop, arg, sizeof(*cop)) ? -EFAULT : 0;
	if (copy_from_user(&c, arg, sizeof(c)))
		return -EFAULT;
	memset(cop, 0, sizeof(*cop));
	cop->ses = c.ses;
	cop->op = c.op;
	cop->flags = c.flags;
	cop->len = c.len;
	cop->src = compat_ptr(c.src);
	cop->dst = compat_ptr(c.dst);
	cop->mac = compat_ptr(c.mac);
	cop->iv = compat_ptr(c.iv);
	return 0;
}

static int vcd_put_cop(void __user *arg, const struct crypt_op *cop,
		       bool compat)
{
	struct vcd_compat_crypt_op c;

	if (!compat)
		return copy_to_user(arg, cop, sizeof(*cop)) ? -EFAULT : 0;
	memset(&c, 0, sizeof(c));
	c.ses = cop->ses;
	c.op = cop->op;
	c.flags = cop->flags;
	c.len = cop->len;
	c.src = ptr_to_compat(cop->src);
	c.dst = ptr_to_compat(cop->dst);
	c.mac = ptr_to_compat(cop->mac);
	c.iv = ptr_to_compat(cop->iv);
	return copy_to_user(arg, &c, sizeof(c)) ? -EFAULT : 0;
}

static int vcd_get_caop(struct crypt_auth_op *a, void __user *arg,
			bool compat)
{
	struct vcd_compat_crypt_auth_op c;

	if (!compat)
		return copy_from_user(a, arg, sizeof(*a)) ? -EFAULT : 0;
	if (copy_from_user(&c, arg, sizeof(c)))
		return -EFAULT;
	memset(a, 0, sizeof(*a));
	a->ses = c.ses;
	a->op = c.op;
	a->flags = c.flags;
	a->len = c.len;
	a->auth_len = c.auth_len;
	a->auth_src = compat_ptr(c.auth_src);
	a->src = compat_ptr(c.src);
	a->dst = compat_ptr(c.dst);
	a->tag = compat_ptr(c.tag);
	a->tag_len = c.tag_len;
	a->iv = compat_ptr(c.iv);
	a->iv_len = c.iv_len;
	return 0;
}

static int vcd_put_caop(void __user *arg, const struct crypt_auth_op *a,
			bool compat)
{
	struct vcd_compat_crypt_auth_op c;

	if (!compat)
		return copy_to_user(arg, a, sizeof(*a)) ? -EFAULT : 0;
	memset(&c, 0, sizeof(c));
	c.ses = a->ses;
	c.op = a->op;
	c.flags = a->flags;
	c.len = a->len;
	c.auth_len = a->auth_len;
	c.auth_src = ptr_to_compat(a->auth_src);
	c.src = ptr_to_compat(a->src);
	c.dst = ptr_to_compat(a->dst);
	c.tag = ptr_to_compat(a->tag);
	c.tag_len = a->tag_len;
	c.iv = ptr_to_compat(a->iv);
	c.iv_len = a->iv_len;
	return copy_to_user(arg, &c, sizeof(c)) ? -EFAULT : 0;
}

/* ---- files and sessions ---- */

static int vcd_open(struct inode *inode, struct file *filp)
{
	struct miscdevice *misc = filp->private_data;
	struct vcd_file *f;

	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	f->aq = vcd_async_new();
	if (!f->aq) {
		kfree(f);
		return -ENOMEM;
	}
	xa_init_flags(&f->sessions, XA_FLAGS_ALLOC1);
	if (misc != &vcd_misc) {
		/* misc_open() holds misc_mtx: the device is still bound. */
		f->dev = container_of(misc, struct vcd_device, misc);
		vcd_device_get(f->dev);
	}
	filp->private_data = f;
	return 0;
}

static int vcd_release(struct inode *inode, struct file *filp)
{
	struct vcd_file *f = filp->private_data;
	struct vcd_session *s;
	unsigned long id;

	vcd_async_close(f->aq);
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

/* The device for a new session: the node's, or the next one (or none). */
static int vcd_session_device(struct vcd_file *f, struct vcd_device **dev)
{
	if (f->dev) {
		if (READ_ONCE(f->dev->dead))
			return -ENODEV;
		vcd_device_get(f->dev);
		*dev = f->dev;
	} else {
		*dev = vcd_device_pick();
	}
	return 0;
}

static int vcd_ioc_gsession(struct vcd_file *f, void __user *arg,
			    bool compat)
{
	const struct vcd_alg *cipher = NULL, *mac = NULL;
	u8 key[CRYPTO_CIPHER_MAX_KEY_LEN];
	unsigned int mackeylen = 0;
	struct vcd_device *dev;
	struct vcd_session *s;
	struct session_op sop;
	u8 *mackey = NULL;
	u32 id;
	int err;

	err = vcd_get_sop(&sop, arg, compat);
	if (err)
		return err;
	if (!sop.cipher && !sop.mac)
		return -EINVAL;
	if (sop.cipher) {
		cipher = vcd_alg_cipher(sop.cipher);
		if (!cipher)
			return -EINVAL;
	}
	if (sop.mac) {
		mac = vcd_alg_mac(sop.mac);
		if (!mac)
			return -EINVAL;
	}
	if (sop.keylen > CRYPTO_CIPHER_MAX_KEY_LEN)
		return -EINVAL;
	if (cipher && copy_from_user(key, sop.key, sop.keylen))
		return -EFAULT;
	if (cipher && cipher->kind == VCD_ALG_AEAD) {
		/* A composite AEAD takes the MAC key too; the mac id is unused. */
		mac = NULL;
		mackeylen = sop.mackeylen;
	} else if (mac && mac->kind == VCD_ALG_HMAC) {
		mackeylen = sop.mackeylen;
	}
	err = -EINVAL;
	if (mackeylen > CRYPTO_HMAC_MAX_KEY_LEN)
		goto out;
	if (mackeylen) {
		err = -ENOMEM;
		mackey = kzalloc(mackeylen, GFP_KERNEL);
		if (!mackey)
			goto out;
		err = -EFAULT;
		if (sop.mackey && copy_from_user(mackey, sop.mackey, mackeylen))
			goto out;
	}
	err = vcd_session_device(f, &dev);
	if (err)
		goto out;
	err = vcd_session_new(dev, cipher, mac, key, cipher ? sop.keylen : 0,
			      mackey, mackeylen, &s);
	if (err)
		goto out;
	err = xa_alloc(&f->sessions, &id, s, xa_limit_31b, GFP_KERNEL);
	if (err) {
		vcd_session_put(s);
		goto out;
	}
	s->id = id;
	err = vcd_put_ses(arg, id, compat);
	if (err) {
		xa_erase(&f->sessions, id);
		vcd_session_put(s);
	}
out:
	memzero_explicit(key, sizeof(key));
	kfree_sensitive(mackey);
	return err;
}

static int vcd_ioc_fsession(struct vcd_file *f, void __user *arg)
{
	struct vcd_session *s;
	u32 id;

	if (get_user(id, (u32 __user *)arg))
		return -EFAULT;
	s = xa_erase(&f->sessions, id);
	if (!s)
		return -EINVAL;
	vcd_session_put(s);
	return 0;
}

static int vcd_ioc_crypt(struct vcd_file *f, void __user *arg, bool compat)
{
	struct vcd_session *s;
	struct crypt_op cop;
	struct vcd_job *job;
	int err;

	err = vcd_get_cop(&cop, arg, compat);
	if (err)
		return err;
	s = vcd_lookup(f, cop.ses);
	if (!s)
		return -EINVAL;
	err = vcd_job_new(s, &cop, false, &job);
	vcd_session_put(s);
	if (err)
		return err;
	err = vcd_job_run(job, true);
	if (err != -EINTR)
		err = vcd_job_finish(job);
	vcd_job_put(job);
	if (err == -ETIMEDOUT)
		err = -EIO;
	return err;
}

static int vcd_ioc_authcrypt(struct vcd_file *f, void __user *arg,
			     bool compat)
{
	struct crypt_auth_op caop;
	struct vcd_session *s;
	int err;

	err = vcd_get_caop(&caop, arg, compat);
	if (err)
		return err;
	s = vcd_lookup(f, caop.ses);
	if (!s)
		return -EINVAL;
	err = vcd_authcrypt(s, &caop);
	vcd_session_put(s);
	if (!err)
		err = vcd_put_caop(arg, &caop, compat);
	return err;
}

static int vcd_ioc_asynccrypt(struct vcd_file *f, void __user *arg,
			      bool compat)
{
	struct vcd_session *s;
	struct crypt_op cop;
	int err;

	err = vcd_get_cop(&cop, arg, compat);
	if (err)
		return err;
	s = vcd_lookup(f, cop.ses);
	if (!s)
		return -EINVAL;
	err = vcd_async_submit(f->aq, s, &cop);
	vcd_session_put(s);
	return err;
}

static int vcd_ioc_asyncfetch(struct vcd_file *f, void __user *arg,
			      bool compat)
{
	struct crypt_op cop;
	int err;

	err = vcd_async_fetch(f->aq, &cop);
	if (err == -ETIMEDOUT)
		err = -EIO;
	if (!err)
		err = vcd_put_cop(arg, &cop, compat);
	return err;
}

/* CIOCCPHASH: dst_ses continues from src_ses's hash state. */
static int vcd_ioc_cphash(struct vcd_file *f, void __user *arg)
{
	struct vcd_session *src, *dst, *first, *second;
	struct vcd_soft *ssoft, *dsoft;
	struct cphash_op op;
	int err;

	if (copy_from_user(&op, arg, sizeof(op)))
		return -EFAULT;
	if (op.src_ses == op.dst_ses)
		return -EDEADLK;
	src = vcd_lookup(f, op.src_ses);
	dst = vcd_lookup(f, op.dst_ses);
	err = -ENOENT;
	if (!src || !dst)
		goto out;
	err = -EINVAL;
	if (!src->mac || src->mac != dst->mac)
		goto out;
	first = src < dst ? src : dst;
	second = src < dst ? dst : src;
	mutex_lock(&first->lock);
	mutex_lock_nested(&second->lock, SINGLE_DEPTH_NESTING);
	err = vcd_session_soft(src, &ssoft);
	if (!err)
		err = vcd_session_soft(dst, &dsoft);
	if (!err && !src->hash_partial)
		err = vcd_soft_hash_init(ssoft);	/* a fresh state */
	if (!err) {
		src->hash_partial = true;
		err = vcd_soft_hash_copy(dsoft, ssoft);
	}
	if (!err)
		dst->hash_partial = true;
	mutex_unlock(&second->lock);
	mutex_unlock(&first->lock);
out:
	if (src)
		vcd_session_put(src);
	if (dst)
		vcd_session_put(dst);
	return err;
}

static void vcd_alg_info(struct alg_info *ai, const char *name,
			 const char *driver)
{
	strscpy(ai->cra_name, name ? name : "", sizeof(ai->cra_name));
	strscpy(ai->cra_driver_name, driver ? driver : "",
		sizeof(ai->cra_driver_name));
}

static int vcd_ioc_gsessinfo(struct vcd_file *f, void __user *arg)
{
	struct session_info_op *si;
	struct vcd_soft_info info = { };
	struct vcd_session *s;
	u32 id;
	int err = 0;

	if (get_user(id, (u32 __user *)arg))
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
	if (s->dev) {
		/* On the virtio device: a driver only the kernel can use. */
		if (s->cipher)
			vcd_alg_info(&si->cipher_info, s->cipher->kname,
				     s->cipher->dev_driver);
		if (s->mac)
			vcd_alg_info(&si->hash_info, s->mac->kname,
				     s->mac->dev_driver);
		si->flags = SIOP_FLAG_KERNEL_DRIVER_ONLY;
	} else {
		vcd_soft_describe(s->soft, &info);
		if (info.cipher_name)
			vcd_alg_info(&si->cipher_info, info.cipher_name,
				     info.cipher_driver);
		if (info.hash_name)
			vcd_alg_info(&si->hash_info, info.hash_name,
				     info.hash_driver);
		si->alignmask = info.alignmask;
		si->flags = info.kernel_driver_only ?
			    SIOP_FLAG_KERNEL_DRIVER_ONLY : 0;
	}
	if (copy_to_user(arg, si, sizeof(*si)))
		err = -EFAULT;
	kfree(si);
	vcd_session_put(s);
	return err;
}

/* CRIOGET: a new descriptor for the same open file, as cryptodev-linux. */
static int vcd_ioc_crioget(struct file *filp, void __user *arg)
{
	int fd;

	fd = get_unused_fd_flags(0);
	if (fd < 0)
		return fd;
	if (put_user(fd, (u32 __user *)arg)) {
		put_unused_fd(fd);
		return -EFAULT;
	}
	fd_install(fd, get_file(filp));
	return 0;
}

static long vcd_do_ioctl(struct file *filp, unsigned int cmd,
			 void __user *arg, bool compat)
{
	struct vcd_file *f = filp->private_data;

	switch (cmd) {
	case CRIOGET:
		return vcd_ioc_crioget(filp, arg);
	case CIOCFSESSION:
		return vcd_ioc_fsession(f, arg);
	case CIOCGSESSINFO:
		return vcd_ioc_gsessinfo(f, arg);
	case CIOCCPHASH:
		return vcd_ioc_cphash(f, arg);
	case CIOCASYMFEAT:
		return put_user(0U, (u32 __user *)arg) ? -EFAULT : 0;
	}
	if (compat) {
		switch (cmd) {
		case VCD_COMPAT_CIOCGSESSION:
			return vcd_ioc_gsession(f, arg, true);
		case VCD_COMPAT_CIOCCRYPT:
			return vcd_ioc_crypt(f, arg, true);
		case VCD_COMPAT_CIOCAUTHCRYPT:
			return vcd_ioc_authcrypt(f, arg, true);
		case VCD_COMPAT_CIOCASYNCCRYPT:
			return vcd_ioc_asynccrypt(f, arg, true);
		case VCD_COMPAT_CIOCASYNCFETCH:
			return vcd_ioc_asyncfetch(f, arg, true);
		}
		return -EINVAL;
	}
	switch (cmd) {
	case CIOCGSESSION:
		return vcd_ioc_gsession(f, arg, false);
	case CIOCCRYPT:
		return vcd_ioc_crypt(f, arg, false);
	case CIOCAUTHCRYPT:
		return vcd_ioc_authcrypt(f, arg, false);
	case CIOCASYNCCRYPT:
		return vcd_ioc_asynccrypt(f, arg, false);
	case CIOCASYNCFETCH:
		return vcd_ioc_asyncfetch(f, arg, false);
	}
	return -EINVAL;	/* cryptodev-linux: unknown commands are EINVAL */
}

static long vcd_ioctl(struct file *filp, unsigned int cmd, unsigned long arg)
{
	return vcd_do_ioctl(filp, cmd, (void __user *)arg, false);
}

#ifdef CONFIG_COMPAT
static long vcd_compat_ioctl(struct file *filp, unsigned int cmd,
			     unsigned long arg)
{
	return vcd_do_ioctl(filp, cmd, compat_ptr(arg), true);
}
#endif

static __poll_t vcd_poll(struct file *filp, poll_table *wait)
{
	struct vcd_file *f = filp->private_data;

	return vcd_async_poll(f->aq, filp, wait);
}

static const struct file_operations vcd_fops = {
	.owner = THIS_MODULE,
	.open = vcd_open,
	.release = vcd_release,
	.unlocked_ioctl = vcd_ioctl,
#ifdef CONFIG_COMPAT
	.compat_ioctl = vcd_compat_ioctl,
#endif
	.poll = vcd_poll,
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
