/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * event_loop.h - a small epoll event loop (one thread, level-triggered).
 *
 * Owns: the epoll instance, registering file descriptors with a callback,
 * the wait/dispatch cycle and one "before sleeping" hook per turn.
 * Does not own: the file descriptors (callers open and close them), timers
 * (the before-wait hook tells how long the loop may sleep) nor any
 * buffering.  A watch is embedded in the caller's own struct so a client
 * costs no extra allocation; callers must not free a watch whose fd may
 * still have an event in the batch being dispatched (free it in the
 * before-wait hook, which runs between batches).
 */
#ifndef VCD_CHAT_EVENT_LOOP_H
#define VCD_CHAT_EVENT_LOOP_H

#include <stdint.h>

#define EV_READ		1u
#define EV_WRITE	2u
#define EV_HUP		4u	/* reported only: the peer hung up or the fd erred */

struct ev_loop;
struct ev_watch;

/* events: EV_READ/EV_WRITE as registered; a hang-up or error is reported as
 * EV_HUP, together with EV_READ when EV_READ is registered (a read then
 * sees the end of stream or the error). */
typedef void (*ev_fn)(struct ev_loop *loop, struct ev_watch *w, unsigned events);
/* Returns how long the loop may sleep in ms: -1 for as long as no event
 * comes, 0 to only poll (work is left for the next turn), else a bound
 * (a timer of the caller's is due then). */
typedef int (*ev_hook)(struct ev_loop *loop, void *arg);

struct ev_watch {
	int fd;
	unsigned mask;		/* EV_READ|EV_WRITE currently registered */
	ev_fn fn;
};

struct ev_loop *ev_loop_new(int max_events);
void ev_loop_free(struct ev_loop *loop);

/* One user pointer per loop, for callbacks (e.g. the server). */
void ev_loop_set_data(struct ev_loop *loop, void *data);
void *ev_loop_data(struct ev_loop *loop);

/* Register / change / drop interest.  0 or -errno.  A watch set to mask 0
 * is taken out of epoll altogether (no hang-up reports either) until it is
 * set to a non-zero mask again. */
int ev_watch_start(struct ev_loop *loop, struct ev_watch *w, int fd,
		   unsigned mask, ev_fn fn);
int ev_watch_set(struct ev_loop *loop, struct ev_watch *w, unsigned mask);
void ev_watch_stop(struct ev_loop *loop, struct ev_watch *w);

/* Called once per turn after dispatching events, before waiting again
 * (flush pending output, run due timers, free closed objects).  A hook that
 * does its work in bounded slices returns 0 while some is left, so that new
 * events are taken between slices. */
void ev_loop_set_before_wait(struct ev_loop *loop, ev_hook fn, void *arg);

/* Wait at most timeout_ms (-1: forever; the hook may shorten it) for one
 * turn; returns events seen or -errno (EINTR is not an error: returns 0). */
int ev_loop_turn(struct ev_loop *loop, int timeout_ms);

/* Run turns until ev_loop_stop(); returns 0 or -errno. */
int ev_loop_run(struct ev_loop *loop);
void ev_loop_stop(struct ev_loop *loop);

#endif /* VCD_CHAT_EVENT_LOOP_H */
