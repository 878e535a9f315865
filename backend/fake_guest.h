/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fake_guest.h - an in-process stand-in for a guest driver, for the unit
 * tests, fuzz targets and the benchmark (never linked into the daemon).
 *
 * Owns: a block of "guest RAM" (host memory registered in a guest_memory
 * table with gpa == uva), a split ring laid out in it, a bump allocator for
 * buffers, and the driver side of the ring: writing descriptors (direct or
 * through an indirect table), publishing avail entries, reading used
 * entries, and building virtio-crypto request headers.
 * Does not own: anything the device does.
 */
#ifndef VUC_FAKE_GUEST_H
#define VUC_FAKE_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest_memory.h"

#define FG_BASE_GPA 0x100000ull

struct fake_guest {
	uint8_t *mem;
	size_t size;
	struct guest_memory gm;
	unsigned num;
	uint64_t desc, avail, used;	/* gpa (== uva) of the ring parts */
	uint64_t heap, heap_start;	/* bump allocator */
	uint16_t avail_idx, used_seen, next_free;
	uint64_t uva_offset;		/* uva = gpa + uva_offset */
	bool owned;
};

struct fg_seg {
	uint64_t gpa;
	uint32_t len;
	bool writable;
};

int fg_init(struct fake_guest *g, size_t size, unsigned num);
/* The same over memory the caller owns (e.g. a mapped memfd); the region's
 * front-end virtual address is gpa + uva_offset. */
int fg_init_mem(struct fake_guest *g, void *mem, size_t size, unsigned num,
		uint64_t uva_offset);
void fg_free(struct fake_guest *g);
/* Forget all buffers allocated after the rings. */
void fg_reset_heap(struct fake_guest *g);
uint64_t fg_alloc(struct fake_guest *g, size_t len);	/* 0 when full */
void *fg_ptr(struct fake_guest *g, uint64_t gpa);
void fg_write_desc(struct fake_guest *g, unsigned idx, uint64_t addr,
		   uint32_t len, uint16_t flags, uint16_t next);
/* Put segs into the ring as one chain (direct, or one INDIRECT descriptor
 * pointing to a table holding them), publish it; returns the head. */
uint16_t fg_submit(struct fake_guest *g, const struct fg_seg *segs, unsigned n,
		   bool indirect);
/* Publish a head the caller wrote descriptors for. */
void fg_publish(struct fake_guest *g, uint16_t head);
/* Next used element, if any: 1 and (id, len), else 0.  Also sets
 * used_event to the new used index, as a driver re-enabling callbacks. */
int fg_get_used(struct fake_guest *g, uint32_t *id, uint32_t *len);
uint16_t fg_avail_event(struct fake_guest *g);
void fg_set_used_event(struct fake_guest *g, uint16_t v);
/* Start indices at v (wrap-around tests): avail idx, used idx, and what the
 * device must be told with SET_VRING_BASE. */
void fg_set_indices(struct fake_guest *g, uint16_t v);

/* Put one cipher request on the ring as the Linux driver lays it out (an
 * indirect table: header, IV, src | dst, status), not kicked: len bytes of
 * src with iv under session sid (opcode VIRTIO_CRYPTO_CIPHER_ENCRYPT or
 * _DECRYPT).  Returns the status byte (0xaa until the device writes it);
 * *dst is where the result lands.  NULL when the heap is full. */
uint8_t *fg_cipher_request(struct fake_guest *g, uint32_t opcode, uint64_t sid,
			   const uint8_t iv[16], const uint8_t *src,
			   uint32_t len, uint8_t **dst);

/* Build a 72-byte virtio_crypto_op_data_req for a cipher request. */
void fg_cipher_hdr(uint8_t hdr[72], uint32_t opcode, uint64_t session_id,
		   uint32_t iv_len, uint32_t src_len, uint32_t dst_len);
/* ... and for an algorithm-chaining request. */
void fg_chain_hdr(uint8_t hdr[72], uint32_t opcode, uint64_t session_id,
		  uint32_t iv_len, uint32_t src_len, uint32_t dst_len,
		  uint32_t cipher_off, uint32_t cipher_len, uint32_t hash_off,
		  uint32_t hash_len, uint32_t aad_len, uint32_t hash_result_len);

#endif
