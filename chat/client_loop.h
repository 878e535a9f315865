/*
 * client_loop.h - the chat client's event loop: poll() on the socket and on
 * the front end's input (stdin), the output queue written only when the
 * socket takes it, and the orderly end (flush, shutdown(SHUT_WR), linger).
 *
 * Does not own: frames (client_session.c) nor how input is read and shown
 * (client_tty.c, client_pipe.c).
 */
#ifndef VCD_CHAT_CLIENT_LOOP_H
#define VCD_CHAT_CLIENT_LOOP_H

#include <signal.h>

#include "client_session.h"

/* Stop reading input while this much is queued for the server. */
#define CLIENT_OUT_HIGH_WATER	(4u * 1024u * 1024u)

struct client_frontend {
	void *ctx;
	int input_fd;			/* polled while >= 0 and the session is ready */
	void (*on_input)(void *ctx);	/* input_fd is readable (or hung up) */
	void (*on_stop)(void *ctx);	/* a stop signal arrived */
	void (*on_ready)(void *ctx);	/* once: the session can take input */
};

struct client_loop {
	struct client_session *s;
	struct client_frontend *fe;
	int ready_seen;			/* on_ready called */
	int quitting;			/* flush, then shut down our side */
	int shut;			/* shutdown(SHUT_WR) done */
	int linger_ms;			/* after shutdown; -1: until the server closes */
	uint64_t linger_end_ms;		/* monotonic */
};

/* Ask the loop to end: drain the output queue, shutdown(SHUT_WR), then keep
 * showing events for linger_ms before the session ends with status 0. */
void client_loop_quit(struct client_loop *l, int linger_ms);

/* Run until the session is done.  *stop is set by the signal handler. */
void client_loop_run(struct client_loop *l, volatile sig_atomic_t *stop);

#endif /* VCD_CHAT_CLIENT_LOOP_H */
