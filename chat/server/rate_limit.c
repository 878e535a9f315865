/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rate_limit.c - token buckets in thousandths, so that a rate of a few
 * frames per second refills smoothly from a millisecond clock (see
 * rate_limit.h).
 */
#include "rate_limit.h"

/* A refill after more than this is a full refill (and cannot overflow). */
#define REFILL_CAP_MS	(3600u * 1000u)

static int64_t cap_milli(uint64_t burst)
{
	return (int64_t)(burst * 1000u);
}

void rate_init(struct rate_limit *r, const struct rate_cfg *cfg, uint64_t now_ms)
{
	r->msg_milli = cap_milli(cfg->msg_burst);
	r->byte_milli = cap_milli(cfg->byte_burst);
	r->last_ms = now_ms;
}

static void refill_one(int64_t *milli, uint64_t rate, uint64_t burst, uint64_t ms)
{
	int64_t cap = cap_milli(burst);

	if (!rate)
		return;
	/* rate per second = rate thousandths per millisecond */
	if (ms >= REFILL_CAP_MS || (uint64_t)(cap - *milli) <= rate * ms)
		*milli = cap;
	else
		*milli += (int64_t)(rate * ms);
}

void rate_refill(struct rate_limit *r, const struct rate_cfg *cfg, uint64_t now_ms)
{
	uint64_t ms;

	if (now_ms <= r->last_ms)
		return;
	ms = now_ms - r->last_ms;
	r->last_ms = now_ms;
	refill_one(&r->msg_milli, cfg->msg_rate, cfg->msg_burst, ms);
	refill_one(&r->byte_milli, cfg->byte_rate, cfg->byte_burst, ms);
}

uint64_t rate_msgs(const struct rate_limit *r, const struct rate_cfg *cfg)
{
	if (!cfg->msg_rate)
		return RATE_UNLIMITED;
	return r->msg_milli > 0 ? (uint64_t)r->msg_milli / 1000u : 0;
}

uint64_t rate_bytes(const struct rate_limit *r, const struct rate_cfg *cfg)
{
	if (!cfg->byte_rate)
		return RATE_UNLIMITED;
	return r->byte_milli > 0 ? (uint64_t)r->byte_milli / 1000u : 0;
}

void rate_charge_msg(struct rate_limit *r, const struct rate_cfg *cfg)
{
	if (cfg->msg_rate)
		r->msg_milli -= 1000;
}

void rate_charge_bytes(struct rate_limit *r, const struct rate_cfg *cfg, uint64_t n)
{
	/* A debt deeper than one burst is pointless: clamp it there. */
	int64_t floor = -cap_milli(cfg->byte_burst);

	if (!cfg->byte_rate)
		return;
	if (n > 2 * cfg->byte_burst)	/* (no overflow below) */
		n = 2 * cfg->byte_burst;
	r->byte_milli -= (int64_t)(n * 1000u);
	if (r->byte_milli < floor)
		r->byte_milli = floor;
}
