/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * client_session.c - the chat client's protocol handling (see
 * client_session.h): frames in, events out, our messages sealed and queued.
 */
#include "client_session.h"

#include "proto/clock.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

/* Room for the plaintext of the largest sealed message we may receive. */
#define BODY_BUF	(CHAT_MAX_PAYLOAD)

static void vnotice(struct client_session *s, const char *room,
		    enum client_line_kind kind, uint64_t ms, const char *fmt,
		    va_list ap)
{
	char buf[512];
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);

	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	s->ui.line(s->ui.ctx, kind, ms, room, NULL, (const uint8_t *)buf,
		   (size_t)n);
}

static void notice(struct client_session *s, enum client_line_kind kind,
		   uint64_t ms, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void notice(struct client_session *s, enum client_line_kind kind,
		   uint64_t ms, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vnotice(s, NULL, kind, ms, fmt, ap);
	va_end(ap);
}

void client_session_notice(struct client_session *s, enum client_line_kind kind,
			   const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vnotice(s, NULL, kind, client_now_ms(), fmt, ap);
	va_end(ap);
}

void client_session_lost(struct client_session *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->reason, sizeof(s->reason), fmt, ap);
	va_end(ap);
	s->lost = 1;
}

size_t client_session_offline(struct client_session *s)
{
	size_t i, dropped = client_conn_pending(&s->conn);

	client_conn_close(&s->conn);
	if (s->ready)
		s->prev_id = s->my_id;
	s->ready = 0;
	s->lost = 0;
	for (i = 0; i < s->nrooms; i++) {
		struct client_room *r = s->rooms[i];

		r->joined = 0;
		r->seen_own_join = 0;
		r->hello_due_ms = 0;
		r->nickinfo_due_ms = 0;
	}
	return dropped;
}

void client_session_fail(struct client_session *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->reason, sizeof(s->reason), fmt, ap);
	va_end(ap);
	s->status = 1;
	s->done = 1;
}

/* A random delay for a nick announcement, at least 1 ms. */
static uint64_t announce_delay(void)
{
	uint32_t r = 0;

	if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
		r = (uint32_t)clock_mono_ms();
	return 1 + r % CLIENT_ANNOUNCE_DELAY_MS;
}

/* The room's name for event lines: only when we are in more than one. */
static const char *label(const struct client_session *s,
			 const struct client_room *r)
{
	return s->nrooms > 1 ? r->name : NULL;
}

static void notice_room(struct client_session *s, const struct client_room *r,
			enum client_line_kind kind, uint64_t ms, const char *fmt,
			...) __attribute__((format(printf, 5, 6)));

static void notice_room(struct client_session *s, const struct client_room *r,
			enum client_line_kind kind, uint64_t ms, const char *fmt,
			...)
{
	va_list ap;

	va_start(ap, fmt);
	vnotice(s, label(s, r), kind, ms, fmt, ap);
	va_end(ap);
}

static struct client_room *room_by_id(struct client_session *s,
				      const uint8_t *id)
{
	size_t i;

	for (i = 0; i < s->nrooms; i++)
		if (!memcmp(s->rooms[i]->id, id, CHAT_ROOM_ID_LEN))
			return s->rooms[i];
	return NULL;
}

static size_t room_index(const struct client_session *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->nrooms; i++)
		if (!strcmp(s->rooms[i]->name, name))
			return i;
	return SIZE_MAX;
}

static void room_free(struct client_room *r)
{
	if (!r)
		return;
	room_ctx_free(r->ctx);
	replay_guard_free(&r->seen);
	client_peers_free(&r->peers);
	OPENSSL_cleanse(r, sizeof(*r));
	free(r);
}

/* A room with its keys (scrypt: about half a second and 128 MiB). */
static int room_new(struct client_session *s, const char *name,
		    struct client_room **out)
{
	struct client_room *r;
	struct room_keys keys;
	char err[256] = "";
	int rc;

	if (!room_name_valid(name))
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	snprintf(r->name, sizeof(r->name), "%s", name);
	rc = room_derive_keys(s->pass, s->passlen, name, &keys);
	if (rc == 0) {
		memcpy(r->id, keys.id, sizeof(r->id));
		rc = room_ctx_new(&r->ctx, s->eng, &keys, err, sizeof(err));
		if (rc)
			snprintf(s->reason, sizeof(s->reason),
				 "cannot create the cipher session: %s",
				 err[0] ? err : strerror(-rc));
	} else {
		snprintf(s->reason, sizeof(s->reason), "key derivation failed (%s)",
			 strerror(-rc));
	}
	room_keys_wipe(&keys);
	if (rc) {
		room_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

int client_session_init(struct client_session *s, struct ce_engine *eng,
			const char *pass, size_t passlen, const char *nick,
			const char *const *rooms, size_t nrooms,
			const struct client_ui *ui)
{
	size_t i;
	int rc;

	memset(s, 0, sizeof(*s));
	s->conn.fd = -1;
	s->eng = eng;
	s->ui = *ui;
	if (nrooms < 1 || nrooms > CLIENT_ROOMS_MAX)
		return -EINVAL;
	s->pass = malloc(passlen + 1);
	s->body = malloc(BODY_BUF);
	s->sealed = malloc(CHAT_MAX_PAYLOAD);
	if (!s->pass || !s->body || !s->sealed) {
		client_session_fini(s);
		return -ENOMEM;
	}
	memcpy(s->pass, pass, passlen);
	s->pass[passlen] = '\0';
	s->passlen = passlen;
	if (nick) {
		if (!client_nick_valid(nick)) {
			client_session_fini(s);
			return -EINVAL;
		}
		snprintf(s->nick, sizeof(s->nick), "%s", nick);
		s->nick_set = 1;
	}
	for (i = 0; i < nrooms; i++) {
		if (room_index(s, rooms[i]) != SIZE_MAX)
			continue;		/* named twice */
		rc = room_new(s, rooms[i], &s->rooms[s->nrooms]);
		if (rc) {
			client_session_fini(s);
			return rc;
		}
		s->nrooms++;
	}
	return 0;
}

void client_session_fini(struct client_session *s)
{
	size_t i;

	if (s->pass) {
		OPENSSL_cleanse(s->pass, s->passlen);
		free(s->pass);
	}
	for (i = 0; i < s->nrooms; i++)
		room_free(s->rooms[i]);
	s->nrooms = 0;
	free(s->body);
	free(s->sealed);
	s->pass = NULL;
	s->body = s->sealed = NULL;
}

/* Seal a body of the given kind and queue it as a SEND frame to room r. */
static int send_body(struct client_session *s, struct client_room *r,
		     uint8_t kind, const uint8_t *text, size_t len)
{
	size_t blen, slen;
	int rc;

	if (!s->ready)
		return -EAGAIN;
	if (s->closing)		/* ending: nothing more goes out */
		return -ESHUTDOWN;
	if (len > CLIENT_MAX_TEXT)
		return -EMSGSIZE;
	blen = client_body_encode(s->body, kind, s->nick, text, len);
	memcpy(s->sealed, r->id, CHAT_ROOM_ID_LEN);
	rc = room_seal(r->ctx, client_now_ms(), s->body, blen,
		       s->sealed + CHAT_SEND_HDR_LEN, &slen);
	if (rc)
		return rc;
	return client_conn_send(&s->conn, CHAT_T_SEND, s->sealed,
				CHAT_SEND_HDR_LEN + slen);
}

int client_session_send_text(struct client_session *s, const uint8_t *text,
			     size_t len)
{
	struct client_room *r = s->nrooms ? s->rooms[s->current] : NULL;
	int rc;

	if (!r)
		return -EAGAIN;
	rc = send_body(s, r, CLIENT_BODY_MSG, text, len);
	if (rc == 0)
		s->ui.line(s->ui.ctx, CLIENT_LINE_OWN, client_now_ms(), label(s, r),
			   s->nick, text, len);
	return rc;
}

int client_session_set_nick(struct client_session *s, const char *nick)
{
	char old[sizeof(s->nick)];
	size_t i;
	int rc = 0;

	if (!client_nick_valid(nick))
		return -EINVAL;
	memcpy(old, s->nick, sizeof(old));
	snprintf(s->nick, sizeof(s->nick), "%s", nick);
	for (i = 0; i < s->nrooms && rc == 0; i++)
		if (s->rooms[i]->joined)
			rc = send_body(s, s->rooms[i], CLIENT_BODY_RENAME, NULL, 0);
	if (rc && rc != -EAGAIN) {
		memcpy(s->nick, old, sizeof(old));
		return rc;
	}
	notice(s, CLIENT_LINE_NOTICE, client_now_ms(), "you are now known as %s",
	       s->nick);
	return 0;
}

int client_session_who(struct client_session *s)
{
	uint8_t req[CHAT_WHO_LEN];

	if (!s->ready || !s->nrooms)
		return -EAGAIN;
	chat_who_put(req, s->rooms[s->current]->id, 0);	/* the first page */
	return client_conn_send(&s->conn, CHAT_T_WHO, req, sizeof(req));
}

static int send_room_frame(struct client_session *s, uint8_t type,
			   const struct client_room *r)
{
	return client_conn_send(&s->conn, type, r->id, CHAT_ROOM_ID_LEN);
}

/* JOIN r; our nick is announced there after a random pause (the HELLO
 * follows the JOIN on the wire, so it may go before JOINED is back). */
static int send_join(struct client_session *s, struct client_room *r)
{
	int rc = send_room_frame(s, CHAT_T_JOIN, r);

	if (rc == 0)
		r->hello_due_ms = clock_mono_ms() + announce_delay();
	return rc;
}

int client_session_join(struct client_session *s, const char *name)
{
	size_t i = room_index(s, name);
	size_t max = s->max_rooms < CLIENT_ROOMS_MAX ? s->max_rooms : CLIENT_ROOMS_MAX;
	struct client_room *r;
	int rc;

	if (!room_name_valid(name))
		return -EINVAL;
	if (i != SIZE_MAX) {
		s->current = i;
		notice(s, CLIENT_LINE_NOTICE, client_now_ms(),
		       "now talking in %s", name);
		return 0;
	}
	if (!s->ready)
		return -EAGAIN;
	if (s->nrooms >= max)
		return -ENOSPC;
	rc = room_new(s, name, &r);
	if (rc)
		return rc;
	room_ctx_set_sender(r->ctx, s->my_id);
	rc = send_join(s, r);
	if (rc) {
		room_free(r);
		return rc;
	}
	s->rooms[s->nrooms] = r;
	s->current = s->nrooms++;
	return 0;
}

int client_session_part(struct client_session *s, const char *name)
{
	size_t i = name ? room_index(s, name) : s->current;
	struct client_room *r;
	int rc;

	if (i == SIZE_MAX || i >= s->nrooms)
		return -ENOENT;
	if (s->nrooms == 1)
		return -EBUSY;
	r = s->rooms[i];
	/* not connected: it is just not joined again */
	rc = s->ready ? send_room_frame(s, CHAT_T_PART, r) : 0;
	if (rc)
		return rc;
	notice(s, CLIENT_LINE_NOTICE, client_now_ms(), "you left %s", r->name);
	room_free(r);
	s->rooms[i] = s->rooms[--s->nrooms];
	if (s->current == s->nrooms)
		s->current = i;
	if (s->current >= s->nrooms)
		s->current = 0;
	if (i == s->current || s->nrooms == 1)
		notice(s, CLIENT_LINE_NOTICE, client_now_ms(), "now talking in %s",
		       s->rooms[s->current]->name);
	return 0;
}

void client_session_list_rooms(struct client_session *s)
{
	char line[CLIENT_ROOMS_MAX * (ROOM_NAME_MAX + 32) + 16];
	size_t i, off = 0;

	off += (size_t)snprintf(line, sizeof(line), "rooms:");
	for (i = 0; i < s->nrooms && off < sizeof(line); i++) {
		const struct client_room *r = s->rooms[i];

		off += (size_t)snprintf(line + off, sizeof(line) - off,
					"%s %s (%u other%s%s)", i ? "," : "",
					r->name, r->others, r->others == 1 ? "" : "s",
					i == s->current ? ", current" : "");
	}
	if (off >= sizeof(line))
		off = sizeof(line) - 1;
	s->ui.line(s->ui.ctx, CLIENT_LINE_NOTICE, client_now_ms(), NULL, NULL,
		   (const uint8_t *)line, off);
}

uint64_t client_session_next_due(const struct client_session *s)
{
	uint64_t next = 0;
	size_t i;

	for (i = 0; i < s->nrooms; i++) {
		const struct client_room *r = s->rooms[i];

		if (r->hello_due_ms && (!next || r->hello_due_ms < next))
			next = r->hello_due_ms;
		if (r->nickinfo_due_ms && (!next || r->nickinfo_due_ms < next))
			next = r->nickinfo_due_ms;
	}
	return next;
}

void client_session_tick(struct client_session *s, uint64_t now)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < s->nrooms && !rc && !s->done; i++) {
		struct client_room *r = s->rooms[i];

		if (r->hello_due_ms && r->hello_due_ms <= now) {
			r->hello_due_ms = 0;
			r->nickinfo_due_ms = 0;	/* the hello says it too */
			rc = send_body(s, r, CLIENT_BODY_HELLO, NULL, 0);
		}
		if (!rc && r->nickinfo_due_ms && r->nickinfo_due_ms <= now) {
			r->nickinfo_due_ms = 0;
			rc = send_body(s, r, CLIENT_BODY_NICKINFO, NULL, 0);
		}
	}
	if (rc && rc != -EAGAIN && rc != -ESHUTDOWN)	/* the engine failed */
		client_session_fail(s, "cannot send: %s", strerror(-rc));
}

void client_session_announce_now(struct client_session *s)
{
	size_t i;

	for (i = 0; i < s->nrooms; i++) {
		if (s->rooms[i]->hello_due_ms)
			s->rooms[i]->hello_due_ms = 1;
		if (s->rooms[i]->nickinfo_due_ms)
			s->rooms[i]->nickinfo_due_ms = 1;
	}
}

/* "alice (7)" or "7" into buf. */
static const char *who_str(struct client_room *r, uint32_t id, char *buf,
			   size_t n)
{
	struct client_peer *p = client_peer_find(&r->peers, id);

	if (p && p->nick[0])
		snprintf(buf, n, "%s (%u)", p->nick, id);
	else
		snprintf(buf, n, "%u", id);
	return buf;
}

static void on_welcome(struct client_session *s, const uint8_t *p, size_t len)
{
	struct chat_welcome w;
	size_t i;

	if (s->ready || chat_welcome_decode(p, len, &w)) {
		client_session_fail(s, "protocol error: unexpected WELCOME");
		return;
	}
	s->my_id = w.your_id;
	s->max_rooms = w.max_rooms;
	if (s->nrooms > w.max_rooms) {
		client_session_fail(s, "the server allows %u room%s per connection, not %zu",
				    w.max_rooms, w.max_rooms == 1 ? "" : "s",
				    s->nrooms);
		return;
	}
	if (!s->nick_set && !s->nick[0]) {	/* kept across reconnects */
		const char *u = getenv("USER");

		if (u && client_nick_valid(u))
			snprintf(s->nick, sizeof(s->nick), "%s", u);
		else
			snprintf(s->nick, sizeof(s->nick), "guest%u", w.your_id);
	}
	for (i = 0; i < s->nrooms; i++) {
		room_ctx_set_sender(s->rooms[i]->ctx, s->my_id);
		if (send_join(s, s->rooms[i])) {
			client_session_fail(s, "out of memory");
			return;
		}
	}
	s->ready = 1;
	s->ready_mono_ms = clock_mono_ms();
	if (s->connections++) {
		notice(s, CLIENT_LINE_NOTICE, client_now_ms(),
		       "reconnected to %s as %s (%u), %u client%s on the server",
		       s->server ? s->server : "the server", s->nick, s->my_id,
		       w.clients, w.clients == 1 ? "" : "s");
		return;
	}
	fprintf(stderr, "chat-client: crypto engine: %s\n",
		ce_engine_describe(s->eng));
	notice(s, CLIENT_LINE_NOTICE, client_now_ms(),
	       "connected as %s (%u), %u client%s on the server", s->nick,
	       s->my_id, w.clients, w.clients == 1 ? "" : "s");
}

static void on_joined(struct client_session *s, const uint8_t *p, size_t len)
{
	struct chat_joined j;
	struct client_room *r;

	if (chat_joined_decode(p, len, &j)) {
		client_session_fail(s, "protocol error: bad JOINED frame");
		return;
	}
	r = room_by_id(s, j.room);
	if (!r || r->joined)
		return;		/* a room we left again, or a server's whim */
	r->joined = 1;
	r->joined_ms = client_now_ms();
	r->others = j.members ? j.members - 1 : 0;
	notice_room(s, r, CLIENT_LINE_NOTICE, client_now_ms(),
		    "you joined %s, %u member%s in the room", r->name, j.members,
		    j.members == 1 ? "" : "s");
}

static const char *leave_reason(uint8_t r)
{
	switch (r) {
	case CHAT_LEAVE_QUIT: return "";
	case CHAT_LEAVE_SLOW: return " (dropped by the server: too slow)";
	case CHAT_LEAVE_ERROR: return " (dropped by the server: protocol error)";
	case CHAT_LEAVE_SHUTDOWN: return " (server shutting down)";
	case CHAT_LEAVE_FLOOD: return " (dropped by the server: flooding)";
	case CHAT_LEAVE_TIMEOUT: return " (dropped by the server: no answer)";
	case CHAT_LEAVE_MEMORY: return " (dropped by the server: out of memory)";
	case CHAT_LEAVE_PART: return " (left the room)";
	default: return "";
	}
}

/* One join or leave from a PRESENCE batch; 1 when it was a join. */
static int on_presence_entry(struct client_session *s, struct client_room *r,
			     uint64_t ms, const struct chat_presence_entry *e)
{
	struct client_peer *peer = client_peer_get(&r->peers, e->id);
	char who[64];

	if (!peer) {
		client_session_fail(s, "out of memory");
		return 0;
	}
	if (e->event == CHAT_PRES_JOINED) {
		/* A new member: its nick is unknown until it says it. */
		peer->nick[0] = '\0';
		peer->present = 1;
		notice_room(s, r, CLIENT_LINE_NOTICE, ms, "%u joined", e->id);
		return 1;
	}
	if (e->id == s->prev_id && s->prev_id != s->my_id)
		notice_room(s, r, CLIENT_LINE_NOTICE, ms,
			    "your previous connection (%u) left%s", e->id,
			    leave_reason(e->reason));
	else
		notice_room(s, r, CLIENT_LINE_NOTICE, ms, "%s left%s",
			    who_str(r, e->id, who, sizeof(who)),
			    leave_reason(e->reason));
	peer->nick[0] = '\0';
	peer->present = 0;
	return 0;
}

/*
 * PRESENCE: a room's joins and leaves in the order they happened.  The
 * batch that carries our own join also carries what happened before it,
 * which our JOINED already counted: that part is skipped.
 */
static void on_presence(struct client_session *s, const uint8_t *p, size_t len)
{
	struct chat_presence pr;
	struct chat_presence_entry e;
	struct client_room *r;
	uint32_t i;
	int joins = 0;

	if (chat_presence_decode(p, len, &pr)) {
		client_session_fail(s, "protocol error: bad PRESENCE frame");
		return;
	}
	r = room_by_id(s, pr.room);
	if (!r || !r->joined)
		return;
	for (i = 0; i < pr.n && !s->done; i++) {
		chat_presence_entry(&pr, i, &e);
		if (!r->seen_own_join) {
			r->seen_own_join = e.id == s->my_id && e.event == CHAT_PRES_JOINED;
			continue;
		}
		joins += on_presence_entry(s, r, pr.unix_ms, &e);
	}
	r->others = pr.clients ? pr.clients - 1 : 0;
	/* Tell newcomers our nick, after a random pause; every member's
	 * answer reaches every member, so only in small rooms (in big ones
	 * nicks are learnt from the messages themselves). */
	if (joins && !s->done && r->others <= CLIENT_NICKINFO_ROOM_MAX &&
	    !r->nickinfo_due_ms && !r->hello_due_ms)
		r->nickinfo_due_ms = clock_mono_ms() + announce_delay();
}

/* The sender's name on screen: its nick, and when another present member
 * (or we) go by the same nick, a tag from its epoch to tell them apart. */
static const char *sender_label(struct client_session *s, struct client_room *r,
				const struct client_peer *peer, char *buf,
				size_t n)
{
	if (!strcmp(peer->nick, s->nick) ||
	    client_peers_nick_taken(&r->peers, peer->nick, peer)) {
		snprintf(buf, n, "%s~%04x", peer->nick,
			 (unsigned)(peer->epoch & 0xffff));
		return buf;
	}
	return peer->nick;
}

/* peer now goes by a nick another member (or we) already use: say so,
 * once, with the labels both are shown with from now on. */
static void tell_nick_clash(struct client_session *s, struct client_room *r,
			    struct client_peer *peer, const char *nick)
{
	struct client_peer *other = client_peers_nick_taken(&r->peers, nick, peer);
	char a[CLIENT_NICK_MAX + 8], b[CLIENT_NICK_MAX + 8], who[16] = "you";

	if (!other && strcmp(nick, s->nick))
		return;
	snprintf(a, sizeof(a), "%s~%04x", nick, (unsigned)(peer->epoch & 0xffff));
	snprintf(b, sizeof(b), "%s", nick);
	if (other) {
		snprintf(who, sizeof(who), "%u", other->id);
		snprintf(b, sizeof(b), "%s~%04x", nick, (unsigned)(other->epoch & 0xffff));
	}
	notice_room(s, r, CLIENT_LINE_WARN, client_now_ms(),
		    "%u and %s both go by %s: shown as %s and %s from now on",
		    peer->id, who, nick, a, b);
}

static void on_body(struct client_session *s, struct client_room *r,
		    struct client_peer *peer, const struct room_opened *o,
		    const struct client_body *b)
{
	char old[64], name[CLIENT_NICK_MAX + 8];
	int new_nick = strcmp(peer->nick, b->nick) != 0;
	struct client_peer *before = new_nick ?
		client_peers_same_member(&r->peers, b->nick, o->epoch, peer) : NULL;

	peer->epoch = o->epoch;
	peer->present = 1;
	if (before) {		/* it reconnected: its old id is a ghost */
		before->present = 0;
		notice_room(s, r, CLIENT_LINE_NOTICE, o->sent_ms,
			    "%s (%u) reconnected as %u", before->nick, before->id,
			    peer->id);
	} else if (new_nick) {
		tell_nick_clash(s, r, peer, b->nick);
	}
	switch (b->kind) {
	case CLIENT_BODY_MSG:
		memcpy(peer->nick, b->nick, sizeof(peer->nick));
		s->ui.line(s->ui.ctx, CLIENT_LINE_MSG, o->sent_ms, label(s, r),
			   sender_label(s, r, peer, name, sizeof(name)), b->text,
			   b->text_len);
		break;
	case CLIENT_BODY_HELLO:
		memcpy(peer->nick, b->nick, sizeof(peer->nick));
		notice_room(s, r, CLIENT_LINE_NOTICE, o->sent_ms, "%u is %s",
			    peer->id, sender_label(s, r, peer, name, sizeof(name)));
		break;
	case CLIENT_BODY_RENAME:
		who_str(r, peer->id, old, sizeof(old));
		memcpy(peer->nick, b->nick, sizeof(peer->nick));
		notice_room(s, r, CLIENT_LINE_NOTICE, o->sent_ms,
			    "%s is now known as %s", old,
			    sender_label(s, r, peer, name, sizeof(name)));
		break;
	case CLIENT_BODY_NICKINFO:
		memcpy(peer->nick, b->nick, sizeof(peer->nick));
		break;
	}
}

/* A message of the room's history (HISTORY: sent before we joined, or
 * while we were reconnecting): shown marked as history with the sender's
 * time, once (the replay guard drops what we showed live); it tells us
 * nicks but not who is present.  Ours of this session were shown when we
 * typed them. */
static void on_history_body(struct client_session *s, struct client_room *r,
			    struct client_peer *peer, const struct room_opened *o,
			    const struct client_body *b)
{
	char name[CLIENT_NICK_MAX + 8];

	if (o->epoch == room_ctx_epoch(r->ctx))
		return;
	if (!peer->present) {	/* a live member's nick is newer */
		memcpy(peer->nick, b->nick, sizeof(peer->nick));
		peer->epoch = o->epoch;
	}
	if (b->kind != CLIENT_BODY_MSG)
		return;
	s->ui.line(s->ui.ctx, CLIENT_LINE_HISTORY, o->sent_ms, label(s, r),
		   sender_label(s, r, peer, name, sizeof(name)), b->text, b->text_len);
}

/* RELAY (history 0) or HISTORY (1): one sealed message of a room. */
static void on_sealed(struct client_session *s, const uint8_t *p, size_t len,
		      int history)
{
	struct chat_relay rl;
	struct client_room *r;
	struct client_peer *peer;
	struct client_body b;
	struct room_opened o;
	size_t blen = 0;
	int rc;

	if (chat_relay_decode(p, len, &rl)) {
		client_session_fail(s, "protocol error: bad %s frame",
				    history ? "HISTORY" : "RELAY");
		return;
	}
	r = room_by_id(s, rl.room);
	if (!r || !r->joined)
		return;		/* a room we left: still in flight */
	peer = client_peer_get(&r->peers, rl.sender_id);
	if (!peer) {
		client_session_fail(s, "out of memory");
		return;
	}
	rc = (history ? room_open_history : room_open)(r->ctx, rl.sender_id, rl.msg,
						       rl.msg_len, &r->seen,
						       client_now_ms(), s->body,
						       &blen, &o);
	if (rc == 0 && !history && o.sent_ms + CLIENT_JOIN_SKEW_MS < r->joined_ms) {
		if (!peer->warned_early)
			notice_room(s, r, CLIENT_LINE_WARN, rl.unix_ms,
				    "dropped a message from %u sent before you joined (replayed by the server?)",
				    rl.sender_id);
		peer->warned_early = 1;
		return;
	}
	if (rc == 0 && client_body_decode(s->body, blen, &b) == 0) {
		(history ? on_history_body : on_body)(s, r, peer, &o, &b);
		return;
	}
	if (rc == -ENOMEM) {
		client_session_fail(s, "out of memory");
		return;
	}
	if (rc == -EALREADY && history)
		return;		/* history overlaps what we were shown live */
	if (rc == -EALREADY) {
		if (!peer->warned_replay)
			notice_room(s, r, CLIENT_LINE_WARN, rl.unix_ms,
				    "dropped a replayed message from %u",
				    rl.sender_id);
		peer->warned_replay = 1;
		return;
	}
	if (rc == -ESTALE) {
		if (!peer->warned_stale && history)
			notice_room(s, r, CLIENT_LINE_WARN, rl.unix_ms,
				    "dropped a history message from %u sent more than %u h ago or in the future (replayed, or a wrong clock)",
				    rl.sender_id, REPLAY_HISTORY_MS / 3600000u);
		else if (!peer->warned_stale)
			notice_room(s, r, CLIENT_LINE_WARN, rl.unix_ms,
				    "dropped a message from %u sent more than %u s from now (replayed, held back, or a wrong clock)",
				    rl.sender_id, REPLAY_FRESH_MS / 1000u);
		peer->warned_stale = 1;
		return;
	}
	if (peer->warned_auth)
		return;
	peer->warned_auth = 1;
	if (rc == -EPROTONOSUPPORT)
		notice_room(s, r, CLIENT_LINE_WARN, rl.unix_ms,
			    "cannot read message from %u (end-to-end format version %u, this client speaks %u)",
			    rl.sender_id, rl.msg_len ? rl.msg[0] : 0, ROOM_E2E_VERSION);
	else if (rc == 0)
		notice_room(s, r, CLIENT_LINE_WARN, rl.unix_ms,
			    "malformed message body from %u", rl.sender_id);
	else
		notice_room(s, r, CLIENT_LINE_WARN, rl.unix_ms,
			    "cannot authenticate message from %u (wrong room key?)",
			    rl.sender_id);
}

/* One WHO_REPLY page; the first page says how many are connected, a page
 * with more after it says how many are not listed. */
static void on_who(struct client_session *s, const uint8_t *p, size_t len)
{
	size_t max = len / 4, off, cap;
	uint32_t *ids = malloc((max ? max : 1) * sizeof(*ids));
	struct chat_who_reply r;
	struct client_room *room;
	char *line;
	FILE *f;

	if (!ids || chat_who_reply_decode(p, len, &r, ids, max)) {
		free(ids);
		client_session_fail(s, "protocol error: bad WHO_REPLY frame");
		return;
	}
	room = room_by_id(s, r.room);
	f = room ? open_memstream(&line, &cap) : NULL;
	if (!f) {
		free(ids);
		return;
	}
	fprintf(f, "%u in %s:", r.total, room->name);
	for (off = 0; off < r.n; off++) {
		struct client_peer *peer = client_peer_find(&room->peers, ids[off]);

		fputs(off ? ", " : " ", f);
		if (ids[off] == s->my_id)
			fprintf(f, "%u (you, %s)", ids[off], s->nick);
		else if (peer && peer->nick[0])
			fprintf(f, "%u (%s)", ids[off], peer->nick);
		else
			fprintf(f, "%u", ids[off]);
	}
	if (r.next && r.total > r.n)
		fprintf(f, " and %u more", r.total - r.n);
	fclose(f);
	s->ui.line(s->ui.ctx, CLIENT_LINE_NOTICE, client_now_ms(), label(s, room),
		   NULL, (const uint8_t *)line, strlen(line));
	free(line);
	free(ids);
}

/* An ERROR that ends this connection but not the session: the server is
 * stopping, its PING went unanswered, our queue or its memory overflowed.
 * The others (a malformed frame, a protocol version, flooding) would only
 * happen again. */
static int error_is_transient(uint8_t code)
{
	return code == CHAT_ERR_SHUTDOWN || code == CHAT_ERR_TIMEOUT ||
	       code == CHAT_ERR_SLOW || code == CHAT_ERR_MEMORY;
}

static void on_reason(struct client_session *s, uint8_t type, const uint8_t *p,
		      size_t len)
{
	struct chat_reason r;

	if (chat_reason_decode(p, len, &r)) {
		client_session_fail(s, "protocol error: bad %s frame",
				    type == CHAT_T_REFUSED ? "REFUSED" : "ERROR");
		return;
	}
	if (type == CHAT_T_REFUSED) {	/* the loop decides: next relay or end */
		client_session_lost(s, "refused by the server: %s", r.text);
		s->refused = 1;
	} else if (error_is_transient(r.code))
		client_session_lost(s, "server error: %s", r.text);
	else
		client_session_fail(s, "server error: %s", r.text);
}

static void on_frame(struct client_session *s, const struct chat_frame_hdr *h,
		     const uint8_t *p)
{
	if (s->muted)
		return;
	if (!s->ready && h->type != CHAT_T_WELCOME &&
	    h->type != CHAT_T_REFUSED && h->type != CHAT_T_ERROR) {
		client_session_fail(s, "protocol error: frame type 0x%02x before WELCOME",
				    h->type);
		return;
	}
	switch (h->type) {
	case CHAT_T_WELCOME: on_welcome(s, p, h->len); break;
	case CHAT_T_JOINED: on_joined(s, p, h->len); break;
	case CHAT_T_PRESENCE: on_presence(s, p, h->len); break;
	case CHAT_T_PING:
		/* Keepalive: answer at once (nothing is queued once we are
		 * ending: our side may be shut down already). */
		if (!s->closing && client_conn_send(&s->conn, CHAT_T_PONG, NULL, 0))
			client_session_fail(s, "out of memory");
		break;
	case CHAT_T_RELAY: on_sealed(s, p, h->len, 0); break;
	case CHAT_T_HISTORY: on_sealed(s, p, h->len, 1); break;
	case CHAT_T_WHO_REPLY: on_who(s, p, h->len); break;
	case CHAT_T_REFUSED:
	case CHAT_T_ERROR: on_reason(s, h->type, p, h->len); break;
	default:
		client_session_fail(s, "protocol error: unexpected frame type 0x%02x from the server",
				    h->type);
	}
}

void client_session_on_readable(struct client_session *s)
{
	struct chat_frame_hdr h;
	const uint8_t *p;
	int rc = client_conn_fill(&s->conn);

	if (rc) {
		client_session_lost(s, "connection lost: %s", strerror(-rc));
		return;
	}
	while (!s->done && !s->lost &&
	       (rc = client_conn_next(&s->conn, &h, &p)) == 1) {
		if (!chat_type_from_server(h.type)) {
			client_session_fail(s, "protocol error: frame type 0x%02x is not a server frame",
					    h.type);
			return;
		}
		on_frame(s, &h, p);
		client_conn_consume(&s->conn, &h);
	}
	if (s->done || s->lost)
		return;
	if (rc == -EPROTONOSUPPORT) {
		client_session_fail(s, "the server speaks protocol version %u, this client speaks %u",
				    h.version, CHAT_PROTO_VERSION);
	} else if (rc < 0) {
		client_session_fail(s, "protocol error: bad frame header from the server (%s)",
				    strerror(-rc));
	} else if (s->conn.eof) {
		if (s->closing) {
			s->done = 1;
		} else {
			client_session_lost(s, "%s", s->conn.in_len > s->conn.in_off ?
					    "the server closed the connection in the middle of a frame" :
					    "the server closed the connection");
		}
	}
}
