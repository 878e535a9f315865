/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench_peers.h - the wire protocols chat-bench speaks to the brokers it
 * compares chat-server with: Redis pub/sub (RESP3, so that one connection
 * both subscribes and publishes, as a chat member does) and NATS (its text
 * protocol, with echo off).  Every client subscribes to one channel or
 * subject, BENCH_PEER_CHANNEL; senders publish the same text payload that
 * --raw sends to ncat.
 *
 * Owns: what a client writes on connecting, the framing of a publish, and
 * splitting what the broker sends into events (ready, message, ping,
 * error, other).  Does not own: sockets, counting, the payload's meaning
 * (bench_conn.c).  Anything received is untrusted: the parser bounds every
 * length and nesting depth (tests/fuzz/fuzz_bench_peers.c).
 */
#ifndef VCD_CHAT_BENCH_PEERS_H
#define VCD_CHAT_BENCH_PEERS_H

#include <stddef.h>
#include <stdint.h>

#define BENCH_PEER_CHANNEL	"chatbench"
/* Longest line or bulk header accepted from a broker (NATS INFO is long). */
#define BENCH_PEER_LINE_MAX	65536

enum bench_peer { BENCH_PEER_REDIS, BENCH_PEER_NATS };

enum peer_event_kind {
	PE_OTHER,	/* a reply or notice chat-bench does not need */
	PE_READY,	/* the subscription is in place */
	PE_MESSAGE,	/* a message on the channel: payload, len */
	PE_PING,	/* NATS keepalive: answer "PONG\r\n" */
	PE_ERROR,	/* the broker reports an error */
};

struct peer_event {
	enum peer_event_kind kind;
	const uint8_t *payload;	/* PE_MESSAGE, PE_ERROR: into the input */
	size_t len;
};

/* What a client writes once connected (subscription and readiness probe).
 * Returns its length; out has room for 256 bytes. */
size_t peer_hello(enum bench_peer p, char *out);

/* The bytes before and after a payload of len bytes in a publish.  before
 * has room for 96 bytes; returns the lengths. */
size_t peer_publish_head(enum bench_peer p, size_t len, char *before);
#define PEER_PUBLISH_TAIL	"\r\n"

/*
 * One item from p[0..n): returns the bytes it takes (> 0) with *ev filled,
 * 0 when more input is needed, -1 when the input is not the protocol (or
 * exceeds the bounds above).
 */
long peer_parse(enum bench_peer p, const uint8_t *in, size_t n,
		struct peer_event *ev);

#endif /* VCD_CHAT_BENCH_PEERS_H */
