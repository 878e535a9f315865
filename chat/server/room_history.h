/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * room_history.h - a room's recent messages, kept by the relay as the
 * sealed bytes it relayed, to be replayed to members who join later.
 *
 * Owns: one room's list of HISTORY frames (each the encoded frame, shared
 * with every joiner it is sent to), in the order of the origin relay's
 * clock, and its bounds: at most `msgs` messages, none older than
 * `age_ms`, at most `bytes` bytes (the oldest go first); recognising a
 * message it already holds (the same sender, time and bytes: what JetStream
 * returns may overlap what arrived live).
 * Does not own: where the messages come from (the server adds its members'
 * SENDs and what other relays forward; federation.c fetches the stored
 * ones from JetStream), sending them, or any meaning of the sealed bytes:
 * they stay as opaque here as in the rest of the relay.
 */
#ifndef VCD_CHAT_ROOM_HISTORY_H
#define VCD_CHAT_ROOM_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "outq.h"

struct history_cfg {
	uint32_t msgs;		/* 0: no history */
	uint64_t age_ms;	/* older messages are dropped */
	size_t bytes;		/* of frames, per room */
};

struct history_entry {
	struct chat_buf *frame;	/* a whole HISTORY frame */
	uint64_t unix_ms;	/* the origin relay's time */
};

struct room_history {
	struct history_entry *v;	/* a ring: v[head] is the oldest */
	uint32_t head, n, cap;
	size_t bytes;		/* frames + array */
};

/*
 * Add a message of room `room` (sender, origin time, sealed bytes) at
 * now_ms.  1 when added (*frame, when not NULL, is its HISTORY frame,
 * valid until the next call), 0 when it was already there or falls outside
 * the bounds at once, -ENOMEM.  Whatever falls outside the bounds goes.
 */
int history_add(struct room_history *h, const struct history_cfg *cfg,
		const uint8_t *room, uint32_t sender, uint64_t unix_ms,
		const uint8_t *msg, size_t len, uint64_t now_ms,
		struct chat_buf **frame);
/* Drop what is older than cfg->age_ms at now_ms. */
void history_expire(struct room_history *h, const struct history_cfg *cfg,
		    uint64_t now_ms);
/* Messages held, and the i-th (oldest first). */
uint32_t history_count(const struct room_history *h);
struct chat_buf *history_frame(const struct room_history *h, uint32_t i);
/* Bytes held (frames and the list), for the server's --max-memory. */
size_t history_bytes(const struct room_history *h);
void history_free(struct room_history *h);

#endif /* VCD_CHAT_ROOM_HISTORY_H */
