/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * handover.h - a running daemon's whole state as takeover records, and a
 * successor's state rebuilt from them.
 *
 * Owns: walking the live objects (listening sockets, the front-end
 * connection's negotiation, the memory table, every queue, every session
 * with its keys, the id counter, the configuration) into records
 * (handover_msg.h) with their fds; and, on the successor's side, checking
 * every fd that arrives (an eventfd where an eventfd belongs, the
 * listening sockets bound to the right paths, a memory file that holds
 * its region) and rebuilding an engine, a device, its memory, queues and
 * sessions from the records, failing cleanly (everything built freed,
 * every fd closed) on the first record that does not fit.
 *
 * Does not own: moving records between processes (takeover.c), the
 * record bytes (handover_msg.c), the objects themselves.
 */
#ifndef VUC_HANDOVER_H
#define VUC_HANDOVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto_device.h"
#include "crypto_engine.h"
#include "handover_msg.h"
#include "vhost_user.h"

/* The daemon's settings that a successor inherits unless it was given its
 * own on the command line. */
struct ho_config {
	enum ce_kind engine;
	unsigned max_sessions, workers;
	size_t max_memory;		/* bytes */
};
#define HO_GIVEN_ENGINE (1u << 0)
#define HO_GIVEN_MAX_SESSIONS (1u << 1)
#define HO_GIVEN_WORKERS (1u << 2)
#define HO_GIVEN_MAX_MEMORY (1u << 3)

/* What the running daemon hands over.  The device (conn->dev) must be
 * drained: no request in flight. */
struct ho_live {
	int listen_fd, ctl_listen_fd;
	const struct vu_conn *conn;	/* NULL: no front-end connected */
	struct ho_config cfg;
	uint64_t paused_ns;		/* CLOCK_MONOTONIC */
};

/* Send one encoded record with its fds: 0 or -errno. */
typedef int (*ho_send_fn)(void *arg, const uint8_t *rec, size_t len,
			  const int *fds, unsigned nfds);

/* Send BEGIN .. END.  0, -errno from send, or -ENOTSUP when the memory
 * table has a region without an fd (never in the daemon). */
int ho_capture(const struct ho_live *live, ho_send_fn send, void *arg);

/* The successor's rebuild, fed one record at a time. */
struct ho_restore {
	struct ho_reader rd;
	struct ho_config own, cfg;	/* own settings; the ones in effect */
	unsigned given;			/* HO_GIVEN_*: own overrides inherited */
	const char *sock_path, *ctl_path; /* where the listeners must be bound */
	/* what was rebuilt (taken by the caller after COMMIT) */
	struct ce_engine *eng;
	struct crypto_device *dev;
	struct vu_conn conn;		/* valid when has_conn (fd, dev) */
	bool has_conn;
	int listen_fd, ctl_listen_fd;
	uint64_t paused_ns;
	uint32_t pid;			/* of the predecessor */
	unsigned sessions;
};

void ho_restore_init(struct ho_restore *r, const struct ho_config *own,
		     unsigned given, const char *sock_path,
		     const char *ctl_path);
/*
 * Feed one received record and its fds (always consumed: kept or
 * closed).  Returns 0 (go on), 1 (END: the whole state is rebuilt), 2
 * (COMMIT), -ECANCELED (the predecessor sent ABORT: its reason in err),
 * or another -errno with the reason in err (the record is refused; send
 * ABORT and free).
 */
int ho_restore_feed(struct ho_restore *r, const uint8_t *buf, size_t len,
		    const int *fds, unsigned nfds, char *err, size_t errlen);
/* Free whatever was rebuilt and not taken (NULL / -1 fields are skipped). */
void ho_restore_free(struct ho_restore *r);

#endif
