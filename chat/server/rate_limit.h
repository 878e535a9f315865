/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rate_limit.h - per-connection token buckets: messages and bytes.
 *
 * Owns: the two buckets of one connection (frames per second and bytes per
 * second, each with a burst), refilling them from a millisecond clock and
 * charging them.  A bucket may go into debt (a charge larger than what is
 * left); it is then empty until the debt is paid off.
 * Does not own: what the caller does when a bucket is empty (chat-server
 * stops reading the connection), the clock, or the limits' values
 * (struct rate_cfg, filled from the command line).
 */
#ifndef VCD_CHAT_RATE_LIMIT_H
#define VCD_CHAT_RATE_LIMIT_H

#include <stdint.h>

struct rate_cfg {
	uint32_t msg_rate;	/* frames per second, 0 = no limit */
	uint32_t msg_burst;	/* frames at once above the rate */
	uint64_t byte_rate;	/* bytes per second, 0 = no limit */
	uint64_t byte_burst;
};

struct rate_limit {
	int64_t msg_milli;	/* thousandths of a frame available */
	int64_t byte_milli;	/* thousandths of a byte available */
	uint64_t last_ms;	/* time of the last refill */
};

#define RATE_UNLIMITED	UINT64_MAX

/* Full buckets at now_ms. */
void rate_init(struct rate_limit *r, const struct rate_cfg *cfg, uint64_t now_ms);
/* Add what the time since the last refill earned, up to the bursts. */
void rate_refill(struct rate_limit *r, const struct rate_cfg *cfg, uint64_t now_ms);
/* Whole frames / bytes available now (RATE_UNLIMITED without a limit). */
uint64_t rate_msgs(const struct rate_limit *r, const struct rate_cfg *cfg);
uint64_t rate_bytes(const struct rate_limit *r, const struct rate_cfg *cfg);
void rate_charge_msg(struct rate_limit *r, const struct rate_cfg *cfg);
void rate_charge_bytes(struct rate_limit *r, const struct rate_cfg *cfg, uint64_t n);

#endif /* VCD_CHAT_RATE_LIMIT_H */
