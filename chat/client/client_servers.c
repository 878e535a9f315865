/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * client_servers.c - the chat client's list of relays and its reconnection
 * schedule (see client_servers.h).
 */
#include "client_servers.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "proto/clock.h"
#include "proto/frame.h"

/* Decimal 1..65535, nothing else. */
static int port_valid(const char *p)
{
	unsigned long v = 0;
	size_t i;

	if (!p[0] || strlen(p) > 5)
		return 0;
	for (i = 0; p[i]; i++) {
		if (!isdigit((unsigned char)p[i]))
			return 0;
		v = v * 10 + (unsigned long)(p[i] - '0');
	}
	return v >= 1 && v <= 65535;
}

/* A host name or an IPv4 address (v6 = 0), or an IPv6 address with an
 * optional %zone (v6 = 1): what getaddrinfo may be asked, no more. */
static int host_valid(const char *h, int v6)
{
	size_t i, n = strlen(h);

	if (!n || n > 253)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)h[i];

		if (isalnum(c) || c == '.' || c == '-' || c == '_')
			continue;
		if (v6 && (c == ':' || c == '%'))
			continue;
		return 0;
	}
	return !v6 || strchr(h, ':') != NULL;
}

int client_servers_add(struct client_servers *l, const char *host,
		       const char *port, char *err, size_t errlen)
{
	struct client_server *s;
	char defport[8];
	int v6 = strchr(host, ':') != NULL;

	if (!port) {
		snprintf(defport, sizeof(defport), "%d", CHAT_DEFAULT_PORT);
		port = defport;
	}
	if (!host_valid(host, v6)) {
		snprintf(err, errlen, "not a host name or address: '%s'", host);
		return -1;
	}
	if (!port_valid(port)) {
		snprintf(err, errlen, "port: expected a number 1..65535, not '%s'",
			 port);
		return -1;
	}
	if (l->n == CLIENT_SERVERS_MAX) {
		snprintf(err, errlen, "at most %u servers", CLIENT_SERVERS_MAX);
		return -1;
	}
	s = &l->list[l->n++];
	snprintf(s->host, sizeof(s->host), "%s", host);
	snprintf(s->port, sizeof(s->port), "%s", port);
	snprintf(s->label, sizeof(s->label), v6 ? "[%s]:%s" : "%s:%s", host, port);
	return 0;
}

int client_servers_add_arg(struct client_servers *l, const char *arg,
			   char *err, size_t errlen)
{
	char host[256];
	const char *colon, *port;
	size_t hlen;

	if (arg[0] == '[') {
		const char *close = strchr(arg, ']');

		if (!close || close[1] != ':') {
			snprintf(err, errlen, "expected [ADDRESS]:PORT, not '%s'", arg);
			return -1;
		}
		hlen = (size_t)(close - arg - 1);
		port = close + 2;
		arg++;
		if (!hlen || !memchr(arg, ':', hlen)) {
			snprintf(err, errlen, "brackets are for IPv6 addresses: '%.*s'",
				 (int)hlen, arg);
			return -1;
		}
	} else {
		colon = strrchr(arg, ':');
		if (!colon) {
			snprintf(err, errlen, "expected HOST:PORT, not '%s'", arg);
			return -1;
		}
		if (memchr(arg, ':', (size_t)(colon - arg))) {
			snprintf(err, errlen, "an IPv6 address goes in brackets: [ADDRESS]:PORT, not '%s'",
				 arg);
			return -1;
		}
		hlen = (size_t)(colon - arg);
		port = colon + 1;
	}
	if (hlen >= sizeof(host)) {
		snprintf(err, errlen, "host name too long");
		return -1;
	}
	memcpy(host, arg, hlen);
	host[hlen] = '\0';
	return client_servers_add(l, host, port, err, errlen);
}

const struct client_server *client_servers_current(const struct client_servers *l)
{
	return l->n ? &l->list[l->cur] : NULL;
}

const struct client_server *client_servers_advance(struct client_servers *l)
{
	if (!l->n)
		return NULL;
	l->cur = (l->cur + 1) % l->n;
	return &l->list[l->cur];
}

uint64_t client_backoff_ms(unsigned failures, uint32_t rnd)
{
	uint64_t d = CLIENT_BACKOFF_BASE_MS;
	unsigned i;

	for (i = 0; i < failures && d < CLIENT_BACKOFF_CAP_MS; i++)
		d *= 2;
	if (d > CLIENT_BACKOFF_CAP_MS)
		d = CLIENT_BACKOFF_CAP_MS;
	/* factor 0.5 + rnd / 2^32, in [0.5, 1.5) */
	return d / 2 + (d * rnd >> 32);
}

uint64_t client_servers_next_delay(struct client_servers *l)
{
	uint32_t r = 0;
	uint64_t d;

	if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
		r = (uint32_t)clock_mono_ns();
	d = client_backoff_ms(l->failures, r);
	if (l->failures < 64)
		l->failures++;
	return d;
}

void client_servers_reset_backoff(struct client_servers *l)
{
	l->failures = 0;
}
