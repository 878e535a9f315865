/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench_conn.c - one chat-bench connection: connect, read, write.
 *
 * Owns: the non-blocking connect, reading frames (or text lines in raw
 * mode) and turning each delivered message into a latency sample, and
 * composing/writing a sender's messages.  Does not own: when to send or
 * when to stop (bench_main.c) nor statistics arithmetic (bench_stats.c).
 */
#include "bench.h"

#include "proto/frame.h"
#include "bench_peers.h"
#include "proto/clock.h"
#include "proto/room_crypto.h"
#include "proto/wire.h"

#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

#define BODY_MIN_FRAMES	16	/* u64 ns | u32 sender | u32 seq */
#define RAW_PREFIX	35	/* "%016x %08x %08x " */
#define READS_PER_EVENT	8

static void on_conn(struct ev_loop *loop, struct ev_watch *w, unsigned ev);

static struct bconn *conn_of(struct ev_watch *w)
{
	return (struct bconn *)((char *)w - offsetof(struct bconn, w));
}

/* A connection that could not even start: closed, and an error. */
static int connect_failed(struct bench *b, struct bconn *c, int fd, const char *what)
{
	bench_error(b, "client %u: %s: %s", c->idx, what, strerror(errno));
	if (fd >= 0)
		close(fd);
	c->state = BC_CLOSED;
	b->n_closed++;
	b->n_join_failed++;
	b->errors++;
	return -1;
}

int bconn_connect(struct bench *b, struct bconn *c)
{
	const struct bench_target *t = &b->target[c->srv];
	int fd = socket(t->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;

	if (fd < 0)
		return connect_failed(b, c, -1, "socket");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->connect_ns = bench_now_ns();
	if (connect(fd, (const struct sockaddr *)t->addr, t->addr_len) < 0 &&
	    errno != EINPROGRESS)
		return connect_failed(b, c, fd, "connect");
	if (ev_watch_start(b->loop, &c->w, fd, EV_WRITE, on_conn) < 0)
		return connect_failed(b, c, fd, "epoll");
	c->state = BC_CONNECTING;
	b->n_connecting++;
	return 0;
}

void bconn_close(struct bench *b, struct bconn *c, int is_error)
{
	if (c->state == BC_CLOSED)
		return;
	if (c->state == BC_CONNECTING)
		b->n_connecting--;
	if (c->state == BC_OPEN)
		b->n_ready--;
	if (is_error)
		b->errors++;
	if (is_error && c->state != BC_OPEN)
		b->n_join_failed++;
	ev_watch_stop(b->loop, &c->w);
	close(c->w.fd);
	c->w.fd = -1;
	c->state = BC_CLOSED;
	b->n_closed++;
	free(c->in);
	free(c->out);
	c->in = c->out = NULL;
	c->in_len = c->in_cap = 0;
	c->out_len = c->out_off = c->out_cap = 0;
}

/* c is in the room: every message sent from now on is owed to it. */
static void mark_open(struct bench *b, struct bconn *c)
{
	uint64_t now = bench_now_ns();

	c->state = BC_OPEN;
	b->n_ready++;
	c->join_ns = b->last_join_ns = now;
	c->owed_from = b->sent_all;
	if (b->ramp > 0 && c->idx >= b->early)
		lat_hist_add(&b->join_lat, now - c->connect_ns);
}

/* ---- receiving ----------------------------------------------------------- */


/* Count one message delivered to c (latency recorded by the caller); owed:
 * it was sent after c joined, so c must get it. */
static void count_delivery(struct bench *b, struct bconn *c, uint64_t now, int owed)
{
	b->deliveries++;
	c->got++;
	if (owed) {
		b->deliveries_owed++;
		c->got_owed++;
	}
	if (b->measuring && now <= b->t_end_ns)
		b->deliveries_window++;
}

/* --ramp: each sender's messages reach c in order, each once. */
static int in_order(struct bench *b, struct bconn *c, uint32_t sender, uint32_t seq)
{
	uint32_t *next = &b->next_seq[(size_t)c->idx * b->senders + sender];

	if (seq < *next) {
		bench_error(b, "client %u: message %u of sender %u again or out of order",
			    c->idx, seq, sender);
		b->errors++;
		return 0;
	}
	*next = seq + 1;
	return 1;
}

/* One message delivered to c: sender index, sequence number, send time. */
static void delivered(struct bench *b, struct bconn *c, uint32_t sender,
		      uint32_t seq, uint64_t sent_ns)
{
	uint64_t now = bench_now_ns();

	/* --senders 0: the senders are another process's (same servers). */
	if ((b->senders && sender >= b->senders) || sent_ns > now) {
		bench_error(b, "garbled message at client %u", c->idx);
		b->errors++;
		return;
	}
	if (b->next_seq && !in_order(b, c, sender, seq))
		return;
	lat_hist_add(&b->lat, now - sent_ns);
	if (b->n_targets > 1)
		lat_hist_add(sender % b->n_targets == c->srv ? &b->lat_same :
			     &b->lat_cross, now - sent_ns);
	/* Sends stamp a time after the latest join (bconn_send_one). */
	count_delivery(b, c, now, sent_ns > c->join_ns);
	if (c->idx == b->probe && sender < b->senders)
		b->probe_got[sender]++;
}

static void on_relay(struct bench *b, struct bconn *c, const uint8_t *p, size_t len)
{
	struct chat_relay r;
	const uint8_t *body;
	size_t body_len;

	if (chat_relay_decode(p, len, &r) < 0) {
		b->errors++;
		return;
	}
	body = r.msg;
	body_len = r.msg_len;
	if (b->open && !b->open_all && c->idx != b->probe) {
		/* --open probe: this receiver's crypto would run on its own
		 * machine; only the probe authenticates, decrypts and times. */
		count_delivery(b, c, bench_now_ns(), 1);	/* (not with --ramp) */
		return;
	}
	if (b->open) {
		uint32_t s = r.sender_id <= b->max_id ? b->sender_of_id[r.sender_id] : 0;
		size_t n;

		if (s == 0) {
			bench_error(b, "message from unknown sender %u", r.sender_id);
			b->errors++;
			return;
		}
		if (room_open(b->open, r.sender_id, r.msg, r.msg_len,
			      &b->guards[c->idx], clock_wall_ms(), b->scratch, &n,
			      NULL) < 0) {
			bench_error(b, "cannot authenticate message from %u", r.sender_id);
			b->errors++;
			return;
		}
		body = b->scratch;
		body_len = n;
	}
	if (body_len < BODY_MIN_FRAMES) {
		b->errors++;
		return;
	}
	delivered(b, c, wire_get32(body + 8), wire_get32(body + 12), wire_get64(body));
}

static int out_reserve(struct bconn *c, size_t more);

/* Keepalive: a PONG goes out when the read is over (conn_read). */
static void answer_ping(struct bench *b, struct bconn *c)
{
	if (out_reserve(c, CHAT_HDR_LEN) < 0) {
		bench_error(b, "client %u: out of memory", c->idx);
		b->errors++;
		return;
	}
	chat_hdr_put(c->out + c->out_len, CHAT_T_PONG, 0);
	c->out_len += CHAT_HDR_LEN;
}

static void on_frame(struct bench *b, struct bconn *c, const struct chat_frame_hdr *h,
		     const uint8_t *p)
{
	struct chat_welcome wl;
	struct chat_joined jn;
	struct chat_reason why;

	switch (h->type) {
	case CHAT_T_WELCOME:
		if (c->state == BC_CONNECTED && chat_welcome_decode(p, h->len, &wl) == 0 &&
		    out_reserve(c, CHAT_HDR_LEN + CHAT_ROOM_ID_LEN) == 0) {
			c->id = wl.your_id;
			chat_hdr_put(c->out + c->out_len, CHAT_T_JOIN, CHAT_ROOM_ID_LEN);
			memcpy(c->out + c->out_len + CHAT_HDR_LEN, b->room,
			       CHAT_ROOM_ID_LEN);
			c->out_len += CHAT_HDR_LEN + CHAT_ROOM_ID_LEN;
		} else {
			b->errors++;
		}
		break;
	case CHAT_T_JOINED:
		if (c->state == BC_CONNECTED && chat_joined_decode(p, h->len, &jn) == 0)
			mark_open(b, c);
		else
			b->errors++;
		break;
	case CHAT_T_RELAY:
		on_relay(b, c, p, h->len);
		break;
	case CHAT_T_REFUSED:
	case CHAT_T_ERROR:
		chat_reason_decode(p, h->len, &why);
		bench_error(b, "client %u: server says: %s", c->idx, why.text);
		bconn_close(b, c, 1);
		break;
	case CHAT_T_PING:
		answer_ping(b, c);
		break;
	default:	/* PRESENCE, WHO_REPLY: not measured */
		break;
	}
}

/* Handle complete frames in p[0..n); return bytes consumed, -1 on error. */
static long parse_frames(struct bench *b, struct bconn *c, const uint8_t *p, size_t n)
{
	size_t off = 0;

	while (c->state != BC_CLOSED) {
		struct chat_frame_hdr h;
		int rc = chat_frame_next(p + off, n - off, &h);

		/* (a header is checked as soon as it is in) */
		if (rc < 0 || (n - off >= CHAT_HDR_LEN && !chat_type_from_server(h.type))) {
			bench_error(b, "client %u: bad frame from server", c->idx);
			return -1;
		}
		if (rc == 0)
			break;
		on_frame(b, c, &h, p + off + CHAT_HDR_LEN);
		off += CHAT_HDR_LEN + h.len;
	}
	return (long)off;
}

/* One text message ("%016x %08x %08x " then filler): raw lines and the
 * brokers' payloads.  A broker that echoes a sender's own message (Redis
 * does) is not counted twice: own messages are skipped. */
static void text_message(struct bench *b, struct bconn *c, const uint8_t *p,
			 size_t len)
{
	unsigned long long ns;
	unsigned sender, seq;
	char head[RAW_PREFIX + 1];

	if (len >= RAW_PREFIX) {
		memcpy(head, p, RAW_PREFIX);
		head[RAW_PREFIX] = '\0';
	} else {
		head[0] = '\0';
	}
	if (sscanf(head, "%16llx %8x %8x ", &ns, &sender, &seq) == 3) {
		if (c->sender < 0 || sender != (unsigned)c->sender)
			delivered(b, c, sender, seq, ns);
	} else {
		b->errors++;
		if (b->verbose)
			bench_error(b, "client %u: garbled message", c->idx);
	}
}

static int out_reserve(struct bconn *c, size_t more);

/* Redis or NATS: every item the broker sent; returns bytes consumed. */
static long parse_peer(struct bench *b, struct bconn *c, const uint8_t *p, size_t n)
{
	enum bench_peer peer = b->mode == BENCH_REDIS ? BENCH_PEER_REDIS : BENCH_PEER_NATS;
	size_t off = 0;

	while (c->state != BC_CLOSED) {
		struct peer_event ev;
		long used = peer_parse(peer, p + off, n - off, &ev);

		if (used == 0)
			break;
		if (used < 0) {
			bench_error(b, "client %u: the broker sent something unexpected", c->idx);
			return -1;
		}
		off += (size_t)used;
		switch (ev.kind) {
		case PE_READY:
			if (c->state == BC_CONNECTED)
				mark_open(b, c);
			break;
		case PE_MESSAGE:
			text_message(b, c, ev.payload, ev.len);
			break;
		case PE_PING:
			if (out_reserve(c, 6) < 0)
				return -1;
			memcpy(c->out + c->out_len, "PONG\r\n", 6);
			c->out_len += 6;
			break;
		case PE_ERROR:
			bench_error(b, "client %u: the broker says: %.*s", c->idx,
				    (int)(ev.len < 200 ? ev.len : 200), (const char *)ev.payload);
			b->errors++;
			break;
		case PE_OTHER:
			break;
		}
	}
	return (long)off;
}

static long parse_lines(struct bench *b, struct bconn *c, const uint8_t *p, size_t n)
{
	size_t off = 0;

	for (;;) {
		const uint8_t *nl = memchr(p + off, '\n', n - off);
		size_t len;

		if (!nl)
			break;
		len = (size_t)(nl - (p + off));
		if (len > 0 && p[off] == '#') {	/* roll call, not a message */
			if (!c->greeted) {
				c->greeted = 1;
				b->n_greeted++;
			}
			off += len + 1;
			continue;
		}
		text_message(b, c, p + off, len);
		off += len + 1;
	}
	if (n - off > (size_t)b->size + RAW_PREFIX) {
		bench_error(b, "client %u: line too long", c->idx);
		return -1;
	}
	return (long)off;
}

static int consume(struct bench *b, struct bconn *c, const uint8_t *p, size_t n)
{
	long used;

	if (c->in_len) {	/* append to the leftover, parse from there */
		if (c->in_cap < c->in_len + n) {
			uint32_t cap = (uint32_t)(c->in_len + n);
			uint8_t *in = realloc(c->in, cap);

			if (!in)
				return -1;
			c->in = in;
			c->in_cap = cap;
		}
		memcpy(c->in + c->in_len, p, n);
		c->in_len += (uint32_t)n;
		p = c->in;
		n = c->in_len;
	}
	if (b->mode == BENCH_RAW)
		used = parse_lines(b, c, p, n);
	else if (b->mode == BENCH_FRAMES)
		used = parse_frames(b, c, p, n);
	else
		used = parse_peer(b, c, p, n);
	if (used < 0)
		return -1;
	if (c->state == BC_CLOSED)
		return 0;
	if ((size_t)used == n) {
		free(c->in);
		c->in = NULL;
		c->in_len = c->in_cap = 0;
	} else if (p == c->in) {
		memmove(c->in, c->in + used, n - (size_t)used);
		c->in_len = (uint32_t)(n - (size_t)used);
	} else {
		c->in = malloc(n - (size_t)used);
		if (!c->in)
			return -1;
		memcpy(c->in, p + used, n - (size_t)used);
		c->in_len = c->in_cap = (uint32_t)(n - (size_t)used);
	}
	return 0;
}

static void conn_read_some(struct bench *b, struct bconn *c)
{
	int i;

	for (i = 0; i < READS_PER_EVENT && c->state != BC_CLOSED; i++) {
		/* Leave room in scratch for decrypting one message in place. */
		ssize_t n = recv(c->w.fd, b->scratch + CHAT_HDR_LEN + CHAT_MAX_PAYLOAD,
				 64 * 1024, MSG_DONTWAIT);

		if (n > 0) {
			b->bytes_in += (uint64_t)n;
			if (consume(b, c, b->scratch + CHAT_HDR_LEN + CHAT_MAX_PAYLOAD,
				    (size_t)n) < 0) {
				bconn_close(b, c, 1);
				return;
			}
			if (n < 64 * 1024)
				return;
		} else if (n == 0) {
			bench_error(b, "client %u: server closed the connection", c->idx);
			bconn_close(b, c, 1);
		} else if (errno == EINTR) {
			continue;
		} else {
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				bench_error(b, "client %u: %s", c->idx, strerror(errno));
				bconn_close(b, c, 1);
			}
			return;
		}
	}
}

/* ---- sending ------------------------------------------------------------- */

static int out_reserve(struct bconn *c, size_t more)
{
	if (c->out_off && c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	if (c->out_len + more > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 4096;
		uint8_t *out;

		if (c->out_off) {	/* compact first */
			memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
			c->out_len -= c->out_off;
			c->out_off = 0;
		}
		while (cap < c->out_len + more)
			cap *= 2;
		out = realloc(c->out, cap);
		if (!out)
			return -1;
		c->out = out;
		c->out_cap = cap;
	}
	return 0;
}


int bconn_send_text(struct bench *b, struct bconn *c, const char *line)
{
	size_t n = strlen(line);

	(void)b;
	if (out_reserve(c, n) < 0)
		return -1;
	memcpy(c->out + c->out_len, line, n);
	c->out_len += n;
	return 0;
}

int bconn_send_one(struct bench *b, struct bconn *c)
{
	uint32_t s = (uint32_t)c->sender;
	uint64_t seq = b->sent[s], now = bench_now_ns();

	/* Strictly after every join so far: a receiver owes exactly the
	 * messages stamped after its join_ns (delivered()). */
	if (now <= b->last_join_ns)
		now = b->last_join_ns + 1;

	if (b->mode != BENCH_FRAMES) {
		enum bench_peer peer = b->mode == BENCH_REDIS ? BENCH_PEER_REDIS :
							      BENCH_PEER_NATS;
		char before[96];
		size_t nb = b->mode == BENCH_RAW ? 0 : peer_publish_head(peer, b->size, before);
		size_t na = b->mode == BENCH_RAW ? 0 : strlen(PEER_PUBLISH_TAIL);

		if (out_reserve(c, nb + b->size + na) < 0)
			return -1;
		memcpy(c->out + c->out_len, before, nb);
		c->out_len += nb;
		uint8_t *p = c->out + c->out_len;
		char head[RAW_PREFIX + 1];

		snprintf(head, sizeof(head), "%016" PRIx64 " %08x %08x ", now, s,
			 (unsigned)seq);
		memcpy(p, head, RAW_PREFIX);
		memset(p + RAW_PREFIX, 'x', b->size - RAW_PREFIX - 1);
		p[b->size - 1] = '\n';
		c->out_len += b->size;
		memcpy(c->out + c->out_len, PEER_PUBLISH_TAIL, na);
		c->out_len += na;
	} else {
		uint8_t *body = b->scratch;	/* the plaintext body */
		size_t msg_len = b->seal[0] ? room_sealed_len(b->size) : b->size;

		if (out_reserve(c, CHAT_HDR_LEN + CHAT_SEND_HDR_LEN + msg_len) < 0)
			return -1;
		uint8_t *p = c->out + c->out_len;
		uint8_t *m = p + CHAT_HDR_LEN + CHAT_SEND_HDR_LEN;

		wire_put64(body, now);
		wire_put32(body + 8, s);
		wire_put32(body + 12, (uint32_t)seq);
		memset(body + BODY_MIN_FRAMES, 0x5a, b->size - BODY_MIN_FRAMES);
		chat_hdr_put(p, CHAT_T_SEND, (uint32_t)(CHAT_SEND_HDR_LEN + msg_len));
		memcpy(p + CHAT_HDR_LEN, b->room, CHAT_ROOM_ID_LEN);
		if (b->seal[0]) {
			size_t n;

			if (room_seal(b->seal[s], clock_wall_ms(), body, b->size, m,
				      &n) < 0 || n != msg_len) {
				bench_error(b, "room_seal failed");
				return -1;
			}
		} else {
			memcpy(m, body, b->size);
		}
		c->out_len += CHAT_HDR_LEN + CHAT_SEND_HDR_LEN + msg_len;
	}
	b->sent[s]++;
	b->sent_all++;
	return 0;
}

void bconn_flush(struct bench *b, struct bconn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->w.fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			c->out_off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			ev_watch_set(b->loop, &c->w, EV_READ | EV_WRITE);
			return;
		}
		bench_error(b, "client %u: send: %s", c->idx, strerror(errno));
		bconn_close(b, c, 1);
		return;
	}
	c->out_off = c->out_len = 0;
	ev_watch_set(b->loop, &c->w, EV_READ);
}

static void conn_connected(struct bench *b, struct bconn *c)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(c->w.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err) {
		bench_error(b, "client %u: connect: %s", c->idx, strerror(err));
		bconn_close(b, c, 1);
		return;
	}
	b->n_connecting--;
	c->state = BC_CONNECTED;
	if (b->mode == BENCH_RAW)
		mark_open(b, c);	/* no greeting in raw mode */
	ev_watch_set(b->loop, &c->w, EV_READ);
	if (b->mode == BENCH_REDIS || b->mode == BENCH_NATS) {
		char hello[256];
		size_t n = peer_hello(b->mode == BENCH_REDIS ? BENCH_PEER_REDIS :
				      BENCH_PEER_NATS, hello);

		if (out_reserve(c, n) < 0) {
			bconn_close(b, c, 1);
			return;
		}
		memcpy(c->out + c->out_len, hello, n);
		c->out_len += n;
		bconn_flush(b, c);
	}
}

/* Read what is there; then write what reading queued (JOIN, PONGs). */
static void conn_read(struct bench *b, struct bconn *c)
{
	conn_read_some(b, c);
	if ((c->state == BC_OPEN || c->state == BC_CONNECTED) &&
	    c->out_off < c->out_len)
		bconn_flush(b, c);
}

static void on_conn(struct ev_loop *loop, struct ev_watch *w, unsigned ev)
{
	struct bench *b = ev_loop_data(loop);
	struct bconn *c = conn_of(w);

	if (c->state == BC_CLOSED)
		return;
	if (c->state == BC_CONNECTING) {
		conn_connected(b, c);
		return;
	}
	if (ev & EV_WRITE)
		bconn_flush(b, c);
	if ((ev & EV_READ) && c->state != BC_CLOSED)
		conn_read(b, c);
}
