/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * crypto_session_msg.h - the payload of VHOST_USER_CREATE_CRYPTO_SESSION
 * (26) as QEMU sends it, in both layouts, and the reply it expects.
 *
 * QEMU copies its internal CryptoDevBackendSymSessionInfo into the message:
 *   7.2  (632 bytes):  int64 session_id; SymSessionInfo (48); key[64];
 *                      auth_key[512]
 *   8.0+ (1072 bytes): u64 op_code; union { sym: SymSessionInfo (48),
 *                      key[64], auth_key[512]; asym: ..., key[1024] }
 *                      (1056); int64 session_id
 * SymSessionInfo (x86-64): u32 cipher_alg, key_len, hash_alg,
 * hash_result_len, auth_key_len, add_len; u8 op_type, direction, hash_mode,
 * alg_chain_order; 4 bytes padding; two host pointers (meaningless to us).
 * In both layouts it sits at offset 8 and the keys at 56 and 120.
 *
 * Owns: telling the layouts apart by size, decoding into session_params,
 * writing the session id (or a negative status) into the reply payload.
 * Does not own: the session table.
 */
#ifndef VUC_CRYPTO_SESSION_MSG_H
#define VUC_CRYPTO_SESSION_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "session_table.h"

#define CSM_SIZE_V72 632u
#define CSM_SIZE_V80 1072u

enum csm_layout { CSM_V72 = 1, CSM_V80 };

/*
 * Decode a payload.  Returns the layout, or -EINVAL for an unknown size,
 * -ENOTSUP for an asymmetric (akcipher) session request.  Key pointers in
 * *p point into buf.  Key lengths above the message's key fields give
 * -EINVAL.
 */
int csm_parse(const uint8_t *buf, size_t size, struct session_params *p);

/* Write the reply's session id (>= 0 for a session, negative = failure)
 * into a payload of the given layout (buf keeps the request's bytes). */
void csm_set_session_id(uint8_t *buf, enum csm_layout layout, int64_t id);

#endif
