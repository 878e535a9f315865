/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * crypto_request.c - parse, validate and execute one virtio-crypto data
 * request (see crypto_request.h).
 *
 * Validation (status BADMSG unless noted), all in 64-bit arithmetic so no
 * sum can wrap:
 *   - readable bytes < 72                                   BADMSG
 *   - opcode not CIPHER_ENCRYPT/DECRYPT                     NOTSUPP
 *   - session id unknown                                    INVSESS
 *   - request op_type differs from the session's op_type    BADMSG
 *   - src_data_len != dst_data_len
 *   - iv_len not what the algorithm takes (16; ECB 0 or 16)
 *   - readable < 72 + iv + src (+ aad), writable < dst (+ hash) + 1
 *   - CBC/ECB length not a multiple of 16, XTS shorter than 16
 *   - chaining: cipher or hash range outside src, hash_result_len not the
 *     session's; without a cipher also iv_len != 0, or dst_data_len
 *     neither 0 nor src_data_len
 *   - engine failure or out of memory                       ERR
 * Only the 72-byte header is read once into a private copy; lengths are
 * never re-read from guest memory.
 *
 * Data path, in bounded memory whatever the request's size: cipher
 * requests run in place over the guest's scatter lists (zero copy), segment
 * by segment with the IV chained, whenever the pieces are cut at block
 * boundaries (CBC, CTR, ECB); cut inside blocks, they go through one bounce
 * buffer of at most CR_CHUNK bytes, chunk by chunk.  XTS (one data unit,
 * one call) uses src (dst) in place when it is one contiguous host range,
 * else a temporary buffer of the request's size.  Hashes and HMACs (alone
 * or in a chain) are computed straight from the guest's buffers, piece by
 * piece; a chain's cipher runs chunk by chunk like a cipher request.  Every
 * temporary buffer is charged to the connection's mem_budget first: over
 * it the request gets ERR and nothing is allocated.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <endian.h>
#include <linux/virtio_crypto.h>

#include "crypto_request.h"

#define CR_CHUNK (64u << 10)	/* bounce buffer, a multiple of the block */

/* Offsets of the request header's fields (linux/virtio_crypto.h). */
#define REQ(f) offsetof(struct virtio_crypto_op_data_req, f)
#define HDR(f) REQ(header.f)
#define SYM(f) REQ(u.sym_req.f)
#define CIPHER(f) SYM(u.cipher.para.f)
#define CHAIN(f) SYM(u.chain.para.f)
_Static_assert(sizeof(struct virtio_crypto_op_data_req) == CR_HDR_LEN,
	       "the request header is 72 bytes");

struct stream {
	const struct iovec *iov;
	unsigned n;
};

/* Pointer to [off, off+len) if it lies in one iovec of s, else NULL. */
static uint8_t *stream_ptr(const struct stream *s, uint64_t off, uint64_t len)
{
	for (unsigned i = 0; i < s->n; i++) {
		uint64_t l = s->iov[i].iov_len;
		if (off < l) {
			if (len <= l - off)
				return (uint8_t *)s->iov[i].iov_base + off;
			return NULL;
		}
		off -= l;
	}
	return NULL;
}

/* Copy between a stream range and a flat buffer (caller checked bounds). */
static void stream_copy(const struct stream *s, uint64_t off, uint8_t *buf,
			uint64_t len, bool to_stream)
{
	for (unsigned i = 0; i < s->n && len; i++) {
		uint64_t l = s->iov[i].iov_len, k;
		uint8_t *p = s->iov[i].iov_base;

		if (off >= l) {
			off -= l;
			continue;
		}
		k = l - off < len ? l - off : len;
		if (to_stream)
			memcpy(p + off, buf, k);
		else
			memcpy(buf, p + off, k);
		buf += k;
		len -= k;
		off = 0;
	}
}

/* A temporary buffer charged to the connection's budget; NULL if over. */
static uint8_t *bounce_alloc(struct mem_budget *b, uint64_t len)
{
	uint8_t *p;

	if (len > SIZE_MAX || !mb_take(b, (size_t)len))
		return NULL;
	p = malloc(len ? (size_t)len : 1);
	if (!p)
		mb_put(b, (size_t)len);
	return p;
}

static void bounce_free(struct mem_budget *b, uint8_t *p, uint64_t len)
{
	if (p) {
		free(p);
		mb_put(b, (size_t)len);
	}
}

/* A flat view of a stream range: in place if contiguous, else a copy. */
struct flat {
	uint8_t *p;
	uint8_t *tmp;
	uint64_t len;
};

static int flat_get(struct flat *f, struct mem_budget *b,
		    const struct stream *s, uint64_t off, uint64_t len,
		    bool fill)
{
	f->tmp = NULL;
	f->len = len;
	f->p = stream_ptr(s, off, len);
	if (f->p || len == 0) {
		if (!f->p)
			f->p = (uint8_t *)"";
		return 0;
	}
	f->tmp = bounce_alloc(b, len);
	if (!f->tmp)
		return -ENOMEM;
	if (fill)
		stream_copy(s, off, f->tmp, len, false);
	f->p = f->tmp;
	return 0;
}

static void flat_put(struct flat *f, struct mem_budget *b)
{
	bounce_free(b, f->tmp, f->len);
}

static uint32_t le32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return le32toh(v);
}

static int check_mode_len(enum ce_alg alg, uint64_t len)
{
	if ((alg == CE_ALG_AES_CBC || alg == CE_ALG_AES_ECB) && len % 16)
		return VIRTIO_CRYPTO_BADMSG;
	if (alg == CE_ALG_AES_XTS && len < 16)
		return VIRTIO_CRYPTO_BADMSG;
	return VIRTIO_CRYPTO_OK;
}

static int check_iv_len(enum ce_alg alg, uint32_t iv_len)
{
	if (iv_len == CE_IV_LEN)
		return VIRTIO_CRYPTO_OK;
	if (alg == CE_ALG_AES_ECB && iv_len == 0)
		return VIRTIO_CRYPTO_OK;
	return VIRTIO_CRYPTO_BADMSG;
}

static int run_cipher(struct session *s, bool enc, const uint8_t *iv,
		      const uint8_t *in, uint8_t *out, uint64_t len)
{
	static const uint8_t zero_iv[CE_IV_LEN];
	int r;

	if (len == 0)
		return VIRTIO_CRYPTO_OK;
	if (!iv)
		iv = zero_iv;
	r = enc ? ce_encrypt(s->cipher, iv, in, out, len, NULL)
		: ce_decrypt(s->cipher, iv, in, out, len, NULL);
	return r ? VIRTIO_CRYPTO_ERR : VIRTIO_CRYPTO_OK;
}

/* A position in a stream. */
struct cursor {
	const struct stream *s;
	unsigned i;		/* iovec index */
	uint64_t off;		/* offset inside iov[i] */
};

static void cursor_init(struct cursor *c, const struct stream *s, uint64_t off)
{
	c->s = s;
	for (c->i = 0; c->i < s->n && off >= s->iov[c->i].iov_len; c->i++)
		off -= s->iov[c->i].iov_len;
	c->off = off;
}

static uint64_t cursor_left(const struct cursor *c)
{
	return c->i < c->s->n ? c->s->iov[c->i].iov_len - c->off : 0;
}

static uint8_t *cursor_ptr(const struct cursor *c)
{
	return (uint8_t *)c->s->iov[c->i].iov_base + c->off;
}

static void cursor_advance(struct cursor *c, uint64_t k)
{
	c->off += k;
	if (c->i < c->s->n && c->off == c->s->iov[c->i].iov_len) {
		c->i++;
		c->off = 0;
	}
}

/*
 * Zero-copy cipher over scattered src and dst: the common sub-ranges of the
 * two scatter lists are processed in order, chaining the IV (CBC, CTR; ECB
 * needs none).  Applies only when every sub-range but the last is a whole
 * number of blocks; returns -1 when it does not apply (XTS, or a cut
 * inside a block), else a VIRTIO_CRYPTO_* status.
 */
static int cipher_segments(struct session *s, bool enc, const uint8_t *iv0,
			   const struct stream *rd, uint64_t roff,
			   const struct stream *wr, uint64_t len)
{
	uint8_t iv[CE_IV_LEN] = { 0 };

	if (s->ce_cipher == CE_ALG_AES_XTS || len == 0)
		return -1;
	if (iv0)
		memcpy(iv, iv0, CE_IV_LEN);
	for (int pass = 0; pass < 2; pass++) {
		struct cursor a, b;
		uint64_t left = len;

		cursor_init(&a, rd, roff);
		cursor_init(&b, wr, 0);
		while (left) {
			uint64_t k = cursor_left(&a);

			if (cursor_left(&b) < k)
				k = cursor_left(&b);
			if (left < k)
				k = left;
			if (k == 0)
				return -1;	/* cannot happen: lengths checked */
			if (pass == 0 && k < left && k % 16)
				return -1;
			if (pass == 1 &&
			    (enc ? ce_encrypt(s->cipher, iv, cursor_ptr(&a),
					      cursor_ptr(&b), k, iv)
				 : ce_decrypt(s->cipher, iv, cursor_ptr(&a),
					      cursor_ptr(&b), k, iv)))
				return VIRTIO_CRYPTO_ERR;
			cursor_advance(&a, k);
			cursor_advance(&b, k);
			left -= k;
		}
	}
	return VIRTIO_CRYPTO_OK;
}

/*
 * Cipher len bytes from rd at roff to wr at woff through a bounce buffer of
 * at most CR_CHUNK bytes, the IV carried from chunk to chunk (CBC, CTR,
 * ECB): for scattered buffers cut inside blocks.  iv is updated.
 */
static int cipher_chunked(struct session *s, bool enc, uint8_t *iv,
			  const struct stream *rd, uint64_t roff,
			  const struct stream *wr, uint64_t woff, uint64_t len,
			  struct mem_budget *b)
{
	uint64_t bufsz = len < CR_CHUNK ? len : CR_CHUNK, done = 0;
	uint8_t *buf;
	int st = VIRTIO_CRYPTO_OK;

	if (len == 0)
		return VIRTIO_CRYPTO_OK;
	buf = bounce_alloc(b, bufsz);
	if (!buf)
		return VIRTIO_CRYPTO_ERR;
	while (done < len) {
		uint64_t k = len - done < bufsz ? len - done : bufsz;

		stream_copy(rd, roff + done, buf, k, false);
		if (enc ? ce_encrypt(s->cipher, iv, buf, buf, k, iv)
			: ce_decrypt(s->cipher, iv, buf, buf, k, iv)) {
			st = VIRTIO_CRYPTO_ERR;
			break;
		}
		stream_copy(wr, woff + done, buf, k, true);
		done += k;
	}
	bounce_free(b, buf, bufsz);
	return st;
}

/* Copy len bytes from rd at roff to wr at woff unchanged, in place. */
static void stream_to_stream(const struct stream *rd, uint64_t roff,
			     const struct stream *wr, uint64_t woff,
			     uint64_t len)
{
	struct cursor a, c;

	cursor_init(&a, rd, roff);
	cursor_init(&c, wr, woff);
	while (len) {
		uint64_t k = cursor_left(&a);

		if (cursor_left(&c) < k)
			k = cursor_left(&c);
		if (len < k)
			k = len;
		if (k == 0)
			return;		/* cannot happen: lengths checked */
		memmove(cursor_ptr(&c), cursor_ptr(&a), k);
		cursor_advance(&a, k);
		cursor_advance(&c, k);
		len -= k;
	}
}

/* rlen: readable bytes; wlen: writable bytes before the status byte. */
static int do_cipher(struct session *s, bool enc, const uint8_t *hdr,
		     const struct stream *rd, const struct stream *wr,
		     uint64_t rlen, uint64_t wlen, struct mem_budget *b)
{
	uint32_t iv_len = le32(hdr + CIPHER(iv_len));
	uint32_t src_len = le32(hdr + CIPHER(src_data_len));
	uint32_t dst_len = le32(hdr + CIPHER(dst_data_len));
	uint8_t iv[CE_IV_LEN] = { 0 };
	struct flat src, dst;
	int st;

	if (src_len != dst_len)
		return VIRTIO_CRYPTO_BADMSG;
	if ((st = check_iv_len(s->ce_cipher, iv_len)) != VIRTIO_CRYPTO_OK)
		return st;
	if (rlen < (uint64_t)CR_HDR_LEN + iv_len + src_len || wlen < dst_len)
		return VIRTIO_CRYPTO_BADMSG;
	if ((st = check_mode_len(s->ce_cipher, src_len)) != VIRTIO_CRYPTO_OK)
		return st;
	stream_copy(rd, CR_HDR_LEN, iv, iv_len, false);

	st = cipher_segments(s, enc, iv_len ? iv : NULL, rd, CR_HDR_LEN + iv_len,
			     wr, src_len);
	if (st >= 0)
		return st;
	if (s->ce_cipher != CE_ALG_AES_XTS)
		return cipher_chunked(s, enc, iv, rd, CR_HDR_LEN + iv_len, wr, 0,
				      src_len, b);
	/* XTS: one data unit, one call; bounce what is not contiguous */
	if (flat_get(&src, b, rd, CR_HDR_LEN + iv_len, src_len, true))
		return VIRTIO_CRYPTO_ERR;
	if (flat_get(&dst, b, wr, 0, dst_len, false)) {
		flat_put(&src, b);
		return VIRTIO_CRYPTO_ERR;
	}
	st = run_cipher(s, enc, iv, src.p, dst.p, src_len);
	if (st == VIRTIO_CRYPTO_OK && dst.tmp)
		stream_copy(wr, 0, dst.tmp, dst_len, true);
	flat_put(&src, b);
	flat_put(&dst, b);
	return st;
}

/*
 * Append the pieces of stream range [off, off + len) to parts; returns the
 * new count.  The caller checked the bounds and sized parts for every
 * iovec of the stream.
 */
static size_t stream_parts(const struct stream *s, uint64_t off, uint64_t len,
			   struct ce_buf *parts, size_t n)
{
	for (unsigned i = 0; i < s->n && len; i++) {
		uint64_t l = s->iov[i].iov_len, k;

		if (off >= l) {
			off -= l;
			continue;
		}
		k = l - off < len ? l - off : len;
		parts[n++] = (struct ce_buf){ (uint8_t *)s->iov[i].iov_base + off, k };
		len -= k;
		off = 0;
	}
	return n;
}

/*
 * The session's hash or HMAC of aad || data[off, off + len), straight from
 * the guest's buffers: aad lies in rd at aad_off, data in ds.  tag holds
 * CE_MAX_TAG bytes.  A VIRTIO_CRYPTO_* status.
 */
static int digest_streams(struct session *s, const struct stream *rd,
			  uint64_t aad_off, uint32_t aad_len,
			  const struct stream *ds, uint64_t off, uint64_t len,
			  uint8_t *tag, size_t *taglen, struct mem_budget *b)
{
	struct ce_buf stack_parts[16], *parts = stack_parts;
	size_t nparts = rd->n + ds->n, n;
	int st = VIRTIO_CRYPTO_OK;

	if (nparts > sizeof(stack_parts) / sizeof(stack_parts[0])) {
		parts = (struct ce_buf *)bounce_alloc(b, nparts * sizeof(*parts));
		if (!parts)
			return VIRTIO_CRYPTO_ERR;
	}
	n = stream_parts(rd, aad_off, aad_len, parts, 0);
	n = stream_parts(ds, off, len, parts, n);
	*taglen = CE_MAX_TAG;
	if (ce_digest(s->mac, parts, n, tag, taglen))
		st = VIRTIO_CRYPTO_ERR;
	if (parts != stack_parts)
		bounce_free(b, (uint8_t *)parts, nparts * sizeof(*parts));
	return st;
}

/* The lengths of an algorithm-chaining request, from the private header. */
struct chain_para {
	uint32_t iv_len, src_len, dst_len, c_off, c_len, h_off, h_len;
	uint32_t aad_len, hr_len;
};

static struct chain_para chain_para(const uint8_t *hdr)
{
	return (struct chain_para){
		.iv_len = le32(hdr + CHAIN(iv_len)),
		.src_len = le32(hdr + CHAIN(src_data_len)),
		.dst_len = le32(hdr + CHAIN(dst_data_len)),
		.c_off = le32(hdr + CHAIN(cipher_start_src_offset)),
		.c_len = le32(hdr + CHAIN(len_to_cipher)),
		.h_off = le32(hdr + CHAIN(hash_start_src_offset)),
		.h_len = le32(hdr + CHAIN(len_to_hash)),
		.aad_len = le32(hdr + CHAIN(aad_len)),
		.hr_len = le32(hdr + CHAIN(hash_result_len)),
	};
}

/*
 * A chain without a cipher: the hash or HMAC of aad || src[h_off, +h_len),
 * straight from the guest's buffers (nothing is copied).  The destination
 * is empty, or as long as the source and then receives the source (a
 * cipher that does nothing).
 */
static int do_digest(struct session *s, const uint8_t *hdr,
		     const struct stream *rd, const struct stream *wr,
		     uint64_t rlen, uint64_t wlen, struct mem_budget *b)
{
	struct chain_para p = chain_para(hdr);
	uint32_t iv_len = p.iv_len, src_len = p.src_len, dst_len = p.dst_len;
	uint32_t h_off = p.h_off, h_len = p.h_len, aad_len = p.aad_len;
	uint32_t hr_len = p.hr_len;
	uint64_t src_off = CR_HDR_LEN + (uint64_t)iv_len;
	uint8_t tag[CE_MAX_TAG];
	size_t taglen;
	int st;

	if (iv_len || (dst_len && dst_len != src_len))
		return VIRTIO_CRYPTO_BADMSG;
	if (hr_len != s->hash_result_len)
		return VIRTIO_CRYPTO_BADMSG;
	if ((uint64_t)h_off + h_len > src_len)
		return VIRTIO_CRYPTO_BADMSG;
	if (rlen < src_off + src_len + aad_len ||
	    wlen < (uint64_t)dst_len + hr_len)
		return VIRTIO_CRYPTO_BADMSG;
	st = digest_streams(s, rd, src_off + src_len, aad_len, rd,
			    src_off + h_off, h_len, tag, &taglen, b);
	if (st == VIRTIO_CRYPTO_OK && taglen < hr_len)
		st = VIRTIO_CRYPTO_ERR;
	if (st != VIRTIO_CRYPTO_OK)
		return st;
	stream_to_stream(rd, src_off, wr, 0, dst_len);
	stream_copy(wr, dst_len, tag, hr_len, true);
	return VIRTIO_CRYPTO_OK;
}

/*
 * A cipher with an HMAC.  dst receives src with the cipher range
 * en/decrypted (in bounded chunks); the HMAC covers aad and the hash range
 * of the input (HASH_THEN_CIPHER, computed before anything is written) or
 * of the output (CIPHER_THEN_HASH, read back from dst), straight from the
 * guest's buffers.  Nothing is flattened, so memory stays at one chunk
 * whatever the request's size.
 */
static int do_chain(struct session *s, bool enc, const uint8_t *hdr,
		    const struct stream *rd, const struct stream *wr,
		    uint64_t rlen, uint64_t wlen, struct mem_budget *b)
{
	struct chain_para p = chain_para(hdr);
	uint32_t iv_len = p.iv_len, src_len = p.src_len, dst_len = p.dst_len;
	uint32_t c_off = p.c_off, c_len = p.c_len, h_off = p.h_off;
	uint32_t h_len = p.h_len, aad_len = p.aad_len, hr_len = p.hr_len;
	uint8_t iv[CE_IV_LEN] = { 0 }, tag[CE_MAX_TAG];
	uint64_t src_off = CR_HDR_LEN + (uint64_t)iv_len;
	uint64_t aad_off = src_off + src_len;
	bool mac_first = s->chain_order ==
			 VIRTIO_CRYPTO_SYM_ALG_CHAIN_ORDER_HASH_THEN_CIPHER;
	size_t taglen = 0;
	int st;

	if (src_len != dst_len)
		return VIRTIO_CRYPTO_BADMSG;
	if ((st = check_iv_len(s->ce_cipher, iv_len)) != VIRTIO_CRYPTO_OK)
		return st;
	if (hr_len != s->hash_result_len)
		return VIRTIO_CRYPTO_BADMSG;
	if ((uint64_t)c_off + c_len > src_len || (uint64_t)h_off + h_len > src_len)
		return VIRTIO_CRYPTO_BADMSG;
	if (rlen < src_off + src_len + aad_len ||
	    wlen < (uint64_t)dst_len + hr_len)
		return VIRTIO_CRYPTO_BADMSG;
	if ((st = check_mode_len(s->ce_cipher, c_len)) != VIRTIO_CRYPTO_OK)
		return st;
	stream_copy(rd, CR_HDR_LEN, iv, iv_len, false);

	if (mac_first) {
		st = digest_streams(s, rd, aad_off, aad_len, rd, src_off + h_off,
				    h_len, tag, &taglen, b);
		if (st != VIRTIO_CRYPTO_OK)
			return st;
	}
	/* dst = src outside the cipher range, cipher(src) inside it */
	stream_to_stream(rd, src_off, wr, 0, c_off);
	st = cipher_chunked(s, enc, iv, rd, src_off + c_off, wr, c_off, c_len, b);
	if (st != VIRTIO_CRYPTO_OK)
		return st;
	stream_to_stream(rd, src_off + c_off + c_len, wr, (uint64_t)c_off + c_len,
			 src_len - c_off - (uint64_t)c_len);
	if (!mac_first) {
		st = digest_streams(s, rd, aad_off, aad_len, wr, h_off, h_len,
				    tag, &taglen, b);
		if (st != VIRTIO_CRYPTO_OK)
			return st;
	}
	if (taglen < hr_len)
		return VIRTIO_CRYPTO_ERR;
	stream_copy(wr, dst_len, tag, hr_len, true);
	return VIRTIO_CRYPTO_OK;
}

static int execute(struct session_table *t, const struct vq_chain *c,
		   const struct stream *rd, const struct stream *wr,
		   struct mem_budget *b)
{
	uint8_t hdr[CR_HDR_LEN];
	uint32_t opcode, op_type;
	uint64_t sid;
	struct session *s;
	bool enc;
	int st;

	if (c->rlen < CR_HDR_LEN)
		return VIRTIO_CRYPTO_BADMSG;
	stream_copy(rd, 0, hdr, CR_HDR_LEN, false);
	opcode = le32(hdr + HDR(opcode));
	memcpy(&sid, hdr + HDR(session_id), sizeof(sid));
	sid = le64toh(sid);
	op_type = le32(hdr + SYM(op_type));

	if (opcode == VIRTIO_CRYPTO_CIPHER_ENCRYPT)
		enc = true;
	else if (opcode == VIRTIO_CRYPTO_CIPHER_DECRYPT)
		enc = false;
	else
		return VIRTIO_CRYPTO_NOTSUPP;

	s = st_get(t, sid);
	if (!s)
		return VIRTIO_CRYPTO_INVSESS;
	if (op_type != s->op_type)
		st = VIRTIO_CRYPTO_BADMSG;
	else if (op_type == VIRTIO_CRYPTO_SYM_OP_CIPHER)
		st = do_cipher(s, enc, hdr, rd, wr, c->rlen, c->wlen - 1, b);
	else if (!s->cipher)
		st = do_digest(s, hdr, rd, wr, c->rlen, c->wlen - 1, b);
	else
		st = do_chain(s, enc, hdr, rd, wr, c->rlen, c->wlen - 1, b);
	st_put(t, s);
	return st;
}

/* The status byte: the last byte of the last writable buffer. */
static void put_status(const struct vq_chain *c, int st, uint32_t *used_len)
{
	const struct iovec *last = &c->iov[c->nr + c->nw - 1];

	((volatile uint8_t *)last->iov_base)[last->iov_len - 1] = (uint8_t)st;
	*used_len = (uint32_t)c->wlen;
}

int crypto_request_refuse(const struct vq_chain *c, uint32_t *used_len)
{
	*used_len = 0;
	if (c->err || c->wlen == 0 || c->nw == 0)
		return -1;
	put_status(c, VIRTIO_CRYPTO_ERR, used_len);
	return VIRTIO_CRYPTO_ERR;
}

int crypto_request_execute(struct session_table *t, const struct vq_chain *c,
			   struct mem_budget *b, uint32_t *used_len)
{
	struct stream rd = { c->iov, c->nr };
	struct stream wr = { c->iov + c->nr, c->nw };
	int st;

	*used_len = 0;
	if (c->wlen == 0 || c->nw == 0)
		return -1;
	st = execute(t, c, &rd, &wr, b);
	put_status(c, st, used_len);
	return st;
}
