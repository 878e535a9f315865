/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/vm/cryptodev_bench.c - throughput through /dev/crypto.
 *
 * Owns: measuring ops/s and MB/s of CIOCCRYPT requests (AES-128-CBC
 * encryption, SHA-256 or HMAC-SHA256) of the given sizes (64 B, 4 KiB and
 * 64 KiB by default, up to 64 MiB) with 1 and 2 threads, each thread with
 * its own open file and session, requests back to back for a fixed time;
 * with --inflight N (N > 1) each thread keeps N requests in flight with
 * CIOCASYNCCRYPT, poll() and CIOCASYNCFETCH.  Output lines have the format
 * of afalg_bench so the same scripts read both:
 *   bench alg=NAME size=BYTES threads=T ops=N secs=S ops_per_s=X mb_per_s=Y first_cpu=C
 * (threads pinned to vCPUs from C on; 1 thread is measured on every vCPU)
 * NAME is "cryptodev:" followed by the session's cra_driver_name, and
 * "/asyncN" for --inflight N.
 * Usage: cryptodev_bench [--node PATH] [--alg aes-cbc|sha256|hmac-sha256]
 *        [--inflight N] [--secs S] [--sizes a,b] [--threads a,b]
 * Does not own: comparing drivers (tests/bench/vm-*.sh).
 */
#include <poll.h>
#include <sys/mman.h>
#include <pthread.h>
#include <time.h>

#include "cryptodev_test.h"
#include "bench_util.h"

static const char *node = "/dev/crypto";
static char alg[128] = "cryptodev";
static const char *mode = "aes-cbc";
static int inflight = 1;

static const uint8_t key[16] = "0123456789abcdef";

/* A session of the chosen algorithm on @fd. */
static int bench_session(int fd, uint32_t *ses)
{
	struct session_op s;
	int e;

	memset(&s, 0, sizeof(s));
	if (!strcmp(mode, "aes-cbc")) {
		s.cipher = CRYPTO_AES_CBC;
		s.key = (uint8_t *)key;
		s.keylen = 16;
	} else {
		s.mac = !strcmp(mode, "sha256") ? CRYPTO_SHA2_256 : CRYPTO_SHA2_256_HMAC;
		s.mackey = (uint8_t *)key;
		s.mackeylen = s.mac == CRYPTO_SHA2_256_HMAC ? 16 : 0;
	}
	e = xioctl(fd, CIOCGSESSION, &s);
	*ses = s.ses;
	return e;
}

static void bench_op(struct crypt_op *c, uint32_t ses, uint8_t *buf, size_t size, uint8_t *iv,
		     uint8_t *mac)
{
	memset(c, 0, sizeof(*c));
	c->ses = ses;
	c->op = COP_ENCRYPT;
	c->len = (uint32_t)size;
	c->src = buf;
	if (!strcmp(mode, "aes-cbc")) {
		c->dst = buf;
		c->iv = iv;
	} else {
		c->mac = mac;
	}
}

/* One thread, @inflight requests kept in flight with the async calls. */
static int work_async(struct bench_worker *w, int fd, uint32_t ses, uint8_t *bufs, double end)
{
	uint8_t iv[16] = { 0 }, mac[64];
	struct pollfd p = { .fd = fd };
	struct crypt_op c;
	int queued = 0, next = 0;

	while (queued || bench_now() < end) {
		p.events = POLLIN | (queued < inflight && bench_now() < end ? POLLOUT : 0);
		if (poll(&p, 1, 1000) < 0)
			return errno;
		if (p.revents & POLLOUT) {
			bench_op(&c, ses, bufs + (size_t)next * w->size, w->size, iv, mac);
			next = (next + 1) % inflight;
			if (xioctl(fd, CIOCASYNCCRYPT, &c))
				return errno;
			queued++;
		}
		if (p.revents & POLLIN) {
			if (xioctl(fd, CIOCASYNCFETCH, &c))
				return errno;
			queued--;
			w->ops++;
		}
	}
	return 0;
}

static void *work(void *arg)
{
	struct bench_worker *w = arg;
	size_t len = w->size * (size_t)inflight;
	uint8_t iv[16] = { 0 }, mac[64];
	uint8_t *buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct crypt_op c;
	uint32_t ses;
	double end;
	int fd;

	bench_pin(w->cpu);
	fd = open(node, O_RDWR);
	if (buf == MAP_FAILED || fd < 0) {
		w->err = fd < 0 ? errno : ENOMEM;
		goto out;
	}
	memset(buf, 0x5a, len);
	w->err = bench_session(fd, &ses);
	if (w->err)
		goto out;
	end = bench_now() + w->secs;
	if (inflight > 1) {
		w->err = work_async(w, fd, ses, buf, end);
		goto out;
	}
	do {
		for (int i = 0; i < 16; i++) {
			bench_op(&c, ses, buf, w->size, iv, mac);
			w->err = xioctl(fd, CIOCCRYPT, &c);
			if (w->err)
				goto out;
			w->ops++;
		}
	} while (bench_now() < end);
out:
	if (fd >= 0)
		close(fd);
	if (buf != MAP_FAILED)
		munmap(buf, len);
	return NULL;
}

/* alg = "cryptodev:" + the driver name behind a session (+ "/asyncN"). */
static void name_driver(void)
{
	struct session_info_op si;
	char async[24] = "";
	uint32_t ses;
	int fd = open(node, O_RDWR);

	if (fd < 0)
		return;
	if (inflight > 1)
		snprintf(async, sizeof(async), "/async%d", inflight);
	memset(&si, 0, sizeof(si));
	if (!bench_session(fd, &ses)) {
		si.ses = ses;
		if (!xioctl(fd, CIOCGSESSINFO, &si))
			snprintf(alg, sizeof(alg), "cryptodev:%.64s%s", si.cipher_info.cra_driver_name[0] ?
				 si.cipher_info.cra_driver_name : si.hash_info.cra_driver_name, async);
	}
	close(fd);
}

int main(int argc, char **argv)
{
	long sizes[8] = { 64, 4096, 65536 }, threads[8] = { 1, 2 };
	int nsizes = 3, nthreads = 2, rc = 0;
	double secs = 2.0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--node") == 0 && i + 1 < argc)
			node = argv[++i];
		else if (strcmp(argv[i], "--alg") == 0 && i + 1 < argc)
			mode = argv[++i];
		else if (strcmp(argv[i], "--inflight") == 0 && i + 1 < argc)
			inflight = atoi(argv[++i]);
		else if (strcmp(argv[i], "--secs") == 0 && i + 1 < argc)
			secs = atof(argv[++i]);
		else if (strcmp(argv[i], "--sizes") == 0 && i + 1 < argc)
			nsizes = bench_parse_list(argv[++i], sizes, 8);
		else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
			nthreads = bench_parse_list(argv[++i], threads, 8);
		else
			nsizes = -1;
		if (nsizes < 0 || nthreads < 0)
			break;
	}
	if (nsizes <= 0 || nthreads <= 0 || secs <= 0 || inflight < 1 || inflight > 1024 ||
	    (strcmp(mode, "aes-cbc") && strcmp(mode, "sha256") && strcmp(mode, "hmac-sha256"))) {
		fprintf(stderr, "usage: cryptodev_bench [--node PATH] [--alg aes-cbc|sha256|hmac-sha256] [--inflight N] [--secs S] [--sizes a,b] [--threads a,b]\n");
		return 2;
	}
	name_driver();
	for (int s = 0; s < nsizes; s++) {
		if (sizes[s] < 16 || sizes[s] % 16 || sizes[s] > 64 << 20) {
			fprintf(stderr, "cryptodev_bench: sizes are multiples of 16 up to 64 MiB\n");
			return 2;
		}
		for (int t = 0; t < nthreads; t++) {
			if (threads[t] < 1 || threads[t] > 64)
				return 2;
			if (bench_run_point("cryptodev_bench", alg, work, (size_t)sizes[s],
					    (int)threads[t], secs) != 0)
				rc = 1;
		}
	}
	return rc;
}
