/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * member_index.h - the connected clients in the order they joined, for
 * paging through them (WHO).
 *
 * Owns: an array of (join sequence number, id) sorted by sequence number;
 * a client that leaves is marked dead in place and the array is compacted
 * once half of it is dead, so joining, leaving (a binary search) and
 * reading one page (a binary search, then the page) stay cheap with a
 * million clients.  The sequence numbers are the WHO cursors: a page
 * lists clients that joined after the cursor, so a listing taken page by
 * page while clients come and go shows every client present throughout
 * exactly once.
 * Does not own: ids or clients themselves.
 */
#ifndef VCD_CHAT_MEMBER_INDEX_H
#define VCD_CHAT_MEMBER_INDEX_H

#include <stddef.h>
#include <stdint.h>

struct member_slot {
	uint64_t seq;
	uint32_t id;		/* 0: the client left */
};

struct member_index {
	struct member_slot *v;
	size_t len, cap, dead;
	uint64_t last_seq;
};

void member_index_init(struct member_index *m);
void member_index_free(struct member_index *m);
/* A client with this id (non-zero) joined: its sequence number in *seq.
 * 0 or -ENOMEM. */
int member_index_add(struct member_index *m, uint32_t id, uint64_t *seq);
/* The client that joined as seq left. */
void member_index_remove(struct member_index *m, uint64_t seq);
/* Up to max (>= 1) ids of clients that joined after cursor into ids[], their
 * number in *n; *next is the cursor of the following page, or 0 when no
 * client after this page is connected. */
void member_index_page(const struct member_index *m, uint64_t cursor,
		       uint32_t *ids, uint32_t max, uint32_t *n, uint64_t *next);
size_t member_index_bytes(const struct member_index *m);

#endif /* VCD_CHAT_MEMBER_INDEX_H */
