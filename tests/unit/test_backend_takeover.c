/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_backend_takeover.c - the takeover of a running daemon's state:
 * every record encodes and parses back, the parser refuses bad headers,
 * lengths, fds counts, reserved bytes and out-of-range fields, the reader
 * refuses records out of order; a live device (memfd guest memory, a ring
 * with eventfds, cipher and HMAC sessions, a request done) captured and
 * rebuilt is the same device (regions, queue state, sessions with keys,
 * id counter, inherited and own configuration) and serves the next request
 * on the same ring; hostile states are refused with a reason and leave no
 * fd open; over a real control socket with a forked "running daemon": a
 * normal handover, one that dies after the state (the successor carries
 * on), one that closes the connection but lives on (the successor gives
 * up).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <linux/virtio_crypto.h>

#include "fake_guest.h"
#include "sp800_38a.h"
#include "handover.h"
#include "handover_msg.h"
#include "log.h"
#include "session_table.h"
#include "takeover.h"

#define NUM 16
#define MEM_SIZE (1u << 20)
#define UVA_OFFSET 0x7f0000000000ull


static unsigned open_fds(void)
{
	unsigned n = 0;

	for (int fd = 0; fd < 4096; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

/* ---------------------------------------------------------------- records */

static void roundtrip(const struct ho_record *in)
{
	uint8_t buf[HO_MAX_RECORD];
	struct ho_record out;
	char err[200] = "";
	size_t n = ho_encode(in, buf);

	assert_int_equal(ho_parse(buf, n, ho_record_fds(in), &out, err, sizeof(err)), 0);
	assert_int_equal(out.type, in->type);
	assert_memory_equal(&out.u, &in->u, sizeof(in->u));
}

static void test_records_roundtrip(void **state)
{
	struct ho_record r;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.type = HO_HELLO;
	r.u.hello.pid = 1234;
	roundtrip(&r);
	r.type = HO_ACCEPT;
	roundtrip(&r);
	memset(&r, 0, sizeof(r));
	r.type = HO_BEGIN;
	r.u.begin = (struct ho_begin){ .paused_ns = 123456789, .next_session_id = 1ull << 60,
				       .pid = 77, .has_conn = true, .nregions = 8, .nqueues = 8,
				       .nsessions = 3, .engine_kind = 2, .max_sessions = 1000000,
				       .workers = 256, .max_memory = 1ull << 40 };
	roundtrip(&r);
	memset(&r, 0, sizeof(r));
	r.type = HO_CONN;
	r.u.conn = (struct ho_conn){ 1ull << 30, 0x89, true, true };
	roundtrip(&r);
	memset(&r, 0, sizeof(r));
	r.type = HO_REGION;
	r.u.region = (struct ho_region){ 7, 0x100000, 1ull << 30, 0x7f0000000000ull, 4096 };
	roundtrip(&r);
	memset(&r, 0, sizeof(r));
	r.type = HO_QUEUE;
	r.u.queue = (struct ho_queue){ .index = 7, .num = 32768, .flags = HO_Q_FLAGS,
				       .last_avail = 65535, .used_idx = 65534,
				       .signalled_used = 3, .desc_uva = 1, .avail_uva = 2,
				       .used_uva = 3 };
	roundtrip(&r);
	assert_int_equal(ho_record_fds(&r), 3);
	memset(&r, 0, sizeof(r));
	r.type = HO_SESSION;
	r.u.session = (struct ho_session){ .id = INT64_MAX, .op_type = 2, .cipher_alg = 3,
					   .direction = 1, .chain_order = 2, .hash_mode = 2,
					   .mac_alg = 4, .hash_result_len = 32, .aad_len = 8,
					   .key_len = 64, .auth_key_len = 512 };
	memset(r.u.session.key, 0x11, 64);
	memset(r.u.session.auth_key, 0x22, 512);
	roundtrip(&r);
	memset(&r, 0, sizeof(r));
	r.type = HO_END;
	r.u.end.records = 99;
	roundtrip(&r);
	memset(&r, 0, sizeof(r));
	r.type = HO_COMMIT;
	roundtrip(&r);
	r.type = HO_ABORT;
	snprintf(r.u.reason, sizeof(r.u.reason), "no room for the sessions");
	roundtrip(&r);
}

/* Encode rec, put n bytes at offset at (no bytes: cut the record at at,
 * unless at is 0), announce nfds_delta more fds than it has, and expect a
 * refusal whose reason says why. */
static void refused(const struct ho_record *rec, size_t at, const void *bytes,
		    size_t n, int nfds_delta, const char *why)
{
	uint8_t buf[HO_MAX_RECORD];
	struct ho_record out;
	char err[200] = "";
	size_t len = ho_encode(rec, buf);
	unsigned nfds = ho_record_fds(rec) + (unsigned)nfds_delta;

	if (bytes)
		memcpy(buf + at, bytes, n);
	else if (at)
		len = at;	/* cut */
	assert_int_equal(ho_parse(buf, len, nfds, &out, err, sizeof(err)), -EPROTO);
	if (!strstr(err, why))
		fail_msg("'%s' does not say '%s'", err, why);
}

static void test_records_refused(void **state)
{
	static const uint32_t v2 = 2, big = 0xffffffffu, three = 3, ones = 1, eleven = 11;
	static const uint64_t one64 = 1, max64 = UINT64_MAX, notmib = (1u << 20) + 1;
	static const uint16_t ver2 = 2, type99 = 99;
	struct ho_record r, q, s, b;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.type = HO_HELLO;
	r.u.hello.pid = 1;
	refused(&r, 0, &v2, 4, 0, "magic");
	refused(&r, 4, &ver2, 2, 0, "version 2");
	refused(&r, 6, &type99, 2, 0, "unknown");
	refused(&r, 8, &eleven, 4, 0, "body of 11 bytes");
	refused(&r, 10, NULL, 0, 0, "shorter than its header");
	refused(&r, 12, &ones, 4, 0, "1 fds announced");
	refused(&r, 0, NULL, 0, 1, "0 fds announced, 1 came");
	refused(&r, 16 + 4, &ones, 4, 0, "reserved");
	refused(&r, 16, &big, 4, 0, "pid");

	memset(&b, 0, sizeof(b));
	b.type = HO_BEGIN;
	b.u.begin = (struct ho_begin){ .next_session_id = 5, .pid = 9, .has_conn = true,
				       .nqueues = 8, .nsessions = 1, .max_sessions = 4,
				       .max_memory = 1u << 20 };
	refused(&b, 16 + 20, &v2, 4, 0, "has_conn 2");
	refused(&b, 16 + 8, &max64, 8, 0, "id counter");
	refused(&b, 16 + 24, &big, 4, 0, "regions");
	refused(&b, 16 + 36, &three, 4, 0, "engine kind 3");
	refused(&b, 16 + 40, &big, 4, 0, "max_sessions");
	refused(&b, 16 + 44, &big, 4, 0, "workers");
	refused(&b, 16 + 48, &notmib, 8, 0, "max_memory");
	refused(&b, 16 + 56, &one64, 8, 0, "reserved");
	refused(&b, 0, NULL, 0, -1, "2 fds announced, 1 came");
	b.u.begin.has_conn = false;
	refused(&b, 0, NULL, 0, 0, "device state without a connection");

	memset(&q, 0, sizeof(q));
	q.type = HO_QUEUE;
	q.u.queue = (struct ho_queue){ .index = 0, .num = 16, .flags = HO_Q_KICK_FD };
	refused(&q, 16 + 4, &three, 4, 0, "ring size 3");
	refused(&q, 16 + 8, &big, 4, 0, "unknown flags");
	refused(&q, 16, &eleven, 4, 0, "index 11");
	refused(&q, 0, NULL, 0, 1, "1 fds announced, 2 came");
	q.u.queue.num = 0;
	q.u.queue.flags = HO_Q_ADDR_SET;
	refused(&q, 0, NULL, 0, 0, "addresses without a size");

	memset(&s, 0, sizeof(s));
	s.type = HO_SESSION;
	s.u.session = (struct ho_session){ .id = 3, .key_len = 16 };
	refused(&s, 16 + 40, &(uint32_t){ 65 }, 4, 0, "key 65");
	refused(&s, 16 + 40, &(uint32_t){ 17 }, 4, 0, "for keys of 17");
	refused(&s, 16, &(uint64_t){ 0 }, 8, 0, "id 0");
	refused(&s, 16, &max64, 8, 0, "id");

	memset(&r, 0, sizeof(r));
	r.type = HO_ABORT;
	snprintf(r.u.reason, sizeof(r.u.reason), "why");
	refused(&r, 17, "\n", 1, 0, "not printable");
	memset(&r, 0, sizeof(r));
	r.type = HO_REGION;
	r.u.region = (struct ho_region){ .index = 0, .gpa = UINT64_MAX - 10, .size = 100 };
	refused(&r, 0, NULL, 0, 0, "wraps");
	r.u.region = (struct ho_region){ .index = 0, .gpa = 0, .size = 0 };
	refused(&r, 0, NULL, 0, 0, "empty");
}

static int feed_rec(struct ho_reader *rd, const struct ho_record *rec, char *err)
{
	uint8_t buf[HO_MAX_RECORD];
	struct ho_record out;
	size_t n = ho_encode(rec, buf);

	return ho_read(rd, buf, n, ho_record_fds(rec), &out, err, 200);
}

static struct ho_record begin_r = { .type = HO_BEGIN }, conn_r = { .type = HO_CONN },
			reg_r = { .type = HO_REGION }, queue_r = { .type = HO_QUEUE };

/* A reader fed BEGIN (2 regions, 2 queues, 1 session), CONN, both REGIONs
 * and the first nq QUEUEs, all accepted. */
static void state_prefix(struct ho_reader *rd, unsigned nq)
{
	char err[200];

	begin_r.u.begin = (struct ho_begin){ .next_session_id = 100, .pid = 9,
					     .has_conn = true, .nregions = 2,
					     .nqueues = 2, .nsessions = 1,
					     .max_sessions = 4, .max_memory = 1u << 20 };
	reg_r.u.region.size = 4096;
	ho_reader_init(rd, HO_ROLE_SUCCESSOR);
	assert_int_equal(feed_rec(rd, &begin_r, err), 0);
	assert_int_equal(feed_rec(rd, &conn_r, err), 0);
	for (uint32_t i = 0; i < 2; i++) {
		reg_r.u.region.index = i;
		assert_int_equal(feed_rec(rd, &reg_r, err), 0);
	}
	for (uint32_t i = 0; i < nq; i++) {
		queue_r.u.queue.index = i;
		assert_int_equal(feed_rec(rd, &queue_r, err), 0);
	}
}

static void test_reader_order(void **state)
{
	struct ho_record sess = { .type = HO_SESSION }, end = { .type = HO_END },
			 commit = { .type = HO_COMMIT }, hello = { .type = HO_HELLO },
			 accept = { .type = HO_ACCEPT };
	struct ho_reader rd;
	char err[200];

	(void)state;
	hello.u.hello.pid = accept.u.hello.pid = 5;
	state_prefix(&rd, 0);	/* sets up the records too */

	ho_reader_init(&rd, HO_ROLE_SUCCESSOR);
	assert_int_equal(feed_rec(&rd, &conn_r, err), -EPROTO);	/* BEGIN first */
	assert_non_null(strstr(err, "BEGIN was expected"));
	assert_int_equal(feed_rec(&rd, &begin_r, err), -EPROTO); /* failed for good */

	ho_reader_init(&rd, HO_ROLE_SUCCESSOR);
	assert_int_equal(feed_rec(&rd, &begin_r, err), 0);
	assert_int_equal(feed_rec(&rd, &reg_r, err), -EPROTO);	/* CONN missing */
	ho_reader_init(&rd, HO_ROLE_SUCCESSOR);
	assert_int_equal(feed_rec(&rd, &begin_r, err), 0);
	assert_int_equal(feed_rec(&rd, &conn_r, err), 0);
	reg_r.u.region.index = 1;
	assert_int_equal(feed_rec(&rd, &reg_r, err), -EPROTO);	/* 1 before 0 */
	assert_non_null(strstr(err, "REGION 1 where 0"));

	state_prefix(&rd, 0);
	queue_r.u.queue.index = 3;
	assert_int_equal(feed_rec(&rd, &queue_r, err), 0);
	assert_int_equal(feed_rec(&rd, &queue_r, err), -EPROTO); /* not increasing */

	state_prefix(&rd, 2);
	assert_int_equal(feed_rec(&rd, &commit, err), -EPROTO);	/* SESSION due */
	state_prefix(&rd, 2);
	sess.u.session.id = 100;
	assert_int_equal(feed_rec(&rd, &sess, err), -EPROTO);
	assert_non_null(strstr(err, "not below the id counter"));
	state_prefix(&rd, 2);
	sess.u.session.id = 99;
	assert_int_equal(feed_rec(&rd, &sess, err), 0);
	end.u.end.records = 5;
	assert_int_equal(feed_rec(&rd, &end, err), -EPROTO);	/* 6 came */
	assert_non_null(strstr(err, "END counts 5 records, 6 came"));
	state_prefix(&rd, 2);
	assert_int_equal(feed_rec(&rd, &sess, err), 0);
	end.u.end.records = 6;
	assert_int_equal(feed_rec(&rd, &end, err), 0);
	assert_true(ho_reader_complete(&rd));
	assert_int_equal(feed_rec(&rd, &end, err), -EPROTO);	/* COMMIT due */
	state_prefix(&rd, 2);
	assert_int_equal(feed_rec(&rd, &sess, err), 0);
	assert_int_equal(feed_rec(&rd, &end, err), 0);
	assert_int_equal(feed_rec(&rd, &commit, err), 0);
	assert_int_equal(feed_rec(&rd, &commit, err), -EPROTO);	/* done */

	/* the running side: HELLO, then ACCEPT or ABORT, nothing else */
	ho_reader_init(&rd, HO_ROLE_RUNNING);
	assert_int_equal(feed_rec(&rd, &accept, err), -EPROTO);
	ho_reader_init(&rd, HO_ROLE_RUNNING);
	assert_int_equal(feed_rec(&rd, &hello, err), 0);
	assert_int_equal(feed_rec(&rd, &begin_r, err), -EPROTO);
	ho_reader_init(&rd, HO_ROLE_RUNNING);
	assert_int_equal(feed_rec(&rd, &hello, err), 0);
	assert_int_equal(feed_rec(&rd, &accept, err), 0);
	assert_int_equal(feed_rec(&rd, &accept, err), -EPROTO);	/* done */
}

/* ---------------------------------------------------------------- live state */

struct recs {
	unsigned n;
	uint8_t buf[64][HO_MAX_RECORD];
	size_t len[64];
	int fds[64][HO_MAX_FDS];
	unsigned nfds[64];
};

/* What SCM_RIGHTS would do: the receiver gets duplicates. */
static int collect(void *arg, const uint8_t *rec, size_t len, const int *fds,
		   unsigned nfds)
{
	struct recs *l = arg;

	assert_true(l->n < 64);
	memcpy(l->buf[l->n], rec, len);
	l->len[l->n] = len;
	for (unsigned i = 0; i < nfds; i++)
		l->fds[l->n][i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 0);
	l->nfds[l->n] = nfds;
	l->n++;
	return 0;
}

static void recs_close_from(struct recs *l, unsigned from)
{
	for (unsigned i = from; i < l->n; i++)
		for (unsigned k = 0; k < l->nfds[i]; k++)
			close(l->fds[i][k]);
}

struct fx {
	struct ce_engine *eng;
	struct crypto_device *dev;
	struct vu_conn conn;
	int memfd, kick, call, sv[2], lfd, ctl_lfd;
	void *mem;
	struct fake_guest g;
	char dir[64], sock[96], ctl[108];
	uint64_t sid_cbc, sid_hmac;
	struct recs recs;
	unsigned fds_before;
};

static int bound_stream(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 4), 0);
	return fd;
}

/* One request through dev: kick, process, check the answer. */
static void request_ok(struct fx *f, struct crypto_device *dev, uint64_t sid)
{
	uint8_t *dst, *status = fg_cipher_request(&f->g, VIRTIO_CRYPTO_CIPHER_ENCRYPT,
						  sid, IV, PT, 16, &dst);
	uint32_t id, len;
	eventfd_t v;

	assert_int_equal(eventfd_write(f->kick, 1), 0);
	cd_kick(dev, 0);
	assert_int_equal(fg_get_used(&f->g, &id, &len), 1);
	assert_int_equal(*status, VIRTIO_CRYPTO_OK);
	assert_memory_equal(dst, CT128, 16);
	assert_int_equal(eventfd_read(f->call, &v), 0);	/* the guest was told */
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct session_params p = { .op_type = VIRTIO_CRYPTO_SYM_OP_CIPHER,
				    .cipher_alg = VIRTIO_CRYPTO_CIPHER_AES_CBC,
				    .direction = VIRTIO_CRYPTO_OP_ENCRYPT,
				    .key_len = 16, .key = K128 };
	static const uint8_t mkey[40] = "an HMAC key of forty bytes, for the test";
	struct session_params h = { .op_type = VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING,
				    .cipher_alg = VIRTIO_CRYPTO_NO_CIPHER,
				    .hash_mode = VIRTIO_CRYPTO_SYM_HASH_MODE_AUTH,
				    .mac_alg = VIRTIO_CRYPTO_MAC_HMAC_SHA_256,
				    .hash_result_len = 32, .auth_key_len = 40,
				    .auth_key = mkey };
	struct vu_conn_state cs = { .features = 1ull << VU_F_PROTOCOL_FEATURES,
				    .protocol_features = VU_OFFERED_PROTOCOL_FEATURES,
				    .owner = true };
	char err[200];

	assert_non_null(f);
	f->fds_before = open_fds();
	snprintf(f->dir, sizeof(f->dir), "/tmp/test-takeover.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->sock, sizeof(f->sock), "%s/vu.sock", f->dir);
	assert_int_equal(tk_ctl_path(f->sock, f->ctl, sizeof(f->ctl)), 0);
	f->lfd = bound_stream(f->sock);
	f->ctl_lfd = tk_listen(f->ctl);
	assert_true(f->ctl_lfd >= 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, f->sv), 0);
	assert_int_equal(ce_engine_open(&f->eng, CE_KIND_SOFTWARE, NULL, err, sizeof(err)), 0);
	assert_int_equal(cd_create(&f->dev, f->eng, 16, 0), 0);
	vu_conn_init(&f->conn, f->sv[1], f->dev);
	assert_int_equal(vu_conn_import(&f->conn, &cs), 0);
	f->memfd = memfd_create("guest", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	assert_int_equal(ftruncate(f->memfd, MEM_SIZE), 0);
	f->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, f->memfd, 0);
	assert_true(f->mem != MAP_FAILED);
	assert_int_equal(fg_init_mem(&f->g, f->mem, MEM_SIZE, NUM, UVA_OFFSET), 0);
	cd_mem_begin(f->dev);
	assert_int_equal(cd_mem_add_fd(f->dev, FG_BASE_GPA, MEM_SIZE,
				       FG_BASE_GPA + UVA_OFFSET, 0, f->memfd), 0);
	assert_int_equal(cd_mem_end(f->dev), 0);
	assert_int_equal(cd_set_num(f->dev, 0, NUM), 0);
	assert_int_equal(cd_set_base(f->dev, 0, 0), 0);
	assert_int_equal(cd_set_addr(f->dev, 0, f->g.desc + UVA_OFFSET,
				     f->g.avail + UVA_OFFSET, f->g.used + UVA_OFFSET), 0);
	f->kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	f->call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	assert_int_equal(cd_set_call(f->dev, 0, fcntl(f->call, F_DUPFD_CLOEXEC, 0)), 0);
	assert_int_equal(cd_set_kick(f->dev, 0, fcntl(f->kick, F_DUPFD_CLOEXEC, 0)), 0);
	assert_int_equal(st_create(cd_sessions(f->dev), &p, &f->sid_cbc), VIRTIO_CRYPTO_OK);
	assert_int_equal(st_create(cd_sessions(f->dev), &h, &f->sid_hmac), VIRTIO_CRYPTO_OK);
	request_ok(f, f->dev, f->sid_cbc);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	recs_close_from(&f->recs, 0);
	cd_destroy(f->dev);
	ce_engine_close(f->eng);
	munmap(f->mem, MEM_SIZE);
	close(f->memfd);
	close(f->kick);
	close(f->call);
	close(f->sv[0]);
	close(f->sv[1]);
	close(f->lfd);
	close(f->ctl_lfd);
	unlink(f->sock);
	unlink(f->ctl);
	rmdir(f->dir);
	assert_int_equal(open_fds(), f->fds_before);	/* nothing leaked */
	free(f);
	return 0;
}

static void capture(struct fx *f)
{
	struct ho_live live = { .listen_fd = f->lfd, .ctl_listen_fd = f->ctl_lfd,
				.conn = &f->conn,
				.cfg = { CE_KIND_SOFTWARE, 16, 0, 2u << 20 },
				.paused_ns = 42 };

	memset(&f->recs, 0, sizeof(f->recs));
	assert_int_equal(ho_capture(&live, collect, &f->recs), 0);
}

/* Feed the records into r; returns the first non-zero result and its
 * index; the fds of the records not fed are closed. */
static int feed_all(struct fx *f, struct ho_restore *r, unsigned *at, char *err)
{
	int e = 0;
	unsigned i;

	for (i = 0; i < f->recs.n && e == 0; i++)
		e = ho_restore_feed(r, f->recs.buf[i], f->recs.len[i], f->recs.fds[i],
				    f->recs.nfds[i], err, 300);
	recs_close_from(&f->recs, i);
	f->recs.n = 0;
	if (at)
		*at = i;
	return e;
}

static void test_capture_restore(void **state)
{
	struct fx *f = *state;
	struct ho_config own = { CE_KIND_AUTO, 99, 0, 1u << 20 };
	struct ho_record commit = { .type = HO_COMMIT };
	uint8_t cbuf[HO_MAX_RECORD];
	struct cd_queue_state a, b;
	struct gm_region_desc ga, gb;
	struct session_export ea, eb;
	struct ho_restore r;
	size_t ca = 0, cb = 0;
	uint64_t fresh;
	unsigned at;
	char err[300] = "";
	struct session_params p = { .op_type = VIRTIO_CRYPTO_SYM_OP_CIPHER,
				    .cipher_alg = VIRTIO_CRYPTO_CIPHER_AES_CBC,
				    .direction = VIRTIO_CRYPTO_OP_ENCRYPT,
				    .key_len = 16, .key = K128 };

	capture(f);
	/* BEGIN CONN REGION QUEUE x 8 SESSION x 2 END */
	assert_int_equal(f->recs.n, 1 + 1 + 1 + CD_MAX_QUEUES + 2 + 1);
	ho_restore_init(&r, &own, HO_GIVEN_WORKERS, f->sock, f->ctl);
	assert_int_equal(feed_all(f, &r, &at, err), 1);
	assert_int_equal(at, 1 + 1 + 1 + CD_MAX_QUEUES + 2 + 1);
	assert_int_equal(ho_restore_feed(&r, cbuf, ho_encode(&commit, cbuf), NULL, 0, err,
					 sizeof(err)), 2);
	/* inherited: engine, max sessions, memory; given: workers */
	assert_int_equal(r.cfg.engine, CE_KIND_SOFTWARE);
	assert_int_equal(r.cfg.max_sessions, 16);
	assert_int_equal(r.cfg.max_memory, 2u << 20);
	assert_int_equal(r.cfg.workers, 0);
	assert_int_equal(r.paused_ns, 42);
	assert_int_equal(r.pid, (uint32_t)getpid());
	assert_true(r.has_conn);
	assert_int_equal(r.sessions, 2);
	assert_true(r.conn.features == f->conn.features &&
		    r.conn.protocol_features == f->conn.protocol_features && r.conn.owner);
	/* the same memory table */
	assert_int_equal(cd_mem_region(f->dev, 0, &ga), 0);
	assert_int_equal(cd_mem_region(r.dev, 0, &gb), 0);
	assert_true(ga.gpa == gb.gpa && ga.size == gb.size && ga.uva == gb.uva &&
		    ga.mmap_offset == gb.mmap_offset);
	assert_int_equal(cd_mem_region(r.dev, 1, &gb), -ENOENT);
	/* the same queues */
	for (unsigned i = 0; i < CD_MAX_QUEUES; i++) {
		assert_int_equal(cd_queue_export(f->dev, i, &a), 0);
		assert_int_equal(cd_queue_export(r.dev, i, &b), 0);
		assert_true(a.num == b.num && a.addr_set == b.addr_set &&
			    a.started == b.started && a.enabled == b.enabled &&
			    a.broken == b.broken && a.event_idx == b.event_idx &&
			    a.last_avail == b.last_avail && a.used_idx == b.used_idx &&
			    a.signalled_used == b.signalled_used &&
			    a.signalled_valid == b.signalled_valid &&
			    a.desc_uva == b.desc_uva && a.avail_uva == b.avail_uva &&
			    a.used_uva == b.used_uva);
		assert_true((a.kick_fd >= 0) == (b.kick_fd >= 0) &&
			    (a.call_fd >= 0) == (b.call_fd >= 0) &&
			    (a.err_fd >= 0) == (b.err_fd >= 0));
	}
	assert_int_equal(a.last_avail, 0);
	assert_int_equal(cd_queue_export(r.dev, 0, &b), 0);
	assert_int_equal(b.last_avail, 1);
	/* the same sessions, keys included */
	while (st_export(cd_sessions(f->dev), &ca, &ea) == 1) {
		bool found = false;

		cb = 0;
		while (st_export(cd_sessions(r.dev), &cb, &eb) == 1) {
			if (eb.id != ea.id)
				continue;
			found = true;
			assert_true(ea.p.op_type == eb.p.op_type &&
				    ea.p.cipher_alg == eb.p.cipher_alg &&
				    ea.p.mac_alg == eb.p.mac_alg &&
				    ea.p.hash_mode == eb.p.hash_mode &&
				    ea.p.key_len == eb.p.key_len &&
				    ea.p.auth_key_len == eb.p.auth_key_len);
			assert_memory_equal(ea.key, eb.key, sizeof(ea.key));
			assert_memory_equal(ea.auth_key, eb.auth_key, sizeof(ea.auth_key));
		}
		assert_true(found);
	}
	/* the rebuilt device serves the next request on the same ring */
	request_ok(f, r.dev, f->sid_cbc);
	/* new ids are above the old ones */
	assert_int_equal(st_create(cd_sessions(r.dev), &p, &fresh), VIRTIO_CRYPTO_OK);
	assert_true(fresh > f->sid_cbc && fresh > f->sid_hmac);
	ho_restore_free(&r);
}

/* Mutate field `off` (body offset) of the first record of `type`. */
static void poke(struct fx *f, enum ho_type type, size_t off, const void *v, size_t n)
{
	for (unsigned i = 0; i < f->recs.n; i++) {
		uint16_t t;

		memcpy(&t, f->recs.buf[i] + 6, 2);
		if (t == type) {
			memcpy(f->recs.buf[i] + HO_HDR_LEN + off, v, n);
			return;
		}
	}
	fail_msg("no record of type %d", type);
}

static void expect_refusal(struct fx *f, const struct ho_config *own, unsigned given,
			   const char *why)
{
	struct ho_restore r;
	char err[300] = "";
	int e;

	ho_restore_init(&r, own, given, f->sock, f->ctl);
	e = feed_all(f, &r, NULL, err);
	assert_true(e < 0);
	if (!strstr(err, why))
		fail_msg("'%s' does not say '%s'", err, why);
	ho_restore_free(&r);
}

static void test_hostile_state(void **state)
{
	struct fx *f = *state;
	struct ho_config own = { CE_KIND_SOFTWARE, 16, 0, 1u << 20 };
	unsigned base = open_fds();
	int p[2];

	/* the listening sockets swapped */
	capture(f);
	{
		int t = f->recs.fds[0][0];

		f->recs.fds[0][0] = f->recs.fds[0][1];
		f->recs.fds[0][1] = t;
	}
	expect_refusal(f, &own, 0, "not a UNIX stream socket listening on");
	/* a pipe as a kick fd */
	capture(f);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	close(p[1]);
	close(f->recs.fds[3][0]);
	f->recs.fds[3][0] = p[0];	/* QUEUE 0 comes after BEGIN, CONN, REGION */
	expect_refusal(f, &own, 0, "is not an eventfd");
	/* a region larger than its file */
	capture(f);
	poke(f, HO_REGION, 16, &(uint64_t){ 2 * MEM_SIZE }, 8);
	expect_refusal(f, &own, 0, "REGION 0");
	/* a ring outside guest memory */
	capture(f);
	poke(f, HO_QUEUE, 24, &(uint64_t){ 0x1000 }, 8);
	expect_refusal(f, &own, 0, "ring not inside guest memory");
	/* an algorithm no one offers */
	capture(f);
	poke(f, HO_SESSION, 12, &(uint32_t){ 99 }, 4);
	expect_refusal(f, &own, 0, "algorithm not supported");
	/* features never offered */
	capture(f);
	poke(f, HO_CONN, 0, &(uint64_t){ 1ull << 5 }, 8);
	expect_refusal(f, &own, 0, "never offered");
	/* the same id twice */
	capture(f);
	{
		uint64_t id;
		unsigned s = f->recs.n - 3;	/* the two SESSIONs before END */

		memcpy(&id, f->recs.buf[s] + HO_HDR_LEN, 8);
		memcpy(f->recs.buf[s + 1] + HO_HDR_LEN, &id, 8);
	}
	expect_refusal(f, &own, 0, "id repeated");
	/* our own --max-sessions cannot hold them */
	capture(f);
	own.max_sessions = 1;
	expect_refusal(f, &own, HO_GIVEN_MAX_SESSIONS, "--max-sessions 1 is below the 2");
	assert_int_equal(open_fds(), base);
	/* and the running device still serves: capture changed nothing */
	request_ok(f, f->dev, f->sid_cbc);
}

/* ---------------------------------------------------------------- over a socket */

enum child_mode { CHILD_NORMAL, CHILD_DIES_AFTER_ACCEPT, CHILD_CLOSES_AND_LIVES };

static int send_one(void *arg, const uint8_t *rec, size_t len, const int *fds,
		    unsigned nfds)
{
	return tk_send(*(int *)arg, rec, len, fds, nfds, 5000);
}

/* The forked "running daemon" (no front-end connected). */
static void child(struct fx *f, enum child_mode mode)
{
	struct ho_live live = { .listen_fd = f->lfd, .ctl_listen_fd = f->ctl_lfd,
				.cfg = { CE_KIND_SOFTWARE, 8, 0, 1u << 20 } };
	struct pollfd p = { f->ctl_lfd, POLLIN, 0 };
	struct ho_reader rd;
	char err[200], buf[64];
	unsigned pid;
	int fd, r;

	if (poll(&p, 1, 10000) != 1 || (fd = tk_accept(f->ctl_lfd)) < 0)
		_exit(20);
	do {
		p = (struct pollfd){ fd, POLLIN, 0 };
		if (poll(&p, 1, 10000) != 1)
			_exit(21);
		r = tk_read_hello(fd, &rd, &pid, err, sizeof(err));
	} while (r == 0);
	if (r < 0)
		_exit(22);
	if (mode == CHILD_NORMAL)
		_exit(tk_give(fd, &rd, &live, err, sizeof(err)) == 0 ? 0 : 23);
	/* send the state, read the ACCEPT, and never COMMIT */
	if (ho_capture(&live, send_one, &fd))
		_exit(24);
	p = (struct pollfd){ fd, POLLIN, 0 };
	if (poll(&p, 1, 10000) != 1 || recv(fd, buf, sizeof(buf), 0) <= 0)
		_exit(25);
	if (mode == CHILD_DIES_AFTER_ACCEPT)
		_exit(0);
	close(fd);
	sleep(5);
	_exit(0);
}

static void test_over_the_socket(void **state)
{
	struct fx *f = *state;
	struct ho_config own = { CE_KIND_SOFTWARE, 8, 0, 1u << 20 };
	enum child_mode modes[] = { CHILD_NORMAL, CHILD_DIES_AFTER_ACCEPT,
				    CHILD_CLOSES_AND_LIVES };

	for (unsigned m = 0; m < 3; m++) {
		struct ho_restore r;
		char err[300] = "";
		int st, e;
		pid_t pid = fork();

		assert_true(pid >= 0);
		if (pid == 0)
			child(f, modes[m]);
		ho_restore_init(&r, &own, 0, f->sock, f->ctl);
		e = tk_take(f->ctl, &r, -1, err, sizeof(err));
		if (modes[m] == CHILD_CLOSES_AND_LIVES) {
			assert_int_equal(e, -EPIPE);
			assert_non_null(strstr(err, "still running"));
			kill(pid, SIGKILL);
		} else {
			if (e)
				fail_msg("mode %u: %s", m, err);
			assert_false(r.has_conn);
			assert_int_equal(r.pid, (uint32_t)pid);
			/* the listening sockets came over */
			assert_true(r.listen_fd >= 0 && r.ctl_listen_fd >= 0);
			ho_restore_free(&r);
		}
		assert_int_equal(waitpid(pid, &st, 0), pid);
		if (modes[m] != CHILD_CLOSES_AND_LIVES)
			assert_int_equal(WEXITSTATUS(st), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_records_roundtrip),
		cmocka_unit_test(test_records_refused),
		cmocka_unit_test(test_reader_order),
		cmocka_unit_test_setup_teardown(test_capture_restore, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_over_the_socket, setup, teardown),
	};

	log_set_level(getenv("TEST_VERBOSE") ? LOG_DEBUG : -1);
	st_ids_start(1000);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
