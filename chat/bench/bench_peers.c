/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench_peers.c - Redis RESP3 and NATS text protocol for chat-bench (see
 * bench_peers.h).
 *
 * RESP3 (redis.io/docs/reference/protocol-spec): a value is a type byte, a
 * line up to CRLF, and for bulk strings that many bytes plus CRLF, for
 * aggregates (* > ~ %) that many further values (twice that for maps).  A
 * pub/sub message is the push [>3] "message" channel payload; the answer to
 * SUBSCRIBE is the push "subscribe" channel count.
 * NATS (docs.nats.io, client protocol): lines INFO, +OK, -ERR, PING, PONG,
 * and MSG <subject> <sid> [reply-to] <size> followed by the payload and
 * CRLF.  Readiness is the PONG to the PING sent after SUB, which the server
 * answers only once it has processed the SUB.
 */
#include "bench_peers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH	8
#define MAX_ELEMS	1024
#define MAX_BULK	(64u * 1024u * 1024u)

size_t peer_hello(enum bench_peer p, char *out)
{
	if (p == BENCH_PEER_REDIS)
		return (size_t)snprintf(out, 256, "HELLO 3\r\nSUBSCRIBE %s\r\n",
					BENCH_PEER_CHANNEL);
	return (size_t)snprintf(out, 256,
				"CONNECT {\"verbose\":false,\"pedantic\":false,\"echo\":false,"
				"\"name\":\"chat-bench\",\"lang\":\"c\",\"version\":\"1\","
				"\"protocol\":1}\r\nSUB %s 1\r\nPING\r\n",
				BENCH_PEER_CHANNEL);
}

size_t peer_publish_head(enum bench_peer p, size_t len, char *before)
{
	if (p == BENCH_PEER_REDIS)
		return (size_t)snprintf(before, 96, "*3\r\n$7\r\nPUBLISH\r\n$%zu\r\n%s\r\n$%zu\r\n",
					strlen(BENCH_PEER_CHANNEL), BENCH_PEER_CHANNEL,
					len);
	return (size_t)snprintf(before, 96, "PUB %s %zu\r\n", BENCH_PEER_CHANNEL, len);
}

/* The line at in (up to CRLF): its length without CRLF in *ll; 1, 0 when
 * incomplete, -1 when too long. */
static int line_at(const uint8_t *in, size_t n, size_t *ll)
{
	size_t lim = n < BENCH_PEER_LINE_MAX ? n : BENCH_PEER_LINE_MAX;
	const uint8_t *cr;

	for (size_t off = 0; off + 1 < lim; off = (size_t)(cr - in) + 1) {
		cr = memchr(in + off, '\r', lim - 1 - off);
		if (!cr)
			break;
		if (cr[1] == '\n') {
			*ll = (size_t)(cr - in);
			return 1;
		}
	}
	return n >= BENCH_PEER_LINE_MAX ? -1 : 0;
}

/* A decimal (optionally negative for RESP's -1 nulls) in in[0..len). */
static int number(const uint8_t *in, size_t len, long long *out)
{
	char buf[24];
	char *end;

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, in, len);
	buf[len] = '\0';
	*out = strtoll(buf, &end, 10);
	return *end ? -1 : 0;
}

struct resp_val {
	uint8_t type;
	const uint8_t *str;	/* simple/bulk/error strings */
	size_t len;
	long long count;	/* aggregates: elements */
};

/* One RESP value at in: bytes taken, 0 incomplete, -1 bad.  For the first
 * elements of an aggregate, their values go to kids[0..nkids). */
static long resp_value(const uint8_t *in, size_t n, int depth,
		       struct resp_val *v, struct resp_val *kids, size_t nkids)
{
	size_t ll, off;
	long long num, i, total;
	int rc;

	if (depth > MAX_DEPTH || n < 1)
		return n < 1 ? 0 : -1;
	rc = line_at(in, n, &ll);
	if (rc <= 0)
		return rc;
	v->type = in[0];
	v->str = in + 1;
	v->len = ll - 1;
	v->count = 0;
	off = ll + 2;
	switch (in[0]) {
	case '+': case '-': case ':': case '_': case ',': case '#': case '(':
		return (long)off;
	case '$': case '=': case '!':
		if (number(in + 1, ll - 1, &num))
			return -1;
		if (num < 0)		/* RESP2 null bulk */
			return (long)off;
		if ((unsigned long long)num > MAX_BULK)
			return -1;
		if (n - off < (size_t)num + 2)
			return 0;
		if (in[off + num] != '\r' || in[off + num + 1] != '\n')
			return -1;
		v->str = in + off;
		v->len = (size_t)num;
		return (long)(off + (size_t)num + 2);
	case '*': case '>': case '~': case '%': case '|':
		if (number(in + 1, ll - 1, &num))
			return -1;
		if (num < 0)
			return (long)off;
		if (num > MAX_ELEMS)
			return -1;
		total = in[0] == '%' || in[0] == '|' ? 2 * num : num;
		v->count = total;
		for (i = 0; i < total; i++) {
			struct resp_val k;
			long used = resp_value(in + off, n - off, depth + 1, &k, NULL, 0);

			if (used <= 0)
				return used;
			if (kids && (size_t)i < nkids)
				kids[i] = k;
			off += (size_t)used;
		}
		return (long)off;
	default:
		return -1;
	}
}

static int str_is(const struct resp_val *v, const char *s)
{
	return (v->type == '$' || v->type == '+') && v->len == strlen(s) &&
	       !memcmp(v->str, s, v->len);
}

static long redis_parse(const uint8_t *in, size_t n, struct peer_event *ev)
{
	struct resp_val v, k[3];
	long used = resp_value(in, n, 0, &v, k, 3);

	if (used <= 0)
		return used;
	ev->kind = PE_OTHER;
	if (v.type == '-' || v.type == '!') {
		ev->kind = PE_ERROR;
		ev->payload = v.str;
		ev->len = v.len;
	} else if ((v.type == '>' || v.type == '*') && v.count == 3 &&
		   str_is(&k[1], BENCH_PEER_CHANNEL)) {
		if (str_is(&k[0], "message") && k[2].type == '$') {
			ev->kind = PE_MESSAGE;
			ev->payload = k[2].str;
			ev->len = k[2].len;
		} else if (str_is(&k[0], "subscribe")) {
			ev->kind = PE_READY;
		}
	}
	return used;
}

static long nats_parse(const uint8_t *in, size_t n, struct peer_event *ev)
{
	size_t ll;
	int rc = line_at(in, n, &ll);

	if (rc <= 0)
		return rc;
	ev->kind = PE_OTHER;
	if (ll >= 4 && !memcmp(in, "MSG ", 4)) {
		/* MSG <subject> <sid> [reply-to] <#bytes>: the last field */
		size_t i = ll, take;
		long long size;

		while (i > 4 && in[i - 1] != ' ')
			i--;
		if (i <= 4 || number(in + i, ll - i, &size) || size < 0 ||
		    (unsigned long long)size > MAX_BULK)
			return -1;
		take = ll + 2 + (size_t)size + 2;
		if (n < take)
			return 0;
		if (in[take - 2] != '\r' || in[take - 1] != '\n')
			return -1;
		ev->kind = PE_MESSAGE;
		ev->payload = in + ll + 2;
		ev->len = (size_t)size;
		return (long)take;
	}
	if (ll == 4 && !memcmp(in, "PING", 4))
		ev->kind = PE_PING;
	else if (ll == 4 && !memcmp(in, "PONG", 4))
		ev->kind = PE_READY;
	else if (ll >= 4 && !memcmp(in, "-ERR", 4)) {
		ev->kind = PE_ERROR;
		ev->payload = in;
		ev->len = ll;
	} else if (!((ll >= 5 && !memcmp(in, "INFO ", 5)) ||
		     (ll == 3 && !memcmp(in, "+OK", 3)))) {
		return -1;
	}
	return (long)(ll + 2);
}

long peer_parse(enum bench_peer p, const uint8_t *in, size_t n,
		struct peer_event *ev)
{
	ev->payload = NULL;
	ev->len = 0;
	return p == BENCH_PEER_REDIS ? redis_parse(in, n, ev) : nats_parse(in, n, ev);
}
