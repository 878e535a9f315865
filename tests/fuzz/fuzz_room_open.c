/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_room_open.c - libFuzzer target for what chat-client parses from
 * other members: sealed messages (chat/proto/room_crypto.c room_open), the
 * plaintext body (chat/client/client_body.c) and the display filter
 * (chat/client/client_fmt.c).
 *
 * Input byte 0 picks the path:
 *   even: bytes 1..4 are the relay sender id, the rest is opened as a
 *         sealed message as it came off the wire (must never crash; with
 *         a random MAC it is rejected before decryption);
 *   odd:  the rest is a body: it is sealed with the fixed room keys, opened
 *         again (must round-trip), decoded as a body and printed through the
 *         display filter, so the body parser and the filter see arbitrary
 *         authentic plaintext.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client_body.h"
#include "client/client_fmt.h"
#include "crypto_engine.h"
#include "proto/room_crypto.h"

static struct ce_engine *eng;	/* kept for the process lifetime */
static struct room_ctx *ctx;
static uint8_t *sealed, *opened;
static FILE *sink;

static void init(void)
{
	struct room_keys keys;
	char err[256];

	memset(&keys, 0x42, sizeof(keys));
	keys.mac[0] = 1;
	if (ce_engine_open(&eng, CE_KIND_SOFTWARE, NULL, err, sizeof(err)) ||
	    room_ctx_new(&ctx, eng, &keys, err, sizeof(err)))
		abort();
	room_ctx_set_sender(ctx, 1);
	sealed = malloc(CHAT_MAX_PAYLOAD);
	opened = malloc(CHAT_MAX_PAYLOAD);
	sink = fopen("/dev/null", "w");
	if (!sealed || !opened || !sink)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct replay_guard g;	/* across inputs: it must hold up */
	struct replay_guard w = { 0 };
	struct client_body b;
	size_t slen, olen;
	uint64_t now;

	if (!ctx)
		init();
	if (size < 1)
		return 0;
	if (!(data[0] & 1)) {
		uint32_t sender;

		if (size < 13)
			return 0;
		sender = (uint32_t)data[1] << 24 | (uint32_t)data[2] << 16 |
			 (uint32_t)data[3] << 8 | data[4];
		memcpy(&now, data + 5, sizeof(now));
		if (size - 13 <= CHAT_MAX_PAYLOAD &&
		    room_open(ctx, sender, data + 13, size - 13, &g, now, opened,
			      &olen, NULL) == 0 &&
		    client_body_decode(opened, olen, &b) == 0)
			client_fmt_line(sink, 1, CLIENT_LINE_MSG, 0, "room", b.nick,
					b.text, b.text_len);
		/* the guard alone, with the input as (sender, epoch, seq) */
		if (size >= 21 && replay_is_new(&g, sender, now, size) &&
		    replay_record(&g, sender, now, size, now) == 0 &&
		    replay_is_new(&g, sender, now, size))
			abort();
		return 0;
	}
	if (size - 1 > ROOM_MAX_BODY)
		return 0;
	now = 1700000000000ull + size;
	if (room_seal(ctx, now, data + 1, size - 1, sealed, &slen))
		abort();
	if (room_open(ctx, 1, sealed, slen, &w, now, opened, &olen, NULL) ||
	    olen != size - 1 || memcmp(opened, data + 1, olen))
		abort();
	if (room_open(ctx, 1, sealed, slen, &w, now, opened, &olen, NULL) != -EALREADY)
		abort();
	replay_guard_free(&w);
	if (client_body_decode(opened, olen, &b) == 0)
		client_fmt_line(sink, 0, CLIENT_LINE_MSG, 0, NULL, b.nick, b.text,
				b.text_len);
	client_fmt_line(sink, 1, CLIENT_LINE_WARN, 0, NULL, NULL, opened, olen);
	return 0;
}
