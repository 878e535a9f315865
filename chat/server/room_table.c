/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * room_table.c - the chat server's rooms (see room_table.h).
 *
 * Room ids are derived by clients from their room key (HKDF output), so
 * they are uniformly distributed: the first eight bytes serve as the hash.
 * The table doubles when it holds more rooms than buckets.  Every change
 * to a room adjusts t->bytes by the difference it made.
 */
#include "room_table.h"

#include <errno.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>

#include "fed_wire.h"

#define MIN_BUCKETS	64u
#define MIN_MEMBERS	4u
/* What a tsearch node costs besides the member (glibc: key, two links,
 * a colour bit, malloc's header). */
#define REMOTE_NODE_BYTES	(4 * sizeof(void *))

static size_t room_bytes(const struct room *r)
{
	return sizeof(*r) + (size_t)r->cap * sizeof(*r->m) +
	       member_index_bytes(&r->order) + presence_bytes(&r->pres);
}

static size_t hash_of(const uint8_t *id, size_t nbucket)
{
	uint64_t h;

	memcpy(&h, id, sizeof(h));
	return (size_t)(h % nbucket);
}

int room_table_init(struct room_table *t)
{
	memset(t, 0, sizeof(*t));
	t->bucket = calloc(MIN_BUCKETS, sizeof(*t->bucket));
	if (!t->bucket)
		return -ENOMEM;
	t->nbucket = MIN_BUCKETS;
	t->qtail = &t->qhead;
	t->bytes = MIN_BUCKETS * sizeof(*t->bucket);
	return 0;
}

static int remote_cmp(const void *x, const void *y)
{
	const struct room_member *a = x, *b = y;

	return a->id < b->id ? -1 : a->id > b->id;
}

static void room_destroy(struct room *r)
{
	uint32_t i;

	tdestroy(r->remote, free);
	for (i = 0; i < r->n; i++)
		free(r->m[i]);
	free(r->m);
	member_index_free(&r->order);
	presence_free(&r->pres);
	free(r);
}

void room_table_free(struct room_table *t)
{
	size_t b;

	for (b = 0; t->bucket && b < t->nbucket; b++) {
		while (t->bucket[b]) {
			struct room *r = t->bucket[b];

			t->bucket[b] = r->hnext;
			room_destroy(r);
		}
	}
	free(t->bucket);
	memset(t, 0, sizeof(*t));
}

struct room *room_find(const struct room_table *t, const uint8_t *id)
{
	struct room *r = t->bucket[hash_of(id, t->nbucket)];

	while (r && memcmp(r->id, id, CHAT_ROOM_ID_LEN))
		r = r->hnext;
	return r;
}

/* Double the buckets (best effort: a full table only gets slower). */
static void grow_table(struct room_table *t)
{
	size_t nb = t->nbucket * 2, b;
	struct room **nbk = calloc(nb, sizeof(*nbk));

	if (!nbk)
		return;
	for (b = 0; b < t->nbucket; b++) {
		while (t->bucket[b]) {
			struct room *r = t->bucket[b];
			size_t h = hash_of(r->id, nb);

			t->bucket[b] = r->hnext;
			r->hnext = nbk[h];
			nbk[h] = r;
		}
	}
	free(t->bucket);
	t->bytes += (nb - t->nbucket) * sizeof(*nbk);
	t->bucket = nbk;
	t->nbucket = nb;
}

static struct room *room_create(struct room_table *t, const uint8_t *id)
{
	struct room *r = calloc(1, sizeof(*r));
	size_t h;

	if (!r)
		return NULL;
	memcpy(r->id, id, CHAT_ROOM_ID_LEN);
	member_index_init(&r->order);
	presence_init(&r->pres);
	if (t->nrooms >= t->nbucket)
		grow_table(t);
	h = hash_of(id, t->nbucket);
	r->hnext = t->bucket[h];
	t->bucket[h] = r;
	t->nrooms++;
	t->bytes += room_bytes(r);
	return r;
}

static void queue_remove(struct room_table *t, struct room *r)
{
	if (!r->qprev)
		return;
	*r->qprev = r->qnext;
	if (r->qnext)
		r->qnext->qprev = r->qprev;
	else
		t->qtail = r->qprev;
	r->qnext = NULL;
	r->qprev = NULL;
}

/* After an event: on the queue exactly while the batch has entries. */
static void queue_update(struct room_table *t, struct room *r)
{
	if (!presence_pending(&r->pres)) {
		queue_remove(t, r);
	} else if (!r->qprev) {
		r->qnext = NULL;
		r->qprev = t->qtail;
		*t->qtail = r;
		t->qtail = &r->qnext;
	}
}

static void room_unlink(struct room_table *t, struct room *r)
{
	struct room **pp = &t->bucket[hash_of(r->id, t->nbucket)];

	while (*pp != r)
		pp = &(*pp)->hnext;
	*pp = r->hnext;
	queue_remove(t, r);
	t->nrooms--;
	t->bytes -= room_bytes(r) +
		    r->nremote * (sizeof(struct room_member) + REMOTE_NODE_BYTES);
	room_destroy(r);
}

struct room_member *room_join(struct room_table *t, const uint8_t *id,
			      void *owner, uint32_t cid, uint64_t now_ms)
{
	struct room *r = room_find(t, id);
	struct room_member *m;
	size_t before;

	if (!r) {
		r = room_create(t, id);
		if (!r)
			return NULL;
	}
	before = room_bytes(r);
	m = calloc(1, sizeof(*m));
	if (!m)
		goto fail;
	if (r->n == r->cap) {
		uint32_t cap = r->cap ? r->cap * 2 : MIN_MEMBERS;
		struct room_member **v = realloc(r->m, cap * sizeof(*v));

		if (!v)
			goto fail;
		r->m = v;
		r->cap = cap;
	}
	if (member_index_add(&r->order, cid, &m->seq) < 0)
		goto fail;
	if (presence_joined(&r->pres, cid, &m->pres, now_ms) < 0) {
		member_index_remove(&r->order, m->seq);
		goto fail;
	}
	m->room = r;
	m->owner = owner;
	m->id = cid;
	m->slot = r->n;
	r->m[r->n++] = m;
	queue_update(t, r);
	t->bytes += room_bytes(r) - before + sizeof(*m);
	return m;
fail:
	free(m);
	t->bytes += room_bytes(r) - before;
	if (!r->n)
		room_unlink(t, r);
	return NULL;
}

int room_leave(struct room_table *t, struct room_member *m, uint8_t reason,
	       int notify, uint64_t now_ms)
{
	struct room *r = m->room;
	size_t before = room_bytes(r);
	int rc = 0;

	r->m[m->slot] = r->m[--r->n];
	r->m[m->slot]->slot = m->slot;
	member_index_remove(&r->order, m->seq);
	if (notify && r->n)
		rc = presence_left(&r->pres, m->id, reason, &m->pres, now_ms);
	free(m);
	t->bytes -= sizeof(*m);
	if (!r->n) {
		t->bytes -= before;
		t->bytes += room_bytes(r);
		room_unlink(t, r);
		return rc;
	}
	queue_update(t, r);
	t->bytes += room_bytes(r) - before;
	return rc;
}

struct room *room_waiting(const struct room_table *t)
{
	return t->qhead;
}

size_t room_presence_next(struct room_table *t, struct room *r, uint8_t *out,
			  uint64_t unix_ms)
{
	size_t before = room_bytes(r);
	size_t len = presence_encode_next(&r->pres, out, r->id, unix_ms,
					  room_size(r));

	queue_update(t, r);
	t->bytes += room_bytes(r) - before;
	return len;
}

uint32_t room_size(const struct room *r)
{
	return r->n + r->nremote;
}

int room_remote_join(struct room_table *t, struct room *r, uint32_t cid,
		     uint64_t mark, uint64_t now_ms)
{
	struct room_member key = { .id = cid }, *m, **found;
	size_t before = room_bytes(r);

	found = tfind(&key, &r->remote, remote_cmp);
	if (found) {
		(*found)->mark = mark;
		return 1;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->room = r;
	m->id = cid;
	m->mark = mark;
	if (member_index_add(&r->order, cid, &m->seq) < 0)
		goto fail;
	if (presence_joined(&r->pres, cid, &m->pres, now_ms) < 0)
		goto fail_index;
	if (!tsearch(m, &r->remote, remote_cmp))
		goto fail_index;	/* the batch keeps a join nobody leaves */
	r->nremote++;
	queue_update(t, r);
	t->bytes += room_bytes(r) - before + sizeof(*m) + REMOTE_NODE_BYTES;
	return 0;
fail_index:
	member_index_remove(&r->order, m->seq);
fail:
	free(m);
	t->bytes += room_bytes(r) - before;
	return -ENOMEM;
}

/* Take remote member m (found in r's tree) out of r. */
static int remote_remove(struct room_table *t, struct room *r, struct room_member *m,
			 uint8_t reason, uint64_t now_ms)
{
	size_t before = room_bytes(r);
	int rc;

	tdelete(m, &r->remote, remote_cmp);
	r->nremote--;
	member_index_remove(&r->order, m->seq);
	rc = presence_left(&r->pres, m->id, reason, &m->pres, now_ms);
	free(m);
	queue_update(t, r);
	t->bytes += room_bytes(r) - before;
	t->bytes -= sizeof(*m) + REMOTE_NODE_BYTES;
	return rc;
}

int room_remote_leave(struct room_table *t, struct room *r, uint32_t cid,
		      uint8_t reason, uint64_t now_ms)
{
	struct room_member key = { .id = cid }, **found;

	found = tfind(&key, &r->remote, remote_cmp);
	if (!found)
		return -ENOENT;
	return remote_remove(t, r, *found, reason, now_ms);
}

struct sweep {
	uint8_t relay;
	uint64_t keep;
	struct room_member **v;
	size_t n, cap;
	int nomem;
};

static void sweep_visit(const void *node, VISIT which, void *arg)
{
	struct room_member *m = *(struct room_member *const *)node;
	struct sweep *s = arg;

	if (which != postorder && which != leaf)
		return;
	if (FED_ID_RELAY(m->id) != s->relay || (s->keep && m->mark == s->keep))
		return;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct room_member **v = realloc(s->v, cap * sizeof(*v));

		if (!v) {
			s->nomem = 1;
			return;
		}
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = m;
}

uint32_t room_remote_sweep(struct room_table *t, struct room *r, uint8_t relay,
			   uint64_t keep, uint8_t reason, uint64_t now_ms)
{
	struct sweep s = { .relay = relay, .keep = keep };
	size_t i;

	if (!r->nremote)
		return 0;
	twalk_r(r->remote, sweep_visit, &s);
	for (i = 0; i < s.n; i++)
		(void)remote_remove(t, r, s.v[i], reason, now_ms);
	free(s.v);
	return (uint32_t)s.n;
}

void room_each(struct room_table *t, void (*fn)(struct room *r, void *arg), void *arg)
{
	size_t b;
	struct room *r;

	for (b = 0; b < t->nbucket; b++)
		for (r = t->bucket[b]; r; r = r->hnext)
			fn(r, arg);
}
