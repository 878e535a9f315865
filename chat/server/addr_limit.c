/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * addr_limit.c - per-address connection counts in a tsearch tree (see
 * addr_limit.h).
 */
#include "addr_limit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct addr_count {
	struct addr_key key;
	uint32_t n;
};

/* A tree node of glibc's tsearch: three words, beside our struct. */
#define NODE_BYTES	(sizeof(struct addr_count) + 4 * sizeof(void *))

struct addr_key addr_key_of(const struct sockaddr *sa, socklen_t len)
{
	static const uint8_t v4mapped[12] = { [10] = 0xff, [11] = 0xff };
	struct addr_key k;

	memset(&k, 0, sizeof(k));
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		k.family = AF_INET;
		memcpy(k.bytes, &in->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6 &&
		   len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		const uint8_t *a = in6->sin6_addr.s6_addr;

		if (memcmp(a, v4mapped, sizeof(v4mapped)) == 0) {
			k.family = AF_INET;
			memcpy(k.bytes, a + 12, 4);
		} else {
			k.family = AF_INET6;
			memcpy(k.bytes, a, 8);
		}
	}
	return k;
}

const char *addr_key_str(const struct addr_key *k, char *buf, size_t len)
{
	char text[INET6_ADDRSTRLEN];
	uint8_t a[16] = { 0 };

	if (k->family == AF_INET) {
		inet_ntop(AF_INET, k->bytes, text, sizeof(text));
		snprintf(buf, len, "%s", text);
	} else if (k->family == AF_INET6) {
		memcpy(a, k->bytes, 8);
		inet_ntop(AF_INET6, a, text, sizeof(text));
		snprintf(buf, len, "%s/64", text);
	} else {
		snprintf(buf, len, "(other)");
	}
	return buf;
}

static int cmp(const void *x, const void *y)
{
	return memcmp(&((const struct addr_count *)x)->key,
		      &((const struct addr_count *)y)->key, sizeof(struct addr_key));
}

static struct addr_count *find(const struct addr_limit *a, const struct addr_key *k)
{
	struct addr_count probe = { .key = *k };
	void *const *node = tfind(&probe, &a->root, cmp);

	return node ? *(struct addr_count *const *)node : NULL;
}

int addr_limit_add(struct addr_limit *a, const struct addr_key *k, uint32_t max)
{
	struct addr_count *c;
	void **node;

	if (!k->family)
		return 0;
	c = find(a, k);
	if (c) {
		if (max && c->n >= max)
			return -EBUSY;
		c->n++;
		return 0;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->key = *k;
	c->n = 1;
	node = tsearch(c, &a->root, cmp);
	if (!node) {
		free(c);
		return -ENOMEM;
	}
	a->keys++;
	return 0;
}

void addr_limit_del(struct addr_limit *a, const struct addr_key *k)
{
	struct addr_count *c;

	if (!k->family)
		return;
	c = find(a, k);
	if (!c || --c->n)
		return;
	tdelete(c, &a->root, cmp);
	free(c);
	a->keys--;
}

uint32_t addr_limit_count(const struct addr_limit *a, const struct addr_key *k)
{
	struct addr_count *c = k->family ? find(a, k) : NULL;

	return c ? c->n : 0;
}

size_t addr_limit_bytes(const struct addr_limit *a)
{
	return a->keys * NODE_BYTES;
}

void addr_limit_free(struct addr_limit *a)
{
	tdestroy(a->root, free);
	a->root = NULL;
	a->keys = 0;
}
