/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * client_tty.c - the chat client on an interactive terminal (see
 * client_frontends.h), with GNU readline's callback interface for the line
 * being typed: emacs (or, from ~/.inputrc, vi) editing, wide characters
 * (readline measures them with wcwidth in the UTF-8 locale set here),
 * history with Ctrl+R search, bracketed paste (a paste is one insertion,
 * however long).
 *
 * How the pieces meet:
 *  - the loop polls stdin; tty_input reads what is there in one block into
 *    a keyq (client_keyq.h) and calls rl_callback_read_char until readline
 *    has taken it all; readline reads it through rl_getc_function from the
 *    keyq, so a large paste costs a few reads, not one per byte;
 *  - an event line (tty_line) takes the prompt and the typed line off the
 *    screen (rl_clear_visible_line), prints itself, and leaves the redraw
 *    (rl_forced_update_display) to the loop's before-wait hook, so that a
 *    burst of events costs one redraw; the typed line and the cursor are
 *    readline's and never change;
 *  - Enter erases the typed line too: the session prints it back as
 *    "[time] <nick> text" once it is sent;
 *  - readline keeps the terminal in its mode from start to end (no switch
 *    to cooked mode and back around each line, which would echo what is
 *    typed meanwhile); it is given back on Ctrl+Z and at the end, and
 *    restored on every exit path;
 *  - readline handles no signals: Ctrl+C, Ctrl+Z and SIGTERM reach the loop
 *    through client_main.c's handlers, SIGWINCH sets a flag read before
 *    each wait (rl_resize_terminal);
 *  - a lone Esc does nothing (held by the keyq for readline's
 *    keyseq-timeout; in vi mode or during a search it goes to readline then).
 *
 * Owns: readline's configuration and state (one per process: readline is
 * global), the terminal modes, what a finished line means (a message, or a
 * /command), history and its optional file.  Does not own: the protocol
 * (client_session.c) nor how events are formatted (client_fmt.c).
 */
#include "client_frontends.h"

#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <readline/readline.h>
#include <readline/history.h>

#include "client_keyq.h"
#include "proto/clock.h"

/* Lines kept for Up/Down and Ctrl+R (and in the history file). */
#define TTY_HISTORY		500
/* The most read from the terminal at once. */
#define TTY_READ_MAX		65536
/* readline's keyseq-timeout when it has none (its own default). */
#define TTY_ESC_MS		500
/* Bytes readline left in the queue are offered again after this long. */
#define TTY_RETRY_MS		10
/* rl_editing_mode values (readline.h: 1 emacs, 0 vi). */
#define TTY_RL_VI_MODE		0

struct client_tty {
	struct client_loop *loop;
	int colour;
	int rl_ready;		/* readline configured (once per process) */
	int active;		/* handler installed, terminal in readline's mode */
	int shown;		/* prompt and line on screen as readline thinks */
	int in_handler;		/* in the line handler: the line is off screen */
	int prepped;		/* the terminal is in readline's mode */
	int release;		/* the next deprep really gives the terminal back */
	int meta;		/* readline's argument to the last prep */
	unsigned esc_ms;	/* how long a lone ESC is held */
	struct keyq keys;
	char *history_file;
	struct sigaction old_winch;
	char prompt[CLIENT_NICK_MAX + 4];
};

/* readline calls back without a context: the one terminal front end. */
static struct client_tty *tty_self;
static volatile sig_atomic_t tty_winch;

static void on_winch(int sig)
{
	(void)sig;
	tty_winch = 1;
}

/* ---- the screen ------------------------------------------------------------ */

/* Take the prompt and the typed line off the screen (the cursor ends at the
 * start of the row where the prompt was). */
static void hide(struct client_tty *t)
{
	if (!t->shown)
		return;
	rl_clear_visible_line();
	fflush(stdout);
	t->shown = 0;
}

/* Put them back, cursor where it was in the line. */
static void show(struct client_tty *t)
{
	if (!t->active || t->shown || t->in_handler)
		return;
	rl_forced_update_display();
	fflush(stdout);
	t->shown = 1;
}

static void set_prompt(struct client_tty *t)
{
	snprintf(t->prompt, sizeof(t->prompt), "%s> ", t->loop->s->nick);
	rl_set_prompt(t->prompt);
}

static void tty_line(void *ctx, enum client_line_kind kind, uint64_t ms,
		     const char *room, const char *nick, const uint8_t *text,
		     size_t len)
{
	struct client_tty *t = ctx;

	hide(t);
	client_fmt_line(stdout, t->colour, kind, ms, room, nick, text, len);
	fflush(stdout);
}

static void tty_notice(struct client_tty *t, const char *msg)
{
	tty_line(t, CLIENT_LINE_NOTICE, client_now_ms(), NULL, NULL,
		 (const uint8_t *)msg, strlen(msg));
}

/* ---- what a finished line means -------------------------------------------- */

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
	else if (rc == -EAGAIN)
		snprintf(msg, sizeof(msg), "not connected (reconnecting): try again then");
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
		}
	} else if (!strncmp(line, "/join", 5) && (line[5] == ' ' || !line[5])) {
		room_command(t, 1, arg);
	} else if (!strncmp(line, "/part", 5) && (line[5] == ' ' || !line[5])) {
		room_command(t, 0, arg);
	} else if (!strcmp(line, "/rooms")) {
		client_session_list_rooms(s);
	} else if (!strcmp(line, "/who")) {
		client_session_who(s);
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
		tty_notice(t, "Up/Down: earlier lines; Ctrl+R: search them; a pasted block of lines is sent line by line");
	} else {
		tty_notice(t, "unknown command (try /help)");
	}
}

static void send_text(struct client_tty *t, const char *text, size_t n)
{
	struct client_session *s = t->loop->s;
	char msg[160];
	int rc;

	if (!n)
		return;
	rc = client_session_send_text(s, (const uint8_t *)text, n);
	if (rc == -EMSGSIZE) {
		snprintf(msg, sizeof(msg),
			 "message too long (%zu bytes, the maximum is %u): not sent",
			 n, CLIENT_MAX_TEXT);
		tty_line(t, CLIENT_LINE_WARN, client_now_ms(), NULL, NULL,
			 (const uint8_t *)msg, strlen(msg));
	} else if (rc == -EAGAIN) {	/* reconnecting */
		tty_notice(t, "not connected (reconnecting): not sent (Up brings the line back)");
	} else if (rc) {
		client_session_fail(s, "cannot send: %s", strerror(-rc));
	}
}

/* One typed line: a /command, or a message ("//" sends a leading "/").  A
 * pasted block of several lines is one message per line, verbatim, as on
 * stdin without a terminal: a pasted line that starts with / runs nothing. */
static void on_line(struct client_tty *t, const char *line)
{
	const char *nl = strchr(line, '\n');

	if (!nl) {
		if (line[0] == '/' && line[1] != '/')
			command(t, line);
		else if (line[0] == '/')	/* "//text" */
			send_text(t, line + 1, strlen(line + 1));
		else
			send_text(t, line, strlen(line));
		return;
	}
	while (*line && !client_loop_quitting(t->loop) && !t->loop->s->done) {
		size_t n = nl ? (size_t)(nl - line) : strlen(line);

		send_text(t, line, n);
		line += n + (nl ? 1 : 0);
		nl = strchr(line, '\n');
	}
}

static void remember(const char *line)
{
	HIST_ENTRY *last;

	if (!*line)
		return;
	last = history_length ? history_get(history_base + history_length - 1) : NULL;
	if (last && !strcmp(last->line, line))
		return;
	add_history(line);
}

/* readline's line handler: Enter (line) or Ctrl+D on an empty line (NULL). */
static void on_rl_line(char *line)
{
	struct client_tty *t = tty_self;

	t->in_handler = 1;
	t->shown = 0;
	if (!line) {
		client_loop_quit(t->loop, 0);
	} else {
		remember(line);
		on_line(t, line);
		free(line);
	}
	t->in_handler = 0;
}

/* Enter: take the typed line off the screen (it comes back formatted as
 * the message it became), then accept it as readline's accept-line does. */
static int tty_accept(int count, int key)
{
	rl_deactivate_mark();
	rl_clear_visible_line();
	rl_on_new_line();	/* readline: the cursor is on an empty row now */
	return rl_newline(count, key);
}

/* ---- readline's input ------------------------------------------------------ */

/* rl_getc_function: the queued bytes; readline asks for more than was read
 * only inside a key sequence or a paste, which the terminal sends at once:
 * then wait for it. */
static int tty_getc(FILE *f)
{
	struct client_tty *t = tty_self;
	int c;

	(void)f;
	while ((c = keyq_pop(&t->keys)) < 0) {
		size_t space;
		unsigned char *p = keyq_tail(&t->keys, &space);
		ssize_t n = read(STDIN_FILENO, p, space);

		if (n > 0)
			keyq_commit(&t->keys, (size_t)n);
		else if (n == 0 || errno != EINTR)
			return EOF;
	}
	return c;
}

/* rl_input_available_hook: is there a key beyond a held or lone ESC? */
static int tty_input_available(void)
{
	struct client_tty *t = tty_self;
	struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
	size_t n = keyq_ready(&t->keys);

	if (n > 1 || (n == 1 && keyq_peek(&t->keys) != KEYQ_ESC))
		return 1;
	return poll(&p, 1, 0) > 0;
}

/* Keys go to readline only while the session takes lines. */
static int can_feed(const struct client_tty *t)
{
	return t->active && !client_loop_quitting(t->loop) && !t->loop->s->done;
}

/* Give readline every queued byte, except a lone ESC at the start of a key:
 * that one waits for its deadline (before_wait).  A call may take no byte
 * (readline then works on a key it pushed back), never many in a row. */
static void feed(struct client_tty *t)
{
	int idle = 0;

	while (can_feed(t) && keyq_ready(&t->keys) && idle < 4) {
		size_t before = keyq_ready(&t->keys);

		if (!RL_ISSTATE(RL_STATE_MULTIKEY | RL_STATE_MOREINPUT) &&
		    keyq_hold_lone_esc(&t->keys, clock_mono_ms(), t->esc_ms))
			break;
		rl_callback_read_char();
		t->shown = 1;	/* readline drew its line after the key */
		idle = keyq_ready(&t->keys) < before ? 0 : idle + 1;
	}
}

static void tty_input(void *ctx)
{
	struct client_tty *t = ctx;
	size_t space;
	unsigned char *p = keyq_tail(&t->keys, &space);
	ssize_t n = read(STDIN_FILENO, p, space);

	if (n <= 0) {
		if (n == 0 || (errno != EINTR && errno != EAGAIN))
			client_loop_quit(t->loop, 0);
		return;
	}
	keyq_commit(&t->keys, (size_t)n);
	show(t);
	feed(t);
}

/* A held ESC whose time is up: in emacs mode a lone Esc means nothing (the
 * next key is a key of its own); vi mode and the searches use it. */
static void esc_expired(struct client_tty *t)
{
	static const unsigned char esc = KEYQ_ESC;

	if (!can_feed(t) || (rl_editing_mode != TTY_RL_VI_MODE &&
			     !RL_ISSTATE(RL_STATE_ISEARCH | RL_STATE_NSEARCH)))
		return;
	keyq_push(&t->keys, &esc, 1);
	show(t);
	rl_callback_read_char();
	t->shown = 1;
}

static int tty_before_wait(void *ctx)
{
	struct client_tty *t = ctx;
	struct winsize ws;

	if (!t->active)
		return -1;
	if (tty_winch) {
		tty_winch = 0;
		if (t->shown)
			rl_resize_terminal();
		else if (!ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_row && ws.ws_col)
			rl_set_screen_size(ws.ws_row, ws.ws_col);
	}
	if (keyq_take_expired(&t->keys, clock_mono_ms()))
		esc_expired(t);
	show(t);
	if (!keyq_ready(&t->keys) || !can_feed(t))
		return keyq_wait_ms(&t->keys, clock_mono_ms());
	feed(t);	/* what feed's guard left */
	return keyq_ready(&t->keys) ? TTY_RETRY_MS : keyq_wait_ms(&t->keys, clock_mono_ms());
}

/* ---- the terminal ---------------------------------------------------------- */

/* rl_prep_term_function: readline's mode once, plus no XON/XOFF (Ctrl+S is
 * forward search, Ctrl+Q quoted insert). */
static void tty_prep(int meta)
{
	struct client_tty *t = tty_self;
	struct termios tio;

	if (t->prepped)
		return;
	t->meta = meta;
	rl_prep_terminal(meta);
	if (!tcgetattr(STDIN_FILENO, &tio) && (tio.c_iflag & IXON)) {
		tio.c_iflag &= ~(tcflag_t)IXON;
		tcsetattr(STDIN_FILENO, TCSADRAIN, &tio);
	}
	t->prepped = 1;
}

/* rl_deprep_term_function: only when we give the terminal back. */
static void tty_deprep(void)
{
	struct client_tty *t = tty_self;

	if (!t->prepped || !t->release)
		return;
	rl_deprep_terminal();	/* the settings from before tty_prep */
	t->prepped = 0;
}

/* Tab: nothing to complete (never local file names into a message). */
static char **no_completion(const char *text, int start, int end)
{
	(void)text;
	(void)start;
	(void)end;
	rl_attempted_completion_over = 1;
	return NULL;
}

/* Once per process: readline's settings before it reads ~/.inputrc (which
 * may change them), then the bindings that make it a chat line. */
static void rl_setup(struct client_tty *t)
{
	static const char *const maps[] = { "emacs", "vi-insert", "vi-command" };
	const char *v;

	rl_readline_name = "chat-client";	/* $if chat-client in inputrc */
	rl_instream = stdin;
	rl_outstream = stdout;
	rl_catch_signals = 0;
	rl_catch_sigwinch = 0;
	rl_change_environment = 0;
	rl_getc_function = tty_getc;
	rl_input_available_hook = tty_input_available;
	rl_prep_term_function = tty_prep;
	rl_deprep_term_function = tty_deprep;
	rl_attempted_completion_function = no_completion;
	rl_variable_bind("enable-bracketed-paste", "on");
	rl_initialize();
	rl_add_defun("chat-accept-line", tty_accept, -1);
	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		Keymap m = rl_get_keymap_by_name(maps[i]);

		if (m) {
			rl_bind_key_in_map('\r', tty_accept, m);
			rl_bind_key_in_map('\n', tty_accept, m);
		}
	}
	v = rl_variable_value("keyseq-timeout");
	t->esc_ms = v && atoi(v) > 0 ? (unsigned)atoi(v) : TTY_ESC_MS;
	using_history();
	stifle_history(TTY_HISTORY);
	if (t->history_file) {
		int rc = read_history(t->history_file);

		if (rc && rc != ENOENT)
			fprintf(stderr, "chat-client: history file %s: %s\n",
				t->history_file, strerror(rc));
	}
	t->rl_ready = 1;
}

/* Leave readline's mode: the terminal as it was before. */
static void release_terminal(struct client_tty *t)
{
	t->release = 1;
	tty_deprep();
	t->release = 0;
}

static void tty_stop(void *ctx)
{
	struct client_tty *t = ctx;

	if (!t->active)
		return;
	hide(t);
	t->release = 1;
	rl_callback_handler_remove();
	t->release = 0;
	release_terminal(t);
	sigaction(SIGWINCH, &t->old_winch, NULL);
	t->active = 0;
}

static void tty_ready(void *ctx)
{
	client_tty_start(ctx);
}

/* Ctrl+Z: give the shell its terminal, stop, and take it back on fg with
 * the typed line as it was. */
static void tty_suspend(void *ctx)
{
	struct client_tty *t = ctx;

	if (!t->active) {
		raise(SIGSTOP);
		return;
	}
	hide(t);
	release_terminal(t);
	raise(SIGSTOP);
	tty_prep(t->meta);
	show(t);
}

/* A UTF-8 LC_CTYPE for readline's character widths and input: the user's
 * if it is UTF-8, else C.UTF-8 (chat text is UTF-8 whatever the locale
 * says; in a single-byte locale readline would take the bytes of "é" for
 * Meta keys).  readline sets LC_CTYPE again from LC_ALL, LC_CTYPE or LANG
 * at every line, so the environment is made to say the same. */
static void utf8_ctype(void)
{
	const char *cs, *all;

	setlocale(LC_CTYPE, "");
	cs = nl_langinfo(CODESET);
	if ((cs && !strcmp(cs, "UTF-8")) || !setlocale(LC_CTYPE, "C.UTF-8"))
		return;
	all = getenv("LC_ALL");
	if (all && *all)
		setenv("LC_ALL", "C.UTF-8", 1);
	setenv("LC_CTYPE", "C.UTF-8", 1);
}

struct client_tty *client_tty_new(const char *history_file)
{
	struct client_tty *t;
	const char *nc = getenv("NO_COLOR");

	if (tty_self)
		return NULL;	/* readline is one per process */
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	if (keyq_init(&t->keys, TTY_READ_MAX) ||
	    (history_file && !(t->history_file = strdup(history_file)))) {
		keyq_free(&t->keys);
		free(t);
		return NULL;
	}
	t->colour = !(nc && *nc);
	t->esc_ms = TTY_ESC_MS;
	utf8_ctype();
	tty_self = t;
	return t;
}

void client_tty_bind(struct client_tty *t, struct client_loop *l,
		     struct client_frontend *fe, struct client_ui *ui)
{
	t->loop = l;
	fe->ctx = t;
	fe->input_fd = STDIN_FILENO;
	fe->input_offline = 1;		/* /quit, Ctrl+D while reconnecting */
	fe->on_input = tty_input;
	fe->on_stop = tty_stop;
	fe->on_ready = tty_ready;
	fe->on_suspend = tty_suspend;
	fe->before_wait = tty_before_wait;
	ui->ctx = t;
	ui->line = tty_line;
}

void client_tty_start(struct client_tty *t)
{
	struct sigaction sa = { 0 };

	if (t->active)
		return;
	if (!t->rl_ready)
		rl_setup(t);
	sa.sa_handler = on_winch;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGWINCH, &sa, &t->old_winch);
	snprintf(t->prompt, sizeof(t->prompt), "%s> ", t->loop->s->nick);
	t->active = 1;
	rl_callback_handler_install(t->prompt, on_rl_line);
	fflush(stdout);
	t->shown = 1;
}

void client_tty_free(struct client_tty *t)
{
	int rc;

	if (!t)
		return;
	tty_stop(t);
	if (t->rl_ready && t->history_file) {
		rc = write_history(t->history_file);
		if (rc)
			fprintf(stderr, "chat-client: history file %s: %s\n",
				t->history_file, strerror(rc));
	}
	if (t->rl_ready)
		clear_history();
	keyq_free(&t->keys);
	free(t->history_file);
	free(t);
	tty_self = NULL;
}
