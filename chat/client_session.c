/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * client_session.c - the chat client's protocol handling (see
 * client_session.h): frames in, events out, our messages sealed and queued.
 */
#include "client_session.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

/* Room for the plaintext of the largest sealed message we may receive. */
#define BODY_BUF	(CHAT_MAX_PAYLOAD)

static void notice(struct client_session *s, enum client_line_kind kind,
		   uint64_t ms, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void notice(struct client_session *s, enum client_line_kind kind,
		   uint64_t ms, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	s->ui.line(s->ui.ctx, kind, ms, NULL, (const uint8_t *)buf, (size_t)n);
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

int client_session_init(struct client_session *s, struct ce_engine *eng,
			const char *pass, size_t passlen, const char *nick,
			const struct client_ui *ui)
{
	memset(s, 0, sizeof(*s));
	s->conn.fd = -1;
	s->eng = eng;
	s->ui = *ui;
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
	return 0;
}

void client_session_fini(struct client_session *s)
{
	if (s->pass) {
		OPENSSL_cleanse(s->pass, s->passlen);
		free(s->pass);
	}
	room_ctx_free(s->room);
	client_peers_free(&s->peers);
	free(s->body);
	free(s->sealed);
	s->pass = NULL;
	s->room = NULL;
	s->body = s->sealed = NULL;
}

/* Seal a body of the given kind and queue it as a SEND frame. */
static int send_body(struct client_session *s, uint8_t kind,
		     const uint8_t *text, size_t len)
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
	rc = room_seal(s->room, s->body, blen, s->sealed, &slen);
	if (rc)
		return rc;
	return client_conn_send(&s->conn, CHAT_T_SEND, s->sealed, slen);
}

int client_session_send_text(struct client_session *s, const uint8_t *text,
			     size_t len)
{
	int rc = send_body(s, CLIENT_BODY_MSG, text, len);

	if (rc == 0)
		s->ui.line(s->ui.ctx, CLIENT_LINE_OWN, client_now_ms(), s->nick,
			   text, len);
	return rc;
}

int client_session_set_nick(struct client_session *s, const char *nick)
{
	char old[sizeof(s->nick)];
	int rc;

	if (!client_nick_valid(nick))
		return -EINVAL;
	memcpy(old, s->nick, sizeof(old));
	snprintf(s->nick, sizeof(s->nick), "%s", nick);
	rc = send_body(s, CLIENT_BODY_RENAME, NULL, 0);
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
	uint8_t cursor[CHAT_WHO_LEN];

	chat_who_put(cursor, 0);	/* the first page */
	return client_conn_send(&s->conn, CHAT_T_WHO, cursor, sizeof(cursor));
}

/* "alice (7)" or "7" into buf. */
static const char *who_str(struct client_session *s, uint32_t id, char *buf,
			   size_t n)
{
	struct client_peer *p = client_peer_find(&s->peers, id);

	if (p && p->nick[0])
		snprintf(buf, n, "%s (%u)", p->nick, id);
	else
		snprintf(buf, n, "%u", id);
	return buf;
}

static void on_welcome(struct client_session *s, const uint8_t *p, size_t len)
{
	struct chat_welcome w;
	struct room_keys keys;
	struct timespec ts;
	/* when we joined, not when scrypt is done: the server's notices of
	 * later joins, printed after this line, carry earlier times otherwise */
	uint64_t joined_ms = client_now_ms();
	char err[256] = "";
	int rc;

	if (s->ready || chat_welcome_decode(p, len, &w)) {
		client_session_fail(s, "protocol error: unexpected WELCOME");
		return;
	}
	s->my_id = w.your_id;
	s->others = w.clients ? w.clients - 1 : 0;
	if (!s->nick_set) {
		const char *u = getenv("USER");

		if (u && client_nick_valid(u))
			snprintf(s->nick, sizeof(s->nick), "%s", u);
		else
			snprintf(s->nick, sizeof(s->nick), "guest%u", w.your_id);
	}
	/* scrypt: ~0.5 s and 128 MiB, once per connection. */
	rc = room_derive_keys(s->pass, s->passlen, w.salt, &keys);
	OPENSSL_cleanse(s->pass, s->passlen);
	if (rc) {
		client_session_fail(s, "key derivation failed (%s)", strerror(-rc));
		return;
	}
	/* First sequence number: the wall clock in microseconds, so a
	 * connection id the server hands out again keeps rising. */
	clock_gettime(CLOCK_REALTIME, &ts);
	rc = room_ctx_new(&s->room, s->eng, &keys, s->my_id,
			  (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u,
			  err, sizeof(err));
	room_keys_wipe(&keys);
	if (rc) {
		client_session_fail(s, "cannot create the cipher session: %s",
				    err[0] ? err : strerror(-rc));
		return;
	}
	fprintf(stderr, "chat-client: crypto engine: %s\n",
		ce_engine_describe(s->eng));
	s->ready = 1;
	notice(s, CLIENT_LINE_NOTICE, joined_ms,
	       "connected as %s (%u), %u client%s in the room", s->nick,
	       s->my_id, w.clients, w.clients == 1 ? "" : "s");
	rc = send_body(s, CLIENT_BODY_HELLO, NULL, 0);
	if (rc)
		client_session_fail(s, "cannot send: %s", strerror(-rc));
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
	default: return "";
	}
}

/* One join or leave from a PRESENCE batch; 1 when it was a join. */
static int on_presence_entry(struct client_session *s, uint64_t ms,
			     const struct chat_presence_entry *e)
{
	struct client_peer *peer = client_peer_get(&s->peers, e->id);
	char who[64];

	if (!peer) {
		client_session_fail(s, "out of memory");
		return 0;
	}
	if (e->event == CHAT_PRES_JOINED) {
		/* A new connection: its nick is unknown until it says it.
		 * The replay window stays (see client_peers.h). */
		peer->nick[0] = '\0';
		notice(s, CLIENT_LINE_NOTICE, ms, "%u joined", e->id);
		return 1;
	}
	notice(s, CLIENT_LINE_NOTICE, ms, "%s left%s",
	       who_str(s, e->id, who, sizeof(who)), leave_reason(e->reason));
	peer->nick[0] = '\0';
	return 0;
}

/*
 * PRESENCE: joins and leaves in the order they happened.  The batch that
 * carries our own join also carries what happened before it, which our
 * WELCOME already counted: that part is skipped.
 */
static void on_presence(struct client_session *s, const uint8_t *p, size_t len)
{
	struct chat_presence pr;
	struct chat_presence_entry e;
	uint32_t i;
	int joins = 0;

	if (chat_presence_decode(p, len, &pr)) {
		client_session_fail(s, "protocol error: bad PRESENCE frame");
		return;
	}
	for (i = 0; i < pr.n && !s->done; i++) {
		chat_presence_entry(&pr, i, &e);
		if (!s->seen_own_join) {
			s->seen_own_join = e.id == s->my_id && e.event == CHAT_PRES_JOINED;
			continue;
		}
		joins += on_presence_entry(s, pr.unix_ms, &e);
	}
	s->others = pr.clients ? pr.clients - 1 : 0;
	/* Tell newcomers our nick; every member's answer reaches every
	 * member, so only in small rooms (in big ones nicks are learnt from
	 * the messages themselves). */
	if (joins && !s->done && s->ready && s->others <= CLIENT_NICKINFO_ROOM_MAX &&
	    send_body(s, CLIENT_BODY_NICKINFO, NULL, 0) == -ENOMEM)
		client_session_fail(s, "out of memory");
}

static void on_body(struct client_session *s, struct client_peer *peer,
		    uint64_t ms, const struct client_body *b)
{
	char old[64];

	switch (b->kind) {
	case CLIENT_BODY_MSG:
		memcpy(peer->nick, b->nick, sizeof(peer->nick));
		s->ui.line(s->ui.ctx, CLIENT_LINE_MSG, ms, b->nick, b->text,
			   b->text_len);
		break;
	case CLIENT_BODY_HELLO:
		memcpy(peer->nick, b->nick, sizeof(peer->nick));
		notice(s, CLIENT_LINE_NOTICE, ms, "%u is %s", peer->id, b->nick);
		break;
	case CLIENT_BODY_RENAME:
		who_str(s, peer->id, old, sizeof(old));
		memcpy(peer->nick, b->nick, sizeof(peer->nick));
		notice(s, CLIENT_LINE_NOTICE, ms, "%s is now known as %s", old,
		       b->nick);
		break;
	case CLIENT_BODY_NICKINFO:
		memcpy(peer->nick, b->nick, sizeof(peer->nick));
		break;
	}
}

static void on_relay(struct client_session *s, const uint8_t *p, size_t len)
{
	struct chat_relay r;
	struct client_peer *peer;
	struct client_body b;
	size_t blen = 0;
	int rc;

	if (chat_relay_decode(p, len, &r)) {
		client_session_fail(s, "protocol error: bad RELAY frame");
		return;
	}
	if (!s->ready)
		return;
	peer = client_peer_get(&s->peers, r.sender_id);
	if (!peer) {
		client_session_fail(s, "out of memory");
		return;
	}
	rc = room_open(s->room, r.sender_id, r.msg, r.msg_len, &peer->window,
		       s->body, &blen, NULL);
	if (rc == 0 && client_body_decode(s->body, blen, &b) == 0) {
		on_body(s, peer, r.unix_ms, &b);
		return;
	}
	if (rc == -EALREADY) {
		if (!peer->warned_replay)
			notice(s, CLIENT_LINE_WARN, r.unix_ms,
			       "dropped a replayed or reordered message from %u",
			       r.sender_id);
		peer->warned_replay = 1;
		return;
	}
	if (peer->warned_auth)
		return;
	peer->warned_auth = 1;
	if (rc == -EPROTONOSUPPORT)
		notice(s, CLIENT_LINE_WARN, r.unix_ms,
		       "cannot read message from %u (end-to-end format version %u, this client speaks %u)",
		       r.sender_id, r.msg_len ? r.msg[0] : 0, ROOM_E2E_VERSION);
	else if (rc == 0)
		notice(s, CLIENT_LINE_WARN, r.unix_ms,
		       "malformed message body from %u", r.sender_id);
	else
		notice(s, CLIENT_LINE_WARN, r.unix_ms,
		       "cannot authenticate message from %u (wrong room key?)",
		       r.sender_id);
}

/* One WHO_REPLY page; the first page says how many are connected, a page
 * with more after it says how many are not listed. */
static void on_who(struct client_session *s, const uint8_t *p, size_t len)
{
	size_t max = len / 4, off, cap;
	uint32_t *ids = malloc((max ? max : 1) * sizeof(*ids));
	struct chat_who_reply r;
	char *line;
	FILE *f;

	if (!ids || chat_who_reply_decode(p, len, &r, ids, max)) {
		free(ids);
		client_session_fail(s, "protocol error: bad WHO_REPLY frame");
		return;
	}
	f = open_memstream(&line, &cap);
	if (!f) {
		free(ids);
		return;
	}
	fprintf(f, "%u connected:", r.total);
	for (off = 0; off < r.n; off++) {
		struct client_peer *peer = client_peer_find(&s->peers, ids[off]);

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
	s->ui.line(s->ui.ctx, CLIENT_LINE_NOTICE, client_now_ms(), NULL,
		   (const uint8_t *)line, strlen(line));
	free(line);
	free(ids);
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
	if (type == CHAT_T_REFUSED)
		client_session_fail(s, "refused by the server: %s", r.text);
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
	case CHAT_T_PRESENCE: on_presence(s, p, h->len); break;
	case CHAT_T_PING:
		/* Keepalive: answer at once (nothing is queued once we are
		 * ending: our side may be shut down already). */
		if (!s->closing && client_conn_send(&s->conn, CHAT_T_PONG, NULL, 0))
			client_session_fail(s, "out of memory");
		break;
	case CHAT_T_RELAY: on_relay(s, p, h->len); break;
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
		client_session_fail(s, "connection lost: %s", strerror(-rc));
		return;
	}
	while (!s->done && (rc = client_conn_next(&s->conn, &h, &p)) == 1) {
		if (!chat_type_from_server(h.type)) {
			client_session_fail(s, "protocol error: frame type 0x%02x is not a server frame",
					    h.type);
			return;
		}
		on_frame(s, &h, p);
		client_conn_consume(&s->conn, &h);
	}
	if (s->done)
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
			client_session_fail(s, s->conn.in_len > s->conn.in_off ?
					    "the server closed the connection in the middle of a frame" :
					    "the server closed the connection");
		}
	}
}
