/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * frame.h - the chat wire protocol's framing: what the server sees.
 *
 * Owns: the 8-byte frame header, the frame type numbers, the limits, and
 * encoders/decoders for every frame the server itself produces or reads.
 * Does not own: the end-to-end encrypted payload carried opaquely inside
 * SEND/RELAY frames (chat/room_crypto.h), sockets or buffering.
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

#define CHAT_PROTO_VERSION	1
#define CHAT_HDR_LEN		8
#define CHAT_MAX_PAYLOAD	(256u * 1024u)	/* bytes after the header */
/* Largest SEND payload: its RELAY (12 more bytes) must still fit. */
#define CHAT_MAX_MSG		(CHAT_MAX_PAYLOAD - 12u)
#define CHAT_SALT_LEN		16
#define CHAT_DEFAULT_PORT	35001

enum chat_frame_type {
	/* client -> server */
	CHAT_T_SEND = 0x01,	/* opaque e2e message, 1..CHAT_MAX_MSG bytes */
	CHAT_T_WHO = 0x02,	/* empty: ask for the ids connected */

	/* server -> client */
	CHAT_T_WELCOME = 0x81,	/* u32 your_id, u32 clients, u8 salt[16] */
	CHAT_T_JOINED = 0x82,	/* u32 id, u64 unix_ms */
	CHAT_T_LEFT = 0x83,	/* u32 id, u64 unix_ms, u8 reason (chat_leave_reason) */
	CHAT_T_RELAY = 0x84,	/* u32 sender_id, u64 unix_ms, opaque e2e message */
	CHAT_T_WHO_REPLY = 0x85,/* u32 n, u32 id[n] */
	CHAT_T_REFUSED = 0x86,	/* u8 code (chat_error_code), UTF-8 reason; then close */
	CHAT_T_ERROR = 0x87,	/* u8 code (chat_error_code), UTF-8 reason; then close */
};

enum chat_leave_reason {
	CHAT_LEAVE_QUIT = 0,	/* closed its connection */
	CHAT_LEAVE_SLOW = 1,	/* output queue overflowed: stopped reading */
	CHAT_LEAVE_ERROR = 2,	/* sent a malformed frame */
	CHAT_LEAVE_SHUTDOWN = 3,/* server is shutting down */
};

enum chat_error_code {
	CHAT_ERR_FULL = 1,	/* REFUSED: --max-clients reached */
	CHAT_ERR_VERSION = 2,	/* frame with another protocol version */
	CHAT_ERR_MALFORMED = 3,	/* unknown type, bad flags, bad payload */
	CHAT_ERR_TOO_BIG = 4,	/* length > CHAT_MAX_PAYLOAD */
	CHAT_ERR_SLOW = 5,	/* your output queue overflowed */
	CHAT_ERR_SHUTDOWN = 6,	/* server is stopping */
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

/* Write a header for (type, len) into buf[CHAT_HDR_LEN]. */
void chat_hdr_put(uint8_t *buf, uint8_t type, uint32_t len);

/* Is this a type a client may send / a server may send? */
int chat_type_from_client(uint8_t type);
int chat_type_from_server(uint8_t type);

/* Decoded server frames (payload only, header already parsed). */
struct chat_welcome {
	uint32_t your_id;
	uint32_t clients;
	uint8_t salt[CHAT_SALT_LEN];
};
struct chat_notice {		/* JOINED and LEFT */
	uint32_t id;
	uint64_t unix_ms;
	uint8_t reason;		/* LEFT only */
};
struct chat_relay {
	uint32_t sender_id;
	uint64_t unix_ms;
	const uint8_t *msg;	/* points into the payload */
	size_t msg_len;
};
struct chat_reason {		/* REFUSED and ERROR */
	uint8_t code;
	char text[256];		/* NUL-terminated, control characters replaced */
};

/* Decoders: 0 on success, -EBADMSG when the payload has the wrong shape. */
int chat_welcome_decode(const uint8_t *p, size_t len, struct chat_welcome *w);
int chat_notice_decode(uint8_t type, const uint8_t *p, size_t len,
		       struct chat_notice *n);
int chat_relay_decode(const uint8_t *p, size_t len, struct chat_relay *r);
int chat_reason_decode(const uint8_t *p, size_t len, struct chat_reason *r);
/* WHO_REPLY: on success *n ids; ids[] gets up to max of them. */
int chat_who_decode(const uint8_t *p, size_t len, uint32_t *ids, size_t max,
		    size_t *n);

/* Encoders write a whole frame (header + payload) into out and return its
 * length; out must have room (sizes below). */
#define CHAT_WELCOME_FRAME_LEN	(CHAT_HDR_LEN + 8 + CHAT_SALT_LEN)
#define CHAT_NOTICE_FRAME_LEN	(CHAT_HDR_LEN + 13)
#define CHAT_RELAY_HDR_LEN	(CHAT_HDR_LEN + 12)	/* + msg_len */
size_t chat_welcome_encode(uint8_t *out, const struct chat_welcome *w);
size_t chat_notice_encode(uint8_t *out, uint8_t type, const struct chat_notice *n);
/* Relay: writes header + sender + time; the caller appends msg_len bytes. */
size_t chat_relay_encode_hdr(uint8_t *out, uint32_t sender, uint64_t unix_ms,
			     size_t msg_len);
/* WHO_REPLY listing n ids: out needs CHAT_WHO_FRAME_LEN(n) bytes. */
#define CHAT_WHO_FRAME_LEN(n)	(CHAT_HDR_LEN + 4 + 4 * (size_t)(n))
size_t chat_who_encode(uint8_t *out, const uint32_t *ids, size_t n);
/* REFUSED/ERROR: out needs CHAT_HDR_LEN + 1 + strlen(text) (text <= 255). */
size_t chat_reason_encode(uint8_t *out, uint8_t type, uint8_t code,
			  const char *text);

#endif /* VCD_CHAT_FRAME_H */
