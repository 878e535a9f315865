/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_backend_virtqueue.c - ring handling of the vhost-user-crypto back-end
 * over fake guest memory: guest address translation, direct and indirect
 * chains, 16-bit index wrap-around, malformed descriptors (out of bounds,
 * overflow, loops, zero length, order, nested/ill-formed indirect), ring
 * corruption, and notification suppression (avail_event, used_event,
 * NO_INTERRUPT).  No QEMU, no crypto.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>
#include <linux/virtio_ring.h>

#include "fake_guest.h"
#include "sigbus_guard.h"
#include "virtqueue.h"

#define NUM 16

struct fx {
	struct fake_guest g;
	struct virtqueue vq;
	struct vq_chain c;
};

static int setup(void **state)
{
	static struct fx f;

	memset(&f, 0, sizeof(f));
	assert_int_equal(fg_init(&f.g, 1 << 20, NUM), 0);
	vq_init(&f.vq);
	assert_int_equal(vq_set_addr(&f.vq, &f.g.gm, NUM, f.g.desc, f.g.avail,
				     f.g.used), 0);
	f.vq.event_idx = true;
	vq_chain_init(&f.c);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	vq_chain_release(&f->c);
	fg_free(&f->g);
	return 0;
}

static void test_gm_translation(void **state)
{
	struct fx *f = *state;
	struct guest_memory *gm = &f->g.gm;
	struct iovec iov[4];
	unsigned n = 0;
	uint8_t second[4096];

	assert_ptr_equal(gm_gpa_to_host(gm, FG_BASE_GPA, 16), f->g.mem);
	assert_non_null(gm_gpa_to_host(gm, FG_BASE_GPA + (1 << 20) - 1, 1));
	assert_null(gm_gpa_to_host(gm, FG_BASE_GPA + (1 << 20) - 1, 2));
	assert_null(gm_gpa_to_host(gm, FG_BASE_GPA - 1, 1));
	assert_null(gm_gpa_to_host(gm, FG_BASE_GPA + 8, UINT64_MAX));
	assert_null(gm_gpa_to_host(gm, UINT64_MAX, 1));
	/* overlapping and wrapping regions are refused */
	assert_int_equal(gm_add_host(gm, FG_BASE_GPA + 4096, 4096, 0, second), -EINVAL);
	assert_int_equal(gm_add_host(gm, UINT64_MAX - 10, 4096, 0, second), -EINVAL);
	/* a range across two adjacent regions splits into two iovecs */
	assert_int_equal(gm_add_host(gm, FG_BASE_GPA + (1 << 20), sizeof(second),
				     1ull << 40, second), 0);
	assert_int_equal(gm_gpa_to_iov(gm, FG_BASE_GPA + (1 << 20) - 8, 16, iov, 4, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(iov[0].iov_len, 8);
	assert_ptr_equal(iov[1].iov_base, second);
	assert_null(gm_gpa_to_host(gm, FG_BASE_GPA + (1 << 20) - 8, 16));
	assert_ptr_equal(gm_uva_to_host(gm, 1ull << 40, 1), second);
	n = 0;
	assert_int_equal(gm_gpa_to_iov(gm, FG_BASE_GPA + (1 << 20) - 8, 16, iov, 1, &n), -E2BIG);
	n = 0;
	assert_int_equal(gm_gpa_to_iov(gm, FG_BASE_GPA + (1 << 20), 8192, iov, 4, &n), -EFAULT);
}

/*
 * A front-end that shrinks its memory file under the daemon: a sealable
 * memfd is sealed (the shrink fails), any other file gets zero pages for
 * the pages it lost instead of a SIGBUS that would kill the daemon.
 */
static void test_gm_shrunk_file(void **state)
{
	const uint64_t size = 1 << 20;
	struct guest_memory gm;
	volatile uint8_t *p;
	uint64_t before;
	int fd;

	(void)state;
	gm_init(&gm);
	fd = memfd_create("sealable", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, size), 0);
	assert_int_equal(gm_add_fd(&gm, 0x100000, size, 0x7000000, 0, fd), 0);
	assert_int_equal(ftruncate(fd, 4096), -1);	/* sealed: EPERM */
	assert_int_equal(errno, EPERM);
	gm_clear(&gm);
	close(fd);

	fd = memfd_create("unsealable", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, size), 0);
	assert_int_equal(gm_add_fd(&gm, 0x100000, size, 0x7000000, 0, fd), 0);
	p = gm_gpa_to_host(&gm, 0x100000, size);
	assert_non_null(p);
	p[size - 1] = 0x5a;
	assert_int_equal(ftruncate(fd, 4096), 0);	/* the hostile part */
	before = sbg_faults();
	assert_int_equal(p[size - 1], 0);	/* no SIGBUS: a zero page */
	p[size - 4096] = 7;			/* writable too */
	assert_int_equal(p[size - 4096], 7);
	assert_true(sbg_faults() >= before + 1);
	p[0] = 1;				/* the page still in the file */
	assert_int_equal(p[0], 1);
	gm_clear(&gm);
	close(fd);
}

static void test_direct_chain(void **state)
{
	struct fx *f = *state;
	uint64_t a = fg_alloc(&f->g, 100), b = fg_alloc(&f->g, 50);
	uint64_t w = fg_alloc(&f->g, 33);
	struct fg_seg s[] = { { a, 100, false }, { b, 50, false }, { w, 33, true } };
	uint16_t head = fg_submit(&f->g, s, 3, false);

	assert_int_equal(vq_pop(&f->vq, &f->g.gm, &f->c), 1);
	assert_int_equal(f->c.err, 0);
	assert_int_equal(f->c.head, head);
	assert_int_equal(f->c.nr, 2);
	assert_int_equal(f->c.nw, 1);
	assert_int_equal(f->c.rlen, 150);
	assert_int_equal(f->c.wlen, 33);
	assert_ptr_equal(f->c.iov[0].iov_base, fg_ptr(&f->g, a));
	assert_ptr_equal(f->c.iov[2].iov_base, fg_ptr(&f->g, w));
	assert_int_equal(vq_pop(&f->vq, &f->g.gm, &f->c), 0);

	vq_push(&f->vq, head, 33);
	uint32_t id, len;
	assert_int_equal(fg_get_used(&f->g, &id, &len), 1);
	assert_int_equal(id, head);
	assert_int_equal(len, 33);
}

static void test_indirect_chain(void **state)
{
	struct fx *f = *state;
	struct fg_seg s[40];

	/* longer than the ring (16) and than any small constant */
	for (unsigned i = 0; i < 40; i++)
		s[i] = (struct fg_seg){ fg_alloc(&f->g, 8), 8, i >= 30 };
	fg_submit(&f->g, s, 40, true);
	assert_int_equal(vq_pop(&f->vq, &f->g.gm, &f->c), 1);
	assert_int_equal(f->c.err, 0);
	assert_int_equal(f->c.nr, 30);
	assert_int_equal(f->c.nw, 10);
	assert_int_equal(f->c.wlen, 80);
}

static void test_full_ring_chain(void **state)
{
	struct fx *f = *state;
	struct fg_seg s[NUM];

	for (unsigned i = 0; i < NUM; i++)
		s[i] = (struct fg_seg){ fg_alloc(&f->g, 4), 4, i == NUM - 1 };
	fg_submit(&f->g, s, NUM, false);
	assert_int_equal(vq_pop(&f->vq, &f->g.gm, &f->c), 1);
	assert_int_equal(f->c.err, 0);
	assert_int_equal(f->c.nr + f->c.nw, NUM);
}

static void test_wraparound(void **state)
{
	struct fx *f = *state;
	uint32_t id, len;

	fg_set_indices(&f->g, 65533);
	f->vq.last_avail = f->vq.used_idx = 65533;
	for (unsigned i = 0; i < 6; i++) {
		struct fg_seg s[] = { { fg_alloc(&f->g, 16), 16, false },
				      { fg_alloc(&f->g, 1), 1, true } };
		fg_submit(&f->g, s, 2, i & 1);
	}
	assert_int_equal(vq_avail_pending(&f->vq), 6);
	for (unsigned i = 0; i < 6; i++) {
		assert_int_equal(vq_pop(&f->vq, &f->g.gm, &f->c), 1);
		assert_int_equal(f->c.err, 0);
		vq_push(&f->vq, f->c.head, 1);
	}
	assert_int_equal(vq_pop(&f->vq, &f->g.gm, &f->c), 0);
	assert_int_equal(f->vq.last_avail, 3);
	for (unsigned i = 0; i < 6; i++)
		assert_int_equal(fg_get_used(&f->g, &id, &len), 1);
	assert_int_equal(fg_get_used(&f->g, &id, &len), 0);
}

static int pop_err(struct fx *f)
{
	assert_int_equal(vq_pop(&f->vq, &f->g.gm, &f->c), 1);
	return f->c.err;
}

static void test_bad_address(void **state)
{
	struct fx *f = *state;
	struct fg_seg s1[] = { { FG_BASE_GPA + (2 << 20), 16, false } };
	struct fg_seg s2[] = { { UINT64_MAX - 4, 16, true } };
	struct fg_seg s3[] = { { FG_BASE_GPA + (1 << 20) - 8, 16, false } };
	struct fg_seg s4[] = { { 0, 16, true } };

	fg_submit(&f->g, s1, 1, false);
	assert_int_equal(pop_err(f), -EFAULT);
	fg_submit(&f->g, s2, 1, false);
	assert_int_equal(pop_err(f), -EFAULT);
	fg_submit(&f->g, s3, 1, true);
	assert_int_equal(pop_err(f), -EFAULT);
	fg_submit(&f->g, s4, 1, true);
	assert_int_equal(pop_err(f), -EFAULT);
	/* the queue keeps working */
	struct fg_seg ok[] = { { fg_alloc(&f->g, 8), 8, true } };
	fg_submit(&f->g, ok, 1, false);
	assert_int_equal(pop_err(f), 0);
}

static void test_loop(void **state)
{
	struct fx *f = *state;
	uint64_t b = fg_alloc(&f->g, 8);

	fg_write_desc(&f->g, 0, b, 8, VRING_DESC_F_NEXT, 1);
	fg_write_desc(&f->g, 1, b, 8, VRING_DESC_F_NEXT, 2);
	fg_write_desc(&f->g, 2, b, 8, VRING_DESC_F_NEXT, 0);
	fg_publish(&f->g, 0);
	assert_int_equal(pop_err(f), -ELOOP);
	/* self loop */
	fg_write_desc(&f->g, 5, b, 8, VRING_DESC_F_NEXT, 5);
	fg_publish(&f->g, 5);
	assert_int_equal(pop_err(f), -ELOOP);
	/* next index out of the table */
	fg_write_desc(&f->g, 6, b, 8, VRING_DESC_F_NEXT, 999);
	fg_publish(&f->g, 6);
	assert_int_equal(pop_err(f), -ELOOP);
}

static void test_indirect_loop_and_malformed(void **state)
{
	struct fx *f = *state;
	uint64_t b = fg_alloc(&f->g, 8);
	uint64_t t = fg_alloc(&f->g, 16 * 4);
	struct vring_desc *d = fg_ptr(&f->g, t);

	for (unsigned i = 0; i < 4; i++)
		d[i] = (struct vring_desc){ b, 8, VRING_DESC_F_NEXT, (uint16_t)((i + 1) % 4) };
	fg_write_desc(&f->g, 0, t, 64, VRING_DESC_F_INDIRECT, 0);
	fg_publish(&f->g, 0);
	assert_int_equal(pop_err(f), -ELOOP);

	/* nested indirect */
	d[0] = (struct vring_desc){ t, 64, VRING_DESC_F_INDIRECT, 0 };
	fg_publish(&f->g, 0);
	assert_int_equal(pop_err(f), -EINVAL);
	/* INDIRECT together with NEXT */
	fg_write_desc(&f->g, 1, t, 64, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 2);
	fg_publish(&f->g, 1);
	assert_int_equal(pop_err(f), -EINVAL);
	/* table length not a multiple of 16, zero, or outside memory */
	fg_write_desc(&f->g, 2, t, 20, VRING_DESC_F_INDIRECT, 0);
	fg_publish(&f->g, 2);
	assert_int_equal(pop_err(f), -EINVAL);
	fg_write_desc(&f->g, 3, t, 0, VRING_DESC_F_INDIRECT, 0);
	fg_publish(&f->g, 3);
	assert_int_equal(pop_err(f), -EINVAL);
	/* too long: more entries than an indirect table may hold */
	fg_write_desc(&f->g, 5, FG_BASE_GPA, 16u * (VQ_MAX_INDIRECT + 1),
		      VRING_DESC_F_INDIRECT, 0);
	fg_publish(&f->g, 5);
	assert_int_equal(pop_err(f), -EINVAL);
	fg_write_desc(&f->g, 4, FG_BASE_GPA + (1 << 20) - 16, 32, VRING_DESC_F_INDIRECT, 0);
	fg_publish(&f->g, 4);
	assert_int_equal(pop_err(f), -EFAULT);
}

static void test_zero_length_and_order(void **state)
{
	struct fx *f = *state;
	uint64_t b = fg_alloc(&f->g, 8);
	struct fg_seg z[] = { { b, 8, false }, { 0, 0, false }, { b, 8, true } };
	struct fg_seg o[] = { { b, 8, false }, { b, 8, true }, { b, 8, false } };

	fg_submit(&f->g, z, 3, false);
	assert_int_equal(pop_err(f), 0);
	assert_int_equal(f->c.nr, 1);
	assert_int_equal(f->c.nw, 1);
	fg_submit(&f->g, o, 3, true);
	assert_int_equal(pop_err(f), -EINVAL);
}

static void test_corrupt_ring(void **state)
{
	struct fx *f = *state;
	uint16_t *avail = fg_ptr(&f->g, f->g.avail);

	/* head index out of range */
	fg_publish(&f->g, NUM + 3);
	assert_int_equal(vq_pop(&f->vq, &f->g.gm, &f->c), -EIO);
	assert_true(f->vq.broken);
	assert_int_equal(vq_pop(&f->vq, &f->g.gm, &f->c), 0);
	/* avail idx running more than num ahead */
	assert_int_equal(vq_set_addr(&f->vq, &f->g.gm, NUM, f->g.desc,
				     f->g.avail, f->g.used), 0);
	avail[1] = (uint16_t)(f->vq.last_avail + NUM + 1);
	assert_int_equal(vq_pop(&f->vq, &f->g.gm, &f->c), -EIO);
}

static void test_bad_ring_setup(void **state)
{
	struct fx *f = *state;
	struct virtqueue vq;

	vq_init(&vq);
	assert_int_equal(vq_set_addr(&vq, &f->g.gm, 0, f->g.desc, f->g.avail, f->g.used), -EINVAL);
	assert_int_equal(vq_set_addr(&vq, &f->g.gm, 24, f->g.desc, f->g.avail, f->g.used), -EINVAL);
	assert_int_equal(vq_set_addr(&vq, &f->g.gm, 65536, f->g.desc, f->g.avail, f->g.used), -EINVAL);
	assert_int_equal(vq_set_addr(&vq, &f->g.gm, 16, 0x10, f->g.avail, f->g.used), -EFAULT);
	assert_int_equal(vq_set_addr(&vq, &f->g.gm, 16, f->g.desc, f->g.avail,
				     FG_BASE_GPA + (1 << 20) - 8), -EFAULT);
	assert_false(vq_ready(&vq));
	assert_int_equal(vq_pop(&vq, &f->g.gm, &f->c), 0);
}

static void test_event_idx(void **state)
{
	struct fx *f = *state;
	uint64_t b = fg_alloc(&f->g, 8);
	struct fg_seg s[] = { { b, 8, true } };

	for (int i = 0; i < 3; i++)
		fg_submit(&f->g, s, 1, false);
	while (vq_pop(&f->vq, &f->g.gm, &f->c) == 1)
		vq_push(&f->vq, f->c.head, 0);
	assert_false(vq_enable_notify(&f->vq));
	assert_int_equal(fg_avail_event(&f->g), 3);
	/* more entries already there: enable_notify says keep going */
	fg_submit(&f->g, s, 1, false);
	assert_true(vq_enable_notify(&f->vq));

	/* first notification is always sent */
	assert_true(vq_should_notify(&f->vq));
	/* nothing new pushed: no interrupt */
	assert_false(vq_should_notify(&f->vq));
	/* driver wants an interrupt only once used idx passes 5 */
	fg_set_used_event(&f->g, 5);
	vq_pop(&f->vq, &f->g.gm, &f->c);
	vq_push(&f->vq, f->c.head, 0);		/* used idx 4 */
	assert_false(vq_should_notify(&f->vq));
	fg_submit(&f->g, s, 1, false);
	fg_submit(&f->g, s, 1, false);
	vq_pop(&f->vq, &f->g.gm, &f->c);
	vq_push(&f->vq, f->c.head, 0);		/* 5 */
	vq_pop(&f->vq, &f->g.gm, &f->c);
	vq_push(&f->vq, f->c.head, 0);		/* 6: crosses used_event+1 */
	assert_true(vq_should_notify(&f->vq));
}

static void test_no_interrupt_flag(void **state)
{
	struct fx *f = *state;
	uint16_t *avail = fg_ptr(&f->g, f->g.avail);
	struct fg_seg s[] = { { fg_alloc(&f->g, 8), 8, true } };

	f->vq.event_idx = false;
	fg_submit(&f->g, s, 1, false);
	vq_pop(&f->vq, &f->g.gm, &f->c);
	vq_push(&f->vq, f->c.head, 0);
	avail[0] = VRING_AVAIL_F_NO_INTERRUPT;
	assert_false(vq_should_notify(&f->vq));
	avail[0] = 0;
	assert_true(vq_should_notify(&f->vq));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_gm_translation, setup, teardown),
		cmocka_unit_test(test_gm_shrunk_file),
		cmocka_unit_test_setup_teardown(test_direct_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_indirect_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_ring_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wraparound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_address, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_indirect_loop_and_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zero_length_and_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_ring, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_ring_setup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_event_idx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_interrupt_flag, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
