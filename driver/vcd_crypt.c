// SPDX-License-Identifier: GPL-2.0
/*
 * vcd_crypt.c - one cipher (or cipher+MAC) data request on a data queue.
 *
 * Owns the data request: one allocation per request holding the
 * virtio-crypto header, the IV, the status byte, kernel copies of the
 * source and destination (inline for small requests, kvmalloc()ed for large
 * ones) and the scatterlists describing them.  The descriptor chain is the
 * one the virtio spec defines: readable [header][iv][src], writable
 * [dst][mac][status].  It does not touch user memory (vcd_chrdev.c copies in
 * and out, outside any lock) and does not know about sessions' lifetime.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "vcd.h"
#include "vcd_crypt.h"

#define VCD_INLINE_MAX	2048	/* src+dst inline up to this length */
#define VCD_SG_INLINE	6

static void vcd_crypt_release(struct vcd_req *base)
{
	struct vcd_crypt_req *r = container_of(base, struct vcd_crypt_req, base);

	if (!r->inline_bufs) {
		kvfree(r->src);
		kvfree(r->dst);
	}
	if (r->sg != r->sg_inline)
		kfree(r->sg);
	kfree(r);
}

struct vcd_crypt_req *vcd_crypt_alloc(unsigned int len)
{
	struct vcd_crypt_req *r;
	bool inl = len <= VCD_INLINE_MAX;
	unsigned int nsg;

	r = kzalloc(sizeof(*r) + (inl ? 2 * len : 0), GFP_KERNEL);
	if (!r)
		return NULL;
	vcd_req_init(&r->base, vcd_crypt_release);
	r->len = len;
	r->inline_bufs = inl;
	r->sg = r->sg_inline;
	if (inl) {
		r->src = r->data;
		r->dst = r->data + len;
	} else {
		r->src = kvmalloc(len, GFP_KERNEL);
		r->dst = kvmalloc(len, GFP_KERNEL);
		if (!r->src || !r->dst)
			goto fail;
	}
	nsg = 4 + vcd_sg_count(r->src, len) + vcd_sg_count(r->dst, len);
	if (nsg > VCD_SG_INLINE) {
		r->sg = kmalloc_array(nsg, sizeof(*r->sg), GFP_KERNEL);
		if (!r->sg)
			goto fail;
	}
	return r;
fail:
	vcd_crypt_release(&r->base);
	return NULL;
}

void vcd_crypt_free(struct vcd_crypt_req *r)
{
	vcd_req_put(&r->base);
}

/*
 * Run @r with session @s.  @iv holds s->cipher->ivsize bytes.  On success
 * r->dst (and r->mac for a MAC session) hold the device's output.
 */
int vcd_crypt_run(struct vcd_session *s, struct vcd_crypt_req *r,
		  bool encrypt, const u8 *iv)
{
	struct virtio_crypto_op_data_req *h = &r->hdr;
	struct scatterlist *sgs[6], *sg = r->sg;
	unsigned int ivsize = s->cipher->ivsize;
	unsigned int out = 0, in = 0, n;
	int err;

	h->header.opcode = cpu_to_le32(encrypt ? VIRTIO_CRYPTO_CIPHER_ENCRYPT :
					       VIRTIO_CRYPTO_CIPHER_DECRYPT);
	h->header.algo = cpu_to_le32(s->cipher->virtio_algo);
	h->header.session_id = cpu_to_le64(encrypt ? s->enc_session :
						     s->dec_session);
	if (s->mac) {
		struct virtio_crypto_alg_chain_data_para *p;

		p = &h->u.sym_req.u.chain.para;
		h->u.sym_req.op_type =
			cpu_to_le32(VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING);
		p->iv_len = cpu_to_le32(ivsize);
		p->src_data_len = cpu_to_le32(r->len);
		p->dst_data_len = cpu_to_le32(r->len);
		p->len_to_cipher = cpu_to_le32(r->len);
		p->len_to_hash = cpu_to_le32(r->len);
		p->hash_result_len = cpu_to_le32(s->mac->digestsize);
	} else {
		struct virtio_crypto_cipher_para *p;

		p = &h->u.sym_req.u.cipher.para;
		h->u.sym_req.op_type = cpu_to_le32(VIRTIO_CRYPTO_SYM_OP_CIPHER);
		p->iv_len = cpu_to_le32(ivsize);
		p->src_data_len = cpu_to_le32(r->len);
		p->dst_data_len = cpu_to_le32(r->len);
	}
	if (ivsize)
		memcpy(r->iv, iv, ivsize);
	r->status = VIRTIO_CRYPTO_ERR;

	sg_init_one(sg, h, sizeof(*h));
	sgs[out++] = sg++;
	if (ivsize) {
		sg_init_one(sg, r->iv, ivsize);
		sgs[out++] = sg++;
	}
	n = vcd_sg_count(r->src, r->len);
	vcd_sg_map(sg, n, r->src, r->len);
	sgs[out++] = sg;
	sg += n;
	n = vcd_sg_count(r->dst, r->len);
	vcd_sg_map(sg, n, r->dst, r->len);
	sgs[out + in++] = sg;
	sg += n;
	if (s->mac) {
		sg_init_one(sg, r->mac, s->mac->digestsize);
		sgs[out + in++] = sg++;
	}
	sg_init_one(sg, &r->status, sizeof(r->status));
	sgs[out + in++] = sg;

	err = vcd_queue_submit(s->q, &r->base, sgs, out, in, true);
	if (err)
		return vcd_device_check(s->dev, err);
	err = vcd_status_to_errno(r->status);
	if (err)
		atomic64_inc(&s->q->stats.errors);
	else
		atomic64_add(r->len, &s->q->stats.bytes);
	return err;
}
