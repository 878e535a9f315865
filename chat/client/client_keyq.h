/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * client_keyq.h - the bytes read from the terminal that GNU readline has
 * not taken yet, and the one rule readline's callback interface leaves to
 * its caller: a lone ESC.
 *
 * The terminal front end reads the terminal in large blocks (a paste of
 * 200,000 characters is a few dozen reads, not 200,000) and readline takes
 * the bytes one at a time through rl_getc_function.  An ESC that is the last
 * byte read may start a key sequence (an arrow key, Alt+key: the terminal
 * sends those at once) or be a lone Esc press.  Readline's keyseq-timeout
 * decides that only in its blocking readline(); with callbacks it would wait
 * for the next key forever and join it to the ESC (Esc, then 'q' a minute
 * later, became Meta-q, which does nothing: the 'q' was lost).  So such an
 * ESC is held here until more input arrives (then it goes first) or its
 * deadline passes (then the front end decides what a lone Esc means).
 *
 * Owns: the byte queue, the held ESC and its deadline.  Pure: no I/O, the
 * caller passes the time.  Does not own: reading the terminal, readline
 * (client_tty.c).
 */
#ifndef VCD_CHAT_CLIENT_KEYQ_H
#define VCD_CHAT_CLIENT_KEYQ_H

#include <stddef.h>
#include <stdint.h>

#define KEYQ_ESC	0x1b

struct keyq {
	unsigned char *buf;
	size_t cap;
	size_t head, tail;	/* bytes [head, tail) wait for readline */
	int esc_held;
	uint64_t esc_deadline_ms;
};

/* cap: the most bytes queued at once (a read never asks for more than
 * keyq_space). 0 or -ENOMEM. */
int keyq_init(struct keyq *q, size_t cap);
void keyq_free(struct keyq *q);

/* Where the next read from the terminal goes, and *room, how much it may
 * read (the queue compacts itself first; *room is 0 when it is full). */
unsigned char *keyq_tail(struct keyq *q, size_t *room);
/* The read put n bytes at keyq_tail.  A held ESC goes before them: more
 * input arrived, so it belongs to what follows. */
void keyq_commit(struct keyq *q, size_t n);
/* keyq_tail + copy + keyq_commit; returns how many bytes fitted. */
size_t keyq_push(struct keyq *q, const unsigned char *bytes, size_t n);

/* Bytes waiting (the held ESC not counted). */
size_t keyq_ready(const struct keyq *q);
/* The next byte without taking it, -1 if none waits. */
int keyq_peek(const struct keyq *q);
/* The next byte; else the held ESC (readline asks for more inside a key
 * sequence: the ESC is part of it); else -1. */
int keyq_pop(struct keyq *q);

/* When exactly one byte waits and it is ESC: hold it until now_ms +
 * timeout_ms and return 1; else 0. */
int keyq_hold_lone_esc(struct keyq *q, uint64_t now_ms, unsigned timeout_ms);
/* Milliseconds until the held ESC's deadline (0 when past), -1 if none. */
int keyq_wait_ms(const struct keyq *q, uint64_t now_ms);
/* 1 (and no ESC held any more) when the held ESC's deadline has passed. */
int keyq_take_expired(struct keyq *q, uint64_t now_ms);

#endif /* VCD_CHAT_CLIENT_KEYQ_H */
