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

#include <errno.h>
#include <string.h>

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

int chat_type_from_client(uint8_t type)
{
	return type == CHAT_T_SEND || type == CHAT_T_WHO;
}

int chat_type_from_server(uint8_t type)
{
	return type >= CHAT_T_WELCOME && type <= CHAT_T_ERROR;
}

int chat_hdr_parse(const uint8_t *buf, size_t avail, struct chat_frame_hdr *h)
{
	if (avail < CHAT_HDR_LEN)
		return 0;
	h->version = buf[0];
	h->type = buf[1];
	h->flags = get16(buf + 2);
	h->len = get32(buf + 4);
	if (h->version != CHAT_PROTO_VERSION)
		return -EPROTONOSUPPORT;
	if (h->len > CHAT_MAX_PAYLOAD)
		return -EMSGSIZE;
	if (h->flags != 0 ||
	    !(chat_type_from_client(h->type) || chat_type_from_server(h->type)))
		return -EBADMSG;
	return 1;
}

void chat_hdr_put(uint8_t *buf, uint8_t type, uint32_t len)
{
	buf[0] = CHAT_PROTO_VERSION;
	buf[1] = type;
	buf[2] = 0;
	buf[3] = 0;
	put32(buf + 4, len);
}

int chat_welcome_decode(const uint8_t *p, size_t len, struct chat_welcome *w)
{
	if (len != 8 + CHAT_SALT_LEN)
		return -EBADMSG;
	w->your_id = get32(p);
	w->clients = get32(p + 4);
	memcpy(w->salt, p + 8, CHAT_SALT_LEN);
	return 0;
}

size_t chat_welcome_encode(uint8_t *out, const struct chat_welcome *w)
{
	chat_hdr_put(out, CHAT_T_WELCOME, 8 + CHAT_SALT_LEN);
	put32(out + CHAT_HDR_LEN, w->your_id);
	put32(out + CHAT_HDR_LEN + 4, w->clients);
	memcpy(out + CHAT_HDR_LEN + 8, w->salt, CHAT_SALT_LEN);
	return CHAT_WELCOME_FRAME_LEN;
}

/* JOINED carries 12 payload bytes, LEFT 13 (the reason byte last). */
static size_t notice_len(uint8_t type)
{
	return type == CHAT_T_LEFT ? 13 : type == CHAT_T_JOINED ? 12 : 0;
}

int chat_notice_decode(uint8_t type, const uint8_t *p, size_t len,
		       struct chat_notice *n)
{
	size_t want = notice_len(type);

	if (want == 0 || len != want)
		return -EBADMSG;
	n->id = get32(p);
	n->unix_ms = get64(p + 4);
	n->reason = type == CHAT_T_LEFT ? p[12] : 0;
	return 0;
}

size_t chat_notice_encode(uint8_t *out, uint8_t type, const struct chat_notice *n)
{
	size_t len = notice_len(type);

	if (len == 0)
		return 0;
	chat_hdr_put(out, type, (uint32_t)len);
	put32(out + CHAT_HDR_LEN, n->id);
	put64(out + CHAT_HDR_LEN + 4, n->unix_ms);
	if (type == CHAT_T_LEFT)
		out[CHAT_HDR_LEN + 12] = n->reason;
	return CHAT_HDR_LEN + len;
}

int chat_relay_decode(const uint8_t *p, size_t len, struct chat_relay *r)
{
	/* A relay always carries a SEND's message, which is never empty. */
	if (len <= 12 || len > CHAT_MAX_PAYLOAD)
		return -EBADMSG;
	r->sender_id = get32(p);
	r->unix_ms = get64(p + 4);
	r->msg = p + 12;
	r->msg_len = len - 12;
	return 0;
}

size_t chat_relay_encode_hdr(uint8_t *out, uint32_t sender, uint64_t unix_ms,
			     size_t msg_len)
{
	chat_hdr_put(out, CHAT_T_RELAY, (uint32_t)(12 + msg_len));
	put32(out + CHAT_HDR_LEN, sender);
	put64(out + CHAT_HDR_LEN + 4, unix_ms);
	return CHAT_RELAY_HDR_LEN;
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

int chat_who_decode(const uint8_t *p, size_t len, uint32_t *ids, size_t max,
		    size_t *n)
{
	size_t count, i;

	if (len < 4 || (len - 4) % 4 != 0)
		return -EBADMSG;
	count = get32(p);
	if (count != (len - 4) / 4)
		return -EBADMSG;
	for (i = 0; i < count && i < max; i++)
		ids[i] = get32(p + 4 + 4 * i);
	*n = count;
	return 0;
}

size_t chat_who_encode(uint8_t *out, const uint32_t *ids, size_t n)
{
	size_t i;

	chat_hdr_put(out, CHAT_T_WHO_REPLY, (uint32_t)(4 + 4 * n));
	put32(out + CHAT_HDR_LEN, (uint32_t)n);
	for (i = 0; i < n; i++)
		put32(out + CHAT_HDR_LEN + 4 + 4 * i, ids[i]);
	return CHAT_WHO_FRAME_LEN(n);
}
