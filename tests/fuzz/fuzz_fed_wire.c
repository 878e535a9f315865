/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_fed_wire.c - libFuzzer target for the federation message parser
 * (chat/server/fed_wire.c): what a relay takes from NATS, i.e. from anyone who
 * can publish on the cluster.
 *
 * Owns: feeding arbitrary bytes to fed_parse and checking that what it
 * accepts is within its limits (room types have a room, ids are the
 * sending relay's, counts match the length) and re-encodes to the same
 * bytes.  Does not own: what a relay does with a message (suite-25).
 * Build: make fuzz (build/fuzz/fuzz_fed_wire); run on
 * tests/fuzz/corpus/fed_wire.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/fed_wire.h"

static uint8_t out[FED_ROOM_HDR_LEN + 4 + 4 * (size_t)FED_SNAPSHOT_MAX + CHAT_MAX_MSG];
static uint32_t ids[FED_SNAPSHOT_MAX];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fed_msg m;
	uint32_t i;

	if (fed_parse(data, size, &m) != 0)
		return 0;
	if (!m.relay || !m.instance || (fed_type_is_room(m.type) != !!m.room))
		abort();
	if (m.type == FED_T_MSG && (!m.len || m.len > CHAT_MAX_MSG ||
				    FED_ID_RELAY(m.id) != m.relay))
		abort();
	if (m.type == FED_T_SNAPSHOT) {
		if (m.len > FED_SNAPSHOT_MAX)
			abort();
		for (i = 0; i < m.len; i++) {
			ids[i] = fed_snapshot_id(&m, i);
			if (FED_ID_RELAY(ids[i]) != m.relay || !(ids[i] & 0xffffffu))
				abort();
		}
	}
	if (fed_len(&m) != size || fed_encode(out, &m, ids) != size ||
	    memcmp(out, data, size))
		abort();
	return 0;
}
