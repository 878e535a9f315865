/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * room_table.h - the chat server's rooms.
 *
 * Owns: the rooms that have members, found by their opaque 16-byte id (a
 * hash table), each with its members (in no order, for fan-out), their
 * join order (member_index, for WHO pages) and its batch of joins and
 * leaves not yet sent (presence); the queue of rooms whose batch is
 * waiting, oldest first; and a count of the bytes all of it holds (for the
 * server's --max-memory).  A room exists while it has a member: the last
 * leave frees it, with a batch nobody is left to read.
 * Does not own: the clients (a member points to its owner, which this
 * module never touches), frames and sockets (server.c sends the batches),
 * nor any meaning of the id: the server never learns a room's name.
 */
#ifndef VCD_CHAT_ROOM_TABLE_H
#define VCD_CHAT_ROOM_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"
#include "member_index.h"
#include "presence.h"

struct room;

/* One client's membership of one room. */
struct room_member {
	struct room *room;
	void *owner;		/* the server's client */
	uint32_t id;		/* its connection id */
	uint32_t slot;		/* index in the room's member array */
	uint64_t seq;		/* its place in the join order */
	struct presence_ref pres;
};

struct room {
	uint8_t id[CHAT_ROOM_ID_LEN];
	struct room_member **m;	/* the members, m[i]->slot == i */
	uint32_t n, cap;
	struct member_index order;
	struct presence pres;
	struct room *hnext;	/* hash chain */
	struct room *qnext, **qprev;	/* on the waiting-batch queue */
};

struct room_table {
	struct room **bucket;
	size_t nbucket, nrooms;
	struct room *qhead, **qtail;	/* rooms with a batch, oldest first */
	size_t bytes;
};

int room_table_init(struct room_table *t);
/* Frees every room and membership (the owners are not touched). */
void room_table_free(struct room_table *t);

/* The room with this id, or NULL when it has no members. */
struct room *room_find(const struct room_table *t, const uint8_t *id);

/*
 * owner (connection id cid) joins the room with this id, which is created
 * when new; its join goes into the room's batch at now_ms.  The caller
 * makes sure owner is not a member already.  NULL when out of memory.
 */
struct room_member *room_join(struct room_table *t, const uint8_t *id,
			      void *owner, uint32_t cid, uint64_t now_ms);
/*
 * The member leaves (reason: chat_leave_reason) and m is freed.  notify:
 * record the leave in the batch (0 when the server is stopping).  The room
 * is freed when it was the last member.  -ENOMEM when the leave could not
 * be recorded (the member is gone all the same).
 */
int room_leave(struct room_table *t, struct room_member *m, uint8_t reason,
	       int notify, uint64_t now_ms);

/* The room whose batch has waited longest, or NULL; its first event was at
 * r->pres.since_ms. */
struct room *room_waiting(const struct room_table *t);
/* Take the next PRESENCE frame of r's batch: encode it into out, which
 * holds presence_next_len(&r->pres) bytes (see presence.h).  The room
 * leaves the queue when its batch is empty. */
size_t room_presence_next(struct room_table *t, struct room *r, uint8_t *out,
			  uint64_t unix_ms);

#endif /* VCD_CHAT_ROOM_TABLE_H */
