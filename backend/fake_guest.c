/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fake_guest.c - driver side of a split ring over fake guest memory (see
 * fake_guest.h).  Test and benchmark code only.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_crypto.h>
#include <linux/virtio_ring.h>

#include "fake_guest.h"

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

int fg_init_mem(struct fake_guest *g, void *mem, size_t size, unsigned num,
		uint64_t uva_offset)
{
	int r;

	memset(g, 0, sizeof(*g));
	g->mem = mem;
	g->size = size;
	g->num = num;
	g->uva_offset = uva_offset;
	gm_init(&g->gm);
	r = gm_add_host(&g->gm, FG_BASE_GPA, size, FG_BASE_GPA + uva_offset, mem);
	if (r)
		return r;
	g->desc = FG_BASE_GPA;
	g->avail = g->desc + 16ull * num;
	g->used = align_up(g->avail + 6 + 2ull * num, 4096);
	g->heap_start = g->heap = align_up(g->used + 6 + 8ull * num, 4096);
	return 0;
}

int fg_init(struct fake_guest *g, size_t size, unsigned num)
{
	void *mem;
	int r;

	if (posix_memalign(&mem, 4096, size))
		return -ENOMEM;
	memset(mem, 0, size);
	r = fg_init_mem(g, mem, size, num, 0);
	if (r) {
		free(mem);
		return r;
	}
	g->owned = true;
	return 0;
}

void fg_free(struct fake_guest *g)
{
	if (g->owned)
		free(g->mem);
	g->mem = NULL;
}

void fg_reset_heap(struct fake_guest *g)
{
	g->heap = g->heap_start;
}

uint64_t fg_alloc(struct fake_guest *g, size_t len)
{
	uint64_t a = align_up(g->heap, 16);

	if (a + len > FG_BASE_GPA + g->size)
		return 0;
	g->heap = a + len;
	return a;
}

void *fg_ptr(struct fake_guest *g, uint64_t gpa)
{
	return g->mem + (gpa - FG_BASE_GPA);
}

static struct vring_desc *desc_at(struct fake_guest *g, uint64_t table,
				  unsigned idx)
{
	return (struct vring_desc *)fg_ptr(g, table) + idx;
}

void fg_write_desc(struct fake_guest *g, unsigned idx, uint64_t addr,
		   uint32_t len, uint16_t flags, uint16_t next)
{
	struct vring_desc *d = desc_at(g, g->desc, idx);

	d->addr = addr;
	d->len = len;
	d->flags = flags;
	d->next = next;
}

void fg_publish(struct fake_guest *g, uint16_t head)
{
	uint16_t *avail = fg_ptr(g, g->avail);

	avail[2 + (g->avail_idx & (g->num - 1))] = head;
	g->avail_idx++;
	__atomic_store_n(&avail[1], g->avail_idx, __ATOMIC_RELEASE);
}

uint16_t fg_submit(struct fake_guest *g, const struct fg_seg *segs, unsigned n,
		   bool indirect)
{
	uint16_t head = g->next_free;

	if (indirect) {
		uint64_t t = fg_alloc(g, 16ull * n);
		for (unsigned i = 0; i < n; i++) {
			struct vring_desc *d = desc_at(g, t, i);
			d->addr = segs[i].gpa;
			d->len = segs[i].len;
			d->flags = (segs[i].writable ? VRING_DESC_F_WRITE : 0) |
				   (i + 1 < n ? VRING_DESC_F_NEXT : 0);
			d->next = (uint16_t)(i + 1);
		}
		fg_write_desc(g, head, t, 16u * n, VRING_DESC_F_INDIRECT, 0);
		g->next_free = (uint16_t)((head + 1) % g->num);
	} else {
		for (unsigned i = 0; i < n; i++) {
			unsigned idx = (head + i) % g->num;
			fg_write_desc(g, idx, segs[i].gpa, segs[i].len,
				      (segs[i].writable ? VRING_DESC_F_WRITE : 0) |
				      (i + 1 < n ? VRING_DESC_F_NEXT : 0),
				      (uint16_t)((idx + 1) % g->num));
		}
		g->next_free = (uint16_t)((head + n) % g->num);
	}
	fg_publish(g, head);
	return head;
}

int fg_get_used(struct fake_guest *g, uint32_t *id, uint32_t *len)
{
	uint8_t *used = fg_ptr(g, g->used);
	uint16_t idx = __atomic_load_n((uint16_t *)(used + 2), __ATOMIC_ACQUIRE);
	struct vring_used_elem *e;

	if (idx == g->used_seen)
		return 0;
	e = (struct vring_used_elem *)(used + 4) + (g->used_seen & (g->num - 1));
	*id = e->id;
	*len = e->len;
	g->used_seen++;
	/* like Linux's virtqueue_enable_cb: interrupt me after this one */
	fg_set_used_event(g, g->used_seen);
	return 1;
}

uint16_t fg_avail_event(struct fake_guest *g)
{
	uint8_t *used = fg_ptr(g, g->used);

	return *(uint16_t *)(used + 4 + 8 * g->num);
}

void fg_set_used_event(struct fake_guest *g, uint16_t v)
{
	uint16_t *avail = fg_ptr(g, g->avail);

	avail[2 + g->num] = v;
}

void fg_set_indices(struct fake_guest *g, uint16_t v)
{
	uint16_t *avail = fg_ptr(g, g->avail);
	uint8_t *used = fg_ptr(g, g->used);

	g->avail_idx = g->used_seen = v;
	avail[1] = v;
	*(uint16_t *)(used + 2) = v;
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

void fg_chain_hdr(uint8_t hdr[72], uint32_t opcode, uint64_t session_id,
		  uint32_t iv_len, uint32_t src_len, uint32_t dst_len,
		  uint32_t cipher_off, uint32_t cipher_len, uint32_t hash_off,
		  uint32_t hash_len, uint32_t aad_len, uint32_t hash_result_len)
{
	memset(hdr, 0, 72);
	put32(hdr, opcode);
	memcpy(hdr + 8, &session_id, 8);
	put32(hdr + 24, iv_len);
	put32(hdr + 28, src_len);
	put32(hdr + 32, dst_len);
	put32(hdr + 36, cipher_off);
	put32(hdr + 40, cipher_len);
	put32(hdr + 44, hash_off);
	put32(hdr + 48, hash_len);
	put32(hdr + 52, aad_len);
	put32(hdr + 56, hash_result_len);
	put32(hdr + 64, VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING);
}

void fg_cipher_hdr(uint8_t hdr[72], uint32_t opcode, uint64_t session_id,
		   uint32_t iv_len, uint32_t src_len, uint32_t dst_len)
{
	/* the cipher para shares its first three fields with the chain para */
	fg_chain_hdr(hdr, opcode, session_id, iv_len, src_len, dst_len,
		     0, 0, 0, 0, 0, 0);
	put32(hdr + 64, VIRTIO_CRYPTO_SYM_OP_CIPHER);
}

uint8_t *fg_cipher_request(struct fake_guest *g, uint32_t opcode, uint64_t sid,
			   const uint8_t iv[16], const uint8_t *src,
			   uint32_t len, uint8_t **dst)
{
	uint64_t h = fg_alloc(g, 72), ivp = fg_alloc(g, 16);
	uint64_t s = fg_alloc(g, len), d = fg_alloc(g, len), st = fg_alloc(g, 1);
	uint8_t hdr[72];

	if (!h || !ivp || !s || !d || !st)
		return NULL;
	fg_cipher_hdr(hdr, opcode, sid, 16, len, len);
	memcpy(fg_ptr(g, h), hdr, 72);
	memcpy(fg_ptr(g, ivp), iv, 16);
	memcpy(fg_ptr(g, s), src, len);
	*(uint8_t *)fg_ptr(g, st) = 0xaa;
	struct fg_seg segs[] = { { h, 72, false }, { ivp, 16, false }, { s, len, false },
				 { d, len, true }, { st, 1, true } };
	fg_submit(g, segs, 5, true);
	*dst = fg_ptr(g, d);
	return fg_ptr(g, st);
}
