/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * client_pipe.c - the chat client without a terminal (see
 * client_frontends.h): stdin lines become messages, events become stdout
 * lines, and stdin EOF ends the session after the queue is flushed and
 * --linger has passed.  A line longer than CLIENT_MAX_TEXT is refused as a
 * whole with a warning line; nothing is ever cut.  Empty lines are skipped.
 */
#include "client_frontends.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LINE_CAP	(CLIENT_MAX_TEXT + 2)	/* text, '\r', then '\n' */

struct client_pipe {
	struct client_loop *loop;
	int linger_ms;
	char *buf;			/* the line being read */
	size_t len;
	int discarding;			/* inside a line that is too long */
	size_t discarded;
};

static void pipe_line(void *ctx, enum client_line_kind kind, uint64_t ms,
		      const char *room, const char *nick, const uint8_t *text,
		      size_t len)
{
	(void)ctx;
	if (kind == CLIENT_LINE_OWN)
		return;		/* stdout carries what others say */
	client_fmt_line(stdout, 0, kind, ms, room, nick, text, len);
	fflush(stdout);
}

static void warn(struct client_pipe *p, const char *fmt, size_t a, size_t b)
{
	char msg[200];
	int n = snprintf(msg, sizeof(msg), fmt, a, b);

	(void)p;
	pipe_line(NULL, CLIENT_LINE_WARN, client_now_ms(), NULL, NULL,
		  (const uint8_t *)msg, (size_t)n);
}

static void too_long(struct client_pipe *p, size_t n)
{
	warn(p, "message too long (%zu bytes, the maximum is %zu): not sent", n,
	     (size_t)CLIENT_MAX_TEXT);
}

static void send_line(struct client_pipe *p, char *line, size_t n)
{
	struct client_session *s = p->loop->s;
	int rc;

	if (n && line[n - 1] == '\r')
		n--;
	if (!n)
		return;
	if (n > CLIENT_MAX_TEXT) {
		too_long(p, n);
		return;
	}
	rc = client_session_send_text(s, (const uint8_t *)line, n);
	if (rc)
		client_session_fail(s, "cannot send: %s", strerror(-rc));
}

static void pipe_input(void *ctx)
{
	struct client_pipe *p = ctx;
	size_t start = 0, i;
	ssize_t n = read(STDIN_FILENO, p->buf + p->len, LINE_CAP - p->len);

	if (n < 0) {
		if (errno != EINTR && errno != EAGAIN)
			client_session_fail(p->loop->s, "reading stdin: %s",
					    strerror(errno));
		return;
	}
	if (n == 0) {		/* EOF: the last line may lack its newline */
		if (p->discarding)
			too_long(p, p->discarded + p->len);
		else
			send_line(p, p->buf, p->len);
		p->len = 0;
		client_loop_quit(p->loop, p->linger_ms);
		return;
	}
	for (i = p->len; i < p->len + (size_t)n; i++) {
		if (p->buf[i] != '\n')
			continue;
		if (p->discarding) {
			too_long(p, p->discarded + (i - start));
			p->discarding = 0;
			p->discarded = 0;
		} else {
			send_line(p, p->buf + start, i - start);
		}
		start = i + 1;
	}
	p->len += (size_t)n;
	memmove(p->buf, p->buf + start, p->len - start);
	p->len -= start;
	if (p->len == LINE_CAP) {	/* no newline in sight: too long */
		p->discarding = 1;
		p->discarded += p->len;
		p->len = 0;
	}
}

struct client_pipe *client_pipe_new(int linger_ms)
{
	struct client_pipe *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->buf = malloc(LINE_CAP);
	if (!p->buf) {
		free(p);
		return NULL;
	}
	p->linger_ms = linger_ms;
	return p;
}

void client_pipe_bind(struct client_pipe *p, struct client_loop *l,
		      struct client_frontend *fe, struct client_ui *ui)
{
	p->loop = l;
	fe->ctx = p;
	fe->input_fd = STDIN_FILENO;
	fe->on_input = pipe_input;
	fe->on_stop = NULL;
	fe->on_ready = NULL;
	fe->on_suspend = NULL;
	fe->before_wait = NULL;
	ui->ctx = p;
	ui->line = pipe_line;
}

void client_pipe_free(struct client_pipe *p)
{
	if (!p)
		return;
	free(p->buf);
	free(p);
}
