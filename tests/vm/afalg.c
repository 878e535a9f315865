/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/vm/afalg.c - minimal AF_ALG skcipher client (see afalg.h). */
#include "afalg.h"

#include <errno.h>
#include <linux/if_alg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef SOL_ALG
#define SOL_ALG 279
#endif

int afalg_open(struct afalg *a, const char *alg, const uint8_t *key, size_t keylen)
{
	struct sockaddr_alg sa;
	int err;

	a->tfm = a->op = -1;
	memset(&sa, 0, sizeof(sa));
	sa.salg_family = AF_ALG;
	memcpy(sa.salg_type, "skcipher", sizeof("skcipher"));
	if (strlen(alg) >= sizeof(sa.salg_name))
		return -ENAMETOOLONG;
	memcpy(sa.salg_name, alg, strlen(alg) + 1);

	a->tfm = socket(AF_ALG, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (a->tfm < 0)
		return -errno;
	if (bind(a->tfm, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    setsockopt(a->tfm, SOL_ALG, ALG_SET_KEY, key, (socklen_t)keylen) < 0)
		goto fail;
	a->op = accept4(a->tfm, NULL, NULL, SOCK_CLOEXEC);
	if (a->op < 0)
		goto fail;
	return 0;
fail:
	err = -errno;
	afalg_close(a);
	return err;
}

int afalg_crypt(struct afalg *a, int encrypt, const uint8_t iv[16],
		const uint8_t *in, uint8_t *out, size_t len)
{
	union {
		char buf[CMSG_SPACE(sizeof(uint32_t)) + CMSG_SPACE(sizeof(struct af_alg_iv) + 16)];
		struct cmsghdr align;
	} ctl;
	struct msghdr msg;
	struct cmsghdr *c;
	struct af_alg_iv *aiv;
	struct iovec iov = { .iov_base = (void *)in, .iov_len = len };
	uint32_t op = encrypt ? ALG_OP_ENCRYPT : ALG_OP_DECRYPT;
	size_t got = 0;
	ssize_t n;

	memset(&ctl, 0, sizeof(ctl));
	memset(&msg, 0, sizeof(msg));
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;

	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_ALG;
	c->cmsg_type = ALG_SET_OP;
	c->cmsg_len = CMSG_LEN(sizeof(op));
	memcpy(CMSG_DATA(c), &op, sizeof(op));

	c = CMSG_NXTHDR(&msg, c);
	c->cmsg_level = SOL_ALG;
	c->cmsg_type = ALG_SET_IV;
	c->cmsg_len = CMSG_LEN(sizeof(*aiv) + 16);
	aiv = (struct af_alg_iv *)(void *)CMSG_DATA(c);
	aiv->ivlen = 16;
	memcpy(aiv->iv, iv, 16);

	n = sendmsg(a->op, &msg, 0);
	if (n < 0)
		return -errno;
	if ((size_t)n != len)
		return -EMSGSIZE;
	while (got < len) {
		n = read(a->op, out + got, len - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		got += (size_t)n;
	}
	return 0;
}

void afalg_close(struct afalg *a)
{
	if (a->op >= 0)
		close(a->op);
	if (a->tfm >= 0)
		close(a->tfm);
	a->op = a->tfm = -1;
}

/* /proc/crypto is a list of entries separated by blank lines.  While a
 * registration's self-test runs, a "larval" entry with the same driver name
 * is listed too: it is skipped, only the real entry counts. */
int afalg_proc_crypto(const char *driver, const char *field, char *val, size_t n)
{
	char line[256], key[64], v[128], fv[128] = "";
	int match = 0, larval = 0, have = 0, found = -1, end;
	FILE *f = fopen("/proc/crypto", "r");

	if (!f)
		return -1;
	do {
		end = !fgets(line, sizeof(line), f);
		if (end || sscanf(line, "%63[^: \t] : %127[^\n]", key, v) != 2) {
			if (match && !larval && have) {
				snprintf(val, n, "%s", fv);
				found = 0;
				break;
			}
			match = larval = have = 0;
			continue;
		}
		if (strcmp(key, "driver") == 0)
			match = strcmp(v, driver) == 0;
		else if (strcmp(key, "type") == 0)
			larval = strcmp(v, "larval") == 0;
		if (strcmp(key, field) == 0) {
			snprintf(fv, sizeof(fv), "%s", v);
			have = 1;
		}
	} while (!end);
	fclose(f);
	return found;
}
