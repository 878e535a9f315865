/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * member_index.c - join-ordered index of connected clients with lazy
 * deletion (see member_index.h).
 */
#include "member_index.h"

#include <errno.h>
#include <stdlib.h>

#define MIN_CAP		64

void member_index_init(struct member_index *m)
{
	m->v = NULL;
	m->len = m->cap = m->dead = 0;
	m->last_seq = 0;
}

void member_index_free(struct member_index *m)
{
	free(m->v);
	member_index_init(m);
}

/* Drop the dead slots; shrink the array when it is mostly empty. */
static void compact(struct member_index *m)
{
	size_t i, j = 0;

	for (i = 0; i < m->len; i++)
		if (m->v[i].id)
			m->v[j++] = m->v[i];
	m->len = j;
	m->dead = 0;
	if (m->cap > MIN_CAP && m->len < m->cap / 4) {
		size_t cap = m->cap / 2;
		struct member_slot *v = realloc(m->v, cap * sizeof(*v));

		if (v) {
			m->v = v;
			m->cap = cap;
		}
	}
}

int member_index_add(struct member_index *m, uint32_t id, uint64_t *seq)
{
	if (m->len == m->cap && m->dead)
		compact(m);
	if (m->len == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : MIN_CAP;
		struct member_slot *v = realloc(m->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		m->v = v;
		m->cap = cap;
	}
	m->v[m->len].seq = ++m->last_seq;
	m->v[m->len].id = id;
	m->len++;
	*seq = m->last_seq;
	return 0;
}

/* Index of the first slot with a sequence number above seq. */
static size_t first_after(const struct member_index *m, uint64_t seq)
{
	size_t lo = 0, hi = m->len;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->v[mid].seq <= seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void member_index_remove(struct member_index *m, uint64_t seq)
{
	size_t i = first_after(m, seq - 1);

	if (i >= m->len || m->v[i].seq != seq || !m->v[i].id)
		return;
	m->v[i].id = 0;
	m->dead++;
	if (m->dead > m->len / 2)
		compact(m);
}

void member_index_page(const struct member_index *m, uint64_t cursor,
		       uint32_t *ids, uint32_t max, uint32_t *n, uint64_t *next)
{
	size_t i = first_after(m, cursor);
	uint64_t last = cursor;
	uint32_t got = 0;

	*next = 0;
	for (; i < m->len; i++) {
		if (!m->v[i].id)
			continue;
		if (got == max) {
			*next = last;
			break;
		}
		ids[got++] = m->v[i].id;
		last = m->v[i].seq;
	}
	*n = got;
}

size_t member_index_bytes(const struct member_index *m)
{
	return m->cap * sizeof(*m->v);
}
