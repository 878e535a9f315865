/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * replay_guard.h - which messages of a room a receiver has already shown.
 *
 * Owns: per sender (its connection id, which the server vouches for, and
 * its epoch: the random number it draws for one session in one room), the
 * sequence numbers accepted so far, as a few disjoint runs [lo, hi]; the
 * freshness rules on the sender's authenticated time (live and history);
 * forgetting senders whose every message is past the history window.
 * A message is new when its (epoch, seq) is in no run.  Runs are not a
 * "highest seen" mark, so one message with a huge sequence number cannot
 * make a sender's later messages look old (it only adds a run of its own),
 * and a member who copies another's epoch fills only its own runs.
 * Does not own: authenticity (room_crypto.c checks the MAC before asking
 * here) nor what is shown.  docs/e2e-encryption.md gives the reasoning.
 */
#ifndef VCD_CHAT_REPLAY_GUARD_H
#define VCD_CHAT_REPLAY_GUARD_H

#include <stddef.h>
#include <stdint.h>

/* A message whose sender time is further than this from the receiver's
 * clock is refused (as replayed or held back). */
#define REPLAY_FRESH_MS		(5u * 60u * 1000u)
/* A room's history (HISTORY frames, docs/e2e-encryption.md) reaches this
 * far back: older history is refused, and a sender is remembered this long
 * after its last message so that history never shows a message twice. */
#define REPLAY_HISTORY_MS	(24u * 3600u * 1000u)
/* Disjoint runs kept per sender; beyond it the two closest are merged. */
#define REPLAY_RUNS_MAX		16u

struct replay_run {
	uint64_t lo, hi;
};

struct replay_sender {
	uint64_t epoch;
	uint32_t sender;
	uint64_t last_ms;	/* receiver time of its latest message */
	uint32_t nruns;		/* 0: free slot */
	struct replay_run run[REPLAY_RUNS_MAX];	/* sorted by lo */
};

struct replay_guard {
	struct replay_sender *slot;
	size_t cap, count;	/* cap a power of two, or 0 */
};

/* 1 when a message sent at sent_ms may be shown at now_ms. */
int replay_fresh(uint64_t sent_ms, uint64_t now_ms);
/* The same for history: up to REPLAY_HISTORY_MS old (and no more than
 * REPLAY_FRESH_MS ahead). */
int replay_fresh_history(uint64_t sent_ms, uint64_t now_ms);
/* 1 when (sender, epoch, seq) has not been recorded. */
int replay_is_new(const struct replay_guard *g, uint32_t sender, uint64_t epoch,
		  uint64_t seq);
/* Record (sender, epoch, seq) at now_ms: 0 or -ENOMEM. */
int replay_record(struct replay_guard *g, uint32_t sender, uint64_t epoch,
		  uint64_t seq, uint64_t now_ms);
/* Senders tracked (for tests). */
size_t replay_senders(const struct replay_guard *g);
void replay_guard_free(struct replay_guard *g);

#endif /* VCD_CHAT_REPLAY_GUARD_H */
