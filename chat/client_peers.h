/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * client_peers.h - what a client knows about the other members of the room,
 * keyed by connection id: nickname (learnt from authenticated messages),
 * the replay window, and which warnings were already shown.
 *
 * Owns: the id -> peer table (open addressing, grows as needed).
 * Does not own: the replay rule itself (room_window in room_crypto.h).
 * Entries are never removed while connected: the replay window of an id
 * must survive a LEFT notice, which the server alone asserts.
 */
#ifndef VCD_CHAT_CLIENT_PEERS_H
#define VCD_CHAT_CLIENT_PEERS_H

#include <stddef.h>
#include <stdint.h>

#include "client_body.h"
#include "room_crypto.h"

struct client_peer {
	uint32_t id;
	int used;
	char nick[CLIENT_NICK_MAX + 1];	/* "" when not known */
	struct room_window window;
	int warned_auth;		/* "cannot authenticate" shown once */
	int warned_replay;		/* "replayed/out of order" shown once */
};

struct client_peers {
	struct client_peer *slots;
	size_t cap;			/* power of two, 0 when empty */
	size_t count;
};

/* The peer for id, created (zeroed) if absent; NULL only when out of memory. */
struct client_peer *client_peer_get(struct client_peers *t, uint32_t id);
/* The peer for id or NULL. */
struct client_peer *client_peer_find(const struct client_peers *t, uint32_t id);
void client_peers_free(struct client_peers *t);

#endif /* VCD_CHAT_CLIENT_PEERS_H */
