// SPDX-License-Identifier: GPL-2.0-only
/*
 * vcd_devsess.c - device sessions as a cache of the cryptodev sessions.
 *
 * Owns the virtio-crypto sessions behind cryptodev sessions: the control
 * requests that create and destroy them, and the per-device cache that
 * makes the number of cryptodev sessions independent of the device's
 * session table.  A cryptodev session keeps its parameters and keys
 * (vcd_session.c); a device session is made when an operation first needs
 * it (one per direction, a hash needs one), sits on a least-recently-used
 * list while it lives, and is destroyed when the cryptodev session goes.
 * When the device refuses a create and we hold an idle device session, the
 * least recently used idle one is destroyed and the create tried again;
 * when the device answers a data request with INVSESS (it restarted and
 * lost its table), the id is forgotten, not destroyed, and a new one made.
 * The device answers "error" both when its table is full and when it does
 * not do an algorithm, so a per-device verdict per (cipher, mac, key
 * length) remembers which algorithms it accepted; an algorithm it refuses
 * with nothing left to evict runs in the guest kernel instead.  Destroys
 * never wait: close() must not hang on a dead or busy device; one that
 * comes while the device is being reset is sent once it is back.  Does not
 * own data requests (vcd_dev_op.c).
 */
#include <linux/slab.h>

#include "vcd_devsess.h"

struct vcd_ctrl_req {
	struct vcd_req base;
	struct virtio_crypto_op_ctrl_req ctrl;
	union {
		struct virtio_crypto_session_input input;
		struct virtio_crypto_inhdr inhdr;
	} in;
	struct scatterlist sg[4];
	unsigned int keylen, mackeylen;
	u8 keys[];
};

struct vcd_pending_destroy {
	struct list_head node;
	u64 id;
	u32 qindex;
};

void vcd_dsess_cache_init(struct vcd_device *dev)
{
	struct vcd_dsess_cache *c = &dev->cache;

	spin_lock_init(&c->lock);
	INIT_LIST_HEAD(&c->lru);
	INIT_LIST_HEAD(&c->pending);
	mutex_init(&c->create_lock);
}

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

/* Put a control request on the ring: [ctrl][key][mac key] | [in]. */
static int vcd_ctrl_add(struct vcd_device *dev, struct vcd_ctrl_req *r,
			unsigned int in_len)
{
	struct scatterlist *sgs[4], *sg = r->sg;
	unsigned int out = 0;

	sg_init_one(sg, &r->ctrl, sizeof(r->ctrl));
	sgs[out++] = sg++;
	if (r->keylen) {
		sg_init_one(sg, r->keys, r->keylen);
		sgs[out++] = sg++;
	}
	if (r->mackeylen) {
		sg_init_one(sg, r->keys + r->keylen, r->mackeylen);
		sgs[out++] = sg++;
	}
	sg_init_one(sg, &r->in, in_len);
	sgs[out] = sg;
	return vcd_queue_add(&dev->ctrlq, &r->base, sgs, out, 1);
}

/* Run a control request and wait for it (uninterruptibly, timeout_ms). */
static int vcd_ctrl_run(struct vcd_device *dev, struct vcd_ctrl_req *r,
			unsigned int in_len)
{
	int err = vcd_ctrl_add(dev, r, in_len);

	if (!err)
		err = vcd_req_wait(&r->base, false);
	return err == -ETIMEDOUT ? -EIO : err;
}

/*
 * Fill the create request of @s for direction @op.  A hash or HMAC alone is
 * an algorithm chain without a cipher (QEMU forwards those to a vhost-user
 * back-end, and answers HASH/MAC sessions NOTSUPP itself).
 */
static void vcd_dsess_fill(const struct vcd_session *s, u8 op,
			   struct vcd_ctrl_req *r)
{
	struct virtio_crypto_sym_create_session_req *sym;
	struct virtio_crypto_cipher_session_para *cp;
	struct virtio_crypto_alg_chain_session_para *ch;
	const struct vcd_alg *mac = s->mac;

	r->ctrl.header.opcode = cpu_to_le32(VIRTIO_CRYPTO_CIPHER_CREATE_SESSION);
	r->ctrl.header.algo = cpu_to_le32(s->cipher ? s->cipher->virtio_algo :
					  VIRTIO_CRYPTO_NO_CIPHER);
	r->ctrl.header.queue_id = cpu_to_le32(s->qindex);
	sym = &r->ctrl.u.sym_create_session;
	if (!mac) {
		sym->op_type = cpu_to_le32(VIRTIO_CRYPTO_SYM_OP_CIPHER);
		cp = &sym->u.cipher.para;
	} else {
		ch = &sym->u.chain.para;
		sym->op_type = cpu_to_le32(VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING);
		/* cryptodev-linux hashes the plaintext. */
		ch->alg_chain_order = cpu_to_le32(op == VIRTIO_CRYPTO_OP_ENCRYPT ?
			VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_HASH_THEN_CIPHER :
			VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_CIPHER_THEN_HASH);
		if (mac->kind == VCD_ALG_HMAC) {
			ch->hash_mode = cpu_to_le32(VIRTIO_CRYPTO_SYM_HASH_MODE_AUTH);
			ch->u.mac_param.algo = cpu_to_le32(mac->virtio_algo);
			ch->u.mac_param.hash_result_len =
				cpu_to_le32(mac->digestsize);
			ch->u.mac_param.auth_key_len = cpu_to_le32(s->mackeylen);
		} else {
			ch->hash_mode = cpu_to_le32(VIRTIO_CRYPTO_SYM_HASH_MODE_PLAIN);
			ch->u.hash_param.algo = cpu_to_le32(mac->virtio_algo);
			ch->u.hash_param.hash_result_len =
				cpu_to_le32(mac->digestsize);
		}
		cp = &ch->cipher_param;
	}
	cp->algo = cpu_to_le32(s->cipher ? s->cipher->virtio_algo :
			       VIRTIO_CRYPTO_NO_CIPHER);
	cp->keylen = cpu_to_le32(s->cipher ? s->keylen : 0);
	cp->op = cpu_to_le32(s->cipher ? op : VIRTIO_CRYPTO_OP_ENCRYPT);
	r->in.input.status = cpu_to_le32(VIRTIO_CRYPTO_ERR);
}

/*
 * One CREATE_SESSION.  0 with *id set; -EAGAIN when the device refused
 * (table full or algorithm not served: it does not say which); -EINVAL for
 * a rejected key; -EOPNOTSUPP for NOTSUPP; -EIO/-ENODEV/-ENOMEM when the
 * request did not get through.
 */
static int vcd_dsess_create(struct vcd_session *s, u8 op, u64 *id)
{
	unsigned int keylen = s->cipher ? s->keylen : 0;
	unsigned int mackeylen = s->mac && s->mac->kind == VCD_ALG_HMAC ?
				 s->mackeylen : 0;
	struct vcd_ctrl_req *r;
	u32 status;
	int err;

	r = vcd_ctrl_alloc(keylen, mackeylen);
	if (!r)
		return -ENOMEM;
	memcpy(r->keys, s->key, keylen);
	memcpy(r->keys + keylen, vcd_session_mackey(s), mackeylen);
	vcd_dsess_fill(s, op, r);
	err = vcd_ctrl_run(s->dev, r, sizeof(r->in.input));
	if (!err) {
		status = le32_to_cpu(r->in.input.status);
		if (status == VIRTIO_CRYPTO_OK) {
			vcd_device_set_health(s->dev, true);
			*id = le64_to_cpu(r->in.input.session_id);
			atomic64_inc(&s->dev->cache.creates);
		} else if (status == VIRTIO_CRYPTO_NOTSUPP) {
			err = -EOPNOTSUPP;
		} else if (status == VIRTIO_CRYPTO_KEY_REJECTED) {
			err = -EINVAL;
		} else {
			err = -EAGAIN;
		}
	}
	vcd_req_put(&r->base);
	return err;
}

static void vcd_destroy_fill(struct vcd_ctrl_req *r, u64 id, u32 qindex)
{
	r->ctrl.header.opcode =
		cpu_to_le32(VIRTIO_CRYPTO_CIPHER_DESTROY_SESSION);
	r->ctrl.header.queue_id = cpu_to_le32(qindex);
	r->ctrl.u.destroy_session.session_id = cpu_to_le64(id);
	r->in.inhdr.status = VIRTIO_CRYPTO_ERR;
}

/* Destroy @id and wait for the answer (eviction: the slot must be free). */
static void vcd_dsess_destroy_sync(struct vcd_device *dev, u64 id, u32 qindex)
{
	struct vcd_ctrl_req *r = vcd_ctrl_alloc(0, 0);

	if (!r)
		return;
	vcd_destroy_fill(r, id, qindex);
	if (!vcd_ctrl_run(dev, r, sizeof(r->in.inhdr)) &&
	    r->in.inhdr.status != VIRTIO_CRYPTO_OK)
		pr_debug(VCD_DRIVER_NAME ": %s: destroy session %llu: status %u\n",
			 dev->name, id, r->in.inhdr.status);
	vcd_req_put(&r->base);
}

/*
 * Destroy @id without waiting.  While the device is being reset the id is
 * kept and sent when it is back; a removed device forgets it.
 */
static void vcd_dsess_destroy_async(struct vcd_device *dev, u64 id,
				    u32 qindex)
{
	struct vcd_pending_destroy *p;
	struct vcd_ctrl_req *r;
	unsigned long flags;

	if (READ_ONCE(dev->ctrlq.state) == VCD_Q_DOWN) {
		p = kmalloc(sizeof(*p), GFP_KERNEL);
		if (!p)
			return;
		p->id = id;
		p->qindex = qindex;
		spin_lock_irqsave(&dev->cache.lock, flags);
		list_add_tail(&p->node, &dev->cache.pending);
		spin_unlock_irqrestore(&dev->cache.lock, flags);
		return;
	}
	if (READ_ONCE(dev->ctrlq.state) == VCD_Q_DEAD)
		return;
	r = vcd_ctrl_alloc(0, 0);
	if (!r)
		return;
	vcd_destroy_fill(r, id, qindex);
	r->base.want_irq = true;	/* nobody waits: the irq harvests it */
	vcd_ctrl_add(dev, r, sizeof(r->in.inhdr));
	vcd_req_put(&r->base);	/* the device's reference frees it */
}

/* Send the destroys that waited for a reset or resume to finish. */
void vcd_dsess_flush_destroys(struct vcd_device *dev)
{
	struct vcd_pending_destroy *p, *tmp;
	unsigned long flags;
	LIST_HEAD(list);

	spin_lock_irqsave(&dev->cache.lock, flags);
	list_splice_init(&dev->cache.pending, &list);
	spin_unlock_irqrestore(&dev->cache.lock, flags);
	list_for_each_entry_safe(p, tmp, &list, node) {
		vcd_dsess_destroy_async(dev, p->id, p->qindex);
		kfree(p);
	}
}

/* After a reset: the device may be another back-end now. */
void vcd_dsess_device_reset(struct vcd_device *dev)
{
	dev->cache.nverdicts = 0;	/* state_lock held, queues down */
}

/* The device was removed: nothing of it is ever destroyed again. */
void vcd_dsess_device_gone(struct vcd_device *dev)
{
	struct vcd_dsess_cache *c = &dev->cache;
	struct vcd_pending_destroy *p, *tmp;
	struct vcd_dsess *ds, *dtmp;
	unsigned long flags;
	LIST_HEAD(list);

	spin_lock_irqsave(&c->lock, flags);
	list_for_each_entry_safe(ds, dtmp, &c->lru, lru) {
		ds->live = false;
		list_del_init(&ds->lru);
	}
	c->live = 0;
	list_splice_init(&c->pending, &list);
	spin_unlock_irqrestore(&c->lock, flags);
	list_for_each_entry_safe(p, tmp, &list, node)
		kfree(p);
}

/* The verdict on the algorithm of @s: 1 accepted, 0 refused, -1 unknown. */
static int vcd_verdict(struct vcd_session *s)
{
	struct vcd_dsess_cache *c = &s->dev->cache;
	u32 cipher = s->cipher ? s->cipher->id : 0;
	u32 mac = s->mac ? s->mac->id : 0;
	unsigned int i;

	for (i = 0; i < c->nverdicts; i++)
		if (c->verdicts[i].cipher == cipher &&
		    c->verdicts[i].mac == mac &&
		    c->verdicts[i].keylen == s->keylen)
			return c->verdicts[i].ok;
	return -1;
}

static void vcd_set_verdict(struct vcd_session *s, bool ok)
{
	struct vcd_dsess_cache *c = &s->dev->cache;
	struct vcd_dsess_verdict *v;

	if (vcd_verdict(s) >= 0 || c->nverdicts == ARRAY_SIZE(c->verdicts))
		return;
	v = &c->verdicts[c->nverdicts++];
	v->cipher = s->cipher ? s->cipher->id : 0;
	v->mac = s->mac ? s->mac->id : 0;
	v->keylen = s->keylen;
	v->ok = ok;
}

/*
 * Destroy the least recently used idle device session of @dev; false when
 * every one is busy (or there is none).  create_lock held.
 */
static bool vcd_dsess_evict_one(struct vcd_device *dev)
{
	struct vcd_dsess_cache *c = &dev->cache;
	struct vcd_dsess *ds, *victim = NULL;
	unsigned long flags;
	u32 qindex = 0;
	u64 id = 0;

	spin_lock_irqsave(&c->lock, flags);
	list_for_each_entry(ds, &c->lru, lru) {
		if (!ds->busy) {
			victim = ds;
			break;
		}
	}
	if (victim) {
		victim->live = false;
		list_del_init(&victim->lru);
		c->live--;
		id = victim->id;
		qindex = victim->s->qindex;
	}
	spin_unlock_irqrestore(&c->lock, flags);
	if (!victim)
		return false;
	atomic64_inc(&c->evictions);
	vcd_dsess_destroy_sync(dev, id, qindex);
	return true;
}

/* Take slot @ds if it is live: busy + 1 and most recently used. */
static bool vcd_dsess_take(struct vcd_dsess_cache *c, struct vcd_dsess *ds,
			   bool count, u64 *id)
{
	unsigned long flags;
	bool live;

	spin_lock_irqsave(&c->lock, flags);
	live = ds->live;
	if (live) {
		if (count)
			ds->busy++;
		list_move_tail(&ds->lru, &c->lru);
		*id = ds->id;
	}
	spin_unlock_irqrestore(&c->lock, flags);
	return live;
}

/*
 * Make slot @ds live; create_lock held.  Refused creates evict idle device
 * sessions: for an algorithm the device accepted before, as long as there
 * are some (its table is full); for one not yet seen, once (if it still
 * refuses, it does not do the algorithm).
 */
static int vcd_dsess_make(struct vcd_session *s, struct vcd_dsess *ds,
			  bool count, u64 *id)
{
	struct vcd_dsess_cache *c = &s->dev->cache;
	unsigned long flags;
	bool evicted = false;
	int verdict, err;
	u64 newid;

	for (;;) {
		verdict = vcd_verdict(s);
		if (verdict == 0)
			return -EOPNOTSUPP;
		err = vcd_dsess_create(s, ds->op, &newid);
		if (!err)
			break;
		if (err == -EOPNOTSUPP) {
			vcd_set_verdict(s, false);
			return err;
		}
		if (err != -EAGAIN)
			return err;
		if (verdict == -1 && evicted) {
			vcd_set_verdict(s, false);
			return -EOPNOTSUPP;
		}
		if (!vcd_dsess_evict_one(s->dev)) {
			if (verdict == 1)
				return -EBUSY;	/* full of busy sessions */
			vcd_set_verdict(s, false);
			return -EOPNOTSUPP;
		}
		evicted = true;
	}
	vcd_set_verdict(s, true);
	spin_lock_irqsave(&c->lock, flags);
	ds->id = newid;
	ds->live = true;
	if (count)
		ds->busy++;
	list_add_tail(&ds->lru, &c->lru);
	c->live++;
	spin_unlock_irqrestore(&c->lock, flags);
	*id = newid;
	return 0;
}

/*
 * A device session id for slot @slot of @s, made if needed; the slot stays
 * busy (never evicted) until vcd_dsess_release().  -EBUSY: the device is
 * full of busy sessions; -EOPNOTSUPP: it does not take this session (run it
 * in the guest kernel); -EINVAL: it rejected the key; -EIO, -ENODEV.
 */
int vcd_dsess_acquire(struct vcd_session *s, unsigned int slot, u64 *id)
{
	struct vcd_dsess *ds = &s->ds[slot];
	struct vcd_dsess_cache *c = &s->dev->cache;
	int err;

	if (vcd_dsess_take(c, ds, true, id))
		return 0;
	mutex_lock(&c->create_lock);
	if (vcd_dsess_take(c, ds, true, id))
		err = 0;
	else
		err = vcd_dsess_make(s, ds, true, id);
	mutex_unlock(&c->create_lock);
	return err;
}

/*
 * The device answered INVSESS for @lost_id of a slot we hold busy: forget it
 * (it is not the device's any more, so it is never destroyed) and make a
 * new one; the slot stays busy.
 */
int vcd_dsess_renew(struct vcd_session *s, unsigned int slot, u64 lost_id,
		    u64 *id)
{
	struct vcd_dsess *ds = &s->ds[slot];
	struct vcd_dsess_cache *c = &s->dev->cache;
	unsigned long flags;
	int err;

	mutex_lock(&c->create_lock);
	spin_lock_irqsave(&c->lock, flags);
	if (ds->live && ds->id == lost_id) {
		ds->live = false;
		list_del_init(&ds->lru);
		c->live--;
	}
	spin_unlock_irqrestore(&c->lock, flags);
	atomic64_inc(&c->recreates);
	if (vcd_dsess_take(c, ds, false, id))
		err = 0;
	else
		err = vcd_dsess_make(s, ds, false, id);
	mutex_unlock(&c->create_lock);
	return err;
}

/* Any context. */
void vcd_dsess_release(struct vcd_session *s, unsigned int slot)
{
	struct vcd_dsess_cache *c = &s->dev->cache;
	unsigned long flags;

	spin_lock_irqsave(&c->lock, flags);
	s->ds[slot].busy--;
	spin_unlock_irqrestore(&c->lock, flags);
}

/*
 * At CIOCGSESSION: does the device take this session?  An algorithm it
 * accepted before is assumed (its device session is made on first use)
 * unless the device failed since it last answered; otherwise one device
 * session is made now and kept.  0 or -EOPNOTSUPP
 * (run in the guest kernel), -EINVAL (key rejected), -EIO, -ENODEV.
 */
int vcd_dsess_probe(struct vcd_session *s)
{
	struct vcd_dsess_cache *c = &s->dev->cache;
	int verdict, err;
	u64 id;

	mutex_lock(&c->create_lock);
	verdict = vcd_verdict(s);
	mutex_unlock(&c->create_lock);
	if (verdict == 1 && !READ_ONCE(s->dev->unhealthy))
		return 0;
	if (verdict == 0)
		return -EOPNOTSUPP;
	err = vcd_dsess_acquire(s, VCD_DS_ENC, &id);
	if (!err) {
		vcd_dsess_release(s, VCD_DS_ENC);
		return 0;
	}
	if (READ_ONCE(s->dev->unhealthy))
		return -EIO;	/* a device that stopped answering */
	return err == -EBUSY ? 0 : err;
}

/* The cryptodev session is going: destroy its device sessions. */
void vcd_dsess_drop(struct vcd_session *s)
{
	struct vcd_dsess_cache *c = &s->dev->cache;
	unsigned long flags;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(s->ds); i++) {
		struct vcd_dsess *ds = &s->ds[i];
		bool live;
		u64 id;

		spin_lock_irqsave(&c->lock, flags);
		live = ds->live;
		id = ds->id;
		if (live) {
			ds->live = false;
			list_del_init(&ds->lru);
			c->live--;
		}
		spin_unlock_irqrestore(&c->lock, flags);
		if (live)
			vcd_dsess_destroy_async(s->dev, id, s->qindex);
	}
}
