/*
 * client_tty.c - the chat client on an interactive terminal (see
 * client_frontends.h).  Line editing is libedit's readline-compatible
 * callback interface; when an event arrives the typed line is taken off the
 * screen, the event printed above it, and the line put back with the cursor
 * where it was.  Owns the terminal state and restores it on every exit path.
 */
#include "client_frontends.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <editline/readline.h>

struct client_tty {
	struct client_loop *loop;
	int colour;
	int active;			/* the line editor is installed */
	char prompt[CLIENT_NICK_MAX + 8];
};

/* libedit's callback interface has no context pointer. */
static struct client_tty *the_tty;

static void set_prompt(struct client_tty *t)
{
	snprintf(t->prompt, sizeof(t->prompt), "%s> ", t->loop->s->nick);
	if (t->active)
		rl_set_prompt(t->prompt);
}

static void tty_line(void *ctx, enum client_line_kind kind, uint64_t ms,
		     const char *nick, const uint8_t *text, size_t len)
{
	struct client_tty *t = ctx;
	char *saved = NULL;
	int point = 0;

	if (t->active) {
		/* Take the typed line off the screen, keep it aside. */
		saved = rl_copy_text(0, rl_end);
		point = rl_point;
		rl_set_prompt("");
		rl_replace_line("", 0);
		rl_redisplay();
		fputs("\r\x1b[K", stdout);
	}
	client_fmt_line(stdout, t->colour, kind, ms, nick, text, len);
	fflush(stdout);
	if (t->active) {
		rl_set_prompt(t->prompt);
		rl_replace_line(saved ? saved : "", 0);
		rl_point = point;
		rl_forced_update_display();
		free(saved);
	}
}

static void tty_notice(struct client_tty *t, const char *msg)
{
	tty_line(t, CLIENT_LINE_NOTICE, client_now_ms(), NULL,
		 (const uint8_t *)msg, strlen(msg));
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
		}
	} else if (!strcmp(line, "/who")) {
		client_session_who(s);
	} else if (!strcmp(line, "/quit")) {
		client_loop_quit(t->loop, 0);
	} else if (!strcmp(line, "/help")) {
		tty_notice(t, "type a line and press Enter to send it to the room");
		tty_notice(t, "/nick NAME  change your nickname");
		tty_notice(t, "/who        list who is connected");
		tty_notice(t, "/quit       leave (also Ctrl+D, Ctrl+C)");
		tty_notice(t, "//text      send a line that starts with /");
	} else {
		tty_notice(t, "unknown command (try /help)");
	}
}

static void on_line(char *line)
{
	struct client_tty *t = the_tty;
	struct client_session *s = t->loop->s;
	size_t n;
	int rc;

	if (!line) {		/* Ctrl+D */
		client_loop_quit(t->loop, 0);
		return;
	}
	n = strlen(line);
	if (n)
		add_history(line);
	if (line[0] == '/' && line[1] != '/') {
		command(t, line);
	} else if (n) {
		const char *text = line[0] == '/' ? line + 1 : line;

		rc = client_session_send_text(s, (const uint8_t *)text, strlen(text));
		if (rc == -EMSGSIZE) {
			char msg[160];

			snprintf(msg, sizeof(msg),
				 "message too long (%zu bytes, the maximum is %u): not sent",
				 strlen(text), CLIENT_MAX_TEXT);
			tty_line(t, CLIENT_LINE_WARN, client_now_ms(), NULL,
				 (const uint8_t *)msg, strlen(msg));
		} else if (rc) {
			client_session_fail(s, "cannot send: %s", strerror(-rc));
		}
	}
	free(line);
}

static void tty_input(void *ctx)
{
	(void)ctx;
	rl_callback_read_char();
}

static void tty_stop(void *ctx)
{
	struct client_tty *t = ctx;

	if (t->active) {
		rl_callback_handler_remove();
		t->active = 0;
		fputs("\n", stdout);
		fflush(stdout);
	}
}

static void tty_ready(void *ctx)
{
	client_tty_start(ctx);
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
	the_tty = t;
	fe->ctx = t;
	fe->input_fd = STDIN_FILENO;
	fe->on_input = tty_input;
	fe->on_stop = tty_stop;
	fe->on_ready = tty_ready;
	ui->ctx = t;
	ui->line = tty_line;
}

void client_tty_start(struct client_tty *t)
{
	if (t->active)
		return;
	rl_catch_signals = 0;	/* SIGINT ends the loop through our handler */
	set_prompt(t);
	rl_callback_handler_install(t->prompt, on_line);
	t->active = 1;
}

void client_tty_free(struct client_tty *t)
{
	if (!t)
		return;
	tty_stop(t);
	if (the_tty == t)
		the_tty = NULL;
	free(t);
}
