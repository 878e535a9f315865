// SPDX-License-Identifier: GPL-2.0-only
/*
 * vcd_alg.c - the algorithm table (see vcd_alg.h).
 *
 * Kernel names are cryptodev-linux's (ioctl.c): a session for an id runs
 * where that kernel algorithm would, or on the device when the entry has a
 * virtio algorithm and the device accepts the session.  Ids cryptodev-linux
 * does not map (CAST, Skipjack, ARC4, the KPDK MACs, compression) are not in
 * the table and are refused with EINVAL as it refuses them.
 */
#include <linux/kernel.h>

#include "vcd_alg.h"
#include "vcd.h"
#include "uapi/cryptodev.h"

#define DEV(name) name "-" VCD_DRIVER_NAME

static const struct vcd_alg vcd_ciphers[] = {
	{ CRYPTO_DES_CBC, VCD_ALG_CIPHER, VCD_IV_CBC, 8, 8, { 8 }, 0, true,
	  VIRTIO_CRYPTO_CIPHER_DES_CBC, "cbc(des)", DEV("cbc-des") },
	{ CRYPTO_3DES_CBC, VCD_ALG_CIPHER, VCD_IV_CBC, 8, 8, { 24 }, 0, true,
	  VIRTIO_CRYPTO_CIPHER_3DES_CBC, "cbc(des3_ede)", DEV("cbc-des3_ede") },
	{ CRYPTO_BLF_CBC, VCD_ALG_CIPHER, VCD_IV_CBC, 8, 8, { 0 }, 0, false,
	  0, "cbc(blowfish)", NULL },
	{ CRYPTO_AES_CBC, VCD_ALG_CIPHER, VCD_IV_CBC, 16, 16, { 16, 24, 32 },
	  0, true, VIRTIO_CRYPTO_CIPHER_AES_CBC, "cbc(aes)", DEV("cbc-aes") },
	{ CRYPTO_AES_ECB, VCD_ALG_CIPHER, VCD_IV_NONE, 0, 16, { 16, 24, 32 },
	  0, true, VIRTIO_CRYPTO_CIPHER_AES_ECB, "ecb(aes)", DEV("ecb-aes") },
	{ CRYPTO_AES_CFB, VCD_ALG_CIPHER, VCD_IV_KERNEL, 16, 1, { 0 }, 0, false,
	  0, "cfb(aes)", NULL },
	{ CRYPTO_AES_OFB, VCD_ALG_CIPHER, VCD_IV_KERNEL, 16, 1, { 0 }, 0, false,
	  0, "ofb(aes)", NULL },
	{ CRYPTO_AES_XTS, VCD_ALG_CIPHER, VCD_IV_SAME, 16, 16, { 32, 64 }, 0,
	  false, VIRTIO_CRYPTO_CIPHER_AES_XTS, "xts(aes)", DEV("xts-aes") },
	{ CRYPTO_CAMELLIA_CBC, VCD_ALG_CIPHER, VCD_IV_CBC, 16, 16, { 0 }, 0,
	  false, 0, "cbc(camellia)", NULL },
	{ CRYPTO_AES_CTR, VCD_ALG_CIPHER, VCD_IV_CTR, 16, 1, { 16, 24, 32 },
	  0, true, VIRTIO_CRYPTO_CIPHER_AES_CTR, "ctr(aes)", DEV("ctr-aes") },
	{ CRYPTO_NULL, VCD_ALG_CIPHER, VCD_IV_NONE, 0, 1, { 0 }, 0, false,
	  0, "ecb(cipher_null)", NULL },
	{ CRYPTO_AES_GCM, VCD_ALG_AEAD, VCD_IV_SAME, 12, 1, { 0 }, 0, false,
	  0, "gcm(aes)", NULL },
	{ CRYPTO_AES_CCM, VCD_ALG_AEAD, VCD_IV_SAME, 16, 1, { 0 }, 0, false,
	  0, "ccm(aes)", NULL },
	{ CRYPTO_TLS11_AES_CBC_HMAC_SHA1, VCD_ALG_AEAD, VCD_IV_SAME, 16, 16,
	  { 0 }, 0, false, 0, "tls11(hmac(sha1),cbc(aes))", NULL },
	{ CRYPTO_TLS12_AES_CBC_HMAC_SHA256, VCD_ALG_AEAD, VCD_IV_SAME, 16, 16,
	  { 0 }, 0, false, 0, "tls12(hmac(sha256),cbc(aes))", NULL },
};

#define HMAC(id, v, len, kn, dn) \
	{ id, VCD_ALG_HMAC, VCD_IV_NONE, 0, 1, { 0 }, len, false, v, kn, DEV(dn) }
#define HASH(id, v, len, kn, dn) \
	{ id, VCD_ALG_HASH, VCD_IV_NONE, 0, 1, { 0 }, len, false, v, kn, DEV(dn) }

static const struct vcd_alg vcd_macs[] = {
	HMAC(CRYPTO_MD5_HMAC, VIRTIO_CRYPTO_MAC_HMAC_MD5, 16, "hmac(md5)",
	     "hmac-md5"),
	HMAC(CRYPTO_SHA1_HMAC, VIRTIO_CRYPTO_MAC_HMAC_SHA1, 20, "hmac(sha1)",
	     "hmac-sha1"),
	HMAC(CRYPTO_RIPEMD160_HMAC, 0, 20, "hmac(rmd160)", "hmac-rmd160"),
	HMAC(CRYPTO_SHA2_224_HMAC, VIRTIO_CRYPTO_MAC_HMAC_SHA_224, 28,
	     "hmac(sha224)", "hmac-sha224"),
	HMAC(CRYPTO_SHA2_256_HMAC, VIRTIO_CRYPTO_MAC_HMAC_SHA_256, 32,
	     "hmac(sha256)", "hmac-sha256"),
	HMAC(CRYPTO_SHA2_384_HMAC, VIRTIO_CRYPTO_MAC_HMAC_SHA_384, 48,
	     "hmac(sha384)", "hmac-sha384"),
	HMAC(CRYPTO_SHA2_512_HMAC, VIRTIO_CRYPTO_MAC_HMAC_SHA_512, 64,
	     "hmac(sha512)", "hmac-sha512"),
	HASH(CRYPTO_MD5, VIRTIO_CRYPTO_HASH_MD5, 16, "md5", "md5"),
	HASH(CRYPTO_RIPEMD160, 0, 20, "rmd160", "rmd160"),
	HASH(CRYPTO_SHA1, VIRTIO_CRYPTO_HASH_SHA1, 20, "sha1", "sha1"),
	HASH(CRYPTO_SHA2_224, VIRTIO_CRYPTO_HASH_SHA_224, 28, "sha224",
	     "sha224"),
	HASH(CRYPTO_SHA2_256, VIRTIO_CRYPTO_HASH_SHA_256, 32, "sha256",
	     "sha256"),
	HASH(CRYPTO_SHA2_384, VIRTIO_CRYPTO_HASH_SHA_384, 48, "sha384",
	     "sha384"),
	HASH(CRYPTO_SHA2_512, VIRTIO_CRYPTO_HASH_SHA_512, 64, "sha512",
	     "sha512"),
};

static const struct vcd_alg *vcd_alg_find(const struct vcd_alg *t,
					  unsigned int n, u32 id)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (t[i].id == id)
			return &t[i];
	return NULL;
}

const struct vcd_alg *vcd_alg_cipher(u32 id)
{
	return vcd_alg_find(vcd_ciphers, ARRAY_SIZE(vcd_ciphers), id);
}

const struct vcd_alg *vcd_alg_mac(u32 id)
{
	return vcd_alg_find(vcd_macs, ARRAY_SIZE(vcd_macs), id);
}

bool vcd_alg_dev_keylen_ok(const struct vcd_alg *alg, unsigned int keylen)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(alg->keylens); i++)
		if (alg->keylens[i] && alg->keylens[i] == keylen)
			return true;
	return false;
}
