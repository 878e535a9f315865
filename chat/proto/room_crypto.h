/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * room_crypto.h - end-to-end encryption of chat messages inside a room.
 *
 * Owns: the room key derivation (scrypt over the passphrase, salted with a
 * fixed label and the room's name, nothing the server chooses; then
 * HKDF-SHA256 into separate encryption and MAC keys and the opaque room id
 * the server sees), sealing and opening one message (fresh random IV,
 * AES-256-CBC through the crypto engine with PKCS#7 padding done here,
 * HMAC-SHA256 encrypt-then-MAC over the authenticated header and the
 * ciphertext), our sender epoch and sequence numbers, and the order of the
 * checks on a received message.
 * Does not own: what the plaintext body means (chat/client/client_body.h), which
 * messages were seen (chat/proto/replay_guard.h), frames and sockets
 * (chat/proto/frame.h), nor the cipher itself (lib/crypto_engine.h).
 * docs/e2e-encryption.md describes the layout and the threat model.
 *
 * Sealed message (the opaque bytes inside SEND/RELAY), integers big-endian:
 *   u8  version (ROOM_E2E_VERSION)                \
 *   u32 sender id (the sender's connection id)     |
 *   u64 epoch (random, one per sender session)     |  authenticated header
 *   u64 sequence number (0, 1, ... in the epoch)   |  (ROOM_HDR_LEN bytes)
 *   u64 sent_ms (sender's clock, unix ms)          |
 *   u8  iv[16]                                     /
 *   u8  ciphertext[16 * n], n >= 1  (AES-256-CBC of body + PKCS#7 padding)
 *   u8  mac[32] = HMAC-SHA256(mac_key, header || ciphertext)
 */
#ifndef VCD_CHAT_ROOM_CRYPTO_H
#define VCD_CHAT_ROOM_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "crypto_engine.h"
#include "frame.h"
#include "replay_guard.h"

#define ROOM_E2E_VERSION	2
#define ROOM_KEY_LEN		32	/* scrypt output, enc key, mac key */
#define ROOM_IV_LEN		16
#define ROOM_BLOCK		16
#define ROOM_MAC_LEN		32
#define ROOM_HDR_LEN		(1 + 4 + 8 + 8 + 8 + ROOM_IV_LEN)
#define ROOM_OVERHEAD_MAX	(ROOM_HDR_LEN + ROOM_BLOCK + ROOM_MAC_LEN)
/* Largest plaintext body a sealed message can carry inside one frame. */
#define ROOM_MAX_BODY		(CHAT_MAX_MSG - ROOM_OVERHEAD_MAX)

/* Room names: 1..ROOM_NAME_MAX bytes of UTF-8 without spaces or control
 * characters; the default room of chat-client. */
#define ROOM_NAME_MAX		64
#define ROOM_DEFAULT_NAME	"lobby"

/* scrypt cost: N = 2^17, r = 8, p = 1 (128 MiB, OWASP minimum). */
#define ROOM_SCRYPT_N		(1ull << 17)
#define ROOM_SCRYPT_R		8ull
#define ROOM_SCRYPT_P		1ull

/* The scrypt salt is this label, a zero byte, then the room name. */
#define ROOM_SALT_LABEL		"vcd-chat e2e v2 room"
#define ROOM_SALT_MAX		(sizeof(ROOM_SALT_LABEL) + ROOM_NAME_MAX)
/* HKDF-SHA256 info strings: one per derived value, never equal. */
#define ROOM_HKDF_INFO_ENC	"vcd-chat e2e v2 aes-256-cbc key"
#define ROOM_HKDF_INFO_MAC	"vcd-chat e2e v2 hmac-sha256 key"
#define ROOM_HKDF_INFO_ID	"vcd-chat e2e v2 room id"

struct room_keys {
	uint8_t enc[ROOM_KEY_LEN];
	uint8_t mac[ROOM_KEY_LEN];
	uint8_t id[CHAT_ROOM_ID_LEN];	/* what the server calls the room */
};

/* 1 when name is a usable room name. */
int room_name_valid(const char *name);

/* The scrypt salt for a room name (valid); returns its length. */
size_t room_salt(const char *name, uint8_t out[ROOM_SALT_MAX]);

/* scrypt (OpenSSL EVP_PBE_scrypt) with explicit parameters; 0 or -EINVAL. */
int room_scrypt(const char *pass, size_t passlen, const uint8_t *salt,
		size_t saltlen, uint64_t n, uint64_t r, uint64_t p,
		uint8_t *out, size_t outlen);

/* HKDF-SHA256 (no salt) of the room key into the keys and id; 0 or -EIO. */
int room_keys_expand(const uint8_t room_key[ROOM_KEY_LEN],
		     struct room_keys *out);

/* The whole derivation with the production scrypt cost: from the
 * passphrase and the room name only.  0 or -errno. */
int room_derive_keys(const char *pass, size_t passlen, const char *name,
		     struct room_keys *out);

/* Wipe keys from memory. */
void room_keys_wipe(struct room_keys *k);

/* A room context: the cipher session, the MAC key, our id, epoch, sequence. */
struct room_ctx;

/*
 * Create a context.  The AES-256-CBC session is created on eng (which the
 * caller keeps open longer than the context).  Our epoch is drawn at
 * random here and our sequence numbers start at 0; the context outlives
 * connections, so a reconnect keeps both.
 */
int room_ctx_new(struct room_ctx **out, struct ce_engine *eng,
		 const struct room_keys *keys, char *err, size_t errlen);
void room_ctx_free(struct room_ctx *r);
/* Our connection id (from WELCOME) for the messages sealed from now on. */
void room_ctx_set_sender(struct room_ctx *r, uint32_t my_id);
uint64_t room_ctx_epoch(const struct room_ctx *r);

/* Bytes room_seal writes for a body of body_len bytes. */
size_t room_sealed_len(size_t body_len);

/*
 * Seal body into out (room_sealed_len(body_len) bytes of room), stamped
 * with now_ms.  0, -EMSGSIZE when body_len > ROOM_MAX_BODY, -EOVERFLOW
 * when the epoch's sequence numbers are used up, or -errno from the engine.
 */
int room_seal(struct room_ctx *r, uint64_t now_ms, const uint8_t *body,
	      size_t body_len, uint8_t *out, size_t *out_len);

/* What room_open learnt about an authentic message. */
struct room_opened {
	uint64_t epoch, seq;
	uint64_t sent_ms;	/* the sender's clock, authenticated */
};

/*
 * Open a sealed message relayed as coming from relay_sender, at now_ms.
 * Checks, in this order: shape and version, the MAC (constant time), the
 * sender id in the header against relay_sender, freshness, then g (may be
 * NULL: no replay check), and only then decrypts and strips the padding.
 * body must have room for len bytes.  On success g records the message.
 * Returns 0, or
 *   -EPROTONOSUPPORT  another e2e version byte (not authenticated)
 *   -EBADMSG          malformed, wrong MAC, wrong sender, bad padding
 *   -ESTALE           authentic but sent too long ago (or too far ahead)
 *   -EALREADY         authentic but already seen: a replay
 *   other -errno      the engine failed, or out of memory
 */
int room_open(struct room_ctx *r, uint32_t relay_sender, const uint8_t *msg,
	      size_t len, struct replay_guard *g, uint64_t now_ms, uint8_t *body,
	      size_t *body_len, struct room_opened *info);
/* The same for a message of the room's history (a HISTORY frame): fresh
 * means up to REPLAY_HISTORY_MS old (replay_fresh_history). */
int room_open_history(struct room_ctx *r, uint32_t relay_sender,
		      const uint8_t *msg, size_t len, struct replay_guard *g,
		      uint64_t now_ms, uint8_t *body, size_t *body_len,
		      struct room_opened *info);

#endif /* VCD_CHAT_ROOM_CRYPTO_H */
