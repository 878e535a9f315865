/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_federation.c - unit tests of what chat-server's federation is made
 * of without NATS: the federation message codec (fed_wire.c), the table of
 * other relays (relay_peers.c), remote members of rooms (room_table.c) and
 * connection ids from one relay's range (id_alloc.c).
 *
 * Does not own: NATS, relays talking over it (tests/suite-25-chat-federation.sh).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "server/fed_wire.h"
#include "server/id_alloc.h"
#include "server/relay_peers.h"
#include "server/room_table.h"

static const uint8_t ROOM[CHAT_ROOM_ID_LEN] = "0123456789abcdef";
#define R2(n)	(2u << FED_ID_SHIFT | (n))

static size_t encode(uint8_t *buf, struct fed_msg *m, const uint32_t *ids)
{
	m->relay = 2;
	m->instance = 0x1122334455667788ull;
	return fed_encode(buf, m, ids);
}

static void test_wire_roundtrip(void **state)
{
	static uint8_t buf[FED_MSG_HDR_LEN + 64];
	const uint32_t ids[] = { R2(1), R2(9), R2(0xffffff) };
	struct fed_msg m = { .type = FED_T_MSG, .room = ROOM, .id = R2(7),
			     .unix_ms = 1700000000123ull, .data = (const uint8_t *)"sealed",
			     .len = 6 }, p;
	size_t n;

	(void)state;
	n = encode(buf, &m, NULL);
	assert_int_equal(n, FED_MSG_HDR_LEN + 6);
	assert_int_equal(fed_parse(buf, n, &p), 0);
	assert_int_equal(p.type, FED_T_MSG);
	assert_int_equal(p.relay, 2);
	assert_true(p.instance == 0x1122334455667788ull);
	assert_memory_equal(p.room, ROOM, CHAT_ROOM_ID_LEN);
	assert_int_equal(p.id, R2(7));
	assert_true(p.unix_ms == 1700000000123ull);
	assert_int_equal(p.len, 6);
	assert_memory_equal(p.data, "sealed", 6);
	/* the sealed bytes end where the message does; any cut into the
	 * header is rejected */
	assert_int_equal(fed_parse(buf, n - 1, &p), 0);
	assert_int_equal(p.len, 5);
	for (n = FED_MSG_HDR_LEN + 1; n-- > 0;)
		assert_int_equal(fed_parse(buf, n, &p), -EBADMSG);

	m = (struct fed_msg){ .type = FED_T_SNAPSHOT, .room = ROOM, .len = 3 };
	n = encode(buf, &m, ids);
	assert_int_equal(fed_parse(buf, n, &p), 0);
	assert_int_equal(p.len, 3);
	assert_int_equal(fed_snapshot_id(&p, 2), R2(0xffffff));
	assert_int_equal(fed_parse(buf, n - 1, &p), -EBADMSG);

	m = (struct fed_msg){ .type = FED_T_LEAVE, .room = ROOM, .id = R2(3),
			      .reason = CHAT_LEAVE_PART };
	n = encode(buf, &m, NULL);
	assert_int_equal(fed_parse(buf, n, &p), 0);
	assert_int_equal(p.reason, CHAT_LEAVE_PART);
	buf[n - 1] = CHAT_LEAVE_PART + 1;	/* unknown reason */
	assert_int_equal(fed_parse(buf, n, &p), -EBADMSG);

	m = (struct fed_msg){ .type = FED_T_RESYNC, .target = 42 };
	n = encode(buf, &m, NULL);
	assert_int_equal(fed_parse(buf, n, &p), 0);
	assert_null(p.room);
	assert_true(p.target == 42);
}

static void test_wire_rejects(void **state)
{
	uint8_t buf[FED_MSG_HDR_LEN + 8];
	const uint32_t bad_ids[] = { R2(1), 3u << FED_ID_SHIFT | 1 };
	struct fed_msg m = { .type = FED_T_JOIN, .room = ROOM, .id = R2(0) }, p;
	size_t n;

	(void)state;
	n = encode(buf, &m, NULL);	/* id 0 of relay 2 */
	assert_int_equal(fed_parse(buf, n, &p), -EBADMSG);
	m.id = 3u << FED_ID_SHIFT | 1;	/* another relay's id */
	n = encode(buf, &m, NULL);
	assert_int_equal(fed_parse(buf, n, &p), -EBADMSG);
	m.id = R2(1);
	n = encode(buf, &m, NULL);
	assert_int_equal(fed_parse(buf, n, &p), 0);
	buf[0] = 2;			/* version */
	assert_int_equal(fed_parse(buf, n, &p), -EBADMSG);
	buf[0] = 1;
	buf[3] = 1;			/* reserved byte */
	assert_int_equal(fed_parse(buf, n, &p), -EBADMSG);
	buf[3] = 0;
	buf[1] = 99;			/* type */
	assert_int_equal(fed_parse(buf, n, &p), -EBADMSG);
	buf[1] = FED_T_HEARTBEAT;	/* a heartbeat has no body */
	assert_int_equal(fed_parse(buf, n, &p), -EBADMSG);
	assert_int_equal(fed_parse(buf, FED_HDR_LEN, &p), 0);
	memset(buf + 4, 0, 8);		/* instance 0 */
	assert_int_equal(fed_parse(buf, FED_HDR_LEN, &p), -EBADMSG);

	m = (struct fed_msg){ .type = FED_T_SNAPSHOT, .room = ROOM, .len = 2 };
	n = encode(buf, &m, bad_ids);
	assert_int_equal(fed_parse(buf, n, &p), -EBADMSG);
	m = (struct fed_msg){ .type = FED_T_MSG, .room = ROOM, .id = R2(1), .len = 0 };
	n = encode(buf, &m, NULL);	/* empty message */
	assert_int_equal(fed_parse(buf, n, &p), -EBADMSG);
}

static void test_subject(void **state)
{
	char s[FED_SUBJECT_LEN];
	uint8_t id[CHAT_ROOM_ID_LEN];

	(void)state;
	memset(id, 0xab, sizeof(id));
	id[15] = 0x01;
	fed_room_subject(s, id, FED_T_MSG);
	assert_string_equal(s, "vcdchat.room.ababababababababababababababab01.msg");
	fed_room_subject(s, id, FED_T_SNAPSHOT);
	assert_string_equal(s, "vcdchat.room.ababababababababababababababab01.ctl");
	fed_room_subject(s, id, FED_T_JOIN);
	assert_string_equal(s, "vcdchat.room.ababababababababababababababab01.ctl");
	fed_room_subject(s, id, 0);
	assert_string_equal(s, "vcdchat.room.ababababababababababababababab01.*");
	assert_int_equal(strlen(s) + 1, FED_SUBJECT_LEN - 2);
}

static void test_peers(void **state)
{
	struct relay_peers t;

	(void)state;
	relay_peers_init(&t);
	assert_true(relay_peers_next_due(&t) == UINT64_MAX);
	assert_int_equal(relay_peers_seen(&t, 2, 100, 1000), PEER_NEW);
	assert_int_equal(relay_peers_seen(&t, 2, 100, 1500), PEER_KNOWN);
	assert_int_equal(relay_peers_seen(&t, 3, 200, 2000), PEER_NEW);
	assert_true(relay_peers_next_due(&t) == 1500 + FED_EXPIRE_MS);
	assert_int_equal(relay_peers_expire(&t, 1500 + FED_EXPIRE_MS - 1), 0);
	assert_int_equal(relay_peers_expire(&t, 1500 + FED_EXPIRE_MS), 2);
	assert_int_equal(relay_peers_expire(&t, 1500 + FED_EXPIRE_MS), 0);
	/* back after it expired: new again; restarted: another instance */
	assert_int_equal(relay_peers_seen(&t, 2, 100, 6000), PEER_NEW);
	assert_int_equal(relay_peers_seen(&t, 3, 201, 6000), PEER_RESTARTED);
	assert_int_equal(relay_peers_seen(&t, 3, 201, 6100), PEER_KNOWN);
}

static void test_remote_members(void **state)
{
	struct room_table t;
	struct room_member *m;
	struct room *r;
	uint32_t ids[8], n;
	uint64_t next;
	int owner;

	(void)state;
	assert_int_equal(room_table_init(&t), 0);
	m = room_join(&t, ROOM, &owner, 1u << FED_ID_SHIFT | 1, 1000);
	assert_non_null(m);
	r = m->room;
	assert_int_equal(room_remote_join(&t, r, R2(5), 0, 1001), 0);
	assert_int_equal(room_remote_join(&t, r, R2(6), 0, 1001), 0);
	assert_int_equal(room_remote_join(&t, r, 3u << FED_ID_SHIFT | 1, 0, 1001), 0);
	assert_int_equal(room_remote_join(&t, r, R2(5), 0, 1002), 1);	/* known */
	assert_int_equal(room_size(r), 4);
	assert_int_equal(r->n, 1);	/* fan-out is local only */
	member_index_page(&r->order, 0, ids, 8, &n, &next);
	assert_int_equal(n, 4);		/* WHO lists everyone */
	assert_int_equal(room_remote_leave(&t, r, R2(6), CHAT_LEAVE_QUIT, 1003), 0);
	assert_int_equal(room_remote_leave(&t, r, R2(6), CHAT_LEAVE_QUIT, 1003), -ENOENT);
	/* a snapshot of relay 2 listing R2(7) only (mark 9): R2(5) goes */
	assert_int_equal(room_remote_join(&t, r, R2(7), 9, 1004), 0);
	assert_int_equal(room_remote_sweep(&t, r, 2, 9, CHAT_LEAVE_QUIT, 1004), 1);
	assert_int_equal(room_size(r), 3);
	/* relay 3 expires */
	assert_int_equal(room_remote_sweep(&t, r, 3, 0, CHAT_LEAVE_TIMEOUT, 1005), 1);
	assert_int_equal(room_size(r), 2);
	/* the last local member takes the room and its remote members along */
	assert_int_equal(room_leave(&t, m, CHAT_LEAVE_QUIT, 1, 1006), 0);
	assert_null(room_find(&t, ROOM));
	assert_int_equal(t.bytes, 64 * sizeof(struct room *));
	room_table_free(&t);
}

static void test_id_range(void **state)
{
	const uint32_t lo = 5u << FED_ID_SHIFT | 1, hi = 5u << FED_ID_SHIFT | 3;
	struct id_alloc a;
	uint32_t id;

	(void)state;
	id_alloc_init(&a, 0);
	id_alloc_set_range(&a, lo, hi, lo);	/* start after lo */
	assert_int_equal(id_alloc_take(&a, &id), 0);
	assert_int_equal(id, lo + 1);
	assert_int_equal(id_alloc_take(&a, &id), 0);
	assert_int_equal(id, hi);
	assert_int_equal(id_alloc_take(&a, &id), 1);	/* wrapped */
	assert_int_equal(id, lo);
	assert_int_equal(id_alloc_take(&a, &id), -ENOSPC);
	id_alloc_release(&a, lo + 1);
	assert_int_equal(id_alloc_take(&a, &id), 0);
	assert_int_equal(id, lo + 1);
	id_alloc_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wire_roundtrip),
		cmocka_unit_test(test_wire_rejects),
		cmocka_unit_test(test_subject),
		cmocka_unit_test(test_peers),
		cmocka_unit_test(test_remote_members),
		cmocka_unit_test(test_id_range),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
