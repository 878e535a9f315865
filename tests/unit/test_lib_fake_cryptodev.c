/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_lib_fake_cryptodev.c - a stand-in /dev/crypto for the unit tests, so
 * the device engine's success paths run on a host without cryptodev-linux.
 *
 * Owns: fake_cryptodev_create() (a temporary file whose descriptors act as a
 * cryptodev node) and __wrap_ioctl (the test binary links with
 * -Wl,--wrap=ioctl): ioctls on descriptors of that file are answered here,
 * every other ioctl goes to the real one.  The model follows cryptodev-linux
 * as docs/abi.md describes it: CIOCGSESSION/CIOCFSESSION/CIOCCRYPT, EINVAL
 * for unknown ids, ops, commands and lengths that are not a multiple of the
 * block size (CBC, ECB, XTS: 16), the session-kept IV, COP_FLAG_WRITE_IV,
 * one-shot HMAC with flags == 0.  The chaining value comes from OpenSSL's
 * own context (EVP_CIPHER_CTX_get_updated_iv), not from lib's arithmetic.
 *
 * Does not own: any claim about a real device; tests run the same KATs on
 * the real node when there is one.  Test-only code.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "cryptodev.h"
#include "test_lib_fake_cryptodev.h"

#define FAKE_SESSIONS 256

struct fake_session {
	int used;
	uint32_t id;
	uint32_t cipher, mac;
	uint8_t key[CRYPTO_CIPHER_MAX_KEY_LEN];
	uint32_t keylen;
	uint8_t mackey[CRYPTO_HMAC_MAX_KEY_LEN];
	uint32_t mackeylen;
	uint8_t iv[16];
};

static pthread_mutex_t fake_lock = PTHREAD_MUTEX_INITIALIZER;
static struct fake_session fake[FAKE_SESSIONS];
static dev_t fake_dev;
static ino_t fake_ino;
static int fake_active;
static uint32_t fake_next_id = 0x5eed0001;
static char fake_path[64];

int __real_ioctl(int fd, unsigned long req, ...);

const char *fake_cryptodev_create(void)
{
	struct stat st;
	int fd;

	snprintf(fake_path, sizeof(fake_path), "/tmp/fake-cryptodev-XXXXXX");
	fd = mkstemp(fake_path);
	if (fd < 0 || fstat(fd, &st) < 0)
		return NULL;
	close(fd);
	fake_dev = st.st_dev;
	fake_ino = st.st_ino;
	fake_active = 1;
	return fake_path;
}

void fake_cryptodev_remove(void)
{
	if (fake_active)
		unlink(fake_path);
	fake_active = 0;
}

static int is_fake(int fd)
{
	struct stat st;

	return fake_active && fstat(fd, &st) == 0 && st.st_dev == fake_dev &&
	       st.st_ino == fake_ino;
}

static struct fake_session *find(uint32_t id)
{
	for (int i = 0; i < FAKE_SESSIONS; i++)
		if (fake[i].used && fake[i].id == id)
			return &fake[i];
	return NULL;
}

static int gsession(struct session_op *so)
{
	struct fake_session *s = NULL;

	if (!so->cipher && !so->mac)
		return -EINVAL;
	if (so->cipher && so->mac)
		return -EINVAL;	/* combined sessions: not modelled */
	switch (so->cipher) {
	case 0:
		break;
	case CRYPTO_AES_CBC:
	case CRYPTO_AES_CTR:
	case CRYPTO_AES_ECB:
		if (so->keylen != 16 && so->keylen != 24 && so->keylen != 32)
			return -EINVAL;
		break;
	case CRYPTO_AES_XTS:
		if (so->keylen != 32 && so->keylen != 64)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	if (so->mac && so->mac != CRYPTO_SHA1_HMAC &&
	    so->mac != CRYPTO_SHA2_256_HMAC)
		return -EINVAL;
	if (so->mac && so->mackeylen > CRYPTO_HMAC_MAX_KEY_LEN)
		return -EINVAL;
	for (int i = 0; i < FAKE_SESSIONS && !s; i++)
		if (!fake[i].used)
			s = &fake[i];
	if (!s)
		return -ENOMEM;
	memset(s, 0, sizeof(*s));
	s->used = 1;
	s->id = fake_next_id++;
	s->cipher = so->cipher;
	s->mac = so->mac;
	if (so->cipher) {
		memcpy(s->key, so->key, so->keylen);
		s->keylen = so->keylen;
	} else {
		if (so->mackeylen)
			memcpy(s->mackey, so->mackey, so->mackeylen);
		s->mackeylen = so->mackeylen;
	}
	so->ses = s->id;
	return 0;
}

static const EVP_CIPHER *evp_for(const struct fake_session *s)
{
	int k = s->keylen == 16 ? 0 : s->keylen == 24 ? 1 : 2;

	switch (s->cipher) {
	case CRYPTO_AES_CBC:
		return (const EVP_CIPHER *[]){ EVP_aes_128_cbc(),
			EVP_aes_192_cbc(), EVP_aes_256_cbc() }[k];
	case CRYPTO_AES_CTR:
		return (const EVP_CIPHER *[]){ EVP_aes_128_ctr(),
			EVP_aes_192_ctr(), EVP_aes_256_ctr() }[k];
	case CRYPTO_AES_ECB:
		return (const EVP_CIPHER *[]){ EVP_aes_128_ecb(),
			EVP_aes_192_ecb(), EVP_aes_256_ecb() }[k];
	default:
		return s->keylen == 32 ? EVP_aes_128_xts() : EVP_aes_256_xts();
	}
}

static int fake_crypt(struct crypt_op *op)
{
	struct fake_session *s;
	EVP_CIPHER_CTX *c;
	uint8_t *tmp;
	int n1 = 0, n2 = 0, ok;

	if (op->op != COP_ENCRYPT && op->op != COP_DECRYPT)
		return -EINVAL;
	s = find(op->ses);
	if (!s)
		return -EINVAL;
	if (s->mac) {
		unsigned int maclen = 0;

		if (op->flags != 0)
			return -EINVAL;	/* multi-part hashing: not modelled */
		if (!HMAC(s->mac == CRYPTO_SHA1_HMAC ? EVP_sha1() : EVP_sha256(),
			  s->mackey, (int)s->mackeylen, op->src, op->len,
			  op->mac, &maclen))
			return -EIO;
		return 0;
	}
	if (s->cipher != CRYPTO_AES_CTR && op->len % 16)
		return -EINVAL;
	if (op->iv && s->cipher != CRYPTO_AES_ECB)
		memcpy(s->iv, op->iv, 16);
	if (op->len) {
		tmp = malloc(op->len);
		c = EVP_CIPHER_CTX_new();
		if (!tmp || !c) {
			free(tmp);
			EVP_CIPHER_CTX_free(c);
			return -ENOMEM;
		}
		ok = EVP_CipherInit_ex(c, evp_for(s), NULL, s->key,
				       s->cipher == CRYPTO_AES_ECB ? NULL : s->iv,
				       op->op == COP_ENCRYPT) &&
		     EVP_CIPHER_CTX_set_padding(c, 0) &&
		     EVP_CipherUpdate(c, tmp, &n1, op->src, (int)op->len) &&
		     EVP_CipherFinal_ex(c, tmp + n1, &n2);
		if (ok && s->cipher == CRYPTO_AES_CBC)
			memcpy(s->iv, (op->op == COP_ENCRYPT ? tmp : op->src) +
			       op->len - 16, 16);
		else if (ok && s->cipher == CRYPTO_AES_CTR)
			ok = EVP_CIPHER_CTX_get_updated_iv(c, s->iv, 16);
		if (ok)
			memcpy(op->dst, tmp, op->len);
		EVP_CIPHER_CTX_free(c);
		free(tmp);
		if (!ok)
			return -EINVAL;
	}
	if (op->iv && (op->flags & COP_FLAG_WRITE_IV) &&
	    s->cipher != CRYPTO_AES_ECB)
		memcpy(op->iv, s->iv, 16);
	return 0;
}

static int fake_ioctl(unsigned long req, void *arg)
{
	struct fake_session *s;

	switch (req) {
	case CIOCGSESSION:
		return gsession(arg);
	case CIOCFSESSION:
		s = find(*(uint32_t *)arg);
		if (s)
			s->used = 0;
		return 0;
	case CIOCCRYPT:
		return fake_crypt(arg);
	default:
		return -EINVAL;
	}
}

int __wrap_ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;
	int rc;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!is_fake(fd))
		return __real_ioctl(fd, req, arg);
	pthread_mutex_lock(&fake_lock);
	rc = fake_ioctl(req, arg);
	pthread_mutex_unlock(&fake_lock);
	if (rc < 0) {
		errno = -rc;
		return -1;
	}
	return 0;
}

int fake_cryptodev_sessions(void)
{
	int n = 0;

	pthread_mutex_lock(&fake_lock);
	for (int i = 0; i < FAKE_SESSIONS; i++)
		n += fake[i].used;
	pthread_mutex_unlock(&fake_lock);
	return n;
}
