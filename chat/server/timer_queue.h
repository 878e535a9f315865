/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * timer_queue.h - deadline queues whose entries expire in the order they
 * were added.
 *
 * Owns: intrusive doubly-linked FIFOs of entries, each with a due time in
 * milliseconds.  A queue is meant for one fixed delay (every entry is added
 * with now + that delay), so the first entry is always the next one due and
 * every operation is O(1), whatever the number of entries.
 * Does not own: the clock, what expiry means, or the memory of entries
 * (embedded in the caller's structs).
 */
#ifndef VCD_CHAT_TIMER_QUEUE_H
#define VCD_CHAT_TIMER_QUEUE_H

#include <stdint.h>

struct tq_entry {
	struct tq_entry *prev, *next;	/* NULL while not queued */
	uint64_t due_ms;
};

struct tq {
	struct tq_entry head;		/* sentinel of a circular list */
};

void tq_init(struct tq *q);
/* Append e (taken off any queue first) due at due_ms; due_ms must not be
 * earlier than that of the entries already queued. */
void tq_push(struct tq *q, struct tq_entry *e, uint64_t due_ms);
/* Take e off its queue; nothing if it is on none. */
void tq_remove(struct tq_entry *e);
int tq_queued(const struct tq_entry *e);
/* The first entry, or NULL when the queue is empty. */
struct tq_entry *tq_first(const struct tq *q);
/* The first entry if it is due at now_ms, else NULL. */
struct tq_entry *tq_due(const struct tq *q, uint64_t now_ms);

#endif /* VCD_CHAT_TIMER_QUEUE_H */
