/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_room_crypto.c - unit tests of the chat's end-to-end encryption
 * (chat/proto/room_crypto.c) and of the plaintext body codec (chat/client/client_body.c).
 *
 * Owns: the KDF wiring (RFC 7914 scrypt vectors through room_scrypt, and the
 * production derivation from passphrase and room name compared with a
 * direct EVP_PBE_scrypt + HKDF through a different OpenSSL API; room ids),
 * seal/open round trips at padding edges and the maximum size, rejection of
 * every single-bit tamper, truncation, extension, wrong key, re-attributed
 * sender, bad padding under a valid MAC, freshness, the replay guard
 * (replays, reordering, poisoning by one message or a copied epoch), and
 * body encode/decode (padding buckets, nick filter).
 * Does not own: sockets and display (tests/suite-30-chat-client.sh).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>

#include "client/client_body.h"
#include "crypto_engine.h"
#include "proto/room_crypto.h"

#define MY_ID		7u
#define NOW		1700000000000ull	/* a wall clock in ms */

struct fixture {
	struct ce_engine *eng;
	struct room_keys keys;
	struct room_ctx *tx;	/* sender, id MY_ID */
	struct room_ctx *rx;	/* a receiver with the same keys */
	uint8_t *sealed, *body;
};

static void fill_keys(struct room_keys *k, uint8_t seed)
{
	for (size_t i = 0; i < ROOM_KEY_LEN; i++) {
		k->enc[i] = (uint8_t)(seed + i);
		k->mac[i] = (uint8_t)(seed * 3 + 101 + i);
	}
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256];

	assert_non_null(f);
	assert_int_equal(ce_engine_open(&f->eng, CE_KIND_SOFTWARE, NULL, err,
					sizeof(err)), 0);
	fill_keys(&f->keys, 1);
	assert_int_equal(room_ctx_new(&f->tx, f->eng, &f->keys, err, sizeof(err)), 0);
	room_ctx_set_sender(f->tx, MY_ID);
	assert_int_equal(room_ctx_new(&f->rx, f->eng, &f->keys, err, sizeof(err)), 0);
	room_ctx_set_sender(f->rx, 99);
	f->sealed = malloc(CHAT_MAX_PAYLOAD);
	f->body = malloc(CHAT_MAX_PAYLOAD);
	assert_non_null(f->sealed);
	assert_non_null(f->body);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	room_ctx_free(f->tx);
	room_ctx_free(f->rx);
	ce_engine_close(f->eng);
	free(f->sealed);
	free(f->body);
	free(f);
	return 0;
}

static void unhex(const char *hex, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

/* RFC 7914 section 12, vectors 1 and 2 (small N): checks the call wiring. */
static void test_scrypt_rfc7914(void **state)
{
	uint8_t want[64], got[64];

	(void)state;
	unhex("77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442"
	      "fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906",
	      want, 64);
	assert_int_equal(room_scrypt("", 0, (const uint8_t *)"", 0, 16, 1, 1,
				     got, 64), 0);
	assert_memory_equal(got, want, 64);

	unhex("fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
	      "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640",
	      want, 64);
	assert_int_equal(room_scrypt("password", 8, (const uint8_t *)"NaCl", 4,
				     1024, 8, 16, got, 64), 0);
	assert_memory_equal(got, want, 64);
}

/* HKDF-SHA256 through the EVP_PKEY interface: independent of room_crypto's
 * EVP_KDF call. */
static void pkey_hkdf(const uint8_t *ikm, size_t n, const char *info,
		      uint8_t out[32])
{
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
	size_t outlen = 32;

	assert_non_null(pc);
	assert_int_equal(EVP_PKEY_derive_init(pc), 1);
	assert_int_equal(EVP_PKEY_CTX_set_hkdf_md(pc, EVP_sha256()), 1);
	assert_int_equal(EVP_PKEY_CTX_set1_hkdf_key(pc, ikm, (int)n), 1);
	assert_int_equal(EVP_PKEY_CTX_add1_hkdf_info(pc, (const unsigned char *)info,
						     (int)strlen(info)), 1);
	assert_int_equal(EVP_PKEY_derive(pc, out, &outlen), 1);
	assert_int_equal(outlen, 32);
	EVP_PKEY_CTX_free(pc);
}

/* The production derivation is scrypt(N=2^17, r=8, p=1, 32 bytes) over the
 * passphrase, salted with the label, a zero byte and the room name, then
 * HKDF-SHA256 with three info strings.  Nothing else goes in: in
 * particular nothing from the server. */
static void test_derive_composition(void **state)
{
	static const char pass[] = "correct horse battery staple";
	uint8_t salt[ROOM_SALT_MAX], master[32], enc[32], mac[32], id[32];
	struct room_keys k, k2, k3;
	size_t saltlen;

	(void)state;
	assert_int_equal(room_derive_keys(pass, strlen(pass), "lobby", &k), 0);
	saltlen = room_salt("lobby", salt);
	assert_int_equal(saltlen, sizeof("vcd-chat e2e v2 room") + 5);
	assert_memory_equal(salt, "vcd-chat e2e v2 room\0lobby", saltlen);
	assert_int_equal(EVP_PBE_scrypt(pass, strlen(pass), salt, saltlen,
					1u << 17, 8, 1, 256u << 20, master,
					sizeof(master)), 1);
	pkey_hkdf(master, sizeof(master), ROOM_HKDF_INFO_ENC, enc);
	pkey_hkdf(master, sizeof(master), ROOM_HKDF_INFO_MAC, mac);
	pkey_hkdf(master, sizeof(master), ROOM_HKDF_INFO_ID, id);
	assert_memory_equal(k.enc, enc, 32);
	assert_memory_equal(k.mac, mac, 32);
	assert_memory_equal(k.id, id, CHAT_ROOM_ID_LEN);
	assert_memory_not_equal(k.enc, k.mac, 32);
	assert_memory_not_equal(k.enc, master, 32);
	assert_string_not_equal(ROOM_HKDF_INFO_ENC, ROOM_HKDF_INFO_MAC);
	assert_string_not_equal(ROOM_HKDF_INFO_ENC, ROOM_HKDF_INFO_ID);
	assert_int_equal(ROOM_SCRYPT_N, 1u << 17);
	assert_int_equal(ROOM_SCRYPT_R, 8);
	assert_int_equal(ROOM_SCRYPT_P, 1);

	/* The same passphrase in another room: unrelated keys and id. */
	assert_int_equal(room_derive_keys(pass, strlen(pass), "lobby2", &k2), 0);
	assert_memory_not_equal(k.enc, k2.enc, 32);
	assert_memory_not_equal(k.mac, k2.mac, 32);
	assert_memory_not_equal(k.id, k2.id, CHAT_ROOM_ID_LEN);
	/* The same name with another passphrase: another room. */
	assert_int_equal(room_derive_keys("another one", 11, "lobby", &k3), 0);
	assert_memory_not_equal(k.id, k3.id, CHAT_ROOM_ID_LEN);
	assert_memory_not_equal(k.enc, k3.enc, 32);
	/* Deterministic: the same inputs, the same room. */
	assert_int_equal(room_derive_keys(pass, strlen(pass), "lobby", &k2), 0);
	assert_memory_equal(&k, &k2, sizeof(k));
	/* Names: 1..64 bytes, no spaces or control characters. */
	assert_true(room_name_valid("lobby"));
	assert_true(room_name_valid("\xce\xb1"));
	assert_false(room_name_valid(""));
	assert_false(room_name_valid("two words"));
	assert_false(room_name_valid("a\nb"));
	assert_false(room_name_valid("0123456789012345678901234567890123456789"
				     "01234567890123456789012345"));
	assert_int_equal(room_derive_keys(pass, strlen(pass), "", &k2), -EINVAL);
}

static size_t seal(struct fixture *f, const uint8_t *body, size_t n)
{
	size_t out = 0;

	assert_int_equal(room_seal(f->tx, NOW, body, n, f->sealed, &out), 0);
	assert_int_equal(out, room_sealed_len(n));
	return out;
}

static void roundtrip(struct fixture *f, size_t n)
{
	uint8_t *msg = malloc(n ? n : 1);
	struct replay_guard g = { 0 };
	struct room_opened o;
	size_t len, got = 0;

	assert_non_null(msg);
	for (size_t i = 0; i < n; i++)
		msg[i] = (uint8_t)(i * 31 + 5);
	len = seal(f, msg, n);
	assert_int_equal(len, ROOM_HDR_LEN + (n / 16 + 1) * 16 + ROOM_MAC_LEN);
	assert_int_equal(room_open(f->rx, MY_ID, f->sealed, len, &g, NOW, f->body,
				   &got, &o), 0);
	assert_int_equal(got, n);
	if (n)
		assert_memory_equal(f->body, msg, n);
	assert_true(o.epoch == room_ctx_epoch(f->tx));
	assert_true(o.sent_ms == NOW);
	assert_false(replay_is_new(&g, MY_ID, o.epoch, o.seq));
	replay_guard_free(&g);
	free(msg);
}

static void test_roundtrip_padding_edges(void **state)
{
	static const size_t sizes[] = { 0, 1, 15, 16, 17, 31, 32, 33, 4096,
					65536, ROOM_MAX_BODY - 1, ROOM_MAX_BODY };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		roundtrip(*state, sizes[i]);
	assert_true(room_sealed_len(ROOM_MAX_BODY) <= CHAT_MAX_MSG);
}

static void test_too_big(void **state)
{
	struct fixture *f = *state;
	size_t out = 0;

	assert_int_equal(room_seal(f->tx, NOW, f->body, ROOM_MAX_BODY + 1, f->sealed,
				   &out), -EMSGSIZE);
}

static uint64_t be64_at(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void test_header_layout(void **state)
{
	struct fixture *f = *state;
	uint8_t first[ROOM_HDR_LEN];
	uint64_t epoch = room_ctx_epoch(f->tx);
	size_t len = seal(f, (const uint8_t *)"hi", 2);
	struct room_ctx *other;
	char err[256];

	assert_int_equal(f->sealed[0], ROOM_E2E_VERSION);
	assert_int_equal(f->sealed[1] << 24 | f->sealed[2] << 16 |
			 f->sealed[3] << 8 | f->sealed[4], MY_ID);
	assert_true(be64_at(f->sealed + 5) == epoch);
	assert_true(be64_at(f->sealed + 13) == 0);	/* the first sequence number */
	assert_true(be64_at(f->sealed + 21) == NOW);	/* sent_ms */
	memcpy(first, f->sealed, ROOM_HDR_LEN);
	len = seal(f, (const uint8_t *)"hi", 2);
	(void)len;
	/* Same epoch, next sequence number, fresh IV. */
	assert_true(be64_at(f->sealed + 5) == epoch);
	assert_true(be64_at(f->sealed + 13) == 1);
	assert_memory_not_equal(first + 29, f->sealed + 29, ROOM_IV_LEN);
	/* A new context (another session) draws another epoch. */
	assert_int_equal(room_ctx_new(&other, f->eng, &f->keys, err, sizeof(err)), 0);
	assert_true(room_ctx_epoch(other) != epoch);
	room_ctx_free(other);
}

/* Every single-bit flip anywhere (version, sender, sequence, IV,
 * ciphertext, MAC) is rejected and never yields plaintext. */
static void test_every_bit_flip_rejected(void **state)
{
	struct fixture *f = *state;
	static const char text[] = "attack at dawn!!x";	/* 17 bytes */
	size_t len = seal(f, (const uint8_t *)text, 17), got;
	struct replay_guard g = { 0 };

	for (size_t byte = 0; byte < len; byte++) {
		for (int bit = 0; bit < 8; bit++) {
			int rc;

			f->sealed[byte] ^= (uint8_t)(1u << bit);
			got = 12345;
			rc = room_open(f->rx, MY_ID, f->sealed, len, &g, NOW,
				       f->body, &got, NULL);
			if (byte == 0)
				assert_int_equal(rc, -EPROTONOSUPPORT);
			else
				assert_int_equal(rc, -EBADMSG);
			assert_int_equal(got, 12345);
			assert_int_equal(replay_senders(&g), 0);
			f->sealed[byte] ^= (uint8_t)(1u << bit);
		}
	}
	assert_int_equal(room_open(f->rx, MY_ID, f->sealed, len, &g, NOW, f->body,
				   &got, NULL), 0);
	assert_int_equal(got, 17);
	assert_memory_equal(f->body, text, 17);
	replay_guard_free(&g);
}

static void test_truncation_and_extension(void **state)
{
	struct fixture *f = *state;
	size_t len = seal(f, (const uint8_t *)"some message text", 17), got;

	for (size_t n = 0; n < len; n++)
		assert_true(room_open(f->rx, MY_ID, f->sealed, n, NULL, NOW,
				      f->body, &got, NULL) < 0);
	for (size_t extra = 1; extra <= 32; extra++) {
		memset(f->sealed + len, 0, extra);
		assert_int_equal(room_open(f->rx, MY_ID, f->sealed, len + extra,
					   NULL, NOW, f->body, &got, NULL), -EBADMSG);
	}
}

static void test_wrong_key(void **state)
{
	struct fixture *f = *state;
	struct room_keys other;
	struct room_ctx *rx2;
	char err[256];
	size_t len = seal(f, (const uint8_t *)"secret", 6), got;

	fill_keys(&other, 2);
	assert_int_equal(room_ctx_new(&rx2, f->eng, &other, err, sizeof(err)), 0);
	assert_int_equal(room_open(rx2, MY_ID, f->sealed, len, NULL, NOW, f->body,
				   &got, NULL), -EBADMSG);
	room_ctx_free(rx2);

	/* Same encryption key, other MAC key: still rejected. */
	other = f->keys;
	other.mac[0] ^= 1;
	assert_int_equal(room_ctx_new(&rx2, f->eng, &other, err, sizeof(err)), 0);
	assert_int_equal(room_open(rx2, MY_ID, f->sealed, len, NULL, NOW, f->body,
				   &got, NULL), -EBADMSG);
	room_ctx_free(rx2);
}

/* The server cannot re-attribute a message to another connection. */
static void test_sender_must_match_relay(void **state)
{
	struct fixture *f = *state;
	size_t len = seal(f, (const uint8_t *)"mine", 4), got;

	assert_int_equal(room_open(f->rx, MY_ID + 1, f->sealed, len, NULL, NOW,
				   f->body, &got, NULL), -EBADMSG);
	assert_int_equal(room_open(f->rx, MY_ID, f->sealed, len, NULL, NOW, f->body,
				   &got, NULL), 0);
}

static void test_replay_and_reorder(void **state)
{
	struct fixture *f = *state;
	uint8_t m1[128], m2[128];
	size_t l1, l2, got;
	struct replay_guard g = { 0 };

	l1 = seal(f, (const uint8_t *)"one", 3);
	memcpy(m1, f->sealed, l1);
	l2 = seal(f, (const uint8_t *)"two", 3);
	memcpy(m2, f->sealed, l2);

	/* in order, then a replay of each */
	assert_int_equal(room_open(f->rx, MY_ID, m1, l1, &g, NOW, f->body, &got, NULL), 0);
	assert_int_equal(room_open(f->rx, MY_ID, m1, l1, &g, NOW, f->body, &got, NULL),
			 -EALREADY);
	assert_int_equal(room_open(f->rx, MY_ID, m2, l2, &g, NOW, f->body, &got, NULL), 0);
	assert_int_equal(room_open(f->rx, MY_ID, m2, l2, &g, NOW, f->body, &got, NULL),
			 -EALREADY);
	assert_int_equal(room_open(f->rx, MY_ID, m1, l1, &g, NOW, f->body, &got, NULL),
			 -EALREADY);
	replay_guard_free(&g);

	/* reordered: both are shown once (nothing was seen twice) */
	assert_int_equal(room_open(f->rx, MY_ID, m2, l2, &g, NOW, f->body, &got, NULL), 0);
	assert_int_equal(room_open(f->rx, MY_ID, m1, l1, &g, NOW, f->body, &got, NULL), 0);
	assert_int_equal(room_open(f->rx, MY_ID, m1, l1, &g, NOW, f->body, &got, NULL),
			 -EALREADY);
	replay_guard_free(&g);

	/* Freshness: the sender's authenticated time against the receiver's. */
	assert_int_equal(room_open(f->rx, MY_ID, m1, l1, &g, NOW + REPLAY_FRESH_MS,
				   f->body, &got, NULL), 0);
	assert_int_equal(room_open(f->rx, MY_ID, m2, l2, &g,
				   NOW + REPLAY_FRESH_MS + 1, f->body, &got, NULL),
			 -ESTALE);
	assert_int_equal(room_open(f->rx, MY_ID, m2, l2, &g,
				   NOW - REPLAY_FRESH_MS - 1, f->body, &got, NULL),
			 -ESTALE);
	replay_guard_free(&g);

	/* History (HISTORY frames) reaches back a day, no further, and is
	 * deduplicated against what was shown live. */
	assert_int_equal(room_open_history(f->rx, MY_ID, m2, l2, &g,
					   NOW + REPLAY_HISTORY_MS + REPLAY_FRESH_MS + 1,
					   f->body, &got, NULL), -ESTALE);
	assert_int_equal(room_open_history(f->rx, MY_ID, m2, l2, &g,
					   NOW - REPLAY_FRESH_MS - 1, f->body, &got, NULL),
			 -ESTALE);
	assert_int_equal(room_open(f->rx, MY_ID, m1, l1, &g, NOW, f->body, &got, NULL), 0);
	assert_int_equal(room_open_history(f->rx, MY_ID, m1, l1, &g,
					   NOW + REPLAY_HISTORY_MS, f->body, &got, NULL),
			 -EALREADY);
	assert_int_equal(room_open_history(f->rx, MY_ID, m2, l2, &g,
					   NOW + REPLAY_HISTORY_MS, f->body, &got, NULL), 0);
	replay_guard_free(&g);
}

/* The guard's runs: one message with a huge sequence number, or a member
 * who copies another's epoch, cannot make later messages look old. */
static void test_replay_guard_poisoning(void **state)
{
	struct replay_guard g = { 0 };
	uint64_t i, t = NOW;

	(void)state;
	for (i = 0; i < 100; i++) {
		assert_true(replay_is_new(&g, 7, 42, i));
		assert_int_equal(replay_record(&g, 7, 42, i, t), 0);
	}
	/* one run: everything 0..99 seen */
	assert_false(replay_is_new(&g, 7, 42, 0));
	assert_false(replay_is_new(&g, 7, 42, 99));
	assert_true(replay_is_new(&g, 7, 42, 100));
	/* an authentic message near 2^64 ... */
	assert_int_equal(replay_record(&g, 7, 42, UINT64_MAX - 1, t), 0);
	assert_false(replay_is_new(&g, 7, 42, UINT64_MAX - 1));
	/* ... does not silence the sender's next ones */
	for (i = 100; i < 200; i++) {
		assert_true(replay_is_new(&g, 7, 42, i));
		assert_int_equal(replay_record(&g, 7, 42, i, t), 0);
	}
	/* the same epoch from another connection is another sender */
	assert_true(replay_is_new(&g, 8, 42, 5));
	assert_int_equal(replay_record(&g, 8, 42, 200, t), 0);
	assert_true(replay_is_new(&g, 7, 42, 200));
	/* gaps: runs join when the hole is filled */
	assert_int_equal(replay_record(&g, 7, 42, 202, t), 0);
	assert_true(replay_is_new(&g, 7, 42, 201));
	assert_int_equal(replay_record(&g, 7, 42, 201, t), 0);
	assert_false(replay_is_new(&g, 7, 42, 200) && replay_is_new(&g, 7, 42, 201));
	/* many forged isolated numbers: what was seen is never forgotten (the
	 * closest runs are merged: the forged ones with each other) */
	for (i = 0; i < 3 * REPLAY_RUNS_MAX; i++) {
		assert_int_equal(replay_record(&g, 7, 42, 1000000 + 2 * i, t + i), 0);
		assert_int_equal(replay_record(&g, 7, 42, 203 + i, t + i + 1), 0);
	}
	assert_false(replay_is_new(&g, 7, 42, 150));
	assert_false(replay_is_new(&g, 7, 42, 203 + 3 * REPLAY_RUNS_MAX - 1));
	assert_true(replay_is_new(&g, 7, 42, 203 + 3 * REPLAY_RUNS_MAX));
	/* senders are still known while history could bring their messages
	 * back (a day), and forgotten past it when the table fills up */
	for (i = 0; i < 64; i++)
		assert_int_equal(replay_record(&g, 100 + (uint32_t)i, i, 0,
					       t + REPLAY_HISTORY_MS), 0);
	assert_false(replay_is_new(&g, 7, 42, 150));	/* a day on: still known */
	for (i = 0; i < 64; i++)
		assert_int_equal(replay_record(&g, 200 + (uint32_t)i, i, 0,
					       t + REPLAY_HISTORY_MS + 3ull * REPLAY_FRESH_MS), 0);
	assert_int_equal(replay_senders(&g), 128);
	assert_true(replay_is_new(&g, 7, 42, 150));	/* forgotten: stale anyway */
	replay_guard_free(&g);
}

/* A forged message with a valid MAC (made here with the keys) but broken
 * padding is rejected: padding is checked, not trusted. */
static void test_bad_padding_under_valid_mac(void **state)
{
	struct fixture *f = *state;
	static const uint8_t pads[][16] = {
		{ 0 },						/* pad 0 */
		{ [15] = 17 },					/* pad > 16 */
		{ [14] = 3, [15] = 2 },				/* inconsistent */
		{ [13] = 2, [14] = 3, [15] = 3 },		/* inconsistent */
	};
	struct ce_session *aes;
	char err[256];
	size_t got;
	unsigned int taglen;

	assert_int_equal(ce_session_new(f->eng, &aes, CE_ALG_AES_CBC, f->keys.enc,
					32, err, sizeof(err)), 0);
	for (size_t i = 0; i < sizeof(pads) / sizeof(pads[0]); i++) {
		uint8_t *m = f->sealed;

		memset(m, 0, ROOM_HDR_LEN);
		m[0] = ROOM_E2E_VERSION;
		m[4] = MY_ID;
		m[20] = (uint8_t)(i + 1);		/* sequence number */
		for (int b = 0; b < 8; b++)		/* sent_ms */
			m[21 + b] = (uint8_t)(NOW >> (56 - 8 * b));
		memset(m + 29, 0x5c, ROOM_IV_LEN);
		assert_int_equal(ce_encrypt(aes, m + 29, pads[i], m + ROOM_HDR_LEN,
					    16, NULL), 0);
		assert_non_null(HMAC(EVP_sha256(), f->keys.mac, 32, m,
				     ROOM_HDR_LEN + 16, m + ROOM_HDR_LEN + 16,
				     &taglen));
		assert_int_equal(room_open(f->rx, MY_ID, m, ROOM_HDR_LEN + 16 + ROOM_MAC_LEN,
					   NULL, NOW, f->body, &got, NULL), -EBADMSG);
	}
	/* and the same construction with correct padding is accepted */
	{
		uint8_t good[16];
		uint8_t *m = f->sealed;

		memset(good, 16, sizeof(good));
		assert_int_equal(ce_encrypt(aes, m + 29, good, m + ROOM_HDR_LEN,
					    16, NULL), 0);
		assert_non_null(HMAC(EVP_sha256(), f->keys.mac, 32, m,
				     ROOM_HDR_LEN + 16, m + ROOM_HDR_LEN + 16,
				     &taglen));
		assert_int_equal(room_open(f->rx, MY_ID, m, ROOM_HDR_LEN + 16 + ROOM_MAC_LEN,
					   NULL, NOW, f->body, &got, NULL), 0);
		assert_int_equal(got, 0);
	}
	ce_session_free(aes);
}

static void test_body_codec(void **state)
{
	uint8_t buf[256];
	struct client_body b;
	size_t n, hello;

	(void)state;
	n = client_body_encode(buf, CLIENT_BODY_MSG, "alice",
			       (const uint8_t *)"hello", 5);
	assert_int_equal(n, client_body_len("alice", 5));
	assert_int_equal(n % CLIENT_BODY_BUCKET, 0);
	assert_int_equal(client_body_decode(buf, n, &b), 0);
	assert_int_equal(b.kind, CLIENT_BODY_MSG);
	assert_string_equal(b.nick, "alice");
	assert_int_equal(b.text_len, 5);
	assert_memory_equal(b.text, "hello", 5);

	hello = client_body_encode(buf, CLIENT_BODY_HELLO, "bob", NULL, 0);
	assert_int_equal(client_body_decode(buf, hello, &b), 0);
	assert_int_equal(b.kind, CLIENT_BODY_HELLO);
	assert_int_equal(b.text_len, 0);
	/* A nick announcement is as long as a short message: same size on
	 * the wire once sealed. */
	assert_int_equal(room_sealed_len(hello),
			 room_sealed_len(client_body_len("bob", 2)));
	assert_int_equal(room_sealed_len(client_body_len("a-longer-nickname-here", 0)),
			 room_sealed_len(client_body_len("al", 20)));

	/* nick kinds carry no text; unknown kinds; bad nick lengths; padding */
	n = client_body_encode(buf, CLIENT_BODY_RENAME, "bob",
			       (const uint8_t *)"x", 1);
	assert_int_equal(client_body_decode(buf, n, &b), -EBADMSG);
	n = client_body_encode(buf, 9, "bob", NULL, 0);
	assert_int_equal(client_body_decode(buf, n, &b), -EBADMSG);
	n = client_body_encode(buf, CLIENT_BODY_MSG, "bob", (const uint8_t *)"x", 1);
	assert_int_equal(client_body_decode(buf, n - 1, &b), -EBADMSG);
	buf[n - 1] = 1;				/* non-zero padding */
	assert_int_equal(client_body_decode(buf, n, &b), -EBADMSG);
	buf[n - 1] = 0;
	buf[5 + 3] = 200;			/* text_len beyond the body */
	assert_int_equal(client_body_decode(buf, n, &b), -EBADMSG);
	memset(buf, 0, 64);
	buf[0] = CLIENT_BODY_MSG;
	buf[1] = 0;
	assert_int_equal(client_body_decode(buf, 64, &b), -EBADMSG);
	buf[1] = 40;
	assert_int_equal(client_body_decode(buf, 64, &b), -EBADMSG);
	assert_int_equal(client_body_decode(buf, 1, &b), -EBADMSG);
	buf[1] = 2; buf[2] = 'a'; buf[3] = '\n';
	assert_int_equal(client_body_decode(buf, 64, &b), -EBADMSG);

	assert_true(client_nick_valid("alice"));
	assert_true(client_nick_valid("\xce\xb1\xce\xbb"));
	assert_false(client_nick_valid(""));
	assert_false(client_nick_valid("two words"));
	assert_false(client_nick_valid("tab\there"));
	assert_false(client_nick_valid("0123456789012345678901234567890123"));
	/* Characters that make a nick look like another one on screen. */
	assert_false(client_nick_valid("ali\xe2\x80\x8b" "ce"));	/* zero width space */
	assert_false(client_nick_valid("\xe2\x80\xae" "ecila"));	/* right-to-left override */
	assert_false(client_nick_valid("bob\xe2\x81\xa6"));		/* left-to-right isolate */
	assert_false(client_nick_valid("\xef\xbb\xbf" "bob"));	/* BOM / ZWNBSP */
	assert_false(client_nick_valid("bo\xc2\xad" "b"));		/* soft hyphen */
	assert_false(client_nick_valid("bob\xc2\x85"));		/* C1 control */
	assert_false(client_nick_valid("\xff"));			/* not UTF-8 */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scrypt_rfc7914),
		cmocka_unit_test(test_derive_composition),
		cmocka_unit_test_setup_teardown(test_roundtrip_padding_edges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_big, setup, teardown),
		cmocka_unit_test_setup_teardown(test_header_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_bit_flip_rejected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncation_and_extension, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sender_must_match_relay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replay_and_reorder, setup, teardown),
		cmocka_unit_test(test_replay_guard_poisoning),
		cmocka_unit_test_setup_teardown(test_bad_padding_under_valid_mac, setup, teardown),
		cmocka_unit_test(test_body_codec),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
