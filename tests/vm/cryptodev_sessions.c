/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/vm/cryptodev_sessions.c - sessions limited only by memory.
 *
 * Owns the checks that the number of cryptodev sessions does not depend on
 * the device's session table (QEMU builtin: 256; our daemon: --max-sessions):
 *   cryptodev_sessions many N      N sessions on one open file, each with its
 *       own random AES-128 key, every one used (encrypt of a random block,
 *       compared with OpenSSL), up to 2000 sessions twice, in two orders;
 *   cryptodev_sessions files F S   F open files with S sessions each, used
 *       the same way, files interleaved;
 *   cryptodev_sessions turn N      N sessions used one after another in
 *       rounds (a process working through more sessions than the device
 *       holds), each answer compared with OpenSSL.
 * Then the device-session counters of the cache are printed (sysfs).
 * Prints PASS/FAIL lines and "N passed, N failed"; exits 1 on any failure.
 */
#include <openssl/evp.h>
#include <time.h>

#include "cryptodev_test.h"

struct ses {
	int fd;
	uint32_t id;
	uint8_t key[16];
};

static unsigned int seed = 12345;

static unsigned int rnd(void)
{
	seed = seed * 1103515245u + 12345u;
	return seed >> 8;
}

static void fill(uint8_t *p, size_t n)
{
	while (n--)
		*p++ = (uint8_t)rnd();
}

/* Encrypt one random 32-byte message with @s and compare with OpenSSL. */
static int use(const struct ses *s)
{
	uint8_t iv[16], iv2[16], pt[32], ct[32], ref[32];
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n = 0, ok;

	fill(iv, 16);
	fill(pt, 32);
	memcpy(iv2, iv, 16);
	if (crypt_do(s->fd, s->id, COP_ENCRYPT, 0, pt, ct, 32, iv)) {
		EVP_CIPHER_CTX_free(c);
		return 0;
	}
	EVP_EncryptInit_ex(c, EVP_aes_128_cbc(), NULL, s->key, iv2);
	EVP_CIPHER_CTX_set_padding(c, 0);
	EVP_EncryptUpdate(c, ref, &n, pt, 32);
	ok = n == 32 && !memcmp(ct, ref, 32);
	EVP_CIPHER_CTX_free(c);
	return ok;
}

static int make(struct ses *s, int fd)
{
	s->fd = fd;
	fill(s->key, 16);
	return sess_new(fd, CRYPTO_AES_CBC, s->key, 16, &s->id);
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/*
 * Use every session in @v: forwards, then (up to 2000 sessions) once more
 * in a scattered order.
 */
static void use_all(struct ses *v, int n, const char *what)
{
	int i, good = 0, good2 = 0, n2 = n <= 2000 ? n : 0;
	double t0 = now();

	for (i = 0; i < n; i++)
		good += use(&v[i]);
	for (i = 0; i < n2; i++)
		good2 += use(&v[(int)((unsigned int)i * 7919u % (unsigned int)n)]);
	CHECK(good == n && good2 == n2, "%s: every session used with a known answer (%d + %d of %d, %.1f s)",
	      what, good, good2, n, now() - t0);
}

static void cache_stats(void)
{
	char line[256];
	FILE *p = popen("cd /sys/bus/virtio/devices/ && grep . */cryptodev/sessions_* 2>/dev/null", "r");

	if (!p)
		return;
	while (fgets(line, sizeof(line), p))
		printf("device sessions: %s", line);
	pclose(p);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "many";
	int a = argc > 2 ? atoi(argv[2]) : 1000, b = argc > 3 ? atoi(argv[3]) : 0;
	struct ses *v;
	int i, j, made = 0, e = 0;
	double t0 = now();

	t_prefix = "sessions: ";
	if (!strcmp(mode, "files")) {
		int *fds = calloc((size_t)a, sizeof(int));

		v = calloc((size_t)a * (size_t)b, sizeof(*v));
		for (i = 0; i < a; i++)
			fds[i] = open_crypto("/dev/crypto");
		for (j = 0; j < b && !e; j++)
			for (i = 0; i < a && !e; i++)
				if (!(e = make(&v[made], fds[i])))
					made++;
		CHECK(made == a * b, "%d files x %d sessions created (%d, %s, %.1f s)", a, b, made,
		      strerror(e), now() - t0);
		use_all(v, made, "files");
		for (i = 0; i < a; i++)
			close(fds[i]);
		CHECK(1, "closed %d files holding %d sessions in %.1f s", a, made, now() - t0);
		free(fds);
	} else {
		int fd = open_crypto("/dev/crypto"), rounds = !strcmp(mode, "turn") ? 3 : 0, r;

		v = calloc((size_t)a, sizeof(*v));
		for (i = 0; i < a && !e; i++)
			if (!(e = make(&v[made], fd)))
				made++;
		CHECK(made == a, "%d sessions on one open file (%d, %s, %.1f s)", a, made, strerror(e),
		      now() - t0);
		if (rounds) {
			int good = 0;

			for (r = 0; r < rounds; r++)
				for (i = 0; i < made; i++)
					good += use(&v[i]);
			CHECK(good == rounds * made, "turn: %d sessions used in turn, %d rounds, all correct (%d)",
			      made, rounds, good);
		} else {
			use_all(v, made, "many");
		}
		for (i = 0; i < made; i++)
			sess_free(fd, v[i].id);
		close(fd);
	}
	cache_stats();
	free(v);
	return t_summary();
}
