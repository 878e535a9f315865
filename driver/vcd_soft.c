// SPDX-License-Identifier: GPL-2.0-only
/*
 * vcd_soft.c - running a session in the guest kernel's crypto API.
 *
 * Owns the transforms of a session that runs (or partly runs) in the guest:
 * an skcipher or an aead for the cipher, an ahash (with the request that
 * carries the multi-part state) for the hash, allocated and keyed exactly
 * as cryptodev-linux does it (cryptlib.c: the kernel name of the algorithm
 * id, its key-size limits, the authenc key layout for the composite AEADs),
 * so a session fails here exactly where it fails there: EINVAL when the
 * kernel lacks the algorithm or rejects the key.  Every call waits for the
 * result (crypto_wait_req), so it runs in process context.  The caller
 * serialises calls that touch the hash state or the AEAD tag size.  Does
 * not own user memory or the choice between device and kernel.
 */
#include <crypto/aead.h>
#include <crypto/authenc.h>
#include <crypto/hash.h>
#include <crypto/skcipher.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>

#include "vcd_soft.h"

struct vcd_soft {
	struct crypto_skcipher *sk;
	struct crypto_aead *aead;
	struct crypto_ahash *hash;
	struct ahash_request *hreq;	/* carries the multi-part state */
};

void vcd_soft_free(struct vcd_soft *soft)
{
	if (!soft)
		return;
	if (soft->hreq)
		ahash_request_free(soft->hreq);
	if (soft->hash)
		crypto_free_ahash(soft->hash);
	if (soft->aead)
		crypto_free_aead(soft->aead);
	if (soft->sk)
		crypto_free_skcipher(soft->sk);
	kfree(soft);
}

/*
 * The key of a composite AEAD (TLS): [rtattr enckeylen][mac key][cipher
 * key], the layout of crypto/authenc.c; other AEADs take the key as given.
 */
static int vcd_soft_aead_setkey(struct crypto_aead *tfm, const u8 *key,
				unsigned int keylen, const u8 *mackey,
				unsigned int mackeylen)
{
	struct crypto_authenc_key_param *param;
	unsigned int len;
	struct rtattr *rta;
	u8 *buf;
	int err;

	if (!mackeylen)
		return crypto_aead_setkey(tfm, key, keylen);
	len = RTA_SPACE(sizeof(*param)) + mackeylen + keylen;
	buf = kzalloc(len, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	rta = (struct rtattr *)buf;
	rta->rta_type = CRYPTO_AUTHENC_KEYA_PARAM;
	rta->rta_len = RTA_LENGTH(sizeof(*param));
	param = RTA_DATA(rta);
	param->enckeylen = cpu_to_be32(keylen);
	memcpy(buf + RTA_SPACE(sizeof(*param)), mackey, mackeylen);
	memcpy(buf + RTA_SPACE(sizeof(*param)) + mackeylen, key, keylen);
	err = crypto_aead_setkey(tfm, buf, len);
	kfree_sensitive(buf);
	return err;
}

int vcd_soft_new(const struct vcd_alg *cipher, const struct vcd_alg *mac,
		 const u8 *key, unsigned int keylen,
		 const u8 *mackey, unsigned int mackeylen,
		 struct vcd_soft **out)
{
	struct vcd_soft *soft;
	int err = -EINVAL;

	soft = kzalloc(sizeof(*soft), GFP_KERNEL);
	if (!soft)
		return -ENOMEM;
	if (cipher && cipher->kind == VCD_ALG_AEAD) {
		soft->aead = crypto_alloc_aead(cipher->kname, 0, 0);
		if (IS_ERR(soft->aead)) {
			soft->aead = NULL;
			goto fail;
		}
		if (vcd_soft_aead_setkey(soft->aead, key, keylen, mackey,
					 mackeylen))
			goto fail;
		*out = soft;
		return 0;	/* cryptodev-linux ignores the mac of an AEAD */
	}
	if (cipher) {
		soft->sk = crypto_alloc_skcipher(cipher->kname, 0, 0);
		if (IS_ERR(soft->sk)) {
			soft->sk = NULL;
			goto fail;
		}
		if (crypto_skcipher_setkey(soft->sk, key, keylen))
			goto fail;
	}
	if (mac) {
		soft->hash = crypto_alloc_ahash(mac->kname, 0, 0);
		if (IS_ERR(soft->hash)) {
			soft->hash = NULL;
			goto fail;
		}
		if (mac->kind == VCD_ALG_HMAC &&
		    crypto_ahash_setkey(soft->hash, mackey, mackeylen))
			goto fail;
		err = -ENOMEM;
		soft->hreq = ahash_request_alloc(soft->hash, GFP_KERNEL);
		if (!soft->hreq)
			goto fail;
		err = vcd_soft_hash_init(soft);
		if (err)
			goto fail;
	}
	*out = soft;
	return 0;
fail:
	vcd_soft_free(soft);
	return err;
}

static void vcd_soft_tfm_info(struct crypto_tfm *tfm, const char **name,
			      const char **driver, struct vcd_soft_info *info)
{
	*name = crypto_tfm_alg_name(tfm);
	*driver = crypto_tfm_alg_driver_name(tfm);
	info->alignmask = max(info->alignmask, crypto_tfm_alg_alignmask(tfm));
	if (tfm->__crt_alg->cra_flags & CRYPTO_ALG_KERN_DRIVER_ONLY)
		info->kernel_driver_only = true;
}

void vcd_soft_describe(struct vcd_soft *soft, struct vcd_soft_info *info)
{
	if (soft->sk)
		vcd_soft_tfm_info(crypto_skcipher_tfm(soft->sk),
				  &info->cipher_name, &info->cipher_driver,
				  info);
	if (soft->aead)
		vcd_soft_tfm_info(crypto_aead_tfm(soft->aead),
				  &info->cipher_name, &info->cipher_driver,
				  info);
	if (soft->hash)
		vcd_soft_tfm_info(crypto_ahash_tfm(soft->hash),
				  &info->hash_name, &info->hash_driver, info);
}

int vcd_soft_cipher(struct vcd_soft *soft, bool encrypt, u8 *iv,
		    struct scatterlist *src, struct scatterlist *dst,
		    unsigned int len)
{
	struct skcipher_request *req;
	DECLARE_CRYPTO_WAIT(wait);
	int err;

	if (!soft->sk)
		return -EINVAL;
	req = skcipher_request_alloc(soft->sk, GFP_KERNEL);
	if (!req)
		return -ENOMEM;
	skcipher_request_set_callback(req, CRYPTO_TFM_REQ_MAY_BACKLOG |
				      CRYPTO_TFM_REQ_MAY_SLEEP,
				      crypto_req_done, &wait);
	skcipher_request_set_crypt(req, src, dst, len, iv);
	err = crypto_wait_req(encrypt ? crypto_skcipher_encrypt(req) :
					crypto_skcipher_decrypt(req), &wait);
	skcipher_request_free(req);
	return err;
}

static void vcd_soft_hash_req(struct vcd_soft *soft, struct crypto_wait *wait)
{
	ahash_request_set_callback(soft->hreq, CRYPTO_TFM_REQ_MAY_BACKLOG |
				   CRYPTO_TFM_REQ_MAY_SLEEP,
				   crypto_req_done, wait);
}

int vcd_soft_hash_init(struct vcd_soft *soft)
{
	DECLARE_CRYPTO_WAIT(wait);

	vcd_soft_hash_req(soft, &wait);
	return crypto_wait_req(crypto_ahash_init(soft->hreq), &wait);
}

int vcd_soft_hash_update(struct vcd_soft *soft, struct scatterlist *sg,
			 unsigned int len)
{
	DECLARE_CRYPTO_WAIT(wait);

	vcd_soft_hash_req(soft, &wait);
	ahash_request_set_crypt(soft->hreq, sg, NULL, len);
	return crypto_wait_req(crypto_ahash_update(soft->hreq), &wait);
}

int vcd_soft_hash_final(struct vcd_soft *soft, u8 *out)
{
	DECLARE_CRYPTO_WAIT(wait);

	vcd_soft_hash_req(soft, &wait);
	ahash_request_set_crypt(soft->hreq, NULL, out, 0);
	return crypto_wait_req(crypto_ahash_final(soft->hreq), &wait);
}

unsigned int vcd_soft_digestsize(struct vcd_soft *soft)
{
	return soft->hash ? crypto_ahash_digestsize(soft->hash) : 0;
}

/* CIOCCPHASH: @dst continues from @src's multi-part state. */
int vcd_soft_hash_copy(struct vcd_soft *dst, struct vcd_soft *src)
{
	unsigned int size;
	void *state;
	int err;

	if (!src->hash || !dst->hash)
		return -EINVAL;
	size = crypto_ahash_statesize(src->hash);
	if (!size || size != crypto_ahash_statesize(dst->hash))
		return -EINVAL;
	state = kzalloc(size, GFP_KERNEL);
	if (!state)
		return -ENOMEM;
	err = crypto_ahash_export(src->hreq, state);
	if (!err)
		err = crypto_ahash_import(dst->hreq, state);
	kfree_sensitive(state);
	return err;
}

unsigned int vcd_soft_aead_maxauth(struct vcd_soft *soft)
{
	return soft->aead ? crypto_aead_maxauthsize(soft->aead) : 0;
}

/*
 * AEAD over src = [assoc][cryptlen] (+ tag when decrypting) into dst; the
 * tag size is set on the transform first (callers serialise).
 */
int vcd_soft_aead(struct vcd_soft *soft, bool encrypt, u8 *iv,
		  struct scatterlist *src, struct scatterlist *dst,
		  unsigned int assoclen, unsigned int cryptlen,
		  unsigned int authsize)
{
	struct aead_request *req;
	DECLARE_CRYPTO_WAIT(wait);
	int err;

	if (!soft->aead)
		return -EINVAL;
	err = crypto_aead_setauthsize(soft->aead, authsize);
	if (err)
		return err;
	req = aead_request_alloc(soft->aead, GFP_KERNEL);
	if (!req)
		return -ENOMEM;
	aead_request_set_callback(req, CRYPTO_TFM_REQ_MAY_BACKLOG |
				  CRYPTO_TFM_REQ_MAY_SLEEP,
				  crypto_req_done, &wait);
	aead_request_set_ad(req, assoclen);
	aead_request_set_crypt(req, src, dst, cryptlen, iv);
	err = crypto_wait_req(encrypt ? crypto_aead_encrypt(req) :
					crypto_aead_decrypt(req), &wait);
	aead_request_free(req);
	return err;
}
