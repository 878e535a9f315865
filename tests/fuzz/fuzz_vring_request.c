/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_vring_request.c - libFuzzer target: guest memory contents (split
 * ring, descriptor tables, request headers, buffers) under the
 * vhost-user-crypto device logic: descriptor chain walking (direct,
 * indirect, loops, bounds) and virtio-crypto request parsing/execution.
 *
 * Input layout: byte 0 = flags (bit 0: EVENT_IDX off, bit 1: worker pool),
 * byte 1-2 = avail idx the driver claims, byte 3-4 = start index; the rest
 * is copied over the 16 KiB fake guest memory starting at the descriptor
 * table (gpa 0x100000, ring of 16).  Sessions exist before the run: id
 * 0x100000 AES-128-CBC encrypt, 0x100001 AES-256-XTS decrypt, 0x100002
 * AES-CBC + HMAC-SHA256 chaining (cipher then hash), 0x100003 AES-CTR +
 * HMAC-SHA1 (hash then cipher), 0x100004 SHA-512 alone, 0x100005 HMAC-MD5
 * alone.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_crypto.h>

#include "crypto_device.h"
#include "fake_guest.h"
#include "log.h"

#define MEM (16u << 10)
#define NUM 16

static struct ce_engine *eng;

static void sessions(struct crypto_device *d)
{
	static const uint8_t key[64] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
		13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29,
		30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46,
		47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64 };
	struct session_params p[6] = {
		{ .op_type = VIRTIO_CRYPTO_SYM_OP_CIPHER,
		  .cipher_alg = VIRTIO_CRYPTO_CIPHER_AES_CBC,
		  .direction = VIRTIO_CRYPTO_OP_ENCRYPT, .key_len = 16, .key = key },
		{ .op_type = VIRTIO_CRYPTO_SYM_OP_CIPHER,
		  .cipher_alg = VIRTIO_CRYPTO_CIPHER_AES_XTS,
		  .direction = VIRTIO_CRYPTO_OP_DECRYPT, .key_len = 64, .key = key },
		{ .op_type = VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING,
		  .cipher_alg = VIRTIO_CRYPTO_CIPHER_AES_CBC,
		  .direction = VIRTIO_CRYPTO_OP_ENCRYPT, .key_len = 16, .key = key,
		  .chain_order = VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_CIPHER_THEN_HASH,
		  .hash_mode = VIRTIO_CRYPTO_SYM_HASH_MODE_AUTH,
		  .mac_alg = VIRTIO_CRYPTO_MAC_HMAC_SHA_256, .hash_result_len = 32,
		  .auth_key_len = 20, .auth_key = key },
		{ .op_type = VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING,
		  .cipher_alg = VIRTIO_CRYPTO_CIPHER_AES_CTR,
		  .direction = VIRTIO_CRYPTO_OP_DECRYPT, .key_len = 24, .key = key,
		  .chain_order = VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_HASH_THEN_CIPHER,
		  .hash_mode = VIRTIO_CRYPTO_SYM_HASH_MODE_AUTH,
		  .mac_alg = VIRTIO_CRYPTO_MAC_HMAC_SHA1, .hash_result_len = 12,
		  .auth_key_len = 0, .auth_key = NULL },
		{ .op_type = VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING,
		  .cipher_alg = VIRTIO_CRYPTO_NO_CIPHER,
		  .hash_mode = VIRTIO_CRYPTO_SYM_HASH_MODE_PLAIN,
		  .mac_alg = VIRTIO_CRYPTO_HASH_SHA_512, .hash_result_len = 64 },
		{ .op_type = VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING,
		  .cipher_alg = VIRTIO_CRYPTO_NO_CIPHER,
		  .hash_mode = VIRTIO_CRYPTO_SYM_HASH_MODE_AUTH,
		  .mac_alg = VIRTIO_CRYPTO_MAC_HMAC_MD5, .hash_result_len = 16,
		  .auth_key_len = 64, .auth_key = key },
	};
	uint64_t id;

	for (int i = 0; i < 6; i++)
		if (st_create(d->sessions, &p[i], &id) != VIRTIO_CRYPTO_OK)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crypto_device *d;
	struct fake_guest g;
	char err[200];
	uint16_t avail_idx, start;
	uint8_t flags;

	if (!eng) {
		log_set_level(getenv("FUZZ_VERBOSE") ? LOG_DEBUG : -1);
		if (ce_engine_open(&eng, CE_KIND_SOFTWARE, NULL, err, sizeof(err)))
			abort();
	}
	if (size < 5)
		return 0;
	flags = data[0];
	memcpy(&avail_idx, data + 1, 2);
	memcpy(&start, data + 3, 2);
	data += 5;
	size -= 5;

	if (fg_init(&g, MEM, NUM) || cd_create(&d, eng, 8, (flags & 2) ? 2 : 0))
		abort();
	d->mem = g.gm;
	st_ids_start(0x100000);
	sessions(d);
	memcpy(g.mem, data, size < MEM ? size : MEM);
	fg_set_indices(&g, start);
	((uint16_t *)fg_ptr(&g, g.avail))[1] = avail_idx;
	cd_set_event_idx(d, !(flags & 1));
	cd_set_num(d, 0, NUM);
	cd_set_base(d, 0, start);
	if (cd_set_addr(d, 0, g.desc, g.avail, g.used) == 0)
		cd_set_kick(d, 0, -1);	/* starts the ring and processes it */
	cd_drain(d);
	cd_destroy(d);
	fg_free(&g);
	return 0;
}
