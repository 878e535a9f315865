/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * guest_memory.c - region table and bounds-checked translation (see
 * guest_memory.h).
 *
 * Owns: mmap/munmap of front-end memory fds and a duplicate of each fd
 * (closed with the table); the caller keeps its own fd.
 * Mappings are left out of core dumps (MADV_DONTDUMP: guest secrets), a
 * memfd that allows sealing is sealed against shrinking, and every file
 * mapping is guarded against SIGBUS (sigbus_guard.c) for the files that
 * cannot be sealed.
 * All range checks are written as "offset <= size && len <= size - offset"
 * so that no addition can wrap.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest_memory.h"
#include "sigbus_guard.h"

void gm_init(struct guest_memory *gm)
{
	memset(gm, 0, sizeof(*gm));
}

void gm_clear(struct guest_memory *gm)
{
	for (unsigned i = 0; i < gm->n; i++)
		if (gm->r[i].map_base) {
			sbg_remove(gm->r[i].map_base);
			munmap(gm->r[i].map_base, gm->r[i].map_len);
			close(gm->r[i].fd);
		}
	gm_init(gm);
}

static int range_ok(uint64_t start, uint64_t size)
{
	return size > 0 && start + size - 1 >= start;	/* no wrap */
}

static int overlaps(const struct guest_memory *gm, uint64_t gpa, uint64_t size)
{
	for (unsigned i = 0; i < gm->n; i++) {
		const struct gm_region *r = &gm->r[i];
		if (gpa <= r->gpa + r->size - 1 && r->gpa <= gpa + size - 1)
			return 1;
	}
	return 0;
}

int gm_add_host(struct guest_memory *gm, uint64_t gpa, uint64_t size,
		uint64_t uva, void *host)
{
	if (!host || !range_ok(gpa, size) || !range_ok(uva, size) ||
	    overlaps(gm, gpa, size))
		return -EINVAL;
	if (gm->n >= GM_MAX_REGIONS)
		return -ENOSPC;
	gm->r[gm->n++] = (struct gm_region){ .gpa = gpa, .size = size,
					      .uva = uva, .host = host, .fd = -1 };
	return 0;
}

int gm_add_fd(struct guest_memory *gm, uint64_t gpa, uint64_t size,
	      uint64_t uva, uint64_t mmap_offset, int fd)
{
	void *p;
	uint64_t len = size + mmap_offset;
	struct stat st;
	int keep;

	if (!range_ok(gpa, size) || !range_ok(uva, size) || len < size ||
	    len > (uint64_t)SIZE_MAX || overlaps(gm, gpa, size))
		return -EINVAL;
	if (gm->n >= GM_MAX_REGIONS)
		return -ENOSPC;
	/* A mapping past the end of the file would SIGBUS on access. */
	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size < len)
		return -EINVAL;
	/* a memfd that allows sealing: it can no longer shrink under us */
	if (S_ISREG(st.st_mode))
		(void)fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK);
	p = mmap(NULL, (size_t)len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	(void)madvise(p, (size_t)len, MADV_DONTDUMP);
	keep = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (keep < 0) {
		int e = errno;

		munmap(p, (size_t)len);
		return -e;
	}
	if (sbg_add(p, (size_t)len) < 0) {
		munmap(p, (size_t)len);
		close(keep);
		return -ENOSPC;
	}
	gm->r[gm->n++] = (struct gm_region){
		.gpa = gpa, .size = size, .uva = uva,
		.host = (uint8_t *)p + mmap_offset,
		.map_base = p, .map_len = (size_t)len,
		.mmap_offset = mmap_offset, .fd = keep };
	return 0;
}

int gm_region_get(const struct guest_memory *gm, unsigned i,
		  struct gm_region_desc *out)
{
	const struct gm_region *r;

	if (i >= gm->n)
		return -ENOENT;
	r = &gm->r[i];
	*out = (struct gm_region_desc){ .gpa = r->gpa, .size = r->size,
					.uva = r->uva,
					.mmap_offset = r->mmap_offset,
					.fd = r->fd };
	return 0;
}

static const struct gm_region *find(const struct guest_memory *gm,
				    uint64_t addr, int by_uva, uint64_t *off)
{
	for (unsigned i = 0; i < gm->n; i++) {
		const struct gm_region *r = &gm->r[i];
		uint64_t base = by_uva ? r->uva : r->gpa;
		if (addr >= base && addr - base < r->size) {
			*off = addr - base;
			return r;
		}
	}
	return NULL;
}

static void *translate(const struct guest_memory *gm, uint64_t addr,
		       uint64_t len, int by_uva)
{
	uint64_t off;
	const struct gm_region *r = find(gm, addr, by_uva, &off);

	if (!r || len > r->size - off)
		return NULL;
	return r->host + off;
}

void *gm_gpa_to_host(const struct guest_memory *gm, uint64_t gpa, uint64_t len)
{
	return translate(gm, gpa, len, 0);
}

void *gm_uva_to_host(const struct guest_memory *gm, uint64_t uva, uint64_t len)
{
	return translate(gm, uva, len, 1);
}

int gm_gpa_to_iov(const struct guest_memory *gm, uint64_t gpa, uint64_t len,
		  struct iovec *iov, unsigned max, unsigned *n)
{
	while (len > 0) {
		uint64_t off, chunk;
		const struct gm_region *r = find(gm, gpa, 0, &off);

		if (!r)
			return -EFAULT;
		if (*n >= max)
			return -E2BIG;
		chunk = r->size - off;
		if (chunk > len)
			chunk = len;
		iov[*n].iov_base = r->host + off;
		iov[*n].iov_len = (size_t)chunk;
		(*n)++;
		len -= chunk;
		if (len && gpa + chunk < gpa)
			return -EFAULT;	/* would wrap past 2^64 */
		gpa += chunk;
	}
	return 0;
}
