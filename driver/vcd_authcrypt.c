// SPDX-License-Identifier: GPL-2.0-only
/*
 * vcd_authcrypt.c - CIOCAUTHCRYPT with cryptodev-linux's three modes.
 *
 * Owns authenticated encryption of one record, computed as cryptodev-linux
 * computes it (its authenc.c), in the guest kernel's crypto API: the
 * virtio-crypto devices here offer no AEAD, and a TLS or SRTP record is
 * several steps no device request describes.
 * - Plain AEAD (a GCM or CCM session): [auth_src][src] in, [dst][tag] out;
 *   decrypting, src ends with the tag and a wrong tag is EBADMSG.
 * - COP_FLAG_AEAD_TLS_TYPE (cipher + HMAC session, src == dst): encrypt =
 *   HMAC(auth_src || data), tag appended, TLS padding to the block size,
 *   CBC over it all in place; decrypt checks padding and tag (EBADMSG).
 * - COP_FLAG_AEAD_SRTP_TYPE (CTR or NULL + HMAC, src == dst inside
 *   auth_src): encrypt in place, then HMAC over auth_src into tag; decrypt
 *   verifies first.
 * On return caop->len is the output length.  Records are copied through
 * kernel memory, and written back only when they authenticate.  Does not
 * own the session (vcd_session.c) or the ioctl layer (vcd_chrdev.c).
 */
#include <crypto/algapi.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "vcd_authcrypt.h"
#include "vcd_soft.h"

#define VCD_SRTP_MAX_DIFF 256
#define VCD_TLS_MAX_PAD 256

/* HMAC of [p, p + n) with the session's fresh hash state into @out. */
static int vcd_ac_hash(struct vcd_soft *soft, const u8 *a, unsigned int an,
		       const u8 *p, unsigned int n, u8 *out)
{
	struct scatterlist sg;
	int err = vcd_soft_hash_init(soft);

	if (!err && an) {
		sg_init_one(&sg, a, an);
		err = vcd_soft_hash_update(soft, &sg, an);
	}
	if (!err && n) {
		sg_init_one(&sg, p, n);
		err = vcd_soft_hash_update(soft, &sg, n);
	}
	if (!err)
		err = vcd_soft_hash_final(soft, out);
	return err;
}

static int vcd_ac_cipher(struct vcd_soft *soft, bool encrypt, u8 *iv,
			 u8 *p, unsigned int n)
{
	struct scatterlist sg;

	if (!n)
		return 0;
	sg_init_one(&sg, p, n);
	return vcd_soft_cipher(soft, encrypt, iv, &sg, &sg, n);
}

static int vcd_ac_aead(struct vcd_session *s, struct vcd_soft *soft,
		       struct crypt_auth_op *caop, u8 *iv)
{
	bool encrypt = caop->op == COP_ENCRYPT;
	unsigned int alen = caop->auth_len, len = caop->len;
	unsigned int tag = caop->tag_len, out;
	struct scatterlist sg;
	u8 *buf;
	int err;

	if (tag > vcd_soft_aead_maxauth(soft) || alen > PAGE_SIZE)
		return -EINVAL;
	if (!encrypt && len < tag)
		return -EINVAL;
	buf = kvzalloc(alen + len + tag + 1, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	err = -EFAULT;
	if (alen && caop->auth_src && copy_from_user(buf, caop->auth_src, alen))
		goto out;
	if (copy_from_user(buf + alen, caop->src, len))
		goto out;
	sg_init_one(&sg, buf, alen + len + (encrypt ? tag : 0));
	err = vcd_soft_aead(soft, encrypt, iv, &sg, &sg,
			    caop->auth_src ? alen : 0, len, tag);
	if (err)
		goto out;
	out = encrypt ? len + tag : len - tag;
	err = -EFAULT;
	if (copy_to_user(caop->dst, buf + alen, out))
		goto out;
	caop->tag = caop->dst + (encrypt ? len : len - tag);
	caop->len = out;
	err = 0;
out:
	kvfree_sensitive(buf, alen + len + tag + 1);
	return err;
}

static int vcd_ac_tls(struct vcd_session *s, struct vcd_soft *soft,
		      struct crypt_auth_op *caop, u8 *iv)
{
	unsigned int bs = s->cipher->blocksize, digest = s->mac->digestsize;
	unsigned int alen = caop->auth_len, len = caop->len;
	unsigned int tag = caop->tag_len, total, pad, i;
	u8 hash[VCD_MAX_DIGEST], *a = NULL, *buf;
	bool fail = false;
	size_t size;
	int err;

	if (alen > PAGE_SIZE || !caop->dst || tag > digest)
		return -EINVAL;
	total = len;
	if (caop->op == COP_ENCRYPT) {
		total = len + tag;
		if (bs > 1)
			total += bs - total % bs;
	}
	if (!total)
		return -EINVAL;
	size = total + alen;
	buf = kvzalloc(size, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	a = buf + total;
	err = -EFAULT;
	if (alen && caop->auth_src && copy_from_user(a, caop->auth_src, alen))
		goto out;
	if (!caop->auth_src)
		alen = 0;
	if (copy_from_user(buf, caop->dst, len))
		goto out;
	if (caop->op == COP_ENCRYPT) {
		err = vcd_ac_hash(soft, a, alen, buf, len, hash);
		if (err)
			goto out;
		memcpy(buf + len, hash, tag);
		pad = total - len - tag;
		memset(buf + len + tag, pad - 1, pad);
		err = vcd_ac_cipher(soft, true, iv, buf, total);
	} else {
		err = vcd_ac_cipher(soft, false, iv, buf, len);
		if (err)
			goto out;
		if (bs > 1) {
			pad = buf[len - 1];
			if (pad + 1 > len || pad + 1 > VCD_TLS_MAX_PAD) {
				fail = true;
			} else {
				for (i = 0; i < pad; i++)
					fail |= buf[len - pad - 1 + i] != pad;
				if (!fail)
					len -= pad + 1;
			}
		}
		err = -EINVAL;
		if (tag > len)
			goto out;
		len -= tag;
		err = vcd_ac_hash(soft, a, alen, buf, len, hash);
		if (err)
			goto out;
		if (crypto_memneq(hash, buf + len, tag) || fail) {
			err = -EBADMSG;
			goto out;
		}
		total = len;
	}
	if (err)
		goto out;
	err = -EFAULT;
	if (copy_to_user(caop->dst, buf, total))
		goto out;
	caop->len = total;
	err = 0;
out:
	memzero_explicit(hash, sizeof(hash));
	kvfree_sensitive(buf, size);
	return err;
}

static int vcd_ac_srtp(struct vcd_session *s, struct vcd_soft *soft,
		       struct crypt_auth_op *caop, u8 *iv)
{
	unsigned int alen = caop->auth_len, len = caop->len;
	unsigned int tag = caop->tag_len, digest = s->mac->digestsize;
	u8 hash[VCD_MAX_DIGEST], vhash[VCD_MAX_DIGEST], *buf, *data;
	long diff;
	int err;

	if (s->cipher->id != CRYPTO_AES_CTR && s->cipher->id != CRYPTO_NULL)
		return -EINVAL;	/* stream ciphers only, as cryptodev-linux */
	if ((!caop->dst && !caop->auth_src) || !len || !alen)
		return -EINVAL;
	diff = caop->src - caop->auth_src;
	if (diff < 0 || diff > VCD_SRTP_MAX_DIFF || diff + len > alen ||
	    tag > digest)
		return -EINVAL;
	buf = kvzalloc(alen, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	data = buf + diff;
	err = -EFAULT;
	if (copy_from_user(buf, caop->auth_src, alen))
		goto out;
	if (caop->op == COP_ENCRYPT) {
		err = vcd_ac_cipher(soft, true, iv, data, len);
		if (!err)
			err = vcd_ac_hash(soft, NULL, 0, buf, alen, hash);
		if (err)
			goto out;
		err = -EFAULT;
		if (copy_to_user(caop->tag, hash, tag))
			goto out;
	} else {
		err = -EINVAL;
		if (tag > len)
			goto out;
		err = -EFAULT;
		if (copy_from_user(vhash, caop->tag, tag))
			goto out;
		err = vcd_ac_hash(soft, NULL, 0, buf, alen, hash);
		if (err)
			goto out;
		err = -EBADMSG;
		if (crypto_memneq(hash, vhash, tag))
			goto out;
		err = vcd_ac_cipher(soft, false, iv, data, len);
		if (err)
			goto out;
	}
	err = -EFAULT;
	if (copy_to_user(caop->dst, data, len))
		goto out;
	err = 0;
out:
	memzero_explicit(hash, sizeof(hash));
	kvfree_sensitive(buf, alen);
	return err;
}

int vcd_authcrypt(struct vcd_session *s, struct crypt_auth_op *caop)
{
	bool tls = caop->flags & COP_FLAG_AEAD_TLS_TYPE;
	bool srtp = caop->flags & COP_FLAG_AEAD_SRTP_TYPE;
	unsigned int ivsize;
	struct vcd_soft *soft;
	u8 iv[VCD_MAX_IV];
	int err;

	if ((tls || srtp) && caop->src != caop->dst)
		return -EINVAL;	/* in place only, as cryptodev-linux */
	if (caop->op != COP_ENCRYPT && caop->op != COP_DECRYPT)
		return -EINVAL;
	if (!s->cipher)
		return -EINVAL;
	ivsize = s->cipher->ivsize;
	mutex_lock(&s->lock);
	err = vcd_session_soft(s, &soft);
	if (err)
		goto out;
	if (!caop->tag_len)
		caop->tag_len = s->mac ? s->mac->digestsize :
					 vcd_soft_aead_maxauth(soft);
	if (caop->iv) {
		err = -EFAULT;
		if (copy_from_user(iv, caop->iv, ivsize))
			goto out;
	} else {
		vcd_session_get_iv(s, iv);
	}
	err = -EINVAL;
	if (srtp && s->mac && !vcd_session_is_aead(s))
		err = vcd_ac_srtp(s, soft, caop, iv);
	else if (tls && s->mac && !vcd_session_is_aead(s))
		err = vcd_ac_tls(s, soft, caop, iv);
	else if (vcd_session_is_aead(s) && !srtp)
		err = vcd_ac_aead(s, soft, caop, iv);
	if (s->mac)
		s->hash_partial = false;
	if (err)
		goto out;
	vcd_session_set_iv(s, iv);
	err = -EFAULT;
	if ((caop->flags & COP_FLAG_WRITE_IV) && caop->iv && ivsize &&
	    copy_to_user(caop->iv, iv, ivsize))
		goto out;
	err = 0;
out:
	mutex_unlock(&s->lock);
	return err;
}
