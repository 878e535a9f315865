/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_backend_request.c - virtio-crypto data requests through the
 * back-end's device logic (crypto_device + crypto_request + session_table)
 * over fake guest memory, no QEMU: NIST SP 800-38A AES-CBC vectors through
 * a fake guest request, every AES mode and key size against OpenSSL EVP,
 * algorithm chaining with HMAC checked against OpenSSL, every status code
 * (OK, BADMSG, NOTSUPP, INVSESS, ERR, NOSPC), the session table limit,
 * resuming a ring at SET_VRING_BASE after out-of-order completion,
 * both QEMU session message layouts (632 and 1072 bytes) parsed from
 * bytes, malformed chains, and many requests in flight on a worker pool.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>
#include <linux/virtio_crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "crypto_device.h"
#include "crypto_session_msg.h"
#include "fake_guest.h"
#include "sp800_38a.h"

#define NUM 64

struct fx {
	struct fake_guest g;
	struct ce_engine *eng;
	struct crypto_device *d;
};

static int setup_ring(void **state, unsigned workers, unsigned max_sessions,
		      unsigned num)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[200];

	assert_non_null(f);
	assert_int_equal(fg_init(&f->g, 20 << 20, num), 0);
	assert_int_equal(ce_engine_open(&f->eng, CE_KIND_SOFTWARE, NULL, err, sizeof(err)), 0);
	assert_int_equal(cd_create(&f->d, f->eng, max_sessions, workers), 0);
	f->d->mem = f->g.gm;		/* host memory: nothing to unmap */
	assert_int_equal(cd_set_num(f->d, 0, num), 0);
	assert_int_equal(cd_set_addr(f->d, 0, f->g.desc, f->g.avail, f->g.used), 0);
	assert_int_equal(cd_set_kick(f->d, 0, -1), 0);
	*state = f;
	return 0;
}

static int setup_workers(void **state, unsigned workers, unsigned max_sessions)
{
	return setup_ring(state, workers, max_sessions, NUM);
}

static int setup_512(void **state)
{
	return setup_ring(state, 0, 4, 512);
}

static int setup(void **state)
{
	return setup_workers(state, 0, 4);
}

static int setup_pool(void **state)
{
	int r = setup_workers(state, 2, 16);

	((struct fx *)*state)->d->inline_max = 0;	/* every request is large */
	return r;
}

static int setup_pool_default(void **state)
{
	return setup_workers(state, 2, 16);	/* CD_INLINE_MAX as shipped */
}

static int teardown(void **state)
{
	struct fx *f = *state;

	cd_destroy(f->d);
	ce_engine_close(f->eng);
	fg_free(&f->g);
	free(f);
	return 0;
}

static uint64_t new_session(struct fx *f, uint32_t alg, const uint8_t *key,
			    uint32_t keylen, uint32_t dir)
{
	struct session_params p = { .op_type = VIRTIO_CRYPTO_SYM_OP_CIPHER,
		.cipher_alg = alg, .direction = dir, .key_len = keylen, .key = key };
	uint64_t id = 0;

	assert_int_equal(st_create(f->d->sessions, &p, &id), VIRTIO_CRYPTO_OK);
	return id;
}

/* A request as the guest lays it out; pieces split src/dst over several
 * descriptors of one contiguous buffer. */
struct req {
	uint8_t hdr[72];
	const uint8_t *iv;
	uint32_t iv_len;
	const uint8_t *src;
	uint32_t src_len;
	const uint8_t *aad;
	uint32_t aad_len;
	uint32_t out_len;	/* writable bytes before the status byte */
	unsigned src_pieces, out_pieces;
	bool indirect;
	bool status_in_last;	/* status = last byte of the last dst desc */
	uint8_t *out;		/* filled in: the guest's dst buffer */
	uint32_t used_len;
};

static void add_split(struct fg_seg *s, unsigned *n, uint64_t gpa, uint32_t len,
		      unsigned pieces, bool w)
{
	uint32_t done = 0;

	if (pieces == 0)
		pieces = 1;
	for (unsigned i = 0; i < pieces && done < len; i++) {
		uint32_t k = i + 1 == pieces ? len - done : len / pieces;
		if (k == 0)
			continue;
		s[(*n)++] = (struct fg_seg){ gpa + done, k, w };
		done += k;
	}
}

static int run(struct fx *f, struct req *r)
{
	struct fg_seg s[300];
	unsigned n = 0;
	uint64_t h = fg_alloc(&f->g, 72), out, st;
	uint32_t id, len;
	uint8_t *status;

	memcpy(fg_ptr(&f->g, h), r->hdr, 72);
	s[n++] = (struct fg_seg){ h, 72, false };
	if (r->iv_len) {
		uint64_t a = fg_alloc(&f->g, r->iv_len);
		memcpy(fg_ptr(&f->g, a), r->iv, r->iv_len);
		s[n++] = (struct fg_seg){ a, r->iv_len, false };
	}
	if (r->src_len) {
		uint64_t a = fg_alloc(&f->g, r->src_len);
		memcpy(fg_ptr(&f->g, a), r->src, r->src_len);
		add_split(s, &n, a, r->src_len, r->src_pieces, false);
	}
	if (r->aad_len) {
		uint64_t a = fg_alloc(&f->g, r->aad_len);
		memcpy(fg_ptr(&f->g, a), r->aad, r->aad_len);
		s[n++] = (struct fg_seg){ a, r->aad_len, false };
	}
	out = fg_alloc(&f->g, r->out_len + 1);
	memset(fg_ptr(&f->g, out), 0xee, r->out_len + 1);
	if (r->status_in_last) {
		add_split(s, &n, out, r->out_len + 1, r->out_pieces, true);
		st = out + r->out_len;
	} else {
		add_split(s, &n, out, r->out_len, r->out_pieces, true);
		st = fg_alloc(&f->g, 1);
		s[n++] = (struct fg_seg){ st, 1, true };
	}
	status = fg_ptr(&f->g, st);
	*status = 0xaa;
	r->out = fg_ptr(&f->g, out);
	fg_submit(&f->g, s, n, r->indirect);
	cd_process(f->d, 0);
	cd_drain(f->d);
	assert_int_equal(fg_get_used(&f->g, &id, &len), 1);
	r->used_len = len;
	return *status;
}

static void cipher_req(struct req *r, uint32_t opcode, uint64_t sid,
		       const uint8_t *iv, uint32_t iv_len, const uint8_t *src,
		       uint32_t len)
{
	memset(r, 0, sizeof(*r));
	fg_cipher_hdr(r->hdr, opcode, sid, iv_len, len, len);
	r->iv = iv;
	r->iv_len = iv_len;
	r->src = src;
	r->src_len = len;
	r->out_len = len;
}

static void test_cbc_sp800_38a(void **state)
{
	struct fx *f = *state;
	uint64_t e128 = new_session(f, VIRTIO_CRYPTO_CIPHER_AES_CBC, K128, 16,
				    VIRTIO_CRYPTO_OP_ENCRYPT);
	uint64_t d256 = new_session(f, VIRTIO_CRYPTO_CIPHER_AES_CBC, K256, 32,
				    VIRTIO_CRYPTO_OP_DECRYPT);
	struct req r;

	/* as the Linux driver sends it: indirect, dst longer than needed,
	 * status at the end of the last writable descriptor */
	cipher_req(&r, VIRTIO_CRYPTO_CIPHER_ENCRYPT, e128, IV, 16, PT, 64);
	r.indirect = true;
	r.src_pieces = 3;
	r.out_len = 64 + 40;
	r.out_pieces = 2;
	r.status_in_last = true;
	assert_int_equal(run(f, &r), VIRTIO_CRYPTO_OK);
	assert_memory_equal(r.out, CT128, 64);
	assert_int_equal(r.out[64], 0xee);	/* beyond dst_len untouched */
	assert_int_equal(r.used_len, 64 + 40 + 1);

	cipher_req(&r, VIRTIO_CRYPTO_CIPHER_DECRYPT, d256, IV, 16, CT256, 64);
	r.src_pieces = 4;
	r.out_pieces = 3;
	assert_int_equal(run(f, &r), VIRTIO_CRYPTO_OK);
	assert_memory_equal(r.out, PT, 64);
}

static const EVP_CIPHER *evp_for(uint32_t alg, uint32_t keylen)
{
	switch (alg) {
	case VIRTIO_CRYPTO_CIPHER_AES_CBC:
		return keylen == 16 ? EVP_aes_128_cbc() : keylen == 24 ? EVP_aes_192_cbc() : EVP_aes_256_cbc();
	case VIRTIO_CRYPTO_CIPHER_AES_CTR:
		return keylen == 16 ? EVP_aes_128_ctr() : keylen == 24 ? EVP_aes_192_ctr() : EVP_aes_256_ctr();
	case VIRTIO_CRYPTO_CIPHER_AES_ECB:
		return keylen == 16 ? EVP_aes_128_ecb() : keylen == 24 ? EVP_aes_192_ecb() : EVP_aes_256_ecb();
	default:
		return keylen == 32 ? EVP_aes_128_xts() : EVP_aes_256_xts();
	}
}

static void evp_crypt(const EVP_CIPHER *c, const uint8_t *key, const uint8_t *iv,
		      const uint8_t *in, uint8_t *out, int len, int enc)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, m = 0;

	assert_int_equal(EVP_CipherInit_ex(ctx, c, NULL, key, iv, enc), 1);
	EVP_CIPHER_CTX_set_padding(ctx, 0);
	assert_int_equal(EVP_CipherUpdate(ctx, out, &n, in, len), 1);
	assert_int_equal(EVP_CipherFinal_ex(ctx, out + n, &m), 1);
	EVP_CIPHER_CTX_free(ctx);
}

static void test_every_mode_and_key_size(void **state)
{
	struct fx *f = *state;
	static const struct { uint32_t alg, keylen, len, iv_len; } cases[] = {
		{ VIRTIO_CRYPTO_CIPHER_AES_ECB, 16, 64, 0 },
		{ VIRTIO_CRYPTO_CIPHER_AES_ECB, 24, 32, 16 },
		{ VIRTIO_CRYPTO_CIPHER_AES_ECB, 32, 48, 0 },
		{ VIRTIO_CRYPTO_CIPHER_AES_CBC, 24, 64, 16 },
		{ VIRTIO_CRYPTO_CIPHER_AES_CTR, 16, 61, 16 },
		{ VIRTIO_CRYPTO_CIPHER_AES_CTR, 24, 1, 16 },
		{ VIRTIO_CRYPTO_CIPHER_AES_CTR, 32, 100, 16 },
		{ VIRTIO_CRYPTO_CIPHER_AES_XTS, 32, 17, 16 },
		{ VIRTIO_CRYPTO_CIPHER_AES_XTS, 64, 64, 16 },
	};
	uint8_t key[64], data[128], want[128];

	for (unsigned i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i * 7 + 1);
	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 13);
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (int enc = 1; enc >= 0; enc--) {
			uint64_t sid = new_session(f, cases[i].alg, key, cases[i].keylen,
						   enc ? VIRTIO_CRYPTO_OP_ENCRYPT : VIRTIO_CRYPTO_OP_DECRYPT);
			struct req r;

			evp_crypt(evp_for(cases[i].alg, cases[i].keylen), key, IV,
				  data, want, (int)cases[i].len, enc);
			cipher_req(&r, enc ? VIRTIO_CRYPTO_CIPHER_ENCRYPT : VIRTIO_CRYPTO_CIPHER_DECRYPT,
				   sid, IV, cases[i].iv_len, data, cases[i].len);
			r.indirect = i & 1;
			r.src_pieces = 1 + i % 3;
			assert_int_equal(run(f, &r), VIRTIO_CRYPTO_OK);
			assert_memory_equal(r.out, want, cases[i].len);
			assert_int_equal(st_close(f->d->sessions, sid), VIRTIO_CRYPTO_OK);
		}
	}
}

/* One cipher request with src and dst cut at the given lengths (0-ended
 * lists); dst may be the same memory as src (in place). */
static int run_cut(struct fx *f, uint64_t sid, uint32_t opcode, const uint8_t *src,
		   uint32_t len, const uint32_t *scut, const uint32_t *dcut,
		   bool in_place, uint8_t *out)
{
	struct fg_seg s[40];
	unsigned n = 0;
	uint8_t hdr[72];
	uint64_t h = fg_alloc(&f->g, 72), iv = fg_alloc(&f->g, 16);
	uint64_t a = fg_alloc(&f->g, len), d = in_place ? a : fg_alloc(&f->g, len);
	uint64_t st = fg_alloc(&f->g, 1);
	uint32_t off = 0, id, ulen;

	fg_cipher_hdr(hdr, opcode, sid, 16, len, len);
	memcpy(fg_ptr(&f->g, h), hdr, 72);
	memcpy(fg_ptr(&f->g, iv), IV, 16);
	memcpy(fg_ptr(&f->g, a), src, len);
	s[n++] = (struct fg_seg){ h, 72, false };
	s[n++] = (struct fg_seg){ iv, 16, false };
	for (unsigned i = 0; scut[i]; off += scut[i], i++)
		s[n++] = (struct fg_seg){ a + off, scut[i], false };
	off = 0;
	for (unsigned i = 0; dcut[i]; off += dcut[i], i++)
		s[n++] = (struct fg_seg){ d + off, dcut[i], true };
	s[n++] = (struct fg_seg){ st, 1, true };
	fg_submit(&f->g, s, n, true);
	cd_process(f->d, 0);
	assert_int_equal(fg_get_used(&f->g, &id, &ulen), 1);
	memcpy(out, fg_ptr(&f->g, d), len);
	return *(uint8_t *)fg_ptr(&f->g, st);
}

static void test_scattered_src_dst(void **state)
{
	struct fx *f = *state;
	static const uint32_t c16_32_16[] = { 16, 32, 16, 0 }, c32_32[] = { 32, 32, 0 };
	static const uint32_t c48_16[] = { 48, 16, 0 }, c32_29[] = { 32, 29, 0 };
	static const uint32_t c16_45[] = { 16, 45, 0 }, c20_41[] = { 20, 41, 0 };
	static const uint32_t c21_40[] = { 21, 40, 0 };
	uint8_t data[64], want[64], out[64];
	uint64_t cbc_e = new_session(f, VIRTIO_CRYPTO_CIPHER_AES_CBC, K128, 16, VIRTIO_CRYPTO_OP_ENCRYPT);
	uint64_t cbc_d = new_session(f, VIRTIO_CRYPTO_CIPHER_AES_CBC, K256, 32, VIRTIO_CRYPTO_OP_DECRYPT);
	uint64_t ctr = new_session(f, VIRTIO_CRYPTO_CIPHER_AES_CTR, K128, 16, VIRTIO_CRYPTO_OP_ENCRYPT);
	uint64_t ecb = new_session(f, VIRTIO_CRYPTO_CIPHER_AES_ECB, K128, 16, VIRTIO_CRYPTO_OP_ENCRYPT);

	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 3 + 1);
	/* block-aligned cuts: run in place over the pieces, IV chained */
	assert_int_equal(run_cut(f, cbc_e, VIRTIO_CRYPTO_CIPHER_ENCRYPT, PT, 64,
				 c16_32_16, c32_32, false, out), VIRTIO_CRYPTO_OK);
	assert_memory_equal(out, CT128, 64);
	assert_int_equal(run_cut(f, cbc_d, VIRTIO_CRYPTO_CIPHER_DECRYPT, CT256, 64,
				 c16_32_16, c16_32_16, true, out), VIRTIO_CRYPTO_OK);
	assert_memory_equal(out, PT, 64);
	assert_int_equal(run_cut(f, cbc_d, VIRTIO_CRYPTO_CIPHER_DECRYPT, CT256, 64,
				 c48_16, c16_32_16, false, out), VIRTIO_CRYPTO_OK);
	assert_memory_equal(out, PT, 64);
	evp_crypt(EVP_aes_128_ecb(), K128, NULL, data, want, 64, 1);
	assert_int_equal(run_cut(f, ecb, VIRTIO_CRYPTO_CIPHER_ENCRYPT, data, 64,
				 c48_16, c32_32, false, out), VIRTIO_CRYPTO_OK);
	assert_memory_equal(out, want, 64);
	/* CTR with a partial last block: aligned cuts, then cuts inside a
	 * block (gathered through a temporary buffer) */
	evp_crypt(EVP_aes_128_ctr(), K128, IV, data, want, 61, 1);
	assert_int_equal(run_cut(f, ctr, VIRTIO_CRYPTO_CIPHER_ENCRYPT, data, 61,
				 c32_29, c16_45, false, out), VIRTIO_CRYPTO_OK);
	assert_memory_equal(out, want, 61);
	assert_int_equal(run_cut(f, ctr, VIRTIO_CRYPTO_CIPHER_ENCRYPT, data, 61,
				 c20_41, c21_40, false, out), VIRTIO_CRYPTO_OK);
	assert_memory_equal(out, want, 61);
	assert_int_equal(run_cut(f, ctr, VIRTIO_CRYPTO_CIPHER_ENCRYPT, data, 61,
				 c20_41, c20_41, true, out), VIRTIO_CRYPTO_OK);
	assert_memory_equal(out, want, 61);
}

static uint64_t chain_session(struct fx *f, uint32_t cipher, uint32_t mac,
			      uint32_t order, uint32_t dir, const uint8_t *akey,
			      uint32_t akey_len, uint32_t hr_len)
{
	struct session_params p = {
		.op_type = VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING,
		.cipher_alg = cipher, .direction = dir, .key_len = 16, .key = K128,
		.chain_order = order, .hash_mode = VIRTIO_CRYPTO_SYM_HASH_MODE_AUTH,
		.mac_alg = mac, .hash_result_len = hr_len, .auth_key_len = akey_len,
		.auth_key = akey, .aad_len = 13 };
	uint64_t id = 0;

	assert_int_equal(st_create(f->d->sessions, &p, &id), VIRTIO_CRYPTO_OK);
	return id;
}

static void test_chaining_hmac(void **state)
{
	struct fx *f = *state;
	static const uint8_t akey[70] = { 1, 2, 3, 4, 5 };
	static const uint8_t aad[13] = "header-bytes";
	uint8_t want[64], mac_in[13 + 64], tag[32];
	unsigned taglen;
	struct req r;

	/* encrypt-then-MAC: AES-CBC, HMAC-SHA256 over aad || ciphertext[16..64) */
	uint64_t s1 = chain_session(f, VIRTIO_CRYPTO_CIPHER_AES_CBC,
				    VIRTIO_CRYPTO_MAC_HMAC_SHA_256,
				    VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_CIPHER_THEN_HASH,
				    VIRTIO_CRYPTO_OP_ENCRYPT, akey, sizeof(akey), 32);
	memset(&r, 0, sizeof(r));
	fg_chain_hdr(r.hdr, VIRTIO_CRYPTO_CIPHER_ENCRYPT, s1, 16, 64, 64,
		     0, 64, 16, 48, 13, 32);
	r.iv = IV; r.iv_len = 16; r.src = PT; r.src_len = 64;
	r.aad = aad; r.aad_len = 13; r.out_len = 64 + 32;
	r.indirect = true; r.src_pieces = 2; r.out_pieces = 3;
	assert_int_equal(run(f, &r), VIRTIO_CRYPTO_OK);
	assert_memory_equal(r.out, CT128, 64);
	memcpy(mac_in, aad, 13);
	memcpy(mac_in + 13, CT128 + 16, 48);
	HMAC(EVP_sha256(), akey, sizeof(akey), mac_in, 13 + 48, tag, &taglen);
	assert_memory_equal(r.out + 64, tag, 32);

	/* MAC-then-encrypt, AES-CTR over part of src, HMAC-SHA1 truncated
	 * to 12 bytes over aad || plaintext[0..40) */
	uint64_t s2 = chain_session(f, VIRTIO_CRYPTO_CIPHER_AES_CTR,
				    VIRTIO_CRYPTO_MAC_HMAC_SHA1,
				    VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_HASH_THEN_CIPHER,
				    VIRTIO_CRYPTO_OP_ENCRYPT, akey, 20, 12);
	memset(&r, 0, sizeof(r));
	fg_chain_hdr(r.hdr, VIRTIO_CRYPTO_CIPHER_ENCRYPT, s2, 16, 64, 64,
		     8, 50, 0, 40, 13, 12);
	r.iv = IV; r.iv_len = 16; r.src = PT; r.src_len = 64;
	r.aad = aad; r.aad_len = 13; r.out_len = 64 + 12;
	assert_int_equal(run(f, &r), VIRTIO_CRYPTO_OK);
	memcpy(want, PT, 64);
	evp_crypt(EVP_aes_128_ctr(), K128, IV, PT + 8, want + 8, 50, 1);
	assert_memory_equal(r.out, want, 64);
	memcpy(mac_in + 13, PT, 40);
	HMAC(EVP_sha1(), akey, 20, mac_in, 13 + 40, tag, &taglen);
	assert_memory_equal(r.out + 64, tag, 12);

	/* hash_result_len different from the session's: BADMSG */
	fg_chain_hdr(r.hdr, VIRTIO_CRYPTO_CIPHER_ENCRYPT, s2, 16, 64, 64,
		     8, 50, 0, 40, 13, 20);
	r.out_len = 64 + 20;
	assert_int_equal(run(f, &r), VIRTIO_CRYPTO_BADMSG);
	/* cipher range beyond src: BADMSG */
	fg_chain_hdr(r.hdr, VIRTIO_CRYPTO_CIPHER_ENCRYPT, s2, 16, 64, 64,
		     60, 0xfffffff0u, 0, 40, 13, 12);
	assert_int_equal(run(f, &r), VIRTIO_CRYPTO_BADMSG);
	/* chaining request on a cipher-only session: BADMSG */
	uint64_t c = new_session(f, VIRTIO_CRYPTO_CIPHER_AES_CBC, K128, 16,
				 VIRTIO_CRYPTO_OP_ENCRYPT);
	fg_chain_hdr(r.hdr, VIRTIO_CRYPTO_CIPHER_ENCRYPT, c, 16, 64, 64,
		     0, 64, 0, 64, 13, 12);
	assert_int_equal(run(f, &r), VIRTIO_CRYPTO_BADMSG);
}

/* A chain without a cipher: hash mode PLAIN (hash) or AUTH (HMAC). */
static int digest_session(struct fx *f, uint32_t mode, uint32_t alg,
			  const uint8_t *akey, uint32_t akey_len,
			  uint32_t hr_len, uint64_t *id)
{
	struct session_params p = {
		.op_type = VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING,
		.cipher_alg = VIRTIO_CRYPTO_NO_CIPHER,
		.direction = VIRTIO_CRYPTO_OP_ENCRYPT,
		.chain_order = VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_HASH_THEN_CIPHER,
		.hash_mode = mode, .mac_alg = alg, .hash_result_len = hr_len,
		.auth_key_len = akey_len, .auth_key = akey };

	return st_create(f->d->sessions, &p, id);
}

static const struct {
	uint32_t hash, mac;
	const char *md;
} digest_algs[] = {
	{ VIRTIO_CRYPTO_HASH_MD5, VIRTIO_CRYPTO_MAC_HMAC_MD5, "MD5" },
	{ VIRTIO_CRYPTO_HASH_SHA1, VIRTIO_CRYPTO_MAC_HMAC_SHA1, "SHA1" },
	{ VIRTIO_CRYPTO_HASH_SHA_224, VIRTIO_CRYPTO_MAC_HMAC_SHA_224, "SHA224" },
	{ VIRTIO_CRYPTO_HASH_SHA_256, VIRTIO_CRYPTO_MAC_HMAC_SHA_256, "SHA256" },
	{ VIRTIO_CRYPTO_HASH_SHA_384, VIRTIO_CRYPTO_MAC_HMAC_SHA_384, "SHA384" },
	{ VIRTIO_CRYPTO_HASH_SHA_512, VIRTIO_CRYPTO_MAC_HMAC_SHA_512, "SHA512" },
};

/* A digest request: src scattered over pieces, no destination. */
static void digest_req(struct req *r, uint64_t sid, const uint8_t *src,
		       uint32_t len, uint32_t h_off, uint32_t h_len,
		       const uint8_t *aad, uint32_t aad_len, uint32_t hr_len)
{
	memset(r, 0, sizeof(*r));
	fg_chain_hdr(r->hdr, VIRTIO_CRYPTO_CIPHER_ENCRYPT, sid, 0, len, 0,
		     0, 0, h_off, h_len, aad_len, hr_len);
	r->src = src;
	r->src_len = len;
	r->aad = aad;
	r->aad_len = aad_len;
	r->out_len = hr_len;
	r->src_pieces = 3;
	r->out_pieces = 2;
	r->status_in_last = true;
}

static void test_hash_and_hmac_alone(void **state)
{
	struct fx *f = *state;
	static uint8_t akey[131], data[300];
	static const uint8_t aad[13] = "header-bytes";
	uint8_t want[EVP_MAX_MD_SIZE], mac_in[13 + 300];
	unsigned wlen;
	uint64_t sid;
	struct req r;

	for (unsigned i = 0; i < sizeof(akey); i++)
		akey[i] = (uint8_t)(i * 7 + 1);
	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 13 + 5);
	for (unsigned a = 0; a < sizeof(digest_algs) / sizeof(digest_algs[0]); a++) {
		const EVP_MD *md = EVP_get_digestbyname(digest_algs[a].md);
		unsigned dlen = (unsigned)EVP_MD_get_size(md);

		/* the plain hash of a scattered source, whole and truncated */
		assert_int_equal(digest_session(f, VIRTIO_CRYPTO_SYM_HASH_MODE_PLAIN,
						digest_algs[a].hash, NULL, 0, dlen,
						&sid), VIRTIO_CRYPTO_OK);
		digest_req(&r, sid, data, 300, 0, 300, NULL, 0, dlen);
		assert_int_equal(run(f, &r), VIRTIO_CRYPTO_OK);
		EVP_Digest(data, 300, want, &wlen, md, NULL);
		assert_memory_equal(r.out, want, dlen);
		/* the empty message */
		digest_req(&r, sid, NULL, 0, 0, 0, NULL, 0, dlen);
		assert_int_equal(run(f, &r), VIRTIO_CRYPTO_OK);
		EVP_Digest("", 0, want, &wlen, md, NULL);
		assert_memory_equal(r.out, want, dlen);
		assert_int_equal(st_close(f->d->sessions, sid), VIRTIO_CRYPTO_OK);

		/* the HMAC (key longer than the block) of aad || src[5, 295) */
		assert_int_equal(digest_session(f, VIRTIO_CRYPTO_SYM_HASH_MODE_AUTH,
						digest_algs[a].mac, akey,
						sizeof(akey), 12, &sid),
				 VIRTIO_CRYPTO_OK);
		digest_req(&r, sid, data, 300, 5, 290, aad, 13, 12);
		assert_int_equal(run(f, &r), VIRTIO_CRYPTO_OK);
		memcpy(mac_in, aad, 13);
		memcpy(mac_in + 13, data + 5, 290);
		HMAC(md, akey, sizeof(akey), mac_in, 13 + 290, want, &wlen);
		assert_memory_equal(r.out, want, 12);
		assert_int_equal(r.out[12], VIRTIO_CRYPTO_OK);
		assert_int_equal(st_close(f->d->sessions, sid), VIRTIO_CRYPTO_OK);
	}

	/* a destination as long as the source receives the source */
	assert_int_equal(digest_session(f, VIRTIO_CRYPTO_SYM_HASH_MODE_AUTH,
					VIRTIO_CRYPTO_MAC_HMAC_SHA_256, akey, 20,
					32, &sid), VIRTIO_CRYPTO_OK);
	digest_req(&r, sid, data, 64, 0, 64, NULL, 0, 32);
	fg_chain_hdr(r.hdr, VIRTIO_CRYPTO_CIPHER_ENCRYPT, sid, 0, 64, 64,
		     0, 0, 0, 64, 0, 32);
	r.out_len = 64 + 32;
	assert_int_equal(run(f, &r), VIRTIO_CRYPTO_OK);
	assert_memory_equal(r.out, data, 64);
	HMAC(EVP_sha256(), akey, 20, data, 64, want, &wlen);
	assert_memory_equal(r.out + 64, want, 32);

	/* malformed requests: BADMSG, nothing written */
	digest_req(&r, sid, data, 64, 0, 64, NULL, 0, 32);
	fg_chain_hdr(r.hdr, VIRTIO_CRYPTO_CIPHER_ENCRYPT, sid, 0, 64, 50,
		     0, 0, 0, 64, 0, 32);		/* dst neither 0 nor src */
	r.out_len = 50 + 32;
	assert_int_equal(run(f, &r), VIRTIO_CRYPTO_BADMSG);
	assert_int_equal(r.out[0], 0xee);
	digest_req(&r, sid, data, 64, 0, 64, NULL, 0, 32);
	fg_chain_hdr(r.hdr, VIRTIO_CRYPTO_CIPHER_ENCRYPT, sid, 16, 64, 0,
		     0, 0, 0, 64, 0, 32);		/* an IV without a cipher */
	r.iv = IV;
	r.iv_len = 16;
	assert_int_equal(run(f, &r), VIRTIO_CRYPTO_BADMSG);
	digest_req(&r, sid, data, 64, 0, 64, NULL, 0, 20);	/* not the session's */
	assert_int_equal(run(f, &r), VIRTIO_CRYPTO_BADMSG);
	digest_req(&r, sid, data, 64, 60, 8, NULL, 0, 32);	/* beyond src */
	assert_int_equal(run(f, &r), VIRTIO_CRYPTO_BADMSG);
	digest_req(&r, sid, data, 64, 0, 64, NULL, 0, 32);
	r.out_len = 31;					/* no room for the digest */
	assert_int_equal(run(f, &r), VIRTIO_CRYPTO_BADMSG);
	assert_int_equal(st_close(f->d->sessions, sid), VIRTIO_CRYPTO_OK);

	/* refused sessions */
	assert_int_equal(digest_session(f, VIRTIO_CRYPTO_SYM_HASH_MODE_PLAIN,
					VIRTIO_CRYPTO_HASH_SHA_256, NULL, 0, 33, &sid),
			 VIRTIO_CRYPTO_BADMSG);
	assert_int_equal(digest_session(f, VIRTIO_CRYPTO_SYM_HASH_MODE_PLAIN,
					VIRTIO_CRYPTO_HASH_SHA_256, NULL, 0, 0, &sid),
			 VIRTIO_CRYPTO_BADMSG);
	assert_int_equal(digest_session(f, VIRTIO_CRYPTO_SYM_HASH_MODE_PLAIN,
					VIRTIO_CRYPTO_HASH_SHA3_256, NULL, 0, 32, &sid),
			 VIRTIO_CRYPTO_NOTSUPP);
	assert_int_equal(digest_session(f, VIRTIO_CRYPTO_SYM_HASH_MODE_NESTED,
					VIRTIO_CRYPTO_HASH_SHA_256, NULL, 0, 32, &sid),
			 VIRTIO_CRYPTO_NOTSUPP);
	/* a MAC algorithm number under hash mode PLAIN is not a hash */
	assert_int_equal(digest_session(f, VIRTIO_CRYPTO_SYM_HASH_MODE_PLAIN,
					VIRTIO_CRYPTO_MAC_CMAC_AES, NULL, 0, 16, &sid),
			 VIRTIO_CRYPTO_NOTSUPP);
	{
		struct session_params p = {
			.op_type = VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING,
			.cipher_alg = VIRTIO_CRYPTO_NO_CIPHER, .key_len = 16,
			.key = K128, .hash_mode = VIRTIO_CRYPTO_SYM_HASH_MODE_PLAIN,
			.mac_alg = VIRTIO_CRYPTO_HASH_SHA1, .hash_result_len = 20 };

		assert_int_equal(st_create(f->d->sessions, &p, &sid),
				 VIRTIO_CRYPTO_BADMSG);	/* a key without a cipher */
	}
	assert_int_equal(st_count(f->d->sessions), 0);
}

/* Real chains take every HMAC, SHA-512 here (64-byte tag). */
static void test_chaining_hmac_sha512(void **state)
{
	struct fx *f = *state;
	static const uint8_t akey[100] = { 9, 8, 7 };
	uint8_t mac_in[64], tag[64];
	unsigned taglen;
	struct req r;
	uint64_t sid = chain_session(f, VIRTIO_CRYPTO_CIPHER_AES_CBC,
				     VIRTIO_CRYPTO_MAC_HMAC_SHA_512,
				     VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_CIPHER_THEN_HASH,
				     VIRTIO_CRYPTO_OP_ENCRYPT, akey, sizeof(akey), 64);

	memset(&r, 0, sizeof(r));
	fg_chain_hdr(r.hdr, VIRTIO_CRYPTO_CIPHER_ENCRYPT, sid, 16, 64, 64,
		     0, 64, 0, 64, 0, 64);
	r.iv = IV; r.iv_len = 16; r.src = PT; r.src_len = 64;
	r.out_len = 64 + 64;
	assert_int_equal(run(f, &r), VIRTIO_CRYPTO_OK);
	assert_memory_equal(r.out, CT128, 64);
	memcpy(mac_in, CT128, 64);
	HMAC(EVP_sha512(), akey, sizeof(akey), mac_in, 64, tag, &taglen);
	assert_memory_equal(r.out + 64, tag, 64);
}

static void test_status_codes(void **state)
{
	struct fx *f = *state;
	uint64_t sid = new_session(f, VIRTIO_CRYPTO_CIPHER_AES_CBC, K128, 16,
				   VIRTIO_CRYPTO_OP_ENCRYPT);
	uint8_t big[256] = { 0 };
	struct req r;

	/* OK */
	cipher_req(&r, VIRTIO_CRYPTO_CIPHER_ENCRYPT, sid, IV, 16, PT, 64);
	assert_int_equal(run(f, &r), VIRTIO_CRYPTO_OK);
	/* NOTSUPP: hash, MAC, AEAD, akcipher and nonsense opcodes */
	static const uint32_t ops[] = { VIRTIO_CRYPTO_HASH, VIRTIO_CRYPTO_MAC,
		VIRTIO_CRYPTO_AEAD_ENCRYPT, VIRTIO_CRYPTO_AKCIPHER_SIGN, 0xdead, 2 };
	for (unsigned i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		cipher_req(&r, ops[i], sid, IV, 16, PT, 64);
		assert_int_equal(run(f, &r), VIRTIO_CRYPTO_NOTSUPP);
	}
	/* INVSESS: unknown id, and an id after close */
	cipher_req(&r, VIRTIO_CRYPTO_CIPHER_ENCRYPT, sid + 1, IV, 16, PT, 64);
	assert_int_equal(run(f, &r), VIRTIO_CRYPTO_INVSESS);
	/* BADMSG: src/dst length mismatch */
	cipher_req(&r, VIRTIO_CRYPTO_CIPHER_ENCRYPT, sid, IV, 16, PT, 64);
	fg_cipher_hdr(r.hdr, VIRTIO_CRYPTO_CIPHER_ENCRYPT, sid, 16, 64, 48);
	assert_int_equal(run(f, &r), VIRTIO_CRYPTO_BADMSG);
	/* BADMSG: iv length wrong for CBC */
	cipher_req(&r, VIRTIO_CRYPTO_CIPHER_ENCRYPT, sid, IV, 8, PT, 64);
	assert_int_equal(run(f, &r), VIRTIO_CRYPTO_BADMSG);
	/* BADMSG: CBC length not a multiple of 16 */
	cipher_req(&r, VIRTIO_CRYPTO_CIPHER_ENCRYPT, sid, IV, 16, PT, 63);
	assert_int_equal(run(f, &r), VIRTIO_CRYPTO_BADMSG);
	/* BADMSG: header claims more source than the chain carries */
	cipher_req(&r, VIRTIO_CRYPTO_CIPHER_ENCRYPT, sid, IV, 16, PT, 32);
	fg_cipher_hdr(r.hdr, VIRTIO_CRYPTO_CIPHER_ENCRYPT, sid, 16, 64, 64);
	r.out_len = 64;
	assert_int_equal(run(f, &r), VIRTIO_CRYPTO_BADMSG);
	/* BADMSG: dst buffer too small */
	cipher_req(&r, VIRTIO_CRYPTO_CIPHER_ENCRYPT, sid, IV, 16, PT, 64);
	r.out_len = 63;
	assert_int_equal(run(f, &r), VIRTIO_CRYPTO_BADMSG);
	/* BADMSG: lengths that would overflow 32-bit sums */
	cipher_req(&r, VIRTIO_CRYPTO_CIPHER_ENCRYPT, sid, IV, 16, big, 64);
	fg_cipher_hdr(r.hdr, VIRTIO_CRYPTO_CIPHER_ENCRYPT, sid, 0xffffffffu,
		      0xfffffff0u, 0xfffffff0u);
	assert_int_equal(run(f, &r), VIRTIO_CRYPTO_BADMSG);
	/* BADMSG: readable part shorter than the 72-byte header */
	memset(&r, 0, sizeof(r));
	{
		struct fg_seg s[] = { { fg_alloc(&f->g, 40), 40, false },
				      { fg_alloc(&f->g, 1), 1, true } };
		uint32_t id, len;
		fg_submit(&f->g, s, 2, false);
		cd_process(f->d, 0);
		assert_int_equal(fg_get_used(&f->g, &id, &len), 1);
		assert_int_equal(*(uint8_t *)fg_ptr(&f->g, s[1].gpa), VIRTIO_CRYPTO_BADMSG);
	}
	/* BADMSG: request op_type NONE on a cipher session */
	cipher_req(&r, VIRTIO_CRYPTO_CIPHER_ENCRYPT, sid, IV, 16, PT, 64);
	r.hdr[64] = VIRTIO_CRYPTO_SYM_OP_NONE;
	assert_int_equal(run(f, &r), VIRTIO_CRYPTO_BADMSG);
	/* ERR: the engine refuses the operation.  OpenSSL's XTS takes at most
	 * 2^20 blocks per data unit; this request is one block more, in place. */
	{
		uint8_t key[32], hdr[72];
		uint32_t id, len, big_len = (16u << 20) + 16;
		uint64_t xs, h = fg_alloc(&f->g, 72), iv = fg_alloc(&f->g, 16);
		uint64_t buf = fg_alloc(&f->g, big_len), st = fg_alloc(&f->g, 1);

		assert_true(buf != 0);
		for (unsigned i = 0; i < 32; i++)
			key[i] = (uint8_t)i;
		xs = new_session(f, VIRTIO_CRYPTO_CIPHER_AES_XTS, key, 32,
				 VIRTIO_CRYPTO_OP_ENCRYPT);
		fg_cipher_hdr(hdr, VIRTIO_CRYPTO_CIPHER_ENCRYPT, xs, 16, big_len, big_len);
		memcpy(fg_ptr(&f->g, h), hdr, 72);
		struct fg_seg s[] = { { h, 72, false }, { iv, 16, false },
				      { buf, big_len, false }, { buf, big_len, true },
				      { st, 1, true } };
		fg_submit(&f->g, s, 5, false);
		cd_process(f->d, 0);
		assert_int_equal(fg_get_used(&f->g, &id, &len), 1);
		assert_int_equal(*(uint8_t *)fg_ptr(&f->g, st), VIRTIO_CRYPTO_ERR);
		st_close(f->d->sessions, xs);
	}
	/* INVSESS after close; closing twice is INVSESS too */
	assert_int_equal(st_close(f->d->sessions, sid), VIRTIO_CRYPTO_OK);
	assert_int_equal(st_close(f->d->sessions, sid), VIRTIO_CRYPTO_INVSESS);
	cipher_req(&r, VIRTIO_CRYPTO_CIPHER_ENCRYPT, sid, IV, 16, PT, 64);
	assert_int_equal(run(f, &r), VIRTIO_CRYPTO_INVSESS);
}

static void test_malformed_chains(void **state)
{
	struct fx *f = *state;
	uint32_t id, len;

	/* no writable byte: given back with length 0, nothing written */
	struct fg_seg ro[] = { { fg_alloc(&f->g, 72), 72, false } };
	fg_submit(&f->g, ro, 1, false);
	cd_process(f->d, 0);
	assert_int_equal(fg_get_used(&f->g, &id, &len), 1);
	assert_int_equal(len, 0);
	/* bad address inside the chain */
	struct fg_seg bad[] = { { fg_alloc(&f->g, 72), 72, false },
				{ 1ull << 50, 64, true } };
	fg_submit(&f->g, bad, 2, true);
	cd_process(f->d, 0);
	assert_int_equal(fg_get_used(&f->g, &id, &len), 1);
	assert_int_equal(len, 0);
	/* the device carries on */
	uint64_t sid = new_session(f, VIRTIO_CRYPTO_CIPHER_AES_CBC, K128, 16,
				   VIRTIO_CRYPTO_OP_ENCRYPT);
	struct req r;
	cipher_req(&r, VIRTIO_CRYPTO_CIPHER_ENCRYPT, sid, IV, 16, PT, 64);
	assert_int_equal(run(f, &r), VIRTIO_CRYPTO_OK);
	assert_memory_equal(r.out, CT128, 64);
}

static void test_session_limit_and_params(void **state)
{
	struct fx *f = *state;
	uint64_t ids[4], id;
	struct session_params p = { .op_type = VIRTIO_CRYPTO_SYM_OP_CIPHER,
		.cipher_alg = VIRTIO_CRYPTO_CIPHER_AES_CBC,
		.direction = VIRTIO_CRYPTO_OP_ENCRYPT, .key_len = 16, .key = K128 };

	for (int i = 0; i < 4; i++)
		assert_int_equal(st_create(f->d->sessions, &p, &ids[i]), VIRTIO_CRYPTO_OK);
	assert_int_equal(st_create(f->d->sessions, &p, &id), VIRTIO_CRYPTO_NOSPC);
	assert_int_equal(st_close(f->d->sessions, ids[2]), VIRTIO_CRYPTO_OK);
	assert_int_equal(st_create(f->d->sessions, &p, &id), VIRTIO_CRYPTO_OK);
	assert_true(id != ids[2]);	/* ids are not reused */
	assert_true((int64_t)id > 0);
	for (int i = 0; i < 4; i++)
		if (i != 2)
			st_close(f->d->sessions, ids[i]);
	st_close(f->d->sessions, id);
	assert_int_equal(st_count(f->d->sessions), 0);

	/* refused parameters */
	p.key_len = 20;
	assert_int_equal(st_create(f->d->sessions, &p, &id), VIRTIO_CRYPTO_BADMSG);
	p.key_len = 16;
	p.cipher_alg = VIRTIO_CRYPTO_CIPHER_DES_CBC;
	assert_int_equal(st_create(f->d->sessions, &p, &id), VIRTIO_CRYPTO_NOTSUPP);
	p.cipher_alg = VIRTIO_CRYPTO_CIPHER_AES_XTS;
	assert_int_equal(st_create(f->d->sessions, &p, &id), VIRTIO_CRYPTO_BADMSG);
	p.cipher_alg = VIRTIO_CRYPTO_CIPHER_AES_CBC;
	p.op_type = VIRTIO_CRYPTO_SYM_OP_NONE;
	assert_int_equal(st_create(f->d->sessions, &p, &id), VIRTIO_CRYPTO_NOTSUPP);
	p.op_type = VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING;
	p.chain_order = VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_CIPHER_THEN_HASH;
	p.hash_mode = VIRTIO_CRYPTO_SYM_HASH_MODE_PLAIN;
	p.mac_alg = VIRTIO_CRYPTO_MAC_HMAC_SHA1;
	p.hash_result_len = 20;
	assert_int_equal(st_create(f->d->sessions, &p, &id), VIRTIO_CRYPTO_NOTSUPP);
	p.hash_mode = VIRTIO_CRYPTO_SYM_HASH_MODE_AUTH;
	p.hash_result_len = 21;
	assert_int_equal(st_create(f->d->sessions, &p, &id), VIRTIO_CRYPTO_BADMSG);
	p.hash_result_len = 20;
	p.mac_alg = VIRTIO_CRYPTO_MAC_CMAC_AES;
	assert_int_equal(st_create(f->d->sessions, &p, &id), VIRTIO_CRYPTO_NOTSUPP);
	p.mac_alg = VIRTIO_CRYPTO_MAC_HMAC_SHA1;
	p.cipher_alg = VIRTIO_CRYPTO_CIPHER_AES_ECB;
	assert_int_equal(st_create(f->d->sessions, &p, &id), VIRTIO_CRYPTO_NOTSUPP);
	assert_int_equal(st_count(f->d->sessions), 0);
}

/* Ids never repeat across connections, and lookup survives churn. */
static void test_session_ids(void **state)
{
	struct fx *f = *state;
	struct session_params p = { .op_type = VIRTIO_CRYPTO_SYM_OP_CIPHER,
		.cipher_alg = VIRTIO_CRYPTO_CIPHER_AES_CBC,
		.direction = VIRTIO_CRYPTO_OP_ENCRYPT, .key_len = 16, .key = K128 };
	struct session_table *t1, *t2;
	uint64_t live[64], dead[64], last = 0, id;
	bool used[64] = { false };
	unsigned ndead = 0, seed = 12345;

	st_ids_start(5000000000000000000ull);
	assert_int_equal(st_create_table(&t1, f->eng, 64), 0);
	assert_int_equal(st_create_table(&t2, f->eng, 64), 0);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(st_create(i % 2 ? t2 : t1, &p, &id), VIRTIO_CRYPTO_OK);
		assert_true(id > last);		/* across both connections */
		assert_true((int64_t)id > 0);
		last = id;
	}
	assert_int_equal(st_count(t1), 3);
	st_destroy_table(t2);

	/* 4000 random creates and closes on a full-to-empty table */
	st_destroy_table(t1);
	assert_int_equal(st_create_table(&t1, f->eng, 64), 0);
	for (int step = 0; step < 4000; step++) {
		unsigned k;

		seed = seed * 1103515245u + 12345u;
		k = (seed >> 16) % 64;
		if (used[k]) {
			assert_int_equal(st_close(t1, live[k]), VIRTIO_CRYPTO_OK);
			dead[ndead++ % 64] = live[k];
			used[k] = false;
		} else {
			assert_int_equal(st_create(t1, &p, &live[k]), VIRTIO_CRYPTO_OK);
			used[k] = true;
		}
		if (step % 97)
			continue;
		for (unsigned j = 0; j < 64; j++) {
			struct session *s = used[j] ? st_get(t1, live[j]) : NULL;

			if (!used[j])
				continue;
			assert_non_null(s);
			assert_true(s->id == live[j]);
			st_put(t1, s);
		}
		for (unsigned j = 0; j < ndead && j < 64; j++)
			assert_null(st_get(t1, dead[j]));
	}
	for (unsigned j = 0; j < 64; j++)
		if (used[j])
			assert_int_equal(st_close(t1, live[j]), VIRTIO_CRYPTO_OK);
	assert_int_equal(st_count(t1), 0);
	assert_int_equal(st_close(t1, live[0]), VIRTIO_CRYPTO_INVSESS);
	st_destroy_table(t1);
	assert_int_equal(st_create_table(&t1, f->eng, (1u << 20) + 1), -EINVAL);
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void fill_sym_info(uint8_t *buf, uint32_t cipher, uint32_t keylen)
{
	uint8_t *info = buf + 8;

	put32(info + 0, cipher);
	put32(info + 4, keylen);
	put32(info + 8, VIRTIO_CRYPTO_MAC_HMAC_SHA_256);
	put32(info + 12, 16);
	put32(info + 16, 3);
	put32(info + 20, 7);
	info[24] = VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING;
	info[25] = VIRTIO_CRYPTO_OP_DECRYPT;
	info[26] = VIRTIO_CRYPTO_SYM_HASH_MODE_AUTH;
	info[27] = VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_HASH_THEN_CIPHER;
	memset(info + 32, 0x5a, 16);		/* QEMU's host pointers */
	memcpy(buf + 56, K256, keylen);
	memcpy(buf + 120, "abc", 3);
}

static void test_session_message_layouts(void **state)
{
	struct fx *f = *state;
	uint8_t v72[CSM_SIZE_V72], v80[CSM_SIZE_V80];
	struct session_params p;
	uint64_t id, op = VIRTIO_CRYPTO_CIPHER_CREATE_SESSION;
	int64_t got;

	memset(v72, 0, sizeof(v72));
	memset(v80, 0, sizeof(v80));
	fill_sym_info(v72, VIRTIO_CRYPTO_CIPHER_AES_CBC, 32);
	fill_sym_info(v80, VIRTIO_CRYPTO_CIPHER_AES_CTR, 24);
	memcpy(v80, &op, 8);

	assert_int_equal(csm_parse(v72, sizeof(v72), &p), CSM_V72);
	assert_int_equal(p.cipher_alg, VIRTIO_CRYPTO_CIPHER_AES_CBC);
	assert_int_equal(p.key_len, 32);
	assert_memory_equal(p.key, K256, 32);
	assert_int_equal(p.mac_alg, VIRTIO_CRYPTO_MAC_HMAC_SHA_256);
	assert_int_equal(p.hash_result_len, 16);
	assert_int_equal(p.auth_key_len, 3);
	assert_memory_equal(p.auth_key, "abc", 3);
	assert_int_equal(p.aad_len, 7);
	assert_int_equal(p.op_type, VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING);
	assert_int_equal(p.direction, VIRTIO_CRYPTO_OP_DECRYPT);
	assert_int_equal(p.hash_mode, VIRTIO_CRYPTO_SYM_HASH_MODE_AUTH);
	assert_int_equal(p.chain_order, VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_HASH_THEN_CIPHER);
	assert_int_equal(st_create(f->d->sessions, &p, &id), VIRTIO_CRYPTO_OK);
	csm_set_session_id(v72, CSM_V72, (int64_t)id);
	memcpy(&got, v72, 8);
	assert_int_equal(got, (int64_t)id);

	assert_int_equal(csm_parse(v80, sizeof(v80), &p), CSM_V80);
	assert_int_equal(p.cipher_alg, VIRTIO_CRYPTO_CIPHER_AES_CTR);
	assert_int_equal(p.key_len, 24);
	assert_memory_equal(p.key, K256, 24);
	assert_int_equal(p.chain_order, VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_HASH_THEN_CIPHER);
	csm_set_session_id(v80, CSM_V80, -3);
	memcpy(&got, v80 + 1064, 8);
	assert_int_equal(got, -3);

	/* akcipher, unknown sizes, oversized keys */
	op = VIRTIO_CRYPTO_AKCIPHER_CREATE_SESSION;
	memcpy(v80, &op, 8);
	assert_int_equal(csm_parse(v80, sizeof(v80), &p), -ENOTSUP);
	assert_int_equal(csm_parse(v72, 631, &p), -EINVAL);
	assert_int_equal(csm_parse(v72, 0, &p), -EINVAL);
	put32(v72 + 12, 65);
	assert_int_equal(csm_parse(v72, sizeof(v72), &p), -EINVAL);
	put32(v72 + 12, 32);
	put32(v72 + 24, 513);
	assert_int_equal(csm_parse(v72, sizeof(v72), &p), -EINVAL);
}

/*
 * Queue (not run) one AES-CBC encryption of src[0..n) with IV, laid out as
 * [hdr][iv][src] / [dst][status] in an indirect table; *out and *status
 * point at the guest's dst and status byte (0xaa until the device writes).
 */
static void queue_cbc_encrypt(struct fx *f, uint64_t sid, const uint8_t *src,
			      uint32_t n, uint8_t **out, uint8_t **status)
{
	uint8_t hdr[72];
	uint64_t h = fg_alloc(&f->g, 72), iv = fg_alloc(&f->g, 16);
	uint64_t s = fg_alloc(&f->g, n), d = fg_alloc(&f->g, n);
	uint64_t st = fg_alloc(&f->g, 1);

	fg_cipher_hdr(hdr, VIRTIO_CRYPTO_CIPHER_ENCRYPT, sid, 16, n, n);
	memcpy(fg_ptr(&f->g, h), hdr, 72);
	memcpy(fg_ptr(&f->g, iv), IV, 16);
	memcpy(fg_ptr(&f->g, s), src, n);
	*(uint8_t *)fg_ptr(&f->g, st) = 0xaa;
	*out = fg_ptr(&f->g, d);
	*status = fg_ptr(&f->g, st);
	struct fg_seg segs[] = { { h, 72, false }, { iv, 16, false },
				 { s, n, false }, { d, n, true }, { st, 1, true } };
	fg_submit(&f->g, segs, 5, true);
}

static void test_pool_many_in_flight(void **state)
{
	struct fx *f = *state;
	uint64_t sid = new_session(f, VIRTIO_CRYPTO_CIPHER_AES_CBC, K128, 16,
				   VIRTIO_CRYPTO_OP_ENCRYPT);
	uint8_t *out[NUM], *stp[NUM];
	static uint8_t src[4096], want[4096];
	unsigned done = 0;
	uint32_t id, len;

	for (unsigned i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)i;
	evp_crypt(EVP_aes_128_cbc(), K128, IV, src, want, sizeof(src), 1);
	for (unsigned round = 0; round < 4; round++) {
		fg_reset_heap(&f->g);
		for (unsigned i = 0; i < NUM / 4; i++)
			queue_cbc_encrypt(f, sid, src, sizeof(src), &out[i], &stp[i]);
		uint64_t pooled = f->d->q[0].pooled;

		cd_process(f->d, 0);
		cd_drain(f->d);
		/* one batch: the last request ran on this thread, the rest on
		 * the pool */
		assert_int_equal(f->d->q[0].pooled - pooled, NUM / 4 - 1);
		for (unsigned i = 0; i < NUM / 4; i++) {
			assert_int_equal(*stp[i], VIRTIO_CRYPTO_OK);
			assert_memory_equal(out[i], want, sizeof(src));
		}
		while (fg_get_used(&f->g, &id, &len))
			done++;
	}
	assert_int_equal(done, NUM);
}

/* Requests above CD_INLINE_MAX: a lone one runs on the dispatcher thread
 * (no worker wake-up for nothing), of two in one batch one goes to the
 * pool; 16 KiB of data still runs inline.  Results checked against EVP. */
static void test_where_large_requests_run(void **state)
{
	struct fx *f = *state;
	uint64_t sid = new_session(f, VIRTIO_CRYPTO_CIPHER_AES_CBC, K128, 16,
				   VIRTIO_CRYPTO_OP_ENCRYPT);
	static const struct { unsigned n; uint32_t len; uint64_t pooled; } cases[] = {
		{ 1, 65536, 0 }, { 2, 65536, 1 }, { 3, 32768, 2 }, { 2, 16384, 0 },
	};
	static uint8_t src[65536], want[65536];
	uint32_t id, len;

	for (unsigned i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 7);
	for (unsigned c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		uint32_t n = cases[c].len;
		uint8_t *out[3], *stp[3];
		uint64_t pooled = f->d->q[0].pooled;

		evp_crypt(EVP_aes_128_cbc(), K128, IV, src, want, n, 1);
		fg_reset_heap(&f->g);
		for (unsigned i = 0; i < cases[c].n; i++)
			queue_cbc_encrypt(f, sid, src, n, &out[i], &stp[i]);
		cd_process(f->d, 0);
		cd_drain(f->d);
		assert_int_equal(f->d->q[0].pooled - pooled, cases[c].pooled);
		for (unsigned i = 0; i < cases[c].n; i++) {
			assert_int_equal(*stp[i], VIRTIO_CRYPTO_OK);
			assert_memory_equal(out[i], want, n);
		}
		for (unsigned i = 0; i < cases[c].n; i++)
			assert_true(fg_get_used(&f->g, &id, &len));
		assert_false(fg_get_used(&f->g, &id, &len));
	}
}

/*
 * One 1 GiB AES-CBC request whose source and destination descriptors all
 * alias the same 1 MiB of guest memory, cut off block boundaries: it runs
 * in bounded memory (one bounce chunk), not by flattening 2 GiB.
 */
static void test_aliased_gigabyte_request(void **state)
{
	struct fx *f = *state;
	enum { PIECES = 1024, PIECE = (1 << 20) - 3 };	/* 1024 * PIECE % 16 == 0 */
	static struct fg_seg segs[2 * PIECES + 3];
	uint64_t sid = new_session(f, VIRTIO_CRYPTO_CIPHER_AES_CBC, K128, 16,
				   VIRTIO_CRYPTO_OP_ENCRYPT);
	uint64_t h, iv, buf, st;
	uint32_t total = (uint32_t)PIECES * PIECE, id, len;
	struct rusage before, after;
	uint8_t hdr[72];
	unsigned n = 0;

	fg_reset_heap(&f->g);
	h = fg_alloc(&f->g, 72);
	iv = fg_alloc(&f->g, 16);
	buf = fg_alloc(&f->g, 1 << 20);
	st = fg_alloc(&f->g, 1);
	fg_cipher_hdr(hdr, VIRTIO_CRYPTO_CIPHER_ENCRYPT, sid, 16, total, total);
	memcpy(fg_ptr(&f->g, h), hdr, 72);
	memcpy(fg_ptr(&f->g, iv), IV, 16);
	*(uint8_t *)fg_ptr(&f->g, st) = 0xaa;
	segs[n++] = (struct fg_seg){ h, 72, false };
	segs[n++] = (struct fg_seg){ iv, 16, false };
	for (unsigned i = 0; i < PIECES; i++)
		segs[n++] = (struct fg_seg){ buf + 1, PIECE, false };
	for (unsigned i = 0; i < PIECES; i++)
		segs[n++] = (struct fg_seg){ buf + 2, PIECE, true };
	segs[n++] = (struct fg_seg){ st, 1, true };
	getrusage(RUSAGE_SELF, &before);
	fg_submit(&f->g, segs, n, true);
	cd_process(f->d, 0);
	cd_drain(f->d);
	getrusage(RUSAGE_SELF, &after);
	assert_true(fg_get_used(&f->g, &id, &len));
	assert_int_equal(*(uint8_t *)fg_ptr(&f->g, st), VIRTIO_CRYPTO_OK);
	/* the queued job with its 2051-entry buffer list (64 KiB) and one
	 * 64 KiB bounce chunk, and no growth of the process */
	assert_true(atomic_load(&f->d->budget.peak) <= (192u << 10));
	assert_true(after.ru_maxrss - before.ru_maxrss < 32 * 1024);	/* KiB */
}

/* A cipher request over src/dst in several pieces (cut inside blocks). */
static int run_scattered(struct fx *f, struct req *r, uint64_t sid,
			 const uint8_t *data, uint32_t len, unsigned src_pieces,
			 unsigned out_pieces)
{
	fg_reset_heap(&f->g);
	cipher_req(r, VIRTIO_CRYPTO_CIPHER_ENCRYPT, sid, IV, 16, data, len);
	r->src_pieces = src_pieces;
	r->out_pieces = out_pieces;
	r->indirect = true;
	return run(f, r);
}

/* Over the connection's budget a request gets ERR and nothing is written. */
static void test_memory_budget(void **state)
{
	struct fx *f = *state;
	static uint8_t data[200000], want[200000];
	uint64_t sid = new_session(f, VIRTIO_CRYPTO_CIPHER_AES_CBC, K128, 16,
				   VIRTIO_CRYPTO_OP_ENCRYPT);
	uint64_t xts;
	struct req r;

	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 11 + 1);
	/* cut inside blocks: through the bounce chunk, chunk by chunk */
	assert_int_equal(run_scattered(f, &r, sid, data, 200000, 7, 5),
			 VIRTIO_CRYPTO_OK);
	evp_crypt(EVP_aes_128_cbc(), K128, IV, data, want, 200000, 1);
	assert_memory_equal(r.out, want, 200000);
	assert_int_equal(atomic_load(&f->d->budget.used), 0);

	/* the same with a budget smaller than the chunk: ERR, dst untouched */
	cd_set_memory_max(f->d, 32 << 10);
	assert_int_equal(run_scattered(f, &r, sid, data, 200000, 7, 5),
			 VIRTIO_CRYPTO_ERR);
	assert_int_equal(r.out[0], 0xee);
	assert_int_equal(r.out[199999], 0xee);
	/* XTS over scattered buffers needs the whole request: over, ERR */
	xts = new_session(f, VIRTIO_CRYPTO_CIPHER_AES_XTS, K256, 32,
			  VIRTIO_CRYPTO_OP_ENCRYPT);
	assert_int_equal(run_scattered(f, &r, xts, data, 65536, 3, 3),
			 VIRTIO_CRYPTO_ERR);
	/* a request that runs in place needs nothing: still served */
	fg_reset_heap(&f->g);
	cipher_req(&r, VIRTIO_CRYPTO_CIPHER_ENCRYPT, xts, IV, 16, data, 65536);
	assert_int_equal(run(f, &r), VIRTIO_CRYPTO_OK);
	assert_int_equal(atomic_load(&f->d->budget.used), 0);
	cd_set_memory_max(f->d, MB_DEFAULT_MAX);
}

/* A cipher + HMAC chain far larger than the bounce chunk, cut inside
 * blocks, in both orders: equal to OpenSSL, in bounded memory. */
static void test_large_chain_chunked(void **state)
{
	struct fx *f = *state;
	static uint8_t data[200000], want[200000], mac_in[13 + 200000];
	static const uint8_t akey[32] = { 4, 5, 6 };
	static const uint8_t aad[13] = "header-bytes";
	uint8_t tag[64];
	unsigned taglen;
	struct req r;

	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 5 + 3);
	for (int order = 0; order < 2; order++) {
		bool etm = order == 0;
		uint64_t sid = chain_session(f, VIRTIO_CRYPTO_CIPHER_AES_CBC,
				VIRTIO_CRYPTO_MAC_HMAC_SHA_256,
				etm ? VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_CIPHER_THEN_HASH
				    : VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_HASH_THEN_CIPHER,
				VIRTIO_CRYPTO_OP_ENCRYPT, akey, sizeof(akey), 32);

		fg_reset_heap(&f->g);
		memset(&r, 0, sizeof(r));
		/* cipher [16, 16 + 199968), hash [8, 8 + 199990) */
		fg_chain_hdr(r.hdr, VIRTIO_CRYPTO_CIPHER_ENCRYPT, sid, 16, 200000,
			     200000, 16, 199968, 8, 199990, 13, 32);
		r.iv = IV; r.iv_len = 16; r.src = data; r.src_len = 200000;
		r.aad = aad; r.aad_len = 13; r.out_len = 200000 + 32;
		r.indirect = true; r.src_pieces = 9; r.out_pieces = 6;
		assert_int_equal(run(f, &r), VIRTIO_CRYPTO_OK);
		memcpy(want, data, sizeof(want));
		evp_crypt(EVP_aes_128_cbc(), K128, IV, data + 16, want + 16, 199968, 1);
		assert_memory_equal(r.out, want, 200000);
		memcpy(mac_in, aad, 13);
		memcpy(mac_in + 13, (etm ? want : data) + 8, 199990);
		HMAC(EVP_sha256(), akey, sizeof(akey), mac_in, 13 + 199990, tag, &taglen);
		assert_memory_equal(r.out + 200000, tag, 32);
		assert_true(atomic_load(&f->d->budget.peak) <= (64u << 10) + 4096);
		assert_int_equal(atomic_load(&f->d->budget.used), 0);
	}
}

/* Large requests never run on the connection thread beyond
 * CD_INLINE_LAST_MAX; over the budget queued jobs are refused (ERR). */
static void test_large_requests_leave_the_connection_thread(void **state)
{
	struct fx *f = *state;
	uint64_t sid = new_session(f, VIRTIO_CRYPTO_CIPHER_AES_CBC, K128, 16,
				   VIRTIO_CRYPTO_OP_ENCRYPT);
	static uint8_t src[1 << 20], want[1 << 20];
	uint8_t *out[3], *stp[3];
	uint64_t pooled = f->d->q[0].pooled, refused = f->d->q[0].refused;
	uint32_t id, len;

	for (unsigned i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 3);
	evp_crypt(EVP_aes_128_cbc(), K128, IV, src, want, sizeof(src), 1);
	/* a lone 1 MiB request goes to the pool */
	fg_reset_heap(&f->g);
	queue_cbc_encrypt(f, sid, src, sizeof(src), &out[0], &stp[0]);
	cd_process(f->d, 0);
	cd_drain(f->d);
	assert_int_equal(f->d->q[0].pooled - pooled, 1);
	assert_int_equal(*stp[0], VIRTIO_CRYPTO_OK);
	assert_memory_equal(out[0], want, sizeof(src));
	assert_true(fg_get_used(&f->g, &id, &len));
	assert_int_equal(atomic_load(&f->d->budget.used), 0);

	/* no room for a queued job: three large requests are refused */
	cd_set_memory_max(f->d, 16);
	fg_reset_heap(&f->g);
	for (int i = 0; i < 3; i++)
		queue_cbc_encrypt(f, sid, src, 300000, &out[i], &stp[i]);
	cd_process(f->d, 0);
	cd_drain(f->d);
	assert_int_equal(f->d->q[0].refused - refused, 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(*stp[i], VIRTIO_CRYPTO_ERR);
		assert_true(fg_get_used(&f->g, &id, &len));
	}
	assert_false(fg_get_used(&f->g, &id, &len));
	cd_set_memory_max(f->d, MB_DEFAULT_MAX);
}

/* One cd_process pops at most CD_PROCESS_MAX chains, then says so. */
static void test_process_returns_to_the_poll_loop(void **state)
{
	struct fx *f = *state;
	uint64_t sid = new_session(f, VIRTIO_CRYPTO_CIPHER_AES_CBC, K128, 16,
				   VIRTIO_CRYPTO_OP_ENCRYPT);
	static const uint8_t src[64];
	uint8_t *out, *stp[300];
	unsigned n = CD_PROCESS_MAX + 44;
	uint32_t id, len, got = 0;

	fg_reset_heap(&f->g);
	for (unsigned i = 0; i < n; i++)
		queue_cbc_encrypt(f, sid, src, 64, &out, &stp[i]);
	assert_true(cd_process(f->d, 0));
	assert_true(cd_has_more(f->d));
	while (fg_get_used(&f->g, &id, &len))
		got++;
	assert_int_equal(got, CD_PROCESS_MAX);
	cd_process_more(f->d);
	assert_false(cd_has_more(f->d));
	while (fg_get_used(&f->g, &id, &len))
		got++;
	assert_int_equal(got, n);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(*stp[i], VIRTIO_CRYPTO_OK);
}

/*
 * SET_VRING_BASE is the resume point, not the ring's used index: an earlier
 * back-end took A, B and C and completed only C (out of order); after
 * SET_VRING_BASE 3 and SET_VRING_ADDR the next request D is the only one
 * run -- resuming from the used index (1) would run B and C again (C
 * twice) and never A.
 */
static void test_resume_at_vring_base(void **state)
{
	struct fx *f = *state;
	const uint16_t *avail = fg_ptr(&f->g, f->g.avail);
	uint8_t *used = fg_ptr(&f->g, f->g.used);
	uint8_t *st[4], *dst[4], pt[16] = { 0 };
	uint64_t sid = new_session(f, VIRTIO_CRYPTO_CIPHER_AES_CBC, K128,
				   16, VIRTIO_CRYPTO_OP_ENCRYPT);
	uint32_t head_c, head_d, id, len;

	for (int i = 0; i < 3; i++) {
		st[i] = fg_cipher_request(&f->g, VIRTIO_CRYPTO_CIPHER_ENCRYPT,
					  sid, IV, pt, 16, &dst[i]);
		assert_non_null(st[i]);
		memset(dst[i], 0x5a, 16);
	}
	/* the earlier back-end's work: C done (used[0] = C, used idx 1) */
	head_c = avail[2 + 2];
	memcpy(used + 4, &head_c, 4);
	len = 17;
	memcpy(used + 8, &len, 4);
	__atomic_store_n((uint16_t *)(used + 2), 1, __ATOMIC_RELEASE);
	*st[2] = VIRTIO_CRYPTO_OK;
	f->g.used_seen = 1;

	assert_int_equal(cd_set_base(f->d, 0, 3), 0);
	assert_int_equal(cd_set_addr(f->d, 0, f->g.desc, f->g.avail, f->g.used), 0);
	st[3] = fg_cipher_request(&f->g, VIRTIO_CRYPTO_CIPHER_ENCRYPT, sid,
				  IV, pt, 16, &dst[3]);
	assert_non_null(st[3]);
	head_d = avail[2 + 3];
	cd_process(f->d, 0);
	cd_drain(f->d);
	assert_int_equal(fg_get_used(&f->g, &id, &len), 1);
	assert_int_equal(id, head_d);
	assert_int_equal(*st[3], VIRTIO_CRYPTO_OK);
	assert_int_equal(fg_get_used(&f->g, &id, &len), 0);	/* D alone */
	for (int i = 0; i < 3; i++) {	/* A, B, C untouched */
		uint8_t marker[16];

		memset(marker, 0x5a, 16);
		assert_memory_equal(dst[i], marker, 16);
		assert_int_equal(*st[i], i == 2 ? VIRTIO_CRYPTO_OK : 0xaa);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cbc_sp800_38a, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_mode_and_key_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scattered_src_dst, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chaining_hmac, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hash_and_hmac_alone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chaining_hmac_sha512, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_codes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_chains, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_limit_and_params, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_message_layouts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pool_many_in_flight, setup_pool, teardown),
		cmocka_unit_test_setup_teardown(test_where_large_requests_run, setup_pool_default, teardown),
		cmocka_unit_test_setup_teardown(test_aliased_gigabyte_request, setup_pool_default, teardown),
		cmocka_unit_test_setup_teardown(test_memory_budget, setup, teardown),
		cmocka_unit_test_setup_teardown(test_large_chain_chunked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_large_requests_leave_the_connection_thread, setup_pool_default, teardown),
		cmocka_unit_test_setup_teardown(test_process_returns_to_the_poll_loop, setup_512, teardown),
		cmocka_unit_test_setup_teardown(test_resume_at_vring_base, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
