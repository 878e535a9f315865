/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * client_frontends.h - the two ways the chat client meets its user:
 *   client_pipe.c  stdin is not a terminal: each line is a message, each
 *                  event one stdout line, linger after EOF;
 *   client_tty.c   an interactive terminal: line editing (GNU readline)
 *                  that keeps the typed line intact while events arrive,
 *                  history, colours (unless NO_COLOR), /nick /join /part
 *                  /rooms /who /quit /help.
 * Each fills a client_frontend and a client_ui for the loop and session.
 */
#ifndef VCD_CHAT_CLIENT_FRONTENDS_H
#define VCD_CHAT_CLIENT_FRONTENDS_H

#include "client_loop.h"

struct client_pipe;
struct client_tty;

/* Non-TTY mode.  linger_ms: how long to keep printing after stdin EOF. */
struct client_pipe *client_pipe_new(int linger_ms);
void client_pipe_bind(struct client_pipe *p, struct client_loop *l,
		      struct client_frontend *fe, struct client_ui *ui);
void client_pipe_free(struct client_pipe *p);

/* TTY mode; colour unless NO_COLOR is set.  history_file (may be NULL):
 * where typed lines are kept between runs.  One per process (readline is). */
struct client_tty *client_tty_new(const char *history_file);
void client_tty_bind(struct client_tty *t, struct client_loop *l,
		     struct client_frontend *fe, struct client_ui *ui);
/* Start line editing (the loop does it once the session is ready). */
void client_tty_start(struct client_tty *t);
/* Restore the terminal; safe to call more than once. */
void client_tty_free(struct client_tty *t);

#endif /* VCD_CHAT_CLIENT_FRONTENDS_H */
