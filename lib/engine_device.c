/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * engine_device.c - the device engine: the cryptodev-linux ioctl ABI
 * (driver/uapi/cryptodev.h) on a device node, /dev/crypto by default.  On
 * the host that is cryptodev-linux; in a guest it is our frontend (driver/).
 *
 * Owns: one O_RDWR|O_CLOEXEC descriptor per engine, one CIOCGSESSION per
 * session (CIOCFSESSION on free), CIOCCRYPT per operation.  Chaining values
 * for CBC/CTR come back from the node through COP_FLAG_WRITE_IV; a digest over
 * several parts is sent as one concatenated buffer so that concurrent calls
 * on one session never interleave multi-part hash state in the node.
 *
 * Does not own: argument checking (crypto_engine.c), the ABI numbers
 * (driver/uapi/cryptodev.h), fallback to software (crypto_engine.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cryptodev.h"
#include "engine_ops.h"

struct dev_state {
	int fd;
	char desc[300];
	char path[256];
};

struct dev_session {
	struct dev_state *st;
	enum ce_alg alg;
	uint32_t ses;
	size_t taglen;
};

static int dev_open(void **state, const char *path, char *err, size_t errlen)
{
	struct dev_state *st;
	int e;

	st = calloc(1, sizeof(*st));
	if (!st) {
		ce_seterr(err, errlen, "out of memory");
		return -ENOMEM;
	}
	st->fd = open(path, O_RDWR | O_CLOEXEC);
	if (st->fd < 0) {
		e = errno;
		ce_seterr(err, errlen, "cannot open crypto device %s: %s",
			  path, strerror(e));
		free(st);
		return -e;
	}
	snprintf(st->path, sizeof(st->path), "%s", path);
	snprintf(st->desc, sizeof(st->desc), "device (%s)", path);
	*state = st;
	return 0;
}

static void dev_close(void *state)
{
	struct dev_state *st = state;

	close(st->fd);
	free(st);
}

static const char *dev_describe(void *state)
{
	return ((struct dev_state *)state)->desc;
}

static int xioctl(int fd, unsigned long req, void *arg)
{
	int rc;

	do
		rc = ioctl(fd, req, arg);
	while (rc < 0 && errno == EINTR);
	return rc < 0 ? -errno : 0;
}

static int dev_session_new(void *state, void **out, enum ce_alg alg,
			   const uint8_t *key, size_t keylen,
			   char *err, size_t errlen)
{
	struct dev_state *st = state;
	struct session_op so;
	struct dev_session *s;
	int rc;

	memset(&so, 0, sizeof(so));
	switch (alg) {
	case CE_ALG_AES_CBC: so.cipher = CRYPTO_AES_CBC; break;
	case CE_ALG_AES_CTR: so.cipher = CRYPTO_AES_CTR; break;
	case CE_ALG_AES_ECB: so.cipher = CRYPTO_AES_ECB; break;
	case CE_ALG_AES_XTS: so.cipher = CRYPTO_AES_XTS; break;
	case CE_ALG_HMAC_SHA1: so.mac = CRYPTO_SHA1_HMAC; break;
	case CE_ALG_HMAC_SHA256: so.mac = CRYPTO_SHA2_256_HMAC; break;
	case CE_ALG_HMAC_SHA224: so.mac = CRYPTO_SHA2_224_HMAC; break;
	case CE_ALG_HMAC_SHA384: so.mac = CRYPTO_SHA2_384_HMAC; break;
	case CE_ALG_HMAC_SHA512: so.mac = CRYPTO_SHA2_512_HMAC; break;
	case CE_ALG_HMAC_MD5: so.mac = CRYPTO_MD5_HMAC; break;
	case CE_ALG_SHA1: so.mac = CRYPTO_SHA1; break;
	case CE_ALG_SHA224: so.mac = CRYPTO_SHA2_224; break;
	case CE_ALG_SHA256: so.mac = CRYPTO_SHA2_256; break;
	case CE_ALG_SHA384: so.mac = CRYPTO_SHA2_384; break;
	case CE_ALG_SHA512: so.mac = CRYPTO_SHA2_512; break;
	case CE_ALG_MD5: so.mac = CRYPTO_MD5; break;
	}
	if (so.cipher) {
		so.keylen = (uint32_t)keylen;
		so.key = (uint8_t *)key;
	} else {
		so.mackeylen = (uint32_t)keylen;
		so.mackey = (uint8_t *)key;
	}
	rc = xioctl(st->fd, CIOCGSESSION, &so);
	if (rc < 0) {
		ce_seterr(err, errlen,
			  "crypto device %s refused the %s session (%zu-byte key): %s",
			  st->path, ce_alg_name(alg, keylen), keylen,
			  strerror(-rc));
		return rc;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		xioctl(st->fd, CIOCFSESSION, &so.ses);
		ce_seterr(err, errlen, "out of memory");
		return -ENOMEM;
	}
	s->st = st;
	s->alg = alg;
	s->ses = so.ses;
	s->taglen = ce_digest_len(alg);
	*out = s;
	return 0;
}

static void dev_session_free(void *p)
{
	struct dev_session *s = p;

	if (!s)
		return;
	xioctl(s->st->fd, CIOCFSESSION, &s->ses);
	free(s);
}

static int dev_cipher(void *p, int decrypt, const uint8_t *iv,
		      const uint8_t *in, uint8_t *out, size_t len,
		      uint8_t *iv_out)
{
	struct dev_session *s = p;
	struct crypt_op op;
	uint8_t ivbuf[CE_IV_LEN];
	int rc;

	if (len > UINT32_MAX)
		return -EINVAL;	/* crypt_op.len is 32 bits */
	memset(&op, 0, sizeof(op));
	op.ses = s->ses;
	op.op = decrypt ? COP_DECRYPT : COP_ENCRYPT;
	op.len = (uint32_t)len;
	op.src = (uint8_t *)in;
	op.dst = out;
	if (s->alg != CE_ALG_AES_ECB) {
		memcpy(ivbuf, iv, CE_IV_LEN);
		op.iv = ivbuf;
		if (iv_out)
			op.flags |= COP_FLAG_WRITE_IV;
	}
	rc = xioctl(s->st->fd, CIOCCRYPT, &op);
	if (rc == 0 && iv_out)
		memcpy(iv_out, ivbuf, CE_IV_LEN);
	return rc;
}

static int dev_digest(void *p, const struct ce_buf *parts, size_t n,
		    uint8_t *tag, size_t *taglen)
{
	struct dev_session *s = p;
	uint8_t mac[AALG_MAX_RESULT_LEN];
	uint8_t *joined = NULL;
	struct crypt_op op;
	size_t total = 0;
	int rc;

	for (size_t i = 0; i < n; i++) {
		if (parts[i].len > UINT32_MAX - total)
			return -EINVAL;
		total += parts[i].len;
	}
	memset(&op, 0, sizeof(op));
	op.ses = s->ses;
	op.op = COP_ENCRYPT;
	op.len = (uint32_t)total;
	op.mac = mac;
	if (n == 1) {
		op.src = (uint8_t *)parts[0].p;
	} else if (total) {
		size_t off = 0;

		joined = malloc(total);
		if (!joined)
			return -ENOMEM;
		for (size_t i = 0; i < n; i++) {
			if (parts[i].len)
				memcpy(joined + off, parts[i].p, parts[i].len);
			off += parts[i].len;
		}
		op.src = joined;
	}
	rc = xioctl(s->st->fd, CIOCCRYPT, &op);
	free(joined);
	if (rc < 0)
		return rc;
	memcpy(tag, mac, s->taglen);
	*taglen = s->taglen;
	return 0;
}

const struct ce_engine_ops ce_device_ops = {
	.name = "device",
	.open = dev_open,
	.close = dev_close,
	.describe = dev_describe,
	.session_new = dev_session_new,
	.session_free = dev_session_free,
	.cipher = dev_cipher,
	.digest = dev_digest,
};
