/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_client_keyq.c - unit tests of the terminal byte queue of the chat
 * client (chat/client/client_keyq.c): bytes in order, reads straight into the
 * queue, compaction, and the held lone ESC (held only when alone, goes in
 * front of the next input, handed out when asked for, expires at its
 * deadline).  Does not own: readline or the terminal (the tmux tests in
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

#include "client/client_keyq.h"

static int setup(void **state)
{
	struct keyq *q = malloc(sizeof(*q));

	assert_non_null(q);
	assert_int_equal(keyq_init(q, 16), 0);
	*state = q;
	return 0;
}

static int teardown(void **state)
{
	keyq_free(*state);
	free(*state);
	return 0;
}

static void push_str(struct keyq *q, const char *s)
{
	assert_int_equal(keyq_push(q, (const unsigned char *)s, strlen(s)), strlen(s));
}

/* Pop everything ready into a string. */
static void drain(struct keyq *q, char *out, size_t cap)
{
	size_t n = 0;

	while (keyq_ready(q) && n + 1 < cap)
		out[n++] = (char)keyq_pop(q);
	out[n] = 0;
}

static void test_bytes_in_order(void **state)
{
	struct keyq *q = *state;
	char out[32];

	assert_int_equal(keyq_ready(q), 0);
	assert_int_equal(keyq_pop(q), -1);
	assert_int_equal(keyq_peek(q), -1);
	push_str(q, "abc");
	push_str(q, "de");
	assert_int_equal(keyq_ready(q), 5);
	assert_int_equal(keyq_peek(q), 'a');
	drain(q, out, sizeof(out));
	assert_string_equal(out, "abcde");
	assert_int_equal(keyq_pop(q), -1);
}

static void test_read_into_tail_and_compaction(void **state)
{
	struct keyq *q = *state;
	size_t room;
	unsigned char *t = keyq_tail(q, &room);
	char out[32];

	assert_int_equal(room, 16);
	memcpy(t, "0123456789abcdef", 16);
	keyq_commit(q, 16);
	t = keyq_tail(q, &room);
	assert_int_equal(room, 0);	/* full: a read would get nothing */
	for (int i = 0; i < 10; i++)
		keyq_pop(q);
	t = keyq_tail(q, &room);	/* the 6 left move to the front */
	assert_int_equal(room, 10);
	memcpy(t, "XY", 2);
	keyq_commit(q, 2);
	drain(q, out, sizeof(out));
	assert_string_equal(out, "abcdefXY");
	/* more than fits is cut to the room */
	assert_int_equal(keyq_push(q, (const unsigned char *)"0123456789abcdefgh", 18), 16);
}

static void test_lone_esc_is_held(void **state)
{
	struct keyq *q = *state;

	push_str(q, "\x1b");
	assert_int_equal(keyq_hold_lone_esc(q, 1000, 500), 1);
	assert_int_equal(keyq_ready(q), 0);	/* not offered to readline */
	assert_int_equal(keyq_wait_ms(q, 1000), 500);
	assert_int_equal(keyq_wait_ms(q, 1300), 200);
	assert_int_equal(keyq_take_expired(q, 1499), 0);
	assert_int_equal(keyq_take_expired(q, 1500), 1);
	assert_int_equal(keyq_wait_ms(q, 1500), -1);	/* gone */
	assert_int_equal(keyq_take_expired(q, 2000), 0);
	assert_int_equal(keyq_pop(q), -1);
}

static void test_esc_not_alone_is_not_held(void **state)
{
	struct keyq *q = *state;
	char out[32];

	push_str(q, "\x1b[A");			/* an arrow key */
	assert_int_equal(keyq_hold_lone_esc(q, 0, 500), 0);
	push_str(q, "x");
	drain(q, out, sizeof(out));
	assert_string_equal(out, "\x1b[Ax");
	push_str(q, "a");			/* one byte, not ESC */
	assert_int_equal(keyq_hold_lone_esc(q, 0, 500), 0);
	assert_int_equal(keyq_pop(q), 'a');
	assert_int_equal(keyq_hold_lone_esc(q, 0, 500), 0);	/* empty */
	assert_int_equal(keyq_wait_ms(q, 0), -1);
}

static void test_held_esc_goes_before_new_input(void **state)
{
	struct keyq *q = *state;
	size_t room;
	unsigned char *t;
	char out[32];

	push_str(q, "\x1b");
	assert_int_equal(keyq_hold_lone_esc(q, 0, 500), 1);
	t = keyq_tail(q, &room);
	assert_int_equal(room, 15);		/* one byte kept for the ESC */
	keyq_commit(q, 0);			/* a read that got nothing */
	assert_int_equal(keyq_ready(q), 0);
	assert_int_equal(keyq_wait_ms(q, 100), 400);	/* still held */
	t = keyq_tail(q, &room);
	memcpy(t, "b", 1);			/* Alt+b arriving in two reads */
	keyq_commit(q, 1);
	assert_int_equal(keyq_wait_ms(q, 100), -1);
	drain(q, out, sizeof(out));
	assert_string_equal(out, "\x1b" "b");
}

static void test_held_esc_given_when_asked(void **state)
{
	struct keyq *q = *state;

	/* readline asks for the rest of a sequence: the ESC is part of it */
	push_str(q, "\x1b");
	assert_int_equal(keyq_hold_lone_esc(q, 0, 500), 1);
	assert_int_equal(keyq_pop(q), 0x1b);
	assert_int_equal(keyq_pop(q), -1);
	assert_int_equal(keyq_take_expired(q, 10000), 0);
}

static void test_huge_timeout_is_capped(void **state)
{
	struct keyq *q = *state;

	push_str(q, "\x1b");
	assert_int_equal(keyq_hold_lone_esc(q, 0, 4000000000u), 1);
	assert_int_equal(keyq_wait_ms(q, 0), 60000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bytes_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_into_tail_and_compaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lone_esc_is_held, setup, teardown),
		cmocka_unit_test_setup_teardown(test_esc_not_alone_is_not_held, setup, teardown),
		cmocka_unit_test_setup_teardown(test_held_esc_goes_before_new_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_held_esc_given_when_asked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_huge_timeout_is_capped, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
