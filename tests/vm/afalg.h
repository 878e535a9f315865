/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/vm/afalg.h - minimal AF_ALG skcipher client for the guest test programs.
 *
 * Owns: opening an AF_ALG "skcipher" transform by algorithm or driver name
 * (binding to a driver name such as "virtio_crypto_aes_cbc" forces that
 * implementation), one-shot encrypt/decrypt with an IV, and reading an
 * algorithm's entry in /proc/crypto.  Does not own: any test logic, vectors
 * or timing (afalg_kat.c, afalg_stress.c, afalg_bench.c).
 */
#ifndef VCD_TESTS_VM_AFALG_H
#define VCD_TESTS_VM_AFALG_H

#include <stddef.h>
#include <stdint.h>

/* The stock virtio_crypto driver's AES-CBC implementation. */
#define AFALG_VIRTIO_CBC "virtio_crypto_aes_cbc"

struct afalg {
	int tfm; /* bound transform socket (holds the key) */
	int op;  /* accepted operation socket */
};

/* Bind alg (name or driver name), set the key, accept an op socket.
 * Returns 0 or -errno; on error nothing stays open. */
int afalg_open(struct afalg *a, const char *alg, const uint8_t *key, size_t keylen);

/* One request: len bytes (a multiple of the block size) from in to out
 * (may be the same buffer) with the given 16-byte IV.  0 or -errno. */
int afalg_crypt(struct afalg *a, int encrypt, const uint8_t iv[16],
		const uint8_t *in, uint8_t *out, size_t len);

void afalg_close(struct afalg *a);

/* Look up driver in /proc/crypto and copy the value of its "field" line
 * (e.g. "selftest", "priority") into val.  0 if found, -1 otherwise. */
int afalg_proc_crypto(const char *driver, const char *field, char *val, size_t n);

#endif
