/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * client_keyq.c - terminal bytes waiting for readline, and the held lone
 * ESC (see client_keyq.h).
 */
#include "client_keyq.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int keyq_init(struct keyq *q, size_t cap)
{
	memset(q, 0, sizeof(*q));
	if (cap < 2)
		return -EINVAL;
	q->buf = malloc(cap);
	if (!q->buf)
		return -ENOMEM;
	q->cap = cap;
	return 0;
}

void keyq_free(struct keyq *q)
{
	free(q->buf);
	memset(q, 0, sizeof(*q));
}

unsigned char *keyq_tail(struct keyq *q, size_t *room)
{
	size_t held = q->esc_held ? 1 : 0;

	if (q->head == q->tail) {
		q->head = q->tail = 0;
	} else if (q->head) {
		memmove(q->buf, q->buf + q->head, q->tail - q->head);
		q->tail -= q->head;
		q->head = 0;
	}
	/* a held ESC takes the first byte of the space, in front of the read */
	*room = q->cap - q->tail - held;
	return q->buf + q->tail + held;
}

void keyq_commit(struct keyq *q, size_t n)
{
	if (!n)
		return;
	if (q->esc_held) {
		q->buf[q->tail++] = KEYQ_ESC;
		q->esc_held = 0;
	}
	q->tail += n;
}

size_t keyq_push(struct keyq *q, const unsigned char *bytes, size_t n)
{
	size_t room;
	unsigned char *t = keyq_tail(q, &room);

	if (n > room)
		n = room;
	memcpy(t, bytes, n);
	keyq_commit(q, n);
	return n;
}

size_t keyq_ready(const struct keyq *q)
{
	return q->tail - q->head;
}

int keyq_peek(const struct keyq *q)
{
	return q->head < q->tail ? q->buf[q->head] : -1;
}

int keyq_pop(struct keyq *q)
{
	if (q->head < q->tail)
		return q->buf[q->head++];
	if (q->esc_held) {
		q->esc_held = 0;
		return KEYQ_ESC;
	}
	return -1;
}

int keyq_hold_lone_esc(struct keyq *q, uint64_t now_ms, unsigned timeout_ms)
{
	if (q->esc_held || keyq_ready(q) != 1 || q->buf[q->head] != KEYQ_ESC)
		return 0;
	q->head = q->tail = 0;
	q->esc_held = 1;
	q->esc_deadline_ms = now_ms + timeout_ms;
	return 1;
}

int keyq_wait_ms(const struct keyq *q, uint64_t now_ms)
{
	uint64_t left;

	if (!q->esc_held)
		return -1;
	if (now_ms >= q->esc_deadline_ms)
		return 0;
	left = q->esc_deadline_ms - now_ms;
	return left > 60000 ? 60000 : (int)left;
}

int keyq_take_expired(struct keyq *q, uint64_t now_ms)
{
	if (!q->esc_held || now_ms < q->esc_deadline_ms)
		return 0;
	q->esc_held = 0;
	return 1;
}
