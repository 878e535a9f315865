/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * client_session.h - one chat client's protocol session: the frames from the
 * server (WELCOME, JOINED, PRESENCE, RELAY, WHO_REPLY, PING, REFUSED,
 * ERROR), the rooms it is in (each with keys derived from the passphrase and
 * the room's name, its replay guard and what it knows of the members),
 * sealing our messages and opening everyone else's, nicknames, the delayed
 * nick announcements, and the end state (exit status and one-line reason).
 *
 * Does not own: the terminal or stdin (client_tty.c, client_pipe.c), the
 * poll loop (client_loop.c), the crypto (room_crypto.c, replay_guard.c) or
 * the socket buffers (client_conn.c).  Events reach the front end as lines
 * through struct client_ui.
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
#include "proto/room_crypto.h"

/* Answer joins with our nick only while at most this many others are in
 * the room (each answer is relayed to everyone). */
#define CLIENT_NICKINFO_ROOM_MAX	32
/* Nick announcements wait a random time up to this long, so that they are
 * not told apart from messages by following a join at once. */
#define CLIENT_ANNOUNCE_DELAY_MS	3000u
/* A message sent (by its authenticated clock) this long before we joined
 * the room is refused: the server would be replaying what it recorded
 * earlier.  Room for clocks that differ by up to this much. */
#define CLIENT_JOIN_SKEW_MS		10000u
/* Rooms one client is in at most (the server may allow fewer). */
#define CLIENT_ROOMS_MAX		64u

struct client_ui {
	/* room: the room's name when the client is in more than one, else
	 * NULL; nick: the sender's label for MSG/OWN lines. */
	void (*line)(void *ctx, enum client_line_kind kind, uint64_t unix_ms,
		     const char *room, const char *nick, const uint8_t *text,
		     size_t len);
	void *ctx;
};

struct client_room {
	char name[ROOM_NAME_MAX + 1];
	uint8_t id[CHAT_ROOM_ID_LEN];
	struct room_ctx *ctx;		/* keys, our epoch and sequence */
	struct replay_guard seen;
	struct client_peers peers;
	uint32_t others;		/* other members present, as notices tell */
	int joined;			/* JOINED received */
	uint64_t joined_ms;		/* then (wall clock) */
	int seen_own_join;		/* PRESENCE entries count from here on */
	uint64_t hello_due_ms;		/* announce our nick then (0: not due) */
	uint64_t nickinfo_due_ms;	/* answer joins with our nick then */
};

struct client_session {
	struct client_conn conn;
	struct ce_engine *eng;
	char *pass;			/* kept for /join; wiped at the end */
	size_t passlen;
	char nick[CLIENT_NICK_MAX + 1];
	int nick_set;			/* --nick given (else chosen after WELCOME) */
	uint32_t my_id;
	uint32_t prev_id;		/* our id before the last reconnect (0: none) */
	uint32_t max_rooms;		/* what the server allows */
	int ready;			/* WELCOME seen, the first room joined */
	struct client_room *rooms[CLIENT_ROOMS_MAX];
	size_t nrooms;
	size_t current;			/* where typed lines go */
	struct client_ui ui;
	uint8_t *body;			/* scratch: plaintext body */
	uint8_t *sealed;		/* scratch: sealed message */
	const char *server;		/* label of the relay in use (for notices) */
	unsigned connections;		/* WELCOMEs seen so far */
	int refused;			/* the connection ended with REFUSED */
	uint64_t ready_mono_ms;		/* when the last WELCOME came */
	int lost;			/* the connection is gone, the rooms are
					 * kept: reconnect (client_loop.c) or end;
					 * reason says why */
	int closing;			/* we are ending: nothing more is sent, and
					 * the server closing is no error */
	int muted;			/* frames are read but no longer shown */
	int done;			/* the session is over: see status */
	int status;			/* exit status when done */
	char reason[400];		/* one-line reason when status != 0 */
};

/* pass is copied; nick may be NULL (then $USER or "guest<id>"); rooms:
 * the names to join once connected (1..CLIENT_ROOMS_MAX, valid), the first
 * one current. */
int client_session_init(struct client_session *s, struct ce_engine *eng,
			const char *pass, size_t passlen, const char *nick,
			const char *const *rooms, size_t nrooms,
			const struct client_ui *ui);
void client_session_fini(struct client_session *s);

/* Timers (nick announcements): when the next is due (monotonic ms, 0 =
 * none), and run what is due. */
uint64_t client_session_next_due(const struct client_session *s);
void client_session_tick(struct client_session *s, uint64_t now_mono_ms);
/* We are leaving: the nick announcements still waiting are due now. */
void client_session_announce_now(struct client_session *s);

/* Socket readable: read and handle every whole frame. */
void client_session_on_readable(struct client_session *s);

/* Send one message to the current room: 0, -EMSGSIZE (longer than
 * CLIENT_MAX_TEXT), -EAGAIN (not ready yet), or another -errno. */
int client_session_send_text(struct client_session *s, const uint8_t *text,
			     size_t len);
/* /nick (in every room): 0 or -EINVAL for an invalid name. */
int client_session_set_nick(struct client_session *s, const char *nick);
/* /who: the current room's members. */
int client_session_who(struct client_session *s);
/* /join NAME: join it (derives its keys: about half a second) and make it
 * current; a room we are in just becomes current.  0, -EINVAL (bad name),
 * -ENOSPC (as many rooms as allowed), or another -errno. */
int client_session_join(struct client_session *s, const char *name);
/* /part [NAME]: leave it (NULL: the current room).  0, -ENOENT (not in
 * it), -EBUSY (the last room: use /quit). */
int client_session_part(struct client_session *s, const char *name);
/* /rooms: one notice line listing our rooms, the current one marked. */
void client_session_list_rooms(struct client_session *s);

/* The connection is gone (end of stream, an error, the server's PING
 * timeout or shutdown): sets lost and the reason; the loop reconnects or
 * ends the session. */
void client_session_lost(struct client_session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * Close the connection and keep everything a reconnect needs: the rooms,
 * their keys, our epoch and sequence in each (receivers' replay guards
 * keep accepting us), the replay guards and what we know of the members.
 * Each room must be joined again: the next WELCOME sends the JOINs and
 * schedules the nick announcements, the next JOINED restarts the
 * join-time rule (CLIENT_JOIN_SKEW_MS) from then.  Returns the bytes that
 * were still queued and are now dropped.
 */
size_t client_session_offline(struct client_session *s);
/* A notice line from outside the session (the loop's reconnect news). */
void client_session_notice(struct client_session *s, enum client_line_kind kind,
			   const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* End the session with a status and a reason (printf format). */
void client_session_fail(struct client_session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif /* VCD_CHAT_CLIENT_SESSION_H */
