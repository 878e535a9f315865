/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * client_fmt.h - how the client prints one event line:
 *   [HH:MM:SS] <nick> text     a message
 *   [HH:MM:SS] * text          a notice or a warning
 *   [HH:MM:SS] #room <nick> text   (when the client is in several rooms)
 *   [HH:MM:SS] (history) <nick> text   a message of the room's history
 *                              (with the date, [Mon DD HH:MM:SS], when it
 *                              is from another day)
 * with the time in local time, optional ANSI colours, and every byte that
 * could drive the terminal (control characters, invalid UTF-8, C1 codes)
 * or change how the rest of the line reads (bidirectional overrides,
 * zero-width and other invisible characters) replaced by '?', so that one
 * event is always exactly one line and shows what it says.
 *
 * Does not own: where lines go (the tty or pipe front end decides).
 */
#ifndef VCD_CHAT_CLIENT_FMT_H
#define VCD_CHAT_CLIENT_FMT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum client_line_kind {
	CLIENT_LINE_MSG,	/* someone else's message */
	CLIENT_LINE_OWN,	/* our own message (the terminal echoes it) */
	CLIENT_LINE_NOTICE,	/* joined, left, nick changes, /who */
	CLIENT_LINE_WARN,	/* authentication failures and other warnings */
	CLIENT_LINE_HISTORY,	/* a message of the room's history */
};

/* Current time in unix milliseconds. */
uint64_t client_now_ms(void);

/* Print one line (with its '\n') to f. room: printed after the time when
 * not NULL; nick is used for MSG/OWN/HISTORY only. */
void client_fmt_line(FILE *f, int colour, enum client_line_kind kind,
		     uint64_t unix_ms, const char *room, const char *nick,
		     const uint8_t *text, size_t len);

/* Length of the character at p (valid UTF-8, printable, visible), or 0
 * when it would be replaced. */
size_t client_fmt_char_shown(const uint8_t *p, size_t avail);

/* Write text to f with unsafe bytes replaced (no newline added). */
void client_fmt_safe(FILE *f, const uint8_t *text, size_t len);

#endif /* VCD_CHAT_CLIENT_FMT_H */
