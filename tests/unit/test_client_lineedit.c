/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_client_lineedit.c - unit tests of the chat client's line editor
 * (chat/client_lineedit.c): keys fed byte by byte, the resulting line and
 * cursor, history, UTF-8 aware movement, and the one-row rendering.
 * Does not own: the terminal itself (the tmux test in
 * tests/suite-30-chat-client.sh).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "client_lineedit.h"

struct fx {
	struct lineedit le;
	FILE *out;
	char *screen;
	size_t screen_len;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->out = open_memstream(&f->screen, &f->screen_len);
	assert_non_null(f->out);
	assert_int_equal(le_init(&f->le, f->out, "me> "), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	le_free(&f->le);
	fclose(f->out);
	free(f->screen);
	free(f);
	return 0;
}

/* Feed a string; return the last non-NONE event. */
static enum le_event feed(struct fx *f, const char *keys)
{
	enum le_event ev = LE_NONE, e;

	for (const char *p = keys; *p; p++) {
		e = le_feed(&f->le, (unsigned char)*p);
		if (e != LE_NONE)
			ev = e;
	}
	return ev;
}

#define LEFT	"\x1b[D"
#define RIGHT	"\x1b[C"
#define UP	"\x1b[A"
#define DOWN	"\x1b[B"
#define HOME	"\x1b[H"
#define END	"\x1b[F"
#define DEL	"\x1b[3~"
#define BS	"\x7f"

static void test_insert_and_move(void **state)
{
	struct fx *f = *state;

	assert_int_equal(feed(f, "hello" LEFT LEFT "X"), LE_NONE);
	assert_string_equal(le_line(&f->le), "helXlo");
	assert_int_equal(f->le.pos, 4);
	feed(f, BS);
	assert_string_equal(le_line(&f->le), "hello");
	feed(f, HOME "A" END "Z");
	assert_string_equal(le_line(&f->le), "AhelloZ");
	feed(f, "\x01" DEL);		/* ^A, Delete */
	assert_string_equal(le_line(&f->le), "helloZ");
	feed(f, "\x05" "\x02" "\x0b");	/* ^E ^B ^K */
	assert_string_equal(le_line(&f->le), "hello");
	feed(f, "\x1bOD" "\x06" "!");	/* SS3 Left, ^F */
	assert_string_equal(le_line(&f->le), "hello!");
	feed(f, RIGHT RIGHT "?");	/* Right at the end stays at the end */
	assert_string_equal(le_line(&f->le), "hello!?");
}

static void test_kill_word_and_line(void **state)
{
	struct fx *f = *state;

	feed(f, "one two  three");
	feed(f, "\x17");		/* ^W */
	assert_string_equal(le_line(&f->le), "one two  ");
	feed(f, "\x17");
	assert_string_equal(le_line(&f->le), "one ");
	feed(f, "x" LEFT "\x15");	/* ^U kills before the cursor */
	assert_string_equal(le_line(&f->le), "x");
	assert_int_equal(f->le.pos, 0);
}

static void test_enter_eof_and_control_keys(void **state)
{
	struct fx *f = *state;

	assert_int_equal(feed(f, "\x04"), LE_EOF);	/* ^D on empty */
	feed(f, "ab\x07\x1b" "x" "c");	/* bell ignored, Alt+x ignored */
	assert_string_equal(le_line(&f->le), "abc");
	assert_int_equal(feed(f, LEFT "\x04"), LE_NONE);	/* ^D deletes */
	assert_string_equal(le_line(&f->le), "ab");
	assert_int_equal(feed(f, "\r"), LE_LINE);
	assert_string_equal(le_line(&f->le), "ab");
	le_accept(&f->le);
	assert_string_equal(le_line(&f->le), "");
	assert_int_equal(feed(f, "q\n"), LE_LINE);
	feed(f, "\x1b[200~");		/* bracketed paste mark ignored */
	assert_string_equal(le_line(&f->le), "q");
}

static void test_history(void **state)
{
	struct fx *f = *state;

	feed(f, "first\r");
	le_accept(&f->le);
	feed(f, "second\r");
	le_accept(&f->le);
	feed(f, "draft");
	feed(f, UP);
	assert_string_equal(le_line(&f->le), "second");
	feed(f, UP UP UP);
	assert_string_equal(le_line(&f->le), "first");
	feed(f, DOWN);
	assert_string_equal(le_line(&f->le), "second");
	feed(f, DOWN);
	assert_string_equal(le_line(&f->le), "draft");
	feed(f, "\x10");		/* ^P */
	assert_string_equal(le_line(&f->le), "second");
}

static void test_utf8_movement(void **state)
{
	struct fx *f = *state;

	feed(f, "a\xc3\xa9\xe2\x82\xac");	/* a é € */
	feed(f, LEFT);
	assert_int_equal(f->le.pos, 3);
	feed(f, LEFT BS);
	assert_string_equal(le_line(&f->le), "\xc3\xa9\xe2\x82\xac");
	feed(f, RIGHT DEL);
	assert_string_equal(le_line(&f->le), "\xc3\xa9");
}

/* A line longer than the row scrolls: the cursor stays on screen and the
 * row never wraps (80 columns when the output is not a terminal). */
static void test_render_scrolls(void **state)
{
	struct fx *f = *state;
	char line[300];
	char *last;

	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	line[0] = 'S';
	feed(f, line);
	fflush(f->out);
	last = strrchr(f->screen, '\r');
	assert_non_null(last);
	/* the last redraw shows the prompt and at most 80 - 4 - 1 characters */
	le_hide(&f->le);
	le_show(&f->le);
	fflush(f->out);
	{
		char *draw = strstr(f->screen + (last - f->screen), "me> ");

		assert_non_null(draw);
		assert_null(strchr(draw, 'S'));	/* scrolled past the start */
	}
	feed(f, HOME);
	fflush(f->out);
	assert_non_null(strstr(f->screen + (last - f->screen), "me> Sxxx"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_insert_and_move, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kill_word_and_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enter_eof_and_control_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_history, setup, teardown),
		cmocka_unit_test_setup_teardown(test_utf8_movement, setup, teardown),
		cmocka_unit_test_setup_teardown(test_render_scrolls, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
