// SPDX-License-Identifier: GPL-2.0
/*
 * vcd_session.c - cryptodev sessions as virtio-crypto control-queue sessions.
 *
 * Owns the mapping of cryptodev algorithm ids to virtio-crypto algorithms and
 * the CREATE_SESSION / DESTROY_SESSION requests on the control queue.  A
 * virtio-crypto cipher session has one direction, a cryptodev session has
 * both, so every cryptodev session holds two device sessions (encrypt and
 * decrypt), created together.  It does not own the session table of an open
 * file (vcd_chrdev.c) nor data requests (vcd_crypt.c).
 */
#include <linux/slab.h>
#include <linux/string.h>

#include "vcd.h"
#include "uapi/cryptodev.h"

static const struct vcd_cipher_alg vcd_ciphers[] = {
	{ CRYPTO_AES_CBC, VIRTIO_CRYPTO_CIPHER_AES_CBC, 16, 16, { 16, 24, 32 },
	  "cbc(aes)", "cbc-aes-" VCD_DRIVER_NAME },
	{ CRYPTO_AES_CTR, VIRTIO_CRYPTO_CIPHER_AES_CTR, 16, 1, { 16, 24, 32 },
	  "ctr(aes)", "ctr-aes-" VCD_DRIVER_NAME },
	{ CRYPTO_AES_ECB, VIRTIO_CRYPTO_CIPHER_AES_ECB, 0, 16, { 16, 24, 32 },
	  "ecb(aes)", "ecb-aes-" VCD_DRIVER_NAME },
	{ CRYPTO_AES_XTS, VIRTIO_CRYPTO_CIPHER_AES_XTS, 16, 16, { 32, 64, 0 },
	  "xts(aes)", "xts-aes-" VCD_DRIVER_NAME },
};

static const struct vcd_mac_alg vcd_macs[] = {
	{ CRYPTO_SHA1_HMAC, VIRTIO_CRYPTO_MAC_HMAC_SHA1, 20,
	  "hmac(sha1)", "hmac-sha1-" VCD_DRIVER_NAME },
	{ CRYPTO_SHA2_224_HMAC, VIRTIO_CRYPTO_MAC_HMAC_SHA_224, 28,
	  "hmac(sha224)", "hmac-sha224-" VCD_DRIVER_NAME },
	{ CRYPTO_SHA2_256_HMAC, VIRTIO_CRYPTO_MAC_HMAC_SHA_256, 32,
	  "hmac(sha256)", "hmac-sha256-" VCD_DRIVER_NAME },
	{ CRYPTO_SHA2_384_HMAC, VIRTIO_CRYPTO_MAC_HMAC_SHA_384, 48,
	  "hmac(sha384)", "hmac-sha384-" VCD_DRIVER_NAME },
	{ CRYPTO_SHA2_512_HMAC, VIRTIO_CRYPTO_MAC_HMAC_SHA_512, 64,
	  "hmac(sha512)", "hmac-sha512-" VCD_DRIVER_NAME },
};

const struct vcd_cipher_alg *vcd_cipher_find(u32 id)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(vcd_ciphers); i++)
		if (vcd_ciphers[i].cryptodev_id == id)
			return &vcd_ciphers[i];
	return NULL;
}

const struct vcd_mac_alg *vcd_mac_find(u32 id)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(vcd_macs); i++)
		if (vcd_macs[i].cryptodev_id == id)
			return &vcd_macs[i];
	return NULL;
}

struct vcd_ctrl_req {
	struct vcd_req base;
	struct virtio_crypto_op_ctrl_req ctrl;
	union {
		struct virtio_crypto_session_input input;
		struct virtio_crypto_inhdr inhdr;
	} in;
	unsigned int keylen;
	unsigned int mackeylen;
	u8 keys[];
};

static void vcd_ctrl_release(struct vcd_req *base)
{
	struct vcd_ctrl_req *r = container_of(base, struct vcd_ctrl_req, base);

	kfree_sensitive(r);
}

static struct vcd_ctrl_req *vcd_ctrl_alloc(unsigned int keylen,
					   unsigned int mackeylen)
{
	struct vcd_ctrl_req *r;

	r = kzalloc(struct_size(r, keys, keylen + mackeylen), GFP_KERNEL);
	if (!r)
		return NULL;
	vcd_req_init(&r->base, vcd_ctrl_release);
	r->keylen = keylen;
	r->mackeylen = mackeylen;
	return r;
}

/* Run one control request (several may be in flight). */
static int vcd_ctrl_run(struct vcd_device *dev, struct vcd_ctrl_req *r,
			unsigned int in_len)
{
	struct scatterlist hdr, key, mackey, in, *sgs[4];
	unsigned int out = 0;
	int err;

	sg_init_one(&hdr, &r->ctrl, sizeof(r->ctrl));
	sgs[out++] = &hdr;
	if (r->keylen) {
		sg_init_one(&key, r->keys, r->keylen);
		sgs[out++] = &key;
	}
	if (r->mackeylen) {
		sg_init_one(&mackey, r->keys + r->keylen, r->mackeylen);
		sgs[out++] = &mackey;
	}
	sg_init_one(&in, &r->in, in_len);
	sgs[out] = &in;

	err = vcd_queue_submit(&dev->ctrlq, &r->base, sgs, out, 1, false);
	return vcd_device_check(dev, err);
}

static int vcd_device_session_create(struct vcd_session *s, u32 op,
				     const u8 *key, unsigned int keylen,
				     const u8 *mackey, unsigned int mackeylen,
				     u64 *id)
{
	struct vcd_device *dev = s->dev;
	struct virtio_crypto_sym_create_session_req *sym;
	struct virtio_crypto_cipher_session_para *cp;
	struct vcd_ctrl_req *r;
	u32 status;
	int err;

	r = vcd_ctrl_alloc(keylen, mackeylen);
	if (!r)
		return -ENOMEM;
	memcpy(r->keys, key, keylen);
	if (mackeylen)
		memcpy(r->keys + keylen, mackey, mackeylen);

	r->ctrl.header.opcode = cpu_to_le32(VIRTIO_CRYPTO_CIPHER_CREATE_SESSION);
	r->ctrl.header.algo = cpu_to_le32(s->cipher->virtio_algo);
	r->ctrl.header.queue_id = cpu_to_le32(s->qindex);
	sym = &r->ctrl.u.sym_create_session;
	if (s->mac) {
		struct virtio_crypto_alg_chain_session_para *ch;

		ch = &sym->u.chain.para;
		sym->op_type = cpu_to_le32(VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING);
		/*
		 * cryptodev-linux MACs the plaintext: before encrypting,
		 * after decrypting.
		 */
		ch->alg_chain_order = cpu_to_le32(op == VIRTIO_CRYPTO_OP_ENCRYPT ?
			VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_HASH_THEN_CIPHER :
			VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_CIPHER_THEN_HASH);
		ch->hash_mode = cpu_to_le32(VIRTIO_CRYPTO_SYM_HASH_MODE_AUTH);
		ch->u.mac_param.algo = cpu_to_le32(s->mac->virtio_algo);
		ch->u.mac_param.hash_result_len =
			cpu_to_le32(s->mac->digestsize);
		ch->u.mac_param.auth_key_len = cpu_to_le32(mackeylen);
		cp = &ch->cipher_param;
	} else {
		sym->op_type = cpu_to_le32(VIRTIO_CRYPTO_SYM_OP_CIPHER);
		cp = &sym->u.cipher.para;
	}
	cp->algo = cpu_to_le32(s->cipher->virtio_algo);
	cp->keylen = cpu_to_le32(keylen);
	cp->op = cpu_to_le32(op);
	r->in.input.status = cpu_to_le32(VIRTIO_CRYPTO_ERR);

	err = vcd_ctrl_run(dev, r, sizeof(r->in.input));
	if (!err) {
		status = le32_to_cpu(r->in.input.status);
		if (status == VIRTIO_CRYPTO_OK)
			*id = le64_to_cpu(r->in.input.session_id);
		else if (status == VIRTIO_CRYPTO_ERR &&
			 (s->mac ||
			  !(dev->cipher_mask & BIT_ULL(s->cipher->virtio_algo))))
			err = -EOPNOTSUPP;	/* not advertised, and refused */
		else
			err = vcd_status_to_errno(status);
	}
	vcd_req_put(&r->base);
	return err;
}

static void vcd_device_session_destroy(struct vcd_session *s, u64 id)
{
	struct vcd_ctrl_req *r;
	int err;

	r = vcd_ctrl_alloc(0, 0);
	if (!r)
		return;
	r->ctrl.header.opcode =
		cpu_to_le32(VIRTIO_CRYPTO_CIPHER_DESTROY_SESSION);
	r->ctrl.header.queue_id = cpu_to_le32(s->qindex);
	r->ctrl.u.destroy_session.session_id = cpu_to_le64(id);
	r->in.inhdr.status = VIRTIO_CRYPTO_ERR;
	err = vcd_ctrl_run(s->dev, r, sizeof(r->in.inhdr));
	if (!err && r->in.inhdr.status != VIRTIO_CRYPTO_OK)
		pr_debug(VCD_DRIVER_NAME ": %s: destroy session %llu: status %u\n",
			 s->dev->name, id, r->in.inhdr.status);
	vcd_req_put(&r->base);
}

static void vcd_session_release(struct kref *ref)
{
	struct vcd_session *s = container_of(ref, struct vcd_session, ref);

	if (s->have_enc)
		vcd_device_session_destroy(s, s->enc_session);
	if (s->have_dec)
		vcd_device_session_destroy(s, s->dec_session);
	vcd_device_put(s->dev);
	kfree_sensitive(s);
}

void vcd_session_put(struct vcd_session *s)
{
	kref_put(&s->ref, vcd_session_release);
}

/*
 * Create a session on @dev (whose reference passes to the session, also on
 * failure).  Algorithm ids and key lengths were checked by the caller.
 */
int vcd_session_create(struct vcd_device *dev, u32 cipher, u32 mac,
		       const u8 *key, unsigned int keylen,
		       const u8 *mackey, unsigned int mackeylen,
		       struct vcd_session **out)
{
	struct vcd_session *s;
	int err;

	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s) {
		vcd_device_put(dev);
		return -ENOMEM;
	}
	kref_init(&s->ref);
	spin_lock_init(&s->iv_lock);
	s->dev = dev;
	s->cipher = vcd_cipher_find(cipher);
	s->mac = mac ? vcd_mac_find(mac) : NULL;
	s->q = vcd_device_queue(dev, &s->qindex);

	err = vcd_device_session_create(s, VIRTIO_CRYPTO_OP_ENCRYPT, key,
					keylen, mackey, mackeylen,
					&s->enc_session);
	if (err)
		goto fail;
	s->have_enc = true;
	err = vcd_device_session_create(s, VIRTIO_CRYPTO_OP_DECRYPT, key,
					keylen, mackey, mackeylen,
					&s->dec_session);
	if (err)
		goto fail;
	s->have_dec = true;
	*out = s;
	return 0;
fail:
	vcd_session_put(s);
	return err;
}
