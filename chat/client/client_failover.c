/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * client_failover.c - first connection and reconnections of the chat
 * client over its list of relays (see client_failover.h).
 */
#include "client_failover.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int client_failover_connect_first(struct client_session *s,
				  struct client_servers *l, char *err,
				  size_t errlen)
{
	size_t i, off = 0;
	char one[400];
	int rc;

	err[0] = '\0';
	for (i = 0; i < l->n; i++) {
		const struct client_server *srv = &l->list[i];

		rc = client_conn_open(&s->conn, srv->host, srv->port, one,
				      sizeof(one));
		if (rc == 0) {
			l->cur = i;
			s->server = srv->label;
			return 0;
		}
		if (rc == -EINTR)
			return -EINTR;
		if (off < errlen)
			off += (size_t)snprintf(err + off, errlen - off, "%s%s",
						i ? "; " : "", one);
	}
	return -1;
}

/* "1.6" for 1600 ms. */
static double secs(uint64_t ms)
{
	return (double)ms / 1000.0;
}

uint64_t client_failover_lost(struct client_session *s,
			      struct client_servers *l, uint64_t now)
{
	const char *from = s->server ? s->server : "the server";
	const struct client_server *next;
	uint64_t delay;
	size_t dropped;
	char unsent[64] = "";

	if (s->ready && now >= s->ready_mono_ms + CLIENT_BACKOFF_STABLE_MS)
		client_servers_reset_backoff(l);
	dropped = client_session_offline(s);
	if (dropped)
		snprintf(unsent, sizeof(unsent), ", %zu bytes not sent", dropped);
	next = client_servers_advance(l);
	delay = client_servers_next_delay(l);
	client_session_notice(s, CLIENT_LINE_WARN,
			      "connection to %s lost (%s%s); reconnecting to %s in %.1f s",
			      from, s->reason, unsent, next->label, secs(delay));
	s->reason[0] = '\0';
	s->server = NULL;
	return now + delay;
}

uint64_t client_failover_retry(struct client_session *s,
			       struct client_servers *l, uint64_t now)
{
	const struct client_server *srv = client_servers_current(l);
	char err[400];
	uint64_t delay;
	int rc;

	rc = client_conn_open(&s->conn, srv->host, srv->port, err, sizeof(err));
	if (rc == 0) {
		s->server = srv->label;
		return 0;
	}
	if (rc == -EINTR)
		return now;
	srv = client_servers_advance(l);
	delay = client_servers_next_delay(l);
	client_session_notice(s, CLIENT_LINE_WARN, "%s; trying %s in %.1f s",
			      err, srv->label, secs(delay));
	return now + delay;
}
