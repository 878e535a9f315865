/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * room_crypto.h - end-to-end encryption of chat messages inside a room.
 *
 * Owns: the room key derivation (scrypt over the passphrase, salted with the
 * room salt from WELCOME, then HKDF-SHA256 into separate encryption and MAC
 * keys), sealing and opening one message (fresh random IV, AES-256-CBC
 * through the crypto engine with PKCS#7 padding done here, HMAC-SHA256
 * encrypt-then-MAC over the authenticated header and the ciphertext), and
 * the per-sender replay window.
 * Does not own: what the plaintext body means (chat/client_body.h), frames
 * and sockets (chat/frame.h), nor the cipher itself (lib/crypto_engine.h).
 * docs/e2e-encryption.md describes the layout and the threat model.
 *
 * Sealed message (the opaque bytes inside SEND/RELAY), integers big-endian:
 *   u8  version (ROOM_E2E_VERSION)            \
 *   u32 sender id (the sender's connection id) |  authenticated header
 *   u64 sequence number (per sender, rising)   |  (ROOM_HDR_LEN bytes)
 *   u8  iv[16]                                 /
 *   u8  ciphertext[16 * n], n >= 1  (AES-256-CBC of body + PKCS#7 padding)
 *   u8  mac[32] = HMAC-SHA256(mac_key, header || ciphertext)
 */
#ifndef VCD_CHAT_ROOM_CRYPTO_H
#define VCD_CHAT_ROOM_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "crypto_engine.h"
#include "frame.h"

#define ROOM_E2E_VERSION	1
#define ROOM_KEY_LEN		32	/* scrypt output, enc key, mac key */
#define ROOM_IV_LEN		16
#define ROOM_BLOCK		16
#define ROOM_MAC_LEN		32
#define ROOM_HDR_LEN		(1 + 4 + 8 + ROOM_IV_LEN)
#define ROOM_OVERHEAD_MAX	(ROOM_HDR_LEN + ROOM_BLOCK + ROOM_MAC_LEN)
/* Largest plaintext body a sealed message can carry inside one frame. */
#define ROOM_MAX_BODY		(CHAT_MAX_MSG - ROOM_OVERHEAD_MAX)

/* scrypt cost: N = 2^17, r = 8, p = 1 (128 MiB, OWASP minimum). */
#define ROOM_SCRYPT_N		(1ull << 17)
#define ROOM_SCRYPT_R		8ull
#define ROOM_SCRYPT_P		1ull

/* HKDF-SHA256 info strings: one per derived key, never equal. */
#define ROOM_HKDF_INFO_ENC	"vcd-chat e2e v1 aes-256-cbc key"
#define ROOM_HKDF_INFO_MAC	"vcd-chat e2e v1 hmac-sha256 key"

struct room_keys {
	uint8_t enc[ROOM_KEY_LEN];
	uint8_t mac[ROOM_KEY_LEN];
};

/* scrypt (OpenSSL EVP_PBE_scrypt) with explicit parameters; 0 or -EINVAL. */
int room_scrypt(const char *pass, size_t passlen, const uint8_t *salt,
		size_t saltlen, uint64_t n, uint64_t r, uint64_t p,
		uint8_t *out, size_t outlen);

/* HKDF-SHA256 (no salt) of the room key into the two keys; 0 or -EIO. */
int room_keys_expand(const uint8_t room_key[ROOM_KEY_LEN],
		     struct room_keys *out);

/* The whole derivation with the production scrypt cost. 0 or -errno. */
int room_derive_keys(const char *pass, size_t passlen,
		     const uint8_t salt[CHAT_SALT_LEN], struct room_keys *out);

/* Wipe keys from memory. */
void room_keys_wipe(struct room_keys *k);

/*
 * Replay window for one sender: a message is accepted only when its
 * sequence number is above the highest one accepted so far.
 */
struct room_window {
	uint64_t last;
	int seen;
};
/* 1 if seq is acceptable now (does not record it), 0 if replay/reorder. */
int room_window_check(const struct room_window *w, uint64_t seq);
void room_window_update(struct room_window *w, uint64_t seq);

/* A room context: the cipher session, the MAC key, our id and sequence. */
struct room_ctx;

/*
 * Create a context.  The AES-256-CBC session is created on eng (which the
 * caller keeps open longer than the context).  first_seq is the sequence
 * number of our first message (see docs/e2e-encryption.md: the client uses
 * the wall clock in microseconds so that a reused id keeps rising).
 */
int room_ctx_new(struct room_ctx **out, struct ce_engine *eng,
		 const struct room_keys *keys, uint32_t my_id,
		 uint64_t first_seq, char *err, size_t errlen);
void room_ctx_free(struct room_ctx *r);

/* Bytes room_seal writes for a body of body_len bytes. */
size_t room_sealed_len(size_t body_len);

/*
 * Seal body into out (room_sealed_len(body_len) bytes of room).
 * 0, -EMSGSIZE when body_len > ROOM_MAX_BODY, or -errno from the engine.
 */
int room_seal(struct room_ctx *r, const uint8_t *body, size_t body_len,
	      uint8_t *out, size_t *out_len);

/*
 * Open a sealed message relayed as coming from relay_sender.  Checks, in
 * this order: shape and version, the MAC (constant time), the sender id in
 * the header against relay_sender, the replay window w (may be NULL), and
 * only then decrypts and strips the padding.  body must have room for
 * len bytes.  On success the window records the sequence number.
 * Returns 0, or
 *   -EPROTONOSUPPORT  another e2e version byte (not authenticated)
 *   -EBADMSG          malformed, wrong MAC, wrong sender, bad padding
 *   -EALREADY         authentic but a replay or out of order
 *   other -errno      the engine failed
 */
int room_open(struct room_ctx *r, uint32_t relay_sender, const uint8_t *msg,
	      size_t len, struct room_window *w, uint8_t *body,
	      size_t *body_len, uint64_t *seq_out);

#endif /* VCD_CHAT_ROOM_CRYPTO_H */
