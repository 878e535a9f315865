/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * timer_queue.c - FIFO deadline queues (see timer_queue.h).
 */
#include "timer_queue.h"

#include <stddef.h>

void tq_init(struct tq *q)
{
	q->head.prev = q->head.next = &q->head;
	q->head.due_ms = 0;
}

int tq_queued(const struct tq_entry *e)
{
	return e->next != NULL;
}

void tq_remove(struct tq_entry *e)
{
	if (!e->next)
		return;
	e->prev->next = e->next;
	e->next->prev = e->prev;
	e->prev = e->next = NULL;
}

void tq_push(struct tq *q, struct tq_entry *e, uint64_t due_ms)
{
	tq_remove(e);
	e->due_ms = due_ms;
	e->prev = q->head.prev;
	e->next = &q->head;
	q->head.prev->next = e;
	q->head.prev = e;
}

struct tq_entry *tq_first(const struct tq *q)
{
	return q->head.next == &q->head ? NULL : q->head.next;
}

struct tq_entry *tq_due(const struct tq *q, uint64_t now_ms)
{
	struct tq_entry *e = tq_first(q);

	return e && e->due_ms <= now_ms ? e : NULL;
}
