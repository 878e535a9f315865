/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * relay_peers.h - the other relays of a federation, as one relay knows them.
 *
 * Owns: for each relay number (1..255) the instance (random id drawn at
 * its start) last heard from and when; telling a relay that appears (new,
 * back after it expired, or restarted with a new instance) from one
 * already known; and expiring relays not heard from for FED_EXPIRE_MS.
 * Pure bookkeeping, no I/O: the server decides what an appearance or an
 * expiry means for its rooms.
 * Does not own: the message format (fed_wire.h), NATS (federation.h).
 */
#ifndef VCD_CHAT_RELAY_PEERS_H
#define VCD_CHAT_RELAY_PEERS_H

#include <stdint.h>

/* Every relay says it is alive this often; one silent for FED_EXPIRE_MS is
 * taken as gone (its members leave everyone's rooms). */
#define FED_HEARTBEAT_MS	1000u
#define FED_EXPIRE_MS		3500u

struct relay_peer {
	uint64_t instance;	/* 0: not known (never heard, or expired) */
	uint64_t last_ms;	/* monotonic ms of the last message from it */
};

struct relay_peers {
	struct relay_peer p[256];
	uint32_t live;
};

enum peer_seen {
	PEER_KNOWN,		/* heard from before, still alive */
	PEER_NEW,		/* not known until now */
	PEER_RESTARTED,		/* known with another instance: that one is gone */
};

void relay_peers_init(struct relay_peers *t);
/* A message from relay number `relay`, instance `instance`, at now_ms. */
enum peer_seen relay_peers_seen(struct relay_peers *t, uint8_t relay,
				uint64_t instance, uint64_t now_ms);
/* The next relay silent for FED_EXPIRE_MS at now_ms, forgotten; 0 when none. */
uint8_t relay_peers_expire(struct relay_peers *t, uint64_t now_ms);
/* When relay_peers_expire has something next (UINT64_MAX: no relay known). */
uint64_t relay_peers_next_due(const struct relay_peers *t);
/* Forget every relay (our NATS connection is gone for good). */
void relay_peers_clear(struct relay_peers *t);

#endif /* VCD_CHAT_RELAY_PEERS_H */
