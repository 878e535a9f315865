/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench.h - shared state of chat-bench (a load generator for chat servers).
 *
 * Owns: the run's options, the connection table, counters and the
 * interface between the phases (bench_main.c) and the per-connection
 * protocol work (bench_conn.c).  Does not own: the latency histogram
 * (bench_stats.c) or the server under test.
 *
 * Modes: frames (our protocol; SEND an opaque body, or a body sealed with
 * chat/proto/room_crypto.h when --passphrase is given), raw (newline-delimited
 * text, for `ncat --broker`), redis and nats (pub/sub on one channel with
 * the raw text as payload, chat/bench/bench_peers.h).  Every message body starts with the send time
 * (CLOCK_MONOTONIC ns), the sender's index and a sequence number, so a
 * receiver in the same process computes latency and checks order.
 * Several servers (--server, repeated: federated relays): clients are dealt
 * round-robin over them, senders too, and latency is also kept apart for
 * receivers on the sender's server and on another one.
 * --ramp: most clients connect while the senders send (a reconnect storm);
 * a client owes the messages stamped after its join (bconn.join_ns).
 */
#ifndef VCD_CHAT_BENCH_H
#define VCD_CHAT_BENCH_H

#include <stddef.h>
#include <stdint.h>

#include "bench_stats.h"
#include "client/client_servers.h"
#include "proto/event_loop.h"
#include "proto/frame.h"

struct room_ctx;
struct room_keys;
struct replay_guard;
struct ce_engine;

enum bench_mode { BENCH_FRAMES, BENCH_RAW, BENCH_REDIS, BENCH_NATS };

enum bconn_state { BC_IDLE, BC_CONNECTING, BC_CONNECTED, BC_OPEN, BC_CLOSED };

struct bconn {
	struct ev_watch w;
	uint32_t idx;		/* index in bench.conns */
	uint32_t id;		/* server-assigned id (frames) */
	int32_t sender;		/* sender index, or -1 */
	uint8_t state;
	uint8_t srv;		/* index in bench.target: idx % n_targets */
	uint64_t got;		/* messages delivered to this client */
	uint64_t got_owed;	/* of those, sent after it joined (expected) */
	uint64_t owed_from;	/* bench.sent_all when it joined */
	uint64_t connect_ns;	/* when connect() was called */
	uint64_t join_ns;	/* when it was in the room (JOINED; raw: connected) */
	uint8_t greeted;	/* raw: has seen a roll-call line */
	uint8_t *in;		/* unparsed input (partial frame or line) */
	uint32_t in_len, in_cap;
	uint8_t *out;		/* senders: bytes not yet written */
	size_t out_len, out_off, out_cap;
};

/* One server under test (--server, or --host/--port). */
struct bench_target {
	int family;
	uint8_t addr[28];	/* struct sockaddr_storage-sized enough */
	uint32_t addr_len;
	uint32_t clients, senders;	/* of ours connecting to it */
};

struct bench {
	/* options */
	struct client_servers servers;	/* as given, in order */
	uint32_t clients, senders;
	double rate;		/* msgs/s per sender, 0 = as fast as taken */
	uint32_t size;		/* message body bytes */
	double seconds, hold;
	double ramp;		/* --ramp: seconds over which the late clients join */
	uint32_t early;		/* --ramp: clients connected before sending */
	uint32_t window;	/* rate 0: messages in flight per sender */
	enum bench_mode mode;
	const char *passphrase;
	int open_all;		/* every receiver opens (else the probe only) */
	int verbose;
	uint64_t spin_ns;	/* keep polling this long after the last event */

	struct ev_loop *loop;
	struct bconn *conns;
	uint8_t *scratch;
	uint8_t room[CHAT_ROOM_ID_LEN];	/* the room every client joins */
	/* Client i connects to target[i % n_targets], senders included. */
	struct bench_target target[CLIENT_SERVERS_MAX];
	uint32_t n_targets;

	/* progress */
	uint32_t n_connecting, n_ready, n_closed, n_greeted;
	uint64_t bytes_in;	/* every byte read, for the settle phase */
	int sending;		/* senders may send */
	int measuring;		/* deliveries count toward the rate */
	uint64_t t0_ns, t_end_ns;
	uint64_t last_event_ns;	/* when a loop turn last saw events */
	uint64_t last_join_ns;	/* latest join_ns of any client */
	uint32_t ramp_next;	/* --ramp: next client to connect */
	uint32_t n_join_failed;	/* clients closed (as errors) before joining */

	/* per sender */
	uint64_t *sent;		/* messages sent */
	uint64_t sent_all;	/* sum of sent[] */
	/* --ramp: next sequence number client i may get from sender s, at
	 * [i * senders + s] (a lower one is a duplicate or out of order) */
	uint32_t *next_seq;
	uint64_t *probe_got;	/* of those, received by the probe */
	uint64_t *next_ns;	/* rate > 0: time of the next send */
	uint32_t probe;		/* receiver whose progress paces rate 0 */

	/* results */
	struct lat_hist lat;
	/* Several servers: the same split by whether the receiver's server is
	 * the sender's (same) or another one (cross: relayed between them). */
	struct lat_hist lat_same, lat_cross;
	uint64_t deliveries;		/* all */
	uint64_t deliveries_window;	/* between t0 and t_end */
	uint64_t deliveries_owed;	/* of messages sent after the receiver joined */
	struct lat_hist join_lat;	/* --ramp: late clients' connect() to JOINED */
	uint64_t errors;

	/* e2e (frames + --passphrase) */
	struct ce_engine *eng;
	struct room_keys *keys;		/* --passphrase: until the contexts exist */
	struct room_ctx **seal;		/* one per sender */
	struct room_ctx *open;		/* for receiving */
	struct replay_guard *guards;	/* one per client */
	uint32_t *sender_of_id;		/* server id -> sender index + 1 */
	uint32_t max_id;
};

uint64_t bench_now_ns(void);
void bench_error(struct bench *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* bench_conn.c */
int bconn_connect(struct bench *b, struct bconn *c);
void bconn_close(struct bench *b, struct bconn *c, int is_error);
/* Queue one message from sender c and try to write it. 0 or -1. */
int bconn_send_one(struct bench *b, struct bconn *c);
/* Raw mode: queue a text line (with its newline). 0 or -1. */
int bconn_send_text(struct bench *b, struct bconn *c, const char *line);
/* Write what is queued; watch for writability while anything remains. */
void bconn_flush(struct bench *b, struct bconn *c);

#endif /* VCD_CHAT_BENCH_H */
