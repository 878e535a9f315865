// SPDX-License-Identifier: GPL-2.0-only
/*
 * vcd_dev_op.c - one piece of an operation as a virtio-crypto data request.
 *
 * Owns the data request of one piece of a job: one allocation holding the
 * header, IV, digest and status (all device-visible, never on the stack),
 * the scatterlists describing the piece's bytes of the job's buffers, and
 * the descriptor chain the virtio spec defines: readable [header][iv][src],
 * writable [dst][digest][status].  A plain cipher request is op_type
 * CIPHER; a cipher with a MAC, or a hash or HMAC alone (cipher
 * VIRTIO_CRYPTO_NO_CIPHER, no destination), is an algorithm chain.  A CTR
 * tail shorter than a block goes through the request's own 16-byte buffers,
 * padded, because some back-ends refuse partial blocks.  Pieces of a job
 * are kept in order on the job; reaping them waits for each, re-creates a
 * device session the device lost (INVSESS) and runs that piece once more,
 * copies CTR tails and the digest out, and gives the first error.  It does
 * not split jobs or chain IVs (vcd_job.c).
 */
#include <linux/slab.h>

#include "vcd_devsess.h"
#include "vcd_job.h"

struct vcd_dreq {
	struct vcd_req base;
	struct list_head node;		/* job->pieces, the owner reference */
	struct vcd_job *job;		/* referenced */
	u64 sid;
	size_t boff, len;		/* bytes of the job's buffers */
	bool tail;			/* through tail_in/tail_out */
	bool retried;			/* sent again after INVSESS */
	struct virtio_crypto_op_data_req hdr;
	u8 iv[VCD_MAX_IV];
	u8 digest[VCD_MAX_DIGEST];
	u8 tail_in[VCD_MAX_BLOCK];
	u8 tail_out[VCD_MAX_BLOCK];
	u8 status;
	struct scatterlist fixed[6];
	struct scatterlist *sg;		/* src and dst entries */
};

static const struct vcd_buf *vcd_job_outbuf(const struct vcd_job *job)
{
	if (!job->s->cipher)
		return NULL;
	return job->dst.kind != VCD_BUF_NONE ? &job->dst : &job->src;
}

/* Largest piece the device takes in one request for this job. */
size_t vcd_dev_piece_max(const struct vcd_job *job)
{
	struct vcd_device *dev = job->s->dev;
	unsigned int sides = job->s->cipher ? 2 : 1;
	unsigned int per_side = (job->s->q->max_sg - 4) / sides;
	size_t lim = vcd_param_max_request;

	lim = min_t(size_t, lim, (size_t)(per_side - 1) * PAGE_SIZE);
	if (dev->max_size < 2 * VCD_MAX_DIGEST)
		return 0;
	lim = min_t(u64, lim, (dev->max_size - 2 * VCD_MAX_DIGEST) / 2);
	lim = round_down(lim, VCD_MAX_BLOCK);
	return lim;
}

static void vcd_dreq_release(struct vcd_req *base)
{
	struct vcd_dreq *r = container_of(base, struct vcd_dreq, base);

	kvfree(r->sg);
	vcd_job_put(r->job);
	kfree(r);
}

static void vcd_dreq_complete(struct vcd_req *base)
{
	struct vcd_dreq *r = container_of(base, struct vcd_dreq, base);

	vcd_job_piece_returned(r->job);
}

static void vcd_dreq_header(struct vcd_dreq *r, size_t dlen)
{
	struct vcd_session *s = r->job->s;
	struct virtio_crypto_op_data_req *h = &r->hdr;
	unsigned int ivsize = s->cipher ? s->cipher->ivsize : 0;
	size_t len = r->len;

	h->header.opcode = cpu_to_le32(r->job->encrypt ?
				       VIRTIO_CRYPTO_CIPHER_ENCRYPT :
				       VIRTIO_CRYPTO_CIPHER_DECRYPT);
	h->header.algo = cpu_to_le32(s->cipher ? s->cipher->virtio_algo :
				     VIRTIO_CRYPTO_NO_CIPHER);
	h->header.session_id = cpu_to_le64(r->sid);
	if (s->mac) {
		struct virtio_crypto_alg_chain_data_para *p;

		p = &h->u.sym_req.u.chain.para;
		h->u.sym_req.op_type =
			cpu_to_le32(VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING);
		p->iv_len = cpu_to_le32(ivsize);
		p->src_data_len = cpu_to_le32(len);
		p->dst_data_len = cpu_to_le32(s->cipher ? len : 0);
		p->len_to_cipher = cpu_to_le32(s->cipher ? len : 0);
		p->len_to_hash = cpu_to_le32(len);
		p->hash_result_len = cpu_to_le32(s->mac->digestsize);
	} else {
		struct virtio_crypto_cipher_para *p;

		p = &h->u.sym_req.u.cipher.para;
		h->u.sym_req.op_type = cpu_to_le32(VIRTIO_CRYPTO_SYM_OP_CIPHER);
		p->iv_len = cpu_to_le32(ivsize);
		p->src_data_len = cpu_to_le32(dlen);
		p->dst_data_len = cpu_to_le32(dlen);
	}
}

/*
 * Build and add one request for bytes [boff, boff + len) of the job's
 * buffers with device session @sid and IV @iv.  With @async the request
 * asks for an interrupt and tells the job when it comes back.  The request
 * goes on job->pieces (the owner's reference).
 */
int vcd_dev_piece_submit(struct vcd_job *job, u64 sid, size_t boff,
			 size_t len, const u8 *iv, bool async)
{
	struct vcd_session *s = job->s;
	const struct vcd_buf *out = vcd_job_outbuf(job);
	unsigned int ivsize = s->cipher ? s->cipher->ivsize : 0;
	size_t max_seg = min_t(size_t, virtio_max_dma_size(s->dev->vdev),
			       1U << 30);
	struct scatterlist *sgs[6], *fx;
	unsigned int nout = 0, nin = 0;
	int nsrc = 0, ndst = 0, err;
	struct vcd_dreq *r;

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	vcd_req_init(&r->base, vcd_dreq_release);
	vcd_job_get(job);
	r->job = job;
	r->sid = sid;
	r->boff = boff;
	r->len = len;
	r->tail = s->cipher && len % VCD_MAX_BLOCK && s->cipher->blocksize == 1;
	if (async) {
		r->base.want_irq = job->irq_each;
		r->base.complete = vcd_dreq_complete;
	}
	if (!r->tail && len) {
		nsrc = vcd_buf_sg(&job->src, boff, len, NULL, U32_MAX, max_seg);
		if (out)
			ndst = vcd_buf_sg(out, boff, len, NULL, U32_MAX,
					  max_seg);
		if (nsrc + ndst + 4 > s->q->max_sg) {
			err = -E2BIG;	/* vcd_dev_piece_max() prevents it */
			goto fail;
		}
		r->sg = kvmalloc_array(nsrc + ndst, sizeof(*r->sg), GFP_KERNEL);
		if (!r->sg) {
			err = -ENOMEM;
			goto fail;
		}
	}
	vcd_dreq_header(r, r->tail ? VCD_MAX_BLOCK : len);
	if (ivsize)
		memcpy(r->iv, iv, ivsize);
	r->status = VIRTIO_CRYPTO_ERR;

	fx = r->fixed;
	sg_init_one(fx, &r->hdr, sizeof(r->hdr));
	sgs[nout++] = fx++;
	if (ivsize) {
		sg_init_one(fx, r->iv, ivsize);
		sgs[nout++] = fx++;
	}
	if (r->tail) {
		vcd_buf_read(&job->src, boff, r->tail_in, len);
		sg_init_one(fx, r->tail_in, VCD_MAX_BLOCK);
		sgs[nout++] = fx++;
		sg_init_one(fx, r->tail_out, VCD_MAX_BLOCK);
		sgs[nout + nin++] = fx++;
	} else {
		if (nsrc) {
			sg_init_table(r->sg, nsrc);
			vcd_buf_sg(&job->src, boff, len, r->sg, nsrc, max_seg);
			sgs[nout++] = r->sg;
		}
		if (ndst) {
			sg_init_table(r->sg + nsrc, ndst);
			vcd_buf_sg(out, boff, len, r->sg + nsrc, ndst, max_seg);
			sgs[nout + nin++] = r->sg + nsrc;
		}
	}
	if (s->mac) {
		sg_init_one(fx, r->digest, s->mac->digestsize);
		sgs[nout + nin++] = fx++;
	}
	sg_init_one(fx, &r->status, sizeof(r->status));
	sgs[nout + nin++] = fx;

	if (async)
		atomic_inc(&job->pending);
	err = vcd_queue_add(s->q, &r->base, sgs, nout, nin);
	if (err) {
		if (async)
			atomic_dec(&job->pending);
		goto fail;
	}
	list_add_tail(&r->node, &job->pieces);
	return 0;
fail:
	vcd_req_put(&r->base);
	return err;
}

/* One returned piece: status, CTR tail and digest out; 0 or -errno. */
static int vcd_dreq_result(struct vcd_dreq *r)
{
	struct vcd_job *job = r->job;
	const struct vcd_buf *out = vcd_job_outbuf(job);
	int err = vcd_status_to_errno(r->status);

	if (err) {
		atomic64_inc(&job->s->q->stats.errors);
		if (r->status == VIRTIO_CRYPTO_ERR)
			vcd_device_set_health(job->s->dev, false);
		return err;
	}
	if (r->tail)
		vcd_buf_write(out, r->boff, r->tail_out, r->len);
	if (job->s->mac)
		memcpy(job->mac, r->digest, job->s->mac->digestsize);
	atomic64_add(r->len, &job->s->q->stats.bytes);
	vcd_device_set_health(job->s->dev, true);
	return 0;
}

/* Take @r off the job and drop the owner's reference. */
static void vcd_dreq_done(struct vcd_dreq *r)
{
	list_del(&r->node);
	vcd_req_put(&r->base);
}

/*
 * Wait for every piece of @job in order and collect its results (process
 * context).  A piece the device answered INVSESS for runs once more on a
 * new device session.  Returns 0 or the first error; the list is empty
 * afterwards in every case (pieces still on the device keep their buffers
 * through their own reference).
 */
int vcd_dev_pieces_reap(struct vcd_job *job, bool killable)
{
	struct vcd_dreq *r, *nr;
	int first = 0;

	while ((r = list_first_entry_or_null(&job->pieces, struct vcd_dreq,
					     node))) {
		int err = first == -EINTR ? -EINTR :
			  vcd_req_wait(&r->base, killable);

		if (!err && r->status == VIRTIO_CRYPTO_INVSESS &&
		    job->slot_held && !r->retried) {
			u64 sid;

			/* The device lost the session: make it again. */
			err = vcd_dsess_renew(job->s, job->slot, r->sid, &sid);
			if (!err)
				err = vcd_dev_piece_submit(job, sid, r->boff,
							   r->len, r->iv,
							   false);
			if (!err) {
				nr = list_last_entry(&job->pieces,
						     struct vcd_dreq, node);
				nr->retried = true;
				list_move(&nr->node, &job->pieces);
				vcd_dreq_done(r);
				continue;	/* wait for the new one */
			}
		} else if (!err) {
			err = vcd_dreq_result(r);
		}
		if (err == -ETIMEDOUT)
			err = -EIO;
		if (err && !first)
			first = err;
		vcd_dreq_done(r);
	}
	return first;
}
