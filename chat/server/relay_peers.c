/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * relay_peers.c - which other relays are alive (see relay_peers.h).  A
 * table of 256 slots indexed by relay number: at most 255 relays, so a
 * scan for expiry is cheap at heartbeat rates.
 */
#include "relay_peers.h"

#include <string.h>

void relay_peers_init(struct relay_peers *t)
{
	memset(t, 0, sizeof(*t));
}

enum peer_seen relay_peers_seen(struct relay_peers *t, uint8_t relay,
				uint64_t instance, uint64_t now_ms)
{
	struct relay_peer *p = &t->p[relay];
	enum peer_seen r = PEER_KNOWN;

	if (!p->instance) {
		r = PEER_NEW;
		t->live++;
	} else if (p->instance != instance) {
		r = PEER_RESTARTED;
	}
	p->instance = instance;
	p->last_ms = now_ms;
	return r;
}

uint8_t relay_peers_expire(struct relay_peers *t, uint64_t now_ms)
{
	unsigned i;

	for (i = 1; i < 256 && t->live; i++) {
		struct relay_peer *p = &t->p[i];

		if (p->instance && now_ms >= p->last_ms + FED_EXPIRE_MS) {
			p->instance = 0;
			t->live--;
			return (uint8_t)i;
		}
	}
	return 0;
}

uint64_t relay_peers_next_due(const struct relay_peers *t)
{
	uint64_t next = UINT64_MAX;
	unsigned i;

	for (i = 1; i < 256 && t->live; i++)
		if (t->p[i].instance && t->p[i].last_ms + FED_EXPIRE_MS < next)
			next = t->p[i].last_ms + FED_EXPIRE_MS;
	return next;
}

void relay_peers_clear(struct relay_peers *t)
{
	relay_peers_init(t);
}
