/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * crypto_engine.c - the public crypto engine API: argument checking and
 * dispatch to an engine (software or device), and AUTO's choice per session.
 *
 * Owns: struct ce_engine / struct ce_session, validation of algorithm, key
 * and data lengths (the same rules whatever the engine), the len == 0 and
 * ECB/XTS iv_out cases, AUTO's fallback (device first, software when the node
 * is missing or refuses the session) and ce_engine_describe.
 *
 * Does not own: any cryptography (engine_software.c is OpenSSL EVP,
 * engine_device.c is the cryptodev-linux ioctl ABI), key derivation or IVs.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto_engine.h"
#include "engine_ops.h"

enum { DESC_SOFTWARE, DESC_DEVICE, DESC_REFUSED, DESC_N };

struct ce_engine {
	enum ce_kind kind;
	void *sw;		/* software state (AUTO, SOFTWARE) */
	void *dev;		/* device state (DEVICE; AUTO if the node opened) */
	atomic_int last;	/* AUTO: DESC_* of the last session made */
	atomic_int refused_set;	/* desc[DESC_REFUSED] written */
	pthread_mutex_t lock;	/* writes desc[DESC_REFUSED] once */
	char desc[DESC_N][256];
};

struct ce_session {
	const struct ce_engine_ops *ops;
	void *impl;
	enum ce_alg alg;
};

void ce_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* The digests: message name, OpenSSL digest name, length. */
static const struct {
	enum ce_alg alg;
	const char *name, *md;
	size_t len;
} digests[] = {
	{ CE_ALG_HMAC_SHA1, "HMAC-SHA1", "SHA1", 20 },
	{ CE_ALG_HMAC_SHA256, "HMAC-SHA256", "SHA256", 32 },
	{ CE_ALG_HMAC_SHA224, "HMAC-SHA224", "SHA224", 28 },
	{ CE_ALG_HMAC_SHA384, "HMAC-SHA384", "SHA384", 48 },
	{ CE_ALG_HMAC_SHA512, "HMAC-SHA512", "SHA512", 64 },
	{ CE_ALG_HMAC_MD5, "HMAC-MD5", "MD5", 16 },
	{ CE_ALG_SHA1, "SHA1", "SHA1", 20 },
	{ CE_ALG_SHA224, "SHA224", "SHA224", 28 },
	{ CE_ALG_SHA256, "SHA256", "SHA256", 32 },
	{ CE_ALG_SHA384, "SHA384", "SHA384", 48 },
	{ CE_ALG_SHA512, "SHA512", "SHA512", 64 },
	{ CE_ALG_MD5, "MD5", "MD5", 16 },
};

size_t ce_digest_len(enum ce_alg alg)
{
	for (size_t i = 0; i < sizeof(digests) / sizeof(digests[0]); i++)
		if (digests[i].alg == alg)
			return digests[i].len;
	return 0;
}

const char *ce_digest_md_name(enum ce_alg alg)
{
	for (size_t i = 0; i < sizeof(digests) / sizeof(digests[0]); i++)
		if (digests[i].alg == alg)
			return digests[i].md;
	return NULL;
}

int ce_alg_is_hash(enum ce_alg alg)
{
	return alg >= CE_ALG_SHA1 && alg <= CE_ALG_MD5;
}

const char *ce_alg_name(enum ce_alg alg, size_t keylen)
{
	static const char *const names[][3] = {
		{ "AES-128-CBC", "AES-192-CBC", "AES-256-CBC" },
		{ "AES-128-CTR", "AES-192-CTR", "AES-256-CTR" },
		{ "AES-128-ECB", "AES-192-ECB", "AES-256-ECB" },
	};
	int k = keylen == 16 ? 0 : keylen == 24 ? 1 : keylen == 32 ? 2 : -1;

	switch (alg) {
	case CE_ALG_AES_CBC:
	case CE_ALG_AES_CTR:
	case CE_ALG_AES_ECB:
		return k < 0 ? "AES (bad key length)" : names[alg - 1][k];
	case CE_ALG_AES_XTS:
		return keylen == 32 ? "AES-128-XTS" :
		       keylen == 64 ? "AES-256-XTS" : "AES-XTS (bad key length)";
	default:
		break;
	}
	for (size_t i = 0; i < sizeof(digests) / sizeof(digests[0]); i++)
		if (digests[i].alg == alg)
			return digests[i].name;
	return "unknown algorithm";
}

void ce_ctr_advance(const uint8_t iv[CE_IV_LEN], uint64_t nblocks,
		    uint8_t out[CE_IV_LEN])
{
	unsigned carry = 0;

	for (int i = CE_IV_LEN - 1; i >= 0; i--) {
		unsigned v = iv[i] + (unsigned)(nblocks & 0xff) + carry;

		out[i] = (uint8_t)v;
		carry = v >> 8;
		nblocks >>= 8;
	}
}

static int is_cipher(enum ce_alg alg)
{
	return alg == CE_ALG_AES_CBC || alg == CE_ALG_AES_CTR ||
	       alg == CE_ALG_AES_ECB || alg == CE_ALG_AES_XTS;
}

static int is_digest(enum ce_alg alg)
{
	return ce_digest_len(alg) != 0;
}

int ce_kind_parse(const char *s, enum ce_kind *out)
{
	if (!s || !out)
		return -EINVAL;
	if (!strcmp(s, "auto"))
		*out = CE_KIND_AUTO;
	else if (!strcmp(s, "device"))
		*out = CE_KIND_DEVICE;
	else if (!strcmp(s, "software"))
		*out = CE_KIND_SOFTWARE;
	else
		return -EINVAL;
	return 0;
}

int ce_engine_open(struct ce_engine **out, enum ce_kind kind,
		   const char *device_path, char *err, size_t errlen)
{
	struct ce_engine *eng;
	char why[200] = "";
	int rc;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (kind != CE_KIND_AUTO && kind != CE_KIND_DEVICE &&
	    kind != CE_KIND_SOFTWARE) {
		ce_seterr(err, errlen, "unknown crypto engine kind %d", (int)kind);
		return -EINVAL;
	}
	if (!device_path)
		device_path = CE_DEFAULT_DEVICE;
	eng = calloc(1, sizeof(*eng));
	if (!eng) {
		ce_seterr(err, errlen, "out of memory");
		return -ENOMEM;
	}
	eng->kind = kind;
	pthread_mutex_init(&eng->lock, NULL);

	if (kind != CE_KIND_SOFTWARE) {
		rc = ce_device_ops.open(&eng->dev, device_path, why, sizeof(why));
		if (rc < 0 && kind == CE_KIND_DEVICE) {
			ce_seterr(err, errlen, "%s", why);
			ce_engine_close(eng);
			return rc;
		}
		if (rc < 0)
			eng->dev = NULL;
	}
	if (kind != CE_KIND_DEVICE) {
		rc = ce_software_ops.open(&eng->sw, NULL, err, errlen);
		if (rc < 0) {
			ce_engine_close(eng);
			return rc;
		}
	}

	switch (kind) {
	case CE_KIND_SOFTWARE:
		snprintf(eng->desc[DESC_SOFTWARE], sizeof(eng->desc[0]), "%s",
			 ce_software_ops.describe(eng->sw));
		atomic_store(&eng->last, DESC_SOFTWARE);
		break;
	case CE_KIND_DEVICE:
		snprintf(eng->desc[DESC_DEVICE], sizeof(eng->desc[0]), "%s",
			 ce_device_ops.describe(eng->dev));
		atomic_store(&eng->last, DESC_DEVICE);
		break;
	case CE_KIND_AUTO:
		if (eng->dev) {
			snprintf(eng->desc[DESC_DEVICE], sizeof(eng->desc[0]),
				 "auto: %s", ce_device_ops.describe(eng->dev));
			atomic_store(&eng->last, DESC_DEVICE);
		} else {
			atomic_store(&eng->last, DESC_SOFTWARE);
		}
		snprintf(eng->desc[DESC_SOFTWARE], sizeof(eng->desc[0]),
			 "auto: %s%s%s%s", ce_software_ops.describe(eng->sw),
			 eng->dev ? "" : " [", eng->dev ? "" : why,
			 eng->dev ? "" : "]");
		break;
	}
	*out = eng;
	return 0;
}

void ce_engine_close(struct ce_engine *eng)
{
	if (!eng)
		return;
	if (eng->dev)
		ce_device_ops.close(eng->dev);
	if (eng->sw)
		ce_software_ops.close(eng->sw);
	pthread_mutex_destroy(&eng->lock);
	free(eng);
}

const char *ce_engine_describe(const struct ce_engine *eng)
{
	if (!eng)
		return "no crypto engine";
	return eng->desc[atomic_load(&((struct ce_engine *)eng)->last)];
}

static int check_key(enum ce_alg alg, size_t keylen, char *err, size_t errlen)
{
	switch (alg) {
	case CE_ALG_AES_CBC:
	case CE_ALG_AES_CTR:
	case CE_ALG_AES_ECB:
		if (keylen == 16 || keylen == 24 || keylen == 32)
			return 0;
		ce_seterr(err, errlen,
			  "AES key must be 16, 24 or 32 bytes, not %zu", keylen);
		return -EINVAL;
	case CE_ALG_AES_XTS:
		if (keylen == 32 || keylen == 64)
			return 0;
		ce_seterr(err, errlen,
			  "AES-XTS key must be 32 or 64 bytes (two halves), not %zu",
			  keylen);
		return -EINVAL;
	default:
		break;
	}
	if (ce_alg_is_hash(alg)) {
		if (keylen == 0)
			return 0;
		ce_seterr(err, errlen, "%s takes no key (got %zu bytes)",
			  ce_alg_name(alg, 0), keylen);
		return -EINVAL;
	}
	if (is_digest(alg)) {
		if (keylen <= CE_MAX_MAC_KEY)
			return 0;
		ce_seterr(err, errlen, "HMAC key must be at most %d bytes, not %zu",
			  CE_MAX_MAC_KEY, keylen);
		return -EINVAL;
	}
	ce_seterr(err, errlen, "unknown algorithm %d", (int)alg);
	return -EINVAL;
}

/* AUTO fell back after the device refused: remember why, once. */
static void note_refusal(struct ce_engine *eng, const char *why)
{
	if (!atomic_load(&eng->refused_set)) {
		pthread_mutex_lock(&eng->lock);
		if (!atomic_load(&eng->refused_set)) {
			snprintf(eng->desc[DESC_REFUSED], sizeof(eng->desc[0]),
				 "auto: %s [%s]",
				 ce_software_ops.describe(eng->sw), why);
			atomic_store(&eng->refused_set, 1);
		}
		pthread_mutex_unlock(&eng->lock);
	}
	atomic_store(&eng->last, DESC_REFUSED);
}

int ce_session_new(struct ce_engine *eng, struct ce_session **out,
		   enum ce_alg alg, const uint8_t *key, size_t keylen,
		   char *err, size_t errlen)
{
	struct ce_session *s;
	char why[200] = "";
	int rc;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!eng) {
		ce_seterr(err, errlen, "no crypto engine");
		return -EINVAL;
	}
	rc = check_key(alg, keylen, err, errlen);
	if (rc < 0)
		return rc;
	if (!key && keylen) {
		ce_seterr(err, errlen, "key is NULL");
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		ce_seterr(err, errlen, "out of memory");
		return -ENOMEM;
	}
	s->alg = alg;

	if (eng->dev) {
		rc = ce_device_ops.session_new(eng->dev, &s->impl, alg, key,
					       keylen, why, sizeof(why));
		if (rc == 0) {
			s->ops = &ce_device_ops;
			if (eng->kind == CE_KIND_AUTO)
				atomic_store(&eng->last, DESC_DEVICE);
			*out = s;
			return 0;
		}
		if (eng->kind == CE_KIND_DEVICE) {
			ce_seterr(err, errlen, "%s", why);
			free(s);
			return rc;
		}
		note_refusal(eng, why);
	}
	rc = ce_software_ops.session_new(eng->sw, &s->impl, alg, key, keylen,
					 err, errlen);
	if (rc < 0) {
		free(s);
		return rc;
	}
	s->ops = &ce_software_ops;
	*out = s;
	return 0;
}

void ce_session_free(struct ce_session *s)
{
	if (!s)
		return;
	s->ops->session_free(s->impl);
	free(s);
}

int ce_session_is_device(const struct ce_session *s)
{
	return s && s->ops == &ce_device_ops;
}

static int do_cipher(struct ce_session *s, int decrypt, const uint8_t *iv,
		     const uint8_t *in, uint8_t *out, size_t len,
		     uint8_t *iv_out)
{
	uint8_t keep[CE_IV_LEN];
	int rc;

	if (!s || !is_cipher(s->alg))
		return -EINVAL;
	if (len && (!in || !out))
		return -EINVAL;
	if (s->alg != CE_ALG_AES_ECB && !iv)
		return -EINVAL;
	switch (s->alg) {
	case CE_ALG_AES_CBC:
	case CE_ALG_AES_ECB:
		if (len % 16)
			return -EINVAL;
		break;
	case CE_ALG_AES_XTS:
		if (len < 16)
			return -EINVAL;
		break;
	default:
		break;
	}
	if (s->alg == CE_ALG_AES_ECB || s->alg == CE_ALG_AES_XTS || !len) {
		/* No chaining value beyond the IV itself (docs/abi.md). */
		if (iv)
			memcpy(keep, iv, CE_IV_LEN);
		else
			memset(keep, 0, CE_IV_LEN);
		rc = len ? s->ops->cipher(s->impl, decrypt, iv, in, out, len,
					  NULL) : 0;
		if (rc == 0 && iv_out)
			memcpy(iv_out, keep, CE_IV_LEN);
		return rc;
	}
	return s->ops->cipher(s->impl, decrypt, iv, in, out, len, iv_out);
}

int ce_encrypt(struct ce_session *s, const uint8_t *iv, const uint8_t *in,
	       uint8_t *out, size_t len, uint8_t *iv_out)
{
	return do_cipher(s, 0, iv, in, out, len, iv_out);
}

int ce_decrypt(struct ce_session *s, const uint8_t *iv, const uint8_t *in,
	       uint8_t *out, size_t len, uint8_t *iv_out)
{
	return do_cipher(s, 1, iv, in, out, len, iv_out);
}

int ce_digest(struct ce_session *s, const struct ce_buf *parts, size_t n,
	      uint8_t *tag, size_t *taglen)
{
	if (!s || !is_digest(s->alg) || !tag || !taglen || (n && !parts))
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (parts[i].len && !parts[i].p)
			return -EINVAL;
	return s->ops->digest(s->impl, parts, n, tag, taglen);
}
