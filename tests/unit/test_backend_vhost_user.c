/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_backend_vhost_user.c - the back-end's vhost-user message handling
 * over a socketpair, with the test playing QEMU: feature and protocol
 * feature negotiation, REPLY_ACK, SET_MEM_TABLE with a memfd, vring setup
 * with front-end virtual addresses, kick through an eventfd, the used ring
 * updated and the call eventfd signalled, crypto sessions in both QEMU
 * layouts, a kick while the ring is disabled (not lost), GET_VRING_BASE,
 * malformed messages, and disconnect (vu_serve returns; state is freed,
 * which ASan checks in the build/san/ run).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <linux/virtio_crypto.h>

#include "crypto_session_msg.h"
#include "fake_guest.h"
#include "sp800_38a.h"
#include "vhost_user.h"
#include "log.h"

#define NUM 32
#define MEM_SIZE (1u << 20)
#define UVA_OFFSET 0x7f0000000000ull


struct fx {
	int sock;		/* our (front-end) end */
	int stop[2];
	pthread_t th;
	int serve_rc;
	struct ce_engine *eng;
	struct crypto_device *dev;
	struct vu_conn conn;
	int memfd;
	void *mem;
	struct fake_guest g;
	int kick, call;
};

static void *serve(void *arg)
{
	struct fx *f = arg;

	f->serve_rc = vu_serve(&f->conn, f->stop[0]);
	return NULL;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	int sv[2];
	char err[200];

	assert_non_null(f);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(pipe(f->stop), 0);
	assert_int_equal(ce_engine_open(&f->eng, CE_KIND_SOFTWARE, NULL, err, sizeof(err)), 0);
	assert_int_equal(cd_create(&f->dev, f->eng, 8, 2), 0);
	vu_conn_init(&f->conn, sv[1], f->dev);
	f->sock = sv[0];
	f->memfd = memfd_create("guest", MFD_CLOEXEC);
	assert_true(f->memfd >= 0);
	assert_int_equal(ftruncate(f->memfd, MEM_SIZE), 0);
	f->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, f->memfd, 0);
	assert_true(f->mem != MAP_FAILED);
	assert_int_equal(fg_init_mem(&f->g, f->mem, MEM_SIZE, NUM, UVA_OFFSET), 0);
	f->kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	f->call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	assert_int_equal(pthread_create(&f->th, NULL, serve, f), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	if (f->sock >= 0)
		close(f->sock);
	pthread_join(f->th, NULL);
	cd_destroy(f->dev);
	close(f->conn.fd);
	ce_engine_close(f->eng);
	munmap(f->mem, MEM_SIZE);
	close(f->memfd);
	close(f->kick);
	close(f->call);
	close(f->stop[0]);
	close(f->stop[1]);
	free(f);
	return 0;
}

static void send_msg(struct fx *f, uint32_t req, uint32_t flags, const void *p,
		     uint32_t size, const int *fds, unsigned nfds)
{
	uint32_t hdr[3] = { req, VU_FLAG_VERSION | flags, size };
	struct iovec iov[2] = { { hdr, 12 }, { (void *)p, size } };
	char cbuf[CMSG_SPACE(sizeof(int) * 8)];
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = size ? 2 : 1 };

	if (nfds) {
		struct cmsghdr *cm;
		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
	}
	assert_int_equal(sendmsg(f->sock, &mh, MSG_NOSIGNAL), 12 + size);
}

/* Read a reply; check its request and QEMU's flag rule; return size. */
static uint32_t recv_reply(struct fx *f, uint32_t req, void *p, uint32_t max)
{
	uint32_t hdr[3];
	struct pollfd pfd = { f->sock, POLLIN, 0 };

	assert_int_equal(poll(&pfd, 1, 5000), 1);
	assert_int_equal(recv(f->sock, hdr, 12, MSG_WAITALL), 12);
	assert_int_equal(hdr[0], req);
	assert_int_equal(hdr[1], VU_FLAG_VERSION | VU_FLAG_REPLY);
	assert_true(hdr[2] <= max);
	if (hdr[2])
		assert_int_equal(recv(f->sock, p, hdr[2], MSG_WAITALL), (ssize_t)hdr[2]);
	return hdr[2];
}

static uint64_t get_u64(struct fx *f, uint32_t req)
{
	uint64_t v = 0;

	send_msg(f, req, 0, NULL, 0, NULL, 0);
	assert_int_equal(recv_reply(f, req, &v, 8), 8);
	return v;
}

/* Send with NEED_REPLY and return the REPLY_ACK value (0 = success). */
static uint64_t acked(struct fx *f, uint32_t req, const void *p, uint32_t size,
		      const int *fds, unsigned nfds)
{
	uint64_t v = 99;

	send_msg(f, req, VU_FLAG_NEED_REPLY, p, size, fds, nfds);
	assert_int_equal(recv_reply(f, req, &v, 8), 8);
	return v;
}

static void negotiate(struct fx *f)
{
	uint64_t v;

	assert_int_equal(get_u64(f, VU_GET_FEATURES), VU_OFFERED_FEATURES);
	v = get_u64(f, VU_GET_PROTOCOL_FEATURES);
	assert_true(v & (1ull << VU_PROTOCOL_F_CRYPTO_SESSION));
	assert_true(v & (1ull << VU_PROTOCOL_F_REPLY_ACK));
	assert_true(v & (1ull << VU_PROTOCOL_F_MQ));
	send_msg(f, VU_SET_PROTOCOL_FEATURES, 0, &v, 8, NULL, 0);
	assert_int_equal(acked(f, VU_SET_OWNER, NULL, 0, NULL, 0), 0);
	assert_int_equal(get_u64(f, VU_GET_QUEUE_NUM), CD_MAX_QUEUES);
	/* what QEMU's cryptodev-vhost sends: only PROTOCOL_FEATURES */
	v = 1ull << VU_F_PROTOCOL_FEATURES;
	assert_int_equal(acked(f, VU_SET_FEATURES, &v, 8, NULL, 0), 0);
}

static void set_mem(struct fx *f)
{
	uint8_t p[8 + 32] = { 0 };
	uint64_t region[4] = { FG_BASE_GPA, MEM_SIZE, FG_BASE_GPA + UVA_OFFSET, 0 };

	p[0] = 1;
	memcpy(p + 8, region, 32);
	assert_int_equal(acked(f, VU_SET_MEM_TABLE, p, sizeof(p), &f->memfd, 1), 0);
}

static void setup_ring(struct fx *f)
{
	uint32_t st[2] = { 0, NUM };
	uint64_t addr[5];
	uint64_t v;

	assert_int_equal(acked(f, VU_SET_VRING_NUM, st, 8, NULL, 0), 0);
	st[1] = 0;
	assert_int_equal(acked(f, VU_SET_VRING_BASE, st, 8, NULL, 0), 0);
	addr[0] = 0;	/* index 0, flags 0 */
	addr[1] = f->g.desc + UVA_OFFSET;
	addr[2] = f->g.used + UVA_OFFSET;
	addr[3] = f->g.avail + UVA_OFFSET;
	addr[4] = 0;
	assert_int_equal(acked(f, VU_SET_VRING_ADDR, addr, 40, NULL, 0), 0);
	v = 0;
	assert_int_equal(acked(f, VU_SET_VRING_CALL, &v, 8, &f->call, 1), 0);
	assert_int_equal(acked(f, VU_SET_VRING_KICK, &v, 8, &f->kick, 1), 0);
}

static int64_t create_session(struct fx *f, uint32_t size)
{
	uint8_t p[CSM_SIZE_V80] = { 0 };
	uint8_t r[CSM_SIZE_V80];
	uint64_t op = VIRTIO_CRYPTO_CIPHER_CREATE_SESSION;
	uint32_t v;
	int64_t id;

	if (size == CSM_SIZE_V80)
		memcpy(p, &op, 8);
	v = VIRTIO_CRYPTO_CIPHER_AES_CBC;
	memcpy(p + 8, &v, 4);
	v = 16;
	memcpy(p + 12, &v, 4);
	p[8 + 24] = VIRTIO_CRYPTO_SYM_OP_CIPHER;
	p[8 + 25] = VIRTIO_CRYPTO_OP_ENCRYPT;
	memcpy(p + 56, K128, 16);
	send_msg(f, VU_CREATE_CRYPTO_SESSION, 0, p, size, NULL, 0);
	assert_int_equal(recv_reply(f, VU_CREATE_CRYPTO_SESSION, r, sizeof(r)), size);
	memcpy(&id, size == CSM_SIZE_V80 ? r + 1064 : r, 8);
	return id;
}

/* Put one AES-CBC request on the ring (not kicked); returns its status
 * byte pointer, *dst its output. */
static uint8_t *submit(struct fx *f, int64_t sid, uint8_t **dst)
{
	return fg_cipher_request(&f->g, VIRTIO_CRYPTO_CIPHER_ENCRYPT, (uint64_t)sid,
				 IV, PT, 16, dst);
}

static void wait_call(struct fx *f)
{
	struct pollfd pfd = { f->call, POLLIN, 0 };
	eventfd_t v;

	assert_int_equal(poll(&pfd, 1, 5000), 1);
	assert_int_equal(eventfd_read(f->call, &v), 0);
}

static void test_full_session(void **state)
{
	struct fx *f = *state;
	uint32_t id, len, st[2];
	uint8_t *dst, *status;
	int64_t s72, s80;

	negotiate(f);
	set_mem(f);
	setup_ring(f);
	s80 = create_session(f, CSM_SIZE_V80);
	s72 = create_session(f, CSM_SIZE_V72);
	assert_true(s80 >= 0);
	assert_true(s72 >= 0);
	assert_true(s72 != s80);

	status = submit(f, s80, &dst);
	assert_int_equal(eventfd_write(f->kick, 1), 0);
	wait_call(f);
	assert_int_equal(fg_get_used(&f->g, &id, &len), 1);
	assert_int_equal(*status, VIRTIO_CRYPTO_OK);
	assert_memory_equal(dst, CT128, 16);
	/* the back-end asks for the next kick at avail idx 1 (it publishes
	 * that after popping: a round trip makes sure it has) */
	assert_int_equal(get_u64(f, VU_GET_QUEUE_NUM), CD_MAX_QUEUES);
	assert_int_equal(fg_avail_event(&f->g), 1);

	status = submit(f, s72, &dst);
	assert_int_equal(eventfd_write(f->kick, 1), 0);
	wait_call(f);
	assert_int_equal(fg_get_used(&f->g, &id, &len), 1);
	assert_int_equal(*status, VIRTIO_CRYPTO_OK);
	assert_memory_equal(dst, CT128, 16);

	/* closing: the session is gone for later requests */
	uint64_t v = (uint64_t)s72;
	assert_int_equal(acked(f, VU_CLOSE_CRYPTO_SESSION, &v, 8, NULL, 0), 0);
	assert_int_equal(acked(f, VU_CLOSE_CRYPTO_SESSION, &v, 8, NULL, 0), 1);
	status = submit(f, s72, &dst);
	assert_int_equal(eventfd_write(f->kick, 1), 0);
	wait_call(f);
	assert_int_equal(fg_get_used(&f->g, &id, &len), 1);
	assert_int_equal(*status, VIRTIO_CRYPTO_INVSESS);

	/* stop: GET_VRING_BASE gives the next avail index */
	st[0] = 0;
	st[1] = 0;
	send_msg(f, VU_GET_VRING_BASE, 0, st, 8, NULL, 0);
	assert_int_equal(recv_reply(f, VU_GET_VRING_BASE, st, 8), 8);
	assert_int_equal(st[0], 0);
	assert_int_equal(st[1], 3);

	/* disconnect: vu_serve returns 0 (EOF) */
	close(f->sock);
	f->sock = -1;
	pthread_join(f->th, NULL);
	assert_int_equal(f->serve_rc, 0);
	f->th = pthread_self();		/* teardown must not join again */
}

static void test_kick_while_disabled(void **state)
{
	struct fx *f = *state;
	uint32_t id, len, st[2] = { 0, 0 };
	uint8_t *dst, *status;
	int64_t sid;

	negotiate(f);
	set_mem(f);
	setup_ring(f);
	sid = create_session(f, CSM_SIZE_V80);
	assert_int_equal(acked(f, VU_SET_VRING_ENABLE, st, 8, NULL, 0), 0);
	status = submit(f, sid, &dst);
	assert_int_equal(eventfd_write(f->kick, 1), 0);
	/* a round trip: the server has seen the kick by the time it answers */
	assert_int_equal(get_u64(f, VU_GET_QUEUE_NUM), CD_MAX_QUEUES);
	assert_int_equal(fg_get_used(&f->g, &id, &len), 0);
	assert_int_equal(*status, 0xaa);
	st[1] = 1;
	assert_int_equal(acked(f, VU_SET_VRING_ENABLE, st, 8, NULL, 0), 0);
	wait_call(f);
	assert_int_equal(fg_get_used(&f->g, &id, &len), 1);
	assert_int_equal(*status, VIRTIO_CRYPTO_OK);
	assert_memory_equal(dst, CT128, 16);
}

static void test_requests_before_kick_fd(void **state)
{
	struct fx *f = *state;
	uint32_t id, len, stv[2] = { 0, NUM };
	uint8_t *dst, *status;
	uint64_t addr[5] = { 0, f->g.desc + UVA_OFFSET, f->g.used + UVA_OFFSET,
			     f->g.avail + UVA_OFFSET, 0 }, v = 0;
	int64_t sid;

	negotiate(f);
	set_mem(f);
	sid = create_session(f, CSM_SIZE_V72);
	assert_int_equal(acked(f, VU_SET_VRING_NUM, stv, 8, NULL, 0), 0);
	assert_int_equal(acked(f, VU_SET_VRING_ADDR, addr, 40, NULL, 0), 0);
	assert_int_equal(acked(f, VU_SET_VRING_CALL, &v, 8, &f->call, 1), 0);
	/* the driver queued work before the ring was started */
	status = submit(f, sid, &dst);
	assert_int_equal(acked(f, VU_SET_VRING_KICK, &v, 8, &f->kick, 1), 0);
	wait_call(f);
	assert_int_equal(fg_get_used(&f->g, &id, &len), 1);
	assert_int_equal(*status, VIRTIO_CRYPTO_OK);
}

static void test_corrupt_ring_signals_err(void **state)
{
	struct fx *f = *state;
	int err = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	struct pollfd pfd = { err, POLLIN, 0 };
	uint64_t v = 0;

	negotiate(f);
	set_mem(f);
	setup_ring(f);
	assert_int_equal(acked(f, VU_SET_VRING_ERR, &v, 8, &err, 1), 0);
	fg_publish(&f->g, NUM + 5);		/* head index out of range */
	assert_int_equal(eventfd_write(f->kick, 1), 0);
	assert_int_equal(poll(&pfd, 1, 5000), 1);
	/* the connection itself carries on */
	assert_int_equal(get_u64(f, VU_GET_QUEUE_NUM), CD_MAX_QUEUES);
	close(err);
}

static void test_kick_fd_not_an_eventfd(void **state)
{
	struct fx *f = *state;
	uint64_t v = 0;

	negotiate(f);
	set_mem(f);
	setup_ring(f);
	/* a regular file is always readable: it must not become a kick fd
	 * (the daemon would spin) */
	assert_int_equal(acked(f, VU_SET_VRING_KICK, &v, 8, &f->memfd, 1), 1);
	assert_int_equal(acked(f, VU_SET_VRING_CALL, &v, 8, &f->memfd, 1), 1);
	/* a pipe or a socket is refused as well (only eventfds) */
	int p[2], sp[2];
	assert_int_equal(pipe(p), 0);
	assert_int_equal(acked(f, VU_SET_VRING_KICK, &v, 8, &p[0], 1), 1);
	assert_int_equal(acked(f, VU_SET_VRING_CALL, &v, 8, &p[1], 1), 1);
	close(p[0]);
	close(p[1]);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	assert_int_equal(acked(f, VU_SET_VRING_KICK, &v, 8, &sp[0], 1), 1);
	close(sp[0]);
	close(sp[1]);
	/* an eventfd is taken */
	int e = eventfd(0, EFD_CLOEXEC);
	assert_true(e >= 0);
	assert_int_equal(acked(f, VU_SET_VRING_CALL, &v, 8, &e, 1), 0);
	close(e);
	assert_int_equal(get_u64(f, VU_GET_QUEUE_NUM), CD_MAX_QUEUES);
}

static void test_bad_messages(void **state)
{
	struct fx *f = *state;
	uint8_t p[64] = { 0 };
	uint64_t v;
	uint32_t st[2];

	negotiate(f);
	/* unknown request, asking for a reply: failure ack */
	assert_int_equal(acked(f, 99, NULL, 0, NULL, 0), 1);
	/* SET_LOG_BASE is not offered */
	assert_int_equal(acked(f, VU_SET_LOG_BASE, p, 16, NULL, 0), 1);
	/* short payloads */
	assert_int_equal(acked(f, VU_SET_VRING_NUM, p, 4, NULL, 0), 1);
	assert_int_equal(acked(f, VU_SET_FEATURES, p, 2, NULL, 0), 1);
	/* features not offered */
	v = 1ull << 5;
	assert_int_equal(acked(f, VU_SET_FEATURES, &v, 8, NULL, 0), 1);
	/* memory table: region count and fd count disagree; too many regions */
	p[0] = 1;
	assert_int_equal(acked(f, VU_SET_MEM_TABLE, p, 40, NULL, 0), 1);
	p[0] = 9;
	assert_int_equal(acked(f, VU_SET_MEM_TABLE, p, 8, NULL, 0), 1);
	/* a region the fd cannot back */
	uint64_t region[4] = { 0, 1ull << 40, 0, 0 };
	memset(p, 0, sizeof(p));
	p[0] = 1;
	memcpy(p + 8, region, 32);
	assert_int_equal(acked(f, VU_SET_MEM_TABLE, p, 40, &f->memfd, 1), 1);
	/* vring index out of range; bad sizes; ring outside memory */
	st[0] = 200;
	st[1] = 16;
	assert_int_equal(acked(f, VU_SET_VRING_NUM, st, 8, NULL, 0), 1);
	st[0] = 0;
	st[1] = 100;
	assert_int_equal(acked(f, VU_SET_VRING_NUM, st, 8, NULL, 0), 1);
	st[1] = 16;
	assert_int_equal(acked(f, VU_SET_VRING_NUM, st, 8, NULL, 0), 0);
	uint64_t addr[5] = { 0, 0x1000, 0x2000, 0x3000, 0 };
	assert_int_equal(acked(f, VU_SET_VRING_ADDR, addr, 40, NULL, 0), 1);
	/* kick without its fd */
	v = 0;
	assert_int_equal(acked(f, VU_SET_VRING_KICK, &v, 8, NULL, 0), 1);
	/* session messages of an unknown size still get a same-size reply
	 * with a negative id */
	int64_t id;
	send_msg(f, VU_CREATE_CRYPTO_SESSION, 0, p, 64, NULL, 0);
	assert_int_equal(recv_reply(f, VU_CREATE_CRYPTO_SESSION, p, 64), 64);
	memcpy(&id, p, 8);
	assert_true(id < 0);
	/* unsupported algorithm: negative id in the 1072-byte layout */
	uint8_t s[CSM_SIZE_V80] = { 0 };
	uint32_t alg = VIRTIO_CRYPTO_CIPHER_DES_CBC;
	memcpy(s + 8, &alg, 4);
	s[8 + 24] = VIRTIO_CRYPTO_SYM_OP_CIPHER;
	send_msg(f, VU_CREATE_CRYPTO_SESSION, 0, s, sizeof(s), NULL, 0);
	assert_int_equal(recv_reply(f, VU_CREATE_CRYPTO_SESSION, s, sizeof(s)), sizeof(s));
	memcpy(&id, s + 1064, 8);
	assert_int_equal(id, -VIRTIO_CRYPTO_NOTSUPP);
	/* still alive */
	assert_int_equal(get_u64(f, VU_GET_QUEUE_NUM), CD_MAX_QUEUES);

	/* a header with a bad version or an oversize payload drops the
	 * connection */
	uint32_t hdr[3] = { VU_GET_FEATURES, 0x2, 0 };
	assert_int_equal(send(f->sock, hdr, 12, MSG_NOSIGNAL), 12);
	pthread_join(f->th, NULL);
	assert_int_equal(f->serve_rc, -EPROTO);
	f->th = pthread_self();
}

static void test_oversize_and_stop(void **state)
{
	struct fx *f = *state;
	uint32_t hdr[3] = { VU_SET_MEM_TABLE, VU_FLAG_VERSION, VU_MAX_PAYLOAD + 1 };

	negotiate(f);
	assert_int_equal(send(f->sock, hdr, 12, MSG_NOSIGNAL), 12);
	pthread_join(f->th, NULL);
	assert_int_equal(f->serve_rc, -EPROTO);
	/* the stop fd ends vu_serve with 1 */
	assert_int_equal(pthread_create(&f->th, NULL, serve, f), 0);
	assert_int_equal(write(f->stop[1], "x", 1), 1);
	pthread_join(f->th, NULL);
	assert_int_equal(f->serve_rc, 1);
	f->th = pthread_self();
}

int main(void)
{
	if (getenv("VUC_DEBUG"))
		log_set_level(LOG_DEBUG);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_full_session, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kick_while_disabled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_requests_before_kick_fd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_ring_signals_err, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kick_fd_not_an_eventfd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_messages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oversize_and_stop, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
