/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * crypto_engine.h - one small session-based symmetric crypto API with two
 * engines behind it.
 *
 * Owns: choosing an engine (the cryptodev-linux ABI on a device node, or
 * OpenSSL libcrypto in this process), sessions (algorithm + key), and one-shot
 * cipher and HMAC operations on them.  Whatever the engine, the bytes out are
 * the same (tests/unit/test_crypto_engine.c checks NIST SP 800-38A and
 * RFC 4231 vectors through every engine present).
 *
 * Does not own: key derivation, message framing, randomness for IVs (see
 * chat/), nor anything about virtio.  It never hand-rolls a primitive: the
 * software engine is OpenSSL EVP, the device engine is ioctl() on the node.
 *
 * Threads: an engine and its sessions may be used from several threads at
 * once; ce_session_new/free must not race with operations on the same
 * session.  All calls return 0 or a negative errno; calls that can fail for a
 * reason a human should read also take an (err, errlen) buffer.
 *
 * Lifetime: free every session before closing its engine (a device session
 * uses the engine's descriptor).  docs/abi.md has the exact semantics of
 * every call, including iv_out for each mode.
 */
#ifndef VCD_CRYPTO_ENGINE_H
#define VCD_CRYPTO_ENGINE_H

#include <stddef.h>
#include <stdint.h>

enum ce_kind {
	CE_KIND_AUTO = 0,	/* device if the node opens and takes the session */
	CE_KIND_DEVICE,		/* cryptodev-linux ABI on a device node */
	CE_KIND_SOFTWARE,	/* OpenSSL libcrypto */
};

enum ce_alg {
	CE_ALG_AES_CBC = 1,	/* key 16/24/32, iv 16, len multiple of 16 */
	CE_ALG_AES_CTR,		/* key 16/24/32, iv 16 (full counter block) */
	CE_ALG_AES_ECB,		/* key 16/24/32, no iv, len multiple of 16 */
	CE_ALG_AES_XTS,		/* key 32/64 (two halves), iv 16, len >= 16 */
	CE_ALG_HMAC_SHA1,	/* any key length; 20-byte tag */
	CE_ALG_HMAC_SHA256,	/* any key length; 32-byte tag */
	CE_ALG_HMAC_SHA224,	/* any key length; 28-byte tag */
	CE_ALG_HMAC_SHA384,	/* any key length; 48-byte tag */
	CE_ALG_HMAC_SHA512,	/* any key length; 64-byte tag */
	CE_ALG_HMAC_MD5,	/* any key length; 16-byte tag */
	CE_ALG_SHA1,		/* plain hashes: no key (keylen 0) */
	CE_ALG_SHA224,
	CE_ALG_SHA256,
	CE_ALG_SHA384,
	CE_ALG_SHA512,
	CE_ALG_MD5,
};

#define CE_DEFAULT_DEVICE "/dev/crypto"
#define CE_MAX_KEY	64	/* cipher keys */
#define CE_MAX_MAC_KEY	512	/* HMAC keys */
#define CE_MAX_TAG	64	/* longest digest (SHA-512) */
#define CE_IV_LEN	16

struct ce_engine;
struct ce_session;

/*
 * Open an engine.  device_path is the node for DEVICE/AUTO (NULL means
 * CE_DEFAULT_DEVICE).  DEVICE fails (-errno, reason in err) when the node
 * does not open; AUTO never fails for a missing node, it falls back to
 * software per session.
 */
int ce_engine_open(struct ce_engine **out, enum ce_kind kind,
		   const char *device_path, char *err, size_t errlen);
void ce_engine_close(struct ce_engine *eng);

/* "device (/dev/crypto)", "software (OpenSSL 3.0.x)", or for AUTO what the
 * last session used: "auto: device (/dev/crypto)" / "auto: software ...". */
const char *ce_engine_describe(const struct ce_engine *eng);

/* Parse "auto" | "device" | "software"; -EINVAL otherwise. */
int ce_kind_parse(const char *s, enum ce_kind *out);

/*
 * Create a session.  For AUTO, the device is tried first and software used
 * if the node is missing or refuses the session.  DEVICE: -errno from the
 * node (e.g. -EINVAL, -EOPNOTSUPP) with a reason in err.
 */
int ce_session_new(struct ce_engine *eng, struct ce_session **out,
		   enum ce_alg alg, const uint8_t *key, size_t keylen,
		   char *err, size_t errlen);
void ce_session_free(struct ce_session *s);

/* True when this session runs on the device node. */
int ce_session_is_device(const struct ce_session *s);

/*
 * One-shot cipher: len bytes from in to out (in == out allowed).  iv is
 * CE_IV_LEN bytes (ignored for ECB).  If iv_out is not NULL it receives the
 * chaining value for a follow-up call (CBC: last ciphertext block; CTR:
 * counter after the last block).  -EINVAL for lengths the mode cannot take.
 * iv_out may be the same buffer as iv.  CTR: iv_out = iv + ceil(len/16) as
 * a 128-bit big-endian number, as cryptodev-linux's COP_FLAG_WRITE_IV gives.
 * ECB, XTS and len == 0: iv_out = iv (zeros for ECB with a NULL iv).
 */
int ce_encrypt(struct ce_session *s, const uint8_t *iv, const uint8_t *in,
	       uint8_t *out, size_t len, uint8_t *iv_out);
int ce_decrypt(struct ce_session *s, const uint8_t *iv, const uint8_t *in,
	       uint8_t *out, size_t len, uint8_t *iv_out);

/*
 * One-shot digest over the concatenation of up to n (data, len) parts: the
 * HMAC for HMAC sessions, the plain hash for CE_ALG_SHA1 .. CE_ALG_MD5.  tag
 * must hold CE_MAX_TAG bytes; *taglen is set to ce_digest_len(alg).
 */
struct ce_buf {
	const uint8_t *p;
	size_t len;
};
int ce_digest(struct ce_session *s, const struct ce_buf *parts, size_t n,
	      uint8_t *tag, size_t *taglen);

/* Digest length of a hash or HMAC algorithm; 0 for ciphers. */
size_t ce_digest_len(enum ce_alg alg);

/* True for the plain hashes (sessions without a key). */
int ce_alg_is_hash(enum ce_alg alg);

#endif /* VCD_CRYPTO_ENGINE_H */
