/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * handover_msg.h - the records two vhost-user-crypto daemons exchange when
 * one takes over the other's connection (vhost-user-crypto --takeover):
 * the byte layout of every record, its fds, and the order they come in.
 *
 * Owns: encoding records into bytes, parsing bytes from the other process
 * into plain structs with every field checked (ranges, reserved bytes
 * zero, exact lengths, the number of fds that came with the record), and
 * the order of a conversation (struct ho_reader).  Nothing here touches an
 * fd, a device or a session: handover.c turns the records into live state
 * and back, takeover.c moves them over the control socket.
 *
 * Layout (docs/backend.md, "Takeover"): every record is one SOCK_SEQPACKET
 * message, a 16-byte header {u32 magic "VUCH", u16 version 1, u16 type,
 * u32 body length, u32 fds}, then the body; integers little-endian.
 * The successor sends HELLO; the running daemon answers BEGIN, CONN (if a
 * front-end is connected), REGION x n, QUEUE x n, SESSION x n, END; the
 * successor answers ACCEPT (or ABORT); the running daemon answers COMMIT
 * (or ABORT).  ABORT carries a reason and may come at any point; it is
 * read whatever its version (a refusal of another version is one).
 */
#ifndef VUC_HANDOVER_MSG_H
#define VUC_HANDOVER_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HO_MAGIC 0x48435556u		/* bytes "VUCH" */
#define HO_VERSION 1u
#define HO_HDR_LEN 16u
#define HO_MAX_KEY 64u
#define HO_MAX_AUTH_KEY 512u
#define HO_SESSION_FIXED 56u
#define HO_MAX_BODY (HO_SESSION_FIXED + HO_MAX_KEY + HO_MAX_AUTH_KEY)
#define HO_MAX_RECORD (HO_HDR_LEN + HO_MAX_BODY)
#define HO_MAX_FDS 3u			/* per record */
#define HO_MAX_REGIONS 8u		/* = GM_MAX_REGIONS */
#define HO_MAX_QUEUES 8u		/* = CD_MAX_QUEUES */
#define HO_MAX_SESSIONS (1u << 20)	/* = the session table's limit */
#define HO_MAX_REASON 200u

enum ho_type {
	HO_HELLO = 1,	/* successor -> running daemon */
	HO_BEGIN,	/* running daemon -> successor, then the state */
	HO_CONN,
	HO_REGION,
	HO_QUEUE,
	HO_SESSION,
	HO_END,
	HO_ACCEPT,	/* successor: state taken, ready to serve */
	HO_COMMIT,	/* running daemon: gave everything up, exits */
	HO_ABORT,	/* either side: not happening (reason text) */
};

struct ho_hello {
	uint32_t pid;
};

struct ho_begin {
	uint64_t paused_ns;		/* CLOCK_MONOTONIC when popping stopped */
	uint64_t next_session_id;	/* the id counter: 1 .. INT64_MAX */
	uint32_t pid;			/* of the running daemon */
	bool has_conn;
	uint32_t nregions, nqueues, nsessions;
	/* the running daemon's configuration */
	uint32_t engine_kind;		/* enum ce_kind: 0 auto, 1 device, 2 software */
	uint32_t max_sessions;		/* 1 .. 1000000 */
	uint32_t workers;		/* 0 .. 256 */
	uint64_t max_memory;		/* bytes: 1 MiB .. 1 TiB, whole MiB */
};
/* BEGIN's fds: the vhost-user listening socket, the control listening socket */
#define HO_BEGIN_FDS 2u

struct ho_conn {
	uint64_t features, protocol_features;
	bool owner, event_idx;
};
/* CONN's fd: the front-end (QEMU) connection */

struct ho_region {
	uint32_t index;			/* 0 .. nregions-1, in order */
	uint64_t gpa, size, uva, mmap_offset;
};
/* REGION's fd: the memory region's file */

#define HO_Q_ADDR_SET (1u << 0)
#define HO_Q_STARTED (1u << 1)
#define HO_Q_ENABLED (1u << 2)
#define HO_Q_BROKEN (1u << 3)
#define HO_Q_KICK_PENDING (1u << 4)
#define HO_Q_EVENT_IDX (1u << 5)
#define HO_Q_SIGNALLED_VALID (1u << 6)
#define HO_Q_KICK_FD (1u << 8)		/* these say which fds come, in */
#define HO_Q_CALL_FD (1u << 9)		/* this order: kick, call, err */
#define HO_Q_ERR_FD (1u << 10)
#define HO_Q_FLAGS 0x77fu

struct ho_queue {
	uint32_t index;			/* increasing */
	uint32_t num;			/* 0, or a power of two <= 32768 */
	uint32_t flags;			/* HO_Q_* */
	uint16_t last_avail, used_idx, signalled_used;
	uint64_t desc_uva, avail_uva, used_uva;
};

struct ho_session {
	uint64_t id;			/* 1 .. INT64_MAX */
	uint32_t op_type, cipher_alg, direction, chain_order, hash_mode;
	uint32_t mac_alg, hash_result_len, aad_len;
	uint32_t key_len, auth_key_len;	/* <= 64, <= 512 */
	uint8_t key[HO_MAX_KEY];
	uint8_t auth_key[HO_MAX_AUTH_KEY];
};

struct ho_end {
	uint32_t records;		/* CONN + REGION + QUEUE + SESSION records */
};

struct ho_record {
	enum ho_type type;
	union {
		struct ho_hello hello;	/* also ACCEPT */
		struct ho_begin begin;
		struct ho_conn conn;
		struct ho_region region;
		struct ho_queue queue;
		struct ho_session session;
		struct ho_end end;
		char reason[HO_MAX_REASON + 1];	/* ABORT, NUL-terminated */
	} u;
};

/* How many fds travel with a record (from its type and queue flags). */
unsigned ho_record_fds(const struct ho_record *rec);

/*
 * Encode rec into buf (at least HO_MAX_RECORD bytes): the record's length.
 * The fields must already be valid (the encoder does not check them); an
 * ABORT reason is cut at HO_MAX_REASON bytes and non-printable bytes
 * become '?'.
 */
size_t ho_encode(const struct ho_record *rec, uint8_t *buf);

/*
 * Parse one record of len bytes that came with nfds fds: 0, or -EPROTO
 * with the reason in err.  Checks the header, the exact length, the
 * number of fds and every field's range on its own (not the order).
 */
int ho_parse(const uint8_t *buf, size_t len, unsigned nfds,
	     struct ho_record *out, char *err, size_t errlen);

/* Which side reads (what it expects to come). */
enum ho_role {
	HO_ROLE_SUCCESSOR,	/* BEGIN .. END, then COMMIT */
	HO_ROLE_RUNNING,	/* HELLO, then ACCEPT */
};

struct ho_reader {
	enum ho_role role;
	unsigned stage;
	struct ho_begin begin;
	uint32_t conns, regions, queues, sessions;
	int last_queue;
};

void ho_reader_init(struct ho_reader *r, enum ho_role role);
/*
 * Parse the next record and check that it may come now: 0, or -EPROTO
 * with the reason in err.  After an error the reader accepts nothing more.
 */
int ho_read(struct ho_reader *r, const uint8_t *buf, size_t len,
	    unsigned nfds, struct ho_record *out, char *err, size_t errlen);
/* The successor has the whole state (END was read). */
bool ho_reader_complete(const struct ho_reader *r);

const char *ho_type_name(unsigned type);

#endif
