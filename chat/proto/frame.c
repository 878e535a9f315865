/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * frame.c - encoders and decoders for the chat wire protocol's frames.
 *
 * Owns: byte layout of the 8-byte header and of every payload the server
 * produces or reads (docs/protocol.md is the normative text, frame.h the
 * API).  Every decoder checks the exact payload shape before touching it,
 * so any byte string is safe input (tests/fuzz/fuzz_frame.c).
 * Does not own: sockets, buffering, the end-to-end encrypted message inside
 * SEND/RELAY (opaque here), or what a receiver does with unknown codes.
 */
#include "frame.h"

#include "wire.h"

#include <errno.h>
#include <string.h>

int chat_type_from_client(uint8_t type)
{
	return type >= CHAT_T_SEND && type <= CHAT_T_PART;
}

int chat_type_from_server(uint8_t type)
{
	return type == CHAT_T_WELCOME || type == CHAT_T_JOINED ||
	       (type >= CHAT_T_RELAY && type <= CHAT_T_HISTORY);
}

int chat_hdr_parse(const uint8_t *buf, size_t avail, struct chat_frame_hdr *h)
{
	if (avail < CHAT_HDR_LEN)
		return 0;
	h->version = buf[0];
	h->type = buf[1];
	h->flags = wire_get16(buf + 2);
	h->len = wire_get32(buf + 4);
	if (h->version != CHAT_PROTO_VERSION)
		return -EPROTONOSUPPORT;
	if (h->len > CHAT_MAX_PAYLOAD)
		return -EMSGSIZE;
	if (h->flags != 0 ||
	    !(chat_type_from_client(h->type) || chat_type_from_server(h->type)))
		return -EBADMSG;
	return 1;
}

int chat_frame_next(const uint8_t *buf, size_t avail, struct chat_frame_hdr *h)
{
	int rc = chat_hdr_parse(buf, avail, h);

	if (rc <= 0)
		return rc;
	return avail - CHAT_HDR_LEN >= h->len;
}

void chat_hdr_put(uint8_t *buf, uint8_t type, uint32_t len)
{
	buf[0] = CHAT_PROTO_VERSION;
	buf[1] = type;
	buf[2] = 0;
	buf[3] = 0;
	wire_put32(buf + 4, len);
}

int chat_welcome_decode(const uint8_t *p, size_t len, struct chat_welcome *w)
{
	if (len != CHAT_WELCOME_FRAME_LEN - CHAT_HDR_LEN)
		return -EBADMSG;
	w->your_id = wire_get32(p);
	w->clients = wire_get32(p + 4);
	w->max_rooms = wire_get32(p + 8);
	return 0;
}

size_t chat_welcome_encode(uint8_t *out, const struct chat_welcome *w)
{
	chat_hdr_put(out, CHAT_T_WELCOME, CHAT_WELCOME_FRAME_LEN - CHAT_HDR_LEN);
	wire_put32(out + CHAT_HDR_LEN, w->your_id);
	wire_put32(out + CHAT_HDR_LEN + 4, w->clients);
	wire_put32(out + CHAT_HDR_LEN + 8, w->max_rooms);
	return CHAT_WELCOME_FRAME_LEN;
}

int chat_joined_decode(const uint8_t *p, size_t len, struct chat_joined *j)
{
	if (len != CHAT_JOINED_FRAME_LEN - CHAT_HDR_LEN)
		return -EBADMSG;
	memcpy(j->room, p, CHAT_ROOM_ID_LEN);
	j->members = wire_get32(p + CHAT_ROOM_ID_LEN);
	return 0;
}

size_t chat_joined_encode(uint8_t *out, const struct chat_joined *j)
{
	chat_hdr_put(out, CHAT_T_JOINED, CHAT_JOINED_FRAME_LEN - CHAT_HDR_LEN);
	memcpy(out + CHAT_HDR_LEN, j->room, CHAT_ROOM_ID_LEN);
	wire_put32(out + CHAT_HDR_LEN + CHAT_ROOM_ID_LEN, j->members);
	return CHAT_JOINED_FRAME_LEN;
}

int chat_send_decode(const uint8_t *p, size_t len, struct chat_send *m)
{
	if (len <= CHAT_SEND_HDR_LEN || len > CHAT_SEND_HDR_LEN + CHAT_MAX_MSG)
		return -EBADMSG;
	m->room = p;
	m->msg = p + CHAT_SEND_HDR_LEN;
	m->msg_len = len - CHAT_SEND_HDR_LEN;
	return 0;
}

int chat_room_decode(const uint8_t *p, size_t len, const uint8_t **room)
{
	if (len != CHAT_ROOM_ID_LEN)
		return -EBADMSG;
	*room = p;
	return 0;
}

#define RELAY_FIXED	(CHAT_RELAY_HDR_LEN - CHAT_HDR_LEN)

int chat_relay_decode(const uint8_t *p, size_t len, struct chat_relay *r)
{
	/* A relay always carries a SEND's message, which is never empty. */
	if (len <= RELAY_FIXED || len > CHAT_MAX_PAYLOAD)
		return -EBADMSG;
	r->room = p;
	r->sender_id = wire_get32(p + CHAT_ROOM_ID_LEN);
	r->unix_ms = wire_get64(p + CHAT_ROOM_ID_LEN + 4);
	r->msg = p + RELAY_FIXED;
	r->msg_len = len - RELAY_FIXED;
	return 0;
}

static size_t relay_hdr(uint8_t *out, uint8_t type, const uint8_t *room,
			uint32_t sender, uint64_t unix_ms, size_t msg_len)
{
	chat_hdr_put(out, type, (uint32_t)(RELAY_FIXED + msg_len));
	memcpy(out + CHAT_HDR_LEN, room, CHAT_ROOM_ID_LEN);
	wire_put32(out + CHAT_HDR_LEN + CHAT_ROOM_ID_LEN, sender);
	wire_put64(out + CHAT_HDR_LEN + CHAT_ROOM_ID_LEN + 4, unix_ms);
	return CHAT_RELAY_HDR_LEN;
}

size_t chat_relay_encode_hdr(uint8_t *out, const uint8_t *room, uint32_t sender,
			     uint64_t unix_ms, size_t msg_len)
{
	return relay_hdr(out, CHAT_T_RELAY, room, sender, unix_ms, msg_len);
}

size_t chat_history_encode_hdr(uint8_t *out, const uint8_t *room, uint32_t sender,
			       uint64_t unix_ms, size_t msg_len)
{
	return relay_hdr(out, CHAT_T_HISTORY, room, sender, unix_ms, msg_len);
}

int chat_reason_decode(const uint8_t *p, size_t len, struct chat_reason *r)
{
	size_t i, n;

	if (len < 1 || len > 1 + sizeof(r->text) - 1)
		return -EBADMSG;
	r->code = p[0];
	n = len - 1;
	for (i = 0; i < n; i++) {
		uint8_t c = p[1 + i];
		/* Keep UTF-8 bytes (>= 0x80); replace C0 controls and DEL. */
		r->text[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	r->text[n] = '\0';
	return 0;
}

size_t chat_reason_encode(uint8_t *out, uint8_t type, uint8_t code,
			  const char *text)
{
	size_t n = strlen(text);

	if (n > 255)
		n = 255;
	chat_hdr_put(out, type, (uint32_t)(1 + n));
	out[CHAT_HDR_LEN] = code;
	memcpy(out + CHAT_HDR_LEN + 1, text, n);
	return CHAT_HDR_LEN + 1 + n;
}

int chat_who_decode(const uint8_t *p, size_t len, const uint8_t **room,
		    uint64_t *cursor)
{
	if (len != CHAT_WHO_LEN)
		return -EBADMSG;
	*room = p;
	*cursor = wire_get64(p + CHAT_ROOM_ID_LEN);
	return 0;
}

void chat_who_put(uint8_t *p, const uint8_t *room, uint64_t cursor)
{
	memcpy(p, room, CHAT_ROOM_ID_LEN);
	wire_put64(p + CHAT_ROOM_ID_LEN, cursor);
}

int chat_who_reply_decode(const uint8_t *p, size_t len, struct chat_who_reply *r,
			  uint32_t *ids, size_t max)
{
	const size_t fixed = CHAT_ROOM_ID_LEN + 16;
	size_t i;

	if (len < fixed || (len - fixed) % 4 != 0)
		return -EBADMSG;
	r->room = p;
	p += CHAT_ROOM_ID_LEN;
	r->total = wire_get32(p);
	r->next = wire_get64(p + 4);
	r->n = wire_get32(p + 12);
	if (r->n != (len - fixed) / 4 || r->n > CHAT_WHO_PAGE_MAX)
		return -EBADMSG;
	for (i = 0; i < r->n && i < max; i++)
		ids[i] = wire_get32(p + 16 + 4 * i);
	return 0;
}

size_t chat_who_reply_encode(uint8_t *out, const struct chat_who_reply *r,
			     const uint32_t *ids)
{
	uint8_t *p = out + CHAT_HDR_LEN + CHAT_ROOM_ID_LEN;
	uint32_t i;

	chat_hdr_put(out, CHAT_T_WHO_REPLY,
		     (uint32_t)(CHAT_WHO_REPLY_FRAME_LEN(r->n) - CHAT_HDR_LEN));
	memcpy(out + CHAT_HDR_LEN, r->room, CHAT_ROOM_ID_LEN);
	wire_put32(p, r->total);
	wire_put64(p + 4, r->next);
	wire_put32(p + 12, r->n);
	for (i = 0; i < r->n; i++)
		wire_put32(p + 16 + 4 * (size_t)i, ids[i]);
	return CHAT_WHO_REPLY_FRAME_LEN(r->n);
}

int chat_presence_decode(const uint8_t *p, size_t len, struct chat_presence *pr)
{
	const size_t fixed = CHAT_ROOM_ID_LEN + 16;
	uint32_t i;

	if (len < fixed || (len - fixed) % CHAT_PRESENCE_ENTRY_LEN != 0)
		return -EBADMSG;
	pr->room = p;
	p += CHAT_ROOM_ID_LEN;
	pr->unix_ms = wire_get64(p);
	pr->clients = wire_get32(p + 8);
	pr->n = wire_get32(p + 12);
	pr->entries = p + 16;
	if (pr->n != (len - fixed) / CHAT_PRESENCE_ENTRY_LEN ||
	    pr->n > CHAT_PRESENCE_MAX)
		return -EBADMSG;
	for (i = 0; i < pr->n; i++) {
		const uint8_t *e = pr->entries + (size_t)i * CHAT_PRESENCE_ENTRY_LEN;

		if (e[4] == CHAT_PRES_JOINED ? e[5] != 0 : e[4] != CHAT_PRES_LEFT)
			return -EBADMSG;
	}
	return 0;
}

void chat_presence_entry(const struct chat_presence *pr, uint32_t i,
			 struct chat_presence_entry *e)
{
	const uint8_t *p = pr->entries + (size_t)i * CHAT_PRESENCE_ENTRY_LEN;

	e->id = wire_get32(p);
	e->event = p[4];
	e->reason = p[5];
}

size_t chat_presence_encode(uint8_t *out, const uint8_t *room, uint64_t unix_ms,
			    uint32_t clients, const struct chat_presence_entry *e,
			    uint32_t n)
{
	uint8_t *f = out + CHAT_HDR_LEN + CHAT_ROOM_ID_LEN;
	uint8_t *p = f + 16;
	uint32_t i;

	chat_hdr_put(out, CHAT_T_PRESENCE,
		     (uint32_t)(CHAT_PRESENCE_FRAME_LEN(n) - CHAT_HDR_LEN));
	memcpy(out + CHAT_HDR_LEN, room, CHAT_ROOM_ID_LEN);
	wire_put64(f, unix_ms);
	wire_put32(f + 8, clients);
	wire_put32(f + 12, n);
	for (i = 0; i < n; i++, p += CHAT_PRESENCE_ENTRY_LEN) {
		wire_put32(p, e[i].id);
		p[4] = e[i].event;
		p[5] = e[i].reason;
	}
	return CHAT_PRESENCE_FRAME_LEN(n);
}
