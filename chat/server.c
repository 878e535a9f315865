/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server.c - the chat relay server (see server.h for what it owns).
 *
 * Life of a client: accepted -> WELCOME queued, JOINED to the others ->
 * frames read into a shared scratch buffer and handled in place (only a
 * frame split across reads is copied into a per-client buffer, allocated
 * for that frame and freed after it) -> SEND becomes one refcounted RELAY
 * buffer pushed on every other client's queue -> queues are written in
 * FIFO order with gathered writes, at most FLUSH_SLICE per loop turn (the
 * loop polls for new input between slices).  A client is closed ("doomed") for
 * EOF, a write error, a bad frame (ERROR first) or a queue over --max-queue
 * (ERROR(SLOW) best effort); closing happens outside any loop over the
 * client set, and the memory is freed only before the next epoll wait so
 * events already fetched never point at freed memory.
 */
#include "server.h"

#include "event_loop.h"
#include "fd_limit.h"
#include "frame.h"
#include "outq.h"

#include <errno.h>
#include <fcntl.h>
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

enum {
	C_PENDING = 1,	/* on the pending-write list */
	C_DOOMED = 2,	/* on the doomed list, to be closed */
	C_DEAD = 4,	/* closed, on the dead list, to be freed */
};

struct client {
	struct ev_watch w;
	uint32_t id;
	uint32_t slot;		/* index in server.clients */
	struct outq q;
	uint8_t *in;		/* partial frame, NULL when none */
	uint32_t in_len, in_cap;
	struct client *next_pending;
	struct client *next_gone;	/* doomed list, then dead list */
	uint8_t flags;
	uint8_t leave_reason;	/* LEFT reason once doomed */
	uint8_t err_code;	/* ERROR code to send first, 0 = none */
};

struct chat_server {
	struct chat_server_opts o;
	struct ev_loop *loop;
	struct ev_watch listen_w;
	struct ev_watch signal_w;
	int reserve_fd;		/* spare descriptor for refusing on EMFILE */
	struct client **clients;
	uint32_t nclients, cap;
	uint32_t next_id;
	uint8_t salt[CHAT_SALT_LEN];
	struct client *pending;		/* FIFO of clients with queued output */
	struct client **pending_tail;
	struct client *doomed;
	struct client *dead;
	uint8_t *scratch;
};

static uint64_t unix_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static struct client *client_of(struct ev_watch *w)
{
	return (struct client *)((char *)w - offsetof(struct client, w));
}

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

static const char *error_text(uint8_t code)
{
	switch (code) {
	case CHAT_ERR_VERSION: return "unsupported protocol version (server speaks 1)";
	case CHAT_ERR_MALFORMED: return "malformed frame";
	case CHAT_ERR_TOO_BIG: return "frame too large";
	case CHAT_ERR_SLOW: return "output queue overflow: you stopped reading";
	case CHAT_ERR_SHUTDOWN: return "server shutting down";
	case CHAT_ERR_FULL: return "server full";
	default: return "error";
	}
}

/* Queue an ERROR frame past the limit and write what the socket takes. */
static void send_error_best_effort(struct client *c, uint8_t code)
{
	const char *text = error_text(code);
	struct chat_buf *b = chat_buf_new(CHAT_HDR_LEN + 1 + strlen(text));

	if (!b)
		return;
	chat_reason_encode(b->data, CHAT_T_ERROR, code, text);
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

static void registry_remove(struct chat_server *s, struct client *c)
{
	struct client *last = s->clients[--s->nclients];

	s->clients[c->slot] = last;
	last->slot = c->slot;
}

static void broadcast(struct chat_server *s, struct chat_buf *b,
		      const struct client *except);

static void broadcast_notice(struct chat_server *s, uint8_t type, uint32_t id,
			     uint8_t reason, const struct client *except)
{
	struct chat_notice n = { .id = id, .unix_ms = unix_ms(), .reason = reason };
	struct chat_buf *b = chat_buf_new(CHAT_NOTICE_FRAME_LEN);

	if (!b)
		return;
	b->len = (uint32_t)chat_notice_encode(b->data, type, &n);
	broadcast(s, b, except);
	chat_buf_put(b);
}

static void client_close(struct chat_server *s, struct client *c, int notify)
{
	static const char *const why[] = { "quit", "slow", "error", "shutdown" };

	if (c->err_code) {
		send_error_best_effort(c, c->err_code);
		if (c->err_code != CHAT_ERR_SLOW)
			drain_input(s, c->w.fd);
	} else if (c->q.count) {
		(void)outq_write(&c->q, c->w.fd);	/* what is left, best effort */
	}
	vlog(s, "client %u left (%s)", c->id,
	     c->leave_reason < 4 ? why[c->leave_reason] : "?");
	ev_watch_stop(s->loop, &c->w);
	close(c->w.fd);
	c->w.fd = -1;
	outq_clear(&c->q);
	free(c->in);
	c->in = NULL;
	c->in_len = c->in_cap = 0;
	registry_remove(s, c);
	c->flags = (uint8_t)((c->flags & ~C_DOOMED) | C_DEAD);
	c->next_gone = s->dead;
	s->dead = c;
	if (notify)
		broadcast_notice(s, CHAT_T_LEFT, c->id, c->leave_reason, NULL);
}

/* Close every doomed client; their LEFT notices may doom more. */
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
	if (c->q.bytes > 0 && c->q.bytes + b->len > s->o.max_queue) {
		doom(s, c, CHAT_LEAVE_SLOW, CHAT_ERR_SLOW);
		return;
	}
	if (outq_push(&c->q, b) < 0) {
		doom(s, c, CHAT_LEAVE_SLOW, CHAT_ERR_SLOW);
		return;
	}
	if (!(c->flags & C_PENDING)) {
		c->flags |= C_PENDING;
		c->next_pending = NULL;
		*s->pending_tail = c;
		s->pending_tail = &c->next_pending;
	}
}

static void broadcast(struct chat_server *s, struct chat_buf *b,
		      const struct client *except)
{
	uint32_t i;

	for (i = 0; i < s->nclients; i++)
		if (s->clients[i] != except)
			enqueue(s, s->clients[i], b);
}

/* Write one client's queue; watch for writability only while it is full. */
static void client_flush(struct chat_server *s, struct client *c)
{
	int r = outq_write(&c->q, c->w.fd);

	if (r < 0)
		doom(s, c, CHAT_LEAVE_QUIT, 0);
	else if (ev_watch_set(s->loop, &c->w, r ? EV_READ : EV_READ | EV_WRITE) < 0)
		doom(s, c, CHAT_LEAVE_QUIT, 0);
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

/*
 * Write pending queues (at most FLUSH_SLICE of them), close doomed clients,
 * free closed ones that no list points to any more.  Returns nonzero when
 * queues are still pending: the loop polls for events and calls again.
 */
static int before_wait(struct ev_loop *loop, void *arg)
{
	struct chat_server *s = arg;
	struct client *c, *keep = NULL;
	unsigned slice = 0;

	(void)loop;
	while ((s->pending && slice < FLUSH_SLICE) || s->doomed) {
		while (s->pending && slice < FLUSH_SLICE) {
			c = pending_pop(s);
			if (!(c->flags & (C_DOOMED | C_DEAD)) && !(c->w.mask & EV_WRITE)) {
				client_flush(s, c);
				slice++;
			}
		}
		reap(s);
	}
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
	return s->pending != NULL;
}

/* ---- input ------------------------------------------------------------- */

/* Validate a client frame header; doom the client and return -1 if bad. */
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
	else if (h->type == CHAT_T_SEND && h->len > CHAT_MAX_MSG)
		code = CHAT_ERR_TOO_BIG;
	else if ((h->type == CHAT_T_SEND && h->len == 0) ||
		 (h->type == CHAT_T_WHO && h->len != 0))
		code = CHAT_ERR_MALFORMED;
	if (!code)
		return 0;
	vlog(s, "client %u sent a bad frame (version %u type 0x%02x flags 0x%x len %u)",
	     c->id, p[0], p[1], (unsigned)(p[2] << 8 | p[3]), h->len);
	doom(s, c, CHAT_LEAVE_ERROR, code);
	return -1;
}

static void handle_who(struct chat_server *s, struct client *c)
{
	struct chat_buf *b = chat_buf_new(CHAT_WHO_FRAME_LEN(s->nclients));
	uint32_t *ids = malloc((s->nclients ? s->nclients : 1) * sizeof(*ids));
	uint32_t i;

	if (b && ids) {
		for (i = 0; i < s->nclients; i++)
			ids[i] = s->clients[i]->id;
		chat_who_encode(b->data, ids, s->nclients);
		enqueue(s, c, b);
	}
	free(ids);
	chat_buf_put(b);
}

/* A whole, already validated frame from c. */
static void handle_frame(struct chat_server *s, struct client *c,
			 const struct chat_frame_hdr *h, const uint8_t *payload)
{
	struct chat_buf *b;

	if (h->type == CHAT_T_WHO) {
		handle_who(s, c);
		return;
	}
	b = chat_buf_new(CHAT_RELAY_HDR_LEN + h->len);
	if (!b)
		return;
	chat_relay_encode_hdr(b->data, c->id, unix_ms(), h->len);
	memcpy(b->data + CHAT_RELAY_HDR_LEN, payload, h->len);
	broadcast(s, b, c);
	chat_buf_put(b);
}

/* Append up to n bytes of the frame being reassembled; returns bytes used. */
static size_t stash(struct chat_server *s, struct client *c,
		    const uint8_t *p, size_t n)
{
	struct chat_frame_hdr h;
	size_t used = 0;

	for (;;) {
		size_t need = CHAT_HDR_LEN, take;

		if (c->in_len >= CHAT_HDR_LEN) {
			chat_hdr_parse(c->in, c->in_len, &h);	/* checked before */
			need = CHAT_HDR_LEN + h.len;
		}
		if (c->in_cap < need) {
			uint8_t *in = realloc(c->in, need);

			if (!in) {
				doom(s, c, CHAT_LEAVE_ERROR, CHAT_ERR_TOO_BIG);
				return n;
			}
			c->in = in;
			c->in_cap = (uint32_t)need;
		}
		take = need - c->in_len;
		if (take > n - used)
			take = n - used;
		memcpy(c->in + c->in_len, p + used, take);
		c->in_len += (uint32_t)take;
		used += take;
		if (c->in_len < need)
			return used;
		if (need == CHAT_HDR_LEN) {
			if (check_hdr(s, c, c->in, &h) < 0)
				return n;
			if (h.len > 0)
				continue;
		}
		handle_frame(s, c, &h, c->in + CHAT_HDR_LEN);
		free(c->in);
		c->in = NULL;
		c->in_len = c->in_cap = 0;
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
		}
		used = stash(s, c, p, n);
		p += used;
		n -= used;
	}
}

static void client_read(struct chat_server *s, struct client *c)
{
	int i;

	for (i = 0; i < READS_PER_EVENT && !(c->flags & C_DOOMED); i++) {
		ssize_t n = recv(c->w.fd, s->scratch, SCRATCH_LEN, MSG_DONTWAIT);

		if (n > 0) {
			consume(s, c, s->scratch, (size_t)n);
			if ((size_t)n < SCRATCH_LEN)
				break;
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
	if (ev & EV_WRITE)
		client_flush(s, c);
	if ((ev & EV_READ) && !(c->flags & C_DOOMED))
		client_read(s, c);
	reap(s);
}

/* ---- accepting --------------------------------------------------------- */

static void refuse(struct chat_server *s, int fd, uint32_t max)
{
	uint8_t out[CHAT_HDR_LEN + 1 + 255];
	char text[96];
	size_t n;

	snprintf(text, sizeof(text), "server full (%u clients)", max);
	n = chat_reason_encode(out, CHAT_T_REFUSED, CHAT_ERR_FULL, text);
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

static void admit(struct chat_server *s, int fd)
{
	struct chat_welcome wl;
	struct chat_buf *b;
	struct client *c;
	int one = 1;

	if (s->nclients >= s->o.max_clients) {
		vlog(s, "refused a connection: server full");
		refuse(s, fd, s->o.max_clients);
		return;
	}
	c = calloc(1, sizeof(*c));
	b = chat_buf_new(CHAT_WELCOME_FRAME_LEN);
	if (!c || !b || registry_add(s, c) < 0) {
		free(c);
		chat_buf_put(b);
		close(fd);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (ev_watch_start(s->loop, &c->w, fd, EV_READ, on_client) < 0) {
		registry_remove(s, c);
		free(c);
		chat_buf_put(b);
		close(fd);
		return;
	}
	c->id = ++s->next_id;
	if (c->id == 0)		/* 0 is never an id */
		c->id = ++s->next_id;
	wl.your_id = c->id;
	wl.clients = s->nclients;
	memcpy(wl.salt, s->salt, CHAT_SALT_LEN);
	chat_welcome_encode(b->data, &wl);
	enqueue(s, c, b);
	chat_buf_put(b);
	vlog(s, "client %u joined (%u connected)", c->id, s->nclients);
	broadcast_notice(s, CHAT_T_JOINED, c->id, 0, c);
}

static void on_listen(struct ev_loop *loop, struct ev_watch *w, unsigned ev)
{
	struct chat_server *s = ev_loop_data(loop);
	int i;

	(void)ev;
	for (i = 0; i < ACCEPTS_PER_EVENT; i++) {
		int fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd >= 0) {
			admit(s, fd);
			continue;
		}
		if ((errno == EMFILE || errno == ENFILE) && s->reserve_fd >= 0) {
			/* Out of descriptors: refuse one so it is not left hanging. */
			close(s->reserve_fd);
			fd = accept4(w->fd, NULL, NULL, SOCK_CLOEXEC);
			if (fd >= 0)
				refuse(s, fd, s->nclients);
			s->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		break;	/* EAGAIN, or nothing more we can do this turn */
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

static int fill_salt(uint8_t *salt)
{
	size_t got = 0;

	while (got < CHAT_SALT_LEN) {
		ssize_t n = getrandom(salt + got, CHAT_SALT_LEN - got, 0);

		if (n < 0 && errno != EINTR)
			return -1;
		if (n > 0)
			got += (size_t)n;
	}
	return 0;
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
	s->pending_tail = &s->pending;
	s->listen_w.fd = s->signal_w.fd = s->reserve_fd = -1;
	signal(SIGPIPE, SIG_IGN);
	raise_nofile(s);
	if (fill_salt(s->salt) < 0) {
		snprintf(err, errlen, "getrandom: %s", strerror(errno));
		goto fail;
	}
	s->scratch = malloc(SCRATCH_LEN);
	s->loop = ev_loop_new(256);
	if (!s->scratch || !s->loop) {
		snprintf(err, errlen, "out of memory");
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
	return s;
fail:
	chat_server_free(s);
	return NULL;
}

int chat_server_run(struct chat_server *s)
{
	int rc = ev_loop_run(s->loop);

	close_all(s);
	before_wait(s->loop, s);	/* free the closed clients */
	return rc;
}

void chat_server_free(struct chat_server *s)
{
	if (!s)
		return;
	close_all(s);
	before_wait(s->loop, s);
	if (s->listen_w.fd >= 0)
		close(s->listen_w.fd);
	if (s->signal_w.fd >= 0)
		close(s->signal_w.fd);
	if (s->reserve_fd >= 0)
		close(s->reserve_fd);
	ev_loop_free(s->loop);
	free(s->clients);
	free(s->scratch);
	free(s);
}
