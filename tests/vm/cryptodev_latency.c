/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/vm/cryptodev_latency.c - a steady /dev/crypto load in which every
 * request is checked and timed: no request may fail, come back wrong, or
 * take longer than a bound (while the host replaces the back-end daemon
 * under it, say).
 *
 *   cryptodev_latency [-t THREADS] [-s SECONDS] [-l LATE_MS] [-e FAILED] [NODE]
 *
 * THREADS (default 2) threads, each with its own open file and three
 * sessions kept for the whole run: AES-128-CBC, HMAC-SHA256 and SHA-256
 * (with our back-end all three run on the host: a cipher session, and
 * algorithm chains without a cipher).  They loop for SECONDS (default 20)
 * over CIOCCRYPT requests of random sizes (16 B .. 16 KiB, and one in
 * eight of 64 KiB), each compared with OpenSSL, and every 32nd iteration
 * a fresh AES session with a new key is created, used once and freed (so
 * session messages cross the host too).  A request slower than LATE_MS
 * (default 1000) counts as late; every request over 100 ms is printed.
 * Prints "LATENCY-READY" once every thread has completed a request, then
 * "latency: ..." figures and PASS/FAIL lines: no failed, wrong or late
 * request; the device's data queue took the requests (queue_stats); no
 * device reset.  With -e, up to FAILED requests may fail (the back-end
 * crashed under them, say), each printed with its time, as long as every
 * thread succeeds again after its last failure.  Exits 1 on any failure.
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <time.h>

#include "cryptodev_test.h"

#define MAXLEN 65536

static const char *node = "/dev/crypto";
static int secs = 20, late_ms = 1000, may_fail;
static double t_start;
static pthread_barrier_t ready;

struct worker {
	int id;
	long ops, failed, wrong, late, fresh;
	long ok_since_failure;		/* successes after the last failure */
	double max_ms;
	char first[200];
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void fill(unsigned int *seed, uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)rand_r(seed);
}

static int ref_cbc(const uint8_t *key, const uint8_t *iv, const uint8_t *in,
		   uint8_t *out, int len)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n1 = 0, n2 = 0, ok;

	ok = c && EVP_EncryptInit_ex(c, EVP_aes_128_cbc(), NULL, key, iv) &&
	     EVP_CIPHER_CTX_set_padding(c, 0) &&
	     EVP_EncryptUpdate(c, out, &n1, in, len) &&
	     EVP_EncryptFinal_ex(c, out + n1, &n2);
	EVP_CIPHER_CTX_free(c);
	return ok && n1 + n2 == len ? 0 : -1;
}

/* One request, timed; 0 or its errno. */
static int timed(struct worker *w, int fd, struct crypt_op *c, const char *what)
{
	double t0 = now_s(), ms;
	int e = xioctl(fd, CIOCCRYPT, c);

	ms = (now_s() - t0) * 1e3;
	if (ms > w->max_ms)
		w->max_ms = ms;
	if (ms > late_ms)
		w->late++;
	if (ms > 100)
		printf("slow: thread %d %s %u B took %.0f ms at t=%.2f s\n", w->id,
		       what, c->len, ms, t0 - t_start);
	w->ops++;
	if (e) {
		w->failed++;
		w->ok_since_failure = 0;
		if (may_fail)
			printf("failed: thread %d %s %u B at t=%.2f s: %s\n", w->id,
			       what, c->len, t0 - t_start, strerror(e));
		if (!w->first[0])
			snprintf(w->first, sizeof(w->first), "%s %u B at t=%.2f s: %s",
				 what, c->len, t0 - t_start, strerror(e));
	} else {
		w->ok_since_failure++;
	}
	return e;
}

static void mismatch(struct worker *w, const char *what, unsigned int len)
{
	w->wrong++;
	if (!w->first[0])
		snprintf(w->first, sizeof(w->first), "%s %u B at t=%.2f s: "
			 "differs from OpenSSL", what, len, now_s() - t_start);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	unsigned int seed = 0x9e3779b9u * (unsigned int)(w->id + 1);
	uint8_t *src = malloc(MAXLEN), *dst = malloc(MAXLEN), *ref = malloc(MAXLEN);
	uint8_t key[16], mkey[32], iv[16], iv2[16], mac[32], ref_mac[32];
	uint32_t s_cbc = 0, s_hmac = 0, s_sha = 0;
	int fd = open_crypto(node), e;
	unsigned int ml;
	long iter = 0;

	fill(&seed, key, sizeof(key));
	fill(&seed, mkey, sizeof(mkey));
	e = sess_new(fd, CRYPTO_AES_CBC, key, 16, &s_cbc);
	if (!e)
		e = sess_mac(fd, 0, NULL, 0, CRYPTO_SHA2_256_HMAC, mkey, 32, &s_hmac);
	if (!e)
		e = sess_mac(fd, 0, NULL, 0, CRYPTO_SHA2_256, NULL, 0, &s_sha);
	if (e) {
		snprintf(w->first, sizeof(w->first), "sessions: %s", strerror(e));
		w->failed++;
	}
	for (double end = now_s() + secs; !e && now_s() < end; iter++) {
		unsigned int len = (rand_r(&seed) % 8 == 0) ? MAXLEN
				   : 16 * (1 + rand_r(&seed) % 1024);
		struct crypt_op c;

		fill(&seed, src, len);
		memset(&c, 0, sizeof(c));
		c.len = len;
		c.src = src;
		switch (iter % 3) {
		case 0:	/* AES-128-CBC */
			fill(&seed, iv, 16);
			memcpy(iv2, iv, 16);
			c.ses = s_cbc;
			c.op = COP_ENCRYPT;
			c.dst = dst;
			c.iv = iv2;
			if (!timed(w, fd, &c, "AES-128-CBC") &&
			    (ref_cbc(key, iv, src, ref, (int)len) ||
			     memcmp(dst, ref, len)))
				mismatch(w, "AES-128-CBC", len);
			break;
		case 1:	/* HMAC-SHA256 */
			c.ses = s_hmac;
			c.mac = mac;
			HMAC(EVP_sha256(), mkey, 32, src, len, ref_mac, &ml);
			if (!timed(w, fd, &c, "HMAC-SHA256") && memcmp(mac, ref_mac, 32))
				mismatch(w, "HMAC-SHA256", len);
			break;
		default: /* SHA-256 */
			c.ses = s_sha;
			c.mac = mac;
			EVP_Digest(src, len, ref_mac, &ml, EVP_sha256(), NULL);
			if (!timed(w, fd, &c, "SHA-256") && memcmp(mac, ref_mac, 32))
				mismatch(w, "SHA-256", len);
			break;
		}
		if (iter == 0)
			pthread_barrier_wait(&ready);
		if (iter % 32 == 31) {	/* a fresh session, used once */
			uint32_t s;
			uint8_t k2[16];

			fill(&seed, k2, 16);
			fill(&seed, iv, 16);
			memcpy(iv2, iv, 16);
			if (sess_new(fd, CRYPTO_AES_CBC, k2, 16, &s)) {
				w->failed++;
				snprintf(w->first, sizeof(w->first), "fresh session at "
					 "t=%.2f s: %s", now_s() - t_start, strerror(errno));
				continue;
			}
			memset(&c, 0, sizeof(c));
			c.ses = s;
			c.op = COP_ENCRYPT;
			c.len = 256;
			c.src = src;
			c.dst = dst;
			c.iv = iv2;
			if (!timed(w, fd, &c, "fresh AES-128-CBC") &&
			    (ref_cbc(k2, iv, src, ref, 256) || memcmp(dst, ref, 256)))
				mismatch(w, "fresh AES-128-CBC", 256);
			sess_free(fd, s);
			w->fresh++;
		}
	}
	if (iter == 0)
		pthread_barrier_wait(&ready);
	if (s_cbc)
		sess_free(fd, s_cbc);
	if (s_hmac)
		sess_free(fd, s_hmac);
	if (s_sha)
		sess_free(fd, s_sha);
	close(fd);
	free(src);
	free(dst);
	free(ref);
	return NULL;
}

static long sysfs_sum(const char *file)
{
	char cmd[160];
	long v, sum = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "cat /sys/bus/virtio/devices/*/cryptodev/%s 2>/dev/null",
		 file);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (fscanf(p, "%ld", &v) == 1)
		sum += v;
	pclose(p);
	return sum;
}

int main(int argc, char **argv)
{
	int threads = 2, opt;
	struct worker *w;
	pthread_t *th;
	long ops = 0, failed = 0, wrong = 0, late = 0, fresh = 0, dev0, resets0;
	int recovered = 1;
	double max_ms = 0;

	while ((opt = getopt(argc, argv, "t:s:l:e:")) != -1) {
		switch (opt) {
		case 't': threads = atoi(optarg); break;
		case 's': secs = atoi(optarg); break;
		case 'l': late_ms = atoi(optarg); break;
		case 'e': may_fail = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: %s [-t THREADS] [-s SECONDS] [-l LATE_MS] "
				"[-e FAILED] [NODE]\n", argv[0]);
			return 2;
		}
	}
	if (optind < argc)
		node = argv[optind];
	if (threads < 1 || threads > 64 || secs < 1 || late_ms < 1 || may_fail < 0) {
		fprintf(stderr, "cryptodev_latency: bad arguments\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	w = calloc((size_t)threads, sizeof(*w));
	th = calloc((size_t)threads, sizeof(*th));
	pthread_barrier_init(&ready, NULL, (unsigned int)threads + 1);
	dev0 = queue_stat_sum("dataq", "requests");
	resets0 = sysfs_sum("resets");
	t_start = now_s();
	for (int i = 0; i < threads; i++) {
		w[i].id = i;
		pthread_create(&th[i], NULL, worker_main, &w[i]);
	}
	pthread_barrier_wait(&ready);
	printf("LATENCY-READY after %.2f s\n", now_s() - t_start);
	for (int i = 0; i < threads; i++) {
		pthread_join(th[i], NULL);
		ops += w[i].ops;
		failed += w[i].failed;
		wrong += w[i].wrong;
		late += w[i].late;
		fresh += w[i].fresh;
		if (w[i].max_ms > max_ms)
			max_ms = w[i].max_ms;
		if (w[i].failed && !w[i].ok_since_failure)
			recovered = 0;
		if (w[i].first[0])
			printf("thread %d: first problem: %s\n", i, w[i].first);
	}
	dev0 = queue_stat_sum("dataq", "requests") - dev0;
	resets0 = sysfs_sum("resets") - resets0;
	printf("latency: requests=%ld fresh_sessions=%ld failed=%ld wrong=%ld late=%ld "
	       "max_ms=%.1f device_requests=%ld resets=%ld secs=%d threads=%d\n",
	       ops, fresh, failed, wrong, late, max_ms, dev0, resets0, secs, threads);
	CHECK(ops > 0, "requests were made (%ld)", ops);
	if (may_fail) {
		CHECK(failed <= may_fail, "at most %d requests failed (%ld)", may_fail, failed);
		CHECK(recovered, "every thread succeeded again after its last failure");
	} else {
		CHECK(failed == 0, "no request failed (%ld)", failed);
	}
	CHECK(wrong == 0, "no result differs from OpenSSL (%ld)", wrong);
	CHECK(late == 0, "no request took more than %d ms (%ld; slowest %.1f ms)",
	      late_ms, late, max_ms);
	CHECK(dev0 >= ops, "the device's data queue served them (%ld requests for %ld calls)",
	      dev0, ops);
	CHECK(resets0 == 0, "no device reset (%ld)", resets0);
	return t_summary();
}
