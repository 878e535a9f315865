/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * client_loop.c - poll loop of the chat client and its orderly end (see
 * client_loop.h).
 */
#include "client_loop.h"

#include "client_failover.h"
#include "proto/clock.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

void client_loop_quit(struct client_loop *l, int linger_ms)
{
	if (l->phase != CLIENT_RUNNING)
		return;
	if (l->retry_ms) {	/* not connected: nothing to drain */
		l->phase = CLIENT_CLOSING;
		l->s->done = 1;
		return;
	}
	l->phase = CLIENT_DRAIN;
	l->linger_ms = linger_ms > 0 ? linger_ms : 0;
	client_session_announce_now(l->s);	/* before nothing more is sent */
}

int client_loop_quitting(const struct client_loop *l)
{
	return l->phase != CLIENT_RUNNING;
}

/* Move through DRAIN -> LINGER -> CLOSING -> done as their ends come. */
static void advance_end(struct client_loop *l, uint64_t now)
{
	struct client_session *s = l->s;

	if (l->phase == CLIENT_DRAIN && !client_conn_pending(&s->conn)) {
		l->phase = CLIENT_LINGER;
		l->phase_end_ms = now + (uint64_t)l->linger_ms;
		s->closing = 1;		/* nothing more is queued from now on */
	}
	if (l->phase == CLIENT_LINGER && now >= l->phase_end_ms) {
		shutdown(s->conn.fd, SHUT_WR);
		l->phase = CLIENT_CLOSING;
		l->phase_end_ms = now + CLIENT_CLOSE_WAIT_MS;
		s->muted = 1;		/* --linger is over: show nothing more */
	}
	if (l->phase == CLIENT_CLOSING && now >= l->phase_end_ms)
		s->done = 1;
	if (l->stop_deadline_ms && now >= l->stop_deadline_ms)
		s->done = 1;
}

/* The connection is gone: reconnect, or end the session. */
static void on_lost(struct client_loop *l, uint64_t now)
{
	struct client_session *s = l->s;

	/* Not before the first WELCOME: a relay that closes on us at once
	 * is an error to report, not one to retry forever; but one that
	 * refuses us (full, too many from our address) while others are
	 * listed sends us to the next, until each has refused once. */
	if (!s->connections && s->refused && l->reconnect && l->servers &&
	    l->phase == CLIENT_RUNNING && ++l->start_refusals < l->servers->n) {
		s->refused = 0;
		l->retry_ms = client_failover_lost(s, l->servers, now);
		return;
	}
	if (!l->reconnect || !l->servers || l->phase != CLIENT_RUNNING ||
	    !s->connections) {
		s->lost = 0;	/* (a close after our shutdown is no loss:
				 * client_session.c ends the session then) */
		s->status = 1;
		s->done = 1;
		return;
	}
	l->retry_ms = client_failover_lost(s, l->servers, now);
}

/* Milliseconds poll may sleep: until the next phase end or session timer,
 * or forever. */
static int poll_timeout(const struct client_loop *l, uint64_t now)
{
	uint64_t end = client_session_next_due(l->s);

	if ((l->phase == CLIENT_LINGER || l->phase == CLIENT_CLOSING) &&
	    (!end || l->phase_end_ms < end))
		end = l->phase_end_ms;
	if (l->stop_deadline_ms && (!end || l->stop_deadline_ms < end))
		end = l->stop_deadline_ms;
	if (l->retry_ms && (!end || l->retry_ms < end))
		end = l->retry_ms;
	if (!end)
		return -1;
	return end > now ? (int)(end - now) : 0;
}

void client_loop_run(struct client_loop *l, volatile sig_atomic_t *stop,
		     volatile sig_atomic_t *suspend)
{
	struct client_session *s = l->s;

	while (!s->done) {
		struct pollfd pfd[2];
		int n = 0, rc, in_idx = -1, timeout;
		uint64_t now;

		if (*stop && !l->stop_deadline_ms) {
			l->stop_deadline_ms = clock_mono_ms() + CLIENT_STOP_FLUSH_MS;
			if (l->fe->on_stop)
				l->fe->on_stop(l->fe->ctx);
			client_loop_quit(l, 0);
		}
		if (*suspend) {
			*suspend = 0;
			if (l->fe->on_suspend)
				l->fe->on_suspend(l->fe->ctx);
		}
		if (s->done)
			break;
		rc = s->lost || s->conn.fd < 0 ? 0 : client_conn_flush(&s->conn);
		if (rc)		/* what is queued will never arrive */
			client_session_lost(s, "connection lost: %s",
					    strerror(-rc));
		now = clock_mono_ms();
		if (s->lost)
			on_lost(l, now);
		if (s->done)
			break;
		if (l->retry_ms && now >= l->retry_ms)
			l->retry_ms = client_failover_retry(s, l->servers, now);
		if (!l->retry_ms &&
		    (l->phase == CLIENT_RUNNING || l->phase == CLIENT_DRAIN))
			client_session_tick(s, now);
		advance_end(l, now);
		if (s->done)
			break;
		if (s->ready && !l->ready_seen) {
			l->ready_seen = 1;
			if (l->fe->on_ready)
				l->fe->on_ready(l->fe->ctx);
		}

		pfd[n].fd = s->conn.fd;
		pfd[n].events = POLLIN;
		if (client_conn_pending(&s->conn))
			pfd[n].events |= POLLOUT;
		n++;
		if (l->fe->input_fd >= 0 && l->phase == CLIENT_RUNNING &&
		    (s->ready || (l->retry_ms && l->fe->input_offline)) &&
		    client_conn_pending(&s->conn) < CLIENT_OUT_HIGH_WATER) {
			pfd[n].fd = l->fe->input_fd;
			pfd[n].events = POLLIN;
			in_idx = n++;
		}
		timeout = poll_timeout(l, now);
		if (l->fe->before_wait) {
			int fe_ms = l->fe->before_wait(l->fe->ctx);

			if (fe_ms >= 0 && (timeout < 0 || fe_ms < timeout))
				timeout = fe_ms;
		}
		rc = poll(pfd, (nfds_t)n, timeout);
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			client_session_fail(s, "poll: %s", strerror(errno));
			break;
		}
		if (s->conn.fd >= 0 && (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)))
			client_session_on_readable(s);
		if (!s->done && !s->lost && in_idx >= 0 &&
		    (pfd[in_idx].revents & (POLLIN | POLLHUP | POLLERR)))
			l->fe->on_input(l->fe->ctx);
	}
}
