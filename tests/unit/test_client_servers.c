/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_client_servers.c - unit tests of chat-client's relay list and
 * reconnection schedule (chat/client/client_servers.c): what --server accepts and
 * refuses, the order, and that the backoff doubles from 0.2 s, stays
 * within +-50 % and never exceeds the cap, however many attempts failed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "client/client_servers.h"

static void test_good_arguments(void **state)
{
	struct client_servers l = { 0 };
	char err[256];

	(void)state;
	assert_int_equal(client_servers_add_arg(&l, "127.0.0.1:35001", err, sizeof(err)), 0);
	assert_int_equal(client_servers_add_arg(&l, "[::1]:7", err, sizeof(err)), 0);
	assert_int_equal(client_servers_add_arg(&l, "relay-2.example.org:65535", err, sizeof(err)), 0);
	assert_int_equal(client_servers_add_arg(&l, "[fe80::1%lo]:80", err, sizeof(err)), 0);
	assert_int_equal(client_servers_add(&l, "localhost", NULL, err, sizeof(err)), 0);
	assert_int_equal(l.n, 5);
	assert_string_equal(l.list[0].host, "127.0.0.1");
	assert_string_equal(l.list[0].port, "35001");
	assert_string_equal(l.list[1].host, "::1");
	assert_string_equal(l.list[1].label, "[::1]:7");
	assert_string_equal(l.list[2].label, "relay-2.example.org:65535");
	assert_string_equal(l.list[3].host, "fe80::1%lo");
	assert_string_equal(l.list[4].port, "35001");	/* the default */
}

static void test_bad_arguments(void **state)
{
	static const char *const bad[] = {
		"127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536",
		"127.0.0.1:80x", "127.0.0.1:-1", ":80", "::1:80", "[::1]80",
		"[::1]", "[]:80", "[1.2.3.4]:80", "a b:80", "host/x:80",
		"x:123456", "ho\tst:1", "",
	};
	struct client_servers l = { 0 };
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (client_servers_add_arg(&l, bad[i], err, sizeof(err)) != -1)
			fail_msg("accepted '%s'", bad[i]);
		assert_true(err[0] != '\0');
	}
	assert_int_equal(l.n, 0);
	assert_int_equal(client_servers_add(&l, "h", "0", err, sizeof(err)), -1);
	assert_int_equal(client_servers_add(&l, "h", "http", err, sizeof(err)), -1);
}

static void test_list_full_and_order(void **state)
{
	struct client_servers l = { 0 };
	char err[256], arg[32];
	unsigned i;

	(void)state;
	for (i = 0; i < CLIENT_SERVERS_MAX; i++) {
		snprintf(arg, sizeof(arg), "h%u:%u", i, i + 1);
		assert_int_equal(client_servers_add_arg(&l, arg, err, sizeof(err)), 0);
	}
	assert_int_equal(client_servers_add_arg(&l, "one:1", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "at most"));
	assert_string_equal(client_servers_current(&l)->host, "h0");
	for (i = 1; i <= CLIENT_SERVERS_MAX; i++)
		assert_ptr_equal(client_servers_advance(&l),
				 &l.list[i % CLIENT_SERVERS_MAX]);
}

static void test_backoff(void **state)
{
	static const uint32_t rnd[] = { 0, 1u << 31, UINT32_MAX };
	unsigned f;
	size_t k;

	(void)state;
	/* no jitter (rnd = 2^31: factor 1): 200, 400, 800 ... 10000 */
	assert_int_equal(client_backoff_ms(0, 1u << 31), 200);
	assert_int_equal(client_backoff_ms(1, 1u << 31), 400);
	assert_int_equal(client_backoff_ms(5, 1u << 31), 6400);
	assert_int_equal(client_backoff_ms(6, 1u << 31), 10000);
	assert_int_equal(client_backoff_ms(0, 0), 100);		/* -50 % */
	for (f = 0; f < 200; f++) {
		uint64_t nominal = 200;
		unsigned i;

		for (i = 0; i < f && nominal < CLIENT_BACKOFF_CAP_MS; i++)
			nominal *= 2;
		if (nominal > CLIENT_BACKOFF_CAP_MS)
			nominal = CLIENT_BACKOFF_CAP_MS;
		for (k = 0; k < sizeof(rnd) / sizeof(rnd[0]); k++) {
			uint64_t d = client_backoff_ms(f, rnd[k]);

			assert_true(d >= nominal / 2);
			assert_true(d < nominal + nominal / 2);
			assert_true(d < CLIENT_BACKOFF_CAP_MS * 3 / 2);
		}
	}
}

static void test_schedule_counts_and_resets(void **state)
{
	struct client_servers l = { 0 };
	unsigned i;

	(void)state;
	for (i = 0; i < 100; i++)
		assert_true(client_servers_next_delay(&l) < CLIENT_BACKOFF_CAP_MS * 3 / 2);
	assert_true(client_servers_next_delay(&l) >= CLIENT_BACKOFF_CAP_MS / 2);
	client_servers_reset_backoff(&l);
	assert_true(client_servers_next_delay(&l) < CLIENT_BACKOFF_BASE_MS * 3 / 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_arguments),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_list_full_and_order),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_schedule_counts_and_resets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
