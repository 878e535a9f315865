/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * inflight_log.c - the requests in flight, in a memfd (see inflight_log.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inflight_log.h"

struct inflight_log {
	struct il_ring *r;		/* IL_QUEUES of them, shared mapping */
};

#define IL_SIZE (sizeof(struct il_ring) * IL_QUEUES)

static void st32(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static int map(struct inflight_log **out, int fd)
{
	struct inflight_log *l = calloc(1, sizeof(*l));
	void *p;

	if (!l)
		return -ENOMEM;
	p = mmap(NULL, IL_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		int e = -errno;

		free(l);
		return e;
	}
	l->r = p;
	*out = l;
	return 0;
}

int il_create(struct inflight_log **out, int *fd)
{
	int f = memfd_create("vuc-inflight", MFD_CLOEXEC), r;

	if (f < 0)
		return -errno;
	if (ftruncate(f, IL_SIZE) < 0) {
		r = -errno;
		close(f);
		return r;
	}
	r = map(out, f);
	if (r) {
		close(f);
		return r;
	}
	*fd = f;
	return 0;
}

int il_open(struct inflight_log **out, int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size != IL_SIZE)
		return -EINVAL;
	return map(out, fd);
}

void il_close(struct inflight_log *l)
{
	if (!l)
		return;
	munmap(l->r, IL_SIZE);
	free(l);
}

void il_reset(struct inflight_log *l, unsigned qi, unsigned num,
	      uint16_t last_avail, uint16_t used_idx)
{
	struct il_ring *r;

	if (!l || qi >= IL_QUEUES)
		return;
	r = &l->r[qi];
	st32(&r->magic, 0);	/* half-written: not trusted */
	memset(r->slot, 0, sizeof(r->slot[0]) * (num ? num : IL_SLOTS));
	st32(&r->num, num);
	st32(&r->last_avail, last_avail);
	st32(&r->used_idx, used_idx);
	st32(&r->magic, IL_MAGIC);
}

void il_popped(struct inflight_log *l, unsigned qi, uint16_t head,
	       uint16_t pos)
{
	struct il_ring *r;

	if (!l || qi >= IL_QUEUES || head >= IL_SLOTS)
		return;
	r = &l->r[qi];
	st32(&r->slot[head], pos | IL_TAKEN);
	st32(&r->last_avail, (uint16_t)(pos + 1));
}

void il_pushed(struct inflight_log *l, unsigned qi, uint16_t head,
	       uint16_t used_idx)
{
	struct il_ring *r;

	if (!l || qi >= IL_QUEUES || head >= IL_SLOTS)
		return;
	r = &l->r[qi];
	st32(&r->slot[head], 0);
	st32(&r->used_idx, used_idx);
}

bool il_view(const struct inflight_log *l, unsigned qi,
	     const struct il_ring **out)
{
	if (!l || qi >= IL_QUEUES ||
	    __atomic_load_n(&l->r[qi].magic, __ATOMIC_ACQUIRE) != IL_MAGIC ||
	    l->r[qi].num > IL_SLOTS)
		return false;
	*out = &l->r[qi];
	return true;
}
