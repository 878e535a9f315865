/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_frame.c - libFuzzer target for the chat frame codec (chat/proto/frame.c).
 *
 * Owns: feeding arbitrary bytes to the header parser as a stream of frames
 * (the way chat-server and chat-client read a socket) and to every payload
 * decoder (protocol version 2: WHO cursors, paged WHO_REPLY, PRESENCE
 * batches included), and checking that re-encoding a decoded frame gives
 * the same bytes and stays within the payload limit.  Does not own: the
 * server's buffering (integration tests).
 * Build: make fuzz (build/fuzz/fuzz_frame); run on tests/fuzz/corpus/frame.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/frame.h"

/* Room to re-encode the largest WHO_REPLY or PRESENCE (each under the
 * payload limit, checked here too). */
static uint8_t out_big[CHAT_HDR_LEN + CHAT_MAX_PAYLOAD];
static uint32_t ids[CHAT_WHO_PAGE_MAX];
static struct chat_presence_entry entries[CHAT_PRESENCE_MAX];

static void who_reply_roundtrip(const uint8_t *p, size_t len)
{
	struct chat_who_reply r;

	if (chat_who_reply_decode(p, len, &r, ids, CHAT_WHO_PAGE_MAX) != 0)
		return;
	if (r.n > CHAT_WHO_PAGE_MAX || CHAT_WHO_REPLY_FRAME_LEN(r.n) != CHAT_HDR_LEN + len ||
	    CHAT_WHO_REPLY_FRAME_LEN(r.n) > CHAT_HDR_LEN + CHAT_MAX_PAYLOAD)
		abort();
	if (chat_who_reply_encode(out_big, &r, ids) != CHAT_HDR_LEN + len ||
	    memcmp(out_big + CHAT_HDR_LEN, p, len))
		abort();
}

static void presence_roundtrip(const uint8_t *p, size_t len)
{
	struct chat_presence pr;
	uint32_t i;

	if (chat_presence_decode(p, len, &pr) != 0)
		return;
	if (pr.n > CHAT_PRESENCE_MAX || CHAT_PRESENCE_FRAME_LEN(pr.n) != CHAT_HDR_LEN + len)
		abort();
	for (i = 0; i < pr.n; i++) {
		chat_presence_entry(&pr, i, &entries[i]);
		if (entries[i].event != CHAT_PRES_JOINED && entries[i].event != CHAT_PRES_LEFT)
			abort();
		if (entries[i].event == CHAT_PRES_JOINED && entries[i].reason)
			abort();
	}
	if (pr.room != p)
		abort();
	if (chat_presence_encode(out_big, pr.room, pr.unix_ms, pr.clients, entries, pr.n) !=
	    CHAT_HDR_LEN + len || memcmp(out_big + CHAT_HDR_LEN, p, len))
		abort();
}

static void decode_payload(uint8_t type, const uint8_t *p, size_t len)
{
	uint8_t out[CHAT_HDR_LEN + 256];
	struct chat_welcome w;
	struct chat_joined j;
	struct chat_relay r;
	struct chat_send m;
	struct chat_reason why;
	const uint8_t *room;
	uint64_t cursor;
	size_t i;

	switch (type) {
	case CHAT_T_WELCOME:
		if (chat_welcome_decode(p, len, &w) == 0) {
			if (chat_welcome_encode(out, &w) != CHAT_HDR_LEN + len ||
			    memcmp(out + CHAT_HDR_LEN, p, len))
				abort();
		}
		break;
	case CHAT_T_PRESENCE:
		presence_roundtrip(p, len);
		break;
	case CHAT_T_JOINED:
		if (chat_joined_decode(p, len, &j) == 0) {
			if (chat_joined_encode(out, &j) != CHAT_HDR_LEN + len ||
			    memcmp(out + CHAT_HDR_LEN, p, len))
				abort();
		}
		break;
	case CHAT_T_JOIN:
	case CHAT_T_PART:
		if (chat_room_decode(p, len, &room) == 0 &&
		    (len != CHAT_ROOM_ID_LEN || room != p))
			abort();
		break;
	case CHAT_T_SEND:
		if (chat_send_decode(p, len, &m) == 0 &&
		    (m.room != p || m.msg != p + CHAT_SEND_HDR_LEN || !m.msg_len ||
		     m.msg_len > CHAT_MAX_MSG || m.msg_len + CHAT_SEND_HDR_LEN != len))
			abort();
		break;
	case CHAT_T_WHO:
		if (chat_who_decode(p, len, &room, &cursor) == 0) {
			chat_who_put(out, room, cursor);
			if (len != CHAT_WHO_LEN || memcmp(out, p, len))
				abort();
		}
		break;
	case CHAT_T_RELAY:
		if (chat_relay_decode(p, len, &r) == 0) {
			size_t fixed = CHAT_RELAY_HDR_LEN - CHAT_HDR_LEN;

			if (r.room != p || r.msg != p + fixed || r.msg_len + fixed != len)
				abort();
			chat_relay_encode_hdr(out, r.room, r.sender_id, r.unix_ms, r.msg_len);
			if (memcmp(out + CHAT_HDR_LEN, p, fixed))
				abort();
		}
		break;
	case CHAT_T_WHO_REPLY:
		who_reply_roundtrip(p, len);
		break;
	case CHAT_T_REFUSED:
	case CHAT_T_ERROR:
		if (chat_reason_decode(p, len, &why) == 0) {
			if (strlen(why.text) != len - 1)
				abort();
			for (i = 0; why.text[i]; i++)
				if ((unsigned char)why.text[i] < 0x20 || why.text[i] == 0x7f)
					abort();
		}
		break;
	default:
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct chat_frame_hdr h;
	size_t off = 0;
	uint8_t t;

	/* Every decoder on the raw input as a payload. */
	decode_payload(CHAT_T_WHO, data, size);
	for (t = CHAT_T_WELCOME; t <= CHAT_T_PRESENCE; t++)
		decode_payload(t, data, size);

	/* The input as a stream of frames. */
	while (off < size) {
		int rc = chat_hdr_parse(data + off, size - off, &h);

		if (rc <= 0)
			break;
		if (h.len > CHAT_MAX_PAYLOAD)
			abort();
		if (size - off - CHAT_HDR_LEN < h.len)
			break;	/* incomplete: a reader would wait for more */
		decode_payload(h.type, data + off + CHAT_HDR_LEN, h.len);
		off += CHAT_HDR_LEN + h.len;
	}
	return 0;
}
