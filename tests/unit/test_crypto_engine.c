/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_crypto_engine.c - cmocka unit tests of lib/crypto_engine.h.
 *
 * Owns: known-answer tests (NIST SP 800-38A CBC/CTR/ECB with 128/192/256-bit
 * keys, IEEE 1619 XTS, RFC 4231 HMAC-SHA256, RFC 2202 HMAC-SHA1), chaining
 * through iv_out, argument errors, the device engine's error paths (missing
 * node, a node that is not a cryptodev), AUTO's fallback and description,
 * and several threads sharing one session.
 *
 * The KATs and the thread test run through the software engine always, and
 * through the device engine when /dev/crypto exists or when a node is named
 * by the first argument or CE_TEST_DEVICE=PATH (then a missing node fails).
 * On the device, AES-CBC must work; a mode the device refuses at session
 * creation is reported as skipped, with the device's reason.  They also run
 * through the device engine on a stand-in node (test_lib_fake_cryptodev.c),
 * so the device engine's ioctl paths are exercised on every host.
 *
 * Does not own: benchmarks (tests/bench/lib-bench.c).
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "crypto_engine.h"
#include "cryptodev.h"
#include "test_lib_fake_cryptodev.h"

struct tctx {
	enum ce_kind kind;
	const char *path;
};

static struct tctx sw_ctx = { CE_KIND_SOFTWARE, NULL };
static struct tctx dev_ctx = { CE_KIND_DEVICE, CE_DEFAULT_DEVICE };
static struct tctx fake_ctx = { CE_KIND_DEVICE, NULL };	/* path set in main */

static size_t unhex(const char *h, uint8_t *out, size_t cap)
{
	size_t n = 0;

	while (h[0] && h[1]) {
		unsigned v;

		assert_true(n < cap);
		assert_int_equal(sscanf(h, "%2x", &v), 1);
		out[n++] = (uint8_t)v;
		h += 2;
	}
	return n;
}

static struct ce_engine *open_engine(const struct tctx *t)
{
	struct ce_engine *e = NULL;
	char err[256] = "";
	int rc = ce_engine_open(&e, t->kind, t->path, err, sizeof(err));

	if (rc < 0)
		print_error("engine open failed: %d %s\n", rc, err);
	assert_int_equal(rc, 0);
	assert_non_null(e);
	return e;
}

/*
 * New session on t's engine.  On the device, any mode but AES-CBC may be
 * refused: then the test is skipped (returns NULL after cmocka's skip()).
 */
static struct ce_session *open_session(const struct tctx *t,
				       struct ce_engine *e, enum ce_alg alg,
				       const uint8_t *key, size_t keylen)
{
	struct ce_session *s = NULL;
	char err[256] = "";
	int rc = ce_session_new(e, &s, alg, key, keylen, err, sizeof(err));

	if (rc < 0 && t->kind == CE_KIND_DEVICE && alg != CE_ALG_AES_CBC) {
		print_message("device refused algorithm %d: %s (skipped)\n",
			      (int)alg, err);
		ce_engine_close(e);
		skip();
	}
	if (rc < 0)
		print_error("session failed: %d %s\n", rc, err);
	assert_int_equal(rc, 0);
	assert_int_equal(ce_session_is_device(s), t->kind == CE_KIND_DEVICE);
	return s;
}

/* ---- SP 800-38A, IEEE 1619 vectors ---- */

#define PT38A "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51" \
	      "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710"
#define K128 "2b7e151628aed2a6abf7158809cf4f3c"
#define K192 "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b"
#define K256 "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4"
#define IV38A "000102030405060708090a0b0c0d0e0f"
#define ICB38A "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"

struct kat {
	const char *name;
	enum ce_alg alg;
	const char *key, *iv, *pt, *ct;
};

static const struct kat kats_cbc[] = {
	{ "F.2.1/2 CBC-AES128", CE_ALG_AES_CBC, K128, IV38A, PT38A,
	  "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2"
	  "73bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7" },
	{ "F.2.3/4 CBC-AES192", CE_ALG_AES_CBC, K192, IV38A, PT38A,
	  "4f021db243bc633d7178183a9fa071e8b4d9ada9ad7dedf4e5e738763f69145a"
	  "571b242012fb7ae07fa9baac3df102e008b0e27988598881d920a9e64f5615cd" },
	{ "F.2.5/6 CBC-AES256", CE_ALG_AES_CBC, K256, IV38A, PT38A,
	  "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d"
	  "39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b" },
};

static const struct kat kats_ctr[] = {
	{ "F.5.1/2 CTR-AES128", CE_ALG_AES_CTR, K128, ICB38A, PT38A,
	  "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff"
	  "5ae4df3edbd5d35e5b4f09020db03eab1e031dda2fbe03d1792170a0f3009cee" },
	{ "F.5.3/4 CTR-AES192", CE_ALG_AES_CTR, K192, ICB38A, PT38A,
	  "1abc932417521ca24f2b0459fe7e6e0b090339ec0aa6faefd5ccc2c6f4ce8e94"
	  "1e36b26bd1ebc670d1bd1d665620abf74f78a7f6d29809585a97daec58c6b050" },
	{ "F.5.5/6 CTR-AES256", CE_ALG_AES_CTR, K256, ICB38A, PT38A,
	  "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c5"
	  "2b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6" },
};

static const struct kat kats_ecb[] = {
	{ "F.1.1/2 ECB-AES128", CE_ALG_AES_ECB, K128, NULL, PT38A,
	  "3ad77bb40d7a3660a89ecaf32466ef97f5d3d58503b9699de785895a96fdbaaf"
	  "43b1cd7f598ece23881b00e3ed0306887b0c785e27e8ad3f8223207104725dd4" },
	{ "F.1.3/4 ECB-AES192", CE_ALG_AES_ECB, K192, NULL, PT38A,
	  "bd334f1d6e45f25ff712a214571fa5cc974104846d0ad3ad7734ecb3ecee4eef"
	  "ef7afd2270e2e60adce0ba2face6444e9a4b41ba738d6c72fb16691603c18e0e" },
	{ "F.1.5/6 ECB-AES256", CE_ALG_AES_ECB, K256, NULL, PT38A,
	  "f3eed1bdb5d2a03c064b5a7e3db181f8591ccb10d410ed26dc5ba74a31362870"
	  "b6ed21b99ca6f4f9f153e7b1beafed1d23304b7a39f9f3ff067d8d8f9e24ecc7" },
};

static const struct kat kats_xts[] = {
	{ "IEEE 1619 vector 2 XTS-AES-128", CE_ALG_AES_XTS,
	  "1111111111111111111111111111111122222222222222222222222222222222",
	  "33333333330000000000000000000000",
	  "4444444444444444444444444444444444444444444444444444444444444444",
	  "c454185e6a16936e39334038acef838bfb186fff7480adc4289382ecd6d394f0" },
	{ "IEEE 1619 vector 15 XTS-AES-128 (17 bytes, stealing)",
	  CE_ALG_AES_XTS,
	  "fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0bfbebdbcbbbab9b8b7b6b5b4b3b2b1b0",
	  "9a785634120000000000000000000000",
	  "000102030405060708090a0b0c0d0e0f10",
	  "6c1625db4671522d3d7599601de7ca09ed" },
};

/* The chaining value the API promises after a call (docs/abi.md). */
static void expected_chain(enum ce_alg alg, int decrypt, const uint8_t *iv,
			   const uint8_t *in, const uint8_t *out, size_t len,
			   uint8_t chain[CE_IV_LEN])
{
	switch (alg) {
	case CE_ALG_AES_CBC:
		memcpy(chain, (decrypt ? in : out) + len - 16, 16);
		break;
	case CE_ALG_AES_CTR: {
		uint64_t add = (len + 15) / 16;
		unsigned carry = 0;

		for (int i = 15; i >= 0; i--) {
			unsigned v = iv[i] + (unsigned)(add & 0xff) + carry;

			chain[i] = (uint8_t)v;
			carry = v >> 8;
			add >>= 8;
		}
		break;
	}
	default:
		if (iv)
			memcpy(chain, iv, 16);
		else
			memset(chain, 0, 16);
	}
}

static void run_kat(const struct tctx *t, const struct kat *k)
{
	uint8_t key[64], iv[16], pt[512], ct[512], buf[512], ivo[16], exp[16];
	size_t keylen = unhex(k->key, key, sizeof(key));
	size_t len = unhex(k->pt, pt, sizeof(pt));
	const uint8_t *ivp = NULL;
	struct ce_engine *e = open_engine(t);
	struct ce_session *s;
	int rc;

	assert_int_equal(unhex(k->ct, ct, sizeof(ct)), len);
	if (k->iv) {
		unhex(k->iv, iv, sizeof(iv));
		ivp = iv;
	}
	s = open_session(t, e, k->alg, key, keylen);
	print_message("  %s via %s\n", k->name, ce_engine_describe(e));

	/* encrypt, out of place */
	memset(buf, 0, sizeof(buf));
	memset(ivo, 0xa5, sizeof(ivo));
	rc = ce_encrypt(s, ivp, pt, buf, len, ivo);
	if (rc == -EINVAL && t->kind == CE_KIND_DEVICE &&
	    k->alg == CE_ALG_AES_XTS && len % 16) {
		/* cryptodev-linux: xts(aes) has block size 16 (docs/abi.md) */
		print_message("  device refuses XTS ciphertext stealing (EINVAL)\n");
		ce_session_free(s);
		ce_engine_close(e);
		return;
	}
	assert_int_equal(rc, 0);
	assert_memory_equal(buf, ct, len);
	expected_chain(k->alg, 0, ivp, pt, ct, len, exp);
	assert_memory_equal(ivo, exp, 16);

	/* decrypt, out of place */
	memset(buf, 0, sizeof(buf));
	assert_int_equal(ce_decrypt(s, ivp, ct, buf, len, ivo), 0);
	assert_memory_equal(buf, pt, len);
	expected_chain(k->alg, 1, ivp, ct, pt, len, exp);
	assert_memory_equal(ivo, exp, 16);

	/* in place both ways, without iv_out */
	memcpy(buf, pt, len);
	assert_int_equal(ce_encrypt(s, ivp, buf, buf, len, NULL), 0);
	assert_memory_equal(buf, ct, len);
	assert_int_equal(ce_decrypt(s, ivp, buf, buf, len, NULL), 0);
	assert_memory_equal(buf, pt, len);

	/* in place with iv_out aliasing the iv */
	if (ivp) {
		uint8_t iv2[16];

		memcpy(iv2, iv, 16);
		memcpy(buf, ct, len);
		assert_int_equal(ce_decrypt(s, iv2, buf, buf, len, iv2), 0);
		assert_memory_equal(buf, pt, len);
		expected_chain(k->alg, 1, iv, ct, pt, len, exp);
		assert_memory_equal(iv2, exp, 16);
	}
	ce_session_free(s);
	ce_engine_close(e);
}

static void run_kats(void **state, const struct kat *k, size_t n)
{
	for (size_t i = 0; i < n; i++)
		run_kat(*state, &k[i]);
}

static void test_kat_cbc(void **state)
{
	run_kats(state, kats_cbc, sizeof(kats_cbc) / sizeof(kats_cbc[0]));
}

static void test_kat_ctr(void **state)
{
	run_kats(state, kats_ctr, sizeof(kats_ctr) / sizeof(kats_ctr[0]));
}

static void test_kat_ecb(void **state)
{
	run_kats(state, kats_ecb, sizeof(kats_ecb) / sizeof(kats_ecb[0]));
}

static void test_kat_xts(void **state)
{
	run_kats(state, kats_xts, sizeof(kats_xts) / sizeof(kats_xts[0]));
}

/*
 * XTS-AES-256 (64-byte key) against OpenSSL EVP directly, 16..100 bytes
 * (lengths that are not a multiple of 16 only in software).
 */
static void test_xts256_matches_evp(void **state)
{
	const struct tctx *t = *state;
	uint8_t key[64], iv[16], pt[100], a[100], b[100];
	struct ce_engine *e = open_engine(t);
	struct ce_session *s;

	for (int i = 0; i < 64; i++)
		key[i] = (uint8_t)(i * 7 + 1);
	for (int i = 0; i < 16; i++)
		iv[i] = (uint8_t)(0xf0 ^ i);
	for (int i = 0; i < 100; i++)
		pt[i] = (uint8_t)(i * 13);
	s = open_session(t, e, CE_ALG_AES_XTS, key, 64);
	for (size_t len = 16; len <= 100; len += 7) {
		EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
		int n1 = 0, n2 = 0;

		assert_non_null(c);
		assert_int_equal(EVP_EncryptInit_ex(c, EVP_aes_256_xts(), NULL,
						    key, iv), 1);
		assert_int_equal(EVP_EncryptUpdate(c, b, &n1, pt, (int)len), 1);
		assert_int_equal(EVP_EncryptFinal_ex(c, b + n1, &n2), 1);
		EVP_CIPHER_CTX_free(c);
		assert_int_equal((size_t)(n1 + n2), len);
		if (t->kind == CE_KIND_DEVICE && len % 16) {
			/* cryptodev-linux: xts(aes) block size is 16 */
			assert_int_equal(ce_encrypt(s, iv, pt, a, len, NULL),
					 -EINVAL);
			continue;
		}
		assert_int_equal(ce_encrypt(s, iv, pt, a, len, NULL), 0);
		assert_memory_equal(a, b, len);
		assert_int_equal(ce_decrypt(s, iv, a, a, len, NULL), 0);
		assert_memory_equal(a, pt, len);
	}
	ce_session_free(s);
	ce_engine_close(e);
}

/* ---- HMAC: RFC 4231 (SHA-256), RFC 2202 (SHA-1) ---- */

struct hkat {
	const char *name;
	uint8_t keybyte;	/* key = keylen copies, unless keystr */
	size_t keylen;
	const char *keystr;
	uint8_t databyte;	/* data = datalen copies, unless datastr */
	size_t datalen;
	const char *datastr;
	const char *tag;
};

#define LARGE_KEY_MSG "Test Using Larger Than Block-Size Key - Hash Key First"

static const struct hkat hkats_sha256[] = {
	{ "RFC 4231 TC1", 0x0b, 20, NULL, 0, 0, "Hi There",
	  "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7" },
	{ "RFC 4231 TC2", 0, 4, "Jefe", 0, 0, "what do ya want for nothing?",
	  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
	{ "RFC 4231 TC3", 0xaa, 20, NULL, 0xdd, 50, NULL,
	  "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe" },
	{ "RFC 4231 TC6", 0xaa, 131, NULL, 0, 0, LARGE_KEY_MSG,
	  "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54" },
};

static const struct hkat hkats_sha1[] = {
	{ "RFC 2202 TC1", 0x0b, 20, NULL, 0, 0, "Hi There",
	  "b617318655057264e28bc0b6fb378c8ef146be00" },
	{ "RFC 2202 TC2", 0, 4, "Jefe", 0, 0, "what do ya want for nothing?",
	  "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79" },
	{ "RFC 2202 TC3", 0xaa, 20, NULL, 0xdd, 50, NULL,
	  "125d7342b9ac11cd91a39af48aa17b4f63f175d3" },
	{ "RFC 2202 TC6", 0xaa, 80, NULL, 0, 0, LARGE_KEY_MSG,
	  "aa4ae5e15272d00e95705637ce8a3b55ed402112" },
};

static void run_hkats(void **state, enum ce_alg alg, const struct hkat *h,
		      size_t n)
{
	const struct tctx *t = *state;
	struct ce_engine *e = open_engine(t);

	for (size_t i = 0; i < n; i++) {
		uint8_t key[200], data[100], exp[32], tag[CE_MAX_TAG];
		size_t datalen, taglen = 0, explen;
		struct ce_session *s;
		struct ce_buf parts[3];

		if (h[i].keystr)
			memcpy(key, h[i].keystr, h[i].keylen);
		else
			memset(key, h[i].keybyte, h[i].keylen);
		if (h[i].datastr) {
			datalen = strlen(h[i].datastr);
			memcpy(data, h[i].datastr, datalen);
		} else {
			datalen = h[i].datalen;
			memset(data, h[i].databyte, datalen);
		}
		explen = unhex(h[i].tag, exp, sizeof(exp));
		s = open_session(t, e, alg, key, h[i].keylen);
		print_message("  %s via %s\n", h[i].name, ce_engine_describe(e));

		parts[0] = (struct ce_buf){ data, datalen };
		assert_int_equal(ce_digest(s, parts, 1, tag, &taglen), 0);
		assert_int_equal(taglen, explen);
		assert_memory_equal(tag, exp, explen);

		/* the same message in three parts, one of them empty */
		parts[0] = (struct ce_buf){ data, 3 };
		parts[1] = (struct ce_buf){ NULL, 0 };
		parts[2] = (struct ce_buf){ data + 3, datalen - 3 };
		memset(tag, 0, sizeof(tag));
		assert_int_equal(ce_digest(s, parts, 3, tag, &taglen), 0);
		assert_int_equal(taglen, explen);
		assert_memory_equal(tag, exp, explen);
		ce_session_free(s);
	}
	ce_engine_close(e);
}

static void test_hmac_sha256(void **state)
{
	run_hkats(state, CE_ALG_HMAC_SHA256, hkats_sha256,
		  sizeof(hkats_sha256) / sizeof(hkats_sha256[0]));
}

static void test_hmac_sha1(void **state)
{
	run_hkats(state, CE_ALG_HMAC_SHA1, hkats_sha1,
		  sizeof(hkats_sha1) / sizeof(hkats_sha1[0]));
}

/* Every hash and HMAC against OpenSSL's one-shot functions, in parts. */
static void test_digests_match_openssl(void **state)
{
	static const struct {
		enum ce_alg alg;
		const char *md;
		int keyed;
	} algs[] = {
		{ CE_ALG_MD5, "MD5", 0 }, { CE_ALG_SHA1, "SHA1", 0 },
		{ CE_ALG_SHA224, "SHA224", 0 }, { CE_ALG_SHA256, "SHA256", 0 },
		{ CE_ALG_SHA384, "SHA384", 0 }, { CE_ALG_SHA512, "SHA512", 0 },
		{ CE_ALG_HMAC_MD5, "MD5", 1 }, { CE_ALG_HMAC_SHA1, "SHA1", 1 },
		{ CE_ALG_HMAC_SHA224, "SHA224", 1 },
		{ CE_ALG_HMAC_SHA256, "SHA256", 1 },
		{ CE_ALG_HMAC_SHA384, "SHA384", 1 },
		{ CE_ALG_HMAC_SHA512, "SHA512", 1 },
	};
	const struct tctx *t = *state;
	struct ce_engine *e = open_engine(t);
	uint8_t key[150], data[1000], tag[CE_MAX_TAG], exp[EVP_MAX_MD_SIZE];
	unsigned explen;

	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i + 3);
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 31);
	for (size_t a = 0; a < sizeof(algs) / sizeof(algs[0]); a++) {
		const EVP_MD *md = EVP_get_digestbyname(algs[a].md);
		struct ce_buf parts[3] = { { data, 1 }, { data + 1, 500 },
					   { data + 501, 499 } };
		struct ce_session *s;
		size_t taglen = 0;

		s = open_session(t, e, algs[a].alg, algs[a].keyed ? key : NULL,
				 algs[a].keyed ? sizeof(key) : 0);
		if (algs[a].keyed)
			HMAC(md, key, sizeof(key), data, sizeof(data), exp, &explen);
		else
			EVP_Digest(data, sizeof(data), exp, &explen, md, NULL);
		assert_int_equal(ce_digest(s, parts, 3, tag, &taglen), 0);
		assert_int_equal(taglen, explen);
		assert_int_equal(ce_digest_len(algs[a].alg), explen);
		assert_memory_equal(tag, exp, explen);
		ce_session_free(s);
	}
	/* a hash takes no key, and a digest is not a cipher */
	{
		struct ce_session *s = NULL;
		char err[200] = "";

		assert_int_equal(ce_session_new(e, &s, CE_ALG_SHA256, key, 16,
						err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "takes no key"));
		assert_int_equal(ce_digest_len(CE_ALG_AES_CBC), 0);
	}
	ce_engine_close(e);
}

/* ---- chaining through iv_out ---- */

static void chain_case(const struct tctx *t, struct ce_engine *e,
		       enum ce_alg alg, const size_t *cuts, size_t ncuts)
{
	uint8_t key[32], iv[16], pt[256], one[256], pieces[256], back[256];
	uint8_t cur[16], endiv[16];
	struct ce_session *s;
	size_t off = 0;

	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)(0x40 + i);
	for (int i = 0; i < 16; i++)
		iv[i] = (uint8_t)(0xfe - i);
	iv[15] = 0xfd;	/* CTR: the low bytes carry during the run */
	iv[14] = 0xff;
	for (int i = 0; i < 256; i++)
		pt[i] = (uint8_t)(i ^ 0x5a);
	s = open_session(t, e, alg, key, 32);

	assert_int_equal(ce_encrypt(s, iv, pt, one, 256, endiv), 0);
	memcpy(cur, iv, 16);
	for (size_t i = 0; i <= ncuts; i++) {
		size_t end = i < ncuts ? cuts[i] : 256;

		assert_int_equal(ce_encrypt(s, cur, pt + off, pieces + off,
					    end - off, cur), 0);
		off = end;
	}
	assert_memory_equal(pieces, one, 256);
	assert_memory_equal(cur, endiv, 16);

	/* decrypt in pieces, in place, chaining through the same buffer */
	memcpy(back, one, 256);
	memcpy(cur, iv, 16);
	off = 0;
	for (size_t i = 0; i <= ncuts; i++) {
		size_t end = i < ncuts ? cuts[i] : 256;

		assert_int_equal(ce_decrypt(s, cur, back + off, back + off,
					    end - off, cur), 0);
		off = end;
	}
	assert_memory_equal(back, pt, 256);
	assert_memory_equal(cur, endiv, 16);
	ce_session_free(s);
}

static void test_chaining(void **state)
{
	const struct tctx *t = *state;
	struct ce_engine *e = open_engine(t);
	static const size_t cuts1[] = { 16, 64, 208 };
	static const size_t cuts2[] = { 128 };
	static const size_t cuts3[] = { 16, 32, 48, 64, 80, 96, 112, 240 };

	chain_case(t, e, CE_ALG_AES_CBC, cuts1, 3);
	chain_case(t, e, CE_ALG_AES_CBC, cuts2, 1);
	chain_case(t, e, CE_ALG_AES_CBC, cuts3, 8);
	chain_case(t, e, CE_ALG_AES_CTR, cuts1, 3);
	chain_case(t, e, CE_ALG_AES_CTR, cuts3, 8);
	ce_engine_close(e);
}

/*
 * CTR iv_out after a partial block is the counter after that block (the
 * unused keystream is dropped), with the carry running through all 16
 * bytes; and the engine's own counter carries the same way.
 */
static void test_ctr_counter(void **state)
{
	const struct tctx *t = *state;
	struct ce_engine *e = open_engine(t);
	uint8_t key[16] = { 1, 2, 3 }, iv[16], ivo[16], exp[16];
	uint8_t pt[64] = { 0 }, one[64], two[64];
	struct ce_session *s = open_session(t, e, CE_ALG_AES_CTR, key, 16);

	/* 17 bytes from ...00: counter + 2 */
	memset(iv, 0, 16);
	assert_int_equal(ce_encrypt(s, iv, pt, one, 17, ivo), 0);
	memset(exp, 0, 16);
	exp[15] = 2;
	assert_memory_equal(ivo, exp, 16);

	/* 1 byte from ff..ff wraps to 00..00 */
	memset(iv, 0xff, 16);
	assert_int_equal(ce_encrypt(s, iv, pt, one, 1, ivo), 0);
	memset(exp, 0, 16);
	assert_memory_equal(ivo, exp, 16);

	/* 64 bytes from 00..00 ff*9 fe: carry into byte 5; pieces agree */
	memset(iv, 0, 16);
	memset(iv + 6, 0xff, 10);
	iv[15] = 0xfe;
	assert_int_equal(ce_encrypt(s, iv, pt, one, 64, ivo), 0);
	memset(exp, 0, 16);
	exp[5] = 1;
	exp[15] = 2;
	assert_memory_equal(ivo, exp, 16);
	assert_int_equal(ce_encrypt(s, iv, pt, two, 32, ivo), 0);
	assert_int_equal(ce_encrypt(s, ivo, pt + 32, two + 32, 32, ivo), 0);
	assert_memory_equal(one, two, 64);

	ce_session_free(s);
	ce_engine_close(e);
}

/* ---- argument errors (software engine; the rules are the dispatcher's) ---- */

static void test_bad_keys(void **state)
{
	static const struct { enum ce_alg alg; size_t keylen; } bad[] = {
		{ CE_ALG_AES_CBC, 0 }, { CE_ALG_AES_CBC, 15 },
		{ CE_ALG_AES_CBC, 33 }, { CE_ALG_AES_CTR, 17 },
		{ CE_ALG_AES_ECB, 64 }, { CE_ALG_AES_XTS, 16 },
		{ CE_ALG_AES_XTS, 48 }, { CE_ALG_HMAC_SHA256, 513 },
		{ (enum ce_alg)99, 16 },
	};
	uint8_t key[600] = { 0 };
	struct ce_engine *e = open_engine(&sw_ctx);

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ce_session *s = (struct ce_session *)1;
		char err[256] = "";

		assert_int_equal(ce_session_new(e, &s, bad[i].alg, key,
						bad[i].keylen, err, sizeof(err)),
				 -EINVAL);
		assert_null(s);
		assert_true(strlen(err) > 10);
	}
	/* XTS with two equal halves: OpenSSL refuses, and says why */
	{
		struct ce_session *s = NULL;
		char err[256] = "";

		memset(key, 0x42, 64);
		assert_int_equal(ce_session_new(e, &s, CE_ALG_AES_XTS, key, 64,
						err, sizeof(err)), -EINVAL);
		assert_null(s);
		assert_non_null(strstr(err, "duplicated keys"));
	}
	ce_engine_close(e);
}

/* driver/uapi/cryptodev.h against the numbers in docs/abi.md (x86_64). */
static void test_abi_layout(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct session_op), 48);
	assert_int_equal(offsetof(struct session_op, cipher), 0);
	assert_int_equal(offsetof(struct session_op, mac), 4);
	assert_int_equal(offsetof(struct session_op, keylen), 8);
	assert_int_equal(offsetof(struct session_op, key), 16);
	assert_int_equal(offsetof(struct session_op, mackeylen), 24);
	assert_int_equal(offsetof(struct session_op, mackey), 32);
	assert_int_equal(offsetof(struct session_op, ses), 40);
	assert_int_equal(sizeof(struct crypt_op), 48);
	assert_int_equal(offsetof(struct crypt_op, ses), 0);
	assert_int_equal(offsetof(struct crypt_op, op), 4);
	assert_int_equal(offsetof(struct crypt_op, flags), 6);
	assert_int_equal(offsetof(struct crypt_op, len), 8);
	assert_int_equal(offsetof(struct crypt_op, src), 16);
	assert_int_equal(offsetof(struct crypt_op, dst), 24);
	assert_int_equal(offsetof(struct crypt_op, mac), 32);
	assert_int_equal(offsetof(struct crypt_op, iv), 40);
	assert_int_equal(sizeof(struct session_info_op), 268);
	assert_int_equal(offsetof(struct session_info_op, hash_info), 132);
	assert_int_equal(offsetof(struct session_info_op, alignmask), 260);
	assert_int_equal(offsetof(struct session_info_op, flags), 264);
	assert_int_equal(CRIOGET, 0xc0046365u);
	assert_int_equal(CIOCGSESSION, 0xc0306366u);
	assert_int_equal(CIOCFSESSION, 0x40046367u);
	assert_int_equal(CIOCCRYPT, 0xc0306368u);
	assert_int_equal(CIOCASYMFEAT, 0x8004636au);
	assert_int_equal(CIOCGSESSINFO, 0xc10c636bu);
	assert_int_equal(CRYPTO_AES_CBC, 11);
	assert_int_equal(CRYPTO_AES_CTR, 21);
	assert_int_equal(CRYPTO_AES_XTS, 22);
	assert_int_equal(CRYPTO_AES_ECB, 23);
	assert_int_equal(CRYPTO_SHA1_HMAC, 7);
	assert_int_equal(CRYPTO_SHA2_256_HMAC, 18);
	assert_int_equal(COP_ENCRYPT, 0);
	assert_int_equal(COP_DECRYPT, 1);
	assert_int_equal(COP_FLAG_WRITE_IV, 4);
}

static void test_bad_lengths(void **state)
{
	uint8_t key[64] = { 9 }, iv[16] = { 0 }, buf[64] = { 0 }, ivo[16];
	struct ce_engine *e = open_engine(&sw_ctx);
	struct ce_session *cbc, *ecb, *xts, *ctr, *mac;
	uint8_t tag[CE_MAX_TAG];
	size_t taglen;
	struct ce_buf part = { buf, 8 };

	(void)state;
	assert_int_equal(ce_session_new(e, &cbc, CE_ALG_AES_CBC, key, 16, NULL, 0), 0);
	assert_int_equal(ce_session_new(e, &ecb, CE_ALG_AES_ECB, key, 24, NULL, 0), 0);
	assert_int_equal(ce_session_new(e, &xts, CE_ALG_AES_XTS, key, 32, NULL, 0), 0);
	assert_int_equal(ce_session_new(e, &ctr, CE_ALG_AES_CTR, key, 32, NULL, 0), 0);
	assert_int_equal(ce_session_new(e, &mac, CE_ALG_HMAC_SHA256, key, 0, NULL, 0), 0);

	assert_int_equal(ce_encrypt(cbc, iv, buf, buf, 15, NULL), -EINVAL);
	assert_int_equal(ce_decrypt(cbc, iv, buf, buf, 33, NULL), -EINVAL);
	assert_int_equal(ce_encrypt(ecb, NULL, buf, buf, 17, NULL), -EINVAL);
	assert_int_equal(ce_encrypt(xts, iv, buf, buf, 15, NULL), -EINVAL);
	assert_int_equal(ce_decrypt(xts, iv, buf, buf, 0, NULL), -EINVAL);
	assert_int_equal(ce_encrypt(cbc, NULL, buf, buf, 16, NULL), -EINVAL);
	assert_int_equal(ce_encrypt(ctr, NULL, buf, buf, 5, NULL), -EINVAL);
	assert_int_equal(ce_encrypt(cbc, iv, NULL, buf, 16, NULL), -EINVAL);
	assert_int_equal(ce_encrypt(mac, iv, buf, buf, 16, NULL), -EINVAL);
	assert_int_equal(ce_digest(cbc, &part, 1, tag, &taglen), -EINVAL);
	assert_int_equal(ce_encrypt(NULL, iv, buf, buf, 16, NULL), -EINVAL);

	/* what is allowed: CTR any length, len 0 leaves iv_out = iv */
	assert_int_equal(ce_encrypt(ctr, iv, buf, buf, 5, NULL), 0);
	iv[3] = 7;
	memset(ivo, 0xee, 16);
	assert_int_equal(ce_encrypt(cbc, iv, buf, buf, 0, ivo), 0);
	assert_memory_equal(ivo, iv, 16);
	assert_int_equal(ce_encrypt(xts, iv, buf, buf, 17, ivo), 0);
	assert_memory_equal(ivo, iv, 16);
	assert_int_equal(ce_encrypt(ecb, NULL, buf, buf, 32, ivo), 0);
	memset(iv, 0, 16);
	assert_memory_equal(ivo, iv, 16);
	/* XTS above OpenSSL's 2^20 blocks per data unit */
	{
		size_t big = (16u << 20) + 16;
		uint8_t *p = calloc(1, big);

		assert_non_null(p);
		assert_int_equal(ce_encrypt(xts, iv, p, p, big, NULL), -EINVAL);
		assert_int_equal(ce_encrypt(xts, iv, p, p, 16u << 20, NULL), 0);
		free(p);
	}
	/* HMAC with an empty key and an empty message (RFC 2104 allows) */
	assert_int_equal(ce_digest(mac, NULL, 0, tag, &taglen), 0);
	assert_int_equal(taglen, 32);

	ce_session_free(cbc);
	ce_session_free(ecb);
	ce_session_free(xts);
	ce_session_free(ctr);
	ce_session_free(mac);
	ce_engine_close(e);
}

/* ---- engines: kinds, descriptions, device errors, AUTO fallback ---- */

static void test_kind_parse(void **state)
{
	enum ce_kind k;

	(void)state;
	assert_int_equal(ce_kind_parse("auto", &k), 0);
	assert_int_equal(k, CE_KIND_AUTO);
	assert_int_equal(ce_kind_parse("device", &k), 0);
	assert_int_equal(k, CE_KIND_DEVICE);
	assert_int_equal(ce_kind_parse("software", &k), 0);
	assert_int_equal(k, CE_KIND_SOFTWARE);
	assert_int_equal(ce_kind_parse("hardware", &k), -EINVAL);
	assert_int_equal(ce_kind_parse("", &k), -EINVAL);
	assert_int_equal(ce_kind_parse(NULL, &k), -EINVAL);
}

static void test_describe_software(void **state)
{
	struct ce_engine *e = open_engine(&sw_ctx);

	(void)state;
	assert_true(strncmp(ce_engine_describe(e), "software (OpenSSL ", 18) == 0);
	ce_engine_close(e);
}

static void test_device_missing_node(void **state)
{
	struct ce_engine *e = (struct ce_engine *)1;
	char err[256] = "";
	int rc;

	(void)state;
	rc = ce_engine_open(&e, CE_KIND_DEVICE, "/nonexistent/crypto", err,
			    sizeof(err));
	assert_int_equal(rc, -ENOENT);
	assert_null(e);
	print_message("  reason: %s\n", err);
	assert_non_null(strstr(err, "/nonexistent/crypto"));
	assert_non_null(strstr(err, strerror(ENOENT)));
}

static void test_device_refuses_session(void **state)
{
	struct tctx t = { CE_KIND_DEVICE, "/dev/null" };
	struct ce_engine *e = open_engine(&t);
	struct ce_session *s = (struct ce_session *)1;
	uint8_t key[16] = { 0 };
	char err[256] = "";
	int rc;

	(void)state;
	assert_string_equal(ce_engine_describe(e), "device (/dev/null)");
	rc = ce_session_new(e, &s, CE_ALG_AES_CBC, key, 16, err, sizeof(err));
	assert_true(rc < 0);
	assert_null(s);
	print_message("  rc %d, reason: %s\n", rc, err);
	assert_non_null(strstr(err, "refused"));
	assert_non_null(strstr(err, "/dev/null"));
	assert_non_null(strstr(err, strerror(-rc)));
	ce_engine_close(e);
}

/* AUTO that ends up in software: the session works and says why. */
static void auto_falls_back(const char *node, const char *why)
{
	struct tctx t = { CE_KIND_AUTO, node };
	struct ce_engine *e = open_engine(&t);
	const struct kat *k = &kats_cbc[0];
	uint8_t key[16], iv[16], pt[64], ct[64], buf[64];
	struct ce_session *s = NULL;
	char err[256] = "";
	const char *d;

	unhex(k->key, key, sizeof(key));
	unhex(k->iv, iv, sizeof(iv));
	unhex(k->pt, pt, sizeof(pt));
	unhex(k->ct, ct, sizeof(ct));
	assert_int_equal(ce_session_new(e, &s, CE_ALG_AES_CBC, key, 16, err,
					sizeof(err)), 0);
	assert_false(ce_session_is_device(s));
	assert_int_equal(ce_encrypt(s, iv, pt, buf, 64, NULL), 0);
	assert_memory_equal(buf, ct, 64);
	d = ce_engine_describe(e);
	print_message("  %s\n", d);
	assert_true(strncmp(d, "auto: software (OpenSSL ", 24) == 0);
	assert_non_null(strstr(d, node));
	assert_non_null(strstr(d, why));
	ce_session_free(s);
	ce_engine_close(e);
}

static void test_auto_missing_node(void **state)
{
	(void)state;
	auto_falls_back("/nonexistent/crypto", strerror(ENOENT));
}

static void test_auto_refusing_node(void **state)
{
	struct tctx t = { CE_KIND_AUTO, "/dev/null" };
	struct ce_engine *e = open_engine(&t);

	(void)state;
	/* before any session AUTO would use the node it opened */
	assert_string_equal(ce_engine_describe(e), "auto: device (/dev/null)");
	ce_engine_close(e);
	auto_falls_back("/dev/null", "refused");
}

/* ---- threads sharing one session ---- */

#define THREAD_ITERS 1500

struct worker {
	pthread_t tid;
	struct ce_session *cbc, *mac;
	const uint8_t *key;
	unsigned seed;
	int bad;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	uint8_t pt[4096], ct[4096], ref[4096], iv[16], ivo[16];
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	unsigned r = w->seed;

	if (!c) {
		w->bad++;
		return NULL;
	}
	for (int it = 0; it < THREAD_ITERS; it++) {
		size_t len = 16 * (1 + (r = r * 1103515245 + 12345) % 256);
		uint8_t tag[CE_MAX_TAG], reftag[EVP_MAX_MD_SIZE];
		unsigned reflen = 0;
		size_t taglen = 0;
		int n1 = 0, n2 = 0;
		struct ce_buf part;

		for (size_t i = 0; i < len; i++)
			pt[i] = (uint8_t)(r >> (i % 24)) ^ (uint8_t)i;
		for (int i = 0; i < 16; i++)
			iv[i] = (uint8_t)(r * (unsigned)(i + 3));
		if (!EVP_EncryptInit_ex(c, EVP_aes_256_cbc(), NULL, w->key, iv) ||
		    !EVP_CIPHER_CTX_set_padding(c, 0) ||
		    !EVP_EncryptUpdate(c, ref, &n1, pt, (int)len) ||
		    !EVP_EncryptFinal_ex(c, ref + n1, &n2))
			w->bad++;
		if (ce_encrypt(w->cbc, iv, pt, ct, len, ivo) ||
		    memcmp(ct, ref, len) || memcmp(ivo, ct + len - 16, 16))
			w->bad++;
		if (ce_decrypt(w->cbc, iv, ct, ct, len, NULL) ||
		    memcmp(ct, pt, len))
			w->bad++;
		if (it % 4 == 0) {
			part = (struct ce_buf){ pt, len };
			if (!HMAC(EVP_sha256(), w->key, 32, pt, len, reftag,
				  &reflen) ||
			    ce_digest(w->mac, &part, 1, tag, &taglen) ||
			    taglen != reflen || memcmp(tag, reftag, reflen))
				w->bad++;
		}
	}
	EVP_CIPHER_CTX_free(c);
	return NULL;
}

static void run_threads(const struct tctx *t, int nthreads)
{
	struct ce_engine *e = open_engine(t);
	struct worker w[16];
	uint8_t key[32];
	struct ce_session *cbc, *mac = NULL;
	struct ce_engine *sw = NULL;
	char err[256];
	int bad = 0;

	assert_true(nthreads <= 16);
	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)(i * 31 + 7);
	cbc = open_session(t, e, CE_ALG_AES_CBC, key, 32);
	if (ce_session_new(e, &mac, CE_ALG_HMAC_SHA256, key, 32, err,
			   sizeof(err)) < 0) {
		/* a device without HMAC: hash in software next to it */
		sw = open_engine(&sw_ctx);
		print_message("  HMAC on software: %s\n", err);
		assert_int_equal(ce_session_new(sw, &mac, CE_ALG_HMAC_SHA256,
						key, 32, err, sizeof(err)), 0);
	}
	for (int i = 0; i < nthreads; i++) {
		w[i] = (struct worker){ .cbc = cbc, .mac = mac, .key = key,
					.seed = (unsigned)(i * 7919 + 1) };
		assert_int_equal(pthread_create(&w[i].tid, NULL, worker_main,
						&w[i]), 0);
	}
	for (int i = 0; i < nthreads; i++) {
		pthread_join(w[i].tid, NULL);
		bad += w[i].bad;
	}
	assert_int_equal(bad, 0);
	ce_session_free(mac);
	ce_session_free(cbc);
	ce_engine_close(sw);
	ce_engine_close(e);
}

static void test_threads_4(void **state)
{
	run_threads(*state, 4);
}

/* More threads than the software engine keeps working contexts. */
static void test_threads_12(void **state)
{
	run_threads(*state, 12);
}

/* ---- the device engine on the stand-in node ---- */

static void test_auto_uses_device(void **state)
{
	struct tctx t = { CE_KIND_AUTO, fake_ctx.path };
	struct ce_engine *e = open_engine(&t);
	uint8_t key[16] = { 1 }, iv[16] = { 2 }, a[32] = { 3 }, b[32];
	struct ce_session *s = NULL, *sw = NULL;
	struct ce_engine *se = open_engine(&sw_ctx);
	char want[300];

	(void)state;
	assert_int_equal(ce_session_new(e, &s, CE_ALG_AES_CBC, key, 16, NULL, 0), 0);
	assert_true(ce_session_is_device(s));
	snprintf(want, sizeof(want), "auto: device (%s)", fake_ctx.path);
	assert_string_equal(ce_engine_describe(e), want);
	assert_int_equal(ce_session_new(se, &sw, CE_ALG_AES_CBC, key, 16, NULL, 0), 0);
	assert_int_equal(ce_encrypt(s, iv, a, b, 32, NULL), 0);
	assert_int_equal(ce_encrypt(sw, iv, a, a, 32, NULL), 0);
	assert_memory_equal(a, b, 32);
	ce_session_free(sw);
	ce_session_free(s);
	ce_engine_close(se);
	ce_engine_close(e);
}

/* Every CIOCGSESSION above was matched by a CIOCFSESSION. */
static void test_device_sessions_freed(void **state)
{
	(void)state;
	assert_int_equal(fake_cryptodev_sessions(), 0);
}

/* ---- main ---- */

#define SW(f) cmocka_unit_test_prestate(f, &sw_ctx)
#define DEV(f) cmocka_unit_test_prestate(f, &dev_ctx)
#define FAKE(f) cmocka_unit_test_prestate(f, &fake_ctx)

static void test_device_present(void **state)
{
	const struct tctx *t = *state;

	if (access(t->path, R_OK | W_OK) != 0)
		fail_msg("CE_TEST_DEVICE: %s is not usable: %s", t->path,
			 strerror(errno));
}

int main(int argc, char **argv)
{
	const struct CMUnitTest common[] = {
		SW(test_kat_cbc), SW(test_kat_ctr), SW(test_kat_ecb),
		SW(test_kat_xts), SW(test_xts256_matches_evp),
		SW(test_hmac_sha256), SW(test_hmac_sha1),
		SW(test_digests_match_openssl),
		SW(test_chaining), SW(test_ctr_counter),
		cmocka_unit_test(test_bad_keys),
		cmocka_unit_test(test_bad_lengths),
		cmocka_unit_test(test_kind_parse),
		cmocka_unit_test(test_abi_layout),
		cmocka_unit_test(test_describe_software),
		cmocka_unit_test(test_device_missing_node),
		cmocka_unit_test(test_device_refuses_session),
		cmocka_unit_test(test_auto_missing_node),
		cmocka_unit_test(test_auto_refusing_node),
		SW(test_threads_4), SW(test_threads_12),
		FAKE(test_kat_cbc), FAKE(test_kat_ctr), FAKE(test_kat_ecb),
		FAKE(test_kat_xts), FAKE(test_xts256_matches_evp),
		FAKE(test_hmac_sha256), FAKE(test_hmac_sha1),
		FAKE(test_chaining), FAKE(test_ctr_counter),
		FAKE(test_threads_4),
		cmocka_unit_test(test_auto_uses_device),
		cmocka_unit_test(test_device_sessions_freed),
	};
	const struct CMUnitTest device[] = {
		DEV(test_device_present),
		DEV(test_kat_cbc), DEV(test_kat_ctr), DEV(test_kat_ecb),
		DEV(test_kat_xts), DEV(test_xts256_matches_evp),
		DEV(test_hmac_sha256), DEV(test_hmac_sha1),
		DEV(test_digests_match_openssl),
		DEV(test_chaining), DEV(test_ctr_counter),
		DEV(test_threads_4),
	};
	size_t nc = sizeof(common) / sizeof(common[0]);
	size_t nd = sizeof(device) / sizeof(device[0]);
	struct CMUnitTest all[sizeof(common) / sizeof(common[0]) +
			      sizeof(device) / sizeof(device[0])];
	const char *forced = argc > 1 ? argv[1] : getenv("CE_TEST_DEVICE");
	size_t n = nc;
	int rc;

	fake_ctx.path = fake_cryptodev_create();
	if (!fake_ctx.path) {
		perror("fake cryptodev node");
		return 1;
	}
	if (forced && *forced)
		dev_ctx.path = forced;
	memcpy(all, common, sizeof(common));
	if ((forced && *forced) || access(CE_DEFAULT_DEVICE, F_OK) == 0) {
		printf("device engine tests on %s\n", dev_ctx.path);
		memcpy(all + nc, device, sizeof(device));
		n += nd;
	} else {
		printf("no %s and no CE_TEST_DEVICE: device engine KATs not run\n",
		       CE_DEFAULT_DEVICE);
	}
	rc = _cmocka_run_group_tests("crypto_engine", all, n, NULL, NULL);
	fake_cryptodev_remove();
	return rc;
}
