/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server.h - the chat relay server: one event loop, many clients.
 *
 * Owns: the listening socket, the set of connected clients, per-client
 * input reassembly and output queues, relaying SEND as RELAY to every other
 * client, JOINED/LEFT notices, WHO, refusals, error and slow-reader
 * disconnects, and the orderly shutdown on SIGINT/SIGTERM.
 * Does not own: command-line parsing (server_main.c), frame byte layout
 * (frame.c), the event loop mechanics (event_loop.c) or buffer sharing
 * (outq.c).  It never sees plaintext: SEND payloads are opaque bytes.
 */
#ifndef VCD_CHAT_SERVER_H
#define VCD_CHAT_SERVER_H

#include <stddef.h>
#include <stdint.h>

#define CHAT_DEFAULT_MAX_CLIENTS	10000u
#define CHAT_DEFAULT_MAX_QUEUE		(1024u * 1024u)

struct chat_server_opts {
	const char *listen;	/* numeric IPv4 or IPv6 address */
	unsigned port;
	uint32_t max_clients;
	size_t max_queue;	/* bytes queued for one client before SLOW */
	int verbose;		/* log connects and disconnects to stderr */
};

struct chat_server;

/* Bind, listen, set up signals.  NULL with a message in err on failure. */
struct chat_server *chat_server_new(const struct chat_server_opts *o,
				    char *err, size_t errlen);
/* Serve until SIGINT/SIGTERM; 0 after a clean shutdown, else -errno. */
int chat_server_run(struct chat_server *s);
/* Close every connection and free everything. */
void chat_server_free(struct chat_server *s);

#endif /* VCD_CHAT_SERVER_H */
