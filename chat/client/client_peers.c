/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * client_peers.c - the id -> peer table of a client (see client_peers.h).
 * Linear probing over a power-of-two array kept at most half full.
 */
#include "client_peers.h"

#include <stdlib.h>
#include <string.h>

static size_t slot_of(uint32_t id, size_t cap)
{
	return (size_t)(id * 2654435761u) & (cap - 1);
}

struct client_peer *client_peer_find(const struct client_peers *t, uint32_t id)
{
	if (!t->cap)
		return NULL;
	for (size_t i = slot_of(id, t->cap);; i = (i + 1) & (t->cap - 1)) {
		if (!t->slots[i].used)
			return NULL;
		if (t->slots[i].id == id)
			return &t->slots[i];
	}
}

static int grow(struct client_peers *t)
{
	size_t ncap = t->cap ? t->cap * 2 : 16;
	struct client_peer *ns = calloc(ncap, sizeof(*ns));

	if (!ns)
		return -1;
	for (size_t i = 0; i < t->cap; i++) {
		size_t j;

		if (!t->slots[i].used)
			continue;
		for (j = slot_of(t->slots[i].id, ncap); ns[j].used;
		     j = (j + 1) & (ncap - 1))
			;
		ns[j] = t->slots[i];
	}
	free(t->slots);
	t->slots = ns;
	t->cap = ncap;
	return 0;
}

struct client_peer *client_peer_get(struct client_peers *t, uint32_t id)
{
	struct client_peer *p = client_peer_find(t, id);
	size_t i;

	if (p)
		return p;
	if ((t->count + 1) * 2 > t->cap && grow(t))
		return NULL;
	for (i = slot_of(id, t->cap); t->slots[i].used; i = (i + 1) & (t->cap - 1))
		;
	p = &t->slots[i];
	memset(p, 0, sizeof(*p));
	p->used = 1;
	p->id = id;
	t->count++;
	return p;
}

void client_peers_free(struct client_peers *t)
{
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

struct client_peer *client_peers_nick_taken(const struct client_peers *t,
					    const char *nick,
					    const struct client_peer *except)
{
	size_t i;

	for (i = 0; i < t->cap; i++) {
		struct client_peer *p = &t->slots[i];

		if (p->used && p != except && p->present && !strcmp(p->nick, nick))
			return p;
	}
	return NULL;
}

struct client_peer *client_peers_same_member(const struct client_peers *t,
					     const char *nick, uint64_t epoch,
					     const struct client_peer *except)
{
	size_t i;

	for (i = 0; i < t->cap; i++) {
		struct client_peer *p = &t->slots[i];

		if (p->used && p != except && p->present && p->epoch == epoch &&
		    p->nick[0] && !strcmp(p->nick, nick))
			return p;
	}
	return NULL;
}
