/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/vm/cryptodev_stress.c - concurrent /dev/crypto requests checked
 * against OpenSSL, and callers killed while their requests are in flight.
 *
 * Owns two guest tests:
 *   cryptodev_stress [-t THREADS] [-n OPS] [-s SECONDS] [NODE]
 *       THREADS (default 8) threads, each with its own open file (odd ones
 *       share one file to exercise one file's table from many threads) and
 *       sessions of AES-CBC/CTR/ECB/XTS with random keys; every request has
 *       a random size (1 B .. 64 KiB, whole blocks where the mode needs
 *       them) and random data, is checked against OpenSSL EVP and decrypted
 *       back.  Bounded by OPS per thread (default 150) and SECONDS (45).
 *   cryptodev_stress --kill ROUNDS [NODE]
 *       ROUNDS times: fork a child whose 4 threads loop 64 KiB requests,
 *       SIGKILL it after 50-250 ms, reap it; then check the device still
 *       answers correctly and that no request stays in flight.
 *   cryptodev_stress -m ok|unsupported [NODE]
 *       AES-CBC + HMAC-SHA256 sessions: 40 random requests must match
 *       OpenSSL (ciphertext and the HMAC of the plaintext, encrypt and
 *       decrypt), and UPDATE + FINAL must equal one shot; with "ok" the
 *       session runs on the device (virtio algorithm chaining), with
 *       "unsupported" in the guest kernel (a device without chaining).
 * Prints PASS/FAIL lines and "N passed, N failed"; exits 1 on any failure.
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "cryptodev_test.h"

#define MAXLEN 65536

struct mode {
	uint32_t id;
	const char *name;
	unsigned int block;	/* length granularity */
	unsigned int keylen;	/* bytes */
	int has_iv;
};

static const struct mode modes[] = {
	{ CRYPTO_AES_CBC, "cbc", 16, 16, 1 },
	{ CRYPTO_AES_CBC, "cbc", 16, 32, 1 },
	{ CRYPTO_AES_CTR, "ctr", 1, 16, 1 },
	{ CRYPTO_AES_CTR, "ctr", 1, 24, 1 },
	{ CRYPTO_AES_ECB, "ecb", 16, 16, 0 },
	{ CRYPTO_AES_XTS, "xts", 16, 32, 1 },
};
#define NMODES (sizeof(modes) / sizeof(modes[0]))

static const EVP_CIPHER *evp_of(const struct mode *m)
{
	switch (m->id) {
	case CRYPTO_AES_CBC:
		return m->keylen == 16 ? EVP_aes_128_cbc() :
		       m->keylen == 24 ? EVP_aes_192_cbc() : EVP_aes_256_cbc();
	case CRYPTO_AES_CTR:
		return m->keylen == 16 ? EVP_aes_128_ctr() :
		       m->keylen == 24 ? EVP_aes_192_ctr() : EVP_aes_256_ctr();
	case CRYPTO_AES_ECB:
		return m->keylen == 16 ? EVP_aes_128_ecb() :
		       m->keylen == 24 ? EVP_aes_192_ecb() : EVP_aes_256_ecb();
	default:
		return m->keylen == 32 ? EVP_aes_128_xts() : EVP_aes_256_xts();
	}
}

static int openssl_encrypt(const struct mode *m, const uint8_t *key,
			   const uint8_t *iv, const uint8_t *in, uint8_t *out,
			   int len)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n1 = 0, n2 = 0, ok;

	ok = c && EVP_EncryptInit_ex(c, evp_of(m), NULL, key, iv) &&
	     EVP_CIPHER_CTX_set_padding(c, 0) &&
	     EVP_EncryptUpdate(c, out, &n1, in, len) &&
	     EVP_EncryptFinal_ex(c, out + n1, &n2);
	EVP_CIPHER_CTX_free(c);
	return ok && n1 + n2 == len ? 0 : -1;
}

static unsigned int rnd(unsigned int *seed)
{
	return (unsigned int)rand_r(seed);
}

static void fill(unsigned int *seed, uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)rnd(seed);
}

static int shared_fd = -1;
static const char *node = "/dev/crypto";
static int max_ops = 150, max_secs = 45;
static time_t deadline;

struct worker {
	int id;
	int ops, bad_dev, bad_cmp, bad_rt, err;
	int first_err;
	char what[160];
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	unsigned int seed = 0x9e3779b9u * (unsigned int)(w->id + 1);
	uint8_t *pt = malloc(MAXLEN), *ct = malloc(MAXLEN), *ref = malloc(MAXLEN);
	uint8_t key[NMODES][64], iv[16], iv2[16];
	uint32_t ses[NMODES];
	int fd = (w->id & 1) && shared_fd >= 0 ? shared_fd : open_crypto(node);
	size_t i;
	int e;

	for (i = 0; i < NMODES; i++) {
		do
			fill(&seed, key[i], modes[i].keylen);
		while (modes[i].id == CRYPTO_AES_XTS &&
		       !memcmp(key[i], key[i] + modes[i].keylen / 2, modes[i].keylen / 2));
		e = sess_new(fd, modes[i].id, key[i], modes[i].keylen, &ses[i]);
		if (e) {
			w->err++;
			if (!w->first_err) {
				w->first_err = e;
				snprintf(w->what, sizeof(w->what), "session %s-%u: %s",
					 modes[i].name, modes[i].keylen * 8, strerror(e));
			}
			ses[i] = 0;
		}
	}
	while (w->ops < max_ops && time(NULL) < deadline) {
		const struct mode *m;
		unsigned int len;

		i = rnd(&seed) % NMODES;
		m = &modes[i];
		if (!ses[i])
			continue;
		/* Mostly small, sometimes up to 64 KiB. */
		len = rnd(&seed) % 4 ? 1 + rnd(&seed) % 2048 : 1 + rnd(&seed) % MAXLEN;
		len -= len % m->block;
		if (!len)
			len = m->block;
		fill(&seed, pt, len);
		fill(&seed, iv, 16);
		memcpy(iv2, iv, 16);
		w->ops++;
		e = crypt_do(fd, ses[i], COP_ENCRYPT, 0, pt, ct, len, m->has_iv ? iv : NULL);
		if (e) {
			w->bad_dev++;
			if (!w->first_err) {
				w->first_err = e;
				snprintf(w->what, sizeof(w->what), "%s-%u encrypt %u B: %s",
					 m->name, m->keylen * 8, len, strerror(e));
			}
			continue;
		}
		if (openssl_encrypt(m, key[i], iv2, pt, ref, (int)len) ||
		    memcmp(ct, ref, len)) {
			w->bad_cmp++;
			if (!w->what[0])
				snprintf(w->what, sizeof(w->what), "%s-%u %u B differs from OpenSSL",
					 m->name, m->keylen * 8, len);
			continue;
		}
		/* Decrypt in place and compare with the plaintext. */
		e = crypt_do(fd, ses[i], COP_DECRYPT, 0, ct, ct, len, m->has_iv ? iv2 : NULL);
		if (e || memcmp(ct, pt, len)) {
			w->bad_rt++;
			if (!w->what[0])
				snprintf(w->what, sizeof(w->what), "%s-%u %u B round trip: %s",
					 m->name, m->keylen * 8, len, e ? strerror(e) : "differs");
		}
	}
	for (i = 0; i < NMODES; i++)
		if (ses[i])
			sess_free(fd, ses[i]);
	if (fd != shared_fd)
		close(fd);
	free(pt);
	free(ct);
	free(ref);
	return NULL;
}

static int stress(int threads)
{
	struct worker *w = calloc((size_t)threads, sizeof(*w));
	pthread_t *th = calloc((size_t)threads, sizeof(*th));
	int i, ops = 0, bad = 0;

	t_prefix = "stress: ";
	deadline = time(NULL) + max_secs;
	shared_fd = open_crypto(node);
	for (i = 0; i < threads; i++) {
		w[i].id = i;
		pthread_create(&th[i], NULL, worker_main, &w[i]);
	}
	for (i = 0; i < threads; i++) {
		pthread_join(th[i], NULL);
		ops += w[i].ops;
		bad += w[i].bad_dev + w[i].bad_cmp + w[i].bad_rt + w[i].err;
		CHECK(w[i].bad_dev + w[i].bad_cmp + w[i].bad_rt + w[i].err == 0,
		      "thread %d: %d random requests, device errors %d, OpenSSL mismatches %d, round-trip failures %d%s%s",
		      i, w[i].ops, w[i].bad_dev, w[i].bad_cmp, w[i].bad_rt,
		      w[i].what[0] ? ": first " : "", w[i].what);
	}
	close(shared_fd);
	CHECK(ops >= threads * 10, "%d threads ran %d verified requests in total", threads, ops);
	(void)bad;
	free(w);
	free(th);
	return t_summary();
}

static void *kill_child_thread(void *arg)
{
	int fd = *(int *)arg;
	uint8_t key[16] = { 1 }, iv[16] = { 0 };
	uint8_t *buf = malloc(MAXLEN);
	uint32_t ses;

	memset(buf, 0x5a, MAXLEN);
	if (sess_new(fd, CRYPTO_AES_CBC, key, 16, &ses))
		return NULL;
	for (;;)
		crypt_do(fd, ses, COP_ENCRYPT, 0, buf, buf, MAXLEN, iv);
	return NULL;
}

/* Requests on the rings now, over every queue of every device. */
static long inflight_total(void)
{
	return queue_stat_sum("", "inflight");
}

static int kill_test(int rounds)
{
	unsigned int seed = 42;
	int r, killed = 0, i;
	long infl = -1;

	t_prefix = "kill: ";
	for (r = 0; r < rounds; r++) {
		pid_t pid = fork();
		int st;

		if (pid == 0) {
			int fd = open_crypto(node);
			pthread_t th[4];

			for (i = 0; i < 4; i++)
				pthread_create(&th[i], NULL, kill_child_thread, &fd);
			pause();
			_exit(0);
		}
		usleep(50000 + rnd(&seed) % 200000);
		kill(pid, SIGKILL);
		if (waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
			killed++;
	}
	CHECK(killed == rounds, "%d of %d children with requests in flight killed and reaped", killed, rounds);
	for (i = 0; i < 50; i++) {
		infl = inflight_total();
		if (infl == 0)
			break;
		usleep(100000);
	}
	CHECK(infl == 0, "no request left in flight after the kills (%ld)", infl);
	{
		uint8_t key[16], pt[4096], ct[4096], ref[4096], iv[16] = { 3 }, iv2[16];
		uint32_t ses;
		int fd = open_crypto(node), e;

		fill(&seed, key, 16);
		fill(&seed, pt, sizeof(pt));
		memcpy(iv2, iv, 16);
		e = sess_new(fd, CRYPTO_AES_CBC, key, 16, &ses);
		if (!e)
			e = crypt_do(fd, ses, COP_ENCRYPT, 0, pt, ct, sizeof(pt), iv);
		CHECK(e == 0 && !openssl_encrypt(&modes[0], key, iv2, pt, ref, sizeof(pt)) &&
		      !memcmp(ct, ref, sizeof(pt)), "device still correct after the kills (%s)", strerror(e));
		close(fd);
	}
	return t_summary();
}

/* AES-128-CBC + HMAC-SHA256 through one chained session. */
static int hmac_test(const char *expect)
{
	unsigned int seed = 7;
	uint8_t key[16], mkey[32], iv[16], iv2[16], mac[32], ref_mac[32];
	uint8_t *pt = malloc(MAXLEN), *ct = malloc(MAXLEN), *ref = malloc(MAXLEN);
	struct session_op so;
	struct crypt_op c;
	unsigned int ml;
	int fd = open_crypto(node), e, i, bad = 0;

	t_prefix = "hmac: ";
	fill(&seed, key, 16);
	fill(&seed, mkey, 32);
	memset(&so, 0, sizeof(so));
	so.cipher = CRYPTO_AES_CBC;
	so.key = key;
	so.keylen = 16;
	so.mac = CRYPTO_SHA2_256_HMAC;
	so.mackey = mkey;
	so.mackeylen = 32;
	e = xioctl(fd, CIOCGSESSION, &so);
	CHECK(e == 0, "AES-CBC+HMAC-SHA256 session (%s)", strerror(e));
	{
		struct session_info_op si = { .ses = so.ses };
		int on_dev = xioctl(fd, CIOCGSESSINFO, &si) == 0 &&
			     strstr(si.hash_info.cra_driver_name, "virtio") != NULL;

		/* "unsupported": the device has no chaining, the guest kernel runs it. */
		CHECK(on_dev == !strcmp(expect, "ok"), "the chained session runs %s (%s)",
		      strcmp(expect, "ok") ? "in the guest kernel" : "on the device",
		      si.hash_info.cra_driver_name);
	}
	for (i = 0; !e && i < 40; i++) {
		unsigned int len = 16 * (1 + rnd(&seed) % (i < 30 ? 64 : 4096));

		fill(&seed, pt, len);
		fill(&seed, iv, 16);
		memcpy(iv2, iv, 16);
		memset(&c, 0, sizeof(c));
		c.ses = so.ses;
		c.op = COP_ENCRYPT;
		c.len = len;
		c.src = pt;
		c.dst = ct;
		c.iv = iv;
		c.mac = mac;
		e = xioctl(fd, CIOCCRYPT, &c);
		HMAC(EVP_sha256(), mkey, 32, pt, len, ref_mac, &ml);
		if (e || openssl_encrypt(&modes[0], key, iv2, pt, ref, (int)len) ||
		    memcmp(ct, ref, len) || memcmp(mac, ref_mac, 32)) {
			bad++;
			printf("hmac: encrypt %u B: %s\n", len, e ? strerror(e) : "differs from OpenSSL");
			continue;
		}
		memset(mac, 0, sizeof(mac));
		c.op = COP_DECRYPT;
		c.src = ct;
		c.dst = ct;
		c.iv = iv2;
		e = xioctl(fd, CIOCCRYPT, &c);
		if (e || memcmp(ct, pt, len) || memcmp(mac, ref_mac, 32)) {
			bad++;
			printf("hmac: decrypt %u B: %s\n", len, e ? strerror(e) : "differs");
		}
	}
	CHECK(!e && bad == 0, "40 random cipher+HMAC requests match OpenSSL both ways (%d bad)", bad);
	memset(&c, 0, sizeof(c));
	c.ses = so.ses;
	c.len = 16;
	c.src = pt;
	c.dst = ct;
	c.iv = iv;
	e = xioctl(fd, CIOCCRYPT, &c);
	CHECK(e == EFAULT, "cipher+HMAC request with mac NULL -> EFAULT (%s)", strerror(e));
	/* Multi-part: UPDATE then FINAL equals the one-shot request. */
	fill(&seed, pt, 64);
	fill(&seed, iv, 16);
	memcpy(iv2, iv, 16);
	HMAC(EVP_sha256(), mkey, 32, pt, 64, ref_mac, &ml);
	e = openssl_encrypt(&modes[0], key, iv2, pt, ref, 64);
	c.mac = mac;
	c.flags = COP_FLAG_UPDATE | COP_FLAG_RESET | COP_FLAG_WRITE_IV;
	c.len = 32;
	c.src = pt;
	c.dst = ct;
	c.iv = iv;
	e = e ? e : xioctl(fd, CIOCCRYPT, &c);
	c.flags = COP_FLAG_FINAL;
	c.src = pt + 32;
	c.dst = ct + 32;
	c.iv = iv;
	e = e ? e : xioctl(fd, CIOCCRYPT, &c);
	CHECK(e == 0 && !memcmp(ct, ref, 64) && !memcmp(mac, ref_mac, 32),
	      "cipher+HMAC in two parts (UPDATE, FINAL) = one-shot OpenSSL (%s)", strerror(e));
	close(fd);
	free(pt);
	free(ct);
	free(ref);
	return t_summary();
}

int main(int argc, char **argv)
{
	int threads = 8, kill_rounds = 0, opt;
	const char *hmac = NULL;

	while ((opt = getopt(argc, argv, "t:n:s:k:m:")) != -1) {
		switch (opt) {
		case 'm': hmac = optarg; break;
		case 't': threads = atoi(optarg); break;
		case 'n': max_ops = atoi(optarg); break;
		case 's': max_secs = atoi(optarg); break;
		case 'k': kill_rounds = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: %s [-t THREADS] [-n OPS] [-s SECONDS] [-k KILL_ROUNDS] [-m ok|unsupported] [NODE]\n", argv[0]);
			return 2;
		}
	}
	if (optind < argc)
		node = argv[optind];
	if (kill_rounds)
		return kill_test(kill_rounds);
	if (hmac)
		return hmac_test(hmac);
	return stress(threads);
}
