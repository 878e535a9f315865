/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/vm/afalg_stress.c - multi-threaded AES-CBC stress through AF_ALG (guest).
 *
 * Owns: T threads, each doing N operations with random key sizes (128/192/
 * 256), random keys (a new key, hence a new device session, every few
 * operations), random IVs and random lengths (16 B .. 64 KiB, whole blocks);
 * every encryption is compared with OpenSSL's AES-CBC computed here in the
 * program (statically linked libcrypto), and decrypted back through AF_ALG
 * and compared with the plaintext.  Deterministic per --seed.
 * Usage: afalg_stress [--alg NAME] [-t THREADS] [-n OPS] [--seed S]
 * Exit 0 only if every operation succeeded and matched.
 * Does not own: the AF_ALG plumbing (afalg.c).
 */
#include "afalg.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_LEN 65536

struct worker {
	pthread_t thread;
	int id;
	unsigned long ops;
	uint64_t rng;
	unsigned long done, bytes, failed;
};

static const char *alg = AFALG_VIRTIO_CBC;
static unsigned long seed;

static uint64_t next(uint64_t *s) /* xorshift64* */
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

static void fill(uint64_t *s, uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(next(s) >> 56);
}

/* OpenSSL reference: AES-CBC encrypt without padding. */
static int ref_encrypt(const uint8_t *key, size_t keylen, const uint8_t iv[16],
		       const uint8_t *in, uint8_t *out, size_t len)
{
	const EVP_CIPHER *c = keylen == 16 ? EVP_aes_128_cbc() :
			      keylen == 24 ? EVP_aes_192_cbc() : EVP_aes_256_cbc();
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n1 = 0, n2 = 0, ok;

	ok = ctx && EVP_EncryptInit_ex(ctx, c, NULL, key, iv) == 1 &&
	     EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
	     EVP_EncryptUpdate(ctx, out, &n1, in, (int)len) == 1 &&
	     EVP_EncryptFinal_ex(ctx, out + n1, &n2) == 1 && (size_t)(n1 + n2) == len;
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : -1;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	uint8_t *pt = malloc(MAX_LEN), *ct = malloc(MAX_LEN), *ref = malloc(MAX_LEN),
		*back = malloc(MAX_LEN);
	uint8_t key[32], iv[16];
	size_t keylen = 16;
	struct afalg a = { -1, -1 };
	unsigned long with_key = 0;

	if (!pt || !ct || !ref || !back) {
		w->failed++;
		goto out;
	}
	for (unsigned long i = 0; i < w->ops; i++) {
		size_t len;
		int err;

		if (a.op < 0 || with_key == 0) {
			static const size_t sizes[3] = { 16, 24, 32 };

			afalg_close(&a);
			keylen = sizes[next(&w->rng) % 3];
			fill(&w->rng, key, keylen);
			err = afalg_open(&a, alg, key, keylen);
			if (err) {
				printf("thread %d op %lu: open: %s\n", w->id, i, strerror(-err));
				w->failed++;
				break;
			}
			with_key = 1 + next(&w->rng) % 8;
		}
		with_key--;
		/* Mostly small and medium requests, some up to 64 KiB. */
		switch (next(&w->rng) % 4) {
		case 0: len = 16 * (1 + next(&w->rng) % 4); break;
		case 1: len = 16 * (1 + next(&w->rng) % 64); break;
		case 2: len = 16 * (1 + next(&w->rng) % 512); break;
		default: len = 16 * (1 + next(&w->rng) % (MAX_LEN / 16)); break;
		}
		fill(&w->rng, iv, 16);
		fill(&w->rng, pt, len);
		err = afalg_crypt(&a, 1, iv, pt, ct, len);
		if (!err)
			err = afalg_crypt(&a, 0, iv, ct, back, len);
		if (err) {
			printf("thread %d op %lu: %zu B, key %zu: %s\n", w->id, i, len,
			       keylen * 8, strerror(-err));
			w->failed++;
			continue;
		}
		if (ref_encrypt(key, keylen, iv, pt, ref, len) != 0 || memcmp(ct, ref, len) != 0) {
			printf("thread %d op %lu: %zu B, key %zu: ciphertext differs from OpenSSL\n",
			       w->id, i, len, keylen * 8);
			w->failed++;
		} else if (memcmp(back, pt, len) != 0) {
			printf("thread %d op %lu: %zu B, key %zu: round trip differs\n",
			       w->id, i, len, keylen * 8);
			w->failed++;
		} else {
			w->done++;
			w->bytes += len;
		}
	}
out:
	afalg_close(&a);
	free(pt);
	free(ct);
	free(ref);
	free(back);
	return NULL;
}

int main(int argc, char **argv)
{
	int threads = 4;
	unsigned long ops = 200, done = 0, failed = 0, bytes = 0;
	struct worker *w;

	seed = (unsigned long)time(NULL);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--alg") == 0 && i + 1 < argc)
			alg = argv[++i];
		else if (strcmp(argv[i], "-t") == 0 && i + 1 < argc)
			threads = atoi(argv[++i]);
		else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
			ops = strtoul(argv[++i], NULL, 0);
		else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
			seed = strtoul(argv[++i], NULL, 0);
		else {
			fprintf(stderr, "usage: afalg_stress [--alg NAME] [-t THREADS] [-n OPS] [--seed S]\n");
			return 2;
		}
	}
	if (threads < 1 || threads > 64 || ops < 1) {
		fprintf(stderr, "afalg_stress: 1..64 threads, at least 1 op\n");
		return 2;
	}
	printf("afalg_stress: %s, %d threads x %lu ops, seed %lu\n", alg, threads, ops, seed);
	fflush(stdout);
	w = calloc((size_t)threads, sizeof(*w));
	if (!w)
		return 1;
	for (int i = 0; i < threads; i++) {
		w[i].id = i;
		w[i].ops = ops;
		w[i].rng = (seed + 1) * 0x9E3779B97F4A7C15ULL + (uint64_t)i * 0xD1B54A32D192ED03ULL;
		if (!w[i].rng)
			w[i].rng = 1;
		if (pthread_create(&w[i].thread, NULL, work, &w[i]) != 0) {
			fprintf(stderr, "afalg_stress: pthread_create failed\n");
			return 1;
		}
	}
	for (int i = 0; i < threads; i++) {
		pthread_join(w[i].thread, NULL);
		done += w[i].done;
		failed += w[i].failed;
		bytes += w[i].bytes;
	}
	free(w);
	printf("afalg_stress: %lu verified (%lu bytes each way), %lu failed\n", done, bytes, failed);
	return failed == 0 && done == (unsigned long)threads * ops ? 0 : 1;
}
