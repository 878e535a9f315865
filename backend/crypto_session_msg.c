/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * crypto_session_msg.c - decode QEMU's crypto session payloads (see
 * crypto_session_msg.h for both layouts).  Pure byte parsing, no state.
 */
#include <errno.h>
#include <string.h>

#include <linux/virtio_crypto.h>

#include "crypto_session_msg.h"

#define OFF_INFO 8
#define OFF_KEY 56
#define OFF_AUTH_KEY 120
#define KEY_MAX 64
#define AUTH_KEY_MAX 512
#define OFF_ID_V80 1064

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

int csm_parse(const uint8_t *buf, size_t size, struct session_params *p)
{
	const uint8_t *info = buf + OFF_INFO;
	int layout;

	if (size == CSM_SIZE_V72) {
		layout = CSM_V72;
	} else if (size == CSM_SIZE_V80) {
		uint64_t op;

		memcpy(&op, buf, 8);
		if (op == VIRTIO_CRYPTO_AKCIPHER_CREATE_SESSION)
			return -ENOTSUP;
		layout = CSM_V80;
	} else {
		return -EINVAL;
	}

	memset(p, 0, sizeof(*p));
	p->cipher_alg = rd32(info + 0);
	p->key_len = rd32(info + 4);
	p->mac_alg = rd32(info + 8);
	p->hash_result_len = rd32(info + 12);
	p->auth_key_len = rd32(info + 16);
	p->aad_len = rd32(info + 20);
	p->op_type = info[24];
	p->direction = info[25];
	p->hash_mode = info[26];
	p->chain_order = info[27];
	if (p->key_len > KEY_MAX || p->auth_key_len > AUTH_KEY_MAX)
		return -EINVAL;
	p->key = buf + OFF_KEY;
	p->auth_key = buf + OFF_AUTH_KEY;
	return layout;
}

void csm_set_session_id(uint8_t *buf, enum csm_layout layout, int64_t id)
{
	memcpy(buf + (layout == CSM_V72 ? 0 : OFF_ID_V80), &id, 8);
}
