/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * presence.h - joins and leaves gathered into PRESENCE frames.
 *
 * Owns: the batch of presence events not yet sent (in the order they
 * happened), cancelling a join by the leave of the same connection while
 * both are still in the batch (a connection that came and went within one
 * batch costs nobody a byte), and encoding the batch as PRESENCE frames of
 * at most CHAT_PRESENCE_MAX entries.  One room has one batch, sent to all its members, so
 * n joins cost each client a few frames of 6 bytes per join instead of n
 * frames.
 * Does not own: when a batch is sent (the server: after a short window, and
 * before any RELAY so that order is kept) nor the room and its members (room_table.h).
 */
#ifndef VCD_CHAT_PRESENCE_H
#define VCD_CHAT_PRESENCE_H

#include <stddef.h>
#include <stdint.h>

#include "proto/frame.h"

/* Where a join sits in the batch, to cancel it. */
struct presence_ref {
	uint64_t gen;		/* batch generation; 0 = no join pending */
	uint32_t idx;
};

struct presence {
	struct chat_presence_entry *e;	/* entries; event 0 = cancelled */
	uint32_t len, cap, live;
	uint32_t sent;			/* entries already encoded */
	uint64_t gen;			/* current batch, starts at 1 */
	uint64_t since_ms;		/* time of the batch's first event */
};

void presence_init(struct presence *p);
void presence_free(struct presence *p);
/* Record events at now_ms: 0 or -ENOMEM. */
int presence_joined(struct presence *p, uint32_t id, struct presence_ref *ref,
		    uint64_t now_ms);
int presence_left(struct presence *p, uint32_t id, uint8_t reason,
		  struct presence_ref *ref, uint64_t now_ms);
/* Entries waiting to be sent. */
uint32_t presence_pending(const struct presence *p);
/* Length of the next frame (0 when nothing is pending). */
size_t presence_next_len(const struct presence *p);
/* Encode the next frame into out (presence_next_len bytes); once the last
 * entry is out, a new batch begins. */
size_t presence_encode_next(struct presence *p, uint8_t *out, const uint8_t *room,
			    uint64_t unix_ms, uint32_t clients);
size_t presence_bytes(const struct presence *p);

#endif /* VCD_CHAT_PRESENCE_H */
