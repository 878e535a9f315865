/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vhost_user.h - the vhost-user back-end protocol on one connected socket
 * (QEMU docs/interop/vhost-user.rst), for a virtio-crypto device.
 *
 * Owns: message framing (12-byte header, payload, SCM_RIGHTS fds), feature
 * and protocol-feature negotiation, decoding each front-end message into a
 * call on the device logic (crypto_device.h), replies (including
 * REPLY_ACK), and the connection's poll loop (socket + kick eventfds +
 * a stop fd).
 *
 * Does not own: accepting connections or signals (main.c), the device
 * (crypto_device.c, device_datapath.c), reached only through the functions
 * of crypto_device.h.
 */
#ifndef VUC_VHOST_USER_H
#define VUC_VHOST_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "crypto_device.h"

enum vu_request {
	VU_GET_FEATURES = 1,
	VU_SET_FEATURES = 2,
	VU_SET_OWNER = 3,
	VU_RESET_OWNER = 4,
	VU_SET_MEM_TABLE = 5,
	VU_SET_LOG_BASE = 6,
	VU_SET_LOG_FD = 7,
	VU_SET_VRING_NUM = 8,
	VU_SET_VRING_ADDR = 9,
	VU_SET_VRING_BASE = 10,
	VU_GET_VRING_BASE = 11,
	VU_SET_VRING_KICK = 12,
	VU_SET_VRING_CALL = 13,
	VU_SET_VRING_ERR = 14,
	VU_GET_PROTOCOL_FEATURES = 15,
	VU_SET_PROTOCOL_FEATURES = 16,
	VU_GET_QUEUE_NUM = 17,
	VU_SET_VRING_ENABLE = 18,
	VU_CREATE_CRYPTO_SESSION = 26,
	VU_CLOSE_CRYPTO_SESSION = 27,
};

#define VU_FLAG_VERSION 0x1u
#define VU_FLAG_REPLY 0x4u
#define VU_FLAG_NEED_REPLY 0x8u
#define VU_HDR_SIZE 12u
#define VU_MAX_PAYLOAD 4096u
#define VU_MAX_FDS 8
#define VU_MAX_WAKE_FDS 4
#define VU_VRING_IDX_MASK 0xffu
#define VU_VRING_NOFD 0x100u

#define VU_F_PROTOCOL_FEATURES 30
#define VU_PROTOCOL_F_MQ 0
#define VU_PROTOCOL_F_REPLY_ACK 3
#define VU_PROTOCOL_F_CRYPTO_SESSION 7

/* Device features we offer: VERSION_1, INDIRECT_DESC, EVENT_IDX,
 * PROTOCOL_FEATURES. */
#define VU_OFFERED_FEATURES ((1ull << VIRTIO_F_VERSION_1) | \
			     (1ull << VIRTIO_RING_F_INDIRECT_DESC) | \
			     (1ull << VIRTIO_RING_F_EVENT_IDX) | \
			     (1ull << VU_F_PROTOCOL_FEATURES))
#define VU_OFFERED_PROTOCOL_FEATURES ((1ull << VU_PROTOCOL_F_MQ) | \
				      (1ull << VU_PROTOCOL_F_REPLY_ACK) | \
				      (1ull << VU_PROTOCOL_F_CRYPTO_SESSION))

struct vu_msg {
	uint32_t request, flags, size;
	uint8_t payload[VU_MAX_PAYLOAD];
	int fds[VU_MAX_FDS];
	unsigned nfds;
};

struct vu_conn;
/* Called after a message that may have changed the connection's state
 * (anything but GET_FEATURES, GET_PROTOCOL_FEATURES, GET_QUEUE_NUM and
 * refused requests): request and, for ring messages, the ring index. */
typedef void (*vu_changed_fn)(struct vu_conn *c, uint32_t request,
			      unsigned ring, void *arg);

struct vu_conn {
	int fd;				/* connected socket, -1 = discard replies */
	struct crypto_device *dev;
	uint64_t features;		/* acked by SET_FEATURES */
	uint64_t protocol_features;
	bool owner;
	uint64_t messages;
	vu_changed_fn changed;		/* NULL: nobody cares */
	void *changed_arg;
};

void vu_conn_init(struct vu_conn *c, int fd, struct crypto_device *dev);

/* Read one message.  1: a message, 0: orderly EOF, -errno: I/O or
 * protocol error (bad version, oversize payload). */
int vu_read_msg(int fd, struct vu_msg *m);

/* Decode one message from bytes (no fds): bytes used, 0 if incomplete,
 * -EPROTO if malformed.  For the fuzzer and tests. */
long vu_parse_msg(const uint8_t *buf, size_t len, struct vu_msg *m);

/* Handle one message: act on it, reply if the protocol says so, close
 * every fd that came with it that it does not keep.  0, or -errno when the
 * connection must be dropped. */
int vu_handle_msg(struct vu_conn *c, struct vu_msg *m);

/* Serve the connection until EOF/error (returns 0/-errno) or until stop_fd
 * becomes readable (returns 1). */
int vu_serve(struct vu_conn *c, int stop_fd);
/* The same with n fds to watch (entries < 0 are ignored): returns 1 + i
 * as soon as wake[i] is readable (or has an error), before anything else
 * is read; the connection is left at a message boundary. */
int vu_serve_until(struct vu_conn *c, const int *wake, unsigned n);

/* What a successor daemon needs of the negotiation (takeover). */
struct vu_conn_state {
	uint64_t features, protocol_features;
	bool owner;
};
void vu_conn_export(const struct vu_conn *c, struct vu_conn_state *out);
/* -EINVAL when features or protocol features were never offered. */
int vu_conn_import(struct vu_conn *c, const struct vu_conn_state *in);

const char *vu_request_name(uint32_t req);

#endif
