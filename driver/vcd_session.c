// SPDX-License-Identifier: GPL-2.0-only
/*
 * vcd_session.c - a cryptodev session and where it runs.
 *
 * Owns the session object of an open file: the algorithms, a copy of the
 * keys (zeroed when the session goes, kept so that device sessions can be
 * made again at any time), the chaining IV, and the choice made at
 * creation: on a virtio device when the algorithm maps to one and the
 * device takes the session (vcd_devsess.c), otherwise in the guest kernel's
 * crypto API (vcd_soft.c), failing there exactly as cryptodev-linux fails.
 * A device session that must do what the device cannot (multi-part hashing,
 * CIOCAUTHCRYPT, CIOCCPHASH, requests the device cannot split) gets its
 * kernel transforms on first need.  Does not own the per-file table
 * (vcd_chrdev.c) or the operations (vcd_job.c, vcd_authcrypt.c).
 */
#include <linux/slab.h>
#include <linux/string.h>

#include "vcd_devsess.h"
#include "vcd_soft.h"
#include "uapi/cryptodev.h"

static void vcd_session_release(struct kref *ref)
{
	struct vcd_session *s = container_of(ref, struct vcd_session, ref);

	if (s->dev) {
		vcd_dsess_drop(s);
		vcd_device_put(s->dev);
	}
	vcd_soft_free(s->soft);
	kfree_sensitive(s->key);
	mutex_destroy(&s->lock);
	kfree_sensitive(s);
}

void vcd_session_put(struct vcd_session *s)
{
	kref_put(&s->ref, vcd_session_release);
}

/* Can the device run this session at all (before asking it)? */
static bool vcd_session_device_candidate(const struct vcd_session *s,
					 struct vcd_device *dev)
{
	if (s->cipher && (s->cipher->kind != VCD_ALG_CIPHER ||
			  !s->cipher->virtio_algo ||
			  !vcd_alg_dev_keylen_ok(s->cipher, s->keylen) ||
			  s->keylen > dev->max_cipher_key_len))
		return false;
	/*
	 * XTS with two equal key halves: OpenSSL-based back-ends refuse it, and
	 * a refusal would teach the cache that the device has no XTS at all.
	 */
	if (s->cipher && s->cipher->id == CRYPTO_AES_XTS &&
	    !memcmp(s->key, s->key + s->keylen / 2, s->keylen / 2))
		return false;
	if (s->mac && (!s->mac->virtio_algo ||
		       (s->mac->kind == VCD_ALG_HMAC &&
			s->mackeylen > dev->max_auth_key_len)))
		return false;
	return true;
}

/*
 * Create a session for @cipher/@mac (either may be NULL, ids checked by the
 * caller), on @dev if it takes it (NULL: no device; the device reference
 * passes to the session or is dropped), else in the guest kernel.
 */
int vcd_session_new(struct vcd_device *dev, const struct vcd_alg *cipher,
		    const struct vcd_alg *mac, const u8 *key,
		    unsigned int keylen, const u8 *mackey,
		    unsigned int mackeylen, struct vcd_session **out)
{
	struct vcd_session *s;
	int err;

	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s) {
		err = -ENOMEM;
		goto fail_dev;
	}
	kref_init(&s->ref);
	mutex_init(&s->lock);
	spin_lock_init(&s->iv_lock);
	s->cipher = cipher;
	s->mac = mac;
	s->keylen = keylen;
	s->mackeylen = mackeylen;
	s->key = kmalloc(max(keylen + mackeylen, 1U), GFP_KERNEL);
	if (!s->key) {
		err = -ENOMEM;
		goto fail;
	}
	memcpy(s->key, key, keylen);
	memcpy(s->key + keylen, mackey, mackeylen);
	INIT_LIST_HEAD(&s->ds[VCD_DS_ENC].lru);
	INIT_LIST_HEAD(&s->ds[VCD_DS_DEC].lru);
	s->ds[VCD_DS_ENC].s = s;
	s->ds[VCD_DS_ENC].op = VIRTIO_CRYPTO_OP_ENCRYPT;
	s->ds[VCD_DS_DEC].s = s;
	s->ds[VCD_DS_DEC].op = VIRTIO_CRYPTO_OP_DECRYPT;

	if (dev && vcd_param_use_device && !READ_ONCE(dev->dead) &&
	    vcd_session_device_candidate(s, dev)) {
		s->dev = dev;
		s->q = vcd_device_queue(dev, &s->qindex);
		dev = NULL;
		err = vcd_dsess_probe(s);
		if (err == -EOPNOTSUPP) {
			vcd_device_put(s->dev);
			s->dev = NULL;
		} else if (err) {
			goto fail;
		}
	}
	if (dev) {
		vcd_device_put(dev);
		dev = NULL;
	}
	if (!s->dev) {
		err = vcd_soft_new(cipher, mac, key, keylen, mackey, mackeylen,
				   &s->soft);
		if (err)
			goto fail;
	}
	*out = s;
	return 0;
fail:
	vcd_session_put(s);
fail_dev:
	if (dev)
		vcd_device_put(dev);
	return err;
}

/* The session's kernel transforms, made on first need; s->lock held. */
int vcd_session_soft(struct vcd_session *s, struct vcd_soft **out)
{
	int err;

	lockdep_assert_held(&s->lock);
	if (!s->soft) {
		err = vcd_soft_new(s->cipher, s->mac, s->key, s->keylen,
				   vcd_session_mackey(s), s->mackeylen,
				   &s->soft);
		if (err)
			return err;
	}
	*out = s->soft;
	return 0;
}

unsigned int vcd_session_digestsize(const struct vcd_session *s)
{
	return s->mac ? s->mac->digestsize : 0;
}

void vcd_session_get_iv(struct vcd_session *s, u8 *iv)
{
	spin_lock(&s->iv_lock);
	memcpy(iv, s->iv, sizeof(s->iv));
	spin_unlock(&s->iv_lock);
}

void vcd_session_set_iv(struct vcd_session *s, const u8 *iv)
{
	spin_lock(&s->iv_lock);
	memcpy(s->iv, iv, sizeof(s->iv));
	spin_unlock(&s->iv_lock);
}
