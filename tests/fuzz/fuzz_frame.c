/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_frame.c - libFuzzer target for the chat frame codec (chat/frame.c).
 *
 * Owns: feeding arbitrary bytes to the header parser as a stream of frames
 * (the way chat-server and chat-client read a socket) and to every payload
 * decoder, and checking that re-encoding a decoded frame gives the same
 * bytes.  Does not own: the server's buffering (integration tests).
 * Build: make fuzz (build/fuzz/fuzz_frame); run on tests/fuzz/corpus/frame.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"

static void decode_payload(uint8_t type, const uint8_t *p, size_t len)
{
	uint8_t out[CHAT_HDR_LEN + 256];
	struct chat_welcome w;
	struct chat_notice n;
	struct chat_relay r;
	struct chat_reason why;
	uint32_t ids[8];
	size_t count, i;

	switch (type) {
	case CHAT_T_WELCOME:
		if (chat_welcome_decode(p, len, &w) == 0) {
			if (chat_welcome_encode(out, &w) != CHAT_HDR_LEN + len ||
			    memcmp(out + CHAT_HDR_LEN, p, len))
				abort();
		}
		break;
	case CHAT_T_JOINED:
	case CHAT_T_LEFT:
		if (chat_notice_decode(type, p, len, &n) == 0) {
			if (chat_notice_encode(out, type, &n) != CHAT_HDR_LEN + len ||
			    memcmp(out + CHAT_HDR_LEN, p, len))
				abort();
		}
		break;
	case CHAT_T_RELAY:
		if (chat_relay_decode(p, len, &r) == 0) {
			if (r.msg != p + 12 || r.msg_len + 12 != len)
				abort();
			chat_relay_encode_hdr(out, r.sender_id, r.unix_ms, r.msg_len);
			if (memcmp(out + CHAT_HDR_LEN, p, 12))
				abort();
		}
		break;
	case CHAT_T_WHO_REPLY:
		if (chat_who_decode(p, len, ids, 8, &count) == 0 &&
		    CHAT_WHO_FRAME_LEN(count) != CHAT_HDR_LEN + len)
			abort();
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
	for (t = CHAT_T_WELCOME; t <= CHAT_T_ERROR; t++)
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
