/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * crypto_request.h - one virtio-crypto data request (struct
 * virtio_crypto_op_data_req and its buffers) executed over a popped chain.
 *
 * Owns: parsing the 72-byte request header, validating every length
 * against the request and the chain, running the cipher (and, for
 * algorithm chaining, the hash or HMAC) through the session's engine, writing dst,
 * hash result and the status byte into guest memory.
 *
 * Chain layout (virtio spec, "Crypto Device"): readable [op_data_req (72)]
 * [iv][src][aad (chaining)], writable [dst][hash_result (chaining)][status].
 * The status byte is the last byte of the last writable buffer; writable
 * space may be longer than dst_data_len (the extra is left alone).
 *
 * Does not own: descriptor walking (virtqueue.c), sessions (session_table.c).
 */
#ifndef VUC_CRYPTO_REQUEST_H
#define VUC_CRYPTO_REQUEST_H

#include <stdint.h>

#include "mem_budget.h"
#include "session_table.h"
#include "virtqueue.h"

#define CR_HDR_LEN 72u

/*
 * Execute the request in chain c (c->err must be 0).  Always writes the
 * status byte when the chain has one writable byte.  Returns the status
 * written (VIRTIO_CRYPTO_OK, _BADMSG, _NOTSUPP, _INVSESS, _ERR), or -1 when
 * the chain has no writable byte to hold a status.  *used_len receives the
 * length to report in the used ring.  Temporary buffers are charged to b
 * (ERR when they do not fit).
 */
int crypto_request_execute(struct session_table *t, const struct vq_chain *c,
			   struct mem_budget *b, uint32_t *used_len);

/* Answer chain c with ERR without running it (when its memory does not fit
 * the budget).  Returns the status written or -1 as above. */
int crypto_request_refuse(const struct vq_chain *c, uint32_t *used_len);

#endif
