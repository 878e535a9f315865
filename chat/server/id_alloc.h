/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * id_alloc.h - the connection ids chat-server hands out.
 *
 * Owns: ids 1..2^32-1 (or a range of them: a federated relay hands out
 * only ids with its relay number in the top byte) in increasing order;
 * when the counter passes the largest id it starts again at the first and
 * says so (the caller logs it), and
 * from then on skips every id still held by a connected client, so two
 * connected clients never share an id and 0 is never one.  The ids in use
 * are kept in a balanced tree (libc tsearch).
 * Does not own: clients, or what a wrap means to the protocol (see
 * docs/protocol.md: ids are unique among connected clients).
 */
#ifndef VCD_CHAT_ID_ALLOC_H
#define VCD_CHAT_ID_ALLOC_H

#include <stddef.h>
#include <stdint.h>

struct id_alloc {
	uint32_t last;		/* the id handed out last (lo - 1: none yet) */
	uint32_t lo, hi;	/* the range, 1 <= lo <= hi */
	uint64_t wraps;		/* times the counter started again at 1 */
	void *live;		/* tsearch tree of ids in use */
	size_t nlive;
};

/* Ids 1..2^32-1, starting after `last` (0 for a new server). */
void id_alloc_init(struct id_alloc *a, uint32_t last);
/* Only ids lo..hi (1 <= lo <= hi), starting after `last` (lo - 1 ..
 * hi); before the first id is taken. */
void id_alloc_set_range(struct id_alloc *a, uint32_t lo, uint32_t hi, uint32_t last);
/* The next free id in *id: 0, 1 when the counter wrapped to get it,
 * -ENOSPC when every id is in use, -ENOMEM. */
int id_alloc_take(struct id_alloc *a, uint32_t *id);
/* The client holding id left. */
void id_alloc_release(struct id_alloc *a, uint32_t id);
int id_alloc_in_use(const struct id_alloc *a, uint32_t id);
size_t id_alloc_bytes(const struct id_alloc *a);
void id_alloc_free(struct id_alloc *a);

#endif /* VCD_CHAT_ID_ALLOC_H */
