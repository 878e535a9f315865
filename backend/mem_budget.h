/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mem_budget.h - the bytes one front-end connection may make the daemon
 * hold beyond its fixed structures: queued jobs with their buffer lists and
 * the temporary buffers of requests that cannot run in place.
 *
 * Owns: the count, its limit and the high-water mark.  A request whose
 * memory would not fit gets an error status instead of an allocation
 * (crypto_request.c, crypto_device.c decide what to charge).
 * Threads: any (atomics only).
 */
#ifndef VUC_MEM_BUDGET_H
#define VUC_MEM_BUDGET_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#define MB_DEFAULT_MAX (64u << 20)	/* per connection */

struct mem_budget {
	_Atomic size_t used;
	_Atomic size_t peak;
	size_t max;
};

static inline void mb_init(struct mem_budget *b, size_t max)
{
	atomic_store(&b->used, 0);
	atomic_store(&b->peak, 0);
	b->max = max;
}

/* Charge n bytes; false (nothing charged) when they do not fit. */
static inline bool mb_take(struct mem_budget *b, size_t n)
{
	size_t cur = atomic_load(&b->used), peak;

	do {
		if (n > b->max || cur > b->max - n)
			return false;
	} while (!atomic_compare_exchange_weak(&b->used, &cur, cur + n));
	peak = atomic_load(&b->peak);
	while (cur + n > peak &&
	       !atomic_compare_exchange_weak(&b->peak, &peak, cur + n))
		;
	return true;
}

static inline void mb_put(struct mem_budget *b, size_t n)
{
	atomic_fetch_sub(&b->used, n);
}

#endif
