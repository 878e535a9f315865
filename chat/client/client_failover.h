/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * client_failover.h - the chat client's connection to one relay of its
 * list (client_servers.h): the first connection (the first relay that
 * answers, in order), and after a loss the reconnection, one relay after
 * the other with backoff, told on screen ("connection to X lost (...);
 * reconnecting to Y in N s", "cannot connect to Y (...); trying Z in N s";
 * the session says "reconnected to Y as ..." on the WELCOME).
 *
 * Owns: which relay is tried when, and those notices.  Does not own: the
 * list and the backoff arithmetic (client_servers.c), what a reconnect
 * keeps and redoes (client_session_offline, the WELCOME), nor whether to
 * reconnect at all (client_loop.c: not once the client is ending, not with
 * --no-reconnect).
 */
#ifndef VCD_CHAT_CLIENT_FAILOVER_H
#define VCD_CHAT_CLIENT_FAILOVER_H

#include <stddef.h>
#include <stdint.h>

#include "client_servers.h"
#include "client_session.h"

/* Connect to the first relay of l that answers, trying each once in
 * order: 0, -EINTR when a signal interrupted it, or -1 with every
 * relay's reason in err (one line). */
int client_failover_connect_first(struct client_session *s,
				  struct client_servers *l, char *err,
				  size_t errlen);

/* The session's connection is lost (s->lost): close it, keep the rooms,
 * say so, and return when (monotonic ms) to try the next relay. */
uint64_t client_failover_lost(struct client_session *s,
			      struct client_servers *l, uint64_t now);

/* Try the relay that is due: 0 when connected (the WELCOME does the
 * rest), else when to try the next one (monotonic ms).  A signal that
 * interrupts the attempt gives `now` back: the loop looks at its flags
 * and tries again. */
uint64_t client_failover_retry(struct client_session *s,
			       struct client_servers *l, uint64_t now);

#endif /* VCD_CHAT_CLIENT_FAILOVER_H */
