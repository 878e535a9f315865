/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * guest_memory.h - the guest's RAM as the back-end sees it: a table of
 * regions (guest-physical address, size, front-end virtual address, host
 * pointer) and bounds-checked translation of guest addresses to host
 * pointers.
 *
 * Owns: mapping and unmapping of the regions that arrive with
 * VHOST_USER_SET_MEM_TABLE (fd + mmap_offset), a duplicate of each region's
 * fd (so that a takeover can hand the memory table over as it came), or
 * plain host buffers for the tests ("fake guest memory").  Every translation checks address and length
 * against the region without overflow; a range that is not wholly inside
 * guest memory gives NULL / -EFAULT, never a pointer.
 *
 * Does not own: the meaning of the bytes (virtqueue.c, crypto_request.c).
 * Not thread-safe against changes: the owner drains all users before it
 * replaces the table.
 */
#ifndef VUC_GUEST_MEMORY_H
#define VUC_GUEST_MEMORY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define GM_MAX_REGIONS 8

struct gm_region {
	uint64_t gpa;		/* guest physical address of byte 0 */
	uint64_t size;
	uint64_t uva;		/* front-end (QEMU) virtual address of byte 0 */
	uint8_t *host;		/* our pointer to byte 0 */
	void *map_base;		/* mmap() result, NULL for fake memory */
	size_t map_len;
	uint64_t mmap_offset;	/* of byte 0 in the fd */
	int fd;			/* our duplicate of the region's fd, -1: fake */
};

/* What a region was made from (SET_MEM_TABLE terms). */
struct gm_region_desc {
	uint64_t gpa, size, uva, mmap_offset;
	int fd;			/* borrowed: still owned by the table */
};

struct guest_memory {
	unsigned n;
	struct gm_region r[GM_MAX_REGIONS];
};

void gm_init(struct guest_memory *gm);
/* Unmap every mmap()ed region, close their fds and empty the table. */
void gm_clear(struct guest_memory *gm);

/* Add a region backed by host memory we do not own (tests, benchmarks). */
int gm_add_host(struct guest_memory *gm, uint64_t gpa, uint64_t size,
		uint64_t uva, void *host);
/* mmap() size + mmap_offset bytes of fd (shared) and add the region.  The
 * table keeps a duplicate of fd; the caller's fd is not closed here.
 * -EINVAL for empty/overflowing/overlapping regions or a file shorter than
 * the mapping, -ENOSPC when full, -errno from mmap or dup. */
int gm_add_fd(struct guest_memory *gm, uint64_t gpa, uint64_t size,
	      uint64_t uva, uint64_t mmap_offset, int fd);

/* Region i (0..n-1) as it was added: 0, or -ENOENT past the end. */
int gm_region_get(const struct guest_memory *gm, unsigned i,
		  struct gm_region_desc *out);

/* Host pointer for [gpa, gpa+len) if it lies inside one region, else NULL. */
void *gm_gpa_to_host(const struct guest_memory *gm, uint64_t gpa, uint64_t len);
/* The same for front-end virtual addresses (vring addresses). */
void *gm_uva_to_host(const struct guest_memory *gm, uint64_t uva, uint64_t len);

/*
 * Translate [gpa, gpa+len) into host iovecs appended at iov[*n] (at most
 * max entries in total), splitting at region borders.  len may be 0 (adds
 * nothing).  0 on success, -EFAULT if any byte is outside guest memory,
 * -E2BIG if max would be exceeded.
 */
int gm_gpa_to_iov(const struct guest_memory *gm, uint64_t gpa, uint64_t len,
		  struct iovec *iov, unsigned max, unsigned *n);

#endif
