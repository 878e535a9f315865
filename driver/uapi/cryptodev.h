/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note OR MIT */
/*
 * cryptodev.h - the cryptodev-linux userspace ABI, as served by our guest
 * frontend (driver/) and spoken by the device engine of lib/.
 *
 * Written from the published facts of cryptodev-linux's crypto/cryptodev.h:
 * every struct layout, ioctl number, algorithm id, op code and flag below has
 * the same value there, so binaries built against either header interoperate.
 * It declares the whole ABI cryptodev-linux serves: sessions, CIOCCRYPT,
 * CIOCAUTHCRYPT, the asynchronous calls and CIOCCPHASH.
 * docs/abi.md describes the behaviour behind each call.
 */
#ifndef VCD_UAPI_CRYPTODEV_H
#define VCD_UAPI_CRYPTODEV_H

#include <linux/types.h>
#include <linux/ioctl.h>
#ifndef __KERNEL__
#ifndef __user
#define __user
#endif
#endif

#define CRYPTO_HMAC_MAX_KEY_LEN		512
#define CRYPTO_CIPHER_MAX_KEY_LEN	64

/* Algorithm identifiers (session_op.cipher / session_op.mac). */
enum cryptodev_crypto_op_t {
	CRYPTO_DES_CBC = 1,
	CRYPTO_3DES_CBC = 2,
	CRYPTO_BLF_CBC = 3,
	CRYPTO_CAST_CBC = 4,
	CRYPTO_SKIPJACK_CBC = 5,
	CRYPTO_MD5_HMAC = 6,
	CRYPTO_SHA1_HMAC = 7,
	CRYPTO_RIPEMD160_HMAC = 8,
	CRYPTO_MD5_KPDK = 9,
	CRYPTO_SHA1_KPDK = 10,
	CRYPTO_RIJNDAEL128_CBC = 11,
	CRYPTO_AES_CBC = CRYPTO_RIJNDAEL128_CBC,
	CRYPTO_ARC4 = 12,
	CRYPTO_MD5 = 13,
	CRYPTO_SHA1 = 14,
	CRYPTO_DEFLATE_COMP = 15,
	CRYPTO_NULL = 16,
	CRYPTO_LZS_COMP = 17,
	CRYPTO_SHA2_256_HMAC = 18,
	CRYPTO_SHA2_384_HMAC = 19,
	CRYPTO_SHA2_512_HMAC = 20,
	CRYPTO_AES_CTR = 21,
	CRYPTO_AES_XTS = 22,
	CRYPTO_AES_ECB = 23,
	CRYPTO_AES_CFB = 24,
	CRYPTO_AES_OFB = 25,
	CRYPTO_AES_GCM = 50,
	CRYPTO_AES_CCM = 51,
	CRYPTO_CAMELLIA_CBC = 101,
	CRYPTO_RIPEMD160 = 102,
	CRYPTO_SHA2_224 = 103,
	CRYPTO_SHA2_256 = 104,
	CRYPTO_SHA2_384 = 105,
	CRYPTO_SHA2_512 = 106,
	CRYPTO_SHA2_224_HMAC = 107,
	CRYPTO_TLS11_AES_CBC_HMAC_SHA1 = 108,
	CRYPTO_TLS12_AES_CBC_HMAC_SHA256 = 109,
	CRYPTO_ALGORITHM_ALL = 110
};

#define CRYPTO_ALGORITHM_MAX	(CRYPTO_ALGORITHM_ALL - 1)

#define DES_BLOCK_LEN		8
#define DES3_BLOCK_LEN		8
#define RIJNDAEL128_BLOCK_LEN	16
#define AES_BLOCK_LEN		16
#define CAMELLIA_BLOCK_LEN	16
#define BLOWFISH_BLOCK_LEN	8
#define EALG_MAX_BLOCK_LEN	16
#define AALG_MAX_RESULT_LEN	64
#define CRYPTODEV_MAX_ALG_NAME	64
#define HASH_MAX_LEN		64

/*
 * CIOCGSESSION argument: in cipher/mac/keys, out ses.  Released
 * cryptodev-linux (1.x, as in OpenBSD) has no `compr` member here: that
 * member exists only on an unmerged compression branch (cryptodev-linux pull
 * request #26) and would move keylen from offset 8 to 12 (docs/abi.md).
 */
struct session_op {
	__u32 cipher;
	__u32 mac;
	__u32 keylen;
	__u8 __user *key;
	__u32 mackeylen;
	__u8 __user *mackey;
	__u32 ses;
};

/* CIOCGSESSINFO argument: in ses, out names. */
struct session_info_op {
	__u32 ses;
	struct alg_info {
		char cra_name[CRYPTODEV_MAX_ALG_NAME];
		char cra_driver_name[CRYPTODEV_MAX_ALG_NAME];
	} cipher_info, hash_info;
	__u16 alignmask;
	__u32 flags;
};

#define SIOP_FLAG_KERNEL_DRIVER_ONLY	1

#define COP_ENCRYPT	0
#define COP_DECRYPT	1

/* CIOCCRYPT argument. */
struct crypt_op {
	__u32 ses;
	__u16 op;
	__u16 flags;
	__u32 len;
	__u8 __user *src;
	__u8 __user *dst;
	__u8 __user *mac;
	__u8 __user *iv;
};

/*
 * CIOCAUTHCRYPT argument.  Plain AEAD (GCM, CCM): dst holds len + tag_len
 * bytes when encrypting, the tag follows the data.  COP_FLAG_AEAD_TLS_TYPE
 * (cipher + HMAC session, src == dst): MAC, TLS padding and encryption in
 * place, dst holds len + tag_len + one block.  COP_FLAG_AEAD_SRTP_TYPE
 * (stream cipher + HMAC, src == dst inside auth_src): encrypt, then MAC
 * auth_src into tag.  tag_len 0 means the full digest (or the AEAD's
 * largest tag).  On return len is the length of the output.
 */
struct crypt_auth_op {
	__u32 ses;
	__u16 op;
	__u16 flags;
	__u32 len;
	__u32 auth_len;
	__u8 __user *auth_src;
	__u8 __user *src;
	__u8 __user *dst;
	__u8 __user *tag;
	__u32 tag_len;
	__u8 __user *iv;
	__u32 iv_len;
};

/* CIOCCPHASH argument: copy the hash state of src_ses into dst_ses. */
struct cphash_op {
	__u32 dst_ses;
	__u32 src_ses;
};

/* CIOCKEY (asymmetric operations): declared for its number only. */
struct crparam {
	__u8 __user *crp_p;
	__u32 crp_nbits;
};

#define CRK_MAXPARAM	8

struct crypt_kop {
	__u32 crk_op;
	__u32 crk_status;
	__u16 crk_iparams;
	__u16 crk_oparams;
	__u32 crk_pad1;
	struct crparam crk_param[CRK_MAXPARAM];
};

#define COP_FLAG_NONE		(0 << 0)
#define COP_FLAG_UPDATE		(1 << 0)
#define COP_FLAG_FINAL		(1 << 1)
#define COP_FLAG_WRITE_IV	(1 << 2)
#define COP_FLAG_NO_ZC		(1 << 3)
#define COP_FLAG_AEAD_TLS_TYPE	(1 << 4)
#define COP_FLAG_AEAD_SRTP_TYPE	(1 << 5)
#define COP_FLAG_RESET		(1 << 6)

#define CRIOGET		_IOWR('c', 101, __u32)
#define CIOCGSESSION	_IOWR('c', 102, struct session_op)
#define CIOCFSESSION	_IOW('c', 103, __u32)
#define CIOCCRYPT	_IOWR('c', 104, struct crypt_op)
#define CIOCKEY		_IOWR('c', 105, struct crypt_kop)
#define CIOCASYMFEAT	_IOR('c', 106, __u32)
#define CIOCGSESSINFO	_IOWR('c', 107, struct session_info_op)
#define CIOCAUTHCRYPT	_IOWR('c', 109, struct crypt_auth_op)
#define CIOCASYNCCRYPT	_IOW('c', 110, struct crypt_op)
#define CIOCASYNCFETCH	_IOR('c', 111, struct crypt_op)
#define CIOCCPHASH	_IOW('c', 112, struct cphash_op)

#define CRIOGET_NOT_NEEDED 1

#endif /* VCD_UAPI_CRYPTODEV_H */
