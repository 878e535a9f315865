/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * client_body.h - the typed plaintext body inside a sealed chat message.
 *
 * Owns: the body layout (what only room members can read) and the rules for
 * nicknames.  Does not own: encryption (chat/proto/room_crypto.h) nor display.
 *
 * Body layout:
 *   u8 kind (enum client_body_kind)
 *   u8 nick_len (1..CLIENT_NICK_MAX)
 *   u8 nick[nick_len]   the sender's nickname (UTF-8, no control characters)
 *   u32 text_len        big-endian, at most CLIENT_MAX_TEXT (0 for the
 *                       nick kinds)
 *   u8 text[text_len]   message text (CLIENT_BODY_MSG only), no newline
 *   u8 zero[...]        zero bytes up to a multiple of CLIENT_BODY_BUCKET,
 *                       so a nick announcement is as long as a short
 *                       message and sizes say little about the text
 */
#ifndef VCD_CHAT_CLIENT_BODY_H
#define VCD_CHAT_CLIENT_BODY_H

#include <stddef.h>
#include <stdint.h>

#include "proto/room_crypto.h"

#define CLIENT_NICK_MAX		32
#define CLIENT_BODY_HDR		6	/* kind, nick_len, text_len */
#define CLIENT_BODY_BUCKET	64
/* Largest message text: 255 KiB, well inside one sealed frame. */
#define CLIENT_MAX_TEXT		(255u * 1024u)

_Static_assert(CLIENT_BODY_HDR + CLIENT_NICK_MAX + CLIENT_MAX_TEXT +
	       CLIENT_BODY_BUCKET - 1 <= ROOM_MAX_BODY,
	       "the largest message must fit in one sealed frame");

enum client_body_kind {
	CLIENT_BODY_MSG = 1,	/* a chat line */
	CLIENT_BODY_HELLO = 2,	/* "this is my nick": sent once after joining */
	CLIENT_BODY_RENAME = 3,	/* /nick: my nick changed to this one */
	CLIENT_BODY_NICKINFO = 4,	/* my nick, for a member who just joined */
};

struct client_body {
	uint8_t kind;
	char nick[CLIENT_NICK_MAX + 1];	/* NUL-terminated */
	const uint8_t *text;		/* points into the decoded buffer */
	size_t text_len;
};

/* 1 when s is a usable nickname: 1..CLIENT_NICK_MAX bytes of valid UTF-8,
 * no spaces, no control, bidirectional-override or zero-width characters
 * (client_fmt_char_shown). */
int client_nick_valid(const char *s);

/* Bytes client_body_encode writes. */
size_t client_body_len(const char *nick, size_t text_len);

/* Write the body (padding included) into out; returns its length. nick
 * must be valid. */
size_t client_body_encode(uint8_t *out, uint8_t kind, const char *nick,
			  const uint8_t *text, size_t text_len);

/* Decode a body; 0 or -EBADMSG (unknown kind, bad nick, text where none
 * belongs, text too long, padding that is not zeros up to a bucket). */
int client_body_decode(const uint8_t *p, size_t len, struct client_body *b);

#endif /* VCD_CHAT_CLIENT_BODY_H */
