/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * replay_guard.c - seen (epoch, sequence) pairs of one room (see
 * replay_guard.h).  Senders sit in an open-addressing table keyed by id
 * and epoch (the epoch is random, so it is nearly its own hash); when the table fills up it is
 * rebuilt without the senders nothing fresh can come from any more.
 */
#include "replay_guard.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MIN_CAP		16u

int replay_fresh(uint64_t sent_ms, uint64_t now_ms)
{
	uint64_t d = sent_ms > now_ms ? sent_ms - now_ms : now_ms - sent_ms;

	return d <= REPLAY_FRESH_MS;
}

int replay_fresh_history(uint64_t sent_ms, uint64_t now_ms)
{
	if (sent_ms > now_ms)
		return sent_ms - now_ms <= REPLAY_FRESH_MS;
	return now_ms - sent_ms <= (uint64_t)REPLAY_HISTORY_MS + REPLAY_FRESH_MS;
}

static struct replay_sender *lookup(const struct replay_guard *g,
				    uint32_t sender, uint64_t epoch)
{
	size_t i, mask = g->cap - 1;

	if (!g->cap)
		return NULL;
	for (i = (size_t)(epoch ^ sender * 0x9e3779b97f4a7c15ull) & mask;;
	     i = (i + 1) & mask) {
		struct replay_sender *s = &g->slot[i];

		if (!s->nruns || (s->epoch == epoch && s->sender == sender))
			return s;
	}
}

int replay_is_new(const struct replay_guard *g, uint32_t sender, uint64_t epoch,
		  uint64_t seq)
{
	const struct replay_sender *s = lookup(g, sender, epoch);
	uint32_t i;

	if (!s || !s->nruns)
		return 1;
	for (i = 0; i < s->nruns; i++)
		if (seq >= s->run[i].lo && seq <= s->run[i].hi)
			return 0;
	return 1;
}

/* A sender is kept while a message of it could still come, live or as
 * history: its latest one may carry a time up to REPLAY_FRESH_MS ahead. */
static int still_needed(const struct replay_sender *s, uint64_t now_ms)
{
	return s->last_ms + REPLAY_HISTORY_MS + 2ull * REPLAY_FRESH_MS >= now_ms;
}

static int rebuild(struct replay_guard *g, uint64_t now_ms)
{
	size_t live = 0, cap = MIN_CAP, i;
	struct replay_guard n = { 0 };

	for (i = 0; i < g->cap; i++)
		live += g->slot[i].nruns && still_needed(&g->slot[i], now_ms);
	while (cap < 4 * (live + 1))
		cap *= 2;
	n.slot = calloc(cap, sizeof(*n.slot));
	if (!n.slot)
		return -ENOMEM;
	n.cap = cap;
	for (i = 0; i < g->cap; i++) {
		const struct replay_sender *s = &g->slot[i];

		if (s->nruns && still_needed(s, now_ms)) {
			*lookup(&n, s->sender, s->epoch) = *s;
			n.count++;
		}
	}
	free(g->slot);
	*g = n;
	return 0;
}

/* Put seq into s's runs (it is in none of them).  With all runs in use,
 * the two closest ones are merged first, the numbers between them counted
 * as seen: forged scattered numbers end up merged with each other, while
 * what was really seen is never forgotten (a gap of a sender's own is
 * numbers this receiver missed, which later come only as replays). */
static void add_seq(struct replay_sender *s, uint64_t seq)
{
	uint32_t i, at;

	for (at = 0; at < s->nruns && s->run[at].lo < seq; at++)
		;
	/* run[at - 1] ends below seq, run[at] starts above it */
	if (at > 0 && s->run[at - 1].hi + 1 == seq) {
		struct replay_run *r = &s->run[at - 1];

		r->hi = seq;
		if (at < s->nruns && s->run[at].lo == seq + 1) {	/* joins */
			r->hi = s->run[at].hi;
			memmove(&s->run[at], &s->run[at + 1],
				(s->nruns - at - 1) * sizeof(*r));
			s->nruns--;
		}
		return;
	}
	if (at < s->nruns && s->run[at].lo == seq + 1) {
		s->run[at].lo = seq;
		return;
	}
	if (s->nruns == REPLAY_RUNS_MAX) {
		uint32_t best = 0;

		for (i = 1; i + 1 < s->nruns; i++)
			if (s->run[i + 1].lo - s->run[i].hi <
			    s->run[best + 1].lo - s->run[best].hi)
				best = i;
		s->run[best].hi = s->run[best + 1].hi;
		memmove(&s->run[best + 1], &s->run[best + 2],
			(s->nruns - best - 2) * sizeof(s->run[0]));
		s->nruns--;
		if (best + 1 < at)
			at--;
		if (s->run[best].lo < seq && seq < s->run[best].hi)
			return;		/* now inside the merged run */
	}
	memmove(&s->run[at + 1], &s->run[at], (s->nruns - at) * sizeof(s->run[0]));
	s->run[at].lo = s->run[at].hi = seq;
	s->nruns++;
}

int replay_record(struct replay_guard *g, uint32_t sender, uint64_t epoch,
		  uint64_t seq, uint64_t now_ms)
{
	struct replay_sender *s = lookup(g, sender, epoch);

	if (!s || (!s->nruns && 2 * (g->count + 1) > g->cap)) {
		if (rebuild(g, now_ms) < 0)
			return -ENOMEM;
		s = lookup(g, sender, epoch);
	}
	if (!s->nruns) {
		memset(s, 0, sizeof(*s));
		s->epoch = epoch;
		s->sender = sender;
		g->count++;
	}
	s->last_ms = now_ms;
	add_seq(s, seq);
	return 0;
}

size_t replay_senders(const struct replay_guard *g)
{
	return g->count;
}

void replay_guard_free(struct replay_guard *g)
{
	free(g->slot);
	memset(g, 0, sizeof(*g));
}
