/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * client_fmt.c - format one event line for display (see client_fmt.h).
 */
#include "client_fmt.h"

#include "proto/clock.h"

#include <string.h>
#include <time.h>

#define C_RESET	"\x1b[0m"
#define C_TIME	"\x1b[2m"
#define C_NICK	"\x1b[1;36m"
#define C_OWN	"\x1b[1;32m"
#define C_NOTE	"\x1b[33m"
#define C_WARN	"\x1b[1;31m"

uint64_t client_now_ms(void)
{
	return clock_wall_ms();
}

/*
 * Code points that change how other text is shown without being seen
 * themselves: bidirectional embeddings, overrides, isolates and marks,
 * zero-width characters, invisible fillers, tag characters.  A member could
 * use them to make a line read differently from what it says (e.g. make
 * "<alice>" out of another nick), so they are never printed.
 */
static int invisible(uint32_t cp)
{
	return cp == 0x00ad || cp == 0x034f || cp == 0x061c || cp == 0x115f ||
	       cp == 0x1160 || cp == 0x17b4 || cp == 0x17b5 || cp == 0x180e ||
	       (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2060 && cp <= 0x206f) || cp == 0x3164 || cp == 0xfeff ||
	       cp == 0xffa0 || (cp >= 0xfff0 && cp <= 0xfffb) ||
	       (cp >= 0xe0000 && cp <= 0xe0fff);
}

/* Length of the valid, printable UTF-8 sequence at p, or 0. */
static size_t utf8_seq(const uint8_t *p, size_t avail)
{
	uint32_t cp;
	size_t n;

	if (p[0] < 0x80)
		return (p[0] >= 0x20 && p[0] != 0x7f) ? 1 : 0;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2; cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3; cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4; cp = p[0] & 0x07;
	} else {
		return 0;
	}
	if (avail < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f) ||
	    invisible(cp))
		return 0;
	return n;
}

size_t client_fmt_char_shown(const uint8_t *p, size_t avail)
{
	return avail ? utf8_seq(p, avail) : 0;
}

void client_fmt_safe(FILE *f, const uint8_t *text, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t n = utf8_seq(text + i, len - i);

		if (n) {
			fwrite(text + i, 1, n, f);
			i += n;
		} else {
			fputc('?', f);
			i++;
		}
	}
}

void client_fmt_line(FILE *f, int colour, enum client_line_kind kind,
		     uint64_t unix_ms, const char *room, const char *nick,
		     const uint8_t *text, size_t len)
{
	time_t t = (time_t)(unix_ms / 1000u), now = time(NULL);
	struct tm tm, today;
	char ts[24] = "??:??:??";

	if (localtime_r(&t, &tm)) {
		int other_day = kind == CLIENT_LINE_HISTORY && localtime_r(&now, &today) &&
				(tm.tm_yday != today.tm_yday || tm.tm_year != today.tm_year);

		strftime(ts, sizeof(ts), other_day ? "%b %d %H:%M:%S" : "%H:%M:%S", &tm);
	}
	fprintf(f, "%s[%s]%s ", colour ? C_TIME : "", ts, colour ? C_RESET : "");
	if (room) {
		fputc('#', f);
		client_fmt_safe(f, (const uint8_t *)room, strlen(room));
		fputc(' ', f);
	}
	switch (kind) {
	case CLIENT_LINE_HISTORY:
		fputs(colour ? C_NOTE : "", f);
		fputs("(history) ", f);
		fputs(colour ? C_RESET : "", f);
		/* fall through */
	case CLIENT_LINE_MSG:
	case CLIENT_LINE_OWN:
		fputs(colour ? (kind == CLIENT_LINE_OWN ? C_OWN : C_NICK) : "", f);
		fputc('<', f);
		client_fmt_safe(f, (const uint8_t *)nick, strlen(nick));
		fputc('>', f);
		fputs(colour ? C_RESET : "", f);
		fputc(' ', f);
		client_fmt_safe(f, text, len);
		break;
	case CLIENT_LINE_NOTICE:
	case CLIENT_LINE_WARN:
		fputs(colour ? (kind == CLIENT_LINE_WARN ? C_WARN : C_NOTE) : "", f);
		fputs("* ", f);
		client_fmt_safe(f, text, len);
		fputs(colour ? C_RESET : "", f);
		break;
	}
	fputc('\n', f);
}
