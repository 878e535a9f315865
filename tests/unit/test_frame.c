/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_frame.c - unit tests of the chat frame codec (chat/proto/frame.c).
 *
 * Owns: header parsing (partial input, every error code), every decoder on
 * exact, short and long payloads, and encode/decode round trips.
 * Does not own: socket behaviour (tests/suite-20-chat-server.sh).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proto/frame.h"

static const uint8_t ROOM[CHAT_ROOM_ID_LEN] = "0123456789abcdef";

static void hdr(uint8_t *b, uint8_t ver, uint8_t type, uint16_t flags, uint32_t len)
{
	b[0] = ver;
	b[1] = type;
	b[2] = (uint8_t)(flags >> 8);
	b[3] = (uint8_t)flags;
	b[4] = (uint8_t)(len >> 24);
	b[5] = (uint8_t)(len >> 16);
	b[6] = (uint8_t)(len >> 8);
	b[7] = (uint8_t)len;
}

static void test_hdr_partial(void **state)
{
	uint8_t b[CHAT_HDR_LEN];
	struct chat_frame_hdr h;
	size_t n;

	(void)state;
	hdr(b, CHAT_PROTO_VERSION, CHAT_T_SEND, 0, 5);
	for (n = 0; n < CHAT_HDR_LEN; n++)
		assert_int_equal(chat_hdr_parse(b, n, &h), 0);
	assert_int_equal(chat_hdr_parse(b, CHAT_HDR_LEN, &h), 1);
	assert_int_equal(h.version, CHAT_PROTO_VERSION);
	assert_int_equal(h.type, CHAT_T_SEND);
	assert_int_equal(h.flags, 0);
	assert_int_equal(h.len, 5);
}

static void test_hdr_errors(void **state)
{
	uint8_t b[CHAT_HDR_LEN];
	struct chat_frame_hdr h;
	const uint8_t v = CHAT_PROTO_VERSION;

	(void)state;
	assert_int_equal(v, 3);
	hdr(b, 1, CHAT_T_SEND, 0, 5);	/* version 1 peers are not understood */
	assert_int_equal(chat_hdr_parse(b, sizeof(b), &h), -EPROTONOSUPPORT);
	assert_int_equal(h.version, 1);
	hdr(b, 2, CHAT_T_SEND, 0, 5);	/* nor version 2 (no HISTORY) */
	assert_int_equal(chat_hdr_parse(b, sizeof(b), &h), -EPROTONOSUPPORT);
	hdr(b, 4, CHAT_T_SEND, 0, 5);
	assert_int_equal(chat_hdr_parse(b, sizeof(b), &h), -EPROTONOSUPPORT);
	hdr(b, 0, CHAT_T_SEND, 0, 5);
	assert_int_equal(chat_hdr_parse(b, sizeof(b), &h), -EPROTONOSUPPORT);
	hdr(b, v, CHAT_T_SEND, 0, CHAT_MAX_PAYLOAD + 1);
	assert_int_equal(chat_hdr_parse(b, sizeof(b), &h), -EMSGSIZE);
	hdr(b, v, CHAT_T_SEND, 0, 0xffffffffu);
	assert_int_equal(chat_hdr_parse(b, sizeof(b), &h), -EMSGSIZE);
	hdr(b, v, CHAT_T_SEND, 0, CHAT_MAX_PAYLOAD);
	assert_int_equal(chat_hdr_parse(b, sizeof(b), &h), 1);
	hdr(b, v, CHAT_T_SEND, 1, 5);
	assert_int_equal(chat_hdr_parse(b, sizeof(b), &h), -EBADMSG);
	hdr(b, v, CHAT_T_SEND, 0x8000, 5);
	assert_int_equal(chat_hdr_parse(b, sizeof(b), &h), -EBADMSG);
	hdr(b, v, 0x00, 0, 0);
	assert_int_equal(chat_hdr_parse(b, sizeof(b), &h), -EBADMSG);
	hdr(b, v, 0x07, 0, 0);
	assert_int_equal(chat_hdr_parse(b, sizeof(b), &h), -EBADMSG);
	hdr(b, v, 0x80, 0, 0);
	assert_int_equal(chat_hdr_parse(b, sizeof(b), &h), -EBADMSG);
	hdr(b, v, 0x06, 0, 0);		/* after PART */
	assert_int_equal(chat_hdr_parse(b, sizeof(b), &h), -EBADMSG);
	hdr(b, v, 0x83, 0, 13);		/* LEFT of version 1 */
	assert_int_equal(chat_hdr_parse(b, sizeof(b), &h), -EBADMSG);
	hdr(b, v, 0x8b, 0, 0);		/* after HISTORY */
	assert_int_equal(chat_hdr_parse(b, sizeof(b), &h), -EBADMSG);
	hdr(b, v, 0xff, 0, 0);
	assert_int_equal(chat_hdr_parse(b, sizeof(b), &h), -EBADMSG);
}

static void test_type_direction(void **state)
{
	unsigned t, nc = 0, ns = 0;

	(void)state;
	for (t = 0; t < 256; t++) {
		nc += chat_type_from_client((uint8_t)t) != 0;
		ns += chat_type_from_server((uint8_t)t) != 0;
		assert_false(chat_type_from_client((uint8_t)t) &&
			     chat_type_from_server((uint8_t)t));
	}
	assert_int_equal(nc, 5);
	assert_int_equal(ns, 9);
	assert_true(chat_type_from_client(CHAT_T_SEND));
	assert_true(chat_type_from_client(CHAT_T_WHO));
	assert_true(chat_type_from_client(CHAT_T_PONG));
	assert_true(chat_type_from_client(CHAT_T_JOIN));
	assert_true(chat_type_from_client(CHAT_T_PART));
	assert_true(chat_type_from_server(CHAT_T_JOINED));
	assert_true(chat_type_from_server(CHAT_T_ERROR));
	assert_true(chat_type_from_server(CHAT_T_PING));
	assert_true(chat_type_from_server(CHAT_T_PRESENCE));
	assert_true(chat_type_from_server(CHAT_T_HISTORY));
	assert_false(chat_type_from_server(0x83));
	assert_false(chat_type_from_server(0x8b));
}

/* chat_frame_next: 1 only once the whole frame is there. */
static void test_frame_next(void **state)
{
	uint8_t b[CHAT_HDR_LEN + 5] = { 0 };
	struct chat_frame_hdr h;
	size_t n;

	(void)state;
	hdr(b, CHAT_PROTO_VERSION, CHAT_T_SEND, 0, 5);
	for (n = 0; n < CHAT_HDR_LEN; n++)
		assert_int_equal(chat_frame_next(b, n, &h), 0);
	for (; n < sizeof(b); n++)
		assert_int_equal(chat_frame_next(b, n, &h), 0);
	assert_int_equal(chat_frame_next(b, sizeof(b), &h), 1);
	assert_int_equal(h.len, 5);
	hdr(b, CHAT_PROTO_VERSION, 0x7f, 0, 5);
	assert_int_equal(chat_frame_next(b, CHAT_HDR_LEN, &h), -EBADMSG);
}

static void test_hdr_put_roundtrip(void **state)
{
	uint8_t b[CHAT_HDR_LEN];
	struct chat_frame_hdr h;

	(void)state;
	chat_hdr_put(b, CHAT_T_PONG, 0);
	assert_int_equal(chat_hdr_parse(b, sizeof(b), &h), 1);
	assert_int_equal(h.type, CHAT_T_PONG);
	assert_int_equal(h.len, 0);
	chat_hdr_put(b, CHAT_T_RELAY, 0x01020304u & (CHAT_MAX_PAYLOAD - 1));
	assert_int_equal(b[0], CHAT_PROTO_VERSION);
	assert_int_equal(b[2] | b[3], 0);
}

static void test_welcome(void **state)
{
	struct chat_welcome w = { .your_id = 0xdeadbeef, .clients = 42,
				  .max_rooms = 64 }, d;
	uint8_t out[CHAT_WELCOME_FRAME_LEN + 1];
	struct chat_frame_hdr h;
	size_t n;

	(void)state;
	n = chat_welcome_encode(out, &w);
	assert_int_equal(n, CHAT_WELCOME_FRAME_LEN);
	assert_int_equal(chat_hdr_parse(out, n, &h), 1);
	assert_int_equal(h.type, CHAT_T_WELCOME);
	assert_int_equal(h.len, n - CHAT_HDR_LEN);
	assert_int_equal(chat_welcome_decode(out + CHAT_HDR_LEN, h.len, &d), 0);
	assert_int_equal(d.your_id, 0xdeadbeef);
	assert_int_equal(d.clients, 42);
	assert_int_equal(d.max_rooms, 64);
	assert_int_equal(h.len, 12);	/* no salt: nothing the server chooses */
	assert_int_equal(chat_welcome_decode(out + CHAT_HDR_LEN, h.len - 1, &d), -EBADMSG);
	assert_int_equal(chat_welcome_decode(out + CHAT_HDR_LEN, h.len + 1, &d), -EBADMSG);
	assert_int_equal(chat_welcome_decode(out + CHAT_HDR_LEN, 0, &d), -EBADMSG);
}

static void test_presence(void **state)
{
	static const struct chat_presence_entry in[3] = {
		{ .id = 7, .event = CHAT_PRES_JOINED },
		{ .id = 0xfffffffeu, .event = CHAT_PRES_LEFT, .reason = CHAT_LEAVE_FLOOD },
		{ .id = 9, .event = CHAT_PRES_LEFT, .reason = 200 },	/* unknown: kept */
	};
	uint8_t out[CHAT_PRESENCE_FRAME_LEN(3)];
	struct chat_presence_entry e;
	struct chat_frame_hdr h;
	struct chat_presence pr;
	uint32_t i;
	size_t len;

	(void)state;
	len = chat_presence_encode(out, ROOM, 0x0102030405060708ull, 42, in, 3);
	assert_int_equal(len, CHAT_HDR_LEN + 16 + 16 + 3 * 6);
	assert_int_equal(chat_hdr_parse(out, len, &h), 1);
	assert_int_equal(h.type, CHAT_T_PRESENCE);
	assert_int_equal(chat_presence_decode(out + 8, h.len, &pr), 0);
	assert_memory_equal(pr.room, ROOM, CHAT_ROOM_ID_LEN);
	assert_true(pr.unix_ms == 0x0102030405060708ull);
	assert_int_equal(pr.clients, 42);
	assert_int_equal(pr.n, 3);
	for (i = 0; i < 3; i++) {
		chat_presence_entry(&pr, i, &e);
		assert_int_equal(e.id, in[i].id);
		assert_int_equal(e.event, in[i].event);
		assert_int_equal(e.reason, in[i].reason);
	}
	/* Wrong lengths, count mismatch, unknown events, a JOINED with a reason. */
	assert_int_equal(chat_presence_decode(out + 8, 31, &pr), -EBADMSG);
	assert_int_equal(chat_presence_decode(out + 8, 16, &pr), -EBADMSG);
	assert_int_equal(chat_presence_decode(out + 8, h.len - 1, &pr), -EBADMSG);
	assert_int_equal(chat_presence_decode(out + 8, h.len - 6, &pr), -EBADMSG);
	out[8 + 32 + 4] = 3;
	assert_int_equal(chat_presence_decode(out + 8, h.len, &pr), -EBADMSG);
	out[8 + 32 + 4] = CHAT_PRES_JOINED;
	out[8 + 32 + 5] = 1;
	assert_int_equal(chat_presence_decode(out + 8, h.len, &pr), -EBADMSG);
	/* Empty batch, and the largest one fits a frame. */
	len = chat_presence_encode(out, ROOM, 1, 1, in, 0);
	assert_int_equal(chat_presence_decode(out + 8, len - 8, &pr), 0);
	assert_int_equal(pr.n, 0);
	assert_true(CHAT_PRESENCE_FRAME_LEN(CHAT_PRESENCE_MAX) <= CHAT_HDR_LEN + CHAT_MAX_PAYLOAD);
}

static void test_relay(void **state)
{
	uint8_t out[CHAT_RELAY_HDR_LEN + 5];
	struct chat_frame_hdr h;
	struct chat_relay r;
	size_t n;

	(void)state;
	n = chat_relay_encode_hdr(out, ROOM, 99, 1234567, 5);
	assert_int_equal(n, CHAT_RELAY_HDR_LEN);
	memcpy(out + n, "hello", 5);
	assert_int_equal(chat_hdr_parse(out, sizeof(out), &h), 1);
	assert_int_equal(h.type, CHAT_T_RELAY);
	assert_int_equal(h.len, 33);
	assert_int_equal(chat_relay_decode(out + 8, h.len, &r), 0);
	assert_memory_equal(r.room, ROOM, CHAT_ROOM_ID_LEN);
	assert_int_equal(r.sender_id, 99);
	assert_true(r.unix_ms == 1234567);
	assert_int_equal(r.msg_len, 5);
	assert_memory_equal(r.msg, "hello", 5);
	/* Short: no message bytes, or not even the sender/time. */
	assert_int_equal(chat_relay_decode(out + 8, 28, &r), -EBADMSG);
	assert_int_equal(chat_relay_decode(out + 8, 12, &r), -EBADMSG);
	assert_int_equal(chat_relay_decode(out + 8, 3, &r), -EBADMSG);
	assert_int_equal(chat_relay_decode(out + 8, 0, &r), -EBADMSG);
	/* Long: over the maximum payload. */
	assert_int_equal(chat_relay_decode(out + 8, CHAT_MAX_PAYLOAD + 1, &r), -EBADMSG);
}

static void test_room_frames(void **state)
{
	struct chat_joined j = { .members = 7 }, dj;
	uint8_t out[CHAT_JOINED_FRAME_LEN], send[CHAT_SEND_HDR_LEN + 3];
	const uint8_t *room;
	struct chat_frame_hdr h;
	struct chat_send m;

	(void)state;
	memcpy(j.room, ROOM, CHAT_ROOM_ID_LEN);
	assert_int_equal(chat_joined_encode(out, &j), CHAT_JOINED_FRAME_LEN);
	assert_int_equal(chat_hdr_parse(out, sizeof(out), &h), 1);
	assert_int_equal(h.type, CHAT_T_JOINED);
	assert_int_equal(chat_joined_decode(out + 8, h.len, &dj), 0);
	assert_memory_equal(dj.room, ROOM, CHAT_ROOM_ID_LEN);
	assert_int_equal(dj.members, 7);
	assert_int_equal(chat_joined_decode(out + 8, h.len - 1, &dj), -EBADMSG);
	assert_int_equal(chat_joined_decode(out + 8, h.len + 1, &dj), -EBADMSG);
	/* JOIN and PART: exactly a room id. */
	assert_int_equal(chat_room_decode(ROOM, CHAT_ROOM_ID_LEN, &room), 0);
	assert_ptr_equal(room, ROOM);
	assert_int_equal(chat_room_decode(ROOM, CHAT_ROOM_ID_LEN - 1, &room), -EBADMSG);
	assert_int_equal(chat_room_decode(ROOM, CHAT_ROOM_ID_LEN + 1, &room), -EBADMSG);
	/* SEND: a room id and at least one byte, at most CHAT_MAX_MSG. */
	memcpy(send, ROOM, CHAT_ROOM_ID_LEN);
	memcpy(send + CHAT_ROOM_ID_LEN, "abc", 3);
	assert_int_equal(chat_send_decode(send, sizeof(send), &m), 0);
	assert_ptr_equal(m.room, send);
	assert_int_equal(m.msg_len, 3);
	assert_memory_equal(m.msg, "abc", 3);
	assert_int_equal(chat_send_decode(send, CHAT_ROOM_ID_LEN, &m), -EBADMSG);
	assert_int_equal(chat_send_decode(send, 3, &m), -EBADMSG);
	assert_int_equal(chat_send_decode(send, CHAT_ROOM_ID_LEN + CHAT_MAX_MSG + 1, &m),
			 -EBADMSG);
	/* The largest SEND's RELAY still fits one frame. */
	assert_true(CHAT_RELAY_HDR_LEN + CHAT_MAX_MSG <= CHAT_HDR_LEN + CHAT_MAX_PAYLOAD);
}

static void test_reason(void **state)
{
	uint8_t out[CHAT_HDR_LEN + 1 + 300];
	char long_text[300];
	struct chat_frame_hdr h;
	struct chat_reason r;
	size_t n;

	(void)state;
	n = chat_reason_encode(out, CHAT_T_REFUSED, CHAT_ERR_FULL, "server full");
	assert_int_equal(n, CHAT_HDR_LEN + 1 + 11);
	assert_int_equal(chat_hdr_parse(out, n, &h), 1);
	assert_int_equal(h.type, CHAT_T_REFUSED);
	assert_int_equal(chat_reason_decode(out + 8, h.len, &r), 0);
	assert_int_equal(r.code, CHAT_ERR_FULL);
	assert_string_equal(r.text, "server full");
	/* Code only, empty text. */
	assert_int_equal(chat_reason_decode(out + 8, 1, &r), 0);
	assert_string_equal(r.text, "");
	assert_int_equal(chat_reason_decode(out + 8, 0, &r), -EBADMSG);
	/* Text is cut at 255 bytes by the encoder; longer payloads are bad. */
	memset(long_text, 'x', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	n = chat_reason_encode(out, CHAT_T_ERROR, CHAT_ERR_SLOW, long_text);
	assert_int_equal(n, CHAT_HDR_LEN + 256);
	assert_int_equal(chat_reason_decode(out + 8, 256, &r), 0);
	assert_int_equal(strlen(r.text), 255);
	assert_int_equal(chat_reason_decode(out + 8, 257, &r), -EBADMSG);
	/* Control characters never reach a terminal. */
	n = chat_reason_encode(out, CHAT_T_ERROR, CHAT_ERR_MALFORMED, "a\033[2Jb\n\x7f");
	assert_int_equal(chat_reason_decode(out + 8, n - 8, &r), 0);
	assert_string_equal(r.text, "a?[2Jb??");
}

static void test_who(void **state)
{
	uint32_t ids[3] = { 1, 70000, 0xffffffffu }, got[3];
	struct chat_who_reply r = { .total = 9, .next = 0x0102030405060708ull, .n = 3 }, d;
	uint8_t out[CHAT_WHO_REPLY_FRAME_LEN(3)], req[CHAT_WHO_LEN];
	const uint8_t *room;
	struct chat_frame_hdr h;
	uint64_t cursor;

	(void)state;
	r.room = ROOM;
	/* The request: a room and a cursor. */
	chat_who_put(req, ROOM, 0xa1b2c3d4e5f60718ull);
	assert_int_equal(chat_who_decode(req, sizeof(req), &room, &cursor), 0);
	assert_true(cursor == 0xa1b2c3d4e5f60718ull);
	assert_memory_equal(room, ROOM, CHAT_ROOM_ID_LEN);
	assert_int_equal(chat_who_decode(req, 0, &room, &cursor), -EBADMSG);
	assert_int_equal(chat_who_decode(req, 8, &room, &cursor), -EBADMSG);
	assert_int_equal(chat_who_decode(req, 23, &room, &cursor), -EBADMSG);
	/* The reply: one page. */
	assert_int_equal(chat_who_reply_encode(out, &r, ids), CHAT_WHO_REPLY_FRAME_LEN(3));
	assert_int_equal(chat_hdr_parse(out, sizeof(out), &h), 1);
	assert_int_equal(h.type, CHAT_T_WHO_REPLY);
	assert_int_equal(h.len, 44);
	assert_int_equal(chat_who_reply_decode(out + 8, h.len, &d, got, 3), 0);
	assert_memory_equal(d.room, ROOM, CHAT_ROOM_ID_LEN);
	assert_int_equal(d.total, 9);
	assert_true(d.next == r.next);
	assert_int_equal(d.n, 3);
	assert_memory_equal(got, ids, sizeof(ids));
	/* ids[] smaller than the page: count still reported, no overflow. */
	memset(got, 0, sizeof(got));
	assert_int_equal(chat_who_reply_decode(out + 8, h.len, &d, got, 1), 0);
	assert_int_equal(d.n, 3);
	assert_int_equal(got[0], 1);
	assert_int_equal(got[1], 0);
	/* Short, long, unaligned, count mismatch. */
	assert_int_equal(chat_who_reply_decode(out + 8, 0, &d, got, 3), -EBADMSG);
	assert_int_equal(chat_who_reply_decode(out + 8, 16, &d, got, 3), -EBADMSG);
	assert_int_equal(chat_who_reply_decode(out + 8, 40, &d, got, 3), -EBADMSG);
	assert_int_equal(chat_who_reply_decode(out + 8, 43, &d, got, 3), -EBADMSG);
	out[8 + 16 + 15] = 4;
	assert_int_equal(chat_who_reply_decode(out + 8, 44, &d, got, 3), -EBADMSG);
	/* Empty page. */
	r.n = 0;
	r.next = 0;
	assert_int_equal(chat_who_reply_encode(out, &r, ids), CHAT_WHO_REPLY_FRAME_LEN(0));
	assert_int_equal(chat_who_reply_decode(out + 8, 32, &d, got, 3), 0);
	assert_int_equal(d.n, 0);
	/* The largest page fits a frame: a reply never exceeds the limit. */
	assert_true(CHAT_WHO_REPLY_FRAME_LEN(CHAT_WHO_PAGE_MAX) <= CHAT_HDR_LEN + CHAT_MAX_PAYLOAD);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hdr_partial),
		cmocka_unit_test(test_hdr_errors),
		cmocka_unit_test(test_type_direction),
		cmocka_unit_test(test_hdr_put_roundtrip),
		cmocka_unit_test(test_frame_next),
		cmocka_unit_test(test_welcome),
		cmocka_unit_test(test_presence),
		cmocka_unit_test(test_relay),
		cmocka_unit_test(test_room_frames),
		cmocka_unit_test(test_reason),
		cmocka_unit_test(test_who),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
