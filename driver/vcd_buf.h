/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vcd_buf.h - one side of an operation (source or destination) in a form
 * the kernel can reach from any context: a kernel copy or the caller's
 * pinned pages.
 */
#ifndef VCD_BUF_H
#define VCD_BUF_H

#include <linux/mm_types.h>
#include <linux/scatterlist.h>
#include <linux/types.h>

enum vcd_buf_kind {
	VCD_BUF_NONE,
	VCD_BUF_KERN,	/* kvmalloc()ed, zeroed */
	VCD_BUF_PAGES,	/* the caller's pages, pinned */
};

struct vcd_buf {
	u8 kind;
	bool write;		/* PAGES: pinned for writing, dirtied on put */
	size_t len;
	u8 *kbuf;
	struct page **pages;
	unsigned int npages;
	unsigned int first_off;	/* offset of byte 0 in pages[0] */
};

int vcd_buf_kern(struct vcd_buf *b, size_t len);
int vcd_buf_pin(struct vcd_buf *b, const u8 __user *p, size_t len,
		bool write);
void vcd_buf_put(struct vcd_buf *b);
void vcd_buf_read(const struct vcd_buf *b, size_t off, void *to, size_t n);
void vcd_buf_write(const struct vcd_buf *b, size_t off, const void *from,
		   size_t n);
int vcd_buf_sg(const struct vcd_buf *b, size_t off, size_t len,
	       struct scatterlist *sg, unsigned int max, size_t max_seg);
bool vcd_user_ranges_overlap(const void __user *a, const void __user *b,
			     size_t len);

#endif /* VCD_BUF_H */
