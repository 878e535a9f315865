/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/vm/cryptodev_kat.c - NIST SP 800-38A known answers through /dev/crypto.
 *
 * Owns: the SP 800-38A F.1 (ECB), F.2 (CBC) and F.5 (CTR) vectors for 128,
 * 192 and 256-bit keys, run in place (src == dst) through the cryptodev ABI:
 * encrypt and decrypt of the four blocks, COP_FLAG_WRITE_IV (the IV written
 * back must be the chaining value: last ciphertext block for CBC, counter + 4
 * for CTR), a two-call split continued with the written-back IV and with a
 * NULL iv (session-kept IV), and CIOCGSESSINFO naming our driver.
 * Usage: cryptodev_kat [NODE]   (default /dev/crypto; with NODE the check
 * names carry it).  Prints PASS/FAIL lines and "N passed, N failed"; exits 1 on any failure.
 */
#include "cryptodev_test.h"

static const char *PT =
	"6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
	"30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";
static const char *K128 = "2b7e151628aed2a6abf7158809cf4f3c";
static const char *K192 = "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b";
static const char *K256 =
	"603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4";
static const char *CBC_IV = "000102030405060708090a0b0c0d0e0f";
static const char *CTR_IV = "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";
static const char *CTR_IV_OUT = "f0f1f2f3f4f5f6f7f8f9fafbfcfdff03";

struct kat {
	const char *name;
	uint32_t cipher;
	const char *key, *iv, *ct;
};

static const struct kat kats[] = {
	{ "ECB-AES128", CRYPTO_AES_ECB, NULL, NULL,
	  "3ad77bb40d7a3660a89ecaf32466ef97f5d3d58503b9699de785895a96fdbaaf"
	  "43b1cd7f598ece23881b00e3ed0306887b0c785e27e8ad3f8223207104725dd4" },
	{ "ECB-AES192", CRYPTO_AES_ECB, NULL, NULL,
	  "bd334f1d6e45f25ff712a214571fa5cc974104846d0ad3ad7734ecb3ecee4eef"
	  "ef7afd2270e2e60adce0ba2face6444e9a4b41ba738d6c72fb16691603c18e0e" },
	{ "ECB-AES256", CRYPTO_AES_ECB, NULL, NULL,
	  "f3eed1bdb5d2a03c064b5a7e3db181f8591ccb10d410ed26dc5ba74a31362870"
	  "b6ed21b99ca6f4f9f153e7b1beafed1d23304b7a39f9f3ff067d8d8f9e24ecc7" },
	{ "CBC-AES128", CRYPTO_AES_CBC, NULL, NULL,
	  "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2"
	  "73bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7" },
	{ "CBC-AES192", CRYPTO_AES_CBC, NULL, NULL,
	  "4f021db243bc633d7178183a9fa071e8b4d9ada9ad7dedf4e5e738763f69145a"
	  "571b242012fb7ae07fa9baac3df102e008b0e27988598881d920a9e64f5615cd" },
	{ "CBC-AES256", CRYPTO_AES_CBC, NULL, NULL,
	  "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d"
	  "39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b" },
	{ "CTR-AES128", CRYPTO_AES_CTR, NULL, NULL,
	  "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff"
	  "5ae4df3edbd5d35e5b4f09020db03eab1e031dda2fbe03d1792170a0f3009cee" },
	{ "CTR-AES192", CRYPTO_AES_CTR, NULL, NULL,
	  "1abc932417521ca24f2b0459fe7e6e0b090339ec0aa6faefd5ccc2c6f4ce8e94"
	  "1e36b26bd1ebc670d1bd1d665620abf74f78a7f6d29809585a97daec58c6b050" },
	{ "CTR-AES256", CRYPTO_AES_CTR, NULL, NULL,
	  "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c5"
	  "2b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6" },
};

static void run_kat(int fd, const struct kat *k, const char *key_hex)
{
	uint8_t key[32], pt[64], ct[64], buf[64], iv[16], iv0[16], ivout[16];
	uint32_t keylen = (uint32_t)unhex(key_hex, key), ses;
	int has_iv = k->cipher != CRYPTO_AES_ECB;
	int e;

	unhex(PT, pt);
	unhex(k->ct, ct);
	if (has_iv)
		unhex(k->cipher == CRYPTO_AES_CTR ? CTR_IV : CBC_IV, iv0);
	e = sess_new(fd, k->cipher, key, keylen, &ses);
	CHECK(e == 0, "%s session (%s)", k->name, strerror(e));
	if (e)
		return;

	memcpy(buf, pt, 64);
	memcpy(iv, iv0, 16);
	e = crypt_do(fd, ses, COP_ENCRYPT, COP_FLAG_WRITE_IV, buf, buf, 64,
		     has_iv ? iv : NULL);
	CHECK(e == 0 && !memcmp(buf, ct, 64), "%s encrypt in place (%s)",
	      k->name, strerror(e));
	if (k->cipher == CRYPTO_AES_CBC)
		CHECK(!memcmp(iv, ct + 48, 16), "%s encrypt WRITE_IV = last ciphertext block", k->name);
	if (k->cipher == CRYPTO_AES_CTR) {
		unhex(CTR_IV_OUT, ivout);
		CHECK(!memcmp(iv, ivout, 16), "%s encrypt WRITE_IV = counter + 4", k->name);
	}

	memcpy(buf, ct, 64);
	memcpy(iv, iv0, 16);
	e = crypt_do(fd, ses, COP_DECRYPT, COP_FLAG_WRITE_IV, buf, buf, 64,
		     has_iv ? iv : NULL);
	CHECK(e == 0 && !memcmp(buf, pt, 64), "%s decrypt in place (%s)",
	      k->name, strerror(e));
	if (k->cipher == CRYPTO_AES_CBC)
		CHECK(!memcmp(iv, ct + 48, 16), "%s decrypt WRITE_IV = last input block", k->name);

	/* Split in two calls, continued with the written-back IV. */
	memcpy(buf, pt, 64);
	memcpy(iv, iv0, 16);
	e = crypt_do(fd, ses, COP_ENCRYPT, COP_FLAG_WRITE_IV, buf, buf, 32,
		     has_iv ? iv : NULL);
	if (!e)
		e = crypt_do(fd, ses, COP_ENCRYPT, COP_FLAG_WRITE_IV, buf + 32,
			     buf + 32, 32, has_iv ? iv : NULL);
	CHECK(e == 0 && !memcmp(buf, ct, 64), "%s encrypt 2 x 32 bytes chained by WRITE_IV (%s)",
	      k->name, strerror(e));

	/* Split, second half with iv NULL: the session keeps the IV. */
	if (has_iv) {
		memcpy(buf, pt, 64);
		memcpy(iv, iv0, 16);
		e = crypt_do(fd, ses, COP_ENCRYPT, 0, buf, buf, 32, iv);
		if (!e)
			e = crypt_do(fd, ses, COP_ENCRYPT, 0, buf + 32, buf + 32,
				     32, NULL);
		CHECK(e == 0 && !memcmp(buf, ct, 64), "%s encrypt 2 x 32 bytes, second with iv NULL (%s)",
		      k->name, strerror(e));
	}

	/* Out of place. */
	memcpy(iv, iv0, 16);
	memset(buf, 0, 64);
	e = crypt_do(fd, ses, COP_DECRYPT, 0, ct, buf, 64, has_iv ? iv : NULL);
	CHECK(e == 0 && !memcmp(buf, pt, 64), "%s decrypt out of place (%s)",
	      k->name, strerror(e));

	CHECK(sess_free(fd, ses) == 0, "%s free session", k->name);
}

int main(int argc, char **argv)
{
	const char *node = argc > 1 ? argv[1] : "/dev/crypto";
	struct session_info_op si;
	uint8_t key[16];
	uint32_t ses;
	size_t i;
	int fd, e;

	static char prefix[80];

	/* With an explicit node the check names say which one. */
	snprintf(prefix, sizeof(prefix), argc > 1 ? "kat(%s): " : "kat: ", node);
	t_prefix = prefix;
	fd = open_crypto(node);
	for (i = 0; i < sizeof(kats) / sizeof(kats[0]); i++) {
		const struct kat *k = &kats[i];
		const char *kh = strstr(k->name, "128") ? K128 :
				 strstr(k->name, "192") ? K192 : K256;

		run_kat(fd, k, kh);
	}

	/* CTR with a length that is not a multiple of 16. */
	{
		uint8_t pt[64], ct[64], buf[64], iv[16], ivout[16];

		unhex(K128, key);
		unhex(PT, pt);
		unhex(kats[6].ct, ct);
		e = sess_new(fd, CRYPTO_AES_CTR, key, 16, &ses);
		unhex(CTR_IV, iv);
		memcpy(buf, pt, 64);
		if (!e)
			e = crypt_do(fd, ses, COP_ENCRYPT, COP_FLAG_WRITE_IV,
				     buf, buf, 37, iv);
		unhex("f0f1f2f3f4f5f6f7f8f9fafbfcfdff02", ivout);
		CHECK(e == 0 && !memcmp(buf, ct, 37) && !memcmp(buf + 37, pt + 37, 27) &&
		      !memcmp(iv, ivout, 16),
		      "CTR-AES128 37-byte partial block, WRITE_IV = counter + 3 (%s)", strerror(e));
		sess_free(fd, ses);
	}

	unhex(K128, key);
	e = sess_new(fd, CRYPTO_AES_CBC, key, 16, &ses);
	memset(&si, 0, sizeof(si));
	si.ses = ses;
	if (!e)
		e = xioctl(fd, CIOCGSESSINFO, &si);
	CHECK(e == 0 && !strcmp(si.cipher_info.cra_name, "cbc(aes)") &&
	      strstr(si.cipher_info.cra_driver_name, "virtio_cryptodev"),
	      "CIOCGSESSINFO: %s / %s (%s)", si.cipher_info.cra_name,
	      si.cipher_info.cra_driver_name, strerror(e));
	sess_free(fd, ses);
	close(fd);
	return t_summary();
}
