/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/vm/cryptodev_abi.c - the whole cryptodev-linux ABI on /dev/crypto,
 * with known answers from the standards.
 *
 * Owns the guest checks of every call, flag and algorithm the frontend
 * serves, against published vectors only (no OpenSSL, so the same source is
 * also built as a static 32-bit program that goes through the compat ioctls):
 *   hashes: FIPS 180-4 / RFC 1321 / RIPEMD-160 "abc", the empty message and
 *     the two-block message, one-shot (flags 0), UPDATE + FINAL, RESET,
 *     len 0, FINAL without UPDATE, CIOCCPHASH;
 *   HMACs: RFC 2202 (MD5, SHA-1), RFC 2286 (RIPEMD-160), RFC 4231 test cases
 *     1 and 2 (SHA-224/256/384/512), one-shot and in parts;
 *   ciphers: FIPS 81 DES-CBC (and 3DES with three equal keys), RFC 3713
 *     Camellia, the Blowfish CBC reference vector, SP 800-38A CFB/OFB,
 *     IEEE 1619 XTS, NULL; WRITE_IV with iv NULL;
 *   CIOCAUTHCRYPT: GCM spec test cases 2-4, RFC 3610 CCM vector 1, a TLS
 *     record (AES-CBC + HMAC-SHA1) and an SRTP packet (RFC 3711 B.2 AES-CM
 *     keystream + HMAC-SHA1) round trip, tampered records -> EBADMSG;
 *   CIOCASYNCCRYPT / CIOCASYNCFETCH / poll / epoll: results, order-free
 *     fetch, EBUSY when full and when nothing is done, POLLIN/POLLOUT;
 *     a waiter that never calls poll() after submitting (epoll registered
 *     first, level- and edge-triggered) is still woken, with the module's
 *     timeout (whose timer would also harvest) out of the way; requests
 *     nobody waits for outlive timeout_ms without a device reset;
 *   CIOCGSESSINFO: where each session runs (argv[1]: builtin|vhost-user|
 *     none, the back-end, to know what the device takes);
 *   1000 sessions on one open file, each used with a known answer.
 * Algorithms the guest kernel lacks (6.12 has no cfb/ofb) must be refused
 * with EINVAL, as cryptodev-linux refuses them; that is checked too.
 * Usage: cryptodev_abi BACKEND [NODE].  Prints PASS/FAIL lines and
 * "N passed, N failed"; exits 1 on any failure.
 */
#include <poll.h>
#include <sys/epoll.h>
#include <sys/utsname.h>

#include "cryptodev_test.h"

static const char *backend = "builtin";
static int kernel_has_cfb = 1;

static int hash_op(int fd, uint32_t ses, uint16_t flags, const void *src,
		   uint32_t len, uint8_t *mac)
{
	struct crypt_op c;

	memset(&c, 0, sizeof(c));
	c.ses = ses;
	c.op = COP_ENCRYPT;
	c.flags = flags;
	c.len = len;
	c.src = (uint8_t *)src;
	c.mac = mac;
	return xioctl(fd, CIOCCRYPT, &c);
}

static int hexeq(const uint8_t *got, const char *hex)
{
	uint8_t want[128];
	size_t n = unhex(hex, want);

	return !memcmp(got, want, n);
}

/* Does the session run on the virtio device (CIOCGSESSINFO)? */
static int on_device(int fd, uint32_t ses, char *driver, size_t dlen)
{
	struct session_info_op si;

	memset(&si, 0, sizeof(si));
	si.ses = ses;
	if (xioctl(fd, CIOCGSESSINFO, &si))
		return -1;
	snprintf(driver, dlen, "%s%s%s", si.cipher_info.cra_driver_name,
		 si.cipher_info.cra_driver_name[0] && si.hash_info.cra_driver_name[0] ? " + " : "",
		 si.hash_info.cra_driver_name);
	return strstr(driver, "virtio_cryptodev") != NULL;
}

/* ---- hashes ---- */

struct hash_kat {
	const char *name;
	uint32_t id;
	const char *abc, *empty, *two;	/* digests of "abc", "", the 56-byte message */
	int device;			/* runs on our vhost-user back-end */
};

static const char TWO_BLOCK[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

static const struct hash_kat hashes[] = {
	{ "MD5", CRYPTO_MD5, "900150983cd24fb0d6963f7d28e17f72",
	  "d41d8cd98f00b204e9800998ecf8427e", "8215ef0796a20bcaaae116d3876c664a", 1 },
	{ "SHA1", CRYPTO_SHA1, "a9993e364706816aba3e25717850c26c9cd0d89d",
	  "da39a3ee5e6b4b0d3255bfef95601890afd80709", "84983e441c3bd26ebaae4aa1f95129e5e54670f1", 1 },
	{ "SHA224", CRYPTO_SHA2_224, "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7",
	  "d14a028c2a3a2bc9476102bb288234c415a2b01f828ea62ac5b3e42f",
	  "75388b16512776cc5dba5da1fd890150b0c6455cb4f58b1952522525", 1 },
	{ "SHA256", CRYPTO_SHA2_256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1", 1 },
	{ "SHA384", CRYPTO_SHA2_384,
	  "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7",
	  "38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b",
	  "3391fdddfc8dc7393707a65b1b4709397cf8b1d162af05abfe8f450de5f36bc6b0455a8520bc4e6f5fe95b1fe3c8452b", 1 },
	{ "SHA512", CRYPTO_SHA2_512,
	  "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
	  "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
	  "204a8fc6dda82f0a0ced7beb8e08a41657c16ef468b228a8279be331a703c33596fd15c13b1b07f9aa1d3bea57789ca031ad85c7a71dd70354ec631238ca3445", 1 },
	{ "RIPEMD160", CRYPTO_RIPEMD160, "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc",
	  "9c1185a5c5e9fc54612808977ee8f548b2258d31", "12a053384a9c0c88e405a06c27dcf49ada62eb2b", 0 },
};

static void hash_checks(int fd)
{
	uint8_t mac[64], mac2[64];
	char drv[160];
	unsigned int i;

	for (i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++) {
		const struct hash_kat *h = &hashes[i];
		uint32_t ses, ses2;
		int e = sess_mac(fd, 0, NULL, 0, h->id, NULL, 0, &ses), dev;

		CHECK(e == 0, "%s session (%s)", h->name, strerror(e));
		if (e)
			continue;
		dev = on_device(fd, ses, drv, sizeof(drv));
		CHECK(dev == (h->device && !strcmp(backend, "vhost-user")),
		      "%s runs %s (%s)", h->name, dev ? "on the device" : "in the guest kernel", drv);
		memset(mac, 0, sizeof(mac));
		e = hash_op(fd, ses, 0, "abc", 3, mac);
		CHECK(e == 0 && hexeq(mac, h->abc), "%s(\"abc\") one-shot, flags 0 (%s)", h->name, strerror(e));
		e = hash_op(fd, ses, 0, TWO_BLOCK, 56, mac);
		CHECK(e == 0 && hexeq(mac, h->two), "%s(two-block message) one-shot (%s)", h->name, strerror(e));
		e = hash_op(fd, ses, 0, NULL, 0, mac);
		CHECK(e == 0 && hexeq(mac, h->empty), "%s(\"\") with len 0 (%s)", h->name, strerror(e));
		/* In parts: UPDATE "ab", UPDATE "c", FINAL len 0. */
		memset(mac, 0, sizeof(mac));
		e = hash_op(fd, ses, COP_FLAG_UPDATE | COP_FLAG_RESET, "ab", 2, mac);
		if (!e)
			e = hash_op(fd, ses, COP_FLAG_UPDATE, "c", 1, mac);
		if (!e)
			e = hash_op(fd, ses, COP_FLAG_FINAL, NULL, 0, mac);
		CHECK(e == 0 && hexeq(mac, h->abc), "%s UPDATE ab, UPDATE c, FINAL (%s)", h->name, strerror(e));
		/* A started state, then RESET: the old part is discarded. */
		e = hash_op(fd, ses, COP_FLAG_UPDATE, "xyz", 3, mac);
		if (!e)
			e = hash_op(fd, ses, COP_FLAG_UPDATE | COP_FLAG_RESET, "a", 1, mac);
		if (!e)
			e = hash_op(fd, ses, COP_FLAG_FINAL, "bc", 2, mac);
		CHECK(e == 0 && hexeq(mac, h->abc), "%s UPDATE xyz, RESET|UPDATE a, FINAL bc (%s)", h->name, strerror(e));
		/* FINAL on a fresh state is a one-shot. */
		e = hash_op(fd, ses, COP_FLAG_FINAL, "abc", 3, mac);
		CHECK(e == 0 && hexeq(mac, h->abc), "%s FINAL on a fresh state (%s)", h->name, strerror(e));
		/* UPDATE with len 0 finalises (cryptodev-linux's rule). */
		e = hash_op(fd, ses, COP_FLAG_UPDATE | COP_FLAG_RESET, "abc", 3, mac);
		memset(mac, 0, sizeof(mac));
		if (!e)
			e = hash_op(fd, ses, COP_FLAG_UPDATE, NULL, 0, mac);
		CHECK(e == 0 && hexeq(mac, h->abc), "%s UPDATE abc, UPDATE len 0 writes the digest (%s)", h->name, strerror(e));
		/* CIOCCPHASH: a second session continues from the first's state. */
		e = sess_mac(fd, 0, NULL, 0, h->id, NULL, 0, &ses2);
		if (!e) {
			struct cphash_op cp = { .dst_ses = ses2, .src_ses = ses };

			e = hash_op(fd, ses, COP_FLAG_UPDATE | COP_FLAG_RESET, "ab", 2, mac);
			if (!e)
				e = xioctl(fd, CIOCCPHASH, &cp);
			if (!e)
				e = hash_op(fd, ses2, COP_FLAG_FINAL, "c", 1, mac2);
			if (!e)
				e = hash_op(fd, ses, COP_FLAG_FINAL, "c", 1, mac);
			CHECK(e == 0 && hexeq(mac, h->abc) && hexeq(mac2, h->abc),
			      "%s CIOCCPHASH: both sessions finish \"ab\" + \"c\" (%s)", h->name, strerror(e));
			cp.src_ses = ses2;
			CHECK(xioctl(fd, CIOCCPHASH, &cp) == EDEADLK, "%s CIOCCPHASH onto itself -> EDEADLK", h->name);
			cp.src_ses = ses2 + 5000;
			CHECK(xioctl(fd, CIOCCPHASH, &cp) == ENOENT, "%s CIOCCPHASH unknown session -> ENOENT", h->name);
			sess_free(fd, ses2);
		}
		CHECK(sess_free(fd, ses) == 0, "%s free", h->name);
	}
}

/* ---- HMACs ---- */

struct hmac_kat {
	const char *name;
	uint32_t id;
	const char *tc1, *tc2;	/* key 0x0b x 20 (x16 for MD5) "Hi There"; "Jefe" */
	int device;
};

static const struct hmac_kat hmacs[] = {
	{ "HMAC-MD5", CRYPTO_MD5_HMAC, "9294727a3638bb1c13f48ef8158bfc9d", "750c783e6ab0b503eaa86e310a5db738", 1 },
	{ "HMAC-SHA1", CRYPTO_SHA1_HMAC, "b617318655057264e28bc0b6fb378c8ef146be00",
	  "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79", 1 },
	{ "HMAC-RIPEMD160", CRYPTO_RIPEMD160_HMAC, "24cb4bd67d20fc1a5d2ed7732dcc39377f0a5668",
	  "dda6c0213a485a9e24f4742064a7f033b43c4069", 0 },
	{ "HMAC-SHA224", CRYPTO_SHA2_224_HMAC, "896fb1128abbdf196832107cd49df33f47b4b1169912ba4f53684b22",
	  "a30e01098bc6dbbf45690f3a7e9e6d0f8bbea2a39e6148008fd05e44", 1 },
	{ "HMAC-SHA256", CRYPTO_SHA2_256_HMAC, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
	  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", 1 },
	{ "HMAC-SHA384", CRYPTO_SHA2_384_HMAC,
	  "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6",
	  "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649", 1 },
	{ "HMAC-SHA512", CRYPTO_SHA2_512_HMAC,
	  "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854",
	  "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737", 1 },
};

static void hmac_checks(int fd)
{
	static const char jefe_data[] = "what do ya want for nothing?";
	uint8_t key[20], mac[64];
	char drv[160];
	unsigned int i;

	memset(key, 0x0b, sizeof(key));
	for (i = 0; i < sizeof(hmacs) / sizeof(hmacs[0]); i++) {
		const struct hmac_kat *h = &hmacs[i];
		uint32_t klen = h->id == CRYPTO_MD5_HMAC ? 16 : 20, ses;
		int e = sess_mac(fd, 0, NULL, 0, h->id, key, klen, &ses), dev;

		CHECK(e == 0, "%s session (%s)", h->name, strerror(e));
		if (e)
			continue;
		dev = on_device(fd, ses, drv, sizeof(drv));
		CHECK(dev == (h->device && !strcmp(backend, "vhost-user")),
		      "%s runs %s (%s)", h->name, dev ? "on the device" : "in the guest kernel", drv);
		e = hash_op(fd, ses, 0, "Hi There", 8, mac);
		CHECK(e == 0 && hexeq(mac, h->tc1), "%s test case 1 one-shot (%s)", h->name, strerror(e));
		e = hash_op(fd, ses, COP_FLAG_UPDATE, "Hi ", 3, mac);
		if (!e)
			e = hash_op(fd, ses, COP_FLAG_FINAL, "There", 5, mac);
		CHECK(e == 0 && hexeq(mac, h->tc1), "%s test case 1 in two parts (%s)", h->name, strerror(e));
		sess_free(fd, ses);
		e = sess_mac(fd, 0, NULL, 0, h->id, (const uint8_t *)"Jefe", 4, &ses);
		if (!e)
			e = hash_op(fd, ses, 0, jefe_data, 28, mac);
		CHECK(e == 0 && hexeq(mac, h->tc2), "%s test case 2 (\"Jefe\") (%s)", h->name, strerror(e));
		if (!e)
			sess_free(fd, ses);
	}
}

/* ---- ciphers ---- */

struct cipher_kat {
	const char *name;
	uint32_t id;
	const char *key, *iv, *pt, *ct;
	const char *where;	/* "device", "kernel", "any" */
	int needs_cfb;		/* a kernel without cfb/ofb refuses it */
	uint32_t split;		/* two requests, the second with iv NULL */
};

static const struct cipher_kat ciphers[] = {
	{ "DES-CBC (FIPS 81)", CRYPTO_DES_CBC, "0123456789abcdef", "1234567890abcdef",
	  "4e6f77206973207468652074696d6520666f7220616c6c20",
	  "e5c7cdde872bf27c43e934008c389c0f683788499a7c05f6", "any", 0, 8 },
	{ "3DES-CBC (three equal keys = FIPS 81)", CRYPTO_3DES_CBC,
	  "0123456789abcdef0123456789abcdef0123456789abcdef", "1234567890abcdef",
	  "4e6f77206973207468652074696d6520666f7220616c6c20",
	  "e5c7cdde872bf27c43e934008c389c0f683788499a7c05f6", "any", 0, 8 },
	{ "Blowfish-CBC", CRYPTO_BLF_CBC, "0123456789abcdeff0e1d2c3b4a59687", "fedcba9876543210",
	  "37363534333231204e6f77206973207468652074696d6520666f722000000000",
	  "6b77b4d63006dee605b156e27403979358deb9e7154616d959f1652bd5ff92cc", "kernel", 0, 8 },
	{ "Camellia-128-CBC (RFC 3713, zero IV)", CRYPTO_CAMELLIA_CBC,
	  "0123456789abcdeffedcba9876543210", "00000000000000000000000000000000",
	  "0123456789abcdeffedcba9876543210", "67673138549669730857065648eabe43", "kernel", 0, 0 },
	{ "AES-128-CFB (SP 800-38A F.3.13)", CRYPTO_AES_CFB, "2b7e151628aed2a6abf7158809cf4f3c",
	  "000102030405060708090a0b0c0d0e0f",
	  "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51",
	  "3b3fd92eb72dad20333449f8e83cfb4ac8a64537a0b3a93fcde3cdad9f1ce58b", "kernel", 1, 16 },
	{ "AES-128-OFB (SP 800-38A F.4.1)", CRYPTO_AES_OFB, "2b7e151628aed2a6abf7158809cf4f3c",
	  "000102030405060708090a0b0c0d0e0f",
	  "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51",
	  "3b3fd92eb72dad20333449f8e83cfb4a7789508d16918f03f53c52dac54ed825", "kernel", 1, 16 },
	/* Equal key halves: the guest kernel (OpenSSL back-ends refuse them). */
	{ "AES-128-XTS (IEEE 1619 vector 1)", CRYPTO_AES_XTS,
	  "0000000000000000000000000000000000000000000000000000000000000000",
	  "00000000000000000000000000000000",
	  "0000000000000000000000000000000000000000000000000000000000000000",
	  "917cf69ebd68b2ec9b9fe9a3eadda692cd43d2f59598ed858c02c2652fbf922e", "kernel", 0, 0 },
	{ "NULL", CRYPTO_NULL, "", "", "000102030405060708090a0b0c0d0e0f10", "000102030405060708090a0b0c0d0e0f10",
	  "kernel", 0, 0 },
};

static void cipher_checks(int fd)
{
	uint8_t key[64], iv[16], iv0[16], pt[64], ct[64], buf[64];
	char drv[160];
	unsigned int i;

	for (i = 0; i < sizeof(ciphers) / sizeof(ciphers[0]); i++) {
		const struct cipher_kat *k = &ciphers[i];
		uint32_t klen = (uint32_t)unhex(k->key, key), ses, n;
		size_t ivlen = unhex(k->iv, iv0);
		int e, dev;

		n = (uint32_t)unhex(k->pt, pt);
		unhex(k->ct, ct);
		e = sess_new(fd, k->id, key, klen, &ses);
		if (k->needs_cfb && !kernel_has_cfb) {
			CHECK(e == EINVAL, "%s refused with EINVAL: this kernel has no such mode (%s)",
			      k->name, strerror(e));
			continue;
		}
		CHECK(e == 0, "%s session (%s)", k->name, strerror(e));
		if (e)
			continue;
		dev = on_device(fd, ses, drv, sizeof(drv));
		if (!strcmp(k->where, "device"))
			CHECK(dev == (strcmp(backend, "none") != 0), "%s runs where expected (%s)", k->name, drv);
		else if (!strcmp(k->where, "kernel"))
			CHECK(dev == 0, "%s runs in the guest kernel (%s)", k->name, drv);
		else
			CHECK(dev >= 0, "%s runs on %s", k->name, drv);
		memcpy(iv, iv0, 16);
		memcpy(buf, pt, n);
		e = crypt_do(fd, ses, COP_ENCRYPT, 0, buf, buf, n, ivlen ? iv : NULL);
		CHECK(e == 0 && !memcmp(buf, ct, n), "%s encrypt (%s)", k->name, strerror(e));
		memcpy(iv, iv0, 16);
		e = crypt_do(fd, ses, COP_DECRYPT, 0, ct, buf, n, ivlen ? iv : NULL);
		CHECK(e == 0 && !memcmp(buf, pt, n), "%s decrypt (%s)", k->name, strerror(e));
		/*
		 * Two requests, the second with iv NULL and WRITE_IV: it continues
		 * from the session's IV, skips the write-back and succeeds.
		 */
		if (k->split) {
			memcpy(iv, iv0, 16);
			memset(buf, 0, sizeof(buf));
			e = crypt_do(fd, ses, COP_ENCRYPT, 0, pt, buf, k->split, iv);
			if (!e)
				e = crypt_do(fd, ses, COP_ENCRYPT, COP_FLAG_WRITE_IV, pt + k->split,
					     buf + k->split, n - k->split, NULL);
			CHECK(e == 0 && !memcmp(buf, ct, n),
			      "%s in two requests, the second with iv NULL and WRITE_IV (%s)",
			      k->name, strerror(e));
		}
		sess_free(fd, ses);
	}
}

/* ---- CIOCAUTHCRYPT ---- */

static int authcrypt(int fd, uint32_t ses, int op, uint16_t flags, const uint8_t *aad, uint32_t alen,
		     const uint8_t *src, uint8_t *dst, uint32_t len, uint8_t *tag, uint32_t tlen,
		     uint8_t *iv, uint32_t *outlen)
{
	struct crypt_auth_op a;
	int e;

	memset(&a, 0, sizeof(a));
	a.ses = ses;
	a.op = (uint16_t)op;
	a.flags = flags;
	a.len = len;
	a.auth_len = alen;
	a.auth_src = (uint8_t *)aad;
	a.src = (uint8_t *)src;
	a.dst = dst;
	a.tag = tag;
	a.tag_len = tlen;
	a.iv = iv;
	e = xioctl(fd, CIOCAUTHCRYPT, &a);
	if (!e && outlen)
		*outlen = a.len;
	return e;
}

static void gcm_checks(int fd)
{
	static const char *K3 = "feffe9928665731c6d6a8f9467308308";
	static const char *P3 = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
				"1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255";
	static const char *C3 = "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
				"21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985";
	uint8_t key[32], iv[16], aad[32], pt[80], ct[80], buf[96], want[96];
	uint32_t ses, out = 0;
	char drv[160];
	int e;

	/* Test case 2: K = 0, IV = 0, P = 0^128. */
	memset(key, 0, 16);
	memset(iv, 0, 12);
	memset(pt, 0, 16);
	e = sess_new(fd, CRYPTO_AES_GCM, key, 16, &ses);
	CHECK(e == 0, "AES-GCM session (%s)", strerror(e));
	if (e)
		return;
	CHECK(on_device(fd, ses, drv, sizeof(drv)) == 0, "AES-GCM runs in the guest kernel (%s)", drv);
	e = authcrypt(fd, ses, COP_ENCRYPT, 0, NULL, 0, pt, buf, 16, NULL, 0, iv, &out);
	CHECK(e == 0 && out == 32 && hexeq(buf, "0388dace60b6a392f328c2b971b2fe78ab6e47d42cec13bdf53a67b21257bddf"),
	      "GCM test case 2: ciphertext and tag, len 32 (%s)", strerror(e));
	sess_free(fd, ses);

	/* Test cases 3 and 4. */
	unhex(K3, key);
	unhex("cafebabefacedbaddecaf888", iv);
	unhex(P3, pt);
	e = sess_new(fd, CRYPTO_AES_GCM, key, 16, &ses);
	if (e)
		return;
	e = authcrypt(fd, ses, COP_ENCRYPT, 0, NULL, 0, pt, buf, 64, NULL, 0, iv, &out);
	unhex(C3, want);
	unhex("4d5c2af327cd64a62cf35abd2ba6fab4", want + 64);
	CHECK(e == 0 && out == 80 && !memcmp(buf, want, 80), "GCM test case 3 (%s)", strerror(e));
	unhex("feedfacedeadbeeffeedfacedeadbeefabaddad2", aad);
	e = authcrypt(fd, ses, COP_ENCRYPT, 0, aad, 20, pt, buf, 60, NULL, 0, iv, &out);
	unhex("5bc94fbc3221a5db94fae95ae7121a47", want + 60);
	CHECK(e == 0 && out == 76 && !memcmp(buf, want, 76), "GCM test case 4 (AAD, 60 bytes) (%s)", strerror(e));
	memcpy(ct, buf, 76);
	e = authcrypt(fd, ses, COP_DECRYPT, 0, aad, 20, ct, buf, 76, NULL, 0, iv, &out);
	CHECK(e == 0 && out == 60 && !memcmp(buf, pt, 60), "GCM test case 4 decrypt (%s)", strerror(e));
	ct[10] ^= 1;
	e = authcrypt(fd, ses, COP_DECRYPT, 0, aad, 20, ct, buf, 76, NULL, 0, iv, &out);
	CHECK(e == EBADMSG, "GCM tampered ciphertext -> EBADMSG (%s)", strerror(e));
	ct[10] ^= 1;
	aad[0] ^= 1;
	e = authcrypt(fd, ses, COP_DECRYPT, 0, aad, 20, ct, buf, 76, NULL, 0, iv, &out);
	CHECK(e == EBADMSG, "GCM tampered AAD -> EBADMSG (%s)", strerror(e));
	e = authcrypt(fd, ses, COP_ENCRYPT, 0, aad, 20, pt, buf, 60, NULL, 17, iv, &out);
	CHECK(e == EINVAL, "GCM tag_len 17 -> EINVAL (%s)", strerror(e));
	e = authcrypt(fd, ses, COP_ENCRYPT, 0, aad, 5000, pt, buf, 60, NULL, 0, iv, &out);
	CHECK(e == EINVAL, "GCM auth_len above a page -> EINVAL (%s)", strerror(e));
	sess_free(fd, ses);

	/* RFC 3610 packet vector 1: CCM, 8-byte tag, 13-byte nonce. */
	unhex("c0c1c2c3c4c5c6c7c8c9cacbcccdcecf", key);
	unhex("0100000003020100a0a1a2a3a4a50000", iv);	/* L' = 1, nonce, counter 0 */
	unhex("0001020304050607", aad);
	unhex("08090a0b0c0d0e0f101112131415161718191a1b1c1d1e", pt);
	e = sess_new(fd, CRYPTO_AES_CCM, key, 16, &ses);
	CHECK(e == 0, "AES-CCM session (%s)", strerror(e));
	if (e)
		return;
	e = authcrypt(fd, ses, COP_ENCRYPT, 0, aad, 8, pt, buf, 23, NULL, 8, iv, &out);
	CHECK(e == 0 && out == 31 && hexeq(buf, "588c979a61c663d2f066d0c2c0f989806d5f6b61dac38417e8d12cfdf926e0"),
	      "CCM RFC 3610 vector 1 (%s)", strerror(e));
	memcpy(ct, buf, 31);
	e = authcrypt(fd, ses, COP_DECRYPT, 0, aad, 8, ct, buf, 31, NULL, 8, iv, &out);
	CHECK(e == 0 && out == 23 && !memcmp(buf, pt, 23), "CCM vector 1 decrypt (%s)", strerror(e));
	sess_free(fd, ses);
}

/* TLS record (AES-128-CBC + HMAC-SHA1) and SRTP packet (AES-CTR + HMAC-SHA1). */
static void record_checks(int fd)
{
	uint8_t key[16], mkey[20], iv[16], iv0[16], aad[13], rec[128], orig[128], mac[20];
	uint8_t pkt[64], tag[20], tag2[20], hm[20];
	uint32_t ses, hs, out = 0;
	int e, i;

	memset(key, 0x11, 16);
	memset(mkey, 0x22, 20);
	memset(iv0, 0x33, 16);
	memset(aad, 0x44, 13);
	for (i = 0; i < 50; i++)
		orig[i] = (uint8_t)i;
	e = sess_mac(fd, CRYPTO_AES_CBC, key, 16, CRYPTO_SHA1_HMAC, mkey, 20, &ses);
	CHECK(e == 0, "TLS: AES-CBC + HMAC-SHA1 session (%s)", strerror(e));
	if (e)
		return;
	/* The tag must be HMAC(aad || data): compute it with an HMAC session. */
	e = sess_mac(fd, 0, NULL, 0, CRYPTO_SHA1_HMAC, mkey, 20, &hs);
	if (!e)
		e = hash_op(fd, hs, COP_FLAG_UPDATE | COP_FLAG_RESET, aad, 13, mac);
	if (!e)
		e = hash_op(fd, hs, COP_FLAG_FINAL, orig, 50, mac);
	memcpy(rec, orig, 50);
	memcpy(iv, iv0, 16);
	e = e ? e : authcrypt(fd, ses, COP_ENCRYPT, COP_FLAG_AEAD_TLS_TYPE, aad, 13, rec, rec, 50, NULL, 0, iv, &out);
	/* 50 + 20 tag = 70, padded to 80: 10 bytes of value 9. */
	CHECK(e == 0 && out == 80, "TLS encrypt: record of 50 bytes -> 80 (%s, %u)", strerror(e), out);
	/* Decrypted with a plain CBC session: data || HMAC || 10 bytes of 9. */
	{
		uint8_t plain[80];
		uint32_t cs;
		int k;

		memcpy(iv, iv0, 16);
		e = sess_new(fd, CRYPTO_AES_CBC, key, 16, &cs);
		if (!e)
			e = crypt_do(fd, cs, COP_DECRYPT, 0, rec, plain, 80, iv);
		for (k = 70; !e && k < 80; k++)
			e = plain[k] == 9 ? 0 : EILSEQ;
		CHECK(e == 0 && !memcmp(plain, orig, 50) && !memcmp(plain + 50, mac, 20),
		      "TLS record = CBC(data || HMAC-SHA1(aad || data) || padding) (%s)", strerror(e));
		sess_free(fd, cs);
	}
	memcpy(iv, iv0, 16);
	e = authcrypt(fd, ses, COP_DECRYPT, COP_FLAG_AEAD_TLS_TYPE, aad, 13, rec, rec, 80, NULL, 0, iv, &out);
	CHECK(e == 0 && out == 50 && !memcmp(rec, orig, 50), "TLS decrypt: 50 bytes back (%s)", strerror(e));
	memcpy(rec, orig, 50);
	memcpy(iv, iv0, 16);
	authcrypt(fd, ses, COP_ENCRYPT, COP_FLAG_AEAD_TLS_TYPE, aad, 13, rec, rec, 50, NULL, 0, iv, &out);
	rec[5] ^= 1;
	memcpy(iv, iv0, 16);
	e = authcrypt(fd, ses, COP_DECRYPT, COP_FLAG_AEAD_TLS_TYPE, aad, 13, rec, rec, 80, NULL, 0, iv, &out);
	CHECK(e == EBADMSG, "TLS tampered record -> EBADMSG (%s)", strerror(e));
	e = authcrypt(fd, ses, COP_ENCRYPT, COP_FLAG_AEAD_TLS_TYPE, aad, 13, orig, rec, 50, NULL, 0, iv, &out);
	CHECK(e == EINVAL, "TLS with src != dst -> EINVAL (%s)", strerror(e));
	sess_free(fd, ses);

	/* SRTP: RFC 3711 B.2 AES-CM keystream; 12-byte header, 48-byte payload. */
	unhex("2b7e151628aed2a6abf7158809cf4f3c", key);
	unhex("f0f1f2f3f4f5f6f7f8f9fafbfcfd0000", iv0);
	e = sess_mac(fd, CRYPTO_AES_CTR, key, 16, CRYPTO_SHA1_HMAC, mkey, 20, &ses);
	CHECK(e == 0, "SRTP: AES-CTR + HMAC-SHA1 session (%s)", strerror(e));
	if (e)
		return;
	memset(pkt, 0, sizeof(pkt));
	memset(pkt, 0x80, 12);
	memcpy(iv, iv0, 16);
	e = authcrypt(fd, ses, COP_ENCRYPT, COP_FLAG_AEAD_SRTP_TYPE, pkt, 60, pkt + 12, pkt + 12, 48,
		      tag, 10, iv, &out);
	CHECK(e == 0 && hexeq(pkt + 12, "e03ead0935c95e80e166b16dd92b4eb4d23513162b02d0f72a43a2fe4a5f97ab"
				   "41e95b3bb0a2e8dd477901e4fca894c0"),
	      "SRTP encrypt: payload = RFC 3711 B.2 keystream (%s)", strerror(e));
	e = hash_op(fd, hs, 0, pkt, 60, hm);
	CHECK(e == 0 && !memcmp(tag, hm, 10), "SRTP tag = HMAC-SHA1(header || encrypted payload), 10 bytes");
	memcpy(iv, iv0, 16);
	e = authcrypt(fd, ses, COP_DECRYPT, COP_FLAG_AEAD_SRTP_TYPE, pkt, 60, pkt + 12, pkt + 12, 48,
		      tag, 10, iv, &out);
	CHECK(e == 0 && pkt[12] == 0 && pkt[59] == 0, "SRTP decrypt: payload back (%s)", strerror(e));
	memcpy(iv, iv0, 16);
	authcrypt(fd, ses, COP_ENCRYPT, COP_FLAG_AEAD_SRTP_TYPE, pkt, 60, pkt + 12, pkt + 12, 48, tag2, 10, iv,
		  &out);
	tag2[0] ^= 1;
	memcpy(iv, iv0, 16);
	e = authcrypt(fd, ses, COP_DECRYPT, COP_FLAG_AEAD_SRTP_TYPE, pkt, 60, pkt + 12, pkt + 12, 48,
		      tag2, 10, iv, &out);
	CHECK(e == EBADMSG, "SRTP wrong tag -> EBADMSG (%s)", strerror(e));
	e = authcrypt(fd, ses, COP_ENCRYPT, COP_FLAG_AEAD_SRTP_TYPE, pkt, 60, pkt + 12, pkt + 12, 48,
		      tag, 30, iv, &out);
	CHECK(e == EINVAL, "SRTP tag_len above the digest -> EINVAL (%s)", strerror(e));
	sess_free(fd, ses);
	sess_free(fd, hs);
}

/* ---- asynchronous calls ---- */

static const char *CBC_KEY = "2b7e151628aed2a6abf7158809cf4f3c";
static const char *CBC_IV = "000102030405060708090a0b0c0d0e0f";
static const char *CBC_PT = "6bc1bee22e409f96e93d7e117393172a";
static const char *CBC_CT = "7649abac8119b246cee98e9b12e9197d";

static void async_checks(int fd)
{
	enum { N = 32 };
	static uint8_t bufs[N][64];
	uint8_t key[16], iv[N][16], pt[16];
	struct crypt_op c[N], f;
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT };
	struct epoll_event ev = { .events = EPOLLIN }, got;
	uint32_t ses;
	int e, i, ok = 0, queued = 0, ep, busy = 0;

	unhex(CBC_KEY, key);
	unhex(CBC_PT, pt);
	e = sess_new(fd, CRYPTO_AES_CBC, key, 16, &ses);
	if (e) {
		CHECK(0, "async: session (%s)", strerror(e));
		return;
	}
	memset(&f, 0, sizeof(f));
	CHECK(xioctl(fd, CIOCASYNCFETCH, &f) == EBUSY, "async: fetch with nothing queued -> EBUSY");
	CHECK(poll(&p, 1, 0) == 1 && p.revents == POLLOUT, "async: idle file polls POLLOUT only (%#x)", p.revents);
	for (i = 0; i < N; i++) {
		memcpy(bufs[i], pt, 16);
		unhex(CBC_IV, iv[i]);
		memset(&c[i], 0, sizeof(c[i]));
		c[i].ses = ses;
		c[i].op = COP_ENCRYPT;
		c[i].flags = COP_FLAG_WRITE_IV;
		c[i].len = 16;
		c[i].src = bufs[i];
		c[i].dst = bufs[i];
		c[i].iv = iv[i];
		e = xioctl(fd, CIOCASYNCCRYPT, &c[i]);
		queued += e == 0;
	}
	CHECK(queued == N, "async: %d requests queued from one thread (%d)", N, queued);
	ep = epoll_create1(0);
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	CHECK(epoll_wait(ep, &got, 1, 10000) == 1 && (got.events & EPOLLIN), "async: epoll reports EPOLLIN");
	close(ep);
	for (i = 0; i < N; i++) {
		p.events = POLLIN;
		if (poll(&p, 1, 10000) != 1) {
			CHECK(0, "async: POLLIN for request %d", i);
			break;
		}
		memset(&f, 0, sizeof(f));
		e = xioctl(fd, CIOCASYNCFETCH, &f);
		if (e) {
			CHECK(0, "async: fetch %d (%s)", i, strerror(e));
			break;
		}
		/* The crypt_op written back names the request that finished. */
		ok += f.ses == ses && f.src >= bufs[0] && f.src <= bufs[N - 1] &&
		      hexeq(f.src, CBC_CT) && hexeq(f.iv, CBC_CT);
	}
	CHECK(ok == N, "async: %d results fetched, each its own crypt_op, ciphertext and IV (%d good)", N, ok);
	CHECK(xioctl(fd, CIOCASYNCFETCH, &f) == EBUSY, "async: fetch after all were fetched -> EBUSY");
	/* Fill the queue: 64 requests per file, then EBUSY and no POLLOUT. */
	for (i = 0; i < 200; i++) {
		c[0].iv = iv[0];
		e = xioctl(fd, CIOCASYNCCRYPT, &c[0]);
		if (e == EBUSY) {
			busy = 1;
			break;
		}
		if (e)
			break;
	}
	CHECK(busy && i == 64, "async: the 65th unfetched request -> EBUSY (%d queued, %s)", i, strerror(e));
	for (e = 0; e < 100; e++) {	/* wait for them all, bounded */
		p.events = POLLOUT;
		poll(&p, 1, 0);
		if (!(p.revents & POLLOUT))
			break;
		usleep(10000);
	}
	CHECK(!(p.revents & POLLOUT), "async: a full queue does not poll POLLOUT");
	for (queued = 0; queued < i; queued++) {
		p.events = POLLIN;
		if (poll(&p, 1, 10000) != 1 || xioctl(fd, CIOCASYNCFETCH, &f))
			break;
	}
	CHECK(queued == i, "async: all %d fetched", i);
	/* Asynchronous hashing (guest kernel or device). */
	{
		uint32_t hs;
		uint8_t mac[32];

		e = sess_mac(fd, 0, NULL, 0, CRYPTO_SHA2_256, NULL, 0, &hs);
		memset(&c[0], 0, sizeof(c[0]));
		c[0].ses = hs;
		c[0].len = 3;
		c[0].src = (uint8_t *)"abc";
		c[0].mac = mac;
		if (!e)
			e = xioctl(fd, CIOCASYNCCRYPT, &c[0]);
		p.events = POLLIN;
		if (!e && poll(&p, 1, 10000) == 1)
			e = xioctl(fd, CIOCASYNCFETCH, &f);
		CHECK(e == 0 && hexeq(mac, hashes[3].abc), "async: SHA256(\"abc\") (%s)", strerror(e));
		sess_free(fd, hs);
	}
	/* Closing a file with requests queued and not fetched must not hang. */
	{
		int fd2 = open_crypto("/dev/crypto");
		uint32_t s2;

		if (sess_new(fd2, CRYPTO_AES_CBC, key, 16, &s2) == 0) {
			for (i = 0; i < 16; i++) {
				c[i].ses = s2;
				c[i].iv = iv[i];
				xioctl(fd2, CIOCASYNCCRYPT, &c[i]);
			}
		}
		CHECK(close(fd2) == 0, "async: close with 16 requests unfetched");
	}
	sess_free(fd, ses);
}

/*
 * Set our module's timeout_ms to @value, its old value in @old ("" when
 * the module has none, e.g. cryptodev-linux): 0 on success.
 */
static const char *TIMEOUT_PARAM = "/sys/module/virtio_cryptodev/parameters/timeout_ms";

static int timeout_set(const char *value, char old[32])
{
	FILE *pf = fopen(TIMEOUT_PARAM, "r+");

	old[0] = 0;
	if (!pf)
		return -1;
	if (!fgets(old, 32, pf))
		old[0] = 0;
	rewind(pf);
	fputs(value, pf);
	fclose(pf);
	return old[0] ? 0 : -1;
}

static void timeout_restore(const char *old)
{
	FILE *pf;

	if (!old[0])
		return;
	pf = fopen(TIMEOUT_PARAM, "w");
	if (pf) {
		fputs(old, pf);
		fclose(pf);
	}
}

/* CIOCASYNCCRYPT: AES-CBC encryption of @buf (64 bytes) in place. */
static int async_encrypt64(int fd, uint32_t ses, uint8_t *buf, uint8_t *iv)
{
	struct crypt_op c;

	memset(&c, 0, sizeof(c));
	unhex(CBC_IV, iv);
	c.ses = ses;
	c.op = COP_ENCRYPT;
	c.len = 64;
	c.src = c.dst = buf;
	c.iv = iv;
	return xioctl(fd, CIOCASYNCCRYPT, &c);
}

/*
 * Interrupts for asynchronous requests only when a file waits: one whose
 * epoll was registered before it submitted (so poll() is not called after
 * the submission) must still be woken.  timeout_ms (our module) is raised
 * meanwhile: its timer would harvest the requests after 10 s anyway.
 */
static void async_wakeups(int fd, int edge)
{
	enum { ROUNDS = 3, PER = 8 };
	static uint8_t bufs[PER][64];
	uint8_t key[16], iv[PER][16];
	struct epoll_event ev = { .events = EPOLLIN | (edge ? EPOLLET : 0) }, got;
	struct crypt_op f;
	char old[32];
	int e, i, r, ep, fetched = 0, woken = 0, timed_out = 0;
	uint32_t ses;

	unhex(CBC_KEY, key);
	if (sess_new(fd, CRYPTO_AES_CBC, key, 16, &ses)) {
		CHECK(0, "async wake-ups: session");
		return;
	}
	timeout_set("600000\n", old);
	ep = epoll_create1(0);
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	for (r = 0; r < ROUNDS && !timed_out; r++) {
		/* A synchronous request first: its harvest turns interrupts off. */
		unhex(CBC_IV, iv[0]);
		crypt_do(fd, ses, COP_ENCRYPT, 0, bufs[0], bufs[0], 64, iv[0]);
		for (i = 0; i < PER; i++) {
			if (async_encrypt64(fd, ses, bufs[i], iv[i]))
				break;
		}
		/* Woken, then everything fetched until EBUSY, until all PER. */
		for (i = 0; i < PER; ) {
			if (epoll_wait(ep, &got, 1, 20000) != 1) {
				timed_out = 1;
				break;
			}
			woken++;
			for (;;) {
				memset(&f, 0, sizeof(f));
				e = xioctl(fd, CIOCASYNCFETCH, &f);
				if (e)
					break;
				i++;
			}
			if (e != EBUSY)
				break;
		}
		fetched += i;
	}
	close(ep);
	timeout_restore(old);
	CHECK(fetched == ROUNDS * PER,
	      "async wake-ups: epoll%s registered before submitting: %d of %d fetched after %d wake-ups",
	      edge ? " (edge-triggered)" : "", fetched, ROUNDS * PER, woken);
	sess_free(fd, ses);
}

/* Sum of the resets of every virtio_cryptodev device; -1 without any. */
static int device_resets(void)
{
	char path[128];
	int i, n, sum = -1;
	FILE *f;

	for (i = 0; i < 16; i++) {
		snprintf(path, sizeof(path), "/sys/bus/virtio/devices/virtio%d/cryptodev/resets", i);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fscanf(f, "%d", &n) == 1)
			sum = (sum < 0 ? 0 : sum) + n;
		fclose(f);
	}
	return sum;
}

/*
 * Requests nobody polls for (the file has a finished one to fetch, so no
 * interrupt is asked for them) are harvested by their timeout timer, not
 * taken for lost: no reset, results intact.  Our module only.
 */
static void async_unpolled(int fd)
{
	enum { N = 5 };
	static uint8_t bufs[N][64];
	uint8_t key[16], iv[N][16];
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct crypt_op f;
	char old[32];
	int i, r0, r1, fetched = 0, queued = 0;
	uint32_t ses;

	r0 = device_resets();
	if (r0 < 0 || timeout_set("1000\n", old))
		return;		/* not our module */
	unhex(CBC_KEY, key);
	if (sess_new(fd, CRYPTO_AES_CBC, key, 16, &ses) == 0) {
		for (i = 0; i < N; i++) {
			if (async_encrypt64(fd, ses, bufs[i], iv[i]))
				break;
			queued++;
			if (i == 0)	/* the first one done, not fetched */
				poll(&p, 1, 10000);
		}
		usleep(2500 * 1000);	/* past the 1 s timeout */
		r1 = device_resets();
		for (i = 0; i < N; i++) {
			memset(&f, 0, sizeof(f));
			if (xioctl(fd, CIOCASYNCFETCH, &f))
				break;
			fetched++;
		}
		CHECK(queued == N && fetched == N && r1 == r0,
		      "async: %d requests left unpolled past timeout_ms: %d fetched, device resets %d -> %d",
		      queued, fetched, r0, r1);
		sess_free(fd, ses);
	}
	timeout_restore(old);
}

/* ---- many sessions on one file ---- */

static void many_sessions(int fd, int n)
{
	uint8_t key[16], pt[16], buf[16], iv[16], k2[16];
	uint32_t *ses = calloc((size_t)n, sizeof(*ses));
	int i, made = 0, good = 0, e = 0;

	unhex(CBC_KEY, key);
	unhex(CBC_PT, pt);
	for (i = 0; i < n; i++) {
		/* Every other session with another key: answers must not mix. */
		memcpy(k2, key, 16);
		k2[15] ^= (uint8_t)(i & 1);
		e = sess_new(fd, CRYPTO_AES_CBC, k2, 16, &ses[i]);
		if (e)
			break;
		made++;
	}
	CHECK(made == n, "%d sessions on one open file (%s)", n, made == n ? "ok" : strerror(e));
	for (i = 0; i < made; i++) {
		unhex(CBC_IV, iv);
		e = crypt_do(fd, ses[i], (i & 1) ? COP_DECRYPT : COP_ENCRYPT, 0, pt, buf, 16, iv);
		if (e)
			continue;
		if (!(i & 1))
			good += hexeq(buf, CBC_CT);
		else
			good += 1;
	}
	/* Again, in reverse: the device-session cache must bring each back. */
	for (i = made - 1; i >= 0; i -= 2) {
		unhex(CBC_IV, iv);
		if (i & 1)
			i--;
		e = crypt_do(fd, ses[i], COP_ENCRYPT, 0, pt, buf, 16, iv);
		good += !e && hexeq(buf, CBC_CT);
	}
	CHECK(good == made + (made + 1) / 2, "every one of the %d sessions used with a known answer (%d good)",
	      made, good);
	for (i = 0; i < made; i++)
		sess_free(fd, ses[i]);
	free(ses);
}

int main(int argc, char **argv)
{
	const char *node = argc > 2 ? argv[2] : "/dev/crypto";
	struct utsname u;
	int fd;

	if (argc > 1)
		backend = argv[1];
	uname(&u);
	kernel_has_cfb = strncmp(u.release, "6.1.", 4) == 0;
	printf("cryptodev_abi: %zu-bit program, kernel %s, back-end %s, %s\n",
	       sizeof(void *) * 8, u.release, backend, node);
	t_prefix = sizeof(void *) == 4 ? "abi32: " : "abi: ";
	fd = open_crypto(node);
	hash_checks(fd);
	hmac_checks(fd);
	cipher_checks(fd);
	gcm_checks(fd);
	record_checks(fd);
	async_checks(fd);
	async_wakeups(fd, 0);
	async_wakeups(fd, 1);
	async_unpolled(fd);
	many_sessions(fd, 1000);
	close(fd);
	return t_summary();
}
