/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fed_wire.h - the messages chat-server relays exchange over NATS.
 *
 * Owns: the byte layout of a federation message (docs/federation.md), its
 * encoder, and its parser, which takes any bytes from the network and
 * either rejects them or returns a message whose every field was checked
 * (lengths exact, counts within their limits, connection ids non-zero and
 * in the sending relay's range); and the NATS subject names.
 * Does not own: NATS itself (federation.c), what a relay does with a
 * message (server.c), nor any meaning of a room id or of the sealed bytes,
 * which stay as opaque here as in the relay.
 */
#ifndef VCD_CHAT_FED_WIRE_H
#define VCD_CHAT_FED_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "proto/frame.h"

#define FED_VERSION		1
#define FED_HDR_LEN		12	/* version, type, relay, 0, u64 instance */
#define FED_ROOM_HDR_LEN	(FED_HDR_LEN + CHAT_ROOM_ID_LEN)
#define FED_MSG_HDR_LEN		(FED_ROOM_HDR_LEN + 12)	/* u32 sender, u64 ms */
/* Ids in one SNAPSHOT: 800 KB, under nats-server's default 1 MB payload. */
#define FED_SNAPSHOT_MAX	200000u
/* A relay's connection ids: its number in the top byte. */
#define FED_ID_SHIFT		24
#define FED_ID_RELAY(id)	((uint8_t)((id) >> FED_ID_SHIFT))

/* Subjects: two per room (its messages, which the JetStream stream
 * FED_HISTORY_STREAM keeps, and its presence), one for relay heartbeats. */
#define FED_SUBJECT_PREFIX	"vcdchat.room."
#define FED_SUBJECT_MSG		".msg"	/* MSG */
#define FED_SUBJECT_CTL		".ctl"	/* JOIN, LEAVE, SNAPSHOT, SYNC */
#define FED_SUBJECT_ANY		".*"	/* a relay subscribes to both */
#define FED_RELAYS_SUBJECT	"vcdchat.relays"
#define FED_HISTORY_STREAM	"VCDCHAT_HISTORY"
#define FED_HISTORY_SUBJECTS	FED_SUBJECT_PREFIX "*" FED_SUBJECT_MSG
#define FED_SUBJECT_LEN		(sizeof(FED_SUBJECT_PREFIX) + 2 * CHAT_ROOM_ID_LEN + 4)

enum fed_type {
	FED_T_MSG = 1,		/* room: a SEND of one of the relay's members */
	FED_T_JOIN = 2,		/* room: a member joined on that relay */
	FED_T_LEAVE = 3,	/* room: a member left it (with a reason) */
	FED_T_SNAPSHOT = 4,	/* room: all of that relay's members of the room */
	FED_T_SYNC = 5,		/* room: "send me your snapshot of this room" */
	FED_T_HEARTBEAT = 6,	/* relays: I am alive */
	FED_T_RESYNC = 7,	/* relays: relay `target` (0: all), send snapshots */
};

struct fed_msg {
	uint8_t type;		/* enum fed_type */
	uint8_t relay;		/* the sender's relay number, 1..255 */
	uint64_t instance;	/* the sender relay's random id, non-zero */
	const uint8_t *room;	/* room types: 16 bytes; else NULL */
	uint32_t id;		/* MSG: sender; JOIN, LEAVE: the member */
	uint8_t reason;		/* LEAVE: chat_leave_reason */
	uint64_t unix_ms;	/* MSG: the origin relay's clock */
	uint64_t target;	/* RESYNC: an instance, or 0 */
	const uint8_t *data;	/* MSG: sealed bytes; SNAPSHOT: u32 ids, BE */
	uint32_t len;		/* MSG: bytes; SNAPSHOT: number of ids */
};

/* 1 when the type travels on a room's subject. */
int fed_type_is_room(uint8_t type);
/* Parse len bytes; 0, or -EBADMSG for anything not exactly as specified.
 * m then points into p. */
int fed_parse(const uint8_t *p, size_t len, struct fed_msg *m);
/* The i-th id of a parsed SNAPSHOT. */
uint32_t fed_snapshot_id(const struct fed_msg *m, uint32_t i);
/* Bytes fed_encode writes for m (for SNAPSHOT, m->len ids from ids[]). */
size_t fed_len(const struct fed_msg *m);
/* Encode m into out (fed_len bytes); SNAPSHOT takes its ids from ids[]. */
size_t fed_encode(uint8_t *out, const struct fed_msg *m, const uint32_t *ids);
/* The subject a room message of this type travels on,
 * "vcdchat.room.<32 lower-case hex digits>.msg" or ".ctl", into
 * out[FED_SUBJECT_LEN]; type 0: the wildcard ".*" a relay subscribes to. */
void fed_room_subject(char *out, const uint8_t *room, uint8_t type);

#endif /* VCD_CHAT_FED_WIRE_H */
