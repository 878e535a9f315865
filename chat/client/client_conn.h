/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * client_conn.h - the client's connection to the server: connecting
 * (getaddrinfo, IPv4/IPv6/host names), a non-blocking socket, an input
 * buffer cut into whole frames, and an output queue written when the socket
 * takes it (the client never blocks on a full socket).
 *
 * Does not own: what frames mean (client_session.c) nor the poll loop.
 */
#ifndef VCD_CHAT_CLIENT_CONN_H
#define VCD_CHAT_CLIENT_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "proto/frame.h"

/* A connect attempt gives up after this long. */
#define CLIENT_CONNECT_TIMEOUT_MS	5000
/* TCP keepalive on an idle connection: first probe after IDLE s, then
 * every INTVL s, COUNT unanswered ones and it is dead (about a minute). */
#define CLIENT_KEEPALIVE_IDLE_S		30
#define CLIENT_KEEPALIVE_INTVL_S	10
#define CLIENT_KEEPALIVE_COUNT		3
/* Data unacknowledged this long: the connection is dead. */
#define CLIENT_USER_TIMEOUT_MS		60000u

struct client_conn {
	int fd;
	uint8_t *in;			/* received, not yet consumed */
	size_t in_off, in_len, in_cap;	/* unread bytes: in[in_off..in_len) */
	uint8_t *out;			/* queued for the server */
	size_t out_off, out_len, out_cap;
	int eof;			/* the server closed its side */
};

/*
 * Connect to host:port (blocking connect of at most
 * CLIENT_CONNECT_TIMEOUT_MS per address, then the socket is made
 * non-blocking, with TCP keepalive and a user timeout).  0, -EINTR when a
 * signal interrupted the connect, or -1 with a one-line reason in err.
 */
int client_conn_open(struct client_conn *c, const char *host, const char *port,
		     char *err, size_t errlen);
void client_conn_close(struct client_conn *c);

/* Append a whole frame (header + payload) to the output queue: 0/-ENOMEM. */
int client_conn_send(struct client_conn *c, uint8_t type, const uint8_t *payload,
		     size_t len);
/* Bytes still queued for the server. */
size_t client_conn_pending(const struct client_conn *c);
/* Write what the socket takes now: 0, or -errno when the connection broke. */
int client_conn_flush(struct client_conn *c);

/* Read what the socket has: 0 (sets eof on end of stream), or -errno. */
int client_conn_fill(struct client_conn *c);

/*
 * The next whole frame in the input buffer: 1 with *h and *payload set (valid
 * until client_conn_consume), 0 when more bytes are needed, or a negative
 * error from chat_hdr_parse (h->version set for -EPROTONOSUPPORT).
 */
int client_conn_next(struct client_conn *c, struct chat_frame_hdr *h,
		     const uint8_t **payload);
/* Drop the frame returned by client_conn_next. */
void client_conn_consume(struct client_conn *c, const struct chat_frame_hdr *h);

#endif /* VCD_CHAT_CLIENT_CONN_H */
