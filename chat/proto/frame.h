/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * frame.h - the chat wire protocol's framing: what the server sees.
 *
 * Owns: the 8-byte frame header, the frame type numbers, the limits, and
 * encoders/decoders for every frame the server itself produces or reads
 * (and the WHO request a client writes).
 * Does not own: the end-to-end encrypted payload carried opaquely inside
 * SEND/RELAY frames (chat/proto/room_crypto.h), sockets or buffering.
 * Rooms are named on the wire by an opaque 16-byte room id that clients
 * derive from the room key (chat/proto/room_crypto.h); the server never sees a
 * room's name.
 * docs/protocol.md is the normative description; keep both in step.
 *
 * Header (all integers big-endian):
 *   u8 version (CHAT_PROTO_VERSION) | u8 type | u16 flags (0) | u32 length
 * followed by `length` payload bytes, 0 <= length <= CHAT_MAX_PAYLOAD.
 */
#ifndef VCD_CHAT_FRAME_H
#define VCD_CHAT_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define CHAT_PROTO_VERSION	3
#define CHAT_HDR_LEN		8
#define CHAT_MAX_PAYLOAD	(256u * 1024u)	/* bytes after the header */
#define CHAT_ROOM_ID_LEN	16
/* Largest end-to-end message: its RELAY (room id, sender, time) must fit. */
#define CHAT_MAX_MSG		(CHAT_MAX_PAYLOAD - CHAT_ROOM_ID_LEN - 12u)
#define CHAT_DEFAULT_PORT	35001
/* Most ids in one WHO_REPLY and entries in one PRESENCE frame. */
#define CHAT_WHO_PAGE_MAX	16384u
#define CHAT_PRESENCE_MAX	8192u

enum chat_frame_type {
	/* client -> server */
	CHAT_T_SEND = 0x01,	/* room, opaque e2e message (1..CHAT_MAX_MSG) */
	CHAT_T_WHO = 0x02,	/* room, u64 cursor: a page of the room's members */
	CHAT_T_PONG = 0x03,	/* empty: answer to PING */
	CHAT_T_JOIN = 0x04,	/* room: become a member */
	CHAT_T_PART = 0x05,	/* room: stop being one */

	/* server -> client (0x83: LEFT of version 1) */
	CHAT_T_WELCOME = 0x81,	/* u32 your_id, u32 clients, u32 max_rooms */
	CHAT_T_JOINED = 0x82,	/* room, u32 members: you are in it */
	CHAT_T_RELAY = 0x84,	/* room, u32 sender_id, u64 unix_ms, e2e message */
	CHAT_T_WHO_REPLY = 0x85,/* room, u32 total, u64 next, u32 n, u32 id[n] */
	CHAT_T_REFUSED = 0x86,	/* u8 code (chat_error_code), UTF-8 reason; then close */
	CHAT_T_ERROR = 0x87,	/* u8 code (chat_error_code), UTF-8 reason; then close */
	CHAT_T_PING = 0x88,	/* empty: answer with PONG */
	CHAT_T_PRESENCE = 0x89,	/* room, u64 unix_ms, u32 members, u32 n, entries */
	CHAT_T_HISTORY = 0x8A,	/* as RELAY: a message sent before you joined */
};

enum chat_leave_reason {
	CHAT_LEAVE_QUIT = 0,	/* closed its connection */
	CHAT_LEAVE_SLOW = 1,	/* output queue overflowed: stopped reading */
	CHAT_LEAVE_ERROR = 2,	/* sent a malformed frame */
	CHAT_LEAVE_SHUTDOWN = 3,/* server is shutting down */
	CHAT_LEAVE_FLOOD = 4,	/* stayed over its rate limits */
	CHAT_LEAVE_TIMEOUT = 5,	/* no answer to PING in time */
	CHAT_LEAVE_MEMORY = 6,	/* held the most memory when the server ran out */
	CHAT_LEAVE_PART = 7,	/* left the room (PART), still connected */
};

enum chat_error_code {
	CHAT_ERR_FULL = 1,	/* REFUSED: --max-clients reached */
	CHAT_ERR_VERSION = 2,	/* frame with another protocol version */
	CHAT_ERR_MALFORMED = 3,	/* unknown type, bad flags, bad payload */
	CHAT_ERR_TOO_BIG = 4,	/* length > CHAT_MAX_PAYLOAD */
	CHAT_ERR_SLOW = 5,	/* your output queue overflowed */
	CHAT_ERR_SHUTDOWN = 6,	/* server is stopping */
	CHAT_ERR_FLOOD = 7,	/* you stayed over the rate limits */
	CHAT_ERR_TIMEOUT = 8,	/* no frame from you in time */
	CHAT_ERR_ADDRESS = 9,	/* REFUSED: too many connections from your address */
	CHAT_ERR_MEMORY = 10,	/* the server's memory limit */
	CHAT_ERR_ROOM = 11,	/* JOIN of a room you are in or beyond max_rooms;
				 * SEND, WHO or PART of a room you are not in */
};

struct chat_frame_hdr {
	uint8_t version;
	uint8_t type;
	uint16_t flags;
	uint32_t len;
};

/*
 * Parse a header from the first `avail` bytes of buf.
 * Returns 1 with *h filled when a valid header is there, 0 when fewer than
 * CHAT_HDR_LEN bytes are available, or a negative error:
 *   -EPROTONOSUPPORT  version != CHAT_PROTO_VERSION (h->version is set)
 *   -EMSGSIZE         len > CHAT_MAX_PAYLOAD
 *   -EBADMSG          flags != 0 or type not defined above
 */
int chat_hdr_parse(const uint8_t *buf, size_t avail, struct chat_frame_hdr *h);
/* The same, but 1 only when the whole frame (header and h->len payload
 * bytes) is in buf; 0 while it is not (for readers splitting a stream). */
int chat_frame_next(const uint8_t *buf, size_t avail, struct chat_frame_hdr *h);

/* Write a header for (type, len) into buf[CHAT_HDR_LEN]. */
void chat_hdr_put(uint8_t *buf, uint8_t type, uint32_t len);

/* Is this a type a client may send / a server may send? */
int chat_type_from_client(uint8_t type);
int chat_type_from_server(uint8_t type);

/* Decoded frames (payload only, header already parsed). */
struct chat_welcome {
	uint32_t your_id;
	uint32_t clients;	/* connected to the server, you included */
	uint32_t max_rooms;	/* rooms one connection may be in at once */
};
struct chat_joined {
	uint8_t room[CHAT_ROOM_ID_LEN];
	uint32_t members;	/* in the room, you included */
};
struct chat_send {		/* SEND as the server reads it */
	const uint8_t *room;	/* CHAT_ROOM_ID_LEN bytes, into the payload */
	const uint8_t *msg;
	size_t msg_len;
};
struct chat_relay {
	const uint8_t *room;	/* CHAT_ROOM_ID_LEN bytes, into the payload */
	uint32_t sender_id;
	uint64_t unix_ms;
	const uint8_t *msg;	/* points into the payload */
	size_t msg_len;
};
struct chat_reason {		/* REFUSED and ERROR */
	uint8_t code;
	char text[256];		/* NUL-terminated, control characters replaced */
};
struct chat_who_reply {
	const uint8_t *room;	/* decode: into the payload; encode: the room */
	uint32_t total;		/* members when the page was made */
	uint64_t next;		/* cursor for the next page, 0 after the last */
	uint32_t n;		/* ids in this page */
};
enum chat_presence_event { CHAT_PRES_JOINED = 1, CHAT_PRES_LEFT = 2 };
struct chat_presence_entry {
	uint32_t id;
	uint8_t event;		/* chat_presence_event */
	uint8_t reason;		/* LEFT: chat_leave_reason; JOINED: 0 */
};
struct chat_presence {
	const uint8_t *room;	/* CHAT_ROOM_ID_LEN bytes, into the payload */
	uint64_t unix_ms;
	uint32_t clients;	/* members of the room after these events */
	uint32_t n;		/* entries, in the order they happened */
	const uint8_t *entries;	/* points into the payload */
};

/* Decoders: 0 on success, -EBADMSG when the payload has the wrong shape. */
int chat_welcome_decode(const uint8_t *p, size_t len, struct chat_welcome *w);
int chat_joined_decode(const uint8_t *p, size_t len, struct chat_joined *j);
int chat_send_decode(const uint8_t *p, size_t len, struct chat_send *m);
int chat_relay_decode(const uint8_t *p, size_t len, struct chat_relay *r);
int chat_reason_decode(const uint8_t *p, size_t len, struct chat_reason *r);
/* JOIN and PART payload: the room id (points into p). */
int chat_room_decode(const uint8_t *p, size_t len, const uint8_t **room);
/* WHO request payload: the room and the cursor (0 = the first page). */
int chat_who_decode(const uint8_t *p, size_t len, const uint8_t **room,
		    uint64_t *cursor);
/* WHO_REPLY: ids[] gets up to max of the page's r->n ids. */
int chat_who_reply_decode(const uint8_t *p, size_t len, struct chat_who_reply *r,
			  uint32_t *ids, size_t max);
/* PRESENCE: checks every entry; then chat_presence_entry(pr, i, &e). */
int chat_presence_decode(const uint8_t *p, size_t len, struct chat_presence *pr);
void chat_presence_entry(const struct chat_presence *pr, uint32_t i,
			 struct chat_presence_entry *e);

/* Encoders write a whole frame (header + payload) into out and return its
 * length; out must have room (sizes below). */
#define CHAT_WELCOME_FRAME_LEN	(CHAT_HDR_LEN + 12)
#define CHAT_JOINED_FRAME_LEN	(CHAT_HDR_LEN + CHAT_ROOM_ID_LEN + 4)
#define CHAT_SEND_HDR_LEN	CHAT_ROOM_ID_LEN	/* SEND payload before msg */
#define CHAT_RELAY_HDR_LEN	(CHAT_HDR_LEN + CHAT_ROOM_ID_LEN + 12) /* + msg */
#define CHAT_WHO_LEN		(CHAT_ROOM_ID_LEN + 8)	/* WHO payload */
#define CHAT_WHO_REPLY_FRAME_LEN(n)	(CHAT_HDR_LEN + CHAT_ROOM_ID_LEN + 16 + \
					 4 * (size_t)(n))
#define CHAT_PRESENCE_ENTRY_LEN	6
#define CHAT_PRESENCE_FRAME_LEN(n)	(CHAT_HDR_LEN + CHAT_ROOM_ID_LEN + 16 + \
					 CHAT_PRESENCE_ENTRY_LEN * (size_t)(n))
size_t chat_welcome_encode(uint8_t *out, const struct chat_welcome *w);
size_t chat_joined_encode(uint8_t *out, const struct chat_joined *j);
/* Relay: writes header + room + sender + time; the caller appends msg_len
 * bytes. */
size_t chat_relay_encode_hdr(uint8_t *out, const uint8_t *room, uint32_t sender,
			     uint64_t unix_ms, size_t msg_len);
/* The same header for a HISTORY frame (same payload layout as RELAY). */
size_t chat_history_encode_hdr(uint8_t *out, const uint8_t *room, uint32_t sender,
			       uint64_t unix_ms, size_t msg_len);
/* WHO payload (client side): p needs CHAT_WHO_LEN bytes. */
void chat_who_put(uint8_t *p, const uint8_t *room, uint64_t cursor);
/* WHO_REPLY of room r->room listing n <= CHAT_WHO_PAGE_MAX ids. */
size_t chat_who_reply_encode(uint8_t *out, const struct chat_who_reply *r,
			     const uint32_t *ids);
/* PRESENCE of a room with n <= CHAT_PRESENCE_MAX entries. */
size_t chat_presence_encode(uint8_t *out, const uint8_t *room, uint64_t unix_ms,
			    uint32_t clients, const struct chat_presence_entry *e,
			    uint32_t n);
/* REFUSED/ERROR: out needs CHAT_HDR_LEN + 1 + strlen(text) (text <= 255). */
size_t chat_reason_encode(uint8_t *out, uint8_t type, uint8_t code,
			  const char *text);

#endif /* VCD_CHAT_FRAME_H */
