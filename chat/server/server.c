/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server.c - the chat relay server (see server.h for what it owns).
 *
 * Life of a client: accepted (unless the server is full, out of its memory
 * budget, or the address has too many connections) -> WELCOME and PING
 * queued -> frames read into a shared scratch buffer and handled in place
 * (only a frame split across reads is copied into a per-client buffer,
 * which grows with the bytes that really arrived and is freed after the
 * frame) -> JOIN makes it a member of a room (room_table.c; up to
 * --max-rooms of them), its join added to that room's presence batch ->
 * SEND to a room becomes one refcounted RELAY buffer pushed on the queue of
 * every other member of that room -> queues are written in FIFO
 * order with gathered writes, at most FLUSH_SLICE per loop turn (the loop
 * polls for new input between slices); a slice's writes are shared by the
 * loop thread and --write-threads more (write_pool.c): they only call
 * outq_write, and the loop thread then acts on each result.
 *
 * Hostile clients: each connection reads through two token buckets (frames
 * and bytes per second); a read never takes more than the buckets allow, so
 * an empty bucket means the connection is not read (its bytes wait in the
 * kernel and TCP slows the sender) until it refills; one that stays over
 * its limits for --flood-timeout is disconnected.  Timeouts live in FIFO
 * timer queues, one per fixed delay: the first frame must come within
 * --handshake-timeout, a client silent for half of --idle-timeout gets a
 * PING and must answer within the other half.  A room's joins and leaves go
 * out in PRESENCE batches to its members (after CHAT_PRESENCE_WINDOW_MS,
 * and before any RELAY in that room so that order is kept).  Over --max-memory the client holding the most is
 * disconnected until the total is below it again.  Accept errors that are
 * not about one connection pause the listener with a growing back-off.
 *
 * A client is closed ("doomed") for EOF, a write error, a bad frame (ERROR
 * first), a queue over --max-queue (ERROR(SLOW) best effort), a timeout, a
 * flood or the memory cap; closing happens outside any loop over the client
 * set, and the memory is freed only before the next epoll wait so events
 * already fetched never point at freed memory.
 */
#include "server.h"

#include "addr_limit.h"
#include "proto/clock.h"
#include "proto/event_loop.h"
#include "proto/fd_limit.h"
#include "federation.h"
#include "room_history.h"
#include "proto/frame.h"
#include "id_alloc.h"
#include "member_index.h"
#include "outq.h"
#include "presence.h"
#include "rate_limit.h"
#include "relay_peers.h"
#include "room_table.h"
#include "timer_queue.h"
#include "write_pool.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SCRATCH_LEN	(64u * 1024u)
#define READS_PER_EVENT	16
#define ACCEPTS_PER_EVENT 128
#define FD_HEADROOM	64
/* Client queues written per loop turn: between slices the loop takes new
 * events, so a message that arrives during a fan-out to thousands of
 * clients rides along with it to those not yet written (FIFO order). */
#define FLUSH_SLICE	1024
/* A throttled connection is read again after at most this long. */
#define THROTTLE_MAX_MS	100u
/* First and largest pause of the listener after an accept error. */
#define ACCEPT_BACKOFF_MIN_MS	100u
#define ACCEPT_BACKOFF_MAX_MS	1000u
/* Clients disconnected per loop turn while over --max-memory. */
#define EVICT_PER_TURN	16
/* First allocation for a frame being reassembled. */
#define IN_MIN_CAP	256u
/* NATS messages handled per loop turn. */
#define FED_PER_TURN	4096u

enum {
	C_PENDING = 1,		/* on the pending-write list */
	C_DOOMED = 2,		/* on the doomed list, to be closed */
	C_DEAD = 4,		/* closed, on the dead list, to be freed */
	C_THROTTLED = 8,	/* over its rate limits: not read until thr is due */
	C_WANT_WRITE = 16,	/* socket full: waiting for writability */
	C_OVER = 32,		/* over its limits since flood_since */
};

enum tstate {			/* which timer queue tmo is on */
	T_NONE,
	T_HANDSHAKE,		/* waiting for the first frame */
	T_QUIET,		/* a PING goes out when tmo is due */
	T_PINGED,		/* closed when tmo is due */
};

struct client {
	struct ev_watch w;
	uint32_t id;
	uint32_t slot;		/* index in server.clients */
	struct room_member **rooms;	/* its memberships */
	uint32_t nrooms, rooms_cap;
	struct outq q;
	uint8_t *in;		/* partial frame, NULL when none */
	uint32_t in_len, in_cap;
	uint32_t in_need;	/* whole frame's length once its header is in */
	struct client *next_pending;
	struct client *next_gone;	/* doomed list, then dead list */
	struct tq_entry tmo;	/* handshake, keepalive or PING answer */
	struct tq_entry thr;	/* throttled: when to read again */
	struct rate_limit rl;
	uint64_t flood_since;	/* with C_OVER: over the limits since then */
	struct addr_key addr;
	uint8_t flags;
	uint8_t tstate;		/* enum tstate */
	uint8_t leave_reason;	/* leave reason once doomed */
	uint8_t err_code;	/* ERROR code to send first, 0 = none */
	int flush_rc;		/* outq_write's result, from a write thread */
};

struct chat_server {
	struct chat_server_opts o;
	struct ev_loop *loop;
	struct ev_watch listen_w;
	struct ev_watch signal_w;
	int reserve_fd;		/* spare descriptor for refusing on EMFILE */
	struct client **clients;
	uint32_t nclients, cap;
	struct id_alloc ids;
	struct room_table rooms;
	struct addr_limit addrs;
	struct client *pending;		/* FIFO of clients with queued output */
	struct client **pending_tail;
	uint64_t drained_ms;		/* a write pass last emptied the FIFO */
	uint64_t hold_until_ms;		/* --coalesce-ms: FIFO written from then */
	struct client *doomed;
	struct client *dead;
	uint8_t *scratch;
	uint32_t *who_ids;		/* one WHO page */
	struct chat_buf *ping;		/* the PING frame, shared */
	struct tq handshake, quiet, pinged, throttled;
	uint32_t throttle_ms;
	int limited;			/* a rate limit is set */
	size_t in_bytes;		/* held by partial frames */
	uint64_t now;			/* monotonic ms, refreshed per callback */
	uint32_t accept_backoff_ms;	/* last pause; 0 after a good accept */
	uint64_t accept_resume_ms;	/* paused until then; 0: listening */
	int over_memory;		/* the cap was hit (for one log line) */
	struct write_pool *pool;	/* write threads (NULL: none) */
	struct client **flush_v;	/* one slice of queues to write */
	struct history_cfg hist;	/* of every room */
	size_t hist_bytes;		/* all rooms' histories */
	/* federation (docs/federation.md); fed is NULL without --nats */
	struct fed *fed;
	struct ev_watch fed_w;
	int fed_more;			/* NATS messages left for the next turn */
	uint8_t relay_no;
	uint64_t instance;		/* random, drawn at start */
	struct relay_peers peers;
	uint64_t hb_due;		/* next heartbeat, monotonic ms */
	uint64_t snap_mark;		/* marks of remote snapshots */
	uint64_t dup_instance;		/* another relay with our number (logged) */
};

void chat_server_opts_default(struct chat_server_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->listen = "0.0.0.0";
	o->port = CHAT_DEFAULT_PORT;
	o->max_clients = CHAT_DEFAULT_MAX_CLIENTS;
	o->max_queue = CHAT_DEFAULT_MAX_QUEUE;
	o->rate.msg_rate = CHAT_DEFAULT_MSG_RATE;
	o->rate.msg_burst = CHAT_DEFAULT_MSG_BURST;
	o->rate.byte_rate = CHAT_DEFAULT_BYTE_RATE;
	o->rate.byte_burst = CHAT_DEFAULT_BYTE_BURST;
	o->flood_timeout = CHAT_DEFAULT_FLOOD_TIMEOUT;
	o->handshake_timeout = CHAT_DEFAULT_HANDSHAKE_TIMEOUT;
	o->idle_timeout = CHAT_DEFAULT_IDLE_TIMEOUT;
	o->max_memory = CHAT_DEFAULT_MAX_MEMORY;
	o->max_per_address = CHAT_DEFAULT_MAX_PER_ADDRESS;
	o->who_page = CHAT_WHO_PAGE_MAX;
	o->max_rooms = CHAT_DEFAULT_MAX_ROOMS;
	o->history = CHAT_DEFAULT_HISTORY;
	o->history_age = CHAT_DEFAULT_HISTORY_AGE;
	o->history_bytes = CHAT_DEFAULT_HISTORY_BYTES;
	o->history_replicas = 1;
	o->write_threads = 0;
	o->coalesce_ms = 0;
}

static uint64_t tick(struct chat_server *s)
{
	s->now = clock_mono_ms();
	return s->now;
}

static struct client *client_of(struct ev_watch *w)
{
	return (struct client *)((char *)w - offsetof(struct client, w));
}

#define CLIENT_OF(entry, field) \
	((struct client *)((char *)(entry) - offsetof(struct client, field)))

static void vlog(struct chat_server *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void vlog(struct chat_server *s, const char *fmt, ...)
{
	va_list ap;

	if (!s->o.verbose)
		return;
	va_start(ap, fmt);
	fputs("chat-server: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* ---- memory ------------------------------------------------------------ */

/* What admitting one more client costs at least (struct, WELCOME, ring). */
#define ADMIT_COST	(sizeof(struct client) + 256u)

/* Bytes the server holds for its clients (--max-memory counts these). */
static size_t mem_used(const struct chat_server *s)
{
	return outq_mem_bytes() + s->in_bytes +
	       (size_t)s->nclients * sizeof(struct client) +
	       (size_t)s->cap * sizeof(*s->clients) +
	       s->rooms.bytes + s->hist_bytes + addr_limit_bytes(&s->addrs) + id_alloc_bytes(&s->ids) +
	       SCRATCH_LEN + (size_t)s->o.who_page * sizeof(*s->who_ids);
}

static size_t client_footprint(const struct client *c)
{
	return sizeof(*c) + c->in_cap + outq_footprint(&c->q) +
	       c->rooms_cap * sizeof(*c->rooms) +
	       c->nrooms * sizeof(struct room_member);
}

static void free_in(struct chat_server *s, struct client *c)
{
	s->in_bytes -= c->in_cap;
	free(c->in);
	c->in = NULL;
	c->in_len = c->in_cap = c->in_need = 0;
}

/* Room for want bytes of a frame of need bytes: grows by doubling with
 * what arrived, never to more than the frame. */
static int grow_in(struct chat_server *s, struct client *c, size_t want, size_t need)
{
	size_t cap = c->in_cap ? c->in_cap : IN_MIN_CAP;
	uint8_t *in;

	if (want <= c->in_cap)
		return 0;
	while (cap < want)
		cap *= 2;
	if (cap > need)
		cap = need;
	in = realloc(c->in, cap);
	if (!in)
		return -ENOMEM;
	s->in_bytes += cap - c->in_cap;
	c->in = in;
	c->in_cap = (uint32_t)cap;
	return 0;
}

/* ---- closing clients --------------------------------------------------- */

static void doom(struct chat_server *s, struct client *c, uint8_t reason,
		 uint8_t err_code)
{
	if (c->flags & (C_DOOMED | C_DEAD))
		return;
	c->flags |= C_DOOMED;
	c->leave_reason = reason;
	c->err_code = err_code;
	c->next_gone = s->doomed;
	s->doomed = c;
}

/* The reason text of an ERROR for c. */
static const char *error_text(const struct chat_server *s, const struct client *c,
			      char *buf, size_t len)
{
	switch (c->err_code) {
	case CHAT_ERR_VERSION:
		snprintf(buf, len, "unsupported protocol version (server speaks %u)",
			 CHAT_PROTO_VERSION);
		return buf;
	case CHAT_ERR_MALFORMED: return "malformed frame";
	case CHAT_ERR_TOO_BIG: return "frame too large";
	case CHAT_ERR_SLOW: return "output queue overflow: you stopped reading";
	case CHAT_ERR_SHUTDOWN: return "server shutting down";
	case CHAT_ERR_FLOOD:
		snprintf(buf, len, "over the rate limits for %u s (%u frames/s, %llu bytes/s)",
			 s->o.flood_timeout, s->o.rate.msg_rate,
			 (unsigned long long)s->o.rate.byte_rate);
		return buf;
	case CHAT_ERR_TIMEOUT:
		if (c->tstate == T_HANDSHAKE)
			snprintf(buf, len, "no frame within %u s of connecting",
				 s->o.handshake_timeout);
		else
			snprintf(buf, len, "no answer to PING within %u s",
				 s->o.idle_timeout - s->o.idle_timeout / 2);
		return buf;
	case CHAT_ERR_MEMORY:
		return "server memory limit reached: your connection held the most";
	default: return "error";
	}
}

/* Queue an ERROR frame past the limit and write what the socket takes. */
static void send_error_best_effort(struct chat_server *s, struct client *c)
{
	char buf[160];
	const char *text = error_text(s, c, buf, sizeof(buf));
	struct chat_buf *b = chat_buf_new(CHAT_HDR_LEN + 1 + strlen(text));

	if (!b)
		return;
	chat_reason_encode(b->data, CHAT_T_ERROR, c->err_code, text);
	if (outq_push(&c->q, b) == 0)
		(void)outq_write(&c->q, c->w.fd);
	chat_buf_put(b);
}

/* After an ERROR, read and drop what the peer already sent so close()
 * sends FIN rather than RST (an RST could destroy the unread ERROR). */
static void drain_input(struct chat_server *s, int fd)
{
	int i;

	shutdown(fd, SHUT_WR);
	for (i = 0; i < 4; i++)
		if (recv(fd, s->scratch, SCRATCH_LEN, MSG_DONTWAIT) <= 0)
			break;
}

static int member_leave(struct chat_server *s, struct room_member *m,
			uint8_t reason, int notify);

static void registry_remove(struct chat_server *s, struct client *c)
{
	struct client *last = s->clients[--s->nclients];

	s->clients[c->slot] = last;
	last->slot = c->slot;
}

static void client_close(struct chat_server *s, struct client *c, int notify)
{
	static const char *const why[] = { "quit", "slow", "error", "shutdown",
					   "flood", "timeout", "memory" };
	uint32_t i;

	if (c->err_code) {
		send_error_best_effort(s, c);
		if (c->err_code != CHAT_ERR_SLOW)
			drain_input(s, c->w.fd);
	} else if (c->q.count) {
		(void)outq_write(&c->q, c->w.fd);	/* what is left, best effort */
	}
	vlog(s, "client %u left (%s)", c->id,
	     c->leave_reason < sizeof(why) / sizeof(why[0]) ? why[c->leave_reason] : "?");
	ev_watch_stop(s->loop, &c->w);
	close(c->w.fd);
	c->w.fd = -1;
	outq_clear(&c->q);
	free_in(s, c);
	tq_remove(&c->tmo);
	tq_remove(&c->thr);
	addr_limit_del(&s->addrs, &c->addr);
	id_alloc_release(&s->ids, c->id);
	for (i = 0; i < c->nrooms; i++)
		if (member_leave(s, c->rooms[i], c->leave_reason, notify) < 0)
			fprintf(stderr, "chat-server: out of memory: leave of %u not announced\n",
				c->id);
	free(c->rooms);
	c->rooms = NULL;
	c->nrooms = c->rooms_cap = 0;
	registry_remove(s, c);
	c->flags = (uint8_t)((c->flags & ~C_DOOMED) | C_DEAD);
	c->next_gone = s->dead;
	s->dead = c;
}

/* Close every doomed client. */
static void reap(struct chat_server *s)
{
	while (s->doomed) {
		struct client *c = s->doomed;

		s->doomed = c->next_gone;
		client_close(s, c, 1);
	}
}

/* ---- output ------------------------------------------------------------ */

static void enqueue(struct chat_server *s, struct client *c, struct chat_buf *b)
{
	if (c->flags & (C_DOOMED | C_DEAD))
		return;
	/* One frame always fits in an empty queue; beyond that the limit. */
	if (outq_bytes(&c->q) > 0 && outq_bytes(&c->q) + b->len > s->o.max_queue) {
		doom(s, c, CHAT_LEAVE_SLOW, CHAT_ERR_SLOW);
		return;
	}
	if (outq_push(&c->q, b) < 0) {
		doom(s, c, CHAT_LEAVE_SLOW, CHAT_ERR_SLOW);
		return;
	}
	if (!(c->flags & C_PENDING)) {
		if (!s->pending)	/* new output: soon after the last? */
			s->hold_until_ms = s->now < s->drained_ms +
				s->o.coalesce_ms ? s->now + s->o.coalesce_ms : 0;
		c->flags |= C_PENDING;
		c->next_pending = NULL;
		*s->pending_tail = c;
		s->pending_tail = &c->next_pending;
	}
}

/* b to every member of room r but one. */
static void broadcast(struct chat_server *s, const struct room *r,
		      struct chat_buf *b, const struct client *except)
{
	uint32_t i;

	for (i = 0; i < r->n; i++)
		if (r->m[i]->owner != except)
			enqueue(s, r->m[i]->owner, b);
}

/* Send room r's pending joins and leaves to its members, now. */
static void presence_flush(struct chat_server *s, struct room *r)
{
	uint64_t ms = clock_wall_ms();

	while (presence_pending(&r->pres)) {
		struct chat_buf *b = chat_buf_new(presence_next_len(&r->pres));

		if (!b) {
			fprintf(stderr, "chat-server: out of memory: presence notices delayed\n");
			return;
		}
		room_presence_next(&s->rooms, r, b->data, ms);
		broadcast(s, r, b, NULL);
		chat_buf_put(b);
	}
}

/* ---- history (docs/protocol.md, "History") ------------------------------ */

/* Run fn on r's history and account for the bytes it gains or frees. */
#define HIST_ACCOUNT(s, r, expr) do {					\
		size_t before_ = history_bytes((r)->hist);		\
		expr;							\
		(s)->hist_bytes = (s)->hist_bytes - before_ +		\
				  history_bytes((r)->hist);		\
	} while (0)

/* Keep a message of r for members who join later: 1 when it is new to the
 * history (*frame is then its HISTORY frame), 0 when known, -ENOMEM. */
static int history_keep(struct chat_server *s, struct room *r, uint32_t sender,
			uint64_t unix_ms, const uint8_t *msg, size_t len,
			struct chat_buf **frame)
{
	int rc;

	if (!s->hist.msgs)
		return 0;
	if (!r->hist) {
		r->hist = calloc(1, sizeof(*r->hist));
		if (!r->hist)
			return -ENOMEM;
		s->hist_bytes += sizeof(*r->hist);
	}
	HIST_ACCOUNT(s, r, rc = history_add(r->hist, &s->hist, r->id, sender, unix_ms,
					     msg, len, clock_wall_ms(), frame));
	return rc;
}

/* A new member gets what r's history holds (after its JOINED, before
 * anything live), as much as fits in half its output queue, newest kept.
 * The bytes count against its byte rate, as a WHO_REPLY's do: they go to
 * it alone. */
static void history_replay(struct chat_server *s, struct client *c, struct room *r)
{
	size_t room_left = s->o.max_queue / 2, sum = 0;
	uint32_t i, first;

	if (!r->hist)
		return;
	HIST_ACCOUNT(s, r, history_expire(r->hist, &s->hist, clock_wall_ms()));
	for (first = history_count(r->hist); first > 0; first--) {
		sum += history_frame(r->hist, first - 1)->len;
		if (sum > room_left)
			break;
	}
	for (i = first; i < history_count(r->hist); i++) {
		struct chat_buf *b = history_frame(r->hist, i);

		rate_charge_bytes(&c->rl, &s->o.rate, b->len);
		enqueue(s, c, b);
	}
}

/* r is going away (its last local member left). */
static void history_drop(struct chat_server *s, struct room *r)
{
	if (!r->hist)
		return;
	s->hist_bytes -= history_bytes(r->hist) + sizeof(*r->hist);
	history_free(r->hist);
	free(r->hist);
	r->hist = NULL;
}

/* ---- federation (docs/federation.md) ------------------------------------ */

/* Publish m as this relay (best effort: NATS may be down, local members
 * are served all the same). */
static void fed_send(struct chat_server *s, struct fed_msg *m, const uint32_t *ids)
{
	m->relay = s->relay_no;
	m->instance = s->instance;
	(void)fed_publish(s->fed, m, ids);
}

static void fed_room_event(struct chat_server *s, uint8_t type, const uint8_t *room,
			   uint32_t id, uint8_t reason)
{
	struct fed_msg m = { .type = type, .room = room, .id = id, .reason = reason };

	fed_send(s, &m, NULL);
}

/* All of this relay's members of r, for the other relays. */
static void fed_snapshot(struct chat_server *s, struct room *r)
{
	struct fed_msg m = { .type = FED_T_SNAPSHOT, .room = r->id };
	uint32_t *ids, i, n = r->n < FED_SNAPSHOT_MAX ? r->n : FED_SNAPSHOT_MAX;

	ids = malloc(((size_t)n + 1) * sizeof(*ids));
	if (!ids) {
		fprintf(stderr, "chat-server: out of memory: room snapshot not sent\n");
		return;
	}
	for (i = 0; i < n; i++)
		ids[i] = r->m[i]->id;
	m.len = n;
	fed_send(s, &m, ids);
	free(ids);
}

static void snapshot_each(struct room *r, void *arg)
{
	fed_snapshot(arg, r);
}

/* Heartbeats after a new room subscription that repeat its SYNC. */
#define FED_SYNC_REPEAT	2

/* A local member joined: the room's first here means a new subscription
 * and a request for the other relays' members. */
static void fed_joined(struct chat_server *s, struct room_member *m)
{
	struct room *r = m->room;

	if (!s->fed)
		return;
	if (r->n == 1 && !r->link) {
		r->link = fed_subscribe_room(s->fed, r->id);
		fed_room_event(s, FED_T_SYNC, r->id, 0, 0);
		fed_history_fetch(s->fed, r->id);	/* what it said before */
		/* A new subscription reaches the other NATS nodes a little
		 * later: snapshots (and joins) published meanwhile are lost
		 * to us, so the request is repeated with the next heartbeats. */
		r->sync_left = FED_SYNC_REPEAT;
	}
	fed_room_event(s, FED_T_JOIN, r->id, m->id, 0);
}

/* A local member leaves (the room goes with its last local member: no
 * subscription is kept for remote members alone). */
static int member_leave(struct chat_server *s, struct room_member *m,
			uint8_t reason, int notify)
{
	struct room *r = m->room;

	if (s->fed) {
		fed_room_event(s, FED_T_LEAVE, r->id, m->id, reason);
		if (r->n == 1) {
			fed_unsubscribe(s->fed, r->link);
			r->link = NULL;
		}
	}
	if (r->n == 1)
		history_drop(s, r);
	return room_leave(&s->rooms, m, reason, notify, s->now);
}

struct sweep_arg {
	struct chat_server *s;
	uint8_t relay, reason;
};

static void sweep_each(struct room *r, void *arg)
{
	struct sweep_arg *a = arg;

	room_remote_sweep(&a->s->rooms, r, a->relay, 0, a->reason, a->s->now);
}

/* Every member of that relay leaves every room here. */
static void fed_forget_relay(struct chat_server *s, uint8_t relay, uint8_t reason)
{
	struct sweep_arg a = { s, relay, reason };

	room_each(&s->rooms, sweep_each, &a);
}

/* A message of another relay's member: to every member here. */
static void fed_relay_msg(struct chat_server *s, struct room *r, const struct fed_msg *m)
{
	struct chat_buf *b;

	if (presence_pending(&r->pres))
		presence_flush(s, r);
	b = chat_buf_new(CHAT_RELAY_HDR_LEN + m->len);
	if (!b)
		return;
	chat_relay_encode_hdr(b->data, r->id, m->id, m->unix_ms, m->len);
	memcpy(b->data + CHAT_RELAY_HDR_LEN, m->data, m->len);
	broadcast(s, r, b, NULL);
	chat_buf_put(b);
	if (history_keep(s, r, m->id, m->unix_ms, m->data, m->len, NULL) < 0)
		fprintf(stderr, "chat-server: out of memory: message not kept in history\n");
}

static void fed_room_msg(struct chat_server *s, struct room *r, const struct fed_msg *m)
{
	uint64_t mark;
	uint32_t i;

	switch (m->type) {
	case FED_T_MSG:
		fed_relay_msg(s, r, m);
		break;
	case FED_T_JOIN:
		if (room_remote_join(&s->rooms, r, m->id, 0, s->now) < 0)
			fprintf(stderr, "chat-server: out of memory: remote join lost\n");
		break;
	case FED_T_LEAVE:
		(void)room_remote_leave(&s->rooms, r, m->id, m->reason, s->now);
		break;
	case FED_T_SNAPSHOT:
		mark = ++s->snap_mark;
		for (i = 0; i < m->len; i++)
			if (room_remote_join(&s->rooms, r, fed_snapshot_id(m, i), mark,
					     s->now) < 0)
				break;
		room_remote_sweep(&s->rooms, r, m->relay, mark, CHAT_LEAVE_QUIT, s->now);
		break;
	case FED_T_SYNC:
		fed_snapshot(s, r);
		break;
	}
}

/* One well-formed message from NATS, on the loop thread. */
static void on_fed_msg(void *arg, const struct fed_msg *m)
{
	struct chat_server *s = arg;
	struct room *r;

	if (m->instance == s->instance)
		return;		/* our own (NATS does not echo; belt and braces) */
	if (m->relay == s->relay_no) {
		if (m->instance != s->dup_instance)
			fprintf(stderr, "chat-server: another relay uses --relay-id %u: "
				"ignoring it (connection ids would collide)\n", s->relay_no);
		s->dup_instance = m->instance;
		return;
	}
	switch (relay_peers_seen(&s->peers, m->relay, m->instance, s->now)) {
	case PEER_RESTARTED:
		fprintf(stderr, "chat-server: relay %u restarted\n", m->relay);
		fed_forget_relay(s, m->relay, CHAT_LEAVE_QUIT);
		/* fall through */
	case PEER_NEW: {
		struct fed_msg rs = { .type = FED_T_RESYNC, .target = m->instance };

		fprintf(stderr, "chat-server: relay %u is in the federation\n", m->relay);
		fed_send(s, &rs, NULL);
		break;
	}
	case PEER_KNOWN:
		break;
	}
	if (m->type == FED_T_RESYNC) {
		if (!m->target || m->target == s->instance)
			room_each(&s->rooms, snapshot_each, s);
		return;
	}
	if (!m->room)
		return;		/* HEARTBEAT */
	r = room_find(&s->rooms, m->room);
	if (r)		/* else: none of ours left it (a message in flight) */
		fed_room_msg(s, r, m);
}

/* A message of a room's history from JetStream: kept, and sent as
 * HISTORY to the local members when it is new to this relay (they joined
 * before it arrived: a room's first member here, or a relay catching up
 * after it lost NATS).  Any relay's, of any time: it is not a sign of
 * life of its relay. */
static void on_fed_history(void *arg, const struct fed_msg *m)
{
	struct chat_server *s = arg;
	struct chat_buf *frame = NULL;
	struct room *r = room_find(&s->rooms, m->room);

	if (!r || !r->link)
		return;		/* the room left this relay meanwhile */
	switch (history_keep(s, r, m->id, m->unix_ms, m->data, m->len, &frame)) {
	case 1:
		broadcast(s, r, frame, NULL);
		break;
	case -ENOMEM:
		fprintf(stderr, "chat-server: out of memory: history message lost\n");
		break;
	}
}

static void fetch_each(struct room *r, void *arg)
{
	struct chat_server *s = arg;

	if (r->link)
		fed_history_fetch(s->fed, r->id);
}

static void on_fed_state(void *arg, enum fed_state st, const char *url)
{
	struct chat_server *s = arg;
	struct fed_msg rs = { .type = FED_T_RESYNC, .target = 0 };

	if (st != FED_CONNECTED) {
		fprintf(stderr, "chat-server: NATS connection lost: serving local "
			"members only, reconnecting\n");
		return;
	}
	fprintf(stderr, "chat-server: NATS connected (%s): federating as relay %u\n",
		url, s->relay_no);
	/* What was missed while away: everyone's rooms, and ours to them. */
	s->hb_due = s->now;
	fed_send(s, &rs, NULL);
	room_each(&s->rooms, snapshot_each, s);
	/* and what our rooms said meanwhile, from the stream */
	room_each(&s->rooms, fetch_each, s);
}

static const struct fed_handlers fed_handlers = {
	on_fed_msg, on_fed_history, on_fed_state, NULL
};

static void fed_pump(struct chat_server *s)
{
	struct fed_handlers h = fed_handlers;

	h.arg = s;
	s->fed_more = fed_drain(s->fed, &h, FED_PER_TURN);
}

static void on_fed(struct ev_loop *loop, struct ev_watch *w, unsigned ev)
{
	struct chat_server *s = ev_loop_data(loop);

	(void)w;
	(void)ev;
	tick(s);
	fed_pump(s);
	reap(s);
}

static void sync_again_each(struct room *r, void *arg)
{
	struct chat_server *s = arg;

	if (r->link && r->sync_left) {
		r->sync_left--;
		fed_room_event(s, FED_T_SYNC, r->id, 0, 0);
		/* Messages other relays sent before our new subscription reached
		 * their NATS nodes are in the stream: fetch once more. */
		if (!r->sync_left)
			fed_history_fetch(s->fed, r->id);
	}
}

/* Heartbeats out (with the repeated SYNC of new subscriptions), silent
 * relays expired. */
static void fed_timers(struct chat_server *s)
{
	uint8_t relay;

	if (!s->fed)
		return;
	if (s->hb_due <= s->now) {
		struct fed_msg hb = { .type = FED_T_HEARTBEAT };

		fed_send(s, &hb, NULL);
		room_each(&s->rooms, sync_again_each, s);
		fed_history_tick(s->fed);
		s->hb_due = s->now + FED_HEARTBEAT_MS;
	}
	while ((relay = relay_peers_expire(&s->peers, s->now))) {
		fprintf(stderr, "chat-server: relay %u silent for %u ms: its members "
			"left\n", relay, FED_EXPIRE_MS);
		fed_forget_relay(s, relay, CHAT_LEAVE_TIMEOUT);
	}
}

static uint64_t fed_next_due(const struct chat_server *s)
{
	uint64_t next;

	if (!s->fed)
		return UINT64_MAX;
	next = relay_peers_next_due(&s->peers);
	return s->hb_due < next ? s->hb_due : next;
}

static void unsubscribe_each(struct room *r, void *arg)
{
	struct chat_server *s = arg;

	fed_unsubscribe(s->fed, r->link);
	r->link = NULL;
}

/* Join the cluster (at start; an unreachable one is retried). */
static int fed_start(struct chat_server *s, char *err, size_t errlen)
{
	uint32_t base = s->o.relay_id << FED_ID_SHIFT, span = (1u << FED_ID_SHIFT) - 1;
	uint32_t start;

	if (!s->o.relay_id || s->o.relay_id > 255) {
		snprintf(err, errlen, "--nats needs --relay-id N (1..255, unique per relay)");
		return -1;
	}
	s->relay_no = (uint8_t)s->o.relay_id;
	if (getrandom(&s->instance, sizeof(s->instance), 0) != sizeof(s->instance) ||
	    getrandom(&start, sizeof(start), 0) != sizeof(start)) {
		snprintf(err, errlen, "getrandom: %s", strerror(errno));
		return -1;
	}
	s->instance |= 1;
	/* Ids base+1 .. base+2^24-1, counting on from a random place so that a
	 * restarted relay does not hand out its last run of ids again. */
	id_alloc_set_range(&s->ids, base + 1, base + span, base + start % span);
	relay_peers_init(&s->peers);
	s->fed = fed_new(s->o.nats, err, errlen);
	if (!s->fed)
		return -1;
	if (fed_subscribe_relays(s->fed) < 0) {
		snprintf(err, errlen, "NATS: cannot subscribe to %s", FED_RELAYS_SUBJECT);
		return -1;
	}
	if (s->hist.msgs && fed_history_start(s->fed, s->hist.msgs, s->hist.age_ms,
					      s->o.history_replicas) < 0) {
		snprintf(err, errlen, "cannot start the history thread");
		return -1;
	}
	s->hb_due = s->now;
	if (ev_watch_start(s->loop, &s->fed_w, fed_fd(s->fed), EV_READ, on_fed) < 0) {
		snprintf(err, errlen, "epoll: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void fed_stop(struct chat_server *s)
{
	if (!s->fed)
		return;
	room_each(&s->rooms, unsubscribe_each, s);
	if (s->fed_w.fd >= 0)
		ev_watch_stop(s->loop, &s->fed_w);
	fed_free(s->fed);
	s->fed = NULL;
}

/* Register for what c waits for: input unless throttled, writability while
 * its socket is full. */
static void watch_update(struct chat_server *s, struct client *c)
{
	unsigned mask = (c->flags & C_THROTTLED ? 0 : EV_READ) |
			(c->flags & C_WANT_WRITE ? EV_WRITE : 0);

	if (ev_watch_set(s->loop, &c->w, mask) < 0)
		doom(s, c, CHAT_LEAVE_QUIT, 0);
}

/* On a write thread (or the loop's): write c's queue, keep the result. */
static void flush_one(void *item, void *arg)
{
	struct client *c = item;

	(void)arg;
	c->flush_rc = outq_write(&c->q, c->w.fd);
}

/* Back on the loop thread: what the write means for c; watch for
 * writability only while its socket is full. */
static void flush_done(struct chat_server *s, struct client *c)
{
	int r = c->flush_rc;

	if (r < 0) {
		doom(s, c, CHAT_LEAVE_QUIT, 0);
		return;
	}
	if (r)
		c->flags &= (uint8_t)~C_WANT_WRITE;
	else
		c->flags |= C_WANT_WRITE;
	watch_update(s, c);
}

/* Take the first client off the pending FIFO. */
static struct client *pending_pop(struct chat_server *s)
{
	struct client *c = s->pending;

	s->pending = c->next_pending;
	if (!s->pending)
		s->pending_tail = &s->pending;
	c->flags &= (uint8_t)~C_PENDING;
	return c;
}

/* ---- timeouts ---------------------------------------------------------- */

static uint64_t quiet_ms(const struct chat_server *s)
{
	return (uint64_t)(s->o.idle_timeout / 2) * 1000u;
}

/* A frame came from c: the handshake is over, the keepalive starts again. */
static void client_active(struct chat_server *s, struct client *c)
{
	if (!s->o.idle_timeout) {
		tq_remove(&c->tmo);
		c->tstate = T_NONE;
		return;
	}
	if (c->tstate != T_QUIET || c->tmo.due_ms != s->now + quiet_ms(s))
		tq_push(&s->quiet, &c->tmo, s->now + quiet_ms(s));
	c->tstate = T_QUIET;
}

static void client_read(struct chat_server *s, struct client *c);

/* Run what is due. */
static void run_timers(struct chat_server *s)
{
	uint64_t now = s->now;
	struct tq_entry *e;
	struct room *r;

	while ((e = tq_due(&s->handshake, now))) {
		tq_remove(e);
		doom(s, CLIENT_OF(e, tmo), CHAT_LEAVE_TIMEOUT, CHAT_ERR_TIMEOUT);
	}
	while ((e = tq_due(&s->pinged, now))) {
		tq_remove(e);
		doom(s, CLIENT_OF(e, tmo), CHAT_LEAVE_TIMEOUT, CHAT_ERR_TIMEOUT);
	}
	while ((e = tq_due(&s->quiet, now))) {
		struct client *c = CLIENT_OF(e, tmo);

		tq_push(&s->pinged, e, now + (uint64_t)s->o.idle_timeout * 1000u -
					  quiet_ms(s));
		c->tstate = T_PINGED;
		enqueue(s, c, s->ping);
	}
	while ((e = tq_due(&s->throttled, now))) {
		struct client *c = CLIENT_OF(e, thr);

		tq_remove(e);
		c->flags &= (uint8_t)~C_THROTTLED;
		if (c->flags & (C_DOOMED | C_DEAD))
			continue;
		client_read(s, c);
		if (!(c->flags & (C_THROTTLED | C_DOOMED)))
			watch_update(s, c);
	}
	fed_timers(s);
	while ((r = room_waiting(&s->rooms)) &&
	       r->pres.since_ms + CHAT_PRESENCE_WINDOW_MS <= now) {
		presence_flush(s, r);
		if (room_waiting(&s->rooms) == r)	/* out of memory */
			break;
	}
}

/* When a timer is due next (UINT64_MAX: none). */
static uint64_t next_due(const struct chat_server *s)
{
	const struct tq *qs[] = { &s->handshake, &s->quiet, &s->pinged, &s->throttled };
	const struct room *r = room_waiting(&s->rooms);
	uint64_t next = UINT64_MAX;
	struct tq_entry *e;
	size_t i;

	if (r)
		next = r->pres.since_ms + CHAT_PRESENCE_WINDOW_MS;
	for (i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		e = tq_first(qs[i]);
		if (e && e->due_ms < next)
			next = e->due_ms;
	}
	if (s->accept_resume_ms && s->accept_resume_ms < next)
		next = s->accept_resume_ms;
	if (fed_next_due(s) < next)
		next = fed_next_due(s);
	return next;
}

/* ---- the memory cap ---------------------------------------------------- */

/* Over --max-memory: disconnect the clients holding the most. */
static void enforce_memory(struct chat_server *s)
{
	int rounds = 0;

	if (!s->o.max_memory)
		return;
	if (mem_used(s) <= s->o.max_memory) {
		s->over_memory = 0;
		return;
	}
	if (!s->over_memory)
		fprintf(stderr, "chat-server: memory limit (%llu bytes) reached: "
			"disconnecting the clients that hold the most\n",
			(unsigned long long)s->o.max_memory);
	s->over_memory = 1;
	while (rounds++ < EVICT_PER_TURN && mem_used(s) > s->o.max_memory) {
		struct client *big = NULL;
		size_t most = 0, f;
		uint32_t i;

		for (i = 0; i < s->nclients; i++) {
			struct client *c = s->clients[i];

			if (c->flags & C_DOOMED)
				continue;
			f = client_footprint(c);
			if (f > most) {
				most = f;
				big = c;
			}
		}
		if (!big)
			break;
		vlog(s, "client %u held %zu bytes: disconnected (memory limit)",
		     big->id, most);
		doom(s, big, CHAT_LEAVE_MEMORY, CHAT_ERR_MEMORY);
		reap(s);
	}
}

static void accept_resume(struct chat_server *s);

/*
 * Before each wait: run due timers, write pending queues (at most
 * FLUSH_SLICE of them), close doomed clients, keep to the memory cap, free
 * closed clients that no list points to any more.  Returns how long the
 * loop may sleep: 0 while queues are still pending.  With --coalesce-ms,
 * new output that comes within that long of the pass that last emptied the
 * FIFO waits that long (a fan-out in progress never waits), so that a relay
 * carrying many messages per second writes several per sendmsg while an
 * idle one writes at once.
 */
static int before_wait(struct ev_loop *loop, void *arg)
{
	struct chat_server *s = arg;
	struct client *c, *keep = NULL;
	unsigned slice = 0;
	uint64_t next;
	int hold;

	(void)loop;
	tick(s);
	if (s->accept_resume_ms && s->accept_resume_ms <= s->now)
		accept_resume(s);
	if (s->fed_more)
		fed_pump(s);
	run_timers(s);
	reap(s);
	hold = s->pending && s->hold_until_ms > s->now;
	while ((!hold && s->pending && slice < FLUSH_SLICE) || s->doomed) {
		unsigned n = 0, i;

		while (!hold && s->pending && slice + n < FLUSH_SLICE) {
			c = pending_pop(s);
			if (!(c->flags & (C_DOOMED | C_DEAD | C_WANT_WRITE)))
				s->flush_v[n++] = c;
		}
		/* the writes (most of a fan-out's time) on every write thread */
		write_pool_run(s->pool, (void **)s->flush_v, n, flush_one, NULL);
		for (i = 0; i < n; i++)
			flush_done(s, s->flush_v[i]);
		slice += n;
		reap(s);
	}
	if (slice && !s->pending && s->o.coalesce_ms) {
		tick(s);
		s->drained_ms = s->now;
	}
	enforce_memory(s);
	while (s->dead) {
		c = s->dead;
		s->dead = c->next_gone;
		if (c->flags & C_PENDING) {	/* still on the FIFO: later */
			c->next_gone = keep;
			keep = c;
		} else {
			free(c);
		}
	}
	s->dead = keep;
	if ((s->pending && !hold) || s->fed_more)
		return 0;
	next = next_due(s);
	if (hold && s->hold_until_ms < next)
		next = s->hold_until_ms;
	if (next == UINT64_MAX)
		return -1;
	tick(s);
	if (next <= s->now)
		return 0;
	return next - s->now > INT_MAX ? INT_MAX : (int)(next - s->now);
}

/* ---- input ------------------------------------------------------------- */

/* Validate a client frame header; doom the client and return -1 if bad.
 * A good header counts as one frame against the rate limit and as a sign
 * of life. */
static int check_hdr(struct chat_server *s, struct client *c,
		     const uint8_t *p, struct chat_frame_hdr *h)
{
	int rc = chat_hdr_parse(p, CHAT_HDR_LEN, h);
	uint8_t code = 0;

	if (rc == -EPROTONOSUPPORT)
		code = CHAT_ERR_VERSION;
	else if (rc == -EMSGSIZE)
		code = CHAT_ERR_TOO_BIG;
	else if (rc < 0 || !chat_type_from_client(h->type))
		code = CHAT_ERR_MALFORMED;
	else if (h->type == CHAT_T_SEND && h->len > CHAT_SEND_HDR_LEN + CHAT_MAX_MSG)
		code = CHAT_ERR_TOO_BIG;
	else if ((h->type == CHAT_T_SEND && h->len <= CHAT_SEND_HDR_LEN) ||
		 (h->type == CHAT_T_WHO && h->len != CHAT_WHO_LEN) ||
		 ((h->type == CHAT_T_JOIN || h->type == CHAT_T_PART) &&
		  h->len != CHAT_ROOM_ID_LEN) ||
		 (h->type == CHAT_T_PONG && h->len != 0))
		code = CHAT_ERR_MALFORMED;
	if (!code) {
		rate_charge_msg(&c->rl, &s->o.rate);
		client_active(s, c);
		return 0;
	}
	vlog(s, "client %u sent a bad frame (version %u type 0x%02x flags 0x%x len %u)",
	     c->id, p[0], p[1], (unsigned)(p[2] << 8 | p[3]), h->len);
	doom(s, c, CHAT_LEAVE_ERROR, code);
	return -1;
}

/* Where c's membership of the room with this id is in c->rooms, or
 * SIZE_MAX when it is not a member. */
static size_t membership(const struct client *c, const uint8_t *room)
{
	size_t i;

	for (i = 0; i < c->nrooms; i++)
		if (!memcmp(c->rooms[i]->room->id, room, CHAT_ROOM_ID_LEN))
			return i;
	return SIZE_MAX;
}

/* A frame naming a room c is not in (or JOIN of one it is in, or beyond
 * --max-rooms): a broken or hostile client, ERROR(ROOM). */
static void room_error(struct chat_server *s, struct client *c, uint8_t type)
{
	vlog(s, "client %u sent frame type 0x%02x for a room it %s in",
	     c->id, type, type == CHAT_T_JOIN ? "is already (or too many)" : "is not");
	doom(s, c, CHAT_LEAVE_ERROR, CHAT_ERR_ROOM);
}

/* JOIN: a member from now on; JOINED to it at once, its join to the room's
 * members (itself included) with the room's next batch. */
static void handle_join(struct chat_server *s, struct client *c, const uint8_t *id)
{
	struct chat_joined j;
	struct room_member *m;
	struct chat_buf *b;

	if (membership(c, id) != SIZE_MAX || c->nrooms >= s->o.max_rooms) {
		room_error(s, c, CHAT_T_JOIN);
		return;
	}
	if (c->nrooms == c->rooms_cap) {
		uint32_t cap = c->rooms_cap ? c->rooms_cap * 2 : 2;
		struct room_member **v = realloc(c->rooms, cap * sizeof(*v));

		if (!v)
			goto nomem;
		c->rooms = v;
		c->rooms_cap = cap;
	}
	b = chat_buf_new(CHAT_JOINED_FRAME_LEN);
	if (!b)
		goto nomem;
	m = room_join(&s->rooms, id, c, c->id, s->now);
	if (!m) {
		chat_buf_put(b);
		goto nomem;
	}
	c->rooms[c->nrooms++] = m;
	fed_joined(s, m);
	memcpy(j.room, id, CHAT_ROOM_ID_LEN);
	j.members = room_size(m->room);
	chat_joined_encode(b->data, &j);
	enqueue(s, c, b);
	chat_buf_put(b);
	history_replay(s, c, m->room);
	return;
nomem:
	doom(s, c, CHAT_LEAVE_MEMORY, CHAT_ERR_MEMORY);
}

static void handle_part(struct chat_server *s, struct client *c, const uint8_t *id)
{
	size_t i = membership(c, id);

	if (i == SIZE_MAX) {
		room_error(s, c, CHAT_T_PART);
		return;
	}
	if (member_leave(s, c->rooms[i], CHAT_LEAVE_PART, 1) < 0)
		fprintf(stderr, "chat-server: out of memory: leave of %u not announced\n",
			c->id);
	c->rooms[i] = c->rooms[--c->nrooms];
}

/* One page of a room's members, after the asker's cursor.  Its bytes are
 * charged to the asker's byte budget: they go to it alone. */
static void handle_who(struct chat_server *s, struct client *c, const uint8_t *p)
{
	struct chat_who_reply r = { 0 };
	const uint8_t *id;
	struct chat_buf *b;
	struct room *room;
	uint64_t cursor;
	size_t i;

	chat_who_decode(p, CHAT_WHO_LEN, &id, &cursor);
	i = membership(c, id);
	if (i == SIZE_MAX) {
		room_error(s, c, CHAT_T_WHO);
		return;
	}
	room = c->rooms[i]->room;
	r.room = room->id;
	r.total = room_size(room);
	member_index_page(&room->order, cursor, s->who_ids, s->o.who_page, &r.n,
			  &r.next);
	b = chat_buf_new(CHAT_WHO_REPLY_FRAME_LEN(r.n));
	if (!b)
		return;
	chat_who_reply_encode(b->data, &r, s->who_ids);
	rate_charge_bytes(&c->rl, &s->o.rate, b->len);
	enqueue(s, c, b);
	chat_buf_put(b);
}

/* SEND: one RELAY, to the room's other members. */
static void handle_send(struct chat_server *s, struct client *c,
			const uint8_t *p, uint32_t len)
{
	struct chat_send m;
	struct chat_buf *b;
	struct room *room;
	uint64_t ms = clock_wall_ms();
	size_t i;

	chat_send_decode(p, len, &m);	/* its length was checked */
	i = membership(c, m.room);
	if (i == SIZE_MAX) {
		room_error(s, c, CHAT_T_SEND);
		return;
	}
	room = c->rooms[i]->room;
	/* Members learn of joins and leaves before the messages after them. */
	if (presence_pending(&room->pres))
		presence_flush(s, room);
	b = chat_buf_new(CHAT_RELAY_HDR_LEN + m.msg_len);
	if (!b)
		return;
	chat_relay_encode_hdr(b->data, room->id, c->id, ms, m.msg_len);
	memcpy(b->data + CHAT_RELAY_HDR_LEN, m.msg, m.msg_len);
	broadcast(s, room, b, c);
	chat_buf_put(b);
	if (history_keep(s, room, c->id, ms, m.msg, m.msg_len, NULL) < 0)
		fprintf(stderr, "chat-server: out of memory: message not kept in history\n");
	if (s->fed) {	/* once to the room's subject, whatever its size */
		struct fed_msg f = { .type = FED_T_MSG, .room = room->id, .id = c->id,
				     .unix_ms = ms, .data = m.msg, .len = m.msg_len };

		fed_send(s, &f, NULL);
	}
}

/* A whole, already validated frame from c. */
static void handle_frame(struct chat_server *s, struct client *c,
			 const struct chat_frame_hdr *h, const uint8_t *payload)
{
	switch (h->type) {
	case CHAT_T_SEND: handle_send(s, c, payload, h->len); break;
	case CHAT_T_WHO: handle_who(s, c, payload); break;
	case CHAT_T_JOIN: handle_join(s, c, payload); break;
	case CHAT_T_PART: handle_part(s, c, payload); break;
	default: break;	/* PONG: its header already counted as a sign of life */
	}
}

/* Append up to n bytes of the frame being reassembled; returns bytes used.
 * in_need is 0 while the header is incomplete (it is checked when its last
 * byte arrives), else the whole frame's length (header already checked). */
static size_t stash(struct chat_server *s, struct client *c,
		    const uint8_t *p, size_t n)
{
	struct chat_frame_hdr h;
	size_t used = 0;

	for (;;) {
		size_t need = c->in_need ? c->in_need : CHAT_HDR_LEN, take;

		take = need - c->in_len;
		if (take > n - used)
			take = n - used;
		if (grow_in(s, c, c->in_len + take, need) < 0) {
			doom(s, c, CHAT_LEAVE_MEMORY, CHAT_ERR_MEMORY);
			return n;
		}
		memcpy(c->in + c->in_len, p + used, take);
		c->in_len += (uint32_t)take;
		used += take;
		if (c->in_len < need)
			return used;
		if (!c->in_need) {
			if (check_hdr(s, c, c->in, &h) < 0)
				return n;
			c->in_need = CHAT_HDR_LEN + h.len;
			if (h.len > 0)
				continue;
		}
		chat_hdr_parse(c->in, c->in_len, &h);	/* checked before */
		handle_frame(s, c, &h, c->in + CHAT_HDR_LEN);
		free_in(s, c);
		return used;
	}
}

/* Handle every frame in p[0..n); keep a trailing partial frame. */
static void consume(struct chat_server *s, struct client *c,
		    const uint8_t *p, size_t n)
{
	while (n > 0 && !(c->flags & C_DOOMED)) {
		struct chat_frame_hdr h;
		size_t used;

		if (c->in_len == 0 && n >= CHAT_HDR_LEN) {
			if (check_hdr(s, c, p, &h) < 0)
				return;
			if (n >= CHAT_HDR_LEN + (size_t)h.len) {
				handle_frame(s, c, &h, p + CHAT_HDR_LEN);
				p += CHAT_HDR_LEN + h.len;
				n -= CHAT_HDR_LEN + h.len;
				continue;
			}
			c->in_need = CHAT_HDR_LEN + h.len;	/* checked */
		}
		used = stash(s, c, p, n);
		p += used;
		n -= used;
	}
}

/*
 * Bytes the next read may take: what the byte bucket holds, and no more
 * frame headers than the frame bucket holds (the rest of the frame being
 * reassembled, whose header was counted, plus 8 bytes per frame allowed:
 * every frame is at least a header).  0 means: over the limits now.
 */
static size_t read_allowance(const struct chat_server *s, const struct client *c)
{
	uint64_t msgs, bytes, lim = SCRATCH_LEN;

	if (!s->limited)
		return SCRATCH_LEN;
	msgs = rate_msgs(&c->rl, &s->o.rate);
	bytes = rate_bytes(&c->rl, &s->o.rate);
	if (msgs < SCRATCH_LEN / CHAT_HDR_LEN)
		lim = (c->in_need ? c->in_need - c->in_len : 0) + msgs * CHAT_HDR_LEN;
	if (bytes < lim)
		lim = bytes;
	return lim < SCRATCH_LEN ? (size_t)lim : SCRATCH_LEN;
}

/* c has input waiting but may not read it now: stop reading until its
 * buckets have refilled a little; disconnect it when it stays over. */
static void throttle(struct chat_server *s, struct client *c)
{
	if (!(c->flags & C_OVER)) {
		c->flags |= C_OVER;
		c->flood_since = s->now;
		vlog(s, "client %u is over its rate limits: reading it slower", c->id);
	} else if (s->o.flood_timeout &&
		   s->now - c->flood_since >= (uint64_t)s->o.flood_timeout * 1000u) {
		doom(s, c, CHAT_LEAVE_FLOOD, CHAT_ERR_FLOOD);
		return;
	}
	c->flags |= C_THROTTLED;
	watch_update(s, c);
	tq_push(&s->throttled, &c->thr, s->now + s->throttle_ms);
}

static void client_read(struct chat_server *s, struct client *c)
{
	int i;

	if (s->limited)
		rate_refill(&c->rl, &s->o.rate, s->now);
	for (i = 0; i < READS_PER_EVENT && !(c->flags & C_DOOMED); i++) {
		size_t lim = read_allowance(s, c);
		ssize_t n;

		if (lim == 0) {
			throttle(s, c);
			return;
		}
		n = recv(c->w.fd, s->scratch, lim, MSG_DONTWAIT);
		if (n > 0) {
			rate_charge_bytes(&c->rl, &s->o.rate, (uint64_t)n);
			consume(s, c, s->scratch, (size_t)n);
			if ((size_t)n < lim) {	/* its input is drained */
				c->flags &= (uint8_t)~C_OVER;
				break;
			}
		} else if (n == 0) {
			/* EOF inside a frame: the frame was truncated. */
			if (c->in_len)
				doom(s, c, CHAT_LEAVE_ERROR, CHAT_ERR_MALFORMED);
			else
				doom(s, c, CHAT_LEAVE_QUIT, 0);
		} else if (errno == EINTR) {
			continue;
		} else {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				doom(s, c, CHAT_LEAVE_QUIT, 0);
			else
				c->flags &= (uint8_t)~C_OVER;
			break;
		}
	}
}

static void on_client(struct ev_loop *loop, struct ev_watch *w, unsigned ev)
{
	struct chat_server *s = ev_loop_data(loop);
	struct client *c = client_of(w);

	if (c->flags & (C_DOOMED | C_DEAD))
		return;
	tick(s);
	if (ev & EV_WRITE) {
		flush_one(c, NULL);
		flush_done(s, c);
	}
	if (!(c->flags & C_DOOMED)) {
		if (ev & EV_READ)
			client_read(s, c);
		else if (ev & EV_HUP)	/* not reading it (throttled): it is gone */
			doom(s, c, CHAT_LEAVE_QUIT, 0);
	}
	reap(s);
}

/* ---- accepting --------------------------------------------------------- */

static void refuse(struct chat_server *s, int fd, uint8_t code, const char *text)
{
	uint8_t out[CHAT_HDR_LEN + 1 + 255];
	size_t n = chat_reason_encode(out, CHAT_T_REFUSED, code, text);

	(void)send(fd, out, n, MSG_NOSIGNAL | MSG_DONTWAIT);
	drain_input(s, fd);
	close(fd);
}

static int registry_add(struct chat_server *s, struct client *c)
{
	if (s->nclients == s->cap) {
		uint32_t cap = s->cap ? s->cap * 2 : 64;
		struct client **v = realloc(s->clients, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->clients = v;
		s->cap = cap;
	}
	c->slot = s->nclients;
	s->clients[s->nclients++] = c;
	return 0;
}

/* Refuse fd if the server cannot take it; returns nonzero when refused. */
static int admission_refused(struct chat_server *s, int fd, const struct addr_key *k)
{
	char text[128], addr[64];
	int rc;

	if (s->nclients >= s->o.max_clients) {
		vlog(s, "refused a connection: server full");
		snprintf(text, sizeof(text), "server full (%u clients)", s->o.max_clients);
		refuse(s, fd, CHAT_ERR_FULL, text);
		return 1;
	}
	if (s->o.max_memory && mem_used(s) + ADMIT_COST > s->o.max_memory) {
		vlog(s, "refused a connection: memory limit");
		refuse(s, fd, CHAT_ERR_MEMORY, "server busy: memory limit reached");
		return 1;
	}
	rc = addr_limit_add(&s->addrs, k, s->o.max_per_address);
	if (rc == -EBUSY) {
		vlog(s, "refused a connection from %s: %u connections already",
		     addr_key_str(k, addr, sizeof(addr)), s->o.max_per_address);
		snprintf(text, sizeof(text),
			 "too many connections from your address (at most %u)",
			 s->o.max_per_address);
		refuse(s, fd, CHAT_ERR_ADDRESS, text);
		return 1;
	}
	if (rc < 0) {
		close(fd);
		return 1;
	}
	return 0;
}

static void admit(struct chat_server *s, int fd, const struct sockaddr *sa,
		  socklen_t salen)
{
	struct addr_key key = addr_key_of(sa, salen);
	struct chat_welcome wl;
	struct chat_buf *b = NULL;
	struct client *c;
	int one = 1, rc;

	if (admission_refused(s, fd, &key))
		return;
	c = calloc(1, sizeof(*c));
	if (!c)
		goto fail;
	c->addr = key;
	rc = id_alloc_take(&s->ids, &c->id);
	if (rc < 0)
		goto fail;
	if (rc == 1)
		fprintf(stderr, "chat-server: connection ids wrapped around after id %u: "
			"from now on ids still in use are skipped\n", UINT32_MAX);
	b = chat_buf_new(CHAT_WELCOME_FRAME_LEN);
	if (!b || registry_add(s, c) < 0)
		goto fail_id;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (ev_watch_start(s->loop, &c->w, fd, EV_READ, on_client) < 0)
		goto fail_registry;
	rate_init(&c->rl, &s->o.rate, s->now);
	wl.your_id = c->id;
	wl.clients = s->nclients;
	wl.max_rooms = s->o.max_rooms;
	chat_welcome_encode(b->data, &wl);
	enqueue(s, c, b);
	chat_buf_put(b);
	if (s->o.handshake_timeout) {
		/* The first frame must come in time; PING gives a client that
		 * has nothing to say something to answer. */
		c->tstate = T_HANDSHAKE;
		tq_push(&s->handshake, &c->tmo,
			s->now + (uint64_t)s->o.handshake_timeout * 1000u);
		enqueue(s, c, s->ping);
	} else {
		client_active(s, c);
	}
	vlog(s, "client %u connected (%u connected)", c->id, s->nclients);
	return;
fail_registry:
	registry_remove(s, c);
fail_id:
	id_alloc_release(&s->ids, c->id);
fail:
	addr_limit_del(&s->addrs, &key);
	chat_buf_put(b);
	free(c);
	close(fd);
}

/* Stop accepting for a while: the error is not about one connection (and
 * the listener stays readable, so retrying at once would spin). */
static void accept_pause(struct chat_server *s, int err)
{
	int first = !s->accept_backoff_ms;

	s->accept_backoff_ms = first ? ACCEPT_BACKOFF_MIN_MS :
			       s->accept_backoff_ms * 2 > ACCEPT_BACKOFF_MAX_MS ?
			       ACCEPT_BACKOFF_MAX_MS : s->accept_backoff_ms * 2;
	s->accept_resume_ms = s->now + s->accept_backoff_ms;
	ev_watch_set(s->loop, &s->listen_w, 0);
	if (first)
		fprintf(stderr, "chat-server: accept: %s: not accepting for a while "
			"(retrying after %u ms, then up to every %u ms)\n",
			strerror(err), ACCEPT_BACKOFF_MIN_MS, ACCEPT_BACKOFF_MAX_MS);
}

static void accept_resume(struct chat_server *s)
{
	if (s->reserve_fd < 0)
		s->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (ev_watch_set(s->loop, &s->listen_w, EV_READ) < 0) {
		s->accept_resume_ms = s->now + s->accept_backoff_ms;	/* later */
		return;
	}
	s->accept_resume_ms = 0;
	/* accept_backoff_ms stays until an accept succeeds: it keeps growing
	 * while the error persists. */
}

/* Errors of accept() that concern only the connection it was taking
 * (accept(2): "treat them like EAGAIN by retrying"): that connection is
 * gone, the next one may be fine. */
static int accept_error_is_per_connection(int err)
{
	switch (err) {
	case EINTR: case ECONNABORTED: case EPROTO: case EPERM:
	case ENETDOWN: case ENOPROTOOPT: case EHOSTDOWN: case ENONET:
	case EHOSTUNREACH: case EOPNOTSUPP: case ENETUNREACH:
		return 1;
	default:
		return 0;
	}
}

static void on_listen(struct ev_loop *loop, struct ev_watch *w, unsigned ev)
{
	struct chat_server *s = ev_loop_data(loop);
	int i;

	(void)ev;
	tick(s);
	for (i = 0; i < ACCEPTS_PER_EVENT && !s->accept_resume_ms; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int fd = accept4(w->fd, (struct sockaddr *)&ss, &sl,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		int err = errno;

		if (fd >= 0) {
			s->accept_backoff_ms = 0;
			admit(s, fd, (struct sockaddr *)&ss, sl);
			continue;
		}
		if (err == EAGAIN || err == EWOULDBLOCK)
			break;
		if (accept_error_is_per_connection(err))
			continue;
		if ((err == EMFILE || err == ENFILE) && s->reserve_fd >= 0) {
			/* Out of descriptors: refuse one so it is not left hanging. */
			close(s->reserve_fd);
			fd = accept4(w->fd, NULL, NULL, SOCK_CLOEXEC);
			if (fd >= 0)
				refuse(s, fd, CHAT_ERR_FULL, "server out of file descriptors");
			else
				err = errno;
			s->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
			if (s->reserve_fd >= 0 &&
			    (fd >= 0 || accept_error_is_per_connection(err)))
				continue;
			if (s->reserve_fd >= 0 && (err == EAGAIN || err == EWOULDBLOCK))
				break;
		}
		accept_pause(s, err);
	}
	reap(s);
}

/* ---- shutdown ---------------------------------------------------------- */

static void on_signal(struct ev_loop *loop, struct ev_watch *w, unsigned ev)
{
	struct chat_server *s = ev_loop_data(loop);
	struct signalfd_siginfo si;

	(void)ev;
	if (read(w->fd, &si, sizeof(si)) != sizeof(si))
		return;
	vlog(s, "signal %u: shutting down", si.ssi_signo);
	ev_loop_stop(loop);
}

/* Tell everyone, best effort, then close every connection. */
static void close_all(struct chat_server *s)
{
	while (s->nclients) {
		struct client *c = s->clients[s->nclients - 1];

		if (!(c->flags & C_DOOMED)) {
			c->flags |= C_DOOMED;
			c->leave_reason = CHAT_LEAVE_SHUTDOWN;
			c->err_code = CHAT_ERR_SHUTDOWN;
		}
		client_close(s, c, 0);
	}
	s->doomed = NULL;
	while (s->pending)
		pending_pop(s);
}

/* Free the closed clients (after close_all, outside the loop). */
static void free_dead(struct chat_server *s)
{
	while (s->dead) {
		struct client *c = s->dead;

		s->dead = c->next_gone;
		free(c);
	}
}

/* ---- setup ------------------------------------------------------------- */

static void raise_nofile(struct chat_server *s)
{
	unsigned long want = (unsigned long)s->o.max_clients + FD_HEADROOM;
	unsigned long got = fd_limit_raise(want);

	if (got < want)
		fprintf(stderr, "chat-server: warning: only %lu file descriptors "
			"allowed; fewer than --max-clients %u can connect\n",
			got, s->o.max_clients);
}

static int open_listener(const struct chat_server_opts *o, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICHOST |
					      AI_NUMERICSERV };
	struct addrinfo *ai;
	char port[16];
	int fd, one = 1, rc;

	snprintf(port, sizeof(port), "%u", o->port);
	rc = getaddrinfo(o->listen, port, &hints, &ai);
	if (rc) {
		snprintf(err, errlen, "bad --listen address '%s': %s", o->listen,
			 gai_strerror(rc));
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
	    listen(fd, SOMAXCONN) < 0) {
		snprintf(err, errlen, "cannot listen on %s port %u: %s", o->listen,
			 o->port, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

static int open_signals(void)
{
	sigset_t set;

	/* A shell starts background jobs with SIGINT ignored; an ignored
	 * signal would never reach the signalfd. */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

/* How long a throttled connection waits: long enough for its buckets to
 * refill a useful amount, short enough to keep the rate smooth. */
static uint32_t throttle_delay(const struct rate_cfg *r)
{
	uint64_t ms = THROTTLE_MAX_MS;

	if (r->msg_rate && 1000u * (uint64_t)r->msg_burst / r->msg_rate < ms)
		ms = 1000u * (uint64_t)r->msg_burst / r->msg_rate;
	if (r->byte_rate && 1000u * r->byte_burst / r->byte_rate < ms)
		ms = 1000u * r->byte_burst / r->byte_rate;
	return ms ? (uint32_t)ms : 1;
}

struct chat_server *chat_server_new(const struct chat_server_opts *o,
				    char *err, size_t errlen)
{
	struct chat_server *s = calloc(1, sizeof(*s));
	int lfd, sfd;

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->o = *o;
	s->hist.msgs = o->history;
	s->hist.age_ms = (uint64_t)o->history_age * 1000u;
	s->hist.bytes = o->history_bytes;
	if (!s->o.who_page || s->o.who_page > CHAT_WHO_PAGE_MAX)
		s->o.who_page = CHAT_WHO_PAGE_MAX;
	s->pending_tail = &s->pending;
	s->listen_w.fd = s->signal_w.fd = s->reserve_fd = s->fed_w.fd = -1;
	tq_init(&s->handshake);
	tq_init(&s->quiet);
	tq_init(&s->pinged);
	tq_init(&s->throttled);
	id_alloc_init(&s->ids, 0);
	if (!s->o.max_rooms)
		s->o.max_rooms = CHAT_DEFAULT_MAX_ROOMS;
	if (room_table_init(&s->rooms) < 0) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	s->limited = o->rate.msg_rate || o->rate.byte_rate;
	s->throttle_ms = throttle_delay(&o->rate);
	tick(s);
	signal(SIGPIPE, SIG_IGN);
	raise_nofile(s);
	s->scratch = malloc(SCRATCH_LEN);
	s->who_ids = malloc((size_t)s->o.who_page * sizeof(*s->who_ids));
	s->ping = chat_buf_new(CHAT_HDR_LEN);
	s->loop = ev_loop_new(256);
	s->flush_v = malloc(FLUSH_SLICE * sizeof(*s->flush_v));
	if (!s->scratch || !s->who_ids || !s->ping || !s->loop || !s->flush_v) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (o->write_threads) {
		s->pool = write_pool_new(o->write_threads);
		if (!s->pool) {
			snprintf(err, errlen, "cannot start %u write threads: %s",
				 o->write_threads, strerror(errno));
			goto fail;
		}
	}
	chat_hdr_put(s->ping->data, CHAT_T_PING, 0);
	if (o->max_memory && mem_used(s) + ADMIT_COST > o->max_memory) {
		snprintf(err, errlen, "--max-memory %llu is below what the server "
			 "needs before its first client (%zu bytes)",
			 (unsigned long long)o->max_memory, mem_used(s) + ADMIT_COST);
		goto fail;
	}
	ev_loop_set_data(s->loop, s);
	ev_loop_set_before_wait(s->loop, before_wait, s);
	lfd = open_listener(o, err, errlen);
	if (lfd < 0)
		goto fail;
	if (ev_watch_start(s->loop, &s->listen_w, lfd, EV_READ, on_listen) < 0) {
		close(lfd);
		snprintf(err, errlen, "epoll: %s", strerror(errno));
		goto fail;
	}
	sfd = open_signals();
	if (sfd < 0 || ev_watch_start(s->loop, &s->signal_w, sfd, EV_READ, on_signal) < 0) {
		if (sfd >= 0)
			close(sfd);
		snprintf(err, errlen, "signalfd: %s", strerror(errno));
		goto fail;
	}
	s->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (o->nats && fed_start(s, err, errlen) < 0)
		goto fail;
	return s;
fail:
	chat_server_free(s);
	return NULL;
}

int chat_server_run(struct chat_server *s)
{
	int rc = ev_loop_run(s->loop);

	close_all(s);
	free_dead(s);
	return rc;
}

void chat_server_free(struct chat_server *s)
{
	if (!s)
		return;
	close_all(s);
	free_dead(s);
	fed_stop(s);
	write_pool_free(s->pool);
	if (s->listen_w.fd >= 0)
		close(s->listen_w.fd);
	if (s->signal_w.fd >= 0)
		close(s->signal_w.fd);
	if (s->reserve_fd >= 0)
		close(s->reserve_fd);
	ev_loop_free(s->loop);
	chat_buf_put(s->ping);
	id_alloc_free(&s->ids);
	room_table_free(&s->rooms);
	addr_limit_free(&s->addrs);
	free(s->clients);
	free(s->scratch);
	free(s->who_ids);
	free(s->flush_v);
	free(s);
}
