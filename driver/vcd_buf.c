// SPDX-License-Identifier: GPL-2.0-only
/*
 * vcd_buf.c - kernel copies and pinned user pages behind an operation.
 *
 * Owns the memory that a request reads and writes, so that the device, the
 * kernel crypto API and the completion path reach it without the caller's
 * address space: a zeroed kvmalloc() copy (the device may write less than
 * it says and nothing stale can leak), or the caller's pages pinned with
 * pin_user_pages_fast() (FOLL_WRITE for a destination).  A partially
 * mapped range pins nothing and gives -EFAULT.  Scatterlists are built per
 * byte range, merging physically contiguous pages up to the device's
 * segment limit.  Pages are unpinned (and marked dirty when written) only
 * by vcd_buf_put(), which the request's release calls once the device gave
 * the request back.  Does not decide when to copy or pin (vcd_job.c).
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "vcd_buf.h"

int vcd_buf_kern(struct vcd_buf *b, size_t len)
{
	memset(b, 0, sizeof(*b));
	b->kbuf = kvzalloc(max_t(size_t, len, 1), GFP_KERNEL);
	if (!b->kbuf)
		return -ENOMEM;
	b->kind = VCD_BUF_KERN;
	b->len = len;
	return 0;
}

int vcd_buf_pin(struct vcd_buf *b, const u8 __user *p, size_t len,
		bool write)
{
	unsigned long start = (unsigned long)p;
	unsigned int n;
	int got;

	memset(b, 0, sizeof(*b));
	if (!len || !access_ok(p, len))
		return -EFAULT;
	n = DIV_ROUND_UP(offset_in_page(start) + len, PAGE_SIZE);
	b->pages = kvmalloc_array(n, sizeof(*b->pages), GFP_KERNEL);
	if (!b->pages)
		return -ENOMEM;
	got = pin_user_pages_fast(start & PAGE_MASK, n,
				  write ? FOLL_WRITE : 0, b->pages);
	if (got != n) {
		if (got > 0)
			unpin_user_pages(b->pages, got);
		kvfree(b->pages);
		b->pages = NULL;
		return got < 0 && got != -EFAULT ? got : -EFAULT;
	}
	b->kind = VCD_BUF_PAGES;
	b->write = write;
	b->len = len;
	b->npages = n;
	b->first_off = offset_in_page(start);
	return 0;
}

void vcd_buf_put(struct vcd_buf *b)
{
	switch (b->kind) {
	case VCD_BUF_KERN:
		kvfree(b->kbuf);
		break;
	case VCD_BUF_PAGES:
		unpin_user_pages_dirty_lock(b->pages, b->npages, b->write);
		kvfree(b->pages);
		break;
	}
	memset(b, 0, sizeof(*b));
}

/* Copy bytes [off, off + n) out of (@to) or into (!@to) the buffer. */
static void vcd_buf_copy(const struct vcd_buf *b, size_t off, void *to,
			 const void *from, size_t n)
{
	if (b->kind == VCD_BUF_KERN) {
		if (to)
			memcpy(to, b->kbuf + off, n);
		else
			memcpy(b->kbuf + off, from, n);
		return;
	}
	off += b->first_off;
	while (n) {
		struct page *page = b->pages[off >> PAGE_SHIFT];
		size_t po = offset_in_page(off);
		size_t c = min_t(size_t, n, PAGE_SIZE - po);
		u8 *va = kmap_local_page(page);

		if (to) {
			memcpy(to, va + po, c);
			to = (u8 *)to + c;
		} else {
			memcpy(va + po, from, c);
			from = (const u8 *)from + c;
		}
		kunmap_local(va);
		off += c;
		n -= c;
	}
}

void vcd_buf_read(const struct vcd_buf *b, size_t off, void *to, size_t n)
{
	vcd_buf_copy(b, off, to, NULL, n);
}

void vcd_buf_write(const struct vcd_buf *b, size_t off, const void *from,
		   size_t n)
{
	vcd_buf_copy(b, off, NULL, from, n);
}

/* The page and offset of byte @off, and how long the run of bytes is. */
static struct page *vcd_buf_page(const struct vcd_buf *b, size_t off,
				 unsigned int *po)
{
	if (b->kind == VCD_BUF_KERN) {
		u8 *p = b->kbuf + off;

		*po = offset_in_page(p);
		return is_vmalloc_addr(p) ? vmalloc_to_page(p) : virt_to_page(p);
	}
	off += b->first_off;
	*po = offset_in_page(off);
	return b->pages[off >> PAGE_SHIFT];
}

/*
 * Describe bytes [off, off + len) in sg[0..max): returns the number of
 * entries (not end-marked), or -E2BIG when more than @max are needed.  With
 * @sg NULL it only counts.  Each entry is at most @max_seg bytes.
 */
int vcd_buf_sg(const struct vcd_buf *b, size_t off, size_t len,
	       struct scatterlist *sg, unsigned int max, size_t max_seg)
{
	struct page *cur = NULL;
	unsigned int n = 0, cur_off = 0;
	size_t cur_len = 0;

	if (b->kind == VCD_BUF_KERN && !is_vmalloc_addr(b->kbuf)) {
		/* One physically contiguous buffer: cut only by max_seg. */
		while (len) {
			size_t c = min(len, max_seg);

			if (n == max)
				return -E2BIG;
			if (sg)
				sg_set_buf(&sg[n], b->kbuf + off, c);
			n++;
			off += c;
			len -= c;
		}
		return n;
	}
	while (len) {
		unsigned int po;
		struct page *page = vcd_buf_page(b, off, &po);
		size_t c = min_t(size_t, len, PAGE_SIZE - po);

		size_t end = cur_off + cur_len;	/* of the current run */

		if (cur && po == 0 && !offset_in_page(end) &&
		    page_to_pfn(page) == page_to_pfn(cur) + end / PAGE_SIZE &&
		    cur_len + c <= max_seg) {
			cur_len += c;	/* physically contiguous: merge */
		} else {
			if (cur && sg)
				sg_set_page(&sg[n - 1], cur, cur_len, cur_off);
			if (n == max)
				return -E2BIG;
			n++;
			cur = page;
			cur_off = po;
			cur_len = c;
		}
		off += c;
		len -= c;
	}
	if (cur && sg)
		sg_set_page(&sg[n - 1], cur, cur_len, cur_off);
	return n;
}

bool vcd_user_ranges_overlap(const void __user *a, const void __user *b,
			     size_t len)
{
	unsigned long x = (unsigned long)a, y = (unsigned long)b;

	return x < y + len && y < x + len;
}
