/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/vm/cryptodev_test.h - helpers shared by the guest /dev/crypto tests.
 *
 * Owns: PASS/FAIL check lines (the suite counts them), hex decoding and thin
 * wrappers around the cryptodev ioctls of driver/uapi/cryptodev.h.  Does not
 * own any test vectors or test logic (cryptodev_kat.c, cryptodev_badinput.c,
 * cryptodev_stress.c).  Header-only: each program includes it once.
 */
#ifndef VCD_TESTS_VM_CRYPTODEV_TEST_H
#define VCD_TESTS_VM_CRYPTODEV_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cryptodev.h"

static int t_passed, t_failed;
static const char *t_prefix = "";

#define CHECK(cond, ...) do { \
	int ok_ = !!(cond); \
	if (ok_) t_passed++; else t_failed++; \
	printf("%s %s", ok_ ? "PASS" : "FAIL", t_prefix); \
	printf(__VA_ARGS__); \
	printf("\n"); \
	fflush(stdout); \
} while (0)

/* errno of the last ioctl, or 0 when it succeeded. */
static inline int xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) == 0 ? 0 : errno;
}

static inline size_t unhex(const char *h, uint8_t *out)
{
	size_t n = 0;

	while (h[0] && h[1]) {
		unsigned int v;

		sscanf(h, "%2x", &v);
		out[n++] = (uint8_t)v;
		h += 2;
	}
	return n;
}

static inline int open_crypto(const char *path)
{
	int fd = open(path, O_RDWR);

	if (fd < 0) {
		printf("FAIL %sopen %s: %s\n", t_prefix, path, strerror(errno));
		exit(1);
	}
	return fd;
}

/*
 * Create a session with a cipher and/or a hash or MAC; returns errno (0 on
 * success) and the id in *ses.
 */
static inline int sess_mac(int fd, uint32_t cipher, const uint8_t *key, uint32_t keylen,
			   uint32_t mac, const uint8_t *mkey, uint32_t mkeylen,
			   uint32_t *ses)
{
	struct session_op s;
	int e;

	memset(&s, 0, sizeof(s));
	s.cipher = cipher;
	s.key = (uint8_t *)key;
	s.keylen = keylen;
	s.mac = mac;
	s.mackey = (uint8_t *)mkey;
	s.mackeylen = mkeylen;
	e = xioctl(fd, CIOCGSESSION, &s);
	if (!e)
		*ses = s.ses;
	return e;
}

static inline int sess_new(int fd, uint32_t cipher, const uint8_t *key,
			   uint32_t keylen, uint32_t *ses)
{
	return sess_mac(fd, cipher, key, keylen, 0, NULL, 0, ses);
}

/*
 * Sum of one counter (@file: "requests", "inflight" ...) over the queues whose
 * name starts with @prefix ("dataq", "" for all) of every device: the files
 * /sys/bus/virtio/devices/virtioN/cryptodev/queues/QUEUE/FILE, one number each.
 * -1 when no such file exists.
 */
static inline long queue_stat_sum(const char *prefix, const char *file)
{
	char pattern[256];
	glob_t g;
	long sum = 0;
	size_t i;

	snprintf(pattern, sizeof(pattern), "/sys/bus/virtio/devices/*/cryptodev/queues/%s*/%s",
		 prefix, file);
	if (glob(pattern, 0, NULL, &g))
		return -1;
	for (i = 0; i < g.gl_pathc; i++) {
		FILE *f = fopen(g.gl_pathv[i], "r");
		long v;

		if (f && fscanf(f, "%ld", &v) == 1)
			sum += v;
		if (f)
			fclose(f);
	}
	globfree(&g);
	return sum;
}

static inline int sess_free(int fd, uint32_t ses)
{
	return xioctl(fd, CIOCFSESSION, &ses);
}

static inline int crypt_do(int fd, uint32_t ses, int op, uint16_t flags,
			   const uint8_t *src, uint8_t *dst, uint32_t len,
			   uint8_t *iv)
{
	struct crypt_op c;

	memset(&c, 0, sizeof(c));
	c.ses = ses;
	c.op = (uint16_t)op;
	c.flags = flags;
	c.len = len;
	c.src = (uint8_t *)src;
	c.dst = dst;
	c.iv = iv;
	return xioctl(fd, CIOCCRYPT, &c);
}

static inline int t_summary(void)
{
	printf("%s%d passed, %d failed\n", t_prefix, t_passed, t_failed);
	return t_failed ? 1 : 0;
}

#endif
