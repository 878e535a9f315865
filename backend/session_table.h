/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * session_table.h - the symmetric crypto sessions of one front-end
 * connection, keyed by the 64-bit id the back-end hands out.
 *
 * Owns: validating session parameters (algorithm, key sizes, chaining
 * order, hash mode and result length), creating the engine sessions
 * (lib/crypto_engine.h), the table limit (NOSPC when full), lookup with a
 * reference count so that a session closed while a request is using it is
 * freed only when that request is done, and the process-wide id counter.
 * A session keeps a copy of its parameters and keys (wiped when it is
 * freed) so that a takeover can hand the table to a successor daemon,
 * which re-creates each session under the same id (st_export/st_restore).
 *
 * Does not own: how the parameters arrived (crypto_session_msg.c), nor
 * executing requests (crypto_request.c).
 *
 * Threads: every function may be called from any thread.
 */
#ifndef VUC_SESSION_TABLE_H
#define VUC_SESSION_TABLE_H

#include <stdint.h>

#include "crypto_engine.h"

/* Session parameters in virtio-crypto terms (values from virtio_crypto.h). */
struct session_params {
	uint32_t op_type;	/* VIRTIO_CRYPTO_SYM_OP_CIPHER / _ALGORITHM_CHAINING */
	uint32_t cipher_alg;	/* VIRTIO_CRYPTO_CIPHER_AES_*, chains also _NO_CIPHER */
	uint32_t direction;	/* VIRTIO_CRYPTO_OP_ENCRYPT / _DECRYPT */
	uint32_t key_len;
	const uint8_t *key;
	/* chaining only */
	uint32_t chain_order;	/* VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_* */
	uint32_t hash_mode;	/* VIRTIO_CRYPTO_SYM_HASH_MODE_PLAIN / _AUTH */
	uint32_t mac_alg;	/* PLAIN: VIRTIO_CRYPTO_HASH_*, AUTH: _MAC_HMAC_* */
	uint32_t hash_result_len;
	uint32_t auth_key_len;
	const uint8_t *auth_key;
	uint32_t aad_len;
};

struct session {
	uint64_t id;
	uint32_t op_type, cipher_alg, direction, chain_order, mac_alg;
	uint32_t hash_result_len, aad_len, hash_mode;
	uint32_t key_len, auth_key_len;
	uint8_t *keys;			/* key, then auth key (NULL: none) */
	enum ce_alg ce_cipher;
	struct ce_session *cipher;	/* NULL: chain without a cipher */
	struct ce_session *mac;		/* chaining only: hash or HMAC */
	int refs;			/* table's reference + users */
	int closed;
};

struct session_table;

/*
 * Where the process-wide id counter starts (main: the wall clock in ns, so
 * that ids never repeat across connections or lifetimes; tests and fuzz
 * targets: a fixed value).  Without a call ids start at 1.
 */
void st_ids_start(uint64_t first);

/* The id the next session will get. */
uint64_t st_ids_next(void);

/* max_sessions: 1 .. 2^20. */
int st_create_table(struct session_table **out, struct ce_engine *eng,
		    unsigned max_sessions);
void st_destroy_table(struct session_table *t);

/* Create a session.  Returns a VIRTIO_CRYPTO_* status: OK (id set),
 * NOTSUPP (algorithm/mode not offered), BADMSG (bad sizes), NOSPC (table
 * full), ERR (engine failure). */
int st_create(struct session_table *t, const struct session_params *p,
	      uint64_t *id);
/* VIRTIO_CRYPTO_OK or VIRTIO_CRYPTO_INVSESS. */
int st_close(struct session_table *t, uint64_t id);
/* Lookup with a reference; NULL if unknown.  Release with st_put. */
struct session *st_get(struct session_table *t, uint64_t id);
void st_put(struct session_table *t, struct session *s);
unsigned st_count(struct session_table *t);

/* One session as a successor needs it: its id and its parameters, the keys
 * copied into the arrays (p.key / p.auth_key point there). */
struct session_export {
	uint64_t id;
	struct session_params p;
	uint8_t key[CE_MAX_KEY];
	uint8_t auth_key[CE_MAX_MAC_KEY];
};

/*
 * Walk the table: copy the session at or after *cursor (start with 0) into
 * *out and advance *cursor.  1: a session, 0: no more.  The caller wipes
 * *out when done with it.
 */
int st_export(struct session_table *t, size_t *cursor,
	      struct session_export *out);

/*
 * Re-create a session handed over by a predecessor under its id: the same
 * validation as st_create, and the id must be in 1..INT64_MAX, below the
 * id counter, and not in the table.  Returns VIRTIO_CRYPTO_OK, or the
 * st_create status (NOTSUPP, BADMSG, NOSPC, ERR), or VIRTIO_CRYPTO_INVSESS
 * for a bad or duplicate id.
 */
int st_restore(struct session_table *t, const struct session_params *p,
	       uint64_t id);

#endif
