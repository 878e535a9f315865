/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_backend_inflight.c - the in-flight log and the recovery after a
 * crash: a device keeps the log on its data path (slots set on pop and
 * cleared on push, indices followed); and a "dead daemon" left, by hand,
 * each case a crash can leave: a request taken and not answered (answered
 * ERR, never run), a push that reached the ring but not the log (done, not
 * answered again), a pop that never finished (popped and run again), and a
 * request not popped at all (run) -- every head comes back exactly once.
 * A log of another ring size is not used.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cmocka.h>
#include <linux/virtio_crypto.h>

#include "crypto_device.h"
#include "fake_guest.h"
#include "inflight_log.h"
#include "log.h"
#include "session_table.h"
#include "sp800_38a.h"

#define NUM 16

struct fx {
	struct ce_engine *eng;
	struct fake_guest g;
	struct inflight_log *log;
	int log_fd;
	uint64_t sid;
	uint8_t *status[4], *dst[4];
	uint16_t head[4];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[200];

	assert_non_null(f);
	assert_int_equal(ce_engine_open(&f->eng, CE_KIND_SOFTWARE, NULL, err, sizeof(err)), 0);
	assert_int_equal(fg_init(&f->g, 1 << 20, NUM), 0);
	assert_int_equal(il_create(&f->log, &f->log_fd), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	il_close(f->log);
	close(f->log_fd);
	fg_free(&f->g);
	ce_engine_close(f->eng);
	free(f);
	return 0;
}

/* A device on the fake guest's ring (not started: no kick fd yet). */
static struct crypto_device *device(struct fx *f, int call)
{
	struct session_params p = { .op_type = VIRTIO_CRYPTO_SYM_OP_CIPHER,
				    .cipher_alg = VIRTIO_CRYPTO_CIPHER_AES_CBC,
				    .direction = VIRTIO_CRYPTO_OP_ENCRYPT,
				    .key_len = 16, .key = K128 };
	struct crypto_device *d;

	assert_int_equal(cd_create(&d, f->eng, 8, 0), 0);
	d->mem = f->g.gm;		/* host memory: nothing to unmap */
	assert_int_equal(cd_set_num(d, 0, NUM), 0);
	assert_int_equal(cd_set_addr(d, 0, f->g.desc, f->g.avail, f->g.used), 0);
	assert_int_equal(cd_set_call(d, 0, call), 0);
	/* the session: new, or the one a predecessor had (as a restore does) */
	if (!f->sid)
		assert_int_equal(st_create(cd_sessions(d), &p, &f->sid), VIRTIO_CRYPTO_OK);
	else
		assert_int_equal(st_restore(cd_sessions(d), &p, f->sid), VIRTIO_CRYPTO_OK);
	return d;
}

static void free_device(struct crypto_device *d)
{
	memset(&d->mem, 0, sizeof(d->mem));	/* the fake guest owns it */
	cd_destroy(d);
}

static void test_log_follows_the_data_path(void **state)
{
	struct fx *f = *state;
	struct crypto_device *d = device(f, eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
	const struct il_ring *r;
	uint32_t id, len;
	uint8_t *dst, *st;

	cd_set_inflight_log(d, f->log);
	assert_true(il_view(f->log, 0, &r));
	assert_int_equal(r->num, NUM);
	assert_int_equal(r->last_avail, 0);
	for (int i = 0; i < 3; i++) {
		st = fg_cipher_request(&f->g, VIRTIO_CRYPTO_CIPHER_ENCRYPT, f->sid, IV, PT, 16, &dst);
		assert_non_null(st);
	}
	assert_int_equal(cd_set_kick(d, 0, eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(fg_get_used(&f->g, &id, &len), 1);
	assert_memory_equal(dst, CT128, 16);
	/* all done: positions advanced, no slot left */
	assert_int_equal(r->last_avail, 3);
	assert_int_equal(r->used_idx, 3);
	for (unsigned h = 0; h < NUM; h++)
		assert_int_equal(r->slot[h], 0);
	/* a queue never set up has no entry that could be trusted */
	assert_true(il_view(f->log, 1, &r));
	assert_int_equal(r->num, 0);
	free_device(d);
}

static void test_recovery_after_a_crash(void **state)
{
	struct fx *f = *state;
	int call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	struct crypto_device *dead = device(f, eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
	struct crypto_device *d;
	struct virtqueue vq;
	unsigned failed = 99;
	bool seen[4] = { false };
	uint32_t id, len;
	eventfd_t v;

	free_device(dead);	/* it made the session id; it is gone now */
	for (int i = 0; i < 4; i++) {
		f->status[i] = fg_cipher_request(&f->g, VIRTIO_CRYPTO_CIPHER_ENCRYPT,
						 f->sid, IV, PT, 16, &f->dst[i]);
		assert_non_null(f->status[i]);
	}
	/* the heads fg_submit used, in avail order */
	for (int i = 0; i < 4; i++)
		f->head[i] = ((uint16_t *)fg_ptr(&f->g, f->g.avail))[2 + i];
	/*
	 * What the dead daemon left: it took 0, 1 and 2 (2's pop did not
	 * finish: last_avail still 2), answered 1 into the ring (used idx 1)
	 * but died before the log said so.
	 */
	il_reset(f->log, 0, NUM, 0, 0);
	il_popped(f->log, 0, f->head[0], 0);
	il_popped(f->log, 0, f->head[1], 1);
	il_popped(f->log, 0, f->head[2], 2);
	{
		const struct il_ring *r;

		assert_true(il_view(f->log, 0, &r));
		/* undo the last_avail store of 2's pop */
		__atomic_store_n((uint32_t *)&r->last_avail, 2, __ATOMIC_RELEASE);
	}
	vq_init(&vq);
	assert_int_equal(vq_set_addr(&vq, &f->g.gm, NUM, f->g.desc, f->g.avail, f->g.used), 0);
	vq.used_idx = 0;
	vq_push(&vq, f->head[1], 17);
	*f->status[1] = VIRTIO_CRYPTO_OK;	/* its answer */

	/* the new daemon: same ring, state rebuilt, then the log */
	d = device(f, call);
	cd_recover(d, f->log, &failed);
	assert_int_equal(failed, 1);
	assert_int_equal(*f->status[0], VIRTIO_CRYPTO_ERR);	/* never run */
	assert_int_equal(eventfd_read(call, &v), 0);		/* told */
	/* now it runs: 2 (popped again) and 3 */
	assert_int_equal(cd_set_kick(d, 0, eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)), 0);
	for (int n = 0; n < 4; n++) {
		int k;

		assert_int_equal(fg_get_used(&f->g, &id, &len), 1);
		for (k = 0; k < 4 && f->head[k] != id; k++)
			;
		assert_true(k < 4);
		assert_false(seen[k]);		/* exactly once */
		seen[k] = true;
	}
	assert_int_equal(fg_get_used(&f->g, &id, &len), 0);
	assert_int_equal(*f->status[2], VIRTIO_CRYPTO_OK);
	assert_memory_equal(f->dst[2], CT128, 16);
	assert_int_equal(*f->status[3], VIRTIO_CRYPTO_OK);
	assert_memory_equal(f->dst[3], CT128, 16);
	free_device(d);
}

static void test_log_of_another_ring_size(void **state)
{
	struct fx *f = *state;
	struct crypto_device *d;
	unsigned failed = 99;
	uint8_t *dst, *st;
	uint32_t id, len;

	st = fg_cipher_request(&f->g, VIRTIO_CRYPTO_CIPHER_ENCRYPT, 1, IV, PT, 16, &dst);
	il_reset(f->log, 0, NUM * 2, 0, 0);
	il_popped(f->log, 0, 0, 0);
	d = device(f, eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
	cd_recover(d, f->log, &failed);
	assert_int_equal(failed, 0);			/* not trusted */
	assert_int_equal(*st, 0xaa);
	assert_int_equal(fg_get_used(&f->g, &id, &len), 0);
	free_device(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_log_follows_the_data_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recovery_after_a_crash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_of_another_ring_size, setup, teardown),
	};

	log_set_level(getenv("TEST_VERBOSE") ? LOG_DEBUG : -1);
	st_ids_start(1000);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
