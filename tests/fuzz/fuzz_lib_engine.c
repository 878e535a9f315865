/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_lib_engine.c - libFuzzer target for the crypto engine library:
 * arbitrary algorithms, key lengths, data lengths, directions, in-place use
 * and chaining through ce_* on the software engine, checked against OpenSSL
 * called directly.
 *
 * Owns: the differential checks.  Any input must give either the documented
 * -EINVAL (docs/abi.md, "Sessions and checks") or exactly the bytes, tag and
 * chaining value OpenSSL gives (the CTR chaining value is compared with
 * OpenSSL's own updated counter), and decrypting must give the input back.
 * A mismatch aborts.  Input layout: [alg][keylen][flags][split][key 64]
 * [iv 16][data...].  Does not own: the device engine (the unit tests run it
 * on a stand-in node).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "crypto_engine.h"

#define MAX_DATA 4096

static struct ce_engine *eng;

static void check(int ok)
{
	if (!ok)
		abort();
}

static const EVP_CIPHER *evp_for(enum ce_alg alg, size_t keylen)
{
	int k = keylen == 16 ? 0 : keylen == 24 ? 1 : 2;

	switch (alg) {
	case CE_ALG_AES_CBC:
		return k == 0 ? EVP_aes_128_cbc() : k == 1 ? EVP_aes_192_cbc() :
		       EVP_aes_256_cbc();
	case CE_ALG_AES_CTR:
		return k == 0 ? EVP_aes_128_ctr() : k == 1 ? EVP_aes_192_ctr() :
		       EVP_aes_256_ctr();
	case CE_ALG_AES_ECB:
		return k == 0 ? EVP_aes_128_ecb() : k == 1 ? EVP_aes_192_ecb() :
		       EVP_aes_256_ecb();
	default:
		return keylen == 32 ? EVP_aes_128_xts() : EVP_aes_256_xts();
	}
}

/* OpenSSL one-shot; returns 0 if it refuses.  ctr_out: updated counter. */
static int reference(enum ce_alg alg, int enc, const uint8_t *key,
		     size_t keylen, const uint8_t *iv, const uint8_t *in,
		     uint8_t *out, size_t len, uint8_t ctr_out[16])
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n1 = 0, n2 = 0, ok;

	ok = c && EVP_CipherInit_ex(c, evp_for(alg, keylen), NULL, key,
				    alg == CE_ALG_AES_ECB ? NULL : iv, enc) &&
	     EVP_CIPHER_CTX_set_padding(c, 0) &&
	     EVP_CipherUpdate(c, out, &n1, in, (int)len) &&
	     EVP_CipherFinal_ex(c, out + n1, &n2) && (size_t)(n1 + n2) == len;
	if (ok && alg == CE_ALG_AES_CTR)
		ok = EVP_CIPHER_CTX_get_updated_iv(c, ctr_out, 16);
	EVP_CIPHER_CTX_free(c);
	return ok;
}

static void fuzz_cipher(enum ce_alg alg, size_t keylen, unsigned flags,
			size_t split, const uint8_t *key, const uint8_t *iv,
			const uint8_t *data, size_t len)
{
	static uint8_t out[MAX_DATA], ref[MAX_DATA], back[MAX_DATA];
	uint8_t ivo[16], ctr[16], cur[16];
	int decrypt = flags & 1, inplace = flags & 2, want_iv = flags & 4;
	int valid_key, valid_len, rc;
	struct ce_session *s = NULL;
	char err[256];

	valid_key = alg == CE_ALG_AES_XTS ? (keylen == 32 || keylen == 64) :
		    (keylen == 16 || keylen == 24 || keylen == 32);
	rc = ce_session_new(eng, &s, alg, key, keylen, err, sizeof(err));
	if (!valid_key) {
		check(rc == -EINVAL && !s);
		return;
	}
	if (alg == CE_ALG_AES_XTS &&
	    !memcmp(key, key + keylen / 2, keylen / 2)) {
		check(rc == -EINVAL);	/* OpenSSL: duplicated XTS keys */
		return;
	}
	check(rc == 0 && s);

	valid_len = alg == CE_ALG_AES_CBC || alg == CE_ALG_AES_ECB ?
		    len % 16 == 0 : alg == CE_ALG_AES_XTS ? len >= 16 : 1;
	memcpy(out, data, len);
	rc = (decrypt ? ce_decrypt : ce_encrypt)(s, iv, inplace ? out : data,
						  out, len,
						  want_iv ? ivo : NULL);
	if (!valid_len) {
		check(rc == -EINVAL);
		ce_session_free(s);
		return;
	}
	check(rc == 0);
	if (len) {
		check(reference(alg, !decrypt, key, keylen, iv, data, ref, len,
				ctr));
		check(!memcmp(out, ref, len));
	}
	if (want_iv) {
		if (!len || alg == CE_ALG_AES_ECB || alg == CE_ALG_AES_XTS)
			check(!memcmp(ivo, iv, 16));	/* no chaining value */
		else if (alg == CE_ALG_AES_CBC)
			check(!memcmp(ivo, (decrypt ? data : ref) + len - 16, 16));
		else
			check(!memcmp(ivo, ctr, 16));
	}
	/* the other direction gives the input back */
	check((decrypt ? ce_encrypt : ce_decrypt)(s, iv, out, back, len,
						   NULL) == 0);
	check(!len || !memcmp(back, data, len));

	/* CBC/CTR: two chained calls, cut at a block boundary, = one call */
	if ((alg == CE_ALG_AES_CBC || alg == CE_ALG_AES_CTR) && len) {
		size_t cut = (split % (len / 16 + 1)) * 16;

		if (cut > len)
			cut = len;
		memcpy(cur, iv, 16);
		check((decrypt ? ce_decrypt : ce_encrypt)(s, cur, data, back,
							   cut, cur) == 0);
		check((decrypt ? ce_decrypt : ce_encrypt)(s, cur, data + cut,
							   back + cut,
							   len - cut, cur) == 0);
		check(!memcmp(back, ref, len));
	}
	ce_session_free(s);
}

static void fuzz_hmac(enum ce_alg alg, size_t keylen, size_t split,
		      const uint8_t *key, const uint8_t *data, size_t len)
{
	uint8_t tag[CE_MAX_TAG], ref[EVP_MAX_MD_SIZE];
	unsigned int reflen = 0;
	struct ce_session *s = NULL;
	struct ce_buf parts[3];
	size_t taglen = 0, cut = len ? split % (len + 1) : 0;

	check(ce_session_new(eng, &s, alg, key, keylen, NULL, 0) == 0);
	parts[0] = (struct ce_buf){ data, cut };
	parts[1] = (struct ce_buf){ NULL, 0 };
	parts[2] = (struct ce_buf){ data + cut, len - cut };
	check(ce_digest(s, parts, 3, tag, &taglen) == 0);
	check(HMAC(alg == CE_ALG_HMAC_SHA1 ? EVP_sha1() : EVP_sha256(), key,
		   (int)keylen, data, len, ref, &reflen) != NULL);
	check(taglen == reflen && !memcmp(tag, ref, reflen));
	ce_session_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
	static const uint8_t zero[80];
	uint8_t key[200], iv[16];
	enum ce_alg alg;
	size_t keylen, len;
	unsigned flags, split;

	if (!eng && ce_engine_open(&eng, CE_KIND_SOFTWARE, NULL, NULL, 0))
		abort();
	if (size < 4)
		return 0;
	alg = (enum ce_alg)(1 + in[0] % 6);
	keylen = in[1];
	flags = in[2];
	split = in[3];
	in += 4;
	size -= 4;
	/* key and iv from the input when there is enough, else zero-padded */
	memset(key, 0, sizeof(key));
	memcpy(key, in, size < 64 ? size : 64);
	memcpy(key + 64, zero, sizeof(zero));
	in += size < 64 ? size : 64;
	size -= size < 64 ? size : 64;
	memset(iv, 0, sizeof(iv));
	memcpy(iv, in, size < 16 ? size : 16);
	in += size < 16 ? size : 16;
	size -= size < 16 ? size : 16;
	len = size > MAX_DATA ? MAX_DATA : size;

	if (alg == CE_ALG_HMAC_SHA1 || alg == CE_ALG_HMAC_SHA256)
		fuzz_hmac(alg, keylen % 145, split, key, in, len);
	else
		fuzz_cipher(alg, keylen % 70, flags, split, key, iv, in, len);
	return 0;
}
