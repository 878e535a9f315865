/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * room_crypto.c - room key derivation, seal/open of one message (see
 * room_crypto.h for the layout and docs/e2e-encryption.md for the
 * reasoning).
 *
 * Owns: the calls into OpenSSL for scrypt, HKDF, HMAC and random IVs, the
 * PKCS#7 padding around the engine's raw AES-CBC blocks.
 * Does not own: the AES implementation (lib/ crypto engine), the body format.
 */
#include "room_crypto.h"

#include "wire.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

struct room_ctx {
	struct ce_session *aes;
	uint8_t mac_key[ROOM_KEY_LEN];
	uint32_t my_id;
	uint64_t epoch;
	uint64_t next_seq;
};

/* Header offsets. */
#define OFF_SENDER	1
#define OFF_EPOCH	5
#define OFF_SEQ		13
#define OFF_SENT	21
#define OFF_IV		29
_Static_assert(OFF_IV + ROOM_IV_LEN == ROOM_HDR_LEN, "header layout");

int room_scrypt(const char *pass, size_t passlen, const uint8_t *salt,
		size_t saltlen, uint64_t n, uint64_t r, uint64_t p,
		uint8_t *out, size_t outlen)
{
	/* OpenSSL needs 128*r*(N+2) bytes for V plus 128*r*p for B; give it
	 * that plus a margin, since its default limit (32 MiB) is too low. */
	uint64_t maxmem = 128 * r * (n + 2) + 128 * r * p + (1u << 20);

	if (!EVP_PBE_scrypt(pass, passlen, salt, saltlen, n, r, p, maxmem,
			    out, outlen))
		return -EINVAL;
	return 0;
}

static int hkdf_sha256(const uint8_t *ikm, size_t ikmlen, const char *info,
		       uint8_t *out, size_t outlen)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM params[4];
	int ok = 0;

	if (kctx) {
		params[0] = OSSL_PARAM_construct_utf8_string(
			OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
		params[1] = OSSL_PARAM_construct_octet_string(
			OSSL_KDF_PARAM_KEY, (void *)ikm, ikmlen);
		params[2] = OSSL_PARAM_construct_octet_string(
			OSSL_KDF_PARAM_INFO, (void *)info, strlen(info));
		params[3] = OSSL_PARAM_construct_end();
		ok = EVP_KDF_derive(kctx, out, outlen, params) == 1;
	}
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	return ok ? 0 : -EIO;
}

int room_keys_expand(const uint8_t room_key[ROOM_KEY_LEN],
		     struct room_keys *out)
{
	if (hkdf_sha256(room_key, ROOM_KEY_LEN, ROOM_HKDF_INFO_ENC, out->enc,
			sizeof(out->enc)) ||
	    hkdf_sha256(room_key, ROOM_KEY_LEN, ROOM_HKDF_INFO_MAC, out->mac,
			sizeof(out->mac)) ||
	    hkdf_sha256(room_key, ROOM_KEY_LEN, ROOM_HKDF_INFO_ID, out->id,
			sizeof(out->id))) {
		room_keys_wipe(out);
		return -EIO;
	}
	return 0;
}

int room_name_valid(const char *name)
{
	size_t n = strlen(name), i;

	if (n < 1 || n > ROOM_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if ((uint8_t)name[i] <= 0x20 || name[i] == 0x7f)
			return 0;
	return 1;
}

size_t room_salt(const char *name, uint8_t out[ROOM_SALT_MAX])
{
	size_t n = strlen(name);

	if (n > ROOM_NAME_MAX)
		n = ROOM_NAME_MAX;
	/* the label with its terminating zero byte, then the name */
	memcpy(out, ROOM_SALT_LABEL, sizeof(ROOM_SALT_LABEL));
	memcpy(out + sizeof(ROOM_SALT_LABEL), name, n);
	return sizeof(ROOM_SALT_LABEL) + n;
}

int room_derive_keys(const char *pass, size_t passlen, const char *name,
		     struct room_keys *out)
{
	uint8_t room_key[ROOM_KEY_LEN], salt[ROOM_SALT_MAX];
	size_t saltlen;
	int rc;

	if (!room_name_valid(name))
		return -EINVAL;
	saltlen = room_salt(name, salt);
	rc = room_scrypt(pass, passlen, salt, saltlen, ROOM_SCRYPT_N,
			 ROOM_SCRYPT_R, ROOM_SCRYPT_P, room_key,
			 sizeof(room_key));
	if (rc == 0)
		rc = room_keys_expand(room_key, out);
	OPENSSL_cleanse(room_key, sizeof(room_key));
	return rc;
}

void room_keys_wipe(struct room_keys *k)
{
	OPENSSL_cleanse(k, sizeof(*k));
}

int room_ctx_new(struct room_ctx **out, struct ce_engine *eng,
		 const struct room_keys *keys, char *err, size_t errlen)
{
	struct room_ctx *r = calloc(1, sizeof(*r));
	uint8_t epoch[8];
	int rc;

	if (!r)
		return -ENOMEM;
	if (RAND_bytes(epoch, sizeof(epoch)) != 1) {
		snprintf(err, errlen, "no random numbers for the sender epoch");
		free(r);
		return -EIO;
	}
	rc = ce_session_new(eng, &r->aes, CE_ALG_AES_CBC, keys->enc,
			    sizeof(keys->enc), err, errlen);
	if (rc) {
		free(r);
		return rc;
	}
	memcpy(r->mac_key, keys->mac, sizeof(r->mac_key));
	r->epoch = wire_get64(epoch);
	*out = r;
	return 0;
}

void room_ctx_set_sender(struct room_ctx *r, uint32_t my_id)
{
	r->my_id = my_id;
}

uint64_t room_ctx_epoch(const struct room_ctx *r)
{
	return r->epoch;
}

void room_ctx_free(struct room_ctx *r)
{
	if (!r)
		return;
	ce_session_free(r->aes);
	OPENSSL_cleanse(r, sizeof(*r));
	free(r);
}

size_t room_sealed_len(size_t body_len)
{
	return ROOM_HDR_LEN + (body_len / ROOM_BLOCK + 1) * ROOM_BLOCK +
	       ROOM_MAC_LEN;
}

static int mac_compute(const struct room_ctx *r, const uint8_t *data,
		       size_t len, uint8_t tag[ROOM_MAC_LEN])
{
	unsigned int taglen = 0;

	if (!HMAC(EVP_sha256(), r->mac_key, sizeof(r->mac_key), data, len,
		  tag, &taglen) || taglen != ROOM_MAC_LEN)
		return -EIO;
	return 0;
}

int room_seal(struct room_ctx *r, uint64_t now_ms, const uint8_t *body,
	      size_t body_len, uint8_t *out, size_t *out_len)
{
	size_t ct_len = (body_len / ROOM_BLOCK + 1) * ROOM_BLOCK;
	uint8_t pad = (uint8_t)(ct_len - body_len);
	uint8_t *iv = out + OFF_IV, *ct = out + ROOM_HDR_LEN;
	int rc;

	if (body_len > ROOM_MAX_BODY)
		return -EMSGSIZE;
	if (r->next_seq == UINT64_MAX)
		return -EOVERFLOW;
	out[0] = ROOM_E2E_VERSION;
	wire_put32(out + OFF_SENDER, r->my_id);
	wire_put64(out + OFF_EPOCH, r->epoch);
	wire_put64(out + OFF_SEQ, r->next_seq);
	wire_put64(out + OFF_SENT, now_ms);
	if (RAND_bytes(iv, ROOM_IV_LEN) != 1)
		return -EIO;
	memmove(ct, body, body_len);
	memset(ct + body_len, pad, pad);
	rc = ce_encrypt(r->aes, iv, ct, ct, ct_len, NULL);
	if (rc)
		return rc;
	rc = mac_compute(r, out, ROOM_HDR_LEN + ct_len,
			 out + ROOM_HDR_LEN + ct_len);
	if (rc)
		return rc;
	r->next_seq++;
	*out_len = ROOM_HDR_LEN + ct_len + ROOM_MAC_LEN;
	return 0;
}

static int open_sealed(struct room_ctx *r, uint32_t relay_sender,
		       const uint8_t *msg, size_t len, struct replay_guard *g,
		       uint64_t now_ms, int history, uint8_t *body,
		       size_t *body_len, struct room_opened *info)
{
	uint8_t tag[ROOM_MAC_LEN];
	struct room_opened o;
	size_t ct_len;
	uint8_t pad;
	int rc;

	if (len < 1)
		return -EBADMSG;
	if (msg[0] != ROOM_E2E_VERSION)
		return -EPROTONOSUPPORT;
	if (len < ROOM_HDR_LEN + ROOM_BLOCK + ROOM_MAC_LEN)
		return -EBADMSG;
	ct_len = len - ROOM_HDR_LEN - ROOM_MAC_LEN;
	if (ct_len % ROOM_BLOCK)
		return -EBADMSG;
	rc = mac_compute(r, msg, ROOM_HDR_LEN + ct_len, tag);
	if (rc)
		return rc;
	if (CRYPTO_memcmp(tag, msg + ROOM_HDR_LEN + ct_len, ROOM_MAC_LEN))
		return -EBADMSG;
	/* Authentic from someone holding the room key; now bind it to the
	 * connection the server says it came from. */
	if (wire_get32(msg + OFF_SENDER) != relay_sender)
		return -EBADMSG;
	o.epoch = wire_get64(msg + OFF_EPOCH);
	o.seq = wire_get64(msg + OFF_SEQ);
	o.sent_ms = wire_get64(msg + OFF_SENT);
	if (history ? !replay_fresh_history(o.sent_ms, now_ms) :
		      !replay_fresh(o.sent_ms, now_ms))
		return -ESTALE;
	if (g && !replay_is_new(g, relay_sender, o.epoch, o.seq))
		return -EALREADY;
	rc = ce_decrypt(r->aes, msg + OFF_IV, msg + ROOM_HDR_LEN, body, ct_len,
			NULL);
	if (rc)
		return rc;
	pad = body[ct_len - 1];
	if (pad < 1 || pad > ROOM_BLOCK)
		return -EBADMSG;
	for (size_t i = ct_len - pad; i < ct_len; i++)
		if (body[i] != pad)
			return -EBADMSG;
	if (g && replay_record(g, relay_sender, o.epoch, o.seq, now_ms) < 0)
		return -ENOMEM;
	*body_len = ct_len - pad;
	if (info)
		*info = o;
	return 0;
}

int room_open(struct room_ctx *r, uint32_t relay_sender, const uint8_t *msg,
	      size_t len, struct replay_guard *g, uint64_t now_ms, uint8_t *body,
	      size_t *body_len, struct room_opened *info)
{
	return open_sealed(r, relay_sender, msg, len, g, now_ms, 0, body, body_len,
			   info);
}

int room_open_history(struct room_ctx *r, uint32_t relay_sender,
		      const uint8_t *msg, size_t len, struct replay_guard *g,
		      uint64_t now_ms, uint8_t *body, size_t *body_len,
		      struct room_opened *info)
{
	return open_sealed(r, relay_sender, msg, len, g, now_ms, 1, body, body_len,
			   info);
}
