/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/vm/cryptodev_fuzz.c - random ioctl arguments against /dev/crypto.
 *
 * Owns: a bounded random ioctl fuzzer for the frontend's argument parsing
 * (the kernel side cannot run under libFuzzer, so the guest drives it):
 * commands from the cryptodev set plus random ones; arguments NULL, unmapped,
 * read-only or a buffer of random bytes whose fields are sometimes set to
 * sensible values (algorithm ids, key lengths, known session ids, valid or
 * bad key/src/dst/iv/mac pointers, small, odd and huge lengths).  Every call
 * must return 0 or one of the documented errno values; afterwards the device
 * must still pass a round trip.  The harness (vm/run) fails the run on any
 * oops or WARNING.  Usage: cryptodev_fuzz [ITERATIONS] [SEED] [NODE]
 * Prints PASS/FAIL lines and "N passed, N failed".
 */
#include <sys/mman.h>
#include <time.h>

#include "cryptodev_test.h"

static uint64_t rs;

static uint32_t r32(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return (uint32_t)(rs >> 11);
}

static uint8_t *good, *ro;	/* 128 KiB read-write, 4 KiB read-only */

static void *rptr(void)
{
	switch (r32() % 8) {
	case 0: return NULL;
	case 1: return (void *)(uintptr_t)(1 + r32() % 4096);
	case 2: return ro;
	case 3: return good + 65536 + 4096 - (r32() % 64);	/* near the end */
	default: return good + (r32() % 4096);
	}
}

static uint32_t rlen(void)
{
	switch (r32() % 6) {
	case 0: return r32();
	case 1: return r32() % 17;
	case 2: return 16 * (r32() % 4097);
	default: return r32() % 4096;
	}
}

static uint32_t ses_ids[8];

static uint32_t rses(void)
{
	return r32() % 4 ? ses_ids[r32() % 8] : r32();
}

/* Replace the known sessions (the fuzzer frees some of them). */
static void fresh_sessions(int fd)
{
	static const uint32_t c[] = { CRYPTO_AES_CBC, CRYPTO_AES_CTR, CRYPTO_AES_ECB, CRYPTO_AES_XTS };
	uint8_t key[32] = { 1 };
	int i;

	key[16] = 2;
	for (i = 0; i < 8; i++) {
		if (ses_ids[i])
			sess_free(fd, ses_ids[i]);
		if (sess_new(fd, c[i % 4], key, i % 4 == 3 ? 32 : 16, &ses_ids[i]))
			ses_ids[i] = 0;
	}
}

int main(int argc, char **argv)
{
	long iters = argc > 1 ? atol(argv[1]) : 20000;
	const char *node = argc > 3 ? argv[3] : "/dev/crypto";
	time_t end = time(NULL) + 60;
	int fd, bad = 0, calls = 0, i;
	static const unsigned long cmds[] = { CRIOGET, CIOCGSESSION, CIOCFSESSION,
		CIOCCRYPT, CIOCGSESSINFO, CIOCASYMFEAT };
	uint8_t arg[512];

	rs = argc > 2 ? strtoull(argv[2], NULL, 0) : 0x1234567;
	if (!rs)
		rs = 1;
	t_prefix = "fuzz: ";
	good = mmap(NULL, 65536 + 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(good + 65536, 4096);	/* a hole right after the buffer */
	ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	fd = open_crypto(node);
	for (long n = 0; n < iters && time(NULL) < end; n++) {
		if (n % 200 == 0)
			fresh_sessions(fd);
		unsigned long cmd = r32() % 10 ? cmds[r32() % 6] : (unsigned long)r32();
		void *p = arg;
		int e;

		for (i = 0; i < (int)sizeof(arg); i++)
			arg[i] = (uint8_t)r32();
		if (cmd == CIOCGSESSION && r32() % 4) {
			struct session_op *s = (void *)arg;

			s->cipher = r32() % 3 ? r32() % 32 : r32();
			s->mac = r32() % 3 ? 0 : r32() % 32;
			s->keylen = r32() % 3 ? 16 * (r32() % 5) : rlen();
			s->key = rptr();
			s->mackeylen = rlen() % 600;
			s->mackey = rptr();
		} else if (cmd == CIOCCRYPT && r32() % 4) {
			struct crypt_op *c = (void *)arg;

			c->ses = rses();
			c->op = (uint16_t)(r32() % 3 ? r32() % 2 : r32());
			c->flags = (uint16_t)(r32() % 2 ? COP_FLAG_WRITE_IV : r32());
			c->len = rlen();
			c->src = rptr();
			c->dst = r32() % 2 ? c->src : rptr();
			c->mac = rptr();
			c->iv = rptr();
			if (r32() % 2) {
				/* Mostly valid, then one field perturbed. */
				c->ses = ses_ids[r32() % 8];
				c->op = (uint16_t)(r32() % 2);
				c->len = 16 * (r32() % 256);
				c->src = good + 16 * (r32() % 64);
				c->dst = r32() % 2 ? c->src : good + 32768;
				c->iv = good + 65000;
				c->mac = good + 65100;
				switch (r32() % 5) {
				case 0: c->len = rlen(); break;
				case 1: c->src = rptr(); break;
				case 2: c->dst = rptr(); break;
				case 3: c->iv = rptr(); break;
				default: break;
				}
			}
		} else if ((cmd == CIOCFSESSION || cmd == CIOCGSESSINFO) && r32() % 2) {
			*(uint32_t *)arg = rses();
		}
		if (r32() % 16 == 0)
			p = rptr();
		e = xioctl(fd, cmd, p);
		calls++;
		if (cmd == CRIOGET && !e) {
			close(*(int *)p);
		}
		if (cmd == CIOCGSESSION && !e && p == arg && r32() % 2)
			ses_ids[r32() % 8] = ((struct session_op *)arg)->ses;
		if (e && e != EFAULT && e != EINVAL && e != ENOTTY && e != EOPNOTSUPP &&
		    e != ENOMEM && e != EBADF) {
			if (bad++ < 5)
				printf("fuzz: cmd %#lx -> unexpected %s\n", cmd, strerror(e));
		}
	}
	CHECK(bad == 0, "%d random ioctls, only documented errno values (%d unexpected)", calls, bad);
	close(fd);

	/* Still healthy: a round trip on a fresh file. */
	{
		uint8_t key[16] = { 9 }, buf[4096], ref[4096], iv[16] = { 0 }, iv2[16] = { 0 };
		uint32_t s;
		int e;

		for (i = 0; i < 4096; i++)
			ref[i] = buf[i] = (uint8_t)i;
		fd = open_crypto(node);
		e = sess_new(fd, CRYPTO_AES_CBC, key, 16, &s);
		if (!e)
			e = crypt_do(fd, s, COP_ENCRYPT, 0, buf, buf, 4096, iv);
		if (!e)
			e = crypt_do(fd, s, COP_DECRYPT, 0, buf, buf, 4096, iv2);
		CHECK(e == 0 && !memcmp(buf, ref, 4096), "round trip after fuzzing (%s)", strerror(e));
		close(fd);
	}
	return t_summary();
}
