/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vcd_alg.h - what each cryptodev-linux algorithm id means.
 *
 * One table entry per id cryptodev-linux maps to a kernel algorithm: the
 * kernel crypto API name it uses (its ioctl.c mapping), sizes, how the IV
 * chains from one request to the next, and the virtio-crypto algorithm that
 * can run it on the device (0: none, always in the guest kernel).
 */
#ifndef VCD_ALG_H
#define VCD_ALG_H

#include <linux/types.h>

enum vcd_alg_kind {
	VCD_ALG_CIPHER,		/* skcipher */
	VCD_ALG_AEAD,		/* aead (GCM, CCM, TLS composites) */
	VCD_ALG_HASH,		/* plain hash */
	VCD_ALG_HMAC,		/* keyed hash */
};

/* How the IV after a request follows from the request (device path). */
enum vcd_iv_rule {
	VCD_IV_NONE,		/* ECB, NULL: no IV */
	VCD_IV_CBC,		/* the last ciphertext block */
	VCD_IV_CTR,		/* the counter + blocks, 128-bit big endian */
	VCD_IV_SAME,		/* XTS, AEAD: the IV is given per request */
	VCD_IV_KERNEL,		/* CFB, OFB: as the kernel leaves it (no device) */
};

struct vcd_alg {
	u32 id;			/* cryptodev-linux id */
	u8 kind;		/* enum vcd_alg_kind */
	u8 iv_rule;		/* enum vcd_iv_rule */
	u8 ivsize;
	u8 blocksize;		/* length granularity */
	u8 keylens[3];		/* device key lengths, 0 = unused */
	u8 digestsize;		/* hashes */
	bool splittable;	/* a device request may be cut into pieces */
	u32 virtio_algo;	/* VIRTIO_CRYPTO_CIPHER_/HASH_/MAC_*, 0 = none */
	const char *kname;	/* kernel crypto API name */
	const char *dev_driver;	/* cra_driver_name of the device path */
};

/* The entry for a cipher or mac id, NULL if cryptodev-linux has none. */
const struct vcd_alg *vcd_alg_cipher(u32 id);
const struct vcd_alg *vcd_alg_mac(u32 id);
bool vcd_alg_dev_keylen_ok(const struct vcd_alg *alg, unsigned int keylen);

#endif /* VCD_ALG_H */
