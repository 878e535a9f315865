/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * client_conn.c - connect, buffered non-blocking I/O and frame cutting for
 * the chat client (see client_conn.h).
 */
#include "client_conn.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#define READ_CHUNK	(64u * 1024u)

int client_conn_open(struct client_conn *c, const char *host, const char *port,
		     char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_family = AF_UNSPEC };
	struct addrinfo *res, *ai;
	int rc, fd = -1, last_errno = 0, one = 1;
	int keep_idle = CLIENT_KEEPALIVE_IDLE_S, keep_intvl = CLIENT_KEEPALIVE_INTVL_S;
	int keep_cnt = CLIENT_KEEPALIVE_COUNT;
	unsigned user_tmo = CLIENT_USER_TIMEOUT_MS;
	struct timeval tmo = { .tv_sec = CLIENT_CONNECT_TIMEOUT_MS / 1000,
			       .tv_usec = CLIENT_CONNECT_TIMEOUT_MS % 1000 * 1000 };
	struct timeval none = { 0 };

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc) {
		snprintf(err, errlen, "cannot resolve %s port %s: %s", host,
			 port, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0) {
			last_errno = errno;
			continue;
		}
		/* SO_SNDTIMEO bounds a blocking connect on Linux (EINPROGRESS
		 * when it runs out); a signal interrupts it (EINTR: no
		 * SA_RESTART in chat-client). */
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tmo, sizeof(tmo));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		last_errno = errno == EINPROGRESS ? ETIMEDOUT : errno;
		close(fd);
		fd = -1;
		if (last_errno == EINTR)
			break;
	}
	freeaddrinfo(res);
	if (fd < 0 && last_errno == EINTR) {
		snprintf(err, errlen, "interrupted");
		return -EINTR;
	}
	if (fd < 0) {
		snprintf(err, errlen, "cannot connect to %s port %s: %s", host,
			 port, strerror(last_errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &none, sizeof(none));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* A relay whose host died or whose network went away: idle, the
	 * keepalive probes find out; with data unacknowledged, the user
	 * timeout does.  Either way recv/send fail with ETIMEDOUT and the
	 * client reconnects. */
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &keep_idle, sizeof(keep_idle));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &keep_intvl, sizeof(keep_intvl));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &keep_cnt, sizeof(keep_cnt));
	setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_tmo, sizeof(user_tmo));
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
		snprintf(err, errlen, "fcntl: %s", strerror(errno));
		close(fd);
		return -1;
	}
	c->fd = fd;
	return 0;
}

void client_conn_close(struct client_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->in);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

static int reserve(uint8_t **buf, size_t *cap, size_t need)
{
	size_t ncap = *cap ? *cap : 4096;
	uint8_t *nb;

	if (need <= *cap)
		return 0;
	while (ncap < need)
		ncap *= 2;
	nb = realloc(*buf, ncap);
	if (!nb)
		return -ENOMEM;
	*buf = nb;
	*cap = ncap;
	return 0;
}

int client_conn_send(struct client_conn *c, uint8_t type, const uint8_t *payload,
		     size_t len)
{
	if (c->fd < 0)		/* closed: a reconnect starts afresh */
		return -ENOTCONN;
	if (c->out_off && c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	if (reserve(&c->out, &c->out_cap, c->out_len + CHAT_HDR_LEN + len))
		return -ENOMEM;
	chat_hdr_put(c->out + c->out_len, type, (uint32_t)len);
	if (len)
		memcpy(c->out + c->out_len + CHAT_HDR_LEN, payload, len);
	c->out_len += CHAT_HDR_LEN + len;
	return 0;
}

size_t client_conn_pending(const struct client_conn *c)
{
	return c->out_len - c->out_off;
}

int client_conn_flush(struct client_conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off,
				 c->out_len - c->out_off, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -errno;
		}
		c->out_off += (size_t)n;
	}
	c->out_off = c->out_len = 0;
	return 0;
}

int client_conn_fill(struct client_conn *c)
{
	if (c->in_off) {
		memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
		c->in_len -= c->in_off;
		c->in_off = 0;
	}
	for (;;) {
		ssize_t n;

		if (reserve(&c->in, &c->in_cap, c->in_len + READ_CHUNK))
			return -ENOMEM;
		n = recv(c->fd, c->in + c->in_len, READ_CHUNK, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -errno;
		}
		if (n == 0) {
			c->eof = 1;
			return 0;
		}
		c->in_len += (size_t)n;
		/* Leave the rest for the next poll turn once a frame or more
		 * is buffered, so the caller keeps the memory bounded. */
		if (c->in_len >= CHAT_HDR_LEN + CHAT_MAX_PAYLOAD)
			return 0;
	}
}

int client_conn_next(struct client_conn *c, struct chat_frame_hdr *h,
		     const uint8_t **payload)
{
	int rc = chat_frame_next(c->in + c->in_off, c->in_len - c->in_off, h);

	if (rc > 0)
		*payload = c->in + c->in_off + CHAT_HDR_LEN;
	return rc;
}

void client_conn_consume(struct client_conn *c, const struct chat_frame_hdr *h)
{
	c->in_off += CHAT_HDR_LEN + (size_t)h->len;
	if (c->in_off == c->in_len)
		c->in_off = c->in_len = 0;
}
