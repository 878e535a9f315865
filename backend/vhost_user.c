/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vhost_user.c - vhost-user back-end protocol for virtio-crypto (see
 * vhost_user.h).
 *
 * Messages handled: GET/SET_FEATURES, GET/SET_PROTOCOL_FEATURES,
 * SET_OWNER, RESET_OWNER, GET_QUEUE_NUM, SET_MEM_TABLE, SET_VRING_NUM,
 * SET_VRING_ADDR, SET_VRING_BASE, GET_VRING_BASE, SET_VRING_KICK,
 * SET_VRING_CALL, SET_VRING_ERR, SET_VRING_ENABLE,
 * CREATE_CRYPTO_SESSION (26, both QEMU layouts), CLOSE_CRYPTO_SESSION (27).
 * Any other request is logged; if it asked for a reply (NEED_REPLY with
 * REPLY_ACK negotiated) it gets a failure ack, otherwise it is ignored.
 * A payload shorter than its request needs counts as a failure, never as
 * a crash; fds that arrive with a message that does not use them are
 * closed.  Replies carry flags VERSION|REPLY (0x5) exactly, as QEMU checks.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/virtio_crypto.h>

#include "crypto_session_msg.h"
#include "fd_check.h"
#include "log.h"
#include "vhost_user.h"

void vu_conn_init(struct vu_conn *c, int fd, struct crypto_device *dev)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->dev = dev;
}

const char *vu_request_name(uint32_t req)
{
	static const char *const names[] = {
		[VU_GET_FEATURES] = "GET_FEATURES",
		[VU_SET_FEATURES] = "SET_FEATURES",
		[VU_SET_OWNER] = "SET_OWNER",
		[VU_RESET_OWNER] = "RESET_OWNER",
		[VU_SET_MEM_TABLE] = "SET_MEM_TABLE",
		[VU_SET_LOG_BASE] = "SET_LOG_BASE",
		[VU_SET_LOG_FD] = "SET_LOG_FD",
		[VU_SET_VRING_NUM] = "SET_VRING_NUM",
		[VU_SET_VRING_ADDR] = "SET_VRING_ADDR",
		[VU_SET_VRING_BASE] = "SET_VRING_BASE",
		[VU_GET_VRING_BASE] = "GET_VRING_BASE",
		[VU_SET_VRING_KICK] = "SET_VRING_KICK",
		[VU_SET_VRING_CALL] = "SET_VRING_CALL",
		[VU_SET_VRING_ERR] = "SET_VRING_ERR",
		[VU_GET_PROTOCOL_FEATURES] = "GET_PROTOCOL_FEATURES",
		[VU_SET_PROTOCOL_FEATURES] = "SET_PROTOCOL_FEATURES",
		[VU_GET_QUEUE_NUM] = "GET_QUEUE_NUM",
		[VU_SET_VRING_ENABLE] = "SET_VRING_ENABLE",
		[VU_CREATE_CRYPTO_SESSION] = "CREATE_CRYPTO_SESSION",
		[VU_CLOSE_CRYPTO_SESSION] = "CLOSE_CRYPTO_SESSION",
	};

	if (req < sizeof(names) / sizeof(names[0]) && names[req])
		return names[req];
	return "unknown";
}

/* Feature bit `bit` is set in a feature word. */
static bool vu_has(uint64_t features, unsigned bit)
{
	return features & (1ull << bit);
}

static int read_full(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = recv(fd, p, len, 0);
		if (n == 0)
			return -ECONNRESET;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void close_fds(struct vu_msg *m)
{
	for (unsigned i = 0; i < m->nfds; i++)
		if (m->fds[i] >= 0)
			close(m->fds[i]);
	m->nfds = 0;
}

int vu_read_msg(int fd, struct vu_msg *m)
{
	uint32_t hdr[3];
	char cbuf[CMSG_SPACE(sizeof(int) * VU_MAX_FDS)];
	struct iovec iov = { hdr, VU_HDR_SIZE };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;
	ssize_t n;
	int r;

	m->nfds = 0;
	do {
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n == 0)
		return 0;
	if (n < 0)
		return -errno;
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
			size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			int fds[VU_MAX_FDS];

			memcpy(fds, CMSG_DATA(cm), k * sizeof(int));
			for (size_t i = 0; i < k; i++) {
				if (m->nfds < VU_MAX_FDS)
					m->fds[m->nfds++] = fds[i];
				else
					close(fds[i]);
			}
		}
	}
	if (mh.msg_flags & MSG_CTRUNC)
		log_warn("control data truncated (too many fds)");
	if ((size_t)n < VU_HDR_SIZE) {
		r = read_full(fd, (uint8_t *)hdr + n, VU_HDR_SIZE - (size_t)n);
		if (r)
			goto fail;
	}
	m->request = hdr[0];
	m->flags = hdr[1];
	m->size = hdr[2];
	if ((m->flags & 0x3) != VU_FLAG_VERSION || m->size > VU_MAX_PAYLOAD) {
		log_err("bad message header (request %u flags 0x%x size %u)",
			m->request, m->flags, m->size);
		r = -EPROTO;
		goto fail;
	}
	if (m->size) {
		r = read_full(fd, m->payload, m->size);
		if (r)
			goto fail;
	}
	return 1;
fail:
	close_fds(m);
	return r;
}

long vu_parse_msg(const uint8_t *buf, size_t len, struct vu_msg *m)
{
	uint32_t hdr[3];

	m->nfds = 0;
	if (len < VU_HDR_SIZE)
		return 0;
	memcpy(hdr, buf, VU_HDR_SIZE);
	m->request = hdr[0];
	m->flags = hdr[1];
	m->size = hdr[2];
	if ((m->flags & 0x3) != VU_FLAG_VERSION || m->size > VU_MAX_PAYLOAD)
		return -EPROTO;
	if (len - VU_HDR_SIZE < m->size)
		return 0;
	memcpy(m->payload, buf + VU_HDR_SIZE, m->size);
	return (long)(VU_HDR_SIZE + m->size);
}

static int send_reply(struct vu_conn *c, uint32_t request, const void *payload,
		      uint32_t size)
{
	uint32_t hdr[3] = { request, VU_FLAG_VERSION | VU_FLAG_REPLY, size };
	struct iovec iov[2] = { { hdr, VU_HDR_SIZE }, { (void *)payload, size } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = size ? 2 : 1 };
	size_t want = VU_HDR_SIZE + size;
	ssize_t n;

	if (c->fd < 0)
		return 0;
	do {
		n = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((size_t)n != want)
		return -EIO;	/* the socket buffer always holds one reply */
	return 0;
}

static int reply_u64(struct vu_conn *c, uint32_t request, uint64_t v)
{
	return send_reply(c, request, &v, sizeof(v));
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/* The one fd of a SET_VRING_KICK/CALL/ERR message, or -1 with NOFD. */
static int vring_fd(struct vu_msg *m, unsigned *qi, int *fd)
{
	uint64_t v;

	if (m->size < 8)
		return -EINVAL;
	v = rd64(m->payload);
	*qi = v & VU_VRING_IDX_MASK;
	*fd = -1;
	if (v & VU_VRING_NOFD) {
		close_fds(m);
		return 0;
	}
	if (m->nfds != 1) {
		close_fds(m);
		return -EINVAL;
	}
	/* only an eventfd: a file, pipe or socket would poll or block wrongly */
	if (!fd_is_eventfd(m->fds[0])) {
		close_fds(m);
		return -EINVAL;
	}
	*fd = m->fds[0];
	m->nfds = 0;		/* ownership passes on */
	return 0;
}

static int set_mem_table(struct vu_conn *c, struct vu_msg *m)
{
	uint32_t n;
	int r = 0;

	if (m->size < 8)
		return -EINVAL;
	n = rd32(m->payload);
	if (n > GM_MAX_REGIONS || m->size < 8 + 32 * n || m->nfds != n)
		return -EINVAL;
	cd_mem_begin(c->dev);
	for (uint32_t i = 0; i < n && !r; i++) {
		const uint8_t *reg = m->payload + 8 + 32 * i;
		uint64_t gpa = rd64(reg), size = rd64(reg + 8);
		uint64_t uva = rd64(reg + 16), off = rd64(reg + 24);

		r = cd_mem_add_fd(c->dev, gpa, size, uva, off, m->fds[i]);
		if (r)
			log_err("memory region %u (gpa 0x%" PRIx64 " size 0x%"
				PRIx64 "): %s", i, gpa, size, strerror(-r));
		else
			log_info("memory region %u: gpa 0x%" PRIx64 " size %"
				 PRIu64 " MiB", i, gpa, size >> 20);
	}
	if (r)
		cd_mem_begin(c->dev);	/* nothing half mapped stays */
	cd_mem_end(c->dev);
	return r;
}

static int create_session(struct vu_conn *c, struct vu_msg *m)
{
	struct session_params p;
	uint64_t id = 0;
	int layout, st;
	int64_t reply_id;

	layout = csm_parse(m->payload, m->size, &p);
	if (layout < 0) {
		log_warn("CREATE_CRYPTO_SESSION: %s (payload %u bytes)",
			 layout == -ENOTSUP ? "asymmetric sessions not supported"
					    : "unknown layout", m->size);
		reply_id = -1;
		if (m->size >= 8)
			memcpy(m->payload, &reply_id, 8);
		if (m->size >= 16)
			memcpy(m->payload + m->size - 8, &reply_id, 8);
		return send_reply(c, m->request, m->payload, m->size);
	}
	st = cd_session_create(c->dev, &p, &id);
	if (st == VIRTIO_CRYPTO_OK) {
		reply_id = (int64_t)id;
		log_info("session %" PRIu64 " created (op %u cipher %u key %u mac %u)",
			 id, p.op_type, p.cipher_alg, p.key_len, p.mac_alg);
	} else {
		reply_id = -(int64_t)st;
		log_warn("session refused: status %d (op %u cipher %u key %u "
			 "mac %u)", st, p.op_type, p.cipher_alg, p.key_len,
			 p.mac_alg);
	}
	csm_set_session_id(m->payload, layout, reply_id);
	return send_reply(c, m->request, m->payload, m->size);
}

/* Returns: 1 replied already, 0 success (ack if asked), <0 failure. */
static int dispatch(struct vu_conn *c, struct vu_msg *m)
{
	struct crypto_device *d = c->dev;
	unsigned qi, v;
	int fd, r;

	switch (m->request) {
	case VU_GET_FEATURES:
		r = reply_u64(c, m->request, VU_OFFERED_FEATURES);
		return r ? r : 1;
	case VU_SET_FEATURES:
		if (m->size < 8)
			return -EINVAL;
		c->features = rd64(m->payload);
		if (c->features & ~VU_OFFERED_FEATURES) {
			log_warn("SET_FEATURES 0x%" PRIx64 " has bits not offered",
				 c->features);
			return -EINVAL;
		}
		/* QEMU does not forward the guest's ring features (DESIGN.md):
		 * with no VERSION_1 bit we assume the guest uses EVENT_IDX. */
		cd_set_event_idx(d, vu_has(c->features, VIRTIO_RING_F_EVENT_IDX) ||
				    !vu_has(c->features, VIRTIO_F_VERSION_1));
		return 0;
	case VU_GET_PROTOCOL_FEATURES:
		r = reply_u64(c, m->request, VU_OFFERED_PROTOCOL_FEATURES);
		return r ? r : 1;
	case VU_SET_PROTOCOL_FEATURES:
		if (m->size < 8)
			return -EINVAL;
		c->protocol_features = rd64(m->payload) & VU_OFFERED_PROTOCOL_FEATURES;
		return 0;
	case VU_SET_OWNER:
		c->owner = true;
		return 0;
	case VU_RESET_OWNER:
		for (qi = 0; qi < CD_MAX_QUEUES; qi++)
			cd_get_base(d, qi, &v);
		c->owner = false;
		return 0;
	case VU_GET_QUEUE_NUM:
		r = reply_u64(c, m->request, CD_MAX_QUEUES);
		return r ? r : 1;
	case VU_SET_MEM_TABLE:
		return set_mem_table(c, m);
	case VU_SET_VRING_NUM:
	case VU_SET_VRING_BASE:
	case VU_SET_VRING_ENABLE:
		if (m->size < 8)
			return -EINVAL;
		qi = rd32(m->payload);
		v = rd32(m->payload + 4);
		if (m->request == VU_SET_VRING_NUM)
			return cd_set_num(d, qi, v);
		if (m->request == VU_SET_VRING_BASE)
			return cd_set_base(d, qi, v);
		return cd_set_enable(d, qi, v != 0);
	case VU_SET_VRING_ADDR:
		if (m->size < 40)
			return -EINVAL;
		/* struct vhost_vring_addr: index, flags, desc, used, avail, log */
		return cd_set_addr(d, rd32(m->payload), rd64(m->payload + 8),
				   rd64(m->payload + 24), rd64(m->payload + 16));
	case VU_GET_VRING_BASE: {
		uint32_t state[2];

		if (m->size < 8)
			return -EINVAL;
		qi = rd32(m->payload);
		v = 0;
		if (cd_get_base(d, qi, &v))
			log_warn("GET_VRING_BASE for unknown vring %u", qi);
		state[0] = qi;
		state[1] = v;
		r = send_reply(c, m->request, state, sizeof(state));
		return r ? r : 1;
	}
	case VU_SET_VRING_KICK:
	case VU_SET_VRING_CALL:
	case VU_SET_VRING_ERR:
		r = vring_fd(m, &qi, &fd);
		if (r)
			return r;
		if (m->request == VU_SET_VRING_KICK)
			return cd_set_kick(d, qi, fd);
		if (m->request == VU_SET_VRING_CALL)
			return cd_set_call(d, qi, fd);
		return cd_set_err(d, qi, fd);
	case VU_CREATE_CRYPTO_SESSION:
		r = create_session(c, m);
		return r ? r : 1;
	case VU_CLOSE_CRYPTO_SESSION:
		if (m->size < 8)
			return -EINVAL;
		if (cd_session_close(d, rd64(m->payload)) != VIRTIO_CRYPTO_OK) {
			log_warn("CLOSE_CRYPTO_SESSION: no session %" PRIu64,
				 rd64(m->payload));
			return -ENOENT;
		}
		log_info("session %" PRIu64 " closed", rd64(m->payload));
		return 0;
	default:
		log_warn("unsupported request %u (%s), size %u", m->request,
			 vu_request_name(m->request), m->size);
		return -EOPNOTSUPP;
	}
}

int vu_handle_msg(struct vu_conn *c, struct vu_msg *m)
{
	int r;

	c->messages++;
	log_debug("<- %s (%u) flags 0x%x size %u fds %u",
		  vu_request_name(m->request), m->request, m->flags, m->size,
		  m->nfds);
	r = dispatch(c, m);
	close_fds(m);
	if (c->changed && r >= 0 && m->request != VU_GET_FEATURES &&
	    m->request != VU_GET_PROTOCOL_FEATURES &&
	    m->request != VU_GET_QUEUE_NUM) {
		uint32_t ring = 0;

		if (m->size >= 4)
			memcpy(&ring, m->payload, 4);
		c->changed(c, m->request, ring & VU_VRING_IDX_MASK, c->changed_arg);
	}
	if (r == -EPIPE || r == -ECONNRESET || r == -EIO)
		return r;	/* could not write a reply: drop the connection */
	if (r < 0)
		log_debug("%s failed: %s", vu_request_name(m->request),
			  strerror(-r));
	if (r != 1 && (m->flags & VU_FLAG_NEED_REPLY) &&
	    vu_has(c->protocol_features, VU_PROTOCOL_F_REPLY_ACK))
		return reply_u64(c, m->request, r < 0 ? 1 : 0);
	return 0;
}

void vu_conn_export(const struct vu_conn *c, struct vu_conn_state *out)
{
	*out = (struct vu_conn_state){ .features = c->features,
				       .protocol_features = c->protocol_features,
				       .owner = c->owner };
}

int vu_conn_import(struct vu_conn *c, const struct vu_conn_state *in)
{
	if ((in->features & ~VU_OFFERED_FEATURES) ||
	    (in->protocol_features & ~VU_OFFERED_PROTOCOL_FEATURES))
		return -EINVAL;
	c->features = in->features;
	c->protocol_features = in->protocol_features;
	c->owner = in->owner;
	return 0;
}

int vu_serve(struct vu_conn *c, int stop_fd)
{
	return vu_serve_until(c, &stop_fd, 1);
}

int vu_serve_until(struct vu_conn *c, const int *wake, unsigned nwake)
{
	static struct vu_msg msg;	/* one connection at a time */
	struct pollfd pfd[1 + VU_MAX_WAKE_FDS + CD_MAX_QUEUES];
	unsigned qmap[1 + VU_MAX_WAKE_FDS + CD_MAX_QUEUES];

	if (nwake > VU_MAX_WAKE_FDS)
		return -EINVAL;
	for (;;) {
		unsigned n = 0, first_q;
		int r;

		pfd[n++] = (struct pollfd){ .fd = c->fd, .events = POLLIN };
		for (unsigned i = 0; i < nwake; i++)
			pfd[n++] = (struct pollfd){ .fd = wake[i], .events = POLLIN };
		first_q = n;
		n += cd_kick_fds(c->dev, pfd + n, qmap + n, CD_MAX_QUEUES);
		/* a queue with more to pop: look at the fds, then go on */
		r = poll(pfd, n, cd_has_more(c->dev) ? 0 : -1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (unsigned i = 0; i < nwake; i++)
			if (pfd[1 + i].revents)
				return 1 + (int)i;
		cd_process_more(c->dev);
		for (unsigned i = first_q; i < n; i++)
			if (pfd[i].revents)	/* POLLIN, or an error cd_kick drops */
				cd_kick(c->dev, qmap[i]);
		if (pfd[0].revents) {
			r = vu_read_msg(c->fd, &msg);
			if (r <= 0)
				return r;
			r = vu_handle_msg(c, &msg);
			if (r < 0)
				return r;
		}
	}
}
