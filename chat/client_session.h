/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * client_session.h - one chat client's protocol session: the frames from the
 * server (WELCOME, PRESENCE, RELAY, WHO_REPLY, PING, REFUSED, ERROR), the room
 * keys derived after WELCOME, sealing our messages and opening everyone
 * else's, nicknames, and the end state (exit status and one-line reason).
 *
 * Does not own: the terminal or stdin (client_tty.c, client_pipe.c), the
 * poll loop (client_loop.c), the crypto (room_crypto.c) or the socket
 * buffers (client_conn.c).  Events reach the front end as lines through
 * struct client_ui.
 */
#ifndef VCD_CHAT_CLIENT_SESSION_H
#define VCD_CHAT_CLIENT_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "client_body.h"
#include "client_conn.h"
#include "client_fmt.h"
#include "client_peers.h"
#include "crypto_engine.h"
#include "room_crypto.h"

/* Answer joins with our nick only while at most this many others are in
 * the room (each answer is relayed to everyone). */
#define CLIENT_NICKINFO_ROOM_MAX	32

struct client_ui {
	void (*line)(void *ctx, enum client_line_kind kind, uint64_t unix_ms,
		     const char *nick, const uint8_t *text, size_t len);
	void *ctx;
};

struct client_session {
	struct client_conn conn;
	struct ce_engine *eng;
	char *pass;			/* wiped once the keys are derived */
	size_t passlen;
	char nick[CLIENT_NICK_MAX + 1];
	int nick_set;			/* --nick given (else chosen after WELCOME) */
	uint32_t my_id;
	int ready;			/* WELCOME seen and keys derived */
	struct room_ctx *room;
	struct client_peers peers;
	uint32_t others;		/* other members present, as notices tell */
	int seen_own_join;		/* PRESENCE entries count from here on */
	struct client_ui ui;
	uint8_t *body;			/* scratch: plaintext body */
	uint8_t *sealed;		/* scratch: sealed message */
	int closing;			/* we are ending: nothing more is sent, and
					 * the server closing is no error */
	int muted;			/* frames are read but no longer shown */
	int done;			/* the session is over: see status */
	int status;			/* exit status when done */
	char reason[400];		/* one-line reason when status != 0 */
};

/* pass is copied; nick may be NULL (then $USER or "guest<id>"). */
int client_session_init(struct client_session *s, struct ce_engine *eng,
			const char *pass, size_t passlen, const char *nick,
			const struct client_ui *ui);
void client_session_fini(struct client_session *s);

/* Socket readable: read and handle every whole frame. */
void client_session_on_readable(struct client_session *s);

/* Send one message: 0, -EMSGSIZE (longer than CLIENT_MAX_TEXT), -EAGAIN
 * (not ready yet), or another -errno. */
int client_session_send_text(struct client_session *s, const uint8_t *text,
			     size_t len);
/* /nick: 0 or -EINVAL for an invalid name. */
int client_session_set_nick(struct client_session *s, const char *nick);
/* /who */
int client_session_who(struct client_session *s);

/* End the session with a status and a reason (printf format). */
void client_session_fail(struct client_session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif /* VCD_CHAT_CLIENT_SESSION_H */
