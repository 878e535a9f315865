/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * client_body.c - encode and decode the typed plaintext body of a chat
 * message (layout in client_body.h).  Owns nothing else.
 */
#include "client_body.h"

#include <errno.h>
#include <string.h>

static int nick_bytes_valid(const uint8_t *p, size_t n)
{
	if (n < 1 || n > CLIENT_NICK_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (p[i] <= 0x20 || p[i] == 0x7f)
			return 0;
	return 1;
}

int client_nick_valid(const char *s)
{
	return nick_bytes_valid((const uint8_t *)s, strlen(s));
}

size_t client_body_len(const char *nick, size_t text_len)
{
	return CLIENT_BODY_HDR + strlen(nick) + text_len;
}

size_t client_body_encode(uint8_t *out, uint8_t kind, const char *nick,
			  const uint8_t *text, size_t text_len)
{
	size_t n = strlen(nick);

	out[0] = kind;
	out[1] = (uint8_t)n;
	memcpy(out + CLIENT_BODY_HDR, nick, n);
	if (text_len)
		memcpy(out + CLIENT_BODY_HDR + n, text, text_len);
	return CLIENT_BODY_HDR + n + text_len;
}

int client_body_decode(const uint8_t *p, size_t len, struct client_body *b)
{
	size_t n;

	if (len < CLIENT_BODY_HDR)
		return -EBADMSG;
	b->kind = p[0];
	n = p[1];
	if (b->kind < CLIENT_BODY_MSG || b->kind > CLIENT_BODY_NICKINFO ||
	    len < CLIENT_BODY_HDR + n ||
	    !nick_bytes_valid(p + CLIENT_BODY_HDR, n))
		return -EBADMSG;
	memcpy(b->nick, p + CLIENT_BODY_HDR, n);
	b->nick[n] = '\0';
	b->text = p + CLIENT_BODY_HDR + n;
	b->text_len = len - CLIENT_BODY_HDR - n;
	if (b->text_len > CLIENT_MAX_TEXT ||
	    (b->kind != CLIENT_BODY_MSG && b->text_len))
		return -EBADMSG;
	return 0;
}
