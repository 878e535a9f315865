/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * federation.h - one relay's connection to the NATS cluster.
 *
 * Owns: the libnats connection (servers, reconnecting forever with a
 * growing delay and jitter, which libnats does on its own threads), the
 * subscriptions (one per room with local members, one for the relays'
 * heartbeats), publishing, and handing what arrives to the event loop's
 * thread: libnats callbacks only append to a locked queue and wake an
 * eventfd; fed_drain, on the loop thread, parses each message (fed_wire.c)
 * and passes the well-formed ones on.  Malformed ones, and those on a
 * subject that does not match their content, are dropped and counted.
 * With history on, also the JetStream stream of the rooms' messages and
 * fetching a room's stored messages, on a worker thread.
 * Does not own: what a message means to the relay (server.c), the wire
 * layout (fed_wire.c), the other relays' liveness (relay_peers.c).
 */
#ifndef VCD_CHAT_FEDERATION_H
#define VCD_CHAT_FEDERATION_H

#include <stddef.h>
#include <stdint.h>

#include "fed_wire.h"

struct fed;
struct fed_sub;			/* one room's subscription */

/* Queued messages beyond this are dropped (the loop is not keeping up). */
#define FED_QUEUE_MAX		65536u

enum fed_state { FED_DISCONNECTED, FED_CONNECTED };

struct fed_handlers {
	void (*msg)(void *arg, const struct fed_msg *m);
	/* A MSG of a room's history, fetched from JetStream (fed_history_fetch):
	 * possibly one this relay already has. */
	void (*history)(void *arg, const struct fed_msg *m);
	void (*state)(void *arg, enum fed_state st, const char *url);
	void *arg;
};

/*
 * Start connecting to the comma-separated NATS URLs (nats://host:port or
 * host:port).  Returns at once: an unreachable cluster is retried in the
 * background.  NULL with a message in err for bad URLs or no memory.
 */
struct fed *fed_new(const char *urls, char *err, size_t errlen);
void fed_free(struct fed *f);
/* The descriptor to watch for reading; then call fed_drain. */
int fed_fd(const struct fed *f);
/* On the loop thread: handle up to max queued events; 1 when some are left. */
int fed_drain(struct fed *f, const struct fed_handlers *h, unsigned max);
/* Messages dropped so far as malformed (for logs and tests). */
uint64_t fed_malformed(const struct fed *f);

/* Subscribe to the relays' subject (once, at start). */
int fed_subscribe_relays(struct fed *f);
/* Subscribe to a room's subject; NULL on failure (logged). */
struct fed_sub *fed_subscribe_room(struct fed *f, const uint8_t *room);
void fed_unsubscribe(struct fed *f, struct fed_sub *s);
/* Publish m (room types on the room's subject, others on the relays'
 * subject); SNAPSHOT takes its ids from ids.  0 or -errno (not connected
 * and the reconnect buffer full, no memory). */
int fed_publish(struct fed *f, const struct fed_msg *m, const uint32_t *ids);

/*
 * Room history in JetStream (docs/federation.md, "History"): at every
 * (re)connection the stream FED_HISTORY_STREAM is created if missing, on
 * the subjects of the rooms' MSGs, keeping msgs per room for age_ms, in
 * `replicas` copies; from then on every MSG published by any relay is
 * stored.  JetStream calls block, so they run on a thread of their own;
 * results come back through the queue like any message.  0 or -errno.
 */
int fed_history_start(struct fed *f, uint32_t msgs, uint64_t age_ms,
		      unsigned replicas);
/* Fetch the stored MSGs of a room (oldest first, through h->history).
 * Nothing happens while JetStream is unavailable (logged once). */
void fed_history_fetch(struct fed *f, const uint8_t *room);
/* Now and then (each heartbeat): try again to make the stream if JetStream
 * was unavailable (a cluster still electing its JetStream leader, say). */
void fed_history_tick(struct fed *f);

#endif /* VCD_CHAT_FEDERATION_H */
