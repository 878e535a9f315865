/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * clock.h - the two clocks of the chat programs.
 *
 * Owns: the wall clock in unix milliseconds (what messages and notices
 * carry: sender times, server times) and the monotonic clock in
 * milliseconds and nanoseconds (timers, latency).
 * Does not own: what a program does with them.
 */
#ifndef VCD_CHAT_CLOCK_H
#define VCD_CHAT_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t clock_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static inline uint64_t clock_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t clock_mono_ms(void)
{
	return clock_mono_ns() / 1000000u;
}

#endif /* VCD_CHAT_CLOCK_H */
