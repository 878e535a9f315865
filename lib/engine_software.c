/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * engine_software.c - the software engine: AES (CBC, CTR, ECB, XTS), HMAC
 * and plain hashes (MD5, SHA-1, SHA-2) through OpenSSL libcrypto EVP, in
 * this process.
 *
 * Owns: OpenSSL cipher/MAC objects per session.  The key schedule is done
 * once, at session creation, into keyed template contexts (one per
 * direction for ciphers, one for HMAC; a hash keeps only its EVP_MD and
 * starts each digest afresh).  Operations run on working contexts
 * copied from the templates and kept in a small per-session pool of slots
 * taken with one atomic exchange (no lock): a call takes a free slot, resets
 * only the IV (EVP_CipherInit_ex with NULL cipher and key) or the HMAC state
 * (EVP_MAC_init with NULL key), runs, and gives the slot back.  When every
 * slot is busy the call works on a temporary copy, so any number of threads
 * may share one session.
 *
 * Does not own: argument checking (crypto_engine.c), never implements a
 * primitive itself.
 */
#include <errno.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "engine_ops.h"

#define SW_POOL 8		/* working contexts per session and direction */
#define SW_CHUNK (1u << 30)	/* EVP takes int lengths: feed 1 GiB at a time */

struct sw_state {
	char desc[64];
};

struct sw_slot {
	alignas(64) atomic_int busy;
	void *ctx;		/* EVP_CIPHER_CTX, EVP_MAC_CTX or EVP_MD_CTX, lazily */
};

struct sw_session {
	struct sw_slot slot[2][SW_POOL];	/* [0] encrypt / HMAC, [1] decrypt */
	enum ce_alg alg;
	EVP_CIPHER *cipher;
	EVP_CIPHER_CTX *tmpl[2];
	EVP_MAC *mac;
	EVP_MAC_CTX *mtmpl;
	EVP_MD *md;			/* plain hashes */
};

static atomic_uint next_hint;
static _Thread_local unsigned thread_hint;

static int sw_open(void **state, const char *path, char *err, size_t errlen)
{
	struct sw_state *st = calloc(1, sizeof(*st));

	(void)path;
	if (!st) {
		ce_seterr(err, errlen, "out of memory");
		return -ENOMEM;
	}
	snprintf(st->desc, sizeof(st->desc), "software (OpenSSL %s)",
		 OpenSSL_version(OPENSSL_VERSION_STRING));
	*state = st;
	return 0;
}

static void sw_close(void *state)
{
	free(state);
}

static const char *sw_describe(void *state)
{
	return ((struct sw_state *)state)->desc;
}

/* Last OpenSSL error as text, and clear this thread's error queue. */
static void ossl_reason(char *buf, size_t len)
{
	unsigned long e = ERR_peek_last_error();

	if (e)
		ERR_error_string_n(e, buf, len);
	else
		snprintf(buf, len, "unknown OpenSSL error");
	ERR_clear_error();
}

static const char *cipher_name(enum ce_alg alg, size_t keylen)
{
	return ce_alg_name(alg, keylen);	/* OpenSSL knows these names */
}

static void sw_session_free(void *p)
{
	struct sw_session *s = p;

	if (!s)
		return;
	for (int d = 0; d < 2; d++) {
		for (int i = 0; i < SW_POOL; i++) {
			if (s->cipher)
				EVP_CIPHER_CTX_free(s->slot[d][i].ctx);
			else if (s->md)
				EVP_MD_CTX_free(s->slot[d][i].ctx);
			else
				EVP_MAC_CTX_free(s->slot[d][i].ctx);
		}
		EVP_CIPHER_CTX_free(s->tmpl[d]);
	}
	EVP_MAC_CTX_free(s->mtmpl);
	EVP_CIPHER_free(s->cipher);
	EVP_MAC_free(s->mac);
	EVP_MD_free(s->md);
	free(s);
}

static int sw_session_new(void *state, void **out, enum ce_alg alg,
			  const uint8_t *key, size_t keylen,
			  char *err, size_t errlen)
{
	static const uint8_t empty_key[1];
	size_t sz = (sizeof(struct sw_session) + 63) / 64 * 64;
	struct sw_session *s = aligned_alloc(64, sz);
	char why[160];

	(void)state;
	if (!s) {
		ce_seterr(err, errlen, "out of memory");
		return -ENOMEM;
	}
	memset(s, 0, sz);
	s->alg = alg;

	if (ce_alg_is_hash(alg)) {
		s->md = EVP_MD_fetch(NULL, ce_digest_md_name(alg), NULL);
		if (!s->md)
			goto ossl_fail;
		*out = s;
		return 0;
	}
	if (ce_digest_md_name(alg)) {
		OSSL_PARAM params[2];

		params[0] = OSSL_PARAM_construct_utf8_string(
			OSSL_MAC_PARAM_DIGEST, (char *)ce_digest_md_name(alg), 0);
		params[1] = OSSL_PARAM_construct_end();
		s->mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
		if (!s->mac || !(s->mtmpl = EVP_MAC_CTX_new(s->mac)) ||
		    !EVP_MAC_init(s->mtmpl, keylen ? key : empty_key, keylen,
				  params))
			goto ossl_fail;
		*out = s;
		return 0;
	}

	s->cipher = EVP_CIPHER_fetch(NULL, cipher_name(alg, keylen), NULL);
	if (!s->cipher)
		goto ossl_fail;
	for (int d = 0; d < 2; d++) {
		s->tmpl[d] = EVP_CIPHER_CTX_new();
		if (!s->tmpl[d] ||
		    !EVP_CipherInit_ex(s->tmpl[d], s->cipher, NULL, key, NULL,
				       d == 0) ||
		    !EVP_CIPHER_CTX_set_padding(s->tmpl[d], 0))
			goto ossl_fail;
	}
	*out = s;
	return 0;

ossl_fail:
	ossl_reason(why, sizeof(why));
	ce_seterr(err, errlen, "OpenSSL refused the %s session: %s",
		  ce_alg_name(alg, keylen), why);
	sw_session_free(s);
	return -EINVAL;
}

static struct sw_slot *slot_get(struct sw_slot *pool)
{
	unsigned h = thread_hint;

	if (!h)
		h = thread_hint = atomic_fetch_add(&next_hint, 1) + 1;
	for (unsigned i = 0; i < SW_POOL; i++) {
		struct sw_slot *sl = &pool[(h + i) % SW_POOL];

		if (!atomic_load_explicit(&sl->busy, memory_order_relaxed) &&
		    !atomic_exchange_explicit(&sl->busy, 1,
					      memory_order_acquire))
			return sl;
	}
	return NULL;
}

static void slot_put(struct sw_slot *sl)
{
	atomic_store_explicit(&sl->busy, 0, memory_order_release);
}

static EVP_CIPHER_CTX *cipher_copy(const EVP_CIPHER_CTX *tmpl)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();

	if (c && !EVP_CIPHER_CTX_copy(c, tmpl)) {
		EVP_CIPHER_CTX_free(c);
		c = NULL;
	}
	return c;
}

static int run_cipher(EVP_CIPHER_CTX *c, int enc, const uint8_t *iv,
		      const uint8_t *in, uint8_t *out, size_t len)
{
	size_t done = 0;
	int n;

	if (!EVP_CipherInit_ex(c, NULL, NULL, NULL, iv, enc))
		return -EIO;
	while (done < len) {
		size_t part = len - done > SW_CHUNK ? SW_CHUNK : len - done;

		if (!EVP_CipherUpdate(c, out + done, &n, in + done, (int)part) ||
		    (size_t)n != part)
			return -EINVAL;
		done += part;
	}
	if (!EVP_CipherFinal_ex(c, out + done, &n) || n != 0)
		return -EINVAL;
	return 0;
}

static int sw_cipher(void *p, int decrypt, const uint8_t *iv,
		     const uint8_t *in, uint8_t *out, size_t len,
		     uint8_t *iv_out)
{
	struct sw_session *s = p;
	struct sw_slot *sl;
	EVP_CIPHER_CTX *c;
	uint8_t chain[CE_IV_LEN];
	int rc;

	if (s->alg == CE_ALG_AES_XTS && len > SW_CHUNK)
		return -EINVAL;	/* XTS cannot be fed in pieces (OpenSSL: 16 MiB) */
	if (iv_out && s->alg == CE_ALG_AES_CBC && decrypt)
		memcpy(chain, in + len - CE_IV_LEN, CE_IV_LEN);
	else if (iv_out && s->alg == CE_ALG_AES_CTR)
		ce_ctr_advance(iv, (len + CE_IV_LEN - 1) / CE_IV_LEN, chain);

	sl = slot_get(s->slot[decrypt]);
	if (sl) {
		if (!sl->ctx)
			sl->ctx = cipher_copy(s->tmpl[decrypt]);
		c = sl->ctx;
	} else {
		c = cipher_copy(s->tmpl[decrypt]);
	}
	rc = c ? run_cipher(c, !decrypt, s->alg == CE_ALG_AES_ECB ? NULL : iv,
			    in, out, len) : -ENOMEM;
	if (sl)
		slot_put(sl);
	else
		EVP_CIPHER_CTX_free(c);
	if (rc < 0) {
		ERR_clear_error();
		return rc;
	}
	if (iv_out && s->alg == CE_ALG_AES_CBC && !decrypt)
		memcpy(iv_out, out + len - CE_IV_LEN, CE_IV_LEN);
	else if (iv_out)
		memcpy(iv_out, chain, CE_IV_LEN);
	return 0;
}

static int run_mac(EVP_MAC_CTX *m, const struct ce_buf *parts, size_t n,
		   uint8_t *tag, size_t *taglen)
{
	if (!EVP_MAC_init(m, NULL, 0, NULL))
		return -EIO;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *p = parts[i].p;
		size_t left = parts[i].len;

		while (left) {	/* EVP_MAC_update takes size_t, but be modest */
			size_t part = left > SW_CHUNK ? SW_CHUNK : left;

			if (!EVP_MAC_update(m, p, part))
				return -EIO;
			p += part;
			left -= part;
		}
	}
	if (!EVP_MAC_final(m, tag, taglen, CE_MAX_TAG))
		return -EIO;
	return 0;
}

static int run_hash(EVP_MD_CTX *m, const EVP_MD *md,
		    const struct ce_buf *parts, size_t n,
		    uint8_t *tag, size_t *taglen)
{
	unsigned len = 0;

	if (!EVP_DigestInit_ex(m, md, NULL))
		return -EIO;
	for (size_t i = 0; i < n; i++)
		if (parts[i].len && !EVP_DigestUpdate(m, parts[i].p, parts[i].len))
			return -EIO;
	if (!EVP_DigestFinal_ex(m, tag, &len))
		return -EIO;
	*taglen = len;
	return 0;
}

static int sw_hash(struct sw_session *s, const struct ce_buf *parts,
		   size_t n, uint8_t *tag, size_t *taglen)
{
	struct sw_slot *sl = slot_get(s->slot[0]);
	EVP_MD_CTX *m;
	int rc;

	if (sl) {
		if (!sl->ctx)
			sl->ctx = EVP_MD_CTX_new();
		m = sl->ctx;
	} else {
		m = EVP_MD_CTX_new();
	}
	rc = m ? run_hash(m, s->md, parts, n, tag, taglen) : -ENOMEM;
	if (sl)
		slot_put(sl);
	else
		EVP_MD_CTX_free(m);
	if (rc < 0)
		ERR_clear_error();
	return rc;
}

static int sw_digest(void *p, const struct ce_buf *parts, size_t n,
		     uint8_t *tag, size_t *taglen)
{
	struct sw_session *s = p;
	struct sw_slot *sl;
	EVP_MAC_CTX *m;
	int rc;

	if (s->md)
		return sw_hash(s, parts, n, tag, taglen);
	sl = slot_get(s->slot[0]);

	if (sl) {
		if (!sl->ctx)
			sl->ctx = EVP_MAC_CTX_dup(s->mtmpl);
		m = sl->ctx;
	} else {
		m = EVP_MAC_CTX_dup(s->mtmpl);
	}
	rc = m ? run_mac(m, parts, n, tag, taglen) : -ENOMEM;
	if (sl)
		slot_put(sl);
	else
		EVP_MAC_CTX_free(m);
	if (rc < 0)
		ERR_clear_error();
	return rc;
}

const struct ce_engine_ops ce_software_ops = {
	.name = "software",
	.open = sw_open,
	.close = sw_close,
	.describe = sw_describe,
	.session_new = sw_session_new,
	.session_free = sw_session_free,
	.cipher = sw_cipher,
	.digest = sw_digest,
};
