/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * handover.c - live state <-> takeover records (see handover.h).
 *
 * Capture runs on the running daemon's connection thread after the device
 * was drained, so nothing changes while it walks the objects; the fds it
 * sends stay open in this process too (SCM_RIGHTS duplicates them), so a
 * handover that fails halfway leaves the running daemon exactly as it was.
 * Restore trusts nothing: every record is parsed and ordered by
 * handover_msg.c, every fd is checked for its kind here, and every value
 * then goes through the same checks as the vhost-user messages that set
 * it the first time (gm_add_fd, vq_set_addr, st_restore's session
 * validation, vu_conn_import's offered features).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/virtio_crypto.h>

#include "fd_check.h"
#include "handover.h"
#include "log.h"
#include "session_table.h"

_Static_assert(HO_MAX_QUEUES == CD_MAX_QUEUES, "queue count");
_Static_assert(HO_MAX_REGIONS == GM_MAX_REGIONS, "region count");
_Static_assert(HO_MAX_KEY == CE_MAX_KEY && HO_MAX_AUTH_KEY == CE_MAX_MAC_KEY,
	       "key sizes");

static int emit(ho_send_fn send, void *arg, const struct ho_record *rec,
		const int *fds)
{
	uint8_t buf[HO_MAX_RECORD];
	size_t len = ho_encode(rec, buf);
	int r = send(arg, buf, len, fds, ho_record_fds(rec));

	explicit_bzero(buf, len);	/* session keys */
	return r;
}

static uint32_t queue_flags(const struct cd_queue_state *s)
{
	return (s->addr_set ? HO_Q_ADDR_SET : 0) |
	       (s->started ? HO_Q_STARTED : 0) |
	       (s->enabled ? HO_Q_ENABLED : 0) |
	       (s->broken ? HO_Q_BROKEN : 0) |
	       (s->kick_pending ? HO_Q_KICK_PENDING : 0) |
	       (s->event_idx ? HO_Q_EVENT_IDX : 0) |
	       (s->signalled_valid ? HO_Q_SIGNALLED_VALID : 0) |
	       (s->kick_fd >= 0 ? HO_Q_KICK_FD : 0) |
	       (s->call_fd >= 0 ? HO_Q_CALL_FD : 0) |
	       (s->err_fd >= 0 ? HO_Q_ERR_FD : 0);
}

static int capture_device(struct crypto_device *d, ho_send_fn send,
			  void *arg, uint32_t *records)
{
	struct session_table *t = cd_sessions(d);
	struct session_export se;
	struct gm_region_desc g;
	struct ho_record rec;
	size_t cursor = 0;
	int r;

	for (unsigned i = 0; cd_mem_region(d, i, &g) == 0; i++) {
		rec = (struct ho_record){ .type = HO_REGION, .u.region = {
			.index = i, .gpa = g.gpa, .size = g.size, .uva = g.uva,
			.mmap_offset = g.mmap_offset } };
		r = emit(send, arg, &rec, &g.fd);
		if (r)
			return r;
		(*records)++;
	}
	for (unsigned i = 0; i < CD_MAX_QUEUES; i++) {
		struct cd_queue_state s;
		int fds[3], n = 0;

		cd_queue_export(d, i, &s);
		rec = (struct ho_record){ .type = HO_QUEUE, .u.queue = {
			.index = i, .num = s.num, .flags = queue_flags(&s),
			.last_avail = s.last_avail, .used_idx = s.used_idx,
			.signalled_used = s.signalled_used,
			.desc_uva = s.desc_uva, .avail_uva = s.avail_uva,
			.used_uva = s.used_uva } };
		if (s.kick_fd >= 0)
			fds[n++] = s.kick_fd;
		if (s.call_fd >= 0)
			fds[n++] = s.call_fd;
		if (s.err_fd >= 0)
			fds[n++] = s.err_fd;
		r = emit(send, arg, &rec, fds);
		if (r)
			return r;
		(*records)++;
	}
	while (st_export(t, &cursor, &se) == 1) {
		struct ho_session *hs = &rec.u.session;

		rec.type = HO_SESSION;
		*hs = (struct ho_session){
			.id = se.id, .op_type = se.p.op_type,
			.cipher_alg = se.p.cipher_alg,
			.direction = se.p.direction,
			.chain_order = se.p.chain_order,
			.hash_mode = se.p.hash_mode, .mac_alg = se.p.mac_alg,
			.hash_result_len = se.p.hash_result_len,
			.aad_len = se.p.aad_len, .key_len = se.p.key_len,
			.auth_key_len = se.p.auth_key_len };
		memcpy(hs->key, se.key, se.p.key_len);
		memcpy(hs->auth_key, se.auth_key, se.p.auth_key_len);
		r = emit(send, arg, &rec, NULL);
		explicit_bzero(&se, sizeof(se));
		explicit_bzero(hs, sizeof(*hs));
		if (r)
			return r;
		(*records)++;
	}
	return 0;
}

int ho_capture(const struct ho_live *live, ho_send_fn send, void *arg)
{
	struct crypto_device *d = live->conn ? live->conn->dev : NULL;
	struct gm_region_desc g;
	struct ho_record rec;
	uint32_t nregions = 0, records = 0;
	int fds[HO_BEGIN_FDS] = { live->listen_fd, live->ctl_listen_fd };
	int r;

	if (d) {
		for (; cd_mem_region(d, nregions, &g) == 0; nregions++)
			if (g.fd < 0)
				return -ENOTSUP;
	}
	rec = (struct ho_record){ .type = HO_BEGIN, .u.begin = {
		.paused_ns = live->paused_ns,
		.next_session_id = st_ids_next(),
		.pid = (uint32_t)getpid(),
		.has_conn = d != NULL,
		.nregions = nregions,
		.nqueues = d ? CD_MAX_QUEUES : 0,
		.nsessions = d ? st_count(cd_sessions(d)) : 0,
		.engine_kind = (uint32_t)live->cfg.engine,
		.max_sessions = live->cfg.max_sessions,
		.workers = live->cfg.workers,
		.max_memory = live->cfg.max_memory } };
	r = emit(send, arg, &rec, fds);
	if (r)
		return r;
	if (d) {
		struct vu_conn_state cs;

		vu_conn_export(live->conn, &cs);
		rec = (struct ho_record){ .type = HO_CONN, .u.conn = {
			.features = cs.features,
			.protocol_features = cs.protocol_features,
			.owner = cs.owner, .event_idx = cd_event_idx(d) } };
		r = emit(send, arg, &rec, &live->conn->fd);
		if (r)
			return r;
		records++;
		r = capture_device(d, send, arg, &records);
		if (r)
			return r;
	}
	rec = (struct ho_record){ .type = HO_END, .u.end.records = records };
	return emit(send, arg, &rec, NULL);
}

void ho_restore_init(struct ho_restore *r, const struct ho_config *own,
		     unsigned given, const char *sock_path,
		     const char *ctl_path)
{
	memset(r, 0, sizeof(*r));
	ho_reader_init(&r->rd, HO_ROLE_SUCCESSOR);
	r->own = *own;
	r->given = given;
	r->sock_path = sock_path;
	r->ctl_path = ctl_path;
	r->listen_fd = r->ctl_listen_fd = -1;
	r->conn.fd = -1;
}

static void close_all(const int *fds, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

#define REFUSE(e, ...) do { snprintf(err, errlen, __VA_ARGS__); return (e); } while (0)

static int restore_begin(struct ho_restore *r, const struct ho_begin *g,
			 const int *fds, char *err, size_t errlen)
{
	char why[200] = "";
	uint64_t next = st_ids_next();
	int e;

	/* BEGIN's fds are kept first, so that a refusal below closes them */
	r->listen_fd = fds[0];
	r->ctl_listen_fd = fds[1];
	r->pid = g->pid;
	r->paused_ns = g->paused_ns;
	if (!fd_is_unix_socket(fds[0], SOCK_STREAM, true, r->sock_path))
		REFUSE(-EBADF, "the listening socket handed over is not a "
		       "UNIX stream socket listening on %s", r->sock_path);
	if (!fd_is_unix_socket(fds[1], SOCK_SEQPACKET, true, r->ctl_path))
		REFUSE(-EBADF, "the control socket handed over is not a "
		       "UNIX seqpacket socket listening on %s", r->ctl_path);
	r->cfg = (struct ho_config){
		.engine = r->given & HO_GIVEN_ENGINE ? r->own.engine
						     : (enum ce_kind)g->engine_kind,
		.max_sessions = r->given & HO_GIVEN_MAX_SESSIONS
					? r->own.max_sessions : g->max_sessions,
		.workers = r->given & HO_GIVEN_WORKERS ? r->own.workers
						       : g->workers,
		.max_memory = r->given & HO_GIVEN_MAX_MEMORY
					? r->own.max_memory
					: (size_t)g->max_memory };
	if (g->nsessions > r->cfg.max_sessions)
		REFUSE(-ENOSPC, "--max-sessions %u is below the %u sessions "
		       "the guest holds", r->cfg.max_sessions, g->nsessions);
	if (ce_engine_open(&r->eng, r->cfg.engine, NULL, why, sizeof(why)))
		REFUSE(-ENODEV, "engine: %s", why);
	/* ids keep counting where the predecessor was */
	if (g->next_session_id > next)
		st_ids_start(g->next_session_id);
	if (!g->has_conn)
		return 0;
	e = cd_create(&r->dev, r->eng, r->cfg.max_sessions, r->cfg.workers);
	if (e)
		REFUSE(e, "device state: %s", strerror(-e));
	cd_set_memory_max(r->dev, r->cfg.max_memory);
	return 0;
}

static int restore_conn(struct ho_restore *r, const struct ho_conn *c,
			int fd, char *err, size_t errlen)
{
	struct vu_conn_state cs = { .features = c->features,
				    .protocol_features = c->protocol_features,
				    .owner = c->owner };

	vu_conn_init(&r->conn, fd, r->dev);
	r->has_conn = true;
	if (!fd_is_unix_socket(fd, SOCK_STREAM, false, NULL))
		REFUSE(-EBADF, "the front-end connection handed over is not "
		       "a connected UNIX stream socket");
	if (vu_conn_import(&r->conn, &cs))
		REFUSE(-EINVAL, "CONN: features 0x%llx / protocol features 0x%llx "
		       "were never offered", (unsigned long long)c->features,
		       (unsigned long long)c->protocol_features);
	cd_set_event_idx(r->dev, c->event_idx);
	return 0;
}

static int restore_queue(struct ho_restore *r, const struct ho_queue *q,
			 const int *fds, unsigned nfds, char *err,
			 size_t errlen)
{
	struct cd_queue_state s = {
		.num = q->num, .addr_set = q->flags & HO_Q_ADDR_SET,
		.started = q->flags & HO_Q_STARTED,
		.enabled = q->flags & HO_Q_ENABLED,
		.broken = q->flags & HO_Q_BROKEN,
		.kick_pending = q->flags & HO_Q_KICK_PENDING,
		.event_idx = q->flags & HO_Q_EVENT_IDX,
		.signalled_valid = q->flags & HO_Q_SIGNALLED_VALID,
		.last_avail = q->last_avail, .used_idx = q->used_idx,
		.signalled_used = q->signalled_used, .desc_uva = q->desc_uva,
		.avail_uva = q->avail_uva, .used_uva = q->used_uva,
		.kick_fd = -1, .call_fd = -1, .err_fd = -1 };
	unsigned k = 0;
	int e;

	for (unsigned i = 0; i < nfds; i++) {
		if (!fd_is_eventfd(fds[i])) {
			close_all(fds, nfds);
			REFUSE(-EBADF, "QUEUE %u: fd %u is not an eventfd",
			       q->index, i);
		}
	}
	if (q->flags & HO_Q_KICK_FD)
		s.kick_fd = fds[k++];
	if (q->flags & HO_Q_CALL_FD)
		s.call_fd = fds[k++];
	if (q->flags & HO_Q_ERR_FD)
		s.err_fd = fds[k++];
	e = cd_queue_import(r->dev, q->index, &s);	/* takes the fds */
	if (e)
		REFUSE(e, "QUEUE %u: %s", q->index,
		       e == -EFAULT ? "ring not inside guest memory"
				    : "ring size or addresses refused");
	return 0;
}

static int restore_session(struct ho_restore *r, const struct ho_session *s,
			   char *err, size_t errlen)
{
	struct session_params p = {
		.op_type = s->op_type, .cipher_alg = s->cipher_alg,
		.direction = s->direction, .key_len = s->key_len,
		.key = s->key, .chain_order = s->chain_order,
		.hash_mode = s->hash_mode, .mac_alg = s->mac_alg,
		.hash_result_len = s->hash_result_len,
		.auth_key_len = s->auth_key_len, .auth_key = s->auth_key,
		.aad_len = s->aad_len };
	int st = st_restore(cd_sessions(r->dev), &p, s->id);

	if (st != VIRTIO_CRYPTO_OK)
		REFUSE(-EINVAL, "SESSION %llu refused (status %d: %s)",
		       (unsigned long long)s->id, st,
		       st == VIRTIO_CRYPTO_INVSESS ? "id repeated or out of range" :
		       st == VIRTIO_CRYPTO_NOTSUPP ? "algorithm not supported" :
		       st == VIRTIO_CRYPTO_BADMSG ? "bad parameters" :
		       st == VIRTIO_CRYPTO_NOSPC ? "table full" : "engine refused it");
	r->sessions++;
	return 0;
}

int ho_restore_feed(struct ho_restore *r, const uint8_t *buf, size_t len,
		    const int *fds, unsigned nfds, char *err, size_t errlen)
{
	struct ho_record rec;
	int e;

	if (nfds > HO_MAX_FDS) {
		close_all(fds, nfds);
		REFUSE(-EPROTO, "a record with %u fds", nfds);
	}
	if (ho_read(&r->rd, buf, len, nfds, &rec, err, errlen)) {
		close_all(fds, nfds);
		return -EPROTO;
	}
	switch (rec.type) {
	case HO_BEGIN:
		return restore_begin(r, &rec.u.begin, fds, err, errlen);
	case HO_CONN:
		return restore_conn(r, &rec.u.conn, fds[0], err, errlen);
	case HO_REGION: {
		const struct ho_region *g = &rec.u.region;

		e = cd_mem_add_fd(r->dev, g->gpa, g->size, g->uva,
				  g->mmap_offset, fds[0]);
		close(fds[0]);		/* the table keeps its own duplicate */
		if (e)
			REFUSE(e, "REGION %u (gpa 0x%llx, 0x%llx bytes): %s",
			       g->index, (unsigned long long)g->gpa,
			       (unsigned long long)g->size, strerror(-e));
		return 0;
	}
	case HO_QUEUE:
		return restore_queue(r, &rec.u.queue, fds, nfds, err, errlen);
	case HO_SESSION:
		e = restore_session(r, &rec.u.session, err, errlen);
		explicit_bzero(&rec, sizeof(rec));
		return e;
	case HO_END:
		return 1;
	case HO_COMMIT:
		return 2;
	case HO_ABORT:
		snprintf(err, errlen, "%s", rec.u.reason);
		return -ECANCELED;
	default:
		close_all(fds, nfds);
		REFUSE(-EPROTO, "%s is not for a successor", ho_type_name(rec.type));
	}
}

void ho_restore_free(struct ho_restore *r)
{
	if (r->has_conn && r->conn.fd >= 0)
		close(r->conn.fd);
	r->has_conn = false;
	r->conn.fd = -1;
	cd_destroy(r->dev);		/* NULL is fine */
	r->dev = NULL;
	if (r->eng)
		ce_engine_close(r->eng);
	r->eng = NULL;
	if (r->listen_fd >= 0)
		close(r->listen_fd);
	if (r->ctl_listen_fd >= 0)
		close(r->ctl_listen_fd);
	r->listen_fd = r->ctl_listen_fd = -1;
}
