/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vcd_session.h - a cryptodev session: its parameters, keys and where it
 * runs.
 */
#ifndef VCD_SESSION_H
#define VCD_SESSION_H

#include "vcd.h"
#include "vcd_alg.h"

struct vcd_soft;

/* One device session of a cryptodev session (vcd_devsess.c). */
struct vcd_dsess {
	struct list_head lru;	/* dev->cache.lru while live */
	struct vcd_session *s;
	u64 id;
	u8 op;			/* VIRTIO_CRYPTO_OP_ENCRYPT / _DECRYPT */
	bool live;		/* the device holds id */
	unsigned int busy;	/* operations using it now */
};

#define VCD_DS_ENC 0		/* encrypt direction, or the hash session */
#define VCD_DS_DEC 1

struct vcd_session {
	struct kref ref;
	u32 id;				/* cryptodev ses, per open file */
	const struct vcd_alg *cipher;	/* NULL: hash or HMAC only */
	const struct vcd_alg *mac;	/* NULL: cipher only */
	u8 *key;			/* cipher key, then MAC key */
	unsigned int keylen, mackeylen;

	/* On the device (NULL: in the guest kernel only). */
	struct vcd_device *dev;		/* holds a device reference */
	struct vcd_queue *q;		/* data queue for this session */
	unsigned int qindex;
	struct vcd_dsess ds[2];

	/* In the guest kernel, made on first need. */
	struct mutex lock;		/* soft, hash_partial, AEAD tag size */
	struct vcd_soft *soft;
	bool hash_partial;		/* soft holds a multi-part state */

	spinlock_t iv_lock;
	u8 iv[VCD_MAX_IV];		/* chaining IV when the caller gives none */
};

static inline const u8 *vcd_session_mackey(const struct vcd_session *s)
{
	return s->key + s->keylen;
}

static inline bool vcd_session_is_aead(const struct vcd_session *s)
{
	return s->cipher && s->cipher->kind == VCD_ALG_AEAD;
}

int vcd_session_new(struct vcd_device *dev, const struct vcd_alg *cipher,
		    const struct vcd_alg *mac, const u8 *key,
		    unsigned int keylen, const u8 *mackey,
		    unsigned int mackeylen, struct vcd_session **out);
void vcd_session_put(struct vcd_session *s);
int vcd_session_soft(struct vcd_session *s, struct vcd_soft **out);
unsigned int vcd_session_digestsize(const struct vcd_session *s);
void vcd_session_get_iv(struct vcd_session *s, u8 *iv);
void vcd_session_set_iv(struct vcd_session *s, const u8 *iv);

#endif /* VCD_SESSION_H */
