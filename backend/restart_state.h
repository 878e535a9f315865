/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * restart_state.h - under systemd, everything a restarted daemon needs to
 * resume QEMU's connection, kept in the service manager's file descriptor
 * store: after `systemctl restart` and after a crash alike.
 *
 * Owns, while a service manager listens (fd_store.h; otherwise every call
 * does nothing):
 *   - the fds of the live state, stored as they arrive under role names
 *     with a generation ("listen-3", "conn-7", "mem0-8", "kick0-9",
 *     "call0-10", "err0-11", "state-12", "inflight-2"), the one replaced
 *     dropped from the store after its successor is in;
 *   - the state itself, the takeover records (handover.c) BEGIN .. END,
 *     written into a sealed memfd after every message that changes it
 *     (features, memory table, rings, sessions) and on disconnect;
 *   - the in-flight log memfd (inflight_log.h) the device keeps on its data
 *     path;
 *   - at start, taking what the manager passed back: the newest state is
 *     rebuilt (every fd and record checked as a takeover's are), the rings
 *     set to the positions the log had, and requests the dead daemon had
 *     taken and not answered completed with status ERR.
 * Does not own: the records (handover*.c), libsystemd (fd_store.c).
 */
#ifndef VUC_RESTART_STATE_H
#define VUC_RESTART_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "fd_store.h"
#include "handover.h"
#include "inflight_log.h"

#define RS_ROLES (3 + 8 + 3 * 8 + 2)

struct restart_state {
	bool on;			/* a service manager keeps our fds */
	uint64_t gen;			/* next generation of a stored name */
	char stored[RS_ROLES][FS_NAME_MAX];	/* "" : nothing stored */
	bool gone[RS_ROLES];		/* to drop once the state no longer
					   names it */
	struct inflight_log *log;
	int log_fd;
	struct fs_entry *passed;	/* what the manager passed at start */
	int npassed;
};

/* At start: under a service manager?  Take what it passed. */
void rs_init(struct restart_state *rs);

/*
 * Resume from what the store passed: 1 with r rebuilt (as tk_take leaves
 * it; *failed requests answered ERR), 0 when there is no state to resume
 * (*lfd / *ctl_lfd are the stored listening sockets, or -1), -1 when the
 * state was refused (err says why; the store is emptied and a fresh start
 * follows).
 */
int rs_resume(struct restart_state *rs, struct ho_restore *r, int *lfd,
	      int *ctl_lfd, unsigned *failed, char *err, size_t errlen);

/* The device of a new connection keeps the in-flight log. */
void rs_attach(struct restart_state *rs, struct crypto_device *dev);

/*
 * Bring the store up to date with live: request is the vhost-user request
 * that changed it (ring its ring index), or 0 after a start, an accept or
 * a disconnect (every fd looked at again).
 */
void rs_sync(struct restart_state *rs, const struct ho_live *live,
	     uint32_t request, unsigned ring);

/* The daemon exits: with stop_all, drop everything from the store (it
 * must not be resumed); otherwise leave it for the next start. */
void rs_finish(struct restart_state *rs, bool stop_all);

#endif
