/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * client_tty.c - the chat client on an interactive terminal (see
 * client_frontends.h).  The terminal goes to non-canonical, no-echo mode
 * (signals stay on: Ctrl+C and Ctrl+Z reach the loop through their
 * handlers, Ctrl+Z restores the terminal before stopping); keys go to the
 * line editor (client_lineedit.c); an arriving event takes the typed line
 * off the screen, prints itself and puts the line back with the cursor where
 * it was.  Owns the terminal state and restores it on every exit path.
 */
#include "client_frontends.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "client_lineedit.h"

struct client_tty {
	struct client_loop *loop;
	int colour;
	int active;			/* terminal in editing mode */
	struct termios saved;
	struct lineedit le;
	int le_ok;
};

static void set_prompt(struct client_tty *t)
{
	char p[CLIENT_NICK_MAX + 4];

	snprintf(p, sizeof(p), "%s> ", t->loop->s->nick);
	le_set_prompt(&t->le, p);
}

static void tty_line(void *ctx, enum client_line_kind kind, uint64_t ms,
		     const char *room, const char *nick, const uint8_t *text,
		     size_t len)
{
	struct client_tty *t = ctx;

	if (t->active)
		le_hide(&t->le);
	client_fmt_line(stdout, t->colour, kind, ms, room, nick, text, len);
	if (t->active)
		le_show(&t->le);
	fflush(stdout);
}

static void tty_notice(struct client_tty *t, const char *msg)
{
	tty_line(t, CLIENT_LINE_NOTICE, client_now_ms(), NULL, NULL,
		 (const uint8_t *)msg, strlen(msg));
}

/* /join ROOM and /part [ROOM]. */
static void room_command(struct client_tty *t, int join, const char *arg)
{
	struct client_session *s = t->loop->s;
	char msg[200];
	int rc;

	if (join && (!arg || !*arg)) {
		tty_notice(t, "usage: /join ROOM");
		return;
	}
	rc = join ? client_session_join(s, arg) :
		    client_session_part(s, arg && *arg ? arg : NULL);
	if (!rc)
		return;
	if (rc == -EINVAL)
		snprintf(msg, sizeof(msg),
			 "invalid room name: 1..%d characters, no spaces or control characters",
			 ROOM_NAME_MAX);
	else if (rc == -ENOSPC)
		snprintf(msg, sizeof(msg), "you are in as many rooms as allowed (%u)",
			 s->max_rooms);
	else if (rc == -ENOENT)
		snprintf(msg, sizeof(msg), "you are not in that room (see /rooms)");
	else if (rc == -EBUSY)
		snprintf(msg, sizeof(msg), "that is your only room: /quit to leave");
	else
		snprintf(msg, sizeof(msg), "cannot %s: %s", join ? "join" : "part",
			 strerror(-rc));
	tty_notice(t, msg);
}

static void command(struct client_tty *t, const char *line)
{
	struct client_session *s = t->loop->s;
	const char *arg = strchr(line, ' ');
	char msg[160];

	while (arg && *arg == ' ')
		arg++;
	if (!strncmp(line, "/nick", 5) && (line[5] == ' ' || !line[5])) {
		if (!arg || !*arg) {
			tty_notice(t, "usage: /nick NAME");
		} else if (client_session_set_nick(s, arg)) {
			snprintf(msg, sizeof(msg),
				 "invalid nick: 1..%d characters, no spaces or control characters",
				 CLIENT_NICK_MAX);
			tty_notice(t, msg);
		} else {
			set_prompt(t);
			le_show(&t->le);
		}
	} else if (!strcmp(line, "/who")) {
		client_session_who(s);
	} else if (!strncmp(line, "/join", 5) && (line[5] == ' ' || !line[5])) {
		room_command(t, 1, arg);
	} else if (!strncmp(line, "/part", 5) && (line[5] == ' ' || !line[5])) {
		room_command(t, 0, arg);
	} else if (!strcmp(line, "/rooms")) {
		client_session_list_rooms(s);
	} else if (!strcmp(line, "/quit")) {
		client_loop_quit(t->loop, 0);
	} else if (!strcmp(line, "/help")) {
		tty_notice(t, "type a line and press Enter to send it to the room");
		tty_notice(t, "/nick NAME  change your nickname");
		tty_notice(t, "/who        list who is in the current room");
		tty_notice(t, "/join ROOM  join a room (same passphrase) and talk there");
		tty_notice(t, "/part [ROOM] leave a room (default: the current one)");
		tty_notice(t, "/rooms      list your rooms");
		tty_notice(t, "/quit       leave (also Ctrl+D on an empty line, Ctrl+C)");
		tty_notice(t, "//text      send a line that starts with /");
	} else {
		tty_notice(t, "unknown command (try /help)");
	}
}

static void on_line(struct client_tty *t, const char *line)
{
	struct client_session *s = t->loop->s;
	const char *text = line[0] == '/' && line[1] == '/' ? line + 1 : line;
	size_t n = strlen(text);
	char msg[160];
	int rc;

	if (line[0] == '/' && line[1] != '/') {
		command(t, line);
		return;
	}
	if (!n)
		return;
	rc = client_session_send_text(s, (const uint8_t *)text, n);
	if (rc == -EMSGSIZE) {
		snprintf(msg, sizeof(msg),
			 "message too long (%zu bytes, the maximum is %u): not sent",
			 n, CLIENT_MAX_TEXT);
		tty_line(t, CLIENT_LINE_WARN, client_now_ms(), NULL, NULL,
			 (const uint8_t *)msg, strlen(msg));
	} else if (rc) {
		client_session_fail(s, "cannot send: %s", strerror(-rc));
	}
}

static void tty_input(void *ctx)
{
	struct client_tty *t = ctx;
	unsigned char buf[4096];
	ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));

	if (n <= 0) {
		if (n == 0 || (errno != EINTR && errno != EAGAIN))
			client_loop_quit(t->loop, 0);
		return;
	}
	for (ssize_t i = 0; i < n && !client_loop_quitting(t->loop); i++) {
		switch (le_feed(&t->le, buf[i])) {
		case LE_LINE: {
			char *line = strdup(le_line(&t->le));

			le_accept(&t->le);
			le_hide(&t->le);
			if (line)
				on_line(t, line);
			free(line);
			if (!client_loop_quitting(t->loop))
				le_show(&t->le);
			break;
		}
		case LE_EOF:
			client_loop_quit(t->loop, 0);
			break;
		case LE_NONE:
			break;
		}
	}
}

/* Leave editing mode and give the terminal back as it was. */
static void tty_stop(void *ctx)
{
	struct client_tty *t = ctx;

	if (!t->active)
		return;
	le_hide(&t->le);
	fflush(stdout);
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &t->saved);
	t->active = 0;
}

static void tty_ready(void *ctx)
{
	client_tty_start(ctx);
}

/* Ctrl+Z: give the shell a sane terminal, stop, and take it back on fg. */
static void tty_suspend(void *ctx)
{
	struct client_tty *t = ctx;
	int was_active = t->active;

	tty_stop(t);
	raise(SIGSTOP);
	if (was_active)
		client_tty_start(t);
}

struct client_tty *client_tty_new(void)
{
	struct client_tty *t = calloc(1, sizeof(*t));
	const char *nc = getenv("NO_COLOR");

	if (!t)
		return NULL;
	t->colour = !(nc && *nc);
	return t;
}

void client_tty_bind(struct client_tty *t, struct client_loop *l,
		     struct client_frontend *fe, struct client_ui *ui)
{
	t->loop = l;
	fe->ctx = t;
	fe->input_fd = STDIN_FILENO;
	fe->on_input = tty_input;
	fe->on_stop = tty_stop;
	fe->on_ready = tty_ready;
	fe->on_suspend = tty_suspend;
	ui->ctx = t;
	ui->line = tty_line;
}

void client_tty_start(struct client_tty *t)
{
	struct termios raw;

	if (t->active)
		return;
	if (!t->le_ok) {
		if (le_init(&t->le, stdout, "> "))
			return;
		t->le_ok = 1;
	}
	if (tcgetattr(STDIN_FILENO, &t->saved))
		return;
	raw = t->saved;
	raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO | IEXTEN);
	raw.c_iflag &= ~(tcflag_t)(IXON | ICRNL | INLCR);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw))
		return;
	t->active = 1;
	set_prompt(t);
	le_show(&t->le);
}

void client_tty_free(struct client_tty *t)
{
	if (!t)
		return;
	tty_stop(t);
	if (t->le_ok)
		le_free(&t->le);
	free(t);
}
