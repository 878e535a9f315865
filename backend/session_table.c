/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * session_table.c - sessions of one connection (see session_table.h).
 *
 * Ids: one counter for the whole process, shared by every connection,
 * started at the wall clock in nanoseconds when the daemon starts
 * (st_ids_start) and advanced by one per session.  An id therefore never
 * repeats: not on another connection, and not in a later lifetime of the
 * daemon, since no lifetime creates sessions faster than one per
 * nanosecond.  Ids stay positive as int64 (QEMU reads negative ids as
 * errors) until the year 2262.  Lookup: an open-addressing hash table
 * (linear probing, at most half full) from id to session.
 * Locking: one mutex over the table and the reference counts.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/types.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_crypto.h>

#include "log.h"
#include "session_table.h"

#define ST_MAX_SESSIONS (1u << 20)

struct session_table {
	pthread_mutex_t lock;
	struct ce_engine *eng;
	unsigned max, count;
	size_t mask;			/* hash table size - 1 (a power of 2) */
	struct session **slot;		/* the hash table */
};

static _Atomic uint64_t next_id = 1;

void st_ids_start(uint64_t first)
{
	if (first == 0 || first > INT64_MAX)
		first = 1;
	atomic_store(&next_id, first);
}

uint64_t st_ids_next(void)
{
	return atomic_load(&next_id);
}

static size_t hash_of(const struct session_table *t, uint64_t id)
{
	return (size_t)((id * 0x9e3779b97f4a7c15ull) >> 20) & t->mask;
}

int st_create_table(struct session_table **out, struct ce_engine *eng,
		    unsigned max_sessions)
{
	struct session_table *t;
	size_t size = 4;

	if (max_sessions == 0 || max_sessions > ST_MAX_SESSIONS)
		return -EINVAL;
	while (size < 2 * (size_t)max_sessions)
		size *= 2;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->mask = size - 1;
	t->slot = calloc(size, sizeof(*t->slot));
	if (!t->slot) {
		free(t);
		return -ENOMEM;
	}
	pthread_mutex_init(&t->lock, NULL);
	t->eng = eng;
	t->max = max_sessions;
	*out = t;
	return 0;
}

static void session_free(struct session *s)
{
	if (s->cipher)
		ce_session_free(s->cipher);
	if (s->mac)
		ce_session_free(s->mac);
	if (s->keys) {
		explicit_bzero(s->keys, (size_t)s->key_len + s->auth_key_len);
		free(s->keys);
	}
	free(s);
}

void st_destroy_table(struct session_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i <= t->mask; i++)
		if (t->slot[i])
			session_free(t->slot[i]);
	pthread_mutex_destroy(&t->lock);
	free(t->slot);
	free(t);
}

static int cipher_of(uint32_t alg, uint32_t keylen, enum ce_alg *out)
{
	switch (alg) {
	case VIRTIO_CRYPTO_CIPHER_AES_ECB:
		*out = CE_ALG_AES_ECB;
		break;
	case VIRTIO_CRYPTO_CIPHER_AES_CBC:
		*out = CE_ALG_AES_CBC;
		break;
	case VIRTIO_CRYPTO_CIPHER_AES_CTR:
		*out = CE_ALG_AES_CTR;
		break;
	case VIRTIO_CRYPTO_CIPHER_AES_XTS:
		*out = CE_ALG_AES_XTS;
		return keylen == 32 || keylen == 64 ? VIRTIO_CRYPTO_OK
						    : VIRTIO_CRYPTO_BADMSG;
	default:
		return VIRTIO_CRYPTO_NOTSUPP;
	}
	return keylen == 16 || keylen == 24 || keylen == 32 ? VIRTIO_CRYPTO_OK
							    : VIRTIO_CRYPTO_BADMSG;
}

/* The digest of a chain: a plain hash (hash mode PLAIN) or an HMAC (AUTH). */
static int digest_of(uint32_t mode, uint32_t alg, enum ce_alg *out)
{
	static const struct {
		uint32_t mode, virtio;
		enum ce_alg ce;
	} map[] = {
		{ VIRTIO_CRYPTO_SYM_HASH_MODE_PLAIN, VIRTIO_CRYPTO_HASH_MD5, CE_ALG_MD5 },
		{ VIRTIO_CRYPTO_SYM_HASH_MODE_PLAIN, VIRTIO_CRYPTO_HASH_SHA1, CE_ALG_SHA1 },
		{ VIRTIO_CRYPTO_SYM_HASH_MODE_PLAIN, VIRTIO_CRYPTO_HASH_SHA_224, CE_ALG_SHA224 },
		{ VIRTIO_CRYPTO_SYM_HASH_MODE_PLAIN, VIRTIO_CRYPTO_HASH_SHA_256, CE_ALG_SHA256 },
		{ VIRTIO_CRYPTO_SYM_HASH_MODE_PLAIN, VIRTIO_CRYPTO_HASH_SHA_384, CE_ALG_SHA384 },
		{ VIRTIO_CRYPTO_SYM_HASH_MODE_PLAIN, VIRTIO_CRYPTO_HASH_SHA_512, CE_ALG_SHA512 },
		{ VIRTIO_CRYPTO_SYM_HASH_MODE_AUTH, VIRTIO_CRYPTO_MAC_HMAC_MD5, CE_ALG_HMAC_MD5 },
		{ VIRTIO_CRYPTO_SYM_HASH_MODE_AUTH, VIRTIO_CRYPTO_MAC_HMAC_SHA1, CE_ALG_HMAC_SHA1 },
		{ VIRTIO_CRYPTO_SYM_HASH_MODE_AUTH, VIRTIO_CRYPTO_MAC_HMAC_SHA_224, CE_ALG_HMAC_SHA224 },
		{ VIRTIO_CRYPTO_SYM_HASH_MODE_AUTH, VIRTIO_CRYPTO_MAC_HMAC_SHA_256, CE_ALG_HMAC_SHA256 },
		{ VIRTIO_CRYPTO_SYM_HASH_MODE_AUTH, VIRTIO_CRYPTO_MAC_HMAC_SHA_384, CE_ALG_HMAC_SHA384 },
		{ VIRTIO_CRYPTO_SYM_HASH_MODE_AUTH, VIRTIO_CRYPTO_MAC_HMAC_SHA_512, CE_ALG_HMAC_SHA512 },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (map[i].mode == mode && map[i].virtio == alg) {
			*out = map[i].ce;
			return VIRTIO_CRYPTO_OK;
		}
	}
	return VIRTIO_CRYPTO_NOTSUPP;
}

/*
 * Algorithm chaining: AES-CBC/CTR with an HMAC in either order, or no
 * cipher (VIRTIO_CRYPTO_NO_CIPHER) and a plain hash or an HMAC alone.
 */
static int validate_chain(const struct session_params *p, bool has_cipher,
			  enum ce_alg cipher, enum ce_alg *mac)
{
	int st;

	if (has_cipher) {
		if (cipher != CE_ALG_AES_CBC && cipher != CE_ALG_AES_CTR)
			return VIRTIO_CRYPTO_NOTSUPP;
		if (p->chain_order != VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_HASH_THEN_CIPHER &&
		    p->chain_order != VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_CIPHER_THEN_HASH)
			return VIRTIO_CRYPTO_BADMSG;
		if (p->hash_mode != VIRTIO_CRYPTO_SYM_HASH_MODE_AUTH)
			return VIRTIO_CRYPTO_NOTSUPP;
	}
	st = digest_of(p->hash_mode, p->mac_alg, mac);
	if (st != VIRTIO_CRYPTO_OK)
		return st;
	if (p->hash_result_len == 0 || p->hash_result_len > ce_digest_len(*mac))
		return VIRTIO_CRYPTO_BADMSG;
	if (ce_alg_is_hash(*mac))
		return VIRTIO_CRYPTO_OK;	/* PLAIN: no key to check */
	if (p->auth_key_len > CE_MAX_MAC_KEY || (p->auth_key_len && !p->auth_key))
		return VIRTIO_CRYPTO_BADMSG;
	return VIRTIO_CRYPTO_OK;
}

static int validate(const struct session_params *p, bool *has_cipher,
		    enum ce_alg *cipher, enum ce_alg *mac)
{
	int st;

	if (p->op_type != VIRTIO_CRYPTO_SYM_OP_CIPHER &&
	    p->op_type != VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING)
		return VIRTIO_CRYPTO_NOTSUPP;
	*has_cipher = p->op_type == VIRTIO_CRYPTO_SYM_OP_CIPHER ||
		      p->cipher_alg != VIRTIO_CRYPTO_NO_CIPHER;
	if (!*has_cipher)	/* a digest alone: no key, no direction */
		return p->key_len ? VIRTIO_CRYPTO_BADMSG
				  : validate_chain(p, false, 0, mac);
	st = cipher_of(p->cipher_alg, p->key_len, cipher);
	if (st != VIRTIO_CRYPTO_OK)
		return st;
	if (p->direction != VIRTIO_CRYPTO_OP_ENCRYPT &&
	    p->direction != VIRTIO_CRYPTO_OP_DECRYPT)
		return VIRTIO_CRYPTO_BADMSG;
	if (!p->key)
		return VIRTIO_CRYPTO_BADMSG;
	if (p->op_type == VIRTIO_CRYPTO_SYM_OP_CIPHER)
		return VIRTIO_CRYPTO_OK;
	return validate_chain(p, true, *cipher, mac);
}

/* The table index of id, or -1. */
static ssize_t find_locked(const struct session_table *t, uint64_t id)
{
	for (size_t i = hash_of(t, id); t->slot[i]; i = (i + 1) & t->mask)
		if (t->slot[i]->id == id)
			return (ssize_t)i;
	return -1;
}

/* Build a session from validated parameters: engine sessions and the
 * copy of the keys.  NULL on failure (logged). */
static struct session *session_build(struct session_table *t,
				     const struct session_params *p,
				     bool has_cipher, enum ce_alg cipher,
				     enum ce_alg mac)
{
	struct session *s = calloc(1, sizeof(*s));
	size_t klen = ce_alg_is_hash(mac) ? 0 : p->auth_key_len;
	char err[160] = "";
	int r;

	if (!s)
		return NULL;
	s->op_type = p->op_type;
	s->cipher_alg = p->cipher_alg;
	s->direction = p->direction;
	s->chain_order = p->chain_order;
	s->mac_alg = p->mac_alg;
	s->hash_mode = p->hash_mode;
	s->hash_result_len = p->hash_result_len;
	s->aad_len = p->aad_len;
	s->ce_cipher = cipher;
	s->refs = 1;
	if (p->op_type != VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING)
		klen = 0;
	s->key_len = has_cipher ? p->key_len : 0;
	s->auth_key_len = (uint32_t)klen;
	if (s->key_len + klen) {
		s->keys = malloc(s->key_len + klen);
		if (!s->keys)
			goto fail;
		if (s->key_len)
			memcpy(s->keys, p->key, s->key_len);
		if (klen)
			memcpy(s->keys + s->key_len, p->auth_key, klen);
	}
	if (has_cipher) {
		r = ce_session_new(t->eng, &s->cipher, cipher, p->key,
				   p->key_len, err, sizeof(err));
		if (r) {
			log_warn("cipher session refused by engine: %s", err);
			goto fail;
		}
	}
	if (p->op_type == VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING) {
		static const uint8_t nokey[1];

		r = ce_session_new(t->eng, &s->mac, mac,
				   klen ? p->auth_key : nokey, klen,
				   err, sizeof(err));
		if (r) {
			log_warn("MAC session refused by engine: %s", err);
			goto fail;
		}
	}
	return s;
fail:
	session_free(s);
	return NULL;
}

/* Validate, reserve room, build, insert under id (0: the next id). */
static int insert(struct session_table *t, const struct session_params *p,
		  uint64_t want_id, uint64_t *id)
{
	enum ce_alg cipher = 0, mac = 0;
	bool has_cipher = false;
	struct session *s;
	int st;
	size_t i;

	st = validate(p, &has_cipher, &cipher, &mac);
	if (st != VIRTIO_CRYPTO_OK)
		return st;

	pthread_mutex_lock(&t->lock);
	if (want_id && find_locked(t, want_id) >= 0) {
		pthread_mutex_unlock(&t->lock);
		return VIRTIO_CRYPTO_INVSESS;
	}
	if (t->count >= t->max) {
		pthread_mutex_unlock(&t->lock);
		return VIRTIO_CRYPTO_NOSPC;
	}
	t->count++;		/* reserve while we build the session */
	pthread_mutex_unlock(&t->lock);

	s = session_build(t, p, has_cipher, cipher, mac);
	if (!s) {
		pthread_mutex_lock(&t->lock);
		t->count--;
		pthread_mutex_unlock(&t->lock);
		return VIRTIO_CRYPTO_ERR;
	}
	s->id = want_id ? want_id : atomic_fetch_add(&next_id, 1);
	pthread_mutex_lock(&t->lock);
	/* at most half full (count was reserved above): a free entry exists */
	for (i = hash_of(t, s->id); t->slot[i]; i = (i + 1) & t->mask)
		;
	t->slot[i] = s;
	pthread_mutex_unlock(&t->lock);
	*id = s->id;
	return VIRTIO_CRYPTO_OK;
}

int st_create(struct session_table *t, const struct session_params *p,
	      uint64_t *id)
{
	return insert(t, p, 0, id);
}

int st_restore(struct session_table *t, const struct session_params *p,
	       uint64_t id)
{
	uint64_t got;

	/* ids at or above the counter would be handed out again later */
	if (id == 0 || id > INT64_MAX || id >= atomic_load(&next_id))
		return VIRTIO_CRYPTO_INVSESS;
	return insert(t, p, id, &got);
}

int st_export(struct session_table *t, size_t *cursor,
	      struct session_export *out)
{
	int found = 0;

	pthread_mutex_lock(&t->lock);
	for (; *cursor <= t->mask && !found; (*cursor)++) {
		const struct session *s = t->slot[*cursor];

		if (!s)
			continue;
		memset(out, 0, sizeof(*out));
		out->id = s->id;
		out->p = (struct session_params){
			.op_type = s->op_type, .cipher_alg = s->cipher_alg,
			.direction = s->direction, .key_len = s->key_len,
			.key = out->key, .chain_order = s->chain_order,
			.hash_mode = s->hash_mode, .mac_alg = s->mac_alg,
			.hash_result_len = s->hash_result_len,
			.auth_key_len = s->auth_key_len,
			.auth_key = out->auth_key, .aad_len = s->aad_len };
		if (s->key_len)
			memcpy(out->key, s->keys, s->key_len);
		if (s->auth_key_len)
			memcpy(out->auth_key, s->keys + s->key_len,
			       s->auth_key_len);
		found = 1;
	}
	pthread_mutex_unlock(&t->lock);
	return found;
}

static struct session *lookup_locked(struct session_table *t, uint64_t id)
{
	ssize_t i = find_locked(t, id);

	return i < 0 ? NULL : t->slot[i];
}

/* Empty entry i, moving later entries of its probe run back into place. */
static void remove_locked(struct session_table *t, size_t i)
{
	size_t j = i;

	t->slot[i] = NULL;
	for (;;) {
		size_t home;

		j = (j + 1) & t->mask;
		if (!t->slot[j])
			return;
		home = hash_of(t, t->slot[j]->id);
		/* j stays if its home lies cyclically in (i, j] */
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		t->slot[i] = t->slot[j];
		t->slot[j] = NULL;
		i = j;
	}
}

int st_close(struct session_table *t, uint64_t id)
{
	struct session *s;
	ssize_t i;
	int free_now;

	pthread_mutex_lock(&t->lock);
	i = find_locked(t, id);
	if (i < 0) {
		pthread_mutex_unlock(&t->lock);
		return VIRTIO_CRYPTO_INVSESS;
	}
	s = t->slot[i];
	remove_locked(t, (size_t)i);
	t->count--;
	s->closed = 1;
	free_now = --s->refs == 0;
	pthread_mutex_unlock(&t->lock);
	if (free_now)
		session_free(s);
	return VIRTIO_CRYPTO_OK;
}

struct session *st_get(struct session_table *t, uint64_t id)
{
	struct session *s;

	pthread_mutex_lock(&t->lock);
	s = lookup_locked(t, id);
	if (s)
		s->refs++;
	pthread_mutex_unlock(&t->lock);
	return s;
}

void st_put(struct session_table *t, struct session *s)
{
	int free_now;

	pthread_mutex_lock(&t->lock);
	free_now = --s->refs == 0;
	pthread_mutex_unlock(&t->lock);
	if (free_now)
		session_free(s);
}

unsigned st_count(struct session_table *t)
{
	unsigned n;

	pthread_mutex_lock(&t->lock);
	n = t->count;
	pthread_mutex_unlock(&t->lock);
	return n;
}
