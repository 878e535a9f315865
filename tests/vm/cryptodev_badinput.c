/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/vm/cryptodev_badinput.c - bad input, isolation, leaks and device
 * removal through /dev/crypto.
 *
 * Owns: every bad-argument case of the cryptodev ioctls with the errno the
 * frontend must give (EFAULT for unreadable/unwritable user memory, EINVAL
 * for bad ids, ops, lengths, keys, sessions and unknown commands, as
 * cryptodev-linux returns them), session isolation between
 * open files, CRIOGET, and a leak check: slab counters (/proc/meminfo
 * SUnreclaim) before and after thousands of sessions, requests and errors.
 *   cryptodev_badinput [NODE]           the checks above
 *   cryptodev_badinput --unbind VIRTIO  unbind device VIRTIO (e.g. virtio0)
 *       from virtio_cryptodev while 4 threads have requests in flight and a
 *       file with a session stays open: in-flight and later calls must fail
 *       with ENODEV or EIO, never succeed or hang; close must work.
 *   cryptodev_badinput --dead-backend [NODE]
 *       requests from 2 threads on NODE (default /dev/crypto), then prints
 *       DEAD-BACKEND-READY and keeps going while the host kills the
 *       vhost-user back-end: the requests left without an answer must fail
 *       with EIO (module timeout_ms) and later calls must fail with EIO too;
 *       close must work; with a second device, new /dev/crypto sessions must
 *       all go to (and be served by) the device still alive.
 * Prints PASS/FAIL lines and "N passed, N failed"; exits 1 on any failure.
 */
#include <pthread.h>
#include <sys/mman.h>
#include <time.h>

#include "cryptodev_test.h"

static const uint8_t key16[16] = "0123456789abcdef";

static long meminfo_kb(const char *field)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, strlen(field)) &&
		    line[strlen(field)] == ':')
			v = atol(line + strlen(field) + 1);
	fclose(f);
	return v;
}

static void drop_caches(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);

	if (fd >= 0) {
		if (write(fd, "3", 1) < 0)
			perror("drop_caches");
		close(fd);
	}
}

static void session_checks(int fd)
{
	struct session_op s;
	uint8_t key[64] = { 0 };
	uint32_t ses;
	int e;

	CHECK(xioctl(fd, CIOCGSESSION, NULL) == EFAULT, "GSESSION arg NULL -> EFAULT");
	CHECK(xioctl(fd, CIOCGSESSION, (void *)16) == EFAULT, "GSESSION arg bad pointer -> EFAULT");
	memset(&s, 0, sizeof(s));
	CHECK(xioctl(fd, CIOCGSESSION, &s) == EINVAL, "GSESSION cipher 0 mac 0 -> EINVAL");
	s.cipher = 9999; s.key = key; s.keylen = 16;
	CHECK(xioctl(fd, CIOCGSESSION, &s) == EINVAL, "GSESSION unknown cipher -> EINVAL");
	s.cipher = CRYPTO_AES_CBC; s.mac = 9999;
	CHECK(xioctl(fd, CIOCGSESSION, &s) == EINVAL, "GSESSION unknown mac -> EINVAL");
	CHECK(sess_new(fd, CRYPTO_AES_CBC, key, 17, &ses) == EINVAL, "GSESSION AES keylen 17 -> EINVAL");
	CHECK(sess_new(fd, CRYPTO_AES_CBC, key, 0, &ses) == EINVAL, "GSESSION AES keylen 0 -> EINVAL");
	CHECK(sess_new(fd, CRYPTO_AES_CBC, key, 65, &ses) == EINVAL, "GSESSION keylen 65 -> EINVAL");
	CHECK(sess_new(fd, CRYPTO_AES_CBC, key, 0xffffffffu, &ses) == EINVAL, "GSESSION keylen 4G -> EINVAL");
	CHECK(sess_new(fd, CRYPTO_AES_XTS, key, 16, &ses) == EINVAL, "GSESSION XTS keylen 16 -> EINVAL");
	CHECK(sess_new(fd, CRYPTO_AES_CBC, NULL, 16, &ses) == EFAULT, "GSESSION key NULL -> EFAULT");
	CHECK(sess_new(fd, CRYPTO_AES_CBC, (uint8_t *)8, 16, &ses) == EFAULT, "GSESSION key bad pointer -> EFAULT");
	e = sess_new(fd, CRYPTO_3DES_CBC, key, 24, &ses);
	CHECK(e == 0 && sess_free(fd, ses) == 0, "GSESSION 3DES-CBC (device or guest kernel) (%s)", strerror(e));
	CHECK(sess_new(fd, CRYPTO_CAST_CBC, key, 16, &ses) == EINVAL, "GSESSION CAST-CBC (cryptodev-linux maps none) -> EINVAL");
	CHECK(sess_new(fd, CRYPTO_ARC4, key, 16, &ses) == EINVAL, "GSESSION ARC4 -> EINVAL");
	memset(&s, 0, sizeof(s));
	s.mac = CRYPTO_SHA1;
	e = xioctl(fd, CIOCGSESSION, &s);
	CHECK(e == 0 && sess_free(fd, s.ses) == 0, "GSESSION hash-only SHA1 (%s)", strerror(e));
	memset(&s, 0, sizeof(s));
	s.mac = CRYPTO_MD5_KPDK;
	CHECK(xioctl(fd, CIOCGSESSION, &s) == EINVAL, "GSESSION MD5-KPDK (not mapped) -> EINVAL");
	memset(&s, 0, sizeof(s));
	s.cipher = CRYPTO_AES_CBC; s.key = key; s.keylen = 16;
	s.mac = CRYPTO_SHA2_256_HMAC; s.mackey = key; s.mackeylen = 513;
	CHECK(xioctl(fd, CIOCGSESSION, &s) == EINVAL, "GSESSION mackeylen 513 -> EINVAL");
	/* Result not writable: the session must not survive (no leak). */
	{
		struct session_op *ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
					     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		ro->cipher = CRYPTO_AES_CBC; ro->key = key; ro->keylen = 16;
		mprotect(ro, 4096, PROT_READ);
		CHECK(xioctl(fd, CIOCGSESSION, ro) == EFAULT, "GSESSION argument read-only -> EFAULT");
		munmap(ro, 4096);
	}
}

static void crypt_checks(int fd)
{
	uint8_t buf[64] = { 0 }, iv[16] = { 0 };
	static const uint8_t rodata[64] = { 1 };
	struct crypt_op c;
	uint32_t ses, ctr, ecb;
	uint8_t *big;
	int e;

	if (sess_new(fd, CRYPTO_AES_CBC, key16, 16, &ses) ||
	    sess_new(fd, CRYPTO_AES_CTR, key16, 16, &ctr) ||
	    sess_new(fd, CRYPTO_AES_ECB, key16, 16, &ecb)) {
		CHECK(0, "sessions for the CIOCCRYPT checks");
		return;
	}
	CHECK(xioctl(fd, CIOCCRYPT, NULL) == EFAULT, "CRYPT arg NULL -> EFAULT");
	CHECK(crypt_do(fd, ses + 1000, COP_ENCRYPT, 0, buf, buf, 16, iv) == EINVAL, "CRYPT unknown session -> EINVAL");
	CHECK(crypt_do(fd, 0, COP_ENCRYPT, 0, buf, buf, 16, iv) == EINVAL, "CRYPT session 0 -> EINVAL");
	CHECK(crypt_do(fd, ses, 2, 0, buf, buf, 16, iv) == EINVAL, "CRYPT op 2 -> EINVAL");
	CHECK(crypt_do(fd, ses, 0xffff, 0, buf, buf, 16, iv) == EINVAL, "CRYPT op 0xffff -> EINVAL");
	CHECK(crypt_do(fd, ses, COP_ENCRYPT, 0, buf, buf, 15, iv) == EINVAL, "CRYPT CBC len 15 -> EINVAL");
	CHECK(crypt_do(fd, ecb, COP_ENCRYPT, 0, buf, buf, 17, NULL) == EINVAL, "CRYPT ECB len 17 -> EINVAL");
	/* Any length is served (split for the device); a buffer shorter than len is EFAULT. */
	CHECK(crypt_do(fd, ses, COP_ENCRYPT, 0, buf, buf, 0xfffffff0u, iv) == EFAULT, "CRYPT CBC len 4G-16, 64-byte buffer -> EFAULT");
	CHECK(crypt_do(fd, ctr, COP_ENCRYPT, 0, buf, buf, 0xffffffffu, iv) == EFAULT, "CRYPT CTR len 4G-1, 64-byte buffer -> EFAULT");
	CHECK(crypt_do(fd, ses, COP_ENCRYPT, COP_FLAG_NO_ZC, buf, buf, 64u << 20, iv) == EFAULT,
	      "CRYPT CBC len 64 MiB NO_ZC, 64-byte buffer -> EFAULT");
	CHECK(crypt_do(fd, ses, COP_ENCRYPT, 0, NULL, buf, 16, iv) == EFAULT, "CRYPT src NULL -> EFAULT");
	CHECK(crypt_do(fd, ses, COP_ENCRYPT, 0, (uint8_t *)64, buf, 16, iv) == EFAULT, "CRYPT src bad -> EFAULT");
	CHECK(crypt_do(fd, ses, COP_ENCRYPT, 0, buf, NULL, 16, iv) == EFAULT, "CRYPT dst NULL -> EFAULT");
	CHECK(crypt_do(fd, ses, COP_ENCRYPT, 0, buf, (uint8_t *)rodata, 16, iv) == EFAULT, "CRYPT dst read-only -> EFAULT");
	CHECK(crypt_do(fd, ses, COP_ENCRYPT, 0, buf, buf, 16, (uint8_t *)32) == EFAULT, "CRYPT iv bad -> EFAULT");
	CHECK(crypt_do(fd, ses, COP_ENCRYPT, COP_FLAG_WRITE_IV, buf, buf, 16, (uint8_t *)rodata) == EFAULT,
	      "CRYPT WRITE_IV to read-only iv -> EFAULT");
	/* src shorter than len: the page after it is unmapped. */
	big = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(big + 4096, 4096);
	CHECK(crypt_do(fd, ses, COP_ENCRYPT, 0, big, big, 8192, iv) == EFAULT, "CRYPT src runs into unmapped page -> EFAULT");
	munmap(big, 4096);
	e = crypt_do(fd, ses, COP_ENCRYPT, 0, buf, buf, 0, iv);
	CHECK(e == 0, "CRYPT len 0 -> 0 (%s)", strerror(e));
	memset(&c, 0, sizeof(c));
	CHECK(crypt_do(fd, ses, COP_ENCRYPT, 0, buf, buf, 64, iv) == 0, "CRYPT still works after the errors");
	CHECK(sess_free(fd, ses) == 0 && sess_free(fd, ctr) == 0 && sess_free(fd, ecb) == 0, "free the sessions");
	CHECK(sess_free(fd, ses) == EINVAL, "FSESSION twice -> EINVAL");
	CHECK(xioctl(fd, CIOCFSESSION, NULL) == EFAULT, "FSESSION arg NULL -> EFAULT");
	CHECK(crypt_do(fd, ses, COP_ENCRYPT, 0, buf, buf, 16, iv) == EINVAL, "CRYPT freed session -> EINVAL");
}

static void misc_checks(const char *node, int fd)
{
	struct session_info_op si;
	uint8_t buf[32] = { 0 }, iv[16] = { 0 };
	uint32_t ses, v = 7, ses2;
	int fd2, e;

	memset(&si, 0, sizeof(si));
	si.ses = 12345;
	CHECK(xioctl(fd, CIOCGSESSINFO, &si) == EINVAL, "GSESSINFO unknown session -> EINVAL");
	CHECK(xioctl(fd, CIOCGSESSINFO, NULL) == EFAULT, "GSESSINFO NULL -> EFAULT");
	CHECK(xioctl(fd, _IO('c', 200), NULL) == EINVAL, "unknown ioctl -> EINVAL (as cryptodev-linux)");
	CHECK(xioctl(fd, CIOCKEY, NULL) == EINVAL, "CIOCKEY (no asymmetric operations) -> EINVAL");
	CHECK(xioctl(fd, CIOCASYMFEAT, &v) == 0 && v == 0, "CIOCASYMFEAT -> 0");

	/* Isolation: a session of another open file is EINVAL. */
	fd2 = open_crypto(node);
	if (sess_new(fd, CRYPTO_AES_CBC, key16, 16, &ses) == 0) {
		CHECK(crypt_do(fd2, ses, COP_ENCRYPT, 0, buf, buf, 16, iv) == EINVAL, "CRYPT with another file's session -> EINVAL");
		si.ses = ses;
		CHECK(xioctl(fd2, CIOCGSESSINFO, &si) == EINVAL, "GSESSINFO of another file's session -> EINVAL");
		CHECK(sess_free(fd2, ses) == EINVAL, "FSESSION of another file's session -> EINVAL");
		CHECK(crypt_do(fd, ses, COP_ENCRYPT, 0, buf, buf, 16, iv) == 0, "the owner still uses it");
		e = sess_new(fd2, CRYPTO_AES_CBC, key16, 16, &ses2);
		CHECK(e == 0, "second file creates its own session (id %u vs %u)", ses2, ses);
		close(fd2);
		CHECK(crypt_do(fd, ses, COP_ENCRYPT, 0, buf, buf, 16, iv) == 0, "closing the other file leaves ours");
		/* CRIOGET: a new fd on the same file, sharing sessions. */
		v = 0;
		e = xioctl(fd, CRIOGET, &v);
		CHECK(e == 0 && (int)v > 2 && (int)v != fd, "CRIOGET returns a new fd (%d)", (int)v);
		if (!e) {
			CHECK(crypt_do((int)v, ses, COP_ENCRYPT, 0, buf, buf, 16, iv) == 0, "CRIOGET fd shares the sessions");
			close((int)v);
		}
		CHECK(xioctl(fd, CRIOGET, NULL) == EFAULT, "CRIOGET NULL -> EFAULT");
		sess_free(fd, ses);
	} else {
		CHECK(0, "session for the isolation checks");
		close(fd2);
	}
}

/* Many sessions, requests and errors; returns the SUnreclaim growth (kB). */
static long churn(const char *node, int rounds)
{
	static uint8_t big[65536];
	uint8_t iv[16] = { 0 };
	long before, after;
	int r, i;

	drop_caches();
	before = meminfo_kb("SUnreclaim");
	for (r = 0; r < rounds; r++) {
		int fd = open_crypto(node);
		uint32_t s[4];

		for (i = 0; i < 4; i++)
			if (sess_new(fd, i & 1 ? CRYPTO_AES_CTR : CRYPTO_AES_CBC, key16, 16, &s[i]))
				s[i] = 0;
		crypt_do(fd, s[0], COP_ENCRYPT, 0, big, big, r & 1 ? 65536 : 64, iv);
		crypt_do(fd, s[1], COP_DECRYPT, COP_FLAG_WRITE_IV, big, big, 100, iv);
		crypt_do(fd, s[0], COP_ENCRYPT, 0, big, NULL, 4096, iv);	/* EFAULT after the device */
		crypt_do(fd, s[0], COP_ENCRYPT, 0, big, big, 15, iv);	/* EINVAL */
		sess_new(fd, CRYPTO_AES_CBC, NULL, 16, &s[3]);		/* EFAULT */
		sess_free(fd, s[2]);
		if (r % 3)
			close(fd);	/* sessions 0, 1, 3 freed by release */
		else {
			sess_free(fd, s[0]);
			sess_free(fd, s[1]);
			sess_free(fd, s[3]);
			close(fd);
		}
	}
	drop_caches();
	usleep(200000);
	after = meminfo_kb("SUnreclaim");
	printf("churn %d rounds: SUnreclaim %ld kB -> %ld kB\n", rounds, before, after);
	return after - before;
}

struct unbind_worker {
	int fd;
	uint32_t ses;
	int ok, enodev, eio, other, last;
	volatile int *stop;
};

static void *unbind_work(void *arg)
{
	struct unbind_worker *w = arg;
	uint8_t iv[16] = { 0 };
	int n;

	for (n = 0; n < 100000 && !*w->stop; n++) {
		uint8_t *p = malloc(65536);
		int e = crypt_do(w->fd, w->ses, COP_ENCRYPT, 0, p, p, 65536, iv);

		free(p);
		w->last = e;
		if (!e)
			w->ok++;
		else if (e == ENODEV)
			w->enodev++;
		else if (e == EIO)
			w->eio++;
		else
			w->other++;
		if (e == ENODEV)
			break;
	}
	return NULL;
}

static int unbind_test(const char *virtio)
{
	struct unbind_worker w[4];
	pthread_t th[4];
	volatile int stop = 0;
	uint8_t buf[16] = { 0 }, iv[16] = { 0 };
	uint32_t ses, s2;
	int fd, i, ubfd, e, sum_ok = 0, sum_fail = 0, other = 0;
	char path[256];

	t_prefix = "unbind: ";
	fd = open_crypto("/dev/crypto");
	CHECK(sess_new(fd, CRYPTO_AES_CBC, key16, 16, &ses) == 0, "session before unbind");
	for (i = 0; i < 4; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].fd = fd;
		w[i].ses = ses;
		w[i].stop = &stop;
		pthread_create(&th[i], NULL, unbind_work, &w[i]);
	}
	usleep(300000);
	snprintf(path, sizeof(path), "/sys/bus/virtio/drivers/virtio_cryptodev/unbind");
	ubfd = open(path, O_WRONLY);
	e = ubfd < 0 ? errno : 0;
	if (!e && write(ubfd, virtio, strlen(virtio)) < 0)
		e = errno;
	if (ubfd >= 0)
		close(ubfd);
	CHECK(e == 0, "unbind %s while requests are in flight (%s)", virtio, strerror(e));
	usleep(200000);
	stop = 1;
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		sum_ok += w[i].ok;
		sum_fail += w[i].enodev + w[i].eio;
		other += w[i].other;
	}
	printf("unbind: requests ok %d, ENODEV/EIO %d, other errors %d\n", sum_ok, sum_fail, other);
	CHECK(sum_ok > 0, "requests succeeded before the unbind");
	CHECK(other == 0, "requests failed only with ENODEV or EIO");
	e = crypt_do(fd, ses, COP_ENCRYPT, 0, buf, buf, 16, iv);
	CHECK(e == ENODEV || e == EIO, "CRYPT after unbind -> ENODEV/EIO (%s)", strerror(e));
	/* With no device left, /dev/crypto runs new sessions in the guest kernel. */
	e = sess_new(fd, CRYPTO_AES_CBC, key16, 16, &s2);
	CHECK(e == 0 && crypt_do(fd, s2, COP_ENCRYPT, 0, buf, buf, 16, iv) == 0,
	      "GSESSION after unbind -> a guest-kernel session that works (%s)", strerror(e));
	if (!e) {
		struct session_info_op si = { .ses = s2 };

		CHECK(xioctl(fd, CIOCGSESSINFO, &si) == 0 &&
		      !strstr(si.cipher_info.cra_driver_name, "virtio"),
		      "GSESSINFO after unbind: not the device (%s)", si.cipher_info.cra_driver_name);
	}
	CHECK(sess_free(fd, ses) == 0, "FSESSION after unbind");
	CHECK(close(fd) == 0, "close after unbind");
	fd = open("/dev/crypto", O_RDWR);
	e = fd < 0 ? errno : sess_new(fd, CRYPTO_AES_CBC, key16, 16, &s2);
	CHECK(e == 0, "new file, GSESSION with no device -> guest kernel (%s)", strerror(e));
	if (fd >= 0)
		close(fd);
	return t_summary();
}

static void *dead_work(void *arg)
{
	struct unbind_worker *w = arg;
	uint8_t buf[4096] = { 0 }, iv[16] = { 0 };
	time_t end = time(NULL) + 120;
	int e;

	while (time(NULL) < end) {
		e = crypt_do(w->fd, w->ses, COP_ENCRYPT, 0, buf, buf, sizeof(buf), iv);
		w->last = e;
		if (e)
			break;
		w->ok++;
	}
	return NULL;
}

static int dead_backend_test(const char *node)
{
	struct unbind_worker w[2];
	pthread_t th[2];
	uint8_t buf[16] = { 0 }, iv[16] = { 0 };
	uint32_t ses, s2;
	int fd, i, e;

	t_prefix = "dead-backend: ";
	fd = open_crypto(node);
	e = sess_new(fd, CRYPTO_AES_CBC, key16, 16, &ses);
	CHECK(e == 0, "session while the back-end lives (%s)", strerror(e));
	e = crypt_do(fd, ses, COP_ENCRYPT, 0, buf, buf, 16, iv);
	CHECK(e == 0, "request while the back-end lives (%s)", strerror(e));
	printf("DEAD-BACKEND-READY\n");
	fflush(stdout);
	for (i = 0; i < 2; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].fd = fd;
		w[i].ses = ses;
		pthread_create(&th[i], NULL, dead_work, &w[i]);
	}
	for (i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
		CHECK(w[i].last == EIO, "thread %d: %d requests, then the unanswered one failed with EIO (%s)",
		      i, w[i].ok, strerror(w[i].last));
	}
	e = crypt_do(fd, ses, COP_ENCRYPT, 0, buf, buf, 16, iv);
	CHECK(e == EIO, "later CRYPT -> EIO (%s)", strerror(e));
	e = sess_new(fd, CRYPTO_AES_CBC, key16, 16, &s2);
	CHECK(e == EIO, "later GSESSION -> EIO (%s)", strerror(e));
	CHECK(close(fd) == 0, "close");
	/* With a second device, /dev/crypto goes on serving from it. */
	if (access("/dev/cryptodev1", F_OK) == 0) {
		uint8_t ref[16] = { 0 };

		fd = open_crypto("/dev/crypto");
		for (i = 0, e = 0; i < 4 && !e; i++) {
			memset(buf, 0, sizeof(buf));
			memset(iv, 0, sizeof(iv));
			e = sess_new(fd, CRYPTO_AES_CBC, key16, 16, &s2);
			if (!e)
				e = crypt_do(fd, s2, COP_ENCRYPT, 0, buf, buf, 16, iv);
			memset(iv, 0, sizeof(iv));
			if (!e)
				e = crypt_do(fd, s2, COP_DECRYPT, 0, buf, buf, 16, iv);
			if (!e && memcmp(buf, ref, 16))
				e = EBADMSG;
		}
		CHECK(e == 0, "4 new /dev/crypto sessions all served by the other device (%s)", strerror(e));
		close(fd);
	}
	return t_summary();
}

int main(int argc, char **argv)
{
	const char *node = "/dev/crypto";
	long growth;
	int fd;

	if (argc > 1 && !strcmp(argv[1], "--dead-backend"))
		return dead_backend_test(argc > 2 ? argv[2] : "/dev/crypto");
	if (argc > 2 && !strcmp(argv[1], "--unbind"))
		return unbind_test(argv[2]);
	if (argc > 1)
		node = argv[1];
	t_prefix = "badinput: ";
	fd = open_crypto(node);
	session_checks(fd);
	crypt_checks(fd);
	misc_checks(node, fd);
	close(fd);

	churn(node, 150);	/* warm up the slab caches */
	growth = churn(node, 600);
	CHECK(growth < 256, "no slab growth over 600 rounds of sessions/requests/errors (%ld kB)", growth);
	return t_summary();
}
