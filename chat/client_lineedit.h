/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * client_lineedit.h - a small line editor for a terminal in non-canonical
 * mode, built so that other output can be printed above the line at any
 * time without disturbing what is being typed.
 *
 * Owns: the line buffer, the cursor, key decoding (printable UTF-8, Enter,
 * Backspace, Delete, Left/Right, Home/End, Ctrl+A/E/B/F/K/U/W/L/D, Up/Down
 * history), and drawing one screen row with horizontal scrolling (a long
 * line never wraps, so erasing it is always "\r" + erase-line).
 * Does not own: terminal modes, signals, what a finished line means
 * (client_tty.c).
 */
#ifndef VCD_CHAT_CLIENT_LINEEDIT_H
#define VCD_CHAT_CLIENT_LINEEDIT_H

#include <stddef.h>
#include <stdio.h>

#define LE_HISTORY	100

enum le_event {
	LE_NONE = 0,		/* keep feeding */
	LE_LINE,		/* Enter: the line is in le_line() until le_accept */
	LE_EOF,			/* Ctrl+D on an empty line */
};

struct lineedit {
	FILE *out;
	char *buf;		/* NUL-terminated */
	size_t len, cap, pos;	/* bytes; pos is on a character boundary */
	size_t scroll;		/* first character shown */
	char prompt[64];
	size_t prompt_cols;
	char *hist[LE_HISTORY];
	size_t hist_n, hist_at;	/* hist_at == hist_n: the line being edited */
	char *hist_draft;	/* the line being edited while browsing */
	int esc;		/* 0, 1 after ESC, 2 inside CSI/SS3 */
	char seq[16];
	size_t seq_len;
	int shown;		/* the line is on the screen */
};

int le_init(struct lineedit *e, FILE *out, const char *prompt);
void le_free(struct lineedit *e);
void le_set_prompt(struct lineedit *e, const char *prompt);

/* Feed one input byte. */
enum le_event le_feed(struct lineedit *e, unsigned char c);
/* The finished line (after LE_LINE). */
const char *le_line(const struct lineedit *e);
/* Record the finished line in the history and start an empty one. */
void le_accept(struct lineedit *e);

/* Take the line off the screen (cursor at column 0 of an empty row). */
void le_hide(struct lineedit *e);
/* Draw prompt + line with the cursor in place. */
void le_show(struct lineedit *e);

#endif /* VCD_CHAT_CLIENT_LINEEDIT_H */
