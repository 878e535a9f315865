/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * client_peers.h - what a client knows about the other members of one
 * room, keyed by connection id: nickname and sender epoch (learnt from
 * authenticated messages), whether the server says it is present, and
 * which warnings were already shown.
 *
 * Owns: the id -> peer table (open addressing, grows as needed) and the
 * question whether a nick is claimed by more than one present member.
 * Does not own: which messages were seen (replay_guard.h).
 */
#ifndef VCD_CHAT_CLIENT_PEERS_H
#define VCD_CHAT_CLIENT_PEERS_H

#include <stddef.h>
#include <stdint.h>

#include "client_body.h"

struct client_peer {
	uint32_t id;
	int used;
	char nick[CLIENT_NICK_MAX + 1];	/* "" when not known */
	uint64_t epoch;			/* of its latest authentic message */
	int present;			/* joined and not left, as far as we know */
	int warned_auth;		/* "cannot authenticate" shown once */
	int warned_replay;		/* "replayed" shown once */
	int warned_stale;		/* "too old" shown once */
	int warned_early;		/* "before you joined" shown once */
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
/* A present peer other than `except` that goes by nick, or NULL. */
struct client_peer *client_peers_nick_taken(const struct client_peers *t,
					    const char *nick,
					    const struct client_peer *except);
/* A present peer other than `except` with this nick and sender epoch: the
 * same member, connected again under another id (a client keeps its epoch
 * across reconnects, docs/e2e-encryption.md), or NULL. */
struct client_peer *client_peers_same_member(const struct client_peers *t,
					     const char *nick, uint64_t epoch,
					     const struct client_peer *except);
void client_peers_free(struct client_peers *t);

#endif /* VCD_CHAT_CLIENT_PEERS_H */
