/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * id_alloc.c - increasing connection ids that never silently repeat one
 * in use (see id_alloc.h).  Keys of the tree are the ids themselves,
 * stored in the node pointer (no allocation per id beyond the node).
 */
#include "id_alloc.h"

#include <errno.h>
#include <search.h>
#include <stdlib.h>

#define NODE_BYTES	(4 * sizeof(void *))

static int cmp(const void *x, const void *y)
{
	uintptr_t a = (uintptr_t)x, b = (uintptr_t)y;

	return a < b ? -1 : a > b;
}

static void *key(uint32_t id)
{
	return (void *)(uintptr_t)id;
}

void id_alloc_init(struct id_alloc *a, uint32_t last)
{
	a->last = last;
	a->lo = 1;
	a->hi = UINT32_MAX;
	a->wraps = 0;
	a->live = NULL;
	a->nlive = 0;
}

void id_alloc_set_range(struct id_alloc *a, uint32_t lo, uint32_t hi, uint32_t last)
{
	a->lo = lo;
	a->hi = hi;
	a->last = last;
}

int id_alloc_in_use(const struct id_alloc *a, uint32_t id)
{
	return tfind(key(id), &a->live, cmp) != NULL;
}

int id_alloc_take(struct id_alloc *a, uint32_t *id)
{
	uint32_t next = a->last;
	int wrapped = 0;

	if (a->nlive >= (size_t)a->hi - a->lo + 1)
		return -ENOSPC;
	do {
		if (next >= a->hi || next < a->lo - 1) {
			next = a->lo;
			wrapped = 1;
		} else {
			next++;
		}
	} while (a->wraps + wrapped > 0 && id_alloc_in_use(a, next));
	if (!tsearch(key(next), &a->live, cmp))
		return -ENOMEM;
	a->nlive++;
	a->last = next;
	a->wraps += (uint64_t)wrapped;
	*id = next;
	return wrapped;
}

void id_alloc_release(struct id_alloc *a, uint32_t id)
{
	if (tdelete(key(id), &a->live, cmp))
		a->nlive--;
}

size_t id_alloc_bytes(const struct id_alloc *a)
{
	return a->nlive * NODE_BYTES;
}

static void no_free(void *p)
{
	(void)p;
}

void id_alloc_free(struct id_alloc *a)
{
	tdestroy(a->live, no_free);
	a->live = NULL;
	a->nlive = 0;
}
