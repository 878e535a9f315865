/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * client_loop.h - the chat client's event loop: poll() on the socket and on
 * the front end's input (stdin), the output queue written only when the
 * socket takes it, and the orderly end.
 *
 * The end, after client_loop_quit (stdin EOF, /quit, Ctrl+D, Ctrl+C):
 *   DRAIN    stop reading input; write everything queued;
 *   LINGER   nothing more is sent; events are still shown for linger_ms
 *            (the connection stays fully open, so the room still counts us
 *            and the server keeps relaying to us);
 *   CLOSING  shutdown(SHUT_WR), then read and discard until the server
 *            closes (at most CLIENT_CLOSE_WAIT_MS), so that nothing unread
 *            turns our close into a reset that could lose what we sent;
 *   then the session ends with status 0.
 *
 * A lost connection (client_session_lost) while RUNNING, with reconnect
 * on: the loop waits (input still read when the front end says so, timers
 * stopped) and reconnects through client_failover.c; a quit while it is
 * not connected ends the session at once, status 0.  A loss once the end
 * has begun, or with reconnect off, ends the session with status 1 (or 0
 * when the server closes after our shutdown).
 *
 * Does not own: frames (client_session.c) nor how input is read and shown
 * (client_tty.c, client_pipe.c).
 */
#ifndef VCD_CHAT_CLIENT_LOOP_H
#define VCD_CHAT_CLIENT_LOOP_H

#include <signal.h>
#include <stdint.h>

#include "client_servers.h"
#include "client_session.h"

/* Stop reading input while this much is queued for the server. */
#define CLIENT_OUT_HIGH_WATER	(4u * 1024u * 1024u)
/* Longest wait for the server's close after our shutdown(SHUT_WR). */
#define CLIENT_CLOSE_WAIT_MS	2000
/* After Ctrl+C: longest wait for the queue to drain. */
#define CLIENT_STOP_FLUSH_MS	2000

struct client_frontend {
	void *ctx;
	int input_fd;			/* polled while >= 0 and the session is ready */
	void (*on_input)(void *ctx);	/* input_fd is readable (or hung up) */
	void (*on_stop)(void *ctx);	/* a stop signal arrived */
	void (*on_ready)(void *ctx);	/* once: the session can take input */
	void (*on_suspend)(void *ctx);	/* Ctrl+Z: stop the process (may be NULL) */
	/* Before each wait (may be NULL): the front end's deferred work (a
	 * redraw, a timer that came due); returns how long the loop may sleep
	 * for it in ms, -1 for as long as it likes. */
	int (*before_wait)(void *ctx);
	int input_offline;		/* input is read while reconnecting too */
};

enum client_loop_phase {
	CLIENT_RUNNING,
	CLIENT_DRAIN,
	CLIENT_LINGER,
	CLIENT_CLOSING,
};

struct client_loop {
	struct client_session *s;
	struct client_frontend *fe;
	int ready_seen;			/* on_ready called */
	enum client_loop_phase phase;
	int linger_ms;
	uint64_t phase_end_ms;		/* monotonic; LINGER and CLOSING */
	uint64_t stop_deadline_ms;	/* after a stop signal; 0 if none */
	struct client_servers *servers;	/* the relays (reconnects go there) */
	int reconnect;			/* reconnect after a loss */
	uint64_t retry_ms;		/* monotonic: next attempt; 0 = connected */
	unsigned start_refusals;	/* relays that refused us before any WELCOME */
};

/* Ask the loop to end as described above (no effect when already ending). */
void client_loop_quit(struct client_loop *l, int linger_ms);

/* True once the loop is ending (input is no longer read). */
int client_loop_quitting(const struct client_loop *l);

/* Run until the session is done.  The signal handlers set *stop (end) and
 * *suspend (Ctrl+Z); the loop acts on them outside signal context. */
void client_loop_run(struct client_loop *l, volatile sig_atomic_t *stop,
		     volatile sig_atomic_t *suspend);

#endif /* VCD_CHAT_CLIENT_LOOP_H */
