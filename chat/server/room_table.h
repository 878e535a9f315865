/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * room_table.h - the chat server's rooms.
 *
 * Owns: the rooms that have members, found by their opaque 16-byte id (a
 * hash table), each with its members (in no order, for fan-out), their
 * join order (member_index, for WHO pages) and its batch of joins and
 * leaves not yet sent (presence); the queue of rooms whose batch is
 * waiting, oldest first; and a count of the bytes all of it holds (for the
 * server's --max-memory).  A room exists while it has a local member: the
 * last local leave frees it, with a batch nobody is left to read.
 * A federated relay also keeps the room's remote members (members on other
 * relays, learnt over NATS): they count in the room's size, its WHO pages
 * and its presence batches, but get no fan-out here (their relay does
 * that); they are kept in a tree by id, each tagged with a mark so that a
 * relay's snapshot can replace what was known of that relay.
 * Does not own: the clients (a member points to its owner, which this
 * module never touches), frames and sockets (server.c sends the batches),
 * nor any meaning of the id: the server never learns a room's name.
 */
#ifndef VCD_CHAT_ROOM_TABLE_H
#define VCD_CHAT_ROOM_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "proto/frame.h"
#include "member_index.h"
#include "presence.h"

struct room;
struct room_history;

/* One client's membership of one room. */
struct room_member {
	struct room *room;
	void *owner;		/* the server's client; NULL for a remote member */
	uint32_t id;		/* its connection id */
	uint32_t slot;		/* index in the room's member array */
	uint64_t seq;		/* its place in the join order */
	uint64_t mark;		/* remote: the snapshot that last listed it */
	struct presence_ref pres;
};

struct room {
	uint8_t id[CHAT_ROOM_ID_LEN];
	struct room_member **m;	/* the local members, m[i]->slot == i */
	uint32_t n, cap;
	void *remote;		/* tsearch tree of remote members, by id */
	uint32_t nremote;
	void *link;		/* the server's (its NATS subscription) */
	uint8_t sync_left;	/* the server's: SYNC requests still to repeat */
	struct room_history *hist;	/* the server's: recent messages */
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

/* Members, local and remote. */
uint32_t room_size(const struct room *r);

/*
 * A member of another relay (connection id cid) is in room r since now_ms;
 * its mark is set to `mark`.  0 when it was new (its join is in the
 * batch), 1 when it was known already (only the mark changes), -ENOMEM.
 */
int room_remote_join(struct room_table *t, struct room *r, uint32_t cid,
		     uint64_t mark, uint64_t now_ms);
/* That remote member left (reason: chat_leave_reason): 0, or -ENOENT when
 * it was not known, -ENOMEM when the leave could not be recorded. */
int room_remote_leave(struct room_table *t, struct room *r, uint32_t cid,
		      uint8_t reason, uint64_t now_ms);
/* Every remote member whose id is relay's (top byte) and whose mark is not
 * `keep` (all of them for keep 0) leaves with reason.  Returns how many. */
uint32_t room_remote_sweep(struct room_table *t, struct room *r, uint8_t relay,
			   uint64_t keep, uint8_t reason, uint64_t now_ms);
/* fn for every room (fn may change the room's remote members and batch,
 * not free it nor its local members). */
void room_each(struct room_table *t, void (*fn)(struct room *r, void *arg), void *arg);

/* The room whose batch has waited longest, or NULL; its first event was at
 * r->pres.since_ms. */
struct room *room_waiting(const struct room_table *t);
/* Take the next PRESENCE frame of r's batch: encode it into out, which
 * holds presence_next_len(&r->pres) bytes (see presence.h).  The room
 * leaves the queue when its batch is empty. */
size_t room_presence_next(struct room_table *t, struct room *r, uint8_t *out,
			  uint64_t unix_ms);

#endif /* VCD_CHAT_ROOM_TABLE_H */
