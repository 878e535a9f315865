/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * event_loop.c - the epoll event loop behind chat-server and chat-bench.
 *
 * Owns: one epoll fd, the event array, dispatch to each watch's callback and
 * the before-wait hook (whose answer bounds the wait).  Does not own:
 * sockets, timers or memory of watches.
 */
#include "event_loop.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

struct ev_loop {
	int epfd;
	int max_events;
	int stop;
	void *data;
	ev_hook before_wait;
	void *before_wait_arg;
	struct epoll_event events[];
};

struct ev_loop *ev_loop_new(int max_events)
{
	struct ev_loop *loop;

	if (max_events < 1)
		max_events = 1;
	loop = calloc(1, sizeof(*loop) + (size_t)max_events * sizeof(struct epoll_event));
	if (!loop)
		return NULL;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		free(loop);
		return NULL;
	}
	loop->max_events = max_events;
	return loop;
}

void ev_loop_free(struct ev_loop *loop)
{
	if (!loop)
		return;
	close(loop->epfd);
	free(loop);
}

void ev_loop_set_data(struct ev_loop *loop, void *data)
{
	loop->data = data;
}

void *ev_loop_data(struct ev_loop *loop)
{
	return loop->data;
}

static uint32_t to_epoll(unsigned mask)
{
	return ((mask & EV_READ) ? EPOLLIN : 0) | ((mask & EV_WRITE) ? EPOLLOUT : 0);
}

int ev_watch_start(struct ev_loop *loop, struct ev_watch *w, int fd,
		   unsigned mask, ev_fn fn)
{
	struct epoll_event ev = { .events = to_epoll(mask), .data.ptr = w };

	w->fd = fd;
	w->mask = mask;
	w->fn = fn;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	return 0;
}

int ev_watch_set(struct ev_loop *loop, struct ev_watch *w, unsigned mask)
{
	struct epoll_event ev = { .events = to_epoll(mask), .data.ptr = w };
	int op = !w->mask ? EPOLL_CTL_ADD : !mask ? EPOLL_CTL_DEL : EPOLL_CTL_MOD;

	if (mask == w->mask)
		return 0;
	if (epoll_ctl(loop->epfd, op, w->fd, &ev) < 0)
		return -errno;
	w->mask = mask;
	return 0;
}

void ev_watch_stop(struct ev_loop *loop, struct ev_watch *w)
{
	if (w->fd >= 0 && w->mask)
		epoll_ctl(loop->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	w->mask = 0;
}

void ev_loop_set_before_wait(struct ev_loop *loop, ev_hook fn, void *arg)
{
	loop->before_wait = fn;
	loop->before_wait_arg = arg;
}

int ev_loop_turn(struct ev_loop *loop, int timeout_ms)
{
	int i, n;

	if (loop->before_wait) {
		int hook_ms = loop->before_wait(loop, loop->before_wait_arg);

		if (hook_ms >= 0 && (timeout_ms < 0 || hook_ms < timeout_ms))
			timeout_ms = hook_ms;
	}
	n = epoll_wait(loop->epfd, loop->events, loop->max_events, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (i = 0; i < n; i++) {
		struct ev_watch *w = loop->events[i].data.ptr;
		uint32_t e = loop->events[i].events;
		unsigned got = 0;

		if (e & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP))
			got |= EV_READ;
		if (e & EPOLLOUT)
			got |= EV_WRITE;
		got &= w->mask;
		if (e & (EPOLLHUP | EPOLLERR))
			got |= EV_HUP;
		if (got && w->mask)
			w->fn(loop, w, got);
	}
	return n;
}

int ev_loop_run(struct ev_loop *loop)
{
	int rc = 0;

	loop->stop = 0;
	while (!loop->stop) {
		rc = ev_loop_turn(loop, -1);
		if (rc < 0)
			return rc;
	}
	if (loop->before_wait)
		while (loop->before_wait(loop, loop->before_wait_arg) == 0)
			;
	return 0;
}

void ev_loop_stop(struct ev_loop *loop)
{
	loop->stop = 1;
}
