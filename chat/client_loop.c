/*
 * client_loop.c - poll loop of the chat client (see client_loop.h).
 */
#include "client_loop.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

/* How long a Ctrl+C'd client waits for its queue to drain. */
#define STOP_FLUSH_MS	2000

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void client_loop_quit(struct client_loop *l, int linger_ms)
{
	if (l->quitting)
		return;
	l->quitting = 1;
	l->linger_ms = linger_ms;
}

/* After a quit: shut down our side once everything is written. */
static void advance_quit(struct client_loop *l)
{
	struct client_session *s = l->s;

	if (!l->quitting || l->shut || client_conn_pending(&s->conn))
		return;
	shutdown(s->conn.fd, SHUT_WR);
	l->shut = 1;
	s->closing = 1;
	l->linger_end_ms = mono_ms() + (uint64_t)(l->linger_ms > 0 ? l->linger_ms : 0);
}

void client_loop_run(struct client_loop *l, volatile sig_atomic_t *stop)
{
	struct client_session *s = l->s;
	uint64_t stop_deadline = 0;

	while (!s->done) {
		struct pollfd pfd[2];
		int n = 0, timeout = -1, rc, in_idx = -1;
		uint64_t now;

		if (*stop && !stop_deadline) {
			stop_deadline = mono_ms() + STOP_FLUSH_MS;
			if (l->fe->on_stop)
				l->fe->on_stop(l->fe->ctx);
			client_loop_quit(l, 0);
		}
		rc = client_conn_flush(&s->conn);
		if (rc) {	/* what is queued will never arrive */
			client_session_fail(s, "connection lost: %s",
					    strerror(-rc));
			break;
		}
		advance_quit(l);
		now = mono_ms();
		if (l->shut && now >= l->linger_end_ms) {
			s->done = 1;
			break;
		}
		if (stop_deadline && now >= stop_deadline) {
			s->done = 1;
			break;
		}
		if (l->shut)
			timeout = (int)(l->linger_end_ms - now);
		if (stop_deadline && (timeout < 0 ||
				      (uint64_t)timeout > stop_deadline - now))
			timeout = (int)(stop_deadline - now);

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
		if (l->fe->input_fd >= 0 && s->ready && !l->quitting &&
		    client_conn_pending(&s->conn) < CLIENT_OUT_HIGH_WATER) {
			pfd[n].fd = l->fe->input_fd;
			pfd[n].events = POLLIN;
			in_idx = n++;
		}
		rc = poll(pfd, (nfds_t)n, timeout);
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			client_session_fail(s, "poll: %s", strerror(errno));
			break;
		}
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))
			client_session_on_readable(s);
		if (!s->done && in_idx >= 0 &&
		    (pfd[in_idx].revents & (POLLIN | POLLHUP | POLLERR)))
			l->fe->on_input(l->fe->ctx);
	}
	/* Anything still queued gets one last chance (non-blocking). */
	client_conn_flush(&s->conn);
}
