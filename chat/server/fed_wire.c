/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fed_wire.c - federation message codec (see fed_wire.h and
 * docs/federation.md).  Every length is exact: a message is either
 * entirely as specified or dropped.
 */
#include "fed_wire.h"
#include "proto/wire.h"

#include <errno.h>
#include <string.h>

int fed_type_is_room(uint8_t type)
{
	return type >= FED_T_MSG && type <= FED_T_SYNC;
}

/* A connection id that relay may speak for. */
static int id_ok(uint32_t id, uint8_t relay)
{
	return (id & ((1u << FED_ID_SHIFT) - 1)) && FED_ID_RELAY(id) == relay;
}

int fed_parse(const uint8_t *p, size_t len, struct fed_msg *m)
{
	const uint8_t *b;
	size_t rest;
	uint32_t i;

	memset(m, 0, sizeof(*m));
	if (len < FED_HDR_LEN || p[0] != FED_VERSION || p[3] != 0)
		return -EBADMSG;
	m->type = p[1];
	m->relay = p[2];
	m->instance = wire_get64(p + 4);
	if (!m->relay || !m->instance)
		return -EBADMSG;
	if (!fed_type_is_room(m->type)) {
		if (m->type == FED_T_HEARTBEAT && len == FED_HDR_LEN)
			return 0;
		if (m->type == FED_T_RESYNC && len == FED_HDR_LEN + 8) {
			m->target = wire_get64(p + FED_HDR_LEN);
			return 0;
		}
		return -EBADMSG;
	}
	if (len < FED_ROOM_HDR_LEN)
		return -EBADMSG;
	m->room = p + FED_HDR_LEN;
	b = p + FED_ROOM_HDR_LEN;
	rest = len - FED_ROOM_HDR_LEN;
	switch (m->type) {
	case FED_T_MSG:
		if (rest <= 12 || rest > 12 + (size_t)CHAT_MAX_MSG)
			return -EBADMSG;
		m->id = wire_get32(b);
		m->unix_ms = wire_get64(b + 4);
		m->data = b + 12;
		m->len = (uint32_t)(rest - 12);
		return id_ok(m->id, m->relay) ? 0 : -EBADMSG;
	case FED_T_JOIN:
		if (rest != 4)
			return -EBADMSG;
		m->id = wire_get32(b);
		return id_ok(m->id, m->relay) ? 0 : -EBADMSG;
	case FED_T_LEAVE:
		if (rest != 5 || b[4] > CHAT_LEAVE_PART)
			return -EBADMSG;
		m->id = wire_get32(b);
		m->reason = b[4];
		return id_ok(m->id, m->relay) ? 0 : -EBADMSG;
	case FED_T_SNAPSHOT:
		if (rest < 4)
			return -EBADMSG;
		m->len = wire_get32(b);
		if (m->len > FED_SNAPSHOT_MAX || rest != 4 + 4 * (size_t)m->len)
			return -EBADMSG;
		m->data = b + 4;
		for (i = 0; i < m->len; i++)
			if (!id_ok(wire_get32(m->data + 4 * (size_t)i), m->relay))
				return -EBADMSG;
		return 0;
	default:	/* FED_T_SYNC */
		return rest == 0 ? 0 : -EBADMSG;
	}
}

uint32_t fed_snapshot_id(const struct fed_msg *m, uint32_t i)
{
	return wire_get32(m->data + 4 * (size_t)i);
}

size_t fed_len(const struct fed_msg *m)
{
	switch (m->type) {
	case FED_T_MSG: return FED_MSG_HDR_LEN + m->len;
	case FED_T_JOIN: return FED_ROOM_HDR_LEN + 4;
	case FED_T_LEAVE: return FED_ROOM_HDR_LEN + 5;
	case FED_T_SNAPSHOT: return FED_ROOM_HDR_LEN + 4 + 4 * (size_t)m->len;
	case FED_T_SYNC: return FED_ROOM_HDR_LEN;
	case FED_T_RESYNC: return FED_HDR_LEN + 8;
	default: return FED_HDR_LEN;
	}
}

size_t fed_encode(uint8_t *out, const struct fed_msg *m, const uint32_t *ids)
{
	uint8_t *b = out + FED_ROOM_HDR_LEN;
	uint32_t i;

	out[0] = FED_VERSION;
	out[1] = m->type;
	out[2] = m->relay;
	out[3] = 0;
	wire_put64(out + 4, m->instance);
	if (m->type == FED_T_RESYNC)
		wire_put64(out + FED_HDR_LEN, m->target);
	if (fed_type_is_room(m->type))
		memcpy(out + FED_HDR_LEN, m->room, CHAT_ROOM_ID_LEN);
	switch (m->type) {
	case FED_T_MSG:
		wire_put32(b, m->id);
		wire_put64(b + 4, m->unix_ms);
		if (m->len)
			memcpy(b + 12, m->data, m->len);
		break;
	case FED_T_LEAVE:
		b[4] = m->reason;
		/* fall through */
	case FED_T_JOIN:
		wire_put32(b, m->id);
		break;
	case FED_T_SNAPSHOT:
		wire_put32(b, m->len);
		for (i = 0; i < m->len; i++)
			wire_put32(b + 4 + 4 * (size_t)i, ids[i]);
		break;
	default:
		break;
	}
	return fed_len(m);
}

void fed_room_subject(char *out, const uint8_t *room, uint8_t type)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = sizeof(FED_SUBJECT_PREFIX) - 1, i;
	const char *tail = !type ? FED_SUBJECT_ANY :
			   type == FED_T_MSG ? FED_SUBJECT_MSG : FED_SUBJECT_CTL;

	memcpy(out, FED_SUBJECT_PREFIX, n);
	for (i = 0; i < CHAT_ROOM_ID_LEN; i++) {
		out[n++] = hex[room[i] >> 4];
		out[n++] = hex[room[i] & 15];
	}
	memcpy(out + n, tail, strlen(tail) + 1);
}
