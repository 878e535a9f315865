/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_server_bookkeeping.c - unit tests of chat-server's bookkeeping:
 * token buckets (rate_limit.c), FIFO timer queues (timer_queue.c),
 * per-address counts and keys (addr_limit.c), connection ids that never
 * silently repeat (id_alloc.c), the WHO page index (member_index.c),
 * presence batches (presence.c), room history (room_history.c) and the
 * write threads (write_pool.c).
 *
 * Does not own: the server's use of them over sockets
 * (tests/suite-20-chat-server.sh).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "server/addr_limit.h"
#include "proto/frame.h"
#include "server/id_alloc.h"
#include "server/member_index.h"
#include "server/presence.h"
#include "server/rate_limit.h"
#include "server/room_history.h"
#include "server/room_table.h"
#include "server/timer_queue.h"
#include "server/write_pool.h"
#include "proto/wire.h"

/* ---- rate_limit ---------------------------------------------------------- */

static void test_rate_buckets(void **state)
{
	const struct rate_cfg cfg = { .msg_rate = 50, .msg_burst = 20,
				      .byte_rate = 1000, .byte_burst = 4000 };
	struct rate_limit r;
	int i;

	(void)state;
	rate_init(&r, &cfg, 1000);
	assert_int_equal(rate_msgs(&r, &cfg), 20);
	assert_int_equal(rate_bytes(&r, &cfg), 4000);
	for (i = 0; i < 20; i++)
		rate_charge_msg(&r, &cfg);
	assert_int_equal(rate_msgs(&r, &cfg), 0);
	/* 50 per second: one every 20 ms, never above the burst. */
	rate_refill(&r, &cfg, 1019);
	assert_int_equal(rate_msgs(&r, &cfg), 0);
	rate_refill(&r, &cfg, 1020);
	assert_int_equal(rate_msgs(&r, &cfg), 1);
	rate_refill(&r, &cfg, 1100);
	assert_int_equal(rate_msgs(&r, &cfg), 5);
	rate_refill(&r, &cfg, 1000000);
	assert_int_equal(rate_msgs(&r, &cfg), 20);
	/* A charge larger than what is left is a debt, paid off over time. */
	rate_charge_bytes(&r, &cfg, 6000);
	assert_int_equal(rate_bytes(&r, &cfg), 0);
	rate_refill(&r, &cfg, 1002000);	/* -2000 + 2000 */
	assert_int_equal(rate_bytes(&r, &cfg), 0);
	rate_refill(&r, &cfg, 1003000);
	assert_int_equal(rate_bytes(&r, &cfg), 1000);
	/* The debt is never deeper than one burst. */
	rate_charge_bytes(&r, &cfg, 1u << 30);
	rate_refill(&r, &cfg, 1007000);
	assert_int_equal(rate_bytes(&r, &cfg), 0);
	rate_refill(&r, &cfg, 1008000);
	assert_int_equal(rate_bytes(&r, &cfg), 1000);
	/* A clock that goes back changes nothing. */
	rate_refill(&r, &cfg, 5);
	assert_int_equal(rate_bytes(&r, &cfg), 1000);
}

static void test_rate_unlimited(void **state)
{
	const struct rate_cfg cfg = { .msg_rate = 0, .byte_rate = 0 };
	struct rate_limit r;

	(void)state;
	rate_init(&r, &cfg, 0);
	rate_charge_msg(&r, &cfg);
	rate_charge_bytes(&r, &cfg, 1u << 20);
	assert_true(rate_msgs(&r, &cfg) == RATE_UNLIMITED);
	assert_true(rate_bytes(&r, &cfg) == RATE_UNLIMITED);
}

/* ---- timer_queue --------------------------------------------------------- */

static void test_timer_queue(void **state)
{
	struct tq_entry e[3];
	struct tq q;

	(void)state;
	memset(e, 0, sizeof(e));
	tq_init(&q);
	assert_null(tq_first(&q));
	tq_push(&q, &e[0], 100);
	tq_push(&q, &e[1], 150);
	tq_push(&q, &e[2], 200);
	assert_ptr_equal(tq_first(&q), &e[0]);
	assert_null(tq_due(&q, 99));
	assert_ptr_equal(tq_due(&q, 100), &e[0]);
	/* Re-pushing moves an entry to the end. */
	tq_push(&q, &e[0], 250);
	assert_ptr_equal(tq_first(&q), &e[1]);
	tq_remove(&e[1]);
	tq_remove(&e[1]);		/* twice: nothing */
	assert_false(tq_queued(&e[1]));
	assert_ptr_equal(tq_due(&q, 1000), &e[2]);
	tq_remove(&e[2]);
	assert_ptr_equal(tq_first(&q), &e[0]);
	tq_remove(&e[0]);
	assert_null(tq_first(&q));
}

/* ---- addr_limit ---------------------------------------------------------- */

static struct addr_key key4(const char *text)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };

	assert_int_equal(inet_pton(AF_INET, text, &sa.sin_addr), 1);
	return addr_key_of((struct sockaddr *)&sa, sizeof(sa));
}

static struct addr_key key6(const char *text)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6 };

	assert_int_equal(inet_pton(AF_INET6, text, &sa.sin6_addr), 1);
	return addr_key_of((struct sockaddr *)&sa, sizeof(sa));
}

static int same(struct addr_key a, struct addr_key b)
{
	return memcmp(&a, &b, sizeof(a)) == 0;
}

static void test_addr_keys(void **state)
{
	struct sockaddr_un_like { sa_family_t f; char path[20]; } other = { .f = AF_UNIX };
	char buf[64];

	(void)state;
	assert_true(same(key4("192.0.2.7"), key4("192.0.2.7")));
	assert_false(same(key4("192.0.2.7"), key4("192.0.2.8")));
	/* One IPv6 /64 is one key: a host or a home gets a whole /64. */
	assert_true(same(key6("2001:db8:1:2::1"), key6("2001:db8:1:2:ffff::9")));
	assert_false(same(key6("2001:db8:1:2::1"), key6("2001:db8:1:3::1")));
	/* An IPv4 client of a dual-stack listener counts as its IPv4 address. */
	assert_true(same(key6("::ffff:192.0.2.7"), key4("192.0.2.7")));
	assert_false(same(key6("::1"), key4("0.0.0.1")));
	assert_string_equal(addr_key_str(&(struct addr_key){ 0 }, buf, sizeof(buf)), "(other)");
	assert_int_equal(addr_key_of((struct sockaddr *)&other, sizeof(other)).family, 0);
	addr_key_str(&(struct addr_key){ .family = AF_INET, .bytes = { 192, 0, 2, 7 } },
		     buf, sizeof(buf));
	assert_string_equal(buf, "192.0.2.7");
	{
		struct addr_key k = key6("2001:db8:1:2::1");

		assert_string_equal(addr_key_str(&k, buf, sizeof(buf)), "2001:db8:1:2::/64");
	}
}

static void test_addr_limit(void **state)
{
	struct addr_limit a = { 0 };
	struct addr_key x = key4("198.51.100.1"), y = key6("2001:db8::5"), none = { 0 };
	int i;

	(void)state;
	for (i = 0; i < 3; i++)
		assert_int_equal(addr_limit_add(&a, &x, 3), 0);
	assert_int_equal(addr_limit_add(&a, &x, 3), -EBUSY);
	assert_int_equal(addr_limit_count(&a, &x), 3);
	assert_int_equal(addr_limit_add(&a, &y, 3), 0);	/* others unaffected */
	addr_limit_del(&a, &x);
	assert_int_equal(addr_limit_add(&a, &x, 3), 0);
	assert_int_equal(addr_limit_add(&a, &x, 0), 0);	/* 0: no limit */
	assert_int_equal(addr_limit_count(&a, &x), 4);
	assert_true(addr_limit_bytes(&a) > 0);
	for (i = 0; i < 4; i++)
		addr_limit_del(&a, &x);
	addr_limit_del(&a, &y);
	assert_int_equal(addr_limit_count(&a, &x), 0);
	assert_int_equal(addr_limit_bytes(&a), 0);
	/* Addresses of other families are not counted. */
	assert_int_equal(addr_limit_add(&a, &none, 1), 0);
	assert_int_equal(addr_limit_add(&a, &none, 1), 0);
	addr_limit_free(&a);
}

/* ---- id_alloc ------------------------------------------------------------ */

static void test_ids_increase(void **state)
{
	struct id_alloc a;
	uint32_t id;

	(void)state;
	id_alloc_init(&a, 0);
	assert_int_equal(id_alloc_take(&a, &id), 0);
	assert_int_equal(id, 1);
	assert_int_equal(id_alloc_take(&a, &id), 0);
	assert_int_equal(id, 2);
	id_alloc_release(&a, 1);
	assert_int_equal(id_alloc_take(&a, &id), 0);
	assert_int_equal(id, 3);	/* not reused before the counter wraps */
	id_alloc_free(&a);
}

static void test_ids_wrap(void **state)
{
	struct id_alloc a;
	uint32_t id, held[3];

	(void)state;
	/* Ids 1, 2 and 4 are still held by clients from long ago. */
	id_alloc_init(&a, 0);
	assert_int_equal(id_alloc_take(&a, &held[0]), 0);
	assert_int_equal(id_alloc_take(&a, &held[1]), 0);
	assert_int_equal(id_alloc_take(&a, &id), 0);
	assert_int_equal(id_alloc_take(&a, &held[2]), 0);
	id_alloc_release(&a, id);		/* 3 left */
	a.last = UINT32_MAX - 2;		/* 4 billion connections later */
	assert_int_equal(id_alloc_take(&a, &id), 0);
	assert_true(id == UINT32_MAX - 1);
	assert_int_equal(id_alloc_take(&a, &id), 0);
	assert_true(id == UINT32_MAX);
	/* The wrap is reported, 0 is never an id, ids in use are skipped. */
	assert_int_equal(id_alloc_take(&a, &id), 1);
	assert_int_equal(id, 3);
	assert_int_equal(id_alloc_take(&a, &id), 0);
	assert_int_equal(id, 5);
	assert_true(id_alloc_in_use(&a, 4));
	assert_int_equal(a.wraps, 1);
	id_alloc_release(&a, 4);
	assert_false(id_alloc_in_use(&a, 4));
	id_alloc_free(&a);
}

/* ---- member_index -------------------------------------------------------- */

/* All ids through pages of `page` from the start. */
static uint32_t list_all(const struct member_index *m, uint32_t page, uint32_t *out)
{
	uint32_t buf[64], n, i, total = 0;
	uint64_t cursor = 0;

	assert_true(page <= 64);
	do {
		member_index_page(m, cursor, buf, page, &n, &cursor);
		assert_true(n <= page);
		for (i = 0; i < n; i++)
			out[total++] = buf[i];
	} while (cursor);
	return total;
}

static void test_member_pages(void **state)
{
	struct member_index m;
	uint64_t seq[1000], cursor;
	uint32_t out[1000], buf[16], n, i, total;

	(void)state;
	member_index_init(&m);
	for (i = 0; i < 1000; i++)
		assert_int_equal(member_index_add(&m, i + 1, &seq[i]), 0);
	total = list_all(&m, 7, out);
	assert_int_equal(total, 1000);
	for (i = 0; i < 1000; i++)
		assert_int_equal(out[i], i + 1);
	/* Remove all the odd ids (compaction happens on the way). */
	for (i = 0; i < 1000; i += 2)
		member_index_remove(&m, seq[i]);
	member_index_remove(&m, seq[0]);	/* twice: nothing */
	total = list_all(&m, 16, out);
	assert_int_equal(total, 500);
	for (i = 0; i < 500; i++)
		assert_int_equal(out[i], 2 * i + 2);
	/* A cursor stays valid while clients come and go. */
	member_index_page(&m, 0, buf, 16, &n, &cursor);
	assert_int_equal(n, 16);
	assert_int_equal(buf[15], 32);
	for (i = 33; i < 60; i += 2)		/* the next ones leave */
		member_index_remove(&m, seq[i]);
	member_index_remove(&m, seq[1]);	/* one from the page read */
	assert_int_equal(member_index_add(&m, 5000, &seq[0]), 0);
	member_index_page(&m, cursor, buf, 16, &n, &cursor);
	assert_int_equal(n, 16);
	assert_int_equal(buf[0], 62);
	/* The last page ends the listing; an empty index has one empty page. */
	total = list_all(&m, 64, out);
	assert_int_equal(out[total - 1], 5000);
	member_index_free(&m);
	member_index_page(&m, 0, buf, 16, &n, &cursor);
	assert_int_equal(n, 0);
	assert_true(cursor == 0);
}

/* ---- presence ------------------------------------------------------------ */

/* Encode every pending frame; returns the entries, checks each frame. */
static uint32_t drain(struct presence *p, struct chat_presence_entry *got,
		      uint32_t *frames)
{
	uint32_t total = 0, i;

	*frames = 0;
	while (presence_pending(p)) {
		size_t len = presence_next_len(p);
		uint8_t *out = malloc(len);
		struct chat_presence pr;

		assert_non_null(out);
		assert_true(len <= CHAT_HDR_LEN + CHAT_MAX_PAYLOAD);
		assert_int_equal(presence_encode_next(p, out, (const uint8_t *)"0123456789abcdef",
						      99, 3), len);
		assert_int_equal(chat_presence_decode(out + CHAT_HDR_LEN, len - CHAT_HDR_LEN, &pr), 0);
		assert_int_equal(pr.clients, 3);
		for (i = 0; i < pr.n; i++)
			chat_presence_entry(&pr, i, &got[total++]);
		free(out);
		(*frames)++;
	}
	return total;
}

static void test_presence_batch(void **state)
{
	struct presence_ref a, b, c;
	struct chat_presence_entry got[8];
	struct presence p;
	uint32_t frames;

	(void)state;
	presence_init(&p);
	assert_int_equal(presence_next_len(&p), 0);
	assert_int_equal(presence_joined(&p, 1, &a, 10), 0);
	assert_int_equal(presence_joined(&p, 2, &b, 11), 0);
	assert_true(p.since_ms == 10);
	/* 2 came and went within the batch: neither is sent. */
	assert_int_equal(presence_left(&p, 2, CHAT_LEAVE_QUIT, &b, 12), 0);
	assert_int_equal(presence_joined(&p, 3, &c, 13), 0);
	assert_int_equal(presence_pending(&p), 2);
	assert_int_equal(drain(&p, got, &frames), 2);
	assert_int_equal(frames, 1);
	assert_int_equal(got[0].id, 1);
	assert_int_equal(got[1].id, 3);
	/* Once sent, a leave is a leave, in its own batch. */
	assert_int_equal(presence_left(&p, 1, CHAT_LEAVE_FLOOD, &a, 20), 0);
	assert_int_equal(presence_left(&p, 3, CHAT_LEAVE_TIMEOUT, &c, 21), 0);
	assert_true(p.since_ms == 20);
	assert_int_equal(drain(&p, got, &frames), 2);
	assert_int_equal(got[0].event, CHAT_PRES_LEFT);
	assert_int_equal(got[0].reason, CHAT_LEAVE_FLOOD);
	assert_int_equal(got[1].id, 3);
	presence_free(&p);
}

static void test_presence_split(void **state)
{
	const uint32_t n = 2 * CHAT_PRESENCE_MAX + 5;
	struct chat_presence_entry *got = calloc(n, sizeof(*got));
	struct presence_ref *refs = calloc(n, sizeof(*refs));
	struct presence p;
	uint32_t i, frames, total;

	(void)state;
	assert_non_null(got);
	assert_non_null(refs);
	presence_init(&p);
	for (i = 0; i < n; i++)
		assert_int_equal(presence_joined(&p, i + 1, &refs[i], 1), 0);
	/* Cancel every third, spread over what becomes several frames. */
	for (i = 0; i < n; i += 3)
		assert_int_equal(presence_left(&p, i + 1, 0, &refs[i], 2), 0);
	total = drain(&p, got, &frames);
	assert_int_equal(total, n - (n + 2) / 3);
	assert_int_equal(frames, (total + CHAT_PRESENCE_MAX - 1) / CHAT_PRESENCE_MAX);
	for (i = 1; i < total; i++)
		assert_true(got[i].id > got[i - 1].id);	/* in order */
	for (i = 0; i < total; i++)
		assert_true(got[i].id % 3 != 1);
	presence_free(&p);
	free(got);
	free(refs);
}

/* ---- rooms --------------------------------------------------------------- */

static void test_rooms(void **state)
{
	static const uint8_t A[CHAT_ROOM_ID_LEN] = "room-a-room-a-aa";
	static const uint8_t B[CHAT_ROOM_ID_LEN] = "room-b-room-b-bb";
	struct room_member *m[300];
	struct room_table t;
	struct room *ra, *rb;
	size_t base;
	uint8_t out[CHAT_PRESENCE_FRAME_LEN(8)];
	struct chat_presence pr;
	int owners[300];
	uint32_t i;

	(void)state;
	assert_int_equal(room_table_init(&t), 0);
	base = t.bytes;
	assert_null(room_find(&t, A));
	/* Members of two rooms; the table grows past its first buckets. */
	for (i = 0; i < 300; i++) {
		static uint8_t ids[300][CHAT_ROOM_ID_LEN];

		memcpy(ids[i], i < 2 ? (i ? B : A) : A, CHAT_ROOM_ID_LEN);
		if (i >= 100) {		/* 200 rooms of one member each */
			memset(ids[i], 0, sizeof(ids[i]));
			memcpy(ids[i], &i, sizeof(i));
			ids[i][15] = 0x5a;
		}
		m[i] = room_join(&t, ids[i], &owners[i], i + 1, 1000 + i);
		assert_non_null(m[i]);
	}
	ra = room_find(&t, A);
	rb = room_find(&t, B);
	assert_non_null(ra);
	assert_non_null(rb);
	assert_int_equal(ra->n, 99);
	assert_int_equal(rb->n, 1);
	assert_int_equal(t.nrooms, 202);
	assert_true(t.bytes > base);
	/* The oldest batch waits first: room A's first join was at 1000. */
	assert_ptr_equal(room_waiting(&t), ra);
	assert_true(ra->pres.since_ms == 1000);
	while (presence_pending(&ra->pres)) {
		assert_true(presence_next_len(&ra->pres) <= sizeof(out) ||
			    presence_next_len(&ra->pres) <= CHAT_PRESENCE_FRAME_LEN(99));
		uint8_t *buf = malloc(presence_next_len(&ra->pres));

		assert_non_null(buf);
		room_presence_next(&t, ra, buf, 5);
		assert_int_equal(chat_presence_decode(buf + CHAT_HDR_LEN,
						      CHAT_PRESENCE_FRAME_LEN(99) - CHAT_HDR_LEN,
						      &pr), 0);
		assert_memory_equal(pr.room, A, CHAT_ROOM_ID_LEN);
		assert_int_equal(pr.clients, 99);
		assert_int_equal(pr.n, 99);
		free(buf);
	}
	assert_ptr_equal(room_waiting(&t), rb);	/* A left the queue */
	/* A member who leaves: the others keep their slots straight. */
	assert_int_equal(room_leave(&t, m[0], CHAT_LEAVE_PART, 1, 2000), 0);
	assert_int_equal(ra->n, 98);
	for (i = 0; i < ra->n; i++)
		assert_int_equal(ra->m[i]->slot, i);
	assert_ptr_equal(t.qtail, &ra->qnext);	/* A waits again, last */
	/* A join and leave within one batch cancel out. */
	while ((rb = room_waiting(&t))) {	/* each room leaves when sent */
		uint8_t *buf = malloc(presence_next_len(&rb->pres));

		assert_non_null(buf);
		room_presence_next(&t, rb, buf, 5);
		free(buf);
	}
	m[0] = room_join(&t, A, &owners[0], 1, 3000);
	assert_ptr_equal(room_waiting(&t), ra);
	assert_int_equal(room_leave(&t, m[0], CHAT_LEAVE_QUIT, 1, 3001), 0);
	assert_null(room_waiting(&t));
	/* Everyone leaves: every room is freed, the bytes come back. */
	for (i = 1; i < 300; i++)
		assert_int_equal(room_leave(&t, m[i], CHAT_LEAVE_QUIT, 1, 4000), 0);
	assert_int_equal(t.nrooms, 0);
	assert_null(room_find(&t, A));
	assert_null(room_waiting(&t));
	assert_true(t.bytes >= base);
	assert_true(t.bytes - base == (t.nbucket - 64) * sizeof(*t.bucket));
	room_table_free(&t);
}

/* ---- room_history ---------------------------------------------------------- */

static const uint8_t HROOM[CHAT_ROOM_ID_LEN] = "history-room-id";

/* The sender and time of the i-th frame; its message bytes in *msg. */
static void hist_at(const struct room_history *h, uint32_t i, uint32_t *sender,
		    uint64_t *ms, const uint8_t **msg, size_t *len)
{
	const struct chat_buf *f = history_frame(h, i);

	assert_non_null(f);
	assert_int_equal(f->data[0], CHAT_PROTO_VERSION);
	assert_int_equal(f->data[1], CHAT_T_HISTORY);
	assert_int_equal(wire_get32(f->data + 4), f->len - CHAT_HDR_LEN);
	assert_memory_equal(f->data + CHAT_HDR_LEN, HROOM, CHAT_ROOM_ID_LEN);
	*sender = wire_get32(f->data + CHAT_HDR_LEN + CHAT_ROOM_ID_LEN);
	*ms = wire_get64(f->data + CHAT_HDR_LEN + CHAT_ROOM_ID_LEN + 4);
	*msg = f->data + CHAT_RELAY_HDR_LEN;
	*len = f->len - CHAT_RELAY_HDR_LEN;
}

static void test_history_bounds(void **state)
{
	const struct history_cfg cfg = { .msgs = 5, .age_ms = 10000, .bytes = 1 << 20 };
	const uint64_t now = 1000000;
	struct room_history h = { 0 };
	struct chat_buf *f = NULL;
	const uint8_t *msg;
	uint64_t ms;
	uint32_t i, sender;
	size_t len;
	char m[16];

	(void)state;
	for (i = 0; i < 8; i++) {	/* count: the newest 5 stay */
		snprintf(m, sizeof(m), "msg-%u", i);
		assert_int_equal(history_add(&h, &cfg, HROOM, 7, now + i, (uint8_t *)m,
					     strlen(m), now + i, &f), 1);
		assert_non_null(f);
	}
	assert_int_equal(history_count(&h), 5);
	for (i = 0; i < 5; i++) {
		hist_at(&h, i, &sender, &ms, &msg, &len);
		snprintf(m, sizeof(m), "msg-%u", i + 3);
		assert_int_equal(sender, 7);
		assert_int_equal(ms, now + i + 3);
		assert_int_equal(len, strlen(m));
		assert_memory_equal(msg, m, len);
	}
	/* the same message again (JetStream overlapping what came live) */
	assert_int_equal(history_add(&h, &cfg, HROOM, 7, now + 5, (uint8_t *)"msg-5", 5,
				     now + 9, NULL), 0);
	/* the same time and bytes from another sender is another message */
	assert_int_equal(history_add(&h, &cfg, HROOM, 8, now + 5, (uint8_t *)"msg-5", 5,
				     now + 9, NULL), 1);
	assert_int_equal(history_count(&h), 5);
	/* late: put in place by time; older than all five kept: not taken */
	assert_int_equal(history_add(&h, &cfg, HROOM, 9, now + 4, (uint8_t *)"late", 4,
				     now + 9, NULL), 1);
	hist_at(&h, 0, &sender, &ms, &msg, &len);
	assert_int_equal(ms, now + 4);
	assert_int_equal(sender, 9);
	hist_at(&h, 4, &sender, &ms, &msg, &len);
	assert_int_equal(ms, now + 7);
	assert_int_equal(history_add(&h, &cfg, HROOM, 9, now, (uint8_t *)"old", 3,
				     now + 9, NULL), 0);
	/* age: past age_ms they go, and none that old is taken */
	assert_int_equal(history_add(&h, &cfg, HROOM, 9, now - 20000, (uint8_t *)"x", 1,
				     now + 9, NULL), 0);
	history_expire(&h, &cfg, now + 5 + 10000);	/* 4, 5, 5, 6, 7: the 4 goes */
	assert_int_equal(history_count(&h), 4);
	history_expire(&h, &cfg, now + 8 + 10000);
	assert_int_equal(history_count(&h), 0);
	history_free(&h);
}

static void test_history_bytes(void **state)
{
	const struct history_cfg cfg = { .msgs = 100, .age_ms = 10000,
					 .bytes = 3 * (sizeof(struct chat_buf) +
						       CHAT_RELAY_HDR_LEN + 1000) };
	static uint8_t big[4000];
	struct room_history h = { 0 };
	uint32_t i;
	size_t held;

	(void)state;
	for (i = 0; i < 10; i++)
		assert_int_equal(history_add(&h, &cfg, HROOM, 7, 100 + i, big, 1000, 100,
					     NULL), 1);
	assert_int_equal(history_count(&h), 3);	/* the byte bound */
	held = history_bytes(&h);
	assert_true(held >= cfg.bytes);		/* frames + the ring itself */
	/* one message over the bound alone is not kept (nor does it evict) */
	assert_int_equal(history_add(&h, &cfg, HROOM, 7, 200, big, sizeof(big), 100, NULL),
			 0);
	assert_int_equal(history_count(&h), 0);
	/* off: nothing kept */
	{
		const struct history_cfg off = { .msgs = 0, .age_ms = 10000, .bytes = 1 << 20 };

		assert_int_equal(history_add(&h, &off, HROOM, 7, 300, big, 10, 300, NULL), 0);
		assert_int_equal(history_count(&h), 0);
	}
	history_free(&h);
	assert_int_equal(history_bytes(&h), 0);
}

/* ---- write_pool ------------------------------------------------------------ */

struct pool_item {
	unsigned runs;
	pthread_t by;
};

static void pool_fn(void *item, void *arg)
{
	struct pool_item *it = item;

	__atomic_add_fetch(&it->runs, 1, __ATOMIC_RELAXED);
	it->by = pthread_self();
	__atomic_add_fetch((unsigned *)arg, 1, __ATOMIC_RELAXED);
}

static void test_write_pool(void **state)
{
	static struct pool_item items[5000];
	static void *v[5000];
	struct write_pool *p;
	unsigned total, i, round, others;

	(void)state;
	for (i = 0; i < 5000; i++)
		v[i] = &items[i];
	assert_null(write_pool_new(WRITE_POOL_MAX_THREADS + 1));
	p = write_pool_new(3);
	assert_non_null(p);
	for (round = 0; round < 50; round++) {	/* every item once, every round */
		total = 0;
		write_pool_run(p, v, 5000, pool_fn, &total);
		assert_int_equal(total, 5000);
	}
	others = 0;
	for (i = 0; i < 5000; i++) {
		assert_int_equal(items[i].runs, 50);
		others += !pthread_equal(items[i].by, pthread_self());
	}
	assert_true(others >= 5000 / 4 * 3 - 4);	/* 3 of 4 slices elsewhere */
	/* a small job stays on the caller */
	total = 0;
	write_pool_run(p, v, WRITE_POOL_MIN_ITEMS - 1, pool_fn, &total);
	assert_int_equal(total, WRITE_POOL_MIN_ITEMS - 1);
	for (i = 0; i < WRITE_POOL_MIN_ITEMS - 1; i++)
		assert_true(pthread_equal(items[i].by, pthread_self()));
	write_pool_free(p);
	/* no pool: the caller alone */
	total = 0;
	write_pool_run(NULL, v, 5000, pool_fn, &total);
	assert_int_equal(total, 5000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rate_buckets),
		cmocka_unit_test(test_write_pool),
		cmocka_unit_test(test_history_bounds),
		cmocka_unit_test(test_history_bytes),
		cmocka_unit_test(test_rate_unlimited),
		cmocka_unit_test(test_timer_queue),
		cmocka_unit_test(test_addr_keys),
		cmocka_unit_test(test_addr_limit),
		cmocka_unit_test(test_ids_increase),
		cmocka_unit_test(test_ids_wrap),
		cmocka_unit_test(test_member_pages),
		cmocka_unit_test(test_presence_batch),
		cmocka_unit_test(test_presence_split),
		cmocka_unit_test(test_rooms),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
