/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_client_fmt.c - unit tests of how chat-client prints an event line
 * (chat/client/client_fmt.c): the exact plain format, colours only when asked, and
 * the filter that keeps other members from driving the terminal or
 * splitting one event into several lines.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "client/client_fmt.h"

/* Format one line into a string (caller frees). */
static char *fmt(int colour, enum client_line_kind kind, const char *nick,
		 const char *text, size_t len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	assert_non_null(f);
	/* 12:34:56 UTC; the line shows local time, so use TZ=UTC (main). */
	client_fmt_line(f, colour, kind, 45296000u, NULL, nick, (const uint8_t *)text,
			len);
	fclose(f);
	return buf;
}

static void test_plain_format(void **state)
{
	char *s;

	(void)state;
	s = fmt(0, CLIENT_LINE_MSG, "alice", "hello there", 11);
	assert_string_equal(s, "[12:34:56] <alice> hello there\n");
	free(s);
	s = fmt(0, CLIENT_LINE_OWN, "me", "x", 1);
	assert_string_equal(s, "[12:34:56] <me> x\n");
	free(s);
	s = fmt(0, CLIENT_LINE_NOTICE, NULL, "7 joined", 8);
	assert_string_equal(s, "[12:34:56] * 7 joined\n");
	free(s);
	s = fmt(0, CLIENT_LINE_WARN, NULL, "careful", 7);
	assert_string_equal(s, "[12:34:56] * careful\n");
	free(s);
	s = fmt(0, CLIENT_LINE_MSG, "a", "", 0);
	assert_string_equal(s, "[12:34:56] <a> \n");
	free(s);
}

static void test_colour_only_when_asked(void **state)
{
	char *s;

	(void)state;
	s = fmt(0, CLIENT_LINE_WARN, NULL, "w", 1);
	assert_null(strchr(s, '\x1b'));
	free(s);
	s = fmt(1, CLIENT_LINE_WARN, NULL, "w", 1);
	assert_non_null(strstr(s, "\x1b["));
	assert_non_null(strstr(s, "* w"));
	free(s);
	s = fmt(1, CLIENT_LINE_MSG, "bob", "hi", 2);
	assert_non_null(strstr(s, "<bob>"));
	assert_non_null(strstr(s, " hi\n"));
	free(s);
}

/* What a member sends cannot move the cursor, recolour, or add lines. */
static void test_filter(void **state)
{
	static const struct {
		const char *in;
		size_t len;
		const char *out;
	} cases[] = {
		{ "a\nb", 3, "a?b" },
		{ "\r\t\x07", 3, "???" },
		{ "\x1b[2J\x1b]0;title\x07", 14, "?[2J?]0;title?" },
		{ "\x7f", 1, "?" },
		{ "\xc2\x9b" "31m", 5, "?" "?" "31m" },		/* C1 CSI */
		{ "\xc2\x85", 2, "??" },			/* C1 NEL */
		{ "\xff\xfe", 2, "??" },			/* not UTF-8 */
		{ "\xc0\xaf", 2, "??" },			/* overlong */
		{ "\xed\xa0\x80", 3, "???" },			/* surrogate */
		{ "\xe2\x82", 2, "??" },			/* cut short */
		{ "\xce\xba\xce\xb1\xce\xbb\xce\xb7", 8,
		  "\xce\xba\xce\xb1\xce\xbb\xce\xb7" },		/* Greek */
		{ "\xe2\x82\xac \xf0\x9f\x99\x82", 8,
		  "\xe2\x82\xac \xf0\x9f\x99\x82" },		/* € and emoji */
		{ "nul\0byte", 8, "nul?byte" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *buf = NULL;
		size_t n = 0;
		FILE *f = open_memstream(&buf, &n);

		assert_non_null(f);
		client_fmt_safe(f, (const uint8_t *)cases[i].in, cases[i].len);
		fclose(f);
		assert_string_equal(buf, cases[i].out);
		free(buf);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_format),
		cmocka_unit_test(test_colour_only_when_asked),
		cmocka_unit_test(test_filter),
	};

	setenv("TZ", "UTC", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
