/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_bench_peers.c - libFuzzer target for what chat-bench parses from the
 * brokers it benchmarks (chat/bench/bench_peers.c): Redis RESP3 and NATS.
 *
 * The first byte picks the protocol; the rest is a stream split into items
 * exactly as chat-bench does.  Checks: an item never claims more bytes than
 * there are, a message payload lies inside the input, and parsing always
 * makes progress or stops.
 */
#include <stdint.h>
#include <stdlib.h>

#include "bench/bench_peers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum bench_peer p;
	size_t off = 1;

	if (size < 1)
		return 0;
	p = data[0] & 1 ? BENCH_PEER_NATS : BENCH_PEER_REDIS;
	while (off < size) {
		struct peer_event ev;
		long used = peer_parse(p, data + off, size - off, &ev);

		if (used <= 0)
			break;
		if ((size_t)used > size - off)
			abort();
		if ((ev.kind == PE_MESSAGE || ev.kind == PE_ERROR) &&
		    (ev.payload < data + off ||
		     ev.payload + ev.len > data + off + (size_t)used))
			abort();
		off += (size_t)used;
	}
	return 0;
}
