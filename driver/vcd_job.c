// SPDX-License-Identifier: GPL-2.0-only
/*
 * vcd_job.c - one CIOCCRYPT operation, with cryptodev-linux's semantics.
 *
 * Owns an operation from the caller's crypt_op to its results: the argument
 * checks and errno values, the IV (the caller's, or the one the session's
 * previous operation left; the IV after the operation as the kernel's
 * cbc/ctr would leave it), the hash flags (COP_FLAG_UPDATE, FINAL, RESET,
 * one-shot with flags 0), and where it runs: on the device when the session
 * is there and the device can do it in one request or in pieces (ciphers
 * are split into pieces of at most vcd_dev_piece_max() bytes: CBC
 * encryption one after another, every other mode all in flight at once;
 * hashes, chained MACs and XTS only whole), otherwise in the guest kernel
 * (multi-part hashing, CFB/OFB/Camellia/Blowfish/NULL, what the device
 * refused or cannot take in one request).  Buffers: the caller's pages for
 * requests of at least zc_threshold bytes (async_zc_threshold for
 * CIOCASYNCCRYPT; unless COP_FLAG_NO_ZC, or src
 * and dst overlap without being equal), else a kernel copy, whole or, for
 * long synchronous requests, one window at a time.  A destination that is
 * not writable fails with EFAULT before the device sees the request.
 * Does not own the device requests (vcd_dev_op.c) or the asynchronous
 * queue (vcd_async.c).
 */
#include <linux/pagemap.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "vcd_async.h"
#include "vcd_devsess.h"
#include "vcd_job.h"
#include "vcd_soft.h"

#define VCD_SOFT_WINDOW	(1U << 20)

void vcd_ctr_add(u8 *iv, u64 blocks)
{
	int i;

	for (i = VCD_MAX_BLOCK - 1; i >= 0 && blocks; i--) {
		u64 sum = iv[i] + (blocks & 0xff);

		iv[i] = sum & 0xff;
		blocks = (blocks >> 8) + (sum >> 8);
	}
}

static void vcd_job_release(struct kref *ref)
{
	struct vcd_job *job = container_of(ref, struct vcd_job, ref);

	WARN_ON(!list_empty(&job->pieces));
	del_timer_sync(&job->timer);
	if (job->slot_held)
		vcd_dsess_release(job->s, job->slot);
	vcd_buf_put(&job->src);
	vcd_buf_put(&job->dst);
	vcd_session_put(job->s);
	memzero_explicit(job->mac, sizeof(job->mac));
	kfree(job);
}

void vcd_job_get(struct vcd_job *job)
{
	kref_get(&job->ref);
}

void vcd_job_put(struct vcd_job *job)
{
	kref_put(&job->ref, vcd_job_release);
}

/* A finished job nobody will fetch: let its pieces go, drop it. */
void vcd_job_drop(struct vcd_job *job)
{
	vcd_dev_pieces_reap(job, false);
	vcd_job_put(job);
}

static void vcd_job_drop_work(struct work_struct *work)
{
	vcd_job_drop(container_of(work, struct vcd_job, free_work));
}

/* vcd_job_drop() from any context (deferred to a work item). */
void vcd_job_drop_any(struct vcd_job *job)
{
	queue_work(vcd_wq, &job->free_work);
}

static void vcd_job_timeout(struct timer_list *t)
{
	struct vcd_job *job = from_timer(job, t, timer);
	LIST_HEAD(done);

	/* Back but not harvested (nobody asked for an interrupt)? */
	vcd_queue_collect(job->s->q, &done);
	vcd_queue_finish(job->s->q, &done);
	if (atomic_read(&job->pending) > 0)
		vcd_device_schedule_reset(job->s->dev,
					  "an asynchronous request got no answer in time");
}

/* The hash flags: start fresh first?  write the digest after? */
static void vcd_job_hash_flags(struct vcd_job *job)
{
	u16 flags = job->cop.flags;
	struct vcd_session *s = job->s;

	mutex_lock(&s->lock);
	/*
	 * cryptodev-linux resets only for flags 0 or COP_FLAG_RESET and
	 * otherwise continues from a state its previous final consumed; here
	 * a state that was finalised starts fresh as well (docs/abi.md).
	 */
	job->reset_hash = !flags || (flags & COP_FLAG_RESET) ||
			  !s->hash_partial;
	mutex_unlock(&s->lock);
	job->final = (flags & COP_FLAG_FINAL) || !(flags & COP_FLAG_UPDATE) ||
		     !job->cop.len;
}

/* Put the operation on the device if it can take it; 0 or -errno. */
static int vcd_job_place(struct vcd_job *job)
{
	struct vcd_session *s = job->s;
	size_t pmax;
	u64 sid;
	int err;

	if (!s->dev || (s->mac && !(job->reset_hash && job->final)))
		return 0;
	pmax = vcd_dev_piece_max(job);
	if (!pmax || (job->cop.len > pmax && (s->mac || !s->cipher->splittable)))
		return 0;
	job->slot = s->cipher && !job->encrypt ? VCD_DS_DEC : VCD_DS_ENC;
	err = vcd_dsess_acquire(s, job->slot, &sid);
	if (err == -EBUSY || err == -EOPNOTSUPP)
		return 0;	/* in the guest kernel after all */
	if (err)
		return err;
	job->slot_held = true;
	job->on_device = true;
	job->window = pmax;
	return 0;
}

/* Current id of the job's device session (made again if it was evicted). */
static int vcd_job_sid(struct vcd_job *job, u64 *sid)
{
	int err = vcd_dsess_acquire(job->s, job->slot, sid);

	if (!err)
		vcd_dsess_release(job->s, job->slot);	/* the job holds it */
	return err;
}

static int vcd_job_buffers(struct vcd_job *job, bool async)
{
	const struct crypt_op *cop = &job->cop;
	struct vcd_session *s = job->s;
	bool has_dst = s->cipher, overlap;
	unsigned int zc_min = async ? vcd_param_async_zc_threshold :
				      vcd_param_zc_threshold;
	size_t len = cop->len, n;
	bool zc;
	int err;

	if (!len)
		return 0;
	job->inplace = has_dst && cop->src == cop->dst;
	overlap = has_dst && !job->inplace &&
		  vcd_user_ranges_overlap(cop->src, cop->dst, len);
	/* Overlapping: exact semantics need a copy of the whole source. */
	zc = !(cop->flags & COP_FLAG_NO_ZC) && zc_min && len >= zc_min &&
	     !overlap;
	if (zc) {
		job->bufs = VCD_JOB_ZC;
		err = vcd_buf_pin(&job->src, cop->src, len, job->inplace);
		if (!err && has_dst && !job->inplace)
			err = vcd_buf_pin(&job->dst, cop->dst, len, true);
		return err;
	}
	if (async || len <= job->window || overlap) {
		job->bufs = VCD_JOB_FULL;
		n = len;
	} else {
		job->bufs = VCD_JOB_WINDOW;
		n = job->window;
	}
	if (has_dst && fault_in_safe_writeable(cop->dst, len))
		return -EFAULT;
	err = vcd_buf_kern(&job->src, n);
	if (!err && has_dst)
		err = vcd_buf_kern(&job->dst, n);
	if (!err && job->bufs == VCD_JOB_FULL &&
	    copy_from_user(job->src.kbuf, cop->src, len))
		err = -EFAULT;
	return err;
}

/*
 * Check @cop against session @s (referenced by the job from now on) and
 * prepare the job: IV, flags, where it runs, its buffers.  @async: the
 * results are collected later by CIOCASYNCFETCH.
 */
int vcd_job_new(struct vcd_session *s, const struct crypt_op *cop,
		bool async, struct vcd_job **out)
{
	unsigned int ivsize = s->cipher ? s->cipher->ivsize : 0;
	struct vcd_job *job;
	int err;

	job = kzalloc(sizeof(*job), GFP_KERNEL);
	if (!job)
		return -ENOMEM;
	kref_init(&job->ref);
	kref_get(&s->ref);
	job->s = s;
	job->cop = *cop;
	INIT_LIST_HEAD(&job->pieces);
	INIT_LIST_HEAD(&job->node);
	job->aq_queue = -1;
	job->irq_each = true;
	atomic_set(&job->pending, 0);
	timer_setup(&job->timer, vcd_job_timeout, 0);
	INIT_WORK(&job->free_work, vcd_job_drop_work);

	err = -EINVAL;
	if (cop->op != COP_ENCRYPT && cop->op != COP_DECRYPT)
		goto fail;
	if (vcd_session_is_aead(s))
		goto fail;	/* AEAD goes through CIOCAUTHCRYPT */
	job->encrypt = cop->op == COP_ENCRYPT;
	if (s->cipher && cop->len % s->cipher->blocksize)
		goto fail;
	if (ivsize) {
		if (cop->iv) {
			err = -EFAULT;
			if (copy_from_user(job->iv, cop->iv, ivsize))
				goto fail;
		} else {
			vcd_session_get_iv(s, job->iv);
		}
	}
	if (s->mac)
		vcd_job_hash_flags(job);
	err = vcd_job_place(job);
	if (err)
		goto fail;
	if (!job->on_device)
		job->window = s->cipher && s->cipher->iv_rule == VCD_IV_SAME ?
			      max_t(size_t, cop->len, 1) : VCD_SOFT_WINDOW;
	err = vcd_job_buffers(job, async);
	if (err)
		goto fail;
	if (s->cipher && s->cipher->iv_rule == VCD_IV_CBC && !job->encrypt &&
	    cop->len && job->bufs != VCD_JOB_WINDOW)
		vcd_buf_read(&job->src, cop->len - ivsize, job->last_in, ivsize);
	*out = job;
	return 0;
fail:
	vcd_job_put(job);
	return err;
}

static const struct vcd_buf *vcd_job_out(const struct vcd_job *job)
{
	return job->dst.kind != VCD_BUF_NONE ? &job->dst : &job->src;
}

/* The IV after a piece of @n bytes at buffer offset @boff. */
static void vcd_job_next_iv(struct vcd_job *job, u8 *iv, size_t boff,
			    size_t n, const u8 *last_in)
{
	const struct vcd_alg *c = job->s->cipher;

	switch (c->iv_rule) {
	case VCD_IV_CBC:
		if (job->encrypt)
			vcd_buf_read(vcd_job_out(job), boff + n - c->ivsize, iv,
				     c->ivsize);
		else
			memcpy(iv, last_in, c->ivsize);
		break;
	case VCD_IV_CTR:
		vcd_ctr_add(iv, DIV_ROUND_UP(n, VCD_MAX_BLOCK));
		break;
	default:
		break;
	}
}

/* The next piece: at most one window; a CTR tail goes alone. */
static size_t vcd_job_piece_len(const struct vcd_job *job, size_t off)
{
	size_t n = min_t(size_t, job->window, job->cop.len - off);

	if (job->s->cipher && job->s->cipher->blocksize == 1 &&
	    n > VCD_MAX_BLOCK && n % VCD_MAX_BLOCK)
		n = round_down(n, VCD_MAX_BLOCK);
	return n;
}

/*
 * On the device, in the calling thread: pieces one after another (CBC
 * encryption, window copies) or all in flight at once.
 */
static int vcd_job_run_device(struct vcd_job *job, bool killable)
{
	const struct vcd_alg *c = job->s->cipher;
	size_t len = job->cop.len, off = 0, n, boff;
	bool window = job->bufs == VCD_JOB_WINDOW;
	bool seq = window || (c && c->iv_rule == VCD_IV_CBC && job->encrypt);
	u8 iv[VCD_MAX_IV], last_in[VCD_MAX_BLOCK];
	int err = 0, err2;
	u64 sid;

	if (c && !len)
		return 0;
	memcpy(iv, job->iv, sizeof(iv));
	do {
		n = vcd_job_piece_len(job, off);
		boff = window ? 0 : off;
		if (window && copy_from_user(job->src.kbuf, job->cop.src + off,
					     n)) {
			err = -EFAULT;
			break;
		}
		if (c && c->iv_rule == VCD_IV_CBC && !job->encrypt)
			vcd_buf_read(&job->src, boff + n - c->ivsize, last_in,
				     c->ivsize);
		err = vcd_job_sid(job, &sid);
		if (!err)
			err = vcd_dev_piece_submit(job, sid, boff, n, iv, false);
		if (err)
			break;
		if (seq) {
			err = vcd_dev_pieces_reap(job, killable);
			if (err)
				break;
			if (window && c &&
			    copy_to_user(job->cop.dst + off, job->dst.kbuf, n)) {
				err = -EFAULT;
				break;
			}
		}
		if (c)
			vcd_job_next_iv(job, iv, boff, n, last_in);
		off += n;
	} while (off < len);
	err2 = vcd_dev_pieces_reap(job, killable);
	if (err)
		return err;
	if (err2)
		return err2;
	memcpy(job->iv, iv, sizeof(iv));
	return 0;
}

/* Scatterlists for bytes [boff, boff + n) of @b (kvfree() them). */
static struct scatterlist *vcd_job_sg(const struct vcd_buf *b, size_t boff,
				      size_t n)
{
	int nsg = vcd_buf_sg(b, boff, n, NULL, U32_MAX, 1U << 30);
	struct scatterlist *sg;

	sg = kvmalloc_array(nsg, sizeof(*sg), GFP_KERNEL);
	if (!sg)
		return NULL;
	sg_init_table(sg, nsg);
	vcd_buf_sg(b, boff, n, sg, nsg, 1U << 30);
	return sg;
}

/* One window in the guest kernel: hash the plaintext, cipher. */
static int vcd_job_soft_window(struct vcd_job *job, struct vcd_soft *soft,
			       size_t boff, size_t n)
{
	struct vcd_session *s = job->s;
	struct scatterlist *src, *dst = NULL;
	int err = -ENOMEM;

	src = vcd_job_sg(&job->src, boff, n);
	if (!src)
		return -ENOMEM;
	if (s->cipher) {
		dst = job->bufs == VCD_JOB_ZC && job->inplace ? src :
		      vcd_job_sg(&job->dst, boff, n);
		if (!dst)
			goto out;
	}
	err = 0;
	if (s->mac && job->encrypt)
		err = vcd_soft_hash_update(soft, src, n);
	if (!err && s->cipher)
		err = vcd_soft_cipher(soft, job->encrypt, job->iv, src, dst, n);
	if (!err && s->mac && !job->encrypt)
		err = vcd_soft_hash_update(soft, dst ? dst : src, n);
out:
	if (dst != src)
		kvfree(dst);
	kvfree(src);
	return err;
}

/* In the guest kernel's crypto API, exactly as cryptodev-linux runs it. */
static int vcd_job_run_soft(struct vcd_job *job)
{
	struct vcd_session *s = job->s;
	size_t len = job->cop.len, off, n, boff;
	bool window = job->bufs == VCD_JOB_WINDOW;
	struct vcd_soft *soft;
	int err;

	mutex_lock(&s->lock);
	err = vcd_session_soft(s, &soft);
	if (!err && s->mac && job->reset_hash)
		err = vcd_soft_hash_init(soft);
	if (err)
		goto out;
	if (!s->mac)
		mutex_unlock(&s->lock);	/* ciphers need no session state */
	for (off = 0; off < len; off += n) {
		n = min_t(size_t, job->window, len - off);
		boff = window ? 0 : off;
		if (window && copy_from_user(job->src.kbuf, job->cop.src + off,
					     n)) {
			err = -EFAULT;
			break;
		}
		err = vcd_job_soft_window(job, soft, boff, n);
		if (err)
			break;
		if (window && s->cipher &&
		    copy_to_user(job->cop.dst + off, job->dst.kbuf, n)) {
			err = -EFAULT;
			break;
		}
	}
	if (!s->mac)
		return err;
	if (!err && job->final) {
		err = vcd_soft_hash_final(soft, job->mac);
		s->hash_partial = false;
	} else if (!err) {
		s->hash_partial = true;
	}
out:
	mutex_unlock(&s->lock);
	return err;
}

/* Run the whole job in the calling thread (process context). */
int vcd_job_run(struct vcd_job *job, bool killable)
{
	if (job->on_device)
		job->result = vcd_job_run_device(job, killable);
	else
		job->result = vcd_job_run_soft(job);
	if (!job->result && job->on_device && job->s->mac) {
		mutex_lock(&job->s->lock);
		job->s->hash_partial = false;	/* a one-shot leaves it fresh */
		mutex_unlock(&job->s->lock);
	}
	return job->result;
}

/* Can CIOCASYNCCRYPT put every piece on the device at once? */
bool vcd_job_can_submit_async(const struct vcd_job *job)
{
	const struct vcd_alg *c = job->s->cipher;

	if (!job->on_device || job->bufs == VCD_JOB_WINDOW ||
	    (c && !job->cop.len))
		return false;
	return !(c && c->iv_rule == VCD_IV_CBC && job->encrypt &&
		 job->cop.len > job->window);
}

/* One asynchronous piece came back (any context). */
void vcd_job_piece_returned(struct vcd_job *job)
{
	if (atomic_dec_and_test(&job->pending)) {
		del_timer(&job->timer);
		vcd_async_job_done(job);
	}
}

/*
 * Put every piece of the job on the device without waiting; the job goes
 * to its file's done list when the last one comes back (or fails).
 */
int vcd_job_submit_async(struct vcd_job *job)
{
	const struct vcd_alg *c = job->s->cipher;
	size_t len = job->cop.len, off = 0, n;
	u8 iv[VCD_MAX_IV], last_in[VCD_MAX_BLOCK];
	int err = 0;
	u64 sid;

	memcpy(iv, job->iv, sizeof(iv));
	atomic_set(&job->pending, 1);	/* ours, until all are submitted */
	if (vcd_param_timeout_ms)
		mod_timer(&job->timer, jiffies +
			  msecs_to_jiffies(vcd_param_timeout_ms));
	do {
		n = vcd_job_piece_len(job, off);
		if (c && c->iv_rule == VCD_IV_CBC && !job->encrypt)
			vcd_buf_read(&job->src, off + n - c->ivsize, last_in,
				     c->ivsize);
		err = vcd_job_sid(job, &sid);
		if (!err)
			err = vcd_dev_piece_submit(job, sid, off, n, iv, true);
		if (err)
			break;
		if (c && !(c->iv_rule == VCD_IV_CBC && job->encrypt))
			vcd_job_next_iv(job, iv, off, n, last_in);
		off += n;
	} while (off < len);
	if (err && list_empty(&job->pieces)) {
		atomic_set(&job->pending, 0);
		del_timer_sync(&job->timer);
		return err;	/* nothing submitted: the caller gets it */
	}
	job->result = err;
	if (!(c && c->iv_rule == VCD_IV_CBC && job->encrypt))
		memcpy(job->iv, iv, sizeof(iv));
	vcd_job_piece_returned(job);
	return 0;
}

/*
 * Results to the caller (process context, the caller's memory): reap what
 * is still on the job, copy a kernel destination out, the IV to the session
 * and with COP_FLAG_WRITE_IV to cop.iv, the digest to cop.mac.
 */
int vcd_job_finish(struct vcd_job *job)
{
	const struct crypt_op *cop = &job->cop;
	struct vcd_session *s = job->s;
	unsigned int ivsize = s->cipher ? s->cipher->ivsize : 0;
	int err;

	err = vcd_dev_pieces_reap(job, true);
	if (!job->result)
		job->result = err;
	err = job->result;
	if (err)
		return err;
	if (s->cipher && cop->len) {
		if (job->bufs == VCD_JOB_FULL &&
		    copy_to_user(cop->dst, job->dst.kbuf, cop->len))
			return -EFAULT;
		/* CBC encryption on the device: the IV is in the output. */
		if (job->on_device && s->cipher->iv_rule == VCD_IV_CBC &&
		    job->encrypt && job->bufs != VCD_JOB_WINDOW)
			vcd_buf_read(vcd_job_out(job), cop->len - ivsize,
				     job->iv, ivsize);
	}
	if (s->mac && job->final &&
	    copy_to_user(cop->mac, job->mac, s->mac->digestsize))
		return -EFAULT;
	if (ivsize) {
		vcd_session_set_iv(s, job->iv);
		if ((cop->flags & COP_FLAG_WRITE_IV) && cop->iv &&
		    copy_to_user(cop->iv, job->iv, ivsize))
			return -EFAULT;
	}
	return 0;
}
