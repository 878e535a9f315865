/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_vhost_user.c - libFuzzer target: a stream of vhost-user front-end
 * messages into the vhost-user-crypto back-end (vhost_user.c and the
 * device logic behind it).
 *
 * The input is split into messages with vu_parse_msg (12-byte header +
 * payload); each is handled as if it came from QEMU.  Messages that carry
 * fds get real ones: SET_VRING_KICK/CALL/ERR an eventfd, SET_MEM_TABLE a
 * 64 KiB memfd per region.  Before the first message the device already
 * has a fake guest memory region (gpa == uva == 0x100000, 64 KiB) so that
 * ring addresses in the input can land; after every message each queue is
 * processed.  Replies go nowhere (fd -1).  Everything is freed per input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "crypto_device.h"
#include "fake_guest.h"
#include "log.h"
#include "vhost_user.h"

static struct ce_engine *eng;
static int memfd = -1;

static void attach_fds(struct vu_msg *m)
{
	uint64_t v = 0;

	memcpy(&v, m->payload, m->size < 8 ? m->size : 8);
	switch (m->request) {
	case VU_SET_VRING_KICK:
	case VU_SET_VRING_CALL:
	case VU_SET_VRING_ERR:
		if (!(v & VU_VRING_NOFD))
			m->fds[m->nfds++] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		break;
	case VU_SET_MEM_TABLE: {
		uint32_t n = (uint32_t)v;
		for (uint32_t i = 0; i < n && i < VU_MAX_FDS; i++)
			m->fds[m->nfds++] = dup(memfd);
		break;
	}
	default:
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vu_msg msg;
	struct crypto_device *d;
	struct fake_guest g;
	struct vu_conn c;
	char err[200];

	if (!eng) {
		log_set_level(getenv("FUZZ_VERBOSE") ? LOG_DEBUG : -1);
		if (ce_engine_open(&eng, CE_KIND_SOFTWARE, NULL, err, sizeof(err)))
			abort();
		memfd = memfd_create("fuzz-guest", MFD_CLOEXEC);
		if (memfd < 0 || ftruncate(memfd, 64 << 10))
			abort();
	}
	if (fg_init(&g, 64 << 10, 16) || cd_create(&d, eng, 4, 0))
		abort();
	d->mem = g.gm;
	vu_conn_init(&c, -1, d);

	while (size > 0) {
		long n = vu_parse_msg(data, size, &msg);
		if (n <= 0)
			break;
		attach_fds(&msg);
		if (vu_handle_msg(&c, &msg) < 0)
			break;
		for (unsigned q = 0; q < CD_MAX_QUEUES; q++)
			cd_process(d, q);
		data += n;
		size -= (size_t)n;
	}
	cd_destroy(d);
	fg_free(&g);
	return 0;
}
