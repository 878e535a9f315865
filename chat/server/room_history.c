/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * room_history.c - a room's recent messages (see room_history.h).
 *
 * A ring of entries ordered by the origin relay's clock: a message almost
 * always arrives newest, so adding is appending (and, once full, dropping
 * the oldest: no copying); one that arrives late (from JetStream, or from
 * a relay whose clock is behind) is moved into place.
 */
#include "room_history.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto/frame.h"
#include "proto/wire.h"

static struct history_entry *at(const struct room_history *h, uint32_t i)
{
	return &h->v[(h->head + i) % h->cap];
}

uint32_t history_count(const struct room_history *h)
{
	return h->n;
}

struct chat_buf *history_frame(const struct room_history *h, uint32_t i)
{
	return i < h->n ? at(h, i)->frame : NULL;
}

size_t history_bytes(const struct room_history *h)
{
	return h->bytes;
}

static void drop_oldest(struct room_history *h)
{
	struct history_entry *e = at(h, 0);

	h->bytes -= sizeof(struct chat_buf) + e->frame->len;
	chat_buf_put(e->frame);
	h->head = (h->head + 1) % h->cap;
	h->n--;
}

void history_expire(struct room_history *h, const struct history_cfg *cfg,
		    uint64_t now_ms)
{
	while (h->n && at(h, 0)->unix_ms + cfg->age_ms < now_ms)
		drop_oldest(h);
}

/* The same message: sender, time and sealed bytes (the frame's type byte
 * and room are the same for the whole room). */
static int same(const struct chat_buf *f, uint32_t sender, const uint8_t *msg,
		size_t len)
{
	const uint8_t *p = f->data + CHAT_HDR_LEN + CHAT_ROOM_ID_LEN;

	return f->len == CHAT_RELAY_HDR_LEN + len &&
	       wire_get32(p) == sender && !memcmp(f->data + CHAT_RELAY_HDR_LEN, msg, len);
}

static int grow(struct room_history *h, const struct history_cfg *cfg)
{
	uint32_t cap = h->cap ? h->cap * 2 : 8;
	struct history_entry *v;

	if (cap > cfg->msgs + 1)
		cap = cfg->msgs + 1;
	v = malloc((size_t)cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (uint32_t i = 0; i < h->n; i++)	/* unwrapped: oldest at 0 */
		v[i] = *at(h, i);
	free(h->v);
	h->head = 0;
	h->bytes += (size_t)(cap - h->cap) * sizeof(*v);
	h->v = v;
	h->cap = cap;
	return 0;
}

int history_add(struct room_history *h, const struct history_cfg *cfg,
		const uint8_t *room, uint32_t sender, uint64_t unix_ms,
		const uint8_t *msg, size_t len, uint64_t now_ms,
		struct chat_buf **frame)
{
	struct chat_buf *f;
	uint32_t pos, i;

	if (!cfg->msgs || unix_ms + cfg->age_ms < now_ms)
		return 0;
	/* Its place: after every message not newer than it. */
	pos = h->n;
	while (pos > 0 && at(h, pos - 1)->unix_ms > unix_ms)
		pos--;
	for (i = pos; i > 0 && at(h, i - 1)->unix_ms == unix_ms; i--)
		if (same(at(h, i - 1)->frame, sender, msg, len))
			return 0;
	if (pos == 0 && h->n >= cfg->msgs)
		return 0;	/* older than everything kept, and full */
	if (h->n == h->cap && grow(h, cfg) < 0)
		return -ENOMEM;
	f = chat_buf_new(CHAT_RELAY_HDR_LEN + len);
	if (!f)
		return -ENOMEM;
	chat_history_encode_hdr(f->data, room, sender, unix_ms, len);
	memcpy(f->data + CHAT_RELAY_HDR_LEN, msg, len);
	h->n++;
	for (i = h->n - 1; i > pos; i--)	/* rare: it arrived late */
		*at(h, i) = *at(h, i - 1);
	at(h, pos)->frame = f;
	at(h, pos)->unix_ms = unix_ms;
	h->bytes += sizeof(struct chat_buf) + f->len;
	/* Over a bound: the oldest go (the new one too, when it is one). */
	while (h->n > cfg->msgs || (h->n && h->bytes - (size_t)h->cap * sizeof(*h->v) >
				    cfg->bytes) ||
	       (h->n && at(h, 0)->unix_ms + cfg->age_ms < now_ms)) {
		drop_oldest(h);
		if (pos-- == 0)
			return 0;
	}
	if (frame)
		*frame = f;
	return 1;
}

void history_free(struct room_history *h)
{
	while (h->n)
		drop_oldest(h);
	free(h->v);
	memset(h, 0, sizeof(*h));
}
