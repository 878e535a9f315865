/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/vm/cryptodev_zc.c - zero-copy, requests of any size, ownership.
 *
 * Owns the guest checks of the data path for large and awkward requests:
 *   cryptodev_zc sizes
 *     4 MiB and 64 MiB requests (CBC, CTR with a tail, ECB; zero-copy and
 *     COP_FLAG_NO_ZC) equal the same data sent as chained 64 KiB requests,
 *     and decrypt back in place; the IV written back equals the chained
 *     one; in place, out of place, unaligned and overlapping (dst = src +
 *     16: the result is that of the original source) buffers; XTS, SHA-256
 *     and HMAC-SHA256 over 4 MiB (one request the device cannot split: the
 *     guest kernel) against OpenSSL; asynchronous 1 MiB CTR and CBC; a
 *     source with an unmapped page in the middle and a read-only
 *     destination give EFAULT with no request on the device (the queue's
 *     request counter does not move) and the destination untouched.
 *   cryptodev_zc late
 *     prints LATE-READY, then sends a 1 MiB zero-copy request; the host
 *     stops the vhost-user daemon (SIGSTOP) for longer than timeout_ms, so
 *     the driver resets the device and the call fails with EIO; the buffer
 *     is then reused (a pattern written) and must keep the pattern for 12 s,
 *     while the host resumes the daemon (SIGCONT); later requests work
 *     again.  Run with timeout_ms=2000.
 * Prints PASS/FAIL lines and "N passed, N failed"; exits 1 on any failure.
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/mman.h>
#include <time.h>

#include "cryptodev_test.h"

#define MIB (1024u * 1024u)
#define CHUNK (64u * 1024u)

static const uint8_t key[32] = "0123456789abcdefFEDCBA9876543210";

static unsigned int seed = 99;

static void fill(uint8_t *p, size_t n)
{
	while (n--) {
		seed = seed * 1103515245u + 12345u;
		*p++ = (uint8_t)(seed >> 16);
	}
}

/* Requests the data queues have taken so far (sysfs). */
static long requests_total(void)
{
	return queue_stat_sum("dataq", "requests");
}

static void *big(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		printf("FAIL mmap %zu: %s\n", n, strerror(errno));
		exit(1);
	}
	return p;
}

/* The reference: @len bytes as chained 64 KiB requests (IV by WRITE_IV). */
static int chained(int fd, uint32_t ses, int op, const uint8_t *src, uint8_t *dst,
		   size_t len, uint8_t *iv)
{
	size_t off;
	int e = 0;

	for (off = 0; off < len && !e; off += CHUNK) {
		uint32_t n = (uint32_t)(len - off < CHUNK ? len - off : CHUNK);

		e = crypt_do(fd, ses, op, COP_FLAG_WRITE_IV, src + off, dst + off, n, iv);
	}
	return e;
}

struct mode {
	const char *name;
	uint32_t id;
	int has_iv;
};

static const struct mode modes[] = {
	{ "AES-CBC", CRYPTO_AES_CBC, 1 },
	{ "AES-CTR", CRYPTO_AES_CTR, 1 },
	{ "AES-ECB", CRYPTO_AES_ECB, 0 },
};

static void size_checks(int fd, size_t len, uint16_t flags)
{
	uint8_t *pt = big(len + 64), *ct = big(len + 64), *ref = big(len + 64);
	unsigned int m;

	fill(pt, len + 64);
	for (m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		const struct mode *md = &modes[m];
		uint8_t iv[16] = { 1, 2, 3 }, iv_ref[16] = { 1, 2, 3 }, iv0[16] = { 1, 2, 3 };
		/* CTR gets a tail: the length is not a multiple of the block. */
		size_t n = md->id == CRYPTO_AES_CTR ? len + 5 : len;
		uint32_t ses;
		int e;

		if (sess_new(fd, md->id, key, 16, &ses)) {
			CHECK(0, "%s session", md->name);
			continue;
		}
		e = chained(fd, ses, COP_ENCRYPT, pt, ref, n, md->has_iv ? iv_ref : NULL);
		if (!e)
			e = crypt_do(fd, ses, COP_ENCRYPT, flags | COP_FLAG_WRITE_IV, pt, ct, (uint32_t)n,
				     md->has_iv ? iv : NULL);
		CHECK(e == 0 && !memcmp(ct, ref, n) && !memcmp(iv, iv_ref, 16),
		      "%s %zu bytes%s: one request = chained 64 KiB requests, same IV out (%s)", md->name, n,
		      flags ? " NO_ZC" : "", strerror(e));
		/* Decrypt in place (CBC: each piece's IV read before it is overwritten). */
		memcpy(iv, iv0, 16);
		e = crypt_do(fd, ses, COP_DECRYPT, flags, ct, ct, (uint32_t)n, md->has_iv ? iv : NULL);
		CHECK(e == 0 && !memcmp(ct, pt, n), "%s %zu bytes%s: decrypt in place gives the plaintext (%s)",
		      md->name, n, flags ? " NO_ZC" : "", strerror(e));
		sess_free(fd, ses);
	}
	munmap(pt, len + 64);
	munmap(ct, len + 64);
	munmap(ref, len + 64);
}

/* Unaligned and overlapping buffers, CBC, zero-copy sizes. */
static void layout_checks(int fd)
{
	size_t n = 1 * MIB;
	uint8_t *a = big(n + 4096), *b = big(n + 4096), *ref = big(n + 4096);
	uint8_t iv[16], iv0[16] = { 9 };
	uint32_t ses;
	int e;

	if (sess_new(fd, CRYPTO_AES_CBC, key, 32, &ses)) {
		CHECK(0, "layout: session");
		return;
	}
	fill(a, n + 4096);
	memcpy(iv, iv0, 16);
	chained(fd, ses, COP_ENCRYPT, a + 1, ref, n, iv);
	memcpy(iv, iv0, 16);
	e = crypt_do(fd, ses, COP_ENCRYPT, 0, a + 1, b + 3, (uint32_t)n, iv);
	CHECK(e == 0 && !memcmp(b + 3, ref, n), "unaligned src+1 -> dst+3, 1 MiB (%s)", strerror(e));
	/* Overlapping: dst = src + 16; the result is that of the original source. */
	memcpy(b, a + 1, n);
	memcpy(iv, iv0, 16);
	e = crypt_do(fd, ses, COP_ENCRYPT, 0, b, b + 16, (uint32_t)n, iv);
	CHECK(e == 0 && !memcmp(b + 16, ref, n), "overlapping dst = src + 16, 1 MiB (%s)", strerror(e));
	memcpy(b + 16, a + 1, n);
	memcpy(iv, iv0, 16);
	e = crypt_do(fd, ses, COP_ENCRYPT, 0, b + 16, b, (uint32_t)n, iv);
	CHECK(e == 0 && !memcmp(b, ref, n), "overlapping dst = src - 16, 1 MiB (%s)", strerror(e));
	sess_free(fd, ses);
	munmap(a, n + 4096);
	munmap(b, n + 4096);
	munmap(ref, n + 4096);
}

/* Operations the device cannot split: the guest kernel, one-shot results. */
static void unsplittable_checks(int fd)
{
	size_t n = 4 * MIB;
	uint8_t *pt = big(n), *out = big(n), *ref = big(n), mac[32], want[32], iv[16] = { 5 };
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	struct session_op so;
	struct crypt_op op;
	unsigned int ml = 0;
	uint32_t ses;
	int e, outl = 0;

	fill(pt, n);
	if (!sess_new(fd, CRYPTO_AES_XTS, key, 32, &ses)) {
		uint8_t iv2[16];

		memcpy(iv2, iv, 16);
		e = crypt_do(fd, ses, COP_ENCRYPT, 0, pt, out, (uint32_t)n, iv);
		EVP_EncryptInit_ex(c, EVP_aes_128_xts(), NULL, key, iv2);
		/* OpenSSL limits one XTS call to 2^20 blocks (16 MiB): fine here. */
		EVP_EncryptUpdate(c, ref, &outl, pt, (int)n);
		CHECK(e == 0 && outl == (int)n && !memcmp(out, ref, n), "AES-XTS 4 MiB in one request = OpenSSL (%s)",
		      strerror(e));
		sess_free(fd, ses);
	}
	EVP_CIPHER_CTX_free(c);
	memset(&so, 0, sizeof(so));
	so.mac = CRYPTO_SHA2_256;
	e = xioctl(fd, CIOCGSESSION, &so);
	memset(&op, 0, sizeof(op));
	op.ses = so.ses;
	op.len = (uint32_t)n;
	op.src = pt;
	op.mac = mac;
	if (!e)
		e = xioctl(fd, CIOCCRYPT, &op);
	EVP_Digest(pt, n, want, &ml, EVP_sha256(), NULL);
	CHECK(e == 0 && !memcmp(mac, want, 32), "SHA-256 of 4 MiB in one request = OpenSSL (%s)", strerror(e));
	xioctl(fd, CIOCFSESSION, &so.ses);
	so.mac = CRYPTO_SHA2_256_HMAC;
	so.mackey = (uint8_t *)key;
	so.mackeylen = 32;
	e = xioctl(fd, CIOCGSESSION, &so);
	op.ses = so.ses;
	if (!e)
		e = xioctl(fd, CIOCCRYPT, &op);
	HMAC(EVP_sha256(), key, 32, pt, n, want, &ml);
	CHECK(e == 0 && !memcmp(mac, want, 32), "HMAC-SHA256 of 4 MiB in one request = OpenSSL (%s)", strerror(e));
	xioctl(fd, CIOCFSESSION, &so.ses);
	munmap(pt, n);
	munmap(out, n);
	munmap(ref, n);
}

/* Asynchronous large requests: CTR (pieces in flight), CBC (in order). */
static void async_checks(int fd)
{
	size_t n = 1 * MIB + 16;
	uint8_t *pt = big(n), *out = big(n), *ref = big(n), iv[16] = { 7 }, iv2[16] = { 7 };
	uint32_t ids[2] = { CRYPTO_AES_CTR, CRYPTO_AES_CBC };
	struct crypt_op c, f;
	int i, e;

	fill(pt, n);
	for (i = 0; i < 2; i++) {
		uint32_t ses;

		if (sess_new(fd, ids[i], key, 16, &ses))
			continue;
		memset(iv, 0, 16);
		iv[0] = 7;
		memcpy(iv2, iv, 16);
		chained(fd, ses, COP_ENCRYPT, pt, ref, n, iv2);
		memset(&c, 0, sizeof(c));
		c.ses = ses;
		c.op = COP_ENCRYPT;
		c.flags = COP_FLAG_WRITE_IV;
		c.len = (uint32_t)n;
		c.src = pt;
		c.dst = out;
		c.iv = iv;
		e = xioctl(fd, CIOCASYNCCRYPT, &c);
		for (int t = 0; !e && t < 1000; t++) {	/* 10 s at most */
			int r = xioctl(fd, CIOCASYNCFETCH, &f);

			if (r != EBUSY) {
				e = r;
				break;
			}
			usleep(10000);
		}
		CHECK(e == 0 && !memcmp(out, ref, n) && !memcmp(iv, iv2, 16),
		      "async %s 1 MiB + 16: = chained requests, IV too (%s)", i ? "AES-CBC" : "AES-CTR", strerror(e));
		sess_free(fd, ses);
	}
	munmap(pt, n);
	munmap(out, n);
	munmap(ref, n);
}

/* EFAULT before the device: nothing submitted, nothing written. */
static void fault_checks(int fd)
{
	size_t n = 3 * 64 * 1024;
	uint8_t *src = big(n), *dst = big(n), iv[16] = { 0 };
	long before, after;
	uint32_t ses;
	int e, same;

	if (sess_new(fd, CRYPTO_AES_CBC, key, 16, &ses))
		return;
	fill(src, n);
	memset(dst, 0xa5, n);
	munmap(src + 64 * 1024, 64 * 1024);	/* a hole in the middle */
	before = requests_total();
	e = crypt_do(fd, ses, COP_ENCRYPT, 0, src, dst, (uint32_t)n, iv);
	after = requests_total();
	same = 1;
	for (size_t i = 0; i < n; i++)
		same &= dst[i] == 0xa5;
	CHECK(e == EFAULT && before == after && same,
	      "zero-copy src with an unmapped page -> EFAULT, no device request (%ld -> %ld), dst untouched (%s)",
	      before, after, strerror(e));
	before = requests_total();
	e = crypt_do(fd, ses, COP_ENCRYPT, COP_FLAG_NO_ZC, src, dst, (uint32_t)n, iv);
	after = requests_total();
	CHECK(e == EFAULT && before == after, "copied src with an unmapped page -> EFAULT, no device request (%s)",
	      strerror(e));
	mprotect(dst, n, PROT_READ);
	fill(src, 64 * 1024);
	before = requests_total();
	e = crypt_do(fd, ses, COP_ENCRYPT, 0, src, dst, 64 * 1024, iv);
	after = requests_total();
	CHECK(e == EFAULT && before == after, "zero-copy read-only dst -> EFAULT, no device request (%s)",
	      strerror(e));
	before = requests_total();
	e = crypt_do(fd, ses, COP_ENCRYPT, COP_FLAG_NO_ZC, src, dst, 64 * 1024, iv);
	after = requests_total();
	CHECK(e == EFAULT && before == after, "copied read-only dst -> EFAULT, no device request (%s)",
	      strerror(e));
	sess_free(fd, ses);
	munmap(src, n);
	munmap(dst, n);
}

/* The device answers late: the buffer must not change once the call returned. */
static int late(int fd)
{
	size_t n = 1 * MIB;
	uint8_t *buf = big(n), iv[16] = { 0 };
	struct timespec t0, t1;
	uint32_t ses;
	int e, i, bad = 0;

	t_prefix = "late: ";
	if (sess_new(fd, CRYPTO_AES_CTR, key, 16, &ses)) {
		CHECK(0, "session");
		return t_summary();
	}
	memset(buf, 0x11, n);
	e = crypt_do(fd, ses, COP_ENCRYPT, 0, buf, buf, (uint32_t)n, iv);
	CHECK(e == 0, "a request before the daemon stops (%s)", strerror(e));
	printf("LATE-READY\n");
	fflush(stdout);
	sleep(2);	/* the host stops the daemon now */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	e = crypt_do(fd, ses, COP_ENCRYPT, 0, buf, buf, (uint32_t)n, iv);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK(e == EIO, "the unanswered zero-copy request fails with EIO after %.1f s (%s)",
	      (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9, strerror(e));
	/* Reuse the buffer at once; the daemon, resumed, must not write into it. */
	memset(buf, 0x5c, n);
	for (i = 0; i < 60; i++) {
		size_t k;

		usleep(200000);
		for (k = 0; k < n; k += 4096)
			bad += buf[k] != 0x5c || buf[k + 4095] != 0x5c;
	}
	CHECK(bad == 0, "the reused buffer keeps what the caller wrote for 12 s (%d pages changed)", bad);
	for (i = 0; i < 30; i++) {
		e = crypt_do(fd, ses, COP_ENCRYPT, 0, buf, buf, 4096, iv);
		if (!e)
			break;
		sleep(1);
	}
	CHECK(e == 0, "requests work again after the reset (%s)", strerror(e));
	sess_free(fd, ses);
	return t_summary();
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "sizes";
	int fd = open_crypto("/dev/crypto");

	if (!strcmp(mode, "late"))
		return late(fd);
	t_prefix = "zc: ";
	size_checks(fd, 4 * MIB, 0);
	size_checks(fd, 4 * MIB, COP_FLAG_NO_ZC);
	size_checks(fd, 64 * MIB, 0);
	layout_checks(fd);
	unsplittable_checks(fd);
	async_checks(fd);
	fault_checks(fd);
	close(fd);
	return t_summary();
}
