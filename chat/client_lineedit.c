/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * client_lineedit.c - the chat client's line editor (see client_lineedit.h).
 * Widths: one column per UTF-8 character (wide characters may misplace the
 * cursor by a column; the text itself is never altered).
 */
#include "client_lineedit.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* Guard against unbounded pastes; the sender refuses long lines anyway. */
#define LE_MAX_BYTES	(1u << 20)

static int is_cont(unsigned char c)
{
	return (c & 0xc0) == 0x80;
}

static size_t chars_in(const char *s, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += !is_cont((unsigned char)s[i]);
	return k;
}

/* Byte offset of the character index ci. */
static size_t byte_of_char(const char *s, size_t len, size_t ci)
{
	size_t i = 0, k = 0;

	for (; i < len; i++) {
		if (!is_cont((unsigned char)s[i])) {
			if (k == ci)
				return i;
			k++;
		}
	}
	return len;
}

static int reserve(struct lineedit *e, size_t need)
{
	size_t ncap = e->cap ? e->cap : 256;
	char *nb;

	if (need + 1 <= e->cap)
		return 0;
	while (ncap < need + 1)
		ncap *= 2;
	nb = realloc(e->buf, ncap);
	if (!nb)
		return -1;
	e->buf = nb;
	e->cap = ncap;
	return 0;
}

int le_init(struct lineedit *e, FILE *out, const char *prompt)
{
	memset(e, 0, sizeof(*e));
	e->out = out;
	if (reserve(e, 0))
		return -1;
	e->buf[0] = '\0';
	le_set_prompt(e, prompt);
	return 0;
}

void le_free(struct lineedit *e)
{
	for (size_t i = 0; i < e->hist_n; i++)
		free(e->hist[i]);
	free(e->hist_draft);
	free(e->buf);
	memset(e, 0, sizeof(*e));
}

void le_set_prompt(struct lineedit *e, const char *prompt)
{
	snprintf(e->prompt, sizeof(e->prompt), "%s", prompt);
	e->prompt_cols = chars_in(e->prompt, strlen(e->prompt));
}

static size_t term_cols(FILE *out)
{
	struct winsize ws;

	if (ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

void le_hide(struct lineedit *e)
{
	if (e->shown)
		fputs("\r\x1b[K", e->out);
	e->shown = 0;
}

void le_show(struct lineedit *e)
{
	size_t cols = term_cols(e->out), avail, cur, total, from, to;

	avail = cols > e->prompt_cols + 11 ? cols - e->prompt_cols - 1 : 10;
	cur = chars_in(e->buf, e->pos);
	total = chars_in(e->buf, e->len);
	if (cur < e->scroll)
		e->scroll = cur;
	if (cur >= e->scroll + avail)
		e->scroll = cur - avail + 1;
	if (e->scroll > total)
		e->scroll = total;
	from = byte_of_char(e->buf, e->len, e->scroll);
	to = byte_of_char(e->buf, e->len, e->scroll + avail);
	fputs("\r", e->out);
	fputs(e->prompt, e->out);
	fwrite(e->buf + from, 1, to - from, e->out);
	fputs("\x1b[K\r", e->out);
	if (e->prompt_cols + cur - e->scroll)
		fprintf(e->out, "\x1b[%zuC", e->prompt_cols + cur - e->scroll);
	fflush(e->out);
	e->shown = 1;
}

static void set_text(struct lineedit *e, const char *s)
{
	size_t n = strlen(s);

	if (reserve(e, n))
		return;
	memcpy(e->buf, s, n + 1);
	e->len = e->pos = n;
	e->scroll = 0;
}

static void insert(struct lineedit *e, unsigned char c)
{
	if (e->len >= LE_MAX_BYTES || reserve(e, e->len + 1))
		return;
	memmove(e->buf + e->pos + 1, e->buf + e->pos, e->len - e->pos + 1);
	e->buf[e->pos++] = (char)c;
	e->len++;
}

static void delete_range(struct lineedit *e, size_t from, size_t to)
{
	memmove(e->buf + from, e->buf + to, e->len - to + 1);
	e->len -= to - from;
	e->pos = from;
}

static size_t prev_char(const struct lineedit *e, size_t i)
{
	while (i > 0 && is_cont((unsigned char)e->buf[--i]))
		;
	return i;
}

static size_t next_char(const struct lineedit *e, size_t i)
{
	if (i < e->len)
		i++;
	while (i < e->len && is_cont((unsigned char)e->buf[i]))
		i++;
	return i;
}

static void history_move(struct lineedit *e, int dir)
{
	if (dir < 0 && e->hist_at == 0)
		return;
	if (dir > 0 && e->hist_at >= e->hist_n)
		return;
	if (e->hist_at == e->hist_n) {
		free(e->hist_draft);
		e->hist_draft = strdup(e->buf);
	}
	e->hist_at = dir < 0 ? e->hist_at - 1 : e->hist_at + 1;
	set_text(e, e->hist_at == e->hist_n ?
		 (e->hist_draft ? e->hist_draft : "") : e->hist[e->hist_at]);
}

/* A complete escape sequence in e->seq (after ESC). */
static void escape(struct lineedit *e)
{
	const char *s = e->seq;

	if (!strcmp(s, "[D") || !strcmp(s, "OD"))
		e->pos = prev_char(e, e->pos);
	else if (!strcmp(s, "[C") || !strcmp(s, "OC"))
		e->pos = next_char(e, e->pos);
	else if (!strcmp(s, "[H") || !strcmp(s, "OH") || !strcmp(s, "[1~") ||
		 !strcmp(s, "[7~"))
		e->pos = 0;
	else if (!strcmp(s, "[F") || !strcmp(s, "OF") || !strcmp(s, "[4~") ||
		 !strcmp(s, "[8~"))
		e->pos = e->len;
	else if (!strcmp(s, "[3~"))
		delete_range(e, e->pos, next_char(e, e->pos));
	else if (!strcmp(s, "[A") || !strcmp(s, "OA"))
		history_move(e, -1);
	else if (!strcmp(s, "[B") || !strcmp(s, "OB"))
		history_move(e, 1);
	/* anything else (bracketed paste marks, F-keys) is ignored */
}

enum le_event le_feed(struct lineedit *e, unsigned char c)
{
	size_t i;

	if (e->esc == 1) {		/* after ESC */
		e->seq_len = 0;
		if (c == '[' || c == 'O') {
			e->seq[e->seq_len++] = (char)c;
			e->esc = 2;
			return LE_NONE;
		}
		e->esc = 0;
		return LE_NONE;		/* Alt+key: ignored */
	}
	if (e->esc == 2) {		/* CSI/SS3 until a final byte */
		if (e->seq_len < sizeof(e->seq) - 1)
			e->seq[e->seq_len++] = (char)c;
		if ((c >= 0x40 && c <= 0x7e) ||
		    (e->seq[0] == 'O' && e->seq_len == 2)) {
			e->seq[e->seq_len] = '\0';
			e->esc = 0;
			escape(e);
			le_show(e);
		}
		return LE_NONE;
	}
	switch (c) {
	case '\r':
	case '\n':
		return LE_LINE;
	case 0x1b:
		e->esc = 1;
		return LE_NONE;
	case 0x7f:
	case 0x08:		/* Backspace */
		delete_range(e, prev_char(e, e->pos), e->pos);
		break;
	case 0x01: e->pos = 0; break;				/* ^A */
	case 0x05: e->pos = e->len; break;			/* ^E */
	case 0x02: e->pos = prev_char(e, e->pos); break;	/* ^B */
	case 0x06: e->pos = next_char(e, e->pos); break;	/* ^F */
	case 0x0b: delete_range(e, e->pos, e->len); break;	/* ^K */
	case 0x15: delete_range(e, 0, e->pos); break;		/* ^U */
	case 0x17:						/* ^W */
		i = e->pos;
		while (i > 0 && e->buf[i - 1] == ' ')
			i--;
		while (i > 0 && e->buf[i - 1] != ' ')
			i--;
		delete_range(e, i, e->pos);
		break;
	case 0x10: history_move(e, -1); break;			/* ^P */
	case 0x0e: history_move(e, 1); break;			/* ^N */
	case 0x0c:						/* ^L */
		fputs("\x1b[H\x1b[2J", e->out);
		break;
	case 0x04:						/* ^D */
		if (!e->len)
			return LE_EOF;
		delete_range(e, e->pos, next_char(e, e->pos));
		break;
	default:
		if (c < 0x20)
			return LE_NONE;		/* other control keys */
		insert(e, c);
		break;
	}
	le_show(e);
	return LE_NONE;
}

const char *le_line(const struct lineedit *e)
{
	return e->buf;
}

void le_accept(struct lineedit *e)
{
	if (e->len && (!e->hist_n || strcmp(e->hist[e->hist_n - 1], e->buf))) {
		char *copy = strdup(e->buf);

		if (copy) {
			if (e->hist_n == LE_HISTORY) {
				free(e->hist[0]);
				memmove(e->hist, e->hist + 1,
					(LE_HISTORY - 1) * sizeof(e->hist[0]));
				e->hist_n--;
			}
			e->hist[e->hist_n++] = copy;
		}
	}
	e->hist_at = e->hist_n;
	free(e->hist_draft);
	e->hist_draft = NULL;
	set_text(e, "");
}
