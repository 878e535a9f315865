/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * client_servers.h - the relays a chat client may use, in the order given
 * (--server HOST:PORT, [V6ADDR]:PORT, and the positional HOST [PORT]), and
 * the reconnection schedule: which one to try next and how long to wait
 * before that (exponential backoff with random jitter, bounded).
 *
 * Owns: parsing and checking a server argument, the list, the current
 * entry, the count of failed attempts in a row and the delay it gives.
 * Does not own: connecting (client_conn.c) nor when a connection counts
 * as lost (client_session.c, client_loop.c).
 */
#ifndef VCD_CHAT_CLIENT_SERVERS_H
#define VCD_CHAT_CLIENT_SERVERS_H

#include <stddef.h>
#include <stdint.h>

/* --server may be given this many times (the positional one included). */
#define CLIENT_SERVERS_MAX		16u
/* The first reconnection waits about this long; each failed attempt in a
 * row doubles it, up to the cap; every wait is jittered by +-50 %. */
#define CLIENT_BACKOFF_BASE_MS		200u
#define CLIENT_BACKOFF_CAP_MS		10000u
/* A connection that stayed up this long resets the backoff. */
#define CLIENT_BACKOFF_STABLE_MS	10000u

struct client_server {
	char host[256];			/* name or address, no brackets */
	char port[8];			/* decimal 1..65535 */
	char label[272];		/* for messages: host:port, [v6]:port */
};

struct client_servers {
	struct client_server list[CLIENT_SERVERS_MAX];
	size_t n;
	size_t cur;			/* the one in use or tried last */
	unsigned failures;		/* attempts that failed in a row */
};

/* Append host and port (port NULL: the default): 0, or -1 with a one-line
 * reason in err (bad port, empty or bad host, list full). */
int client_servers_add(struct client_servers *l, const char *host,
		       const char *port, char *err, size_t errlen);
/* Append "HOST:PORT" or "[V6ADDR]:PORT": 0, or -1 with a reason in err. */
int client_servers_add_arg(struct client_servers *l, const char *arg,
			   char *err, size_t errlen);

/* The entry in use. */
const struct client_server *client_servers_current(const struct client_servers *l);
/* Move to the next entry (wrapping) and return it. */
const struct client_server *client_servers_advance(struct client_servers *l);

/* Delay before attempt number `failures` (0 = the first after a loss):
 * BASE * 2^failures capped at CAP, times a factor in [0.5, 1.5) taken
 * from rnd.  Pure, for the unit test. */
uint64_t client_backoff_ms(unsigned failures, uint32_t rnd);
/* The delay before the next attempt (random jitter), counting it. */
uint64_t client_servers_next_delay(struct client_servers *l);
/* A connection worked (stayed up long enough): the backoff starts again. */
void client_servers_reset_backoff(struct client_servers *l);

#endif /* VCD_CHAT_CLIENT_SERVERS_H */
