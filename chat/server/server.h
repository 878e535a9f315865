/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server.h - the chat relay server: one event loop, many clients.
 *
 * Owns: the listening socket, the set of connected clients, per-client
 * input reassembly and output queues, room membership (JOIN, PART),
 * relaying SEND as RELAY to the room's other members, presence notices,
 * WHO pages, refusals, error and slow-reader
 * disconnects, the defences against hostile clients (rate limits,
 * handshake and idle timeouts with PING, the memory cap, the per-address
 * limit), the orderly shutdown on SIGINT/SIGTERM, and, with --nats, what
 * federation means for rooms: local SENDs, joins and leaves published once
 * per room, other relays' messages fanned out to local members, their
 * members kept as remote members, relays that fall silent expired
 * (docs/federation.md).
 * Does not own: command-line parsing (server_main.c), frame byte layout
 * (frame.c), the event loop mechanics (event_loop.c), buffer sharing
 * (outq.c), or the bookkeeping structures it uses (rate_limit.c,
 * timer_queue.c, addr_limit.c, id_alloc.c, room_table.c, member_index.c,
 * presence.c), nor NATS and the federation wire format (federation.c,
 * fed_wire.c, relay_peers.c).
 * It never sees plaintext: SEND payloads are opaque bytes.
 */
#ifndef VCD_CHAT_SERVER_H
#define VCD_CHAT_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "rate_limit.h"

#define CHAT_DEFAULT_MAX_CLIENTS	10000u
#define CHAT_DEFAULT_MAX_QUEUE		(1024u * 1024u)
#define CHAT_DEFAULT_MSG_RATE		50u	/* frames per second */
#define CHAT_DEFAULT_MSG_BURST		20u
#define CHAT_DEFAULT_BYTE_RATE		(256u * 1024u)	/* bytes per second */
#define CHAT_DEFAULT_BYTE_BURST		(1024u * 1024u)
#define CHAT_DEFAULT_FLOOD_TIMEOUT	10u	/* seconds over the limits */
#define CHAT_DEFAULT_HANDSHAKE_TIMEOUT	60u	/* seconds to the first frame */
#define CHAT_DEFAULT_IDLE_TIMEOUT	240u	/* PING after half of it */
#define CHAT_DEFAULT_MAX_MEMORY		(1024ull * 1024u * 1024u)
#define CHAT_DEFAULT_MAX_PER_ADDRESS	32u
#define CHAT_DEFAULT_MAX_ROOMS		64u	/* per connection */
#define CHAT_DEFAULT_HISTORY		200u	/* messages kept per room */
#define CHAT_DEFAULT_HISTORY_AGE	86400u	/* seconds (the most allowed) */
#define CHAT_DEFAULT_HISTORY_BYTES	(1024u * 1024u)	/* per room */
#define CHAT_HISTORY_MAX		10000u
#define CHAT_COALESCE_MAX_MS		1000u	/* --coalesce-ms */
#define CHAT_MAX_ROOMS_LIMIT		4096u
/* Joins and leaves are gathered this long into one PRESENCE frame. */
#define CHAT_PRESENCE_WINDOW_MS		100u

struct chat_server_opts {
	const char *listen;	/* numeric IPv4 or IPv6 address */
	unsigned port;
	uint32_t max_clients;
	size_t max_queue;	/* bytes queued for one client before SLOW */
	struct rate_cfg rate;	/* per connection; a rate of 0 = no limit */
	uint32_t flood_timeout;	/* s over the limits before FLOOD; 0 = never */
	uint32_t handshake_timeout;	/* s; 0 = none */
	uint32_t idle_timeout;	/* s; 0 = no keepalive */
	uint64_t max_memory;	/* bytes for all clients; 0 = no cap */
	uint32_t max_per_address;	/* connections; 0 = no limit */
	uint32_t who_page;	/* ids per WHO_REPLY, 1..CHAT_WHO_PAGE_MAX */
	uint32_t max_rooms;	/* rooms per connection, 1..CHAT_MAX_ROOMS_LIMIT */
	const char *nats;	/* NATS URLs, comma-separated; NULL: alone */
	uint32_t relay_id;	/* with nats: this relay's number, 1..255 */
	uint32_t history;	/* messages kept per room; 0 = no history */
	uint32_t history_age;	/* s */
	uint64_t history_bytes;	/* per room */
	uint32_t history_replicas;	/* of the JetStream stream, 1..5 */
	uint32_t write_threads;	/* besides the loop's, for fan-out writes */
	uint32_t coalesce_ms;	/* hold new output up to this after a drain */
	int verbose;		/* log connects and disconnects to stderr */
};

/* The defaults of every option (what chat-server --help shows). */
void chat_server_opts_default(struct chat_server_opts *o);

struct chat_server;

/* Bind, listen, set up signals.  NULL with a message in err on failure. */
struct chat_server *chat_server_new(const struct chat_server_opts *o,
				    char *err, size_t errlen);
/* Serve until SIGINT/SIGTERM; 0 after a clean shutdown, else -errno. */
int chat_server_run(struct chat_server *s);
/* Close every connection and free everything. */
void chat_server_free(struct chat_server *s);

#endif /* VCD_CHAT_SERVER_H */
