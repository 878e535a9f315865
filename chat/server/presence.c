/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * presence.c - the pending batch of joins and leaves (see presence.h).
 */
#include "presence.h"

#include <errno.h>
#include <stdlib.h>

#define MIN_CAP		64

void presence_init(struct presence *p)
{
	p->e = NULL;
	p->len = p->cap = p->live = p->sent = 0;
	p->gen = 1;
	p->since_ms = 0;
}

void presence_free(struct presence *p)
{
	free(p->e);
	presence_init(p);
}

static int append(struct presence *p, uint32_t id, uint8_t event, uint8_t reason,
		  uint64_t now_ms)
{
	if (p->len == p->cap) {
		uint32_t cap = p->cap ? p->cap * 2 : MIN_CAP;
		struct chat_presence_entry *e = realloc(p->e, cap * sizeof(*e));

		if (!e)
			return -ENOMEM;
		p->e = e;
		p->cap = cap;
	}
	if (!p->live)
		p->since_ms = now_ms;
	p->e[p->len].id = id;
	p->e[p->len].event = event;
	p->e[p->len].reason = reason;
	p->len++;
	p->live++;
	return 0;
}

int presence_joined(struct presence *p, uint32_t id, struct presence_ref *ref,
		    uint64_t now_ms)
{
	int rc = append(p, id, CHAT_PRES_JOINED, 0, now_ms);

	ref->gen = rc ? 0 : p->gen;
	ref->idx = p->len - 1;
	return rc;
}

int presence_left(struct presence *p, uint32_t id, uint8_t reason,
		  struct presence_ref *ref, uint64_t now_ms)
{
	/* Its join is still here, unsent: neither goes out. */
	if (ref->gen == p->gen && ref->idx >= p->sent && ref->idx < p->len &&
	    p->e[ref->idx].id == id && p->e[ref->idx].event == CHAT_PRES_JOINED) {
		p->e[ref->idx].event = 0;
		p->live--;
		ref->gen = 0;
		return 0;
	}
	ref->gen = 0;
	return append(p, id, CHAT_PRES_LEFT, reason, now_ms);
}

uint32_t presence_pending(const struct presence *p)
{
	return p->live;
}

size_t presence_next_len(const struct presence *p)
{
	if (!p->live)
		return 0;
	return CHAT_PRESENCE_FRAME_LEN(p->live < CHAT_PRESENCE_MAX ?
				       p->live : CHAT_PRESENCE_MAX);
}

size_t presence_encode_next(struct presence *p, uint8_t *out, const uint8_t *room,
			    uint64_t unix_ms, uint32_t clients)
{
	struct chat_presence_entry *e = p->e;
	uint32_t n = 0, i;
	size_t len;

	/* Squeeze the next live entries together at the unsent start. */
	for (i = p->sent; i < p->len && n < CHAT_PRESENCE_MAX; i++)
		if (e[i].event)
			e[p->sent + n++] = e[i];
	len = chat_presence_encode(out, room, unix_ms, clients, e + p->sent, n);
	/* The entries between sent+n and i were moved or cancelled. */
	p->live -= n;
	if (!p->live) {
		p->len = p->sent = 0;
		p->gen++;
		if (p->cap > 4 * MIN_CAP) {
			free(p->e);
			p->e = NULL;
			p->cap = 0;
		}
	} else {
		/* Keep the rest where it is: mark what was squeezed as sent. */
		uint32_t j;

		for (j = p->sent + n; j < i; j++)
			e[j].event = 0;
		p->sent = i;
	}
	return len;
}

size_t presence_bytes(const struct presence *p)
{
	return p->cap * sizeof(*p->e);
}
