/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * engine_ops.h - the internal interface between the dispatcher
 * (crypto_engine.c) and the engines behind it, one file per engine
 * (engine_software.c, engine_device.c).
 *
 * Owns: the ops table an engine fills in, and the few helpers the dispatcher
 * shares with the engines (error text, algorithm names, CTR counter step).
 *
 * Does not own: argument checking.  The dispatcher validates algorithm, key
 * length, data length and buffers before it calls an engine, and handles
 * len == 0 itself, so an engine only sees requests its mode can take.  Not
 * part of the public API: only the lib sources include it.
 */
#ifndef VCD_ENGINE_OPS_H
#define VCD_ENGINE_OPS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto_engine.h"

struct ce_engine_ops {
	const char *name;	/* "software", "device" */

	/* Per-engine state; path is the device node (device engine only). */
	int (*open)(void **state, const char *path, char *err, size_t errlen);
	void (*close)(void *state);
	/* Stable text for the lifetime of state, e.g. "software (OpenSSL 3.0.2)". */
	const char *(*describe)(void *state);

	int (*session_new)(void *state, void **sess, enum ce_alg alg,
			   const uint8_t *key, size_t keylen,
			   char *err, size_t errlen);
	void (*session_free)(void *sess);

	/*
	 * Cipher sessions only; len > 0 and valid for the mode.  in == out
	 * allowed; iv_out may alias iv; iv_out (if not NULL) must receive the
	 * chaining value for CBC and CTR (docs/abi.md); for ECB and XTS the
	 * dispatcher fills iv_out itself and passes NULL.
	 */
	int (*cipher)(void *sess, int decrypt, const uint8_t *iv,
		      const uint8_t *in, uint8_t *out, size_t len,
		      uint8_t *iv_out);
	/* Hash and HMAC sessions only; tag holds CE_MAX_TAG bytes. */
	int (*digest)(void *sess, const struct ce_buf *parts, size_t n,
		    uint8_t *tag, size_t *taglen);
};

extern const struct ce_engine_ops ce_software_ops;
extern const struct ce_engine_ops ce_device_ops;

/* snprintf into err when err != NULL && errlen > 0. */
void ce_seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* "AES-128-CBC", "HMAC-SHA256", ... for messages. */
const char *ce_alg_name(enum ce_alg alg, size_t keylen);

/* OpenSSL's name of the digest under a hash or HMAC algorithm ("SHA256"),
 * NULL for ciphers. */
const char *ce_digest_md_name(enum ce_alg alg);

/* out = iv + nblocks as one 128-bit big-endian integer (mod 2^128). */
void ce_ctr_advance(const uint8_t iv[CE_IV_LEN], uint64_t nblocks,
		    uint8_t out[CE_IV_LEN]);

#endif /* VCD_ENGINE_OPS_H */
