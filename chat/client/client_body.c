/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * client_body.c - encode and decode the typed plaintext body of a chat
 * message (layout in client_body.h).  Owns nothing else.
 */
#include "client_body.h"

#include "client_fmt.h"
#include "proto/wire.h"

#include <errno.h>
#include <string.h>

static int nick_bytes_valid(const uint8_t *p, size_t n)
{
	size_t i = 0, k;

	if (n < 1 || n > CLIENT_NICK_MAX)
		return 0;
	while (i < n) {
		if (p[i] == ' ')
			return 0;
		k = client_fmt_char_shown(p + i, n - i);
		if (!k)
			return 0;
		i += k;
	}
	return 1;
}

static size_t padded(size_t len)
{
	return (len + CLIENT_BODY_BUCKET - 1) / CLIENT_BODY_BUCKET *
	       CLIENT_BODY_BUCKET;
}

int client_nick_valid(const char *s)
{
	return nick_bytes_valid((const uint8_t *)s, strlen(s));
}

size_t client_body_len(const char *nick, size_t text_len)
{
	return padded(CLIENT_BODY_HDR + strlen(nick) + text_len);
}

size_t client_body_encode(uint8_t *out, uint8_t kind, const char *nick,
			  const uint8_t *text, size_t text_len)
{
	size_t n = strlen(nick), used = CLIENT_BODY_HDR + n + text_len;
	uint8_t *t = out + 2 + n;

	out[0] = kind;
	out[1] = (uint8_t)n;
	memcpy(out + 2, nick, n);
	wire_put32(t, (uint32_t)text_len);
	if (text_len)
		memcpy(t + 4, text, text_len);
	memset(out + used, 0, padded(used) - used);
	return padded(used);
}

int client_body_decode(const uint8_t *p, size_t len, struct client_body *b)
{
	size_t n, tl, used, i;
	const uint8_t *t;

	if (len < CLIENT_BODY_HDR || len % CLIENT_BODY_BUCKET)
		return -EBADMSG;
	b->kind = p[0];
	n = p[1];
	if (b->kind < CLIENT_BODY_MSG || b->kind > CLIENT_BODY_NICKINFO ||
	    len < CLIENT_BODY_HDR + n ||
	    !nick_bytes_valid(p + 2, n))
		return -EBADMSG;
	t = p + 2 + n;
	tl = wire_get32(t);
	if (tl > CLIENT_MAX_TEXT || tl > len - CLIENT_BODY_HDR - n ||
	    (b->kind != CLIENT_BODY_MSG && tl))
		return -EBADMSG;
	used = CLIENT_BODY_HDR + n + tl;
	if (padded(used) != len)
		return -EBADMSG;
	for (i = used; i < len; i++)
		if (p[i])
			return -EBADMSG;
	memcpy(b->nick, p + 2, n);
	b->nick[n] = '\0';
	b->text = t + 4;
	b->text_len = tl;
	return 0;
}
